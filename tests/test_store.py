"""Sweeps written to a store: layout, resume after a kill, refusal of another sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import simulation.experiment.executors
import simulation.runner
from simulation import Grid, LatinHypercube, SweepResults, sweep
from simulation.experiment.store import StoreMismatchError
from tests.experiment_support import tiny

REPO = Path(__file__).resolve().parent.parent
DESIGN = Grid({"staffing.operators": [1, 2, 3, 4]})


def assert_same(results, expected) -> None:
    pd.testing.assert_frame_equal(results.runs, expected.runs)
    pd.testing.assert_frame_equal(results.daily, expected.daily)


def count_runs(monkeypatch, fail_seed: int | None = None) -> list[int]:
    """Replace run_one in the serial path by a counting wrapper (optionally failing)."""
    calls: list[int] = []
    real = simulation.runner.run_one

    def counted(scenario, seed=None, days=None, progress=None):
        calls.append(seed)
        if seed == fail_seed:
            raise RuntimeError(f"seed {seed} fails")
        return real(scenario, seed=seed, days=days)

    monkeypatch.setattr(simulation.experiment.executors, "run_one", counted)
    return calls


def test_a_stored_sweep_has_its_layout_and_loads_as_the_same_results(tmp_path):
    store = tmp_path / "store"
    results = sweep(tiny(), DESIGN, replications=2, store=store)
    manifest = json.loads((store / "manifest.json").read_text())
    assert manifest["replications"] == 2 and manifest["seed"] == 1
    assert manifest["design"] == DESIGN.to_dict()
    assert manifest["scenario_hash"] == tiny().content_hash()
    assert (store / "scenario.toml").exists()
    names = sorted(p.name for p in (store / "runs").iterdir())
    assert names[0] == "p000000-r0000.parquet" and len(names) == 8
    assert len(list((store / "daily").iterdir())) == 8
    assert results.store == store and results.complete
    assert_same(results, sweep(tiny(), DESIGN, replications=2))
    assert_same(SweepResults.load(store), results)
    assert SweepResults.load(store).design == DESIGN


def test_re_running_a_finished_sweep_runs_nothing(tmp_path, monkeypatch):
    store = tmp_path / "store"
    first = sweep(tiny(), DESIGN, replications=2, store=store)
    calls = count_runs(monkeypatch)
    again = sweep(tiny(), DESIGN, replications=2, store=store)
    assert calls == []
    assert_same(again, first)


def test_a_different_sweep_on_the_same_store_is_refused(tmp_path):
    store = tmp_path / "store"
    sweep(tiny(), DESIGN, replications=1, store=store)
    with pytest.raises(StoreMismatchError, match="replications: stored 1, now 2"):
        sweep(tiny(), DESIGN, replications=2, store=store)
    with pytest.raises(StoreMismatchError, match="seed: stored 1, now 7"):
        sweep(tiny(), DESIGN, replications=1, seed=7, store=store)
    with pytest.raises(StoreMismatchError, match="design: stored"):
        sweep(tiny(), Grid({"staffing.operators": [1, 2]}), replications=1, store=store)
    with pytest.raises(StoreMismatchError, match="scenario_hash"):
        sweep(tiny(**{"population.citizens": 600}), DESIGN, replications=1, store=store)
    with pytest.raises(StoreMismatchError, match="delete"):
        sweep(tiny(), LatinHypercube({"staffing.training": (0.0, 0.2)}, 2), store=store)
    other = tmp_path / "not_a_store"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a microgov store"):
        sweep(tiny(), DESIGN, store=other)


def test_failed_runs_are_recorded_and_retried_on_the_next_run(tmp_path, monkeypatch):
    store = tmp_path / "store"
    count_runs(monkeypatch, fail_seed=2)
    first = sweep(tiny(), DESIGN, replications=2, store=store)
    assert first.runs["error"].notna().tolist() == [False, True] * 4
    assert first.runs["error"].dropna().eq("RuntimeError: seed 2 fails").all()
    assert len(list((store / "runs").glob("*.failed.parquet"))) == 4
    assert len(list((store / "daily").iterdir())) == 4
    calls = count_runs(monkeypatch)
    second = sweep(tiny(), DESIGN, replications=2, store=store)
    assert calls == [2, 2, 2, 2], "only the failed runs are redone"
    assert second.runs["error"].isna().all()
    assert not list((store / "runs").glob("*.failed.parquet"))
    assert_same(second, sweep(tiny(), DESIGN, replications=2))


SCRIPT = textwrap.dedent(
    """
    import sys
    import time

    import simulation.experiment.executors as executors
    from simulation import Grid, sweep
    from tests.experiment_support import tiny

    real = executors.run_one

    def slow(*args, **kwargs):  # slow enough to be killed part way through
        time.sleep(0.3)
        return real(*args, **kwargs)

    executors.run_one = slow
    sweep(tiny(), Grid({"staffing.operators": [1, 2, 3, 4]}), replications=3, store=sys.argv[1])
    """
)


def test_a_killed_sweep_resumes_and_matches_an_uninterrupted_one(tmp_path, monkeypatch):
    store = tmp_path / "store"
    script = tmp_path / "interrupted_sweep.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, str(script), str(store)], cwd=REPO, env=env)
    runs_dir = store / "runs"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if runs_dir.is_dir() and len(list(runs_dir.glob("p*.parquet"))) >= 3:
                break
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the sweep finished before it was killed"
    stored = sorted(p.name for p in runs_dir.glob("p*.parquet"))
    assert 3 <= len(stored) < 12, stored
    # What a kill between two renames or during a write leaves behind.
    (runs_dir / stored[-1]).unlink()  # a daily part whose runs part never came
    (runs_dir / f".{stored[0]}.999.tmp").write_bytes(b"half a parquet file")
    assert (store / "daily" / stored[-1]).exists()

    calls = count_runs(monkeypatch)
    resumed = sweep(tiny(), DESIGN, replications=3, store=store)
    assert len(calls) == 12 - (len(stored) - 1), "finished runs must not be redone"
    keys = list(zip(resumed.runs["point"], resumed.runs["replication"], strict=True))
    assert sorted(keys) == [(p, r) for p in range(4) for r in range(3)], "each run once"
    assert not [p.name for p in runs_dir.iterdir() if p.name.startswith(".")]
    assert_same(resumed, sweep(tiny(), DESIGN, replications=3))
