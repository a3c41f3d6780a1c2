"""Experiments keep each run's item table when asked, in memory and in a sweep store.

- By default no item table travels back from a run (`Results.items` is None).
- `run(..., keep_items=True)` gives one frame of every run's items, labelled by
  replication, whose rows per run agree with that run's summary.
- A sweep with `keep_items=True` and a store writes an `items/` part per finished run,
  and `SweepResults.load` reads back the same frame; a store of a sweep without items
  refuses to be resumed by one with them.
"""

from __future__ import annotations

import pandas as pd
import pytest

from simulation import Grid, run, sweep
from simulation.experiment import SweepResults
from simulation.experiment.store import StoreMismatchError
from tests.conftest import small_scenario

SMALL = {"population.citizens": 600, "run.days": 3, "mechanism.preset": "closed_loop"}


def test_runs_keep_no_items_unless_asked() -> None:
    assert run(small_scenario(**SMALL), replications=2).items is None


def test_kept_items_agree_with_each_runs_summary() -> None:
    results = run(small_scenario(**SMALL), replications=2, keep_items=True)
    items = results.items
    assert items is not None and len(items)
    assert set(items["replication"]) == {0, 1}
    for (replication, seed), group in items.groupby(["replication", "seed"]):
        row = results.runs[results.runs["replication"] == replication].iloc[0]
        assert row["seed"] == seed
        requests = group[group["received"].notna() & (group["kind"] != "rumour")]
        assert len(requests) == row["received"], f"replication {replication}"


def test_a_stored_sweep_keeps_and_reloads_its_items(tmp_path) -> None:
    scenario = small_scenario(**SMALL)
    design = Grid({"staffing.operators": [1, 2]})
    store = tmp_path / "store"
    stored = sweep(scenario, design, replications=1, store=store, keep_items=True)
    assert sorted(p.name for p in (store / "items").iterdir()) == [
        "p000000-r0000.parquet",
        "p000001-r0000.parquet",
    ]
    assert stored.items is not None and set(stored.items["point"]) == {0, 1}
    in_memory = sweep(scenario, design, replications=1, keep_items=True)
    loaded = SweepResults.load(store)
    pd.testing.assert_frame_equal(
        loaded.items.reset_index(drop=True),
        in_memory.items.reset_index(drop=True),
        check_dtype=False,
        check_categorical=False,
    )


def test_a_store_without_items_is_not_resumed_with_them(tmp_path) -> None:
    scenario = small_scenario(**SMALL)
    design = Grid({"staffing.operators": [1]})
    sweep(scenario, design, replications=1, store=tmp_path / "s")
    assert SweepResults.load(tmp_path / "s").items is None
    with pytest.raises(StoreMismatchError, match="items"):
        sweep(scenario, design, replications=1, store=tmp_path / "s", keep_items=True)
