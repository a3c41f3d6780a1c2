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
from simulation.experiment.executors import RunOutcome
from simulation.scenario import Scenario

RUN_COLUMNS = (*PROVENANCE_KEYS, "replication")
ERROR_COLUMN = "error"
DAY_COLUMN = "day"


def run_tables(
    outcome: RunOutcome,
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
    row: dict[str, Any] = {
        "scenario": str(provenance.get("scenario", scenario.name)),
        "scenario_hash": str(provenance.get("scenario_hash") or scenario.content_hash()),
        "seed": int(provenance.get("seed", seed)),
        "version": str(provenance.get("version", __version__)),
        "replication": int(replication),
        **labels,
    }
    if outcome.summary is not None:
        row.update({name: float(value) for name, value in outcome.summary.items()})
    row[ERROR_COLUMN] = outcome.error
    runs = pa.Table.from_pylist([row])
    if outcome.daily is None:
        return runs, None
    daily = outcome.daily.copy()
    at = daily.columns.get_loc("version") + 1 if "version" in daily.columns else 0
    for offset, (name, value) in enumerate({"replication": int(replication), **labels}.items()):
        daily.insert(at + offset, name, pd.Series([value] * len(daily), dtype=object))
    table = pa.Table.from_pandas(daily, preserve_index=False)
    return runs, table.replace_schema_metadata(None)


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
