"""Tidy result tables of experiments: one row per run, one row per run-day.

Each finished run becomes two Arrow tables — a one-row table of its provenance, labels
(replication, design point, parameter values), summary metrics and error, and its daily
series with the same labels — by `run_tables`. `assemble_runs` and `assemble_daily`
concatenate such tables, given in the experiment's run order, into the pandas frames of
`Results`. The same tables are what a store writes to Parquet and reads back, so
results assembled from memory and from a store are identical.

Columns of the runs table: scenario, scenario_hash, seed, version, replication, then
the labels (for sweeps: point and one column per parameter, named by its dotted key),
then every summary metric, then error (None for a run that finished). A run that raised
has no metrics (NaN). The daily table has the same leading columns, then day and every
daily column.

The model's daily series has a column per event counter only for counters that were
touched in that run (a run without abandonments has no `abandonments` column); such a
missing counter is zero on every day, and `assemble_daily` fills it with 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulation import __version__
from simulation.codes import PROVENANCE_KEYS
from simulation.runner import RunResult
from simulation.scenario import Scenario

RUN_COLUMNS = (*PROVENANCE_KEYS, "replication")
ERROR_COLUMN = "error"
DAY_COLUMN = "day"


def run_tables(
    outcome: RunResult,
    scenario: Scenario,
    seed: int,
    replication: int,
    labels: Mapping[str, Any] | None = None,
) -> tuple[pa.Table, pa.Table | None]:
    """The runs row and the daily series (None for a failed run) of one outcome.

    Parameters:
        outcome: what the run produced.
        scenario: the scenario that ran (provenance of a run that failed before
            reporting its own).
        seed: the run's seed.
        replication: the replication number (0, 1, …) of the run.
        labels: extra columns, in order, e.g. {"point": 3, "staffing.operators": 2}.
    """
    labels = dict(labels or {})
    provenance = outcome.provenance
    run_seed = provenance.get("seed", seed)
    assert isinstance(run_seed, int)  # the model records its seed as an int
    row: dict[str, Any] = {
        "scenario": str(provenance.get("scenario", scenario.name)),
        "scenario_hash": str(provenance.get("scenario_hash") or scenario.content_hash()),
        "seed": run_seed,
        "version": str(provenance.get("version", __version__)),
        "replication": int(replication),
        **labels,
    }
    row.update({name: float(value) for name, value in outcome.summary.items()})
    row[ERROR_COLUMN] = outcome.error
    runs = pa.Table.from_pylist([row])
    if not outcome.ok:
        return runs, None
    return runs, _labelled(outcome.daily, {"replication": int(replication), **labels})


def item_tables(
    outcome: RunResult, replication: int, labels: Mapping[str, Any] | None = None
) -> pa.Table | None:
    """The item table of one run (None if the run failed or its items were not kept).

    Its leading columns are those of the daily table: provenance, replication, labels.
    """
    if not outcome.ok or outcome.items is None:
        return None
    items = outcome.items.copy()
    for offset, key in enumerate(PROVENANCE_KEYS):
        items.insert(offset, key, outcome.provenance[key])
    return _labelled(items, {"replication": int(replication), **(labels or {})})


def _labelled(frame: pd.DataFrame, labels: Mapping[str, Any]) -> pa.Table:
    """`frame` with label columns inserted after its provenance, as an Arrow table."""
    frame = frame.copy()
    at = frame.columns.get_loc("version") + 1 if "version" in frame.columns else 0
    for offset, (name, value) in enumerate(labels.items()):
        frame.insert(at + offset, name, pd.Series([value] * len(frame), dtype=object))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.replace_schema_metadata(None)


def assemble_items(tables: Sequence[pa.Table | None]) -> pd.DataFrame | None:
    """One frame of item rows, in the order given (None if no run kept its items)."""
    present = [t for t in tables if t is not None]
    if not present:
        return None
    return pa.concat_tables(present, promote_options="permissive").to_pandas()


def assemble_runs(tables: Sequence[pa.Table], labels: Sequence[str] = ()) -> pd.DataFrame:
    """One frame of runs rows, in the order given; columns in the documented order."""
    if not tables:
        return pd.DataFrame(columns=[*RUN_COLUMNS, *labels, ERROR_COLUMN])
    table = pa.concat_tables(
        [t.replace_schema_metadata(None) for t in tables], promote_options="permissive"
    )
    leading = [*RUN_COLUMNS, *labels]
    metrics = [c for c in table.column_names if c not in leading and c != ERROR_COLUMN]
    frame = table.select([*leading, *metrics, ERROR_COLUMN]).to_pandas()
    frame[ERROR_COLUMN] = pd.Series(
        [e if isinstance(e, str) else None for e in frame[ERROR_COLUMN]],
        dtype=object,
        index=frame.index,
    )
    return frame


def assemble_daily(tables: Sequence[pa.Table | None], labels: Sequence[str] = ()) -> pd.DataFrame:
    """One frame of daily rows, in the order given; missing counters filled with 0."""
    present = [t for t in tables if t is not None]
    if not present:
        return pd.DataFrame(columns=[*RUN_COLUMNS, *labels, DAY_COLUMN])
    columns: dict[str, None] = {}
    for table in present:
        columns.update(dict.fromkeys(table.column_names))
    filled = []
    for table in present:
        table = table.replace_schema_metadata(None)
        for name in columns:
            if name not in table.column_names:
                table = table.append_column(name, pa.array(np.zeros(len(table))))
        filled.append(table.select(list(columns)))
    return pa.concat_tables(filled, promote_options="permissive").to_pandas()


def metric_columns(runs: pd.DataFrame, labels: Sequence[str] = ()) -> list[str]:
    """Names of the summary-metric columns of a runs frame."""
    skip = {*RUN_COLUMNS, *labels, ERROR_COLUMN}
    return [c for c in runs.columns if c not in skip]
