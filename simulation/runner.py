"""Runs are pure functions: `run_one(scenario, seed)` → RunResult.

Everything else (replications, comparisons, sweeps, executors) composes this function,
so the same scenario and seed give identical numbers wherever they run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from simulation.codes import PROVENANCE_KEYS
from simulation.format import (
    ALL_UNITS,
    UNIT_SUMMARY_METRICS,
    json_record,
    json_text,
    unit_metric,
)
from simulation.graph_cache import GraphCache
from simulation.metrics import item_table
from simulation.model import GovernmentResponseModel
from simulation.safe_write import OutputDir
from simulation.scenario import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class RunResult:
    """Outputs of one run: summary metrics, daily series, item table, provenance.

    `items` has one row per item (`simulation.metrics.ITEM_COLUMNS`): when each was
    posted, received, first served and replied to, how, and by whom (None where an
    experiment did not keep it). A scenario that declares accounts also has
    `daily_accounts`, the long daily table by account and platform
    (`simulation.metrics.UnitMetrics.long_frame`; None otherwise). In experiments a result also carries its `key`
    (scenario or design point, replication) and, for a run that raised, its `error`
    ("Type: message") with an empty summary and daily series.
    """

    summary: dict[str, float]
    daily: pd.DataFrame
    provenance: dict[str, object] = field(default_factory=dict)
    items: pd.DataFrame | None = None
    key: tuple[int, int] | None = None
    error: str | None = None
    daily_accounts: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        """Whether the run finished."""
        return self.error is None

    @classmethod
    def failure(cls, key: tuple[int, int] | None, error: str) -> RunResult:
        """The result of a run that raised `error`."""
        return cls(summary={}, daily=pd.DataFrame(), key=key, error=error)

    def plot(self, path: str | Path | None = None) -> Figure:
        """The run's daily series as a figure: requests and replies, backlogs, trust.

        The figure `microgov run` writes as daily.png
        (`simulation.experiment.plots.run_daily`); in a notebook it shows inline, and
        `path` also saves it.
        """
        from simulation.experiment.plots import run_daily  # matplotlib: only when drawing

        if not self.ok:
            raise ValueError(f"run {self.key} failed ({self.error}); it has no daily series")
        return run_daily(self.daily, path=path, accounts=self.daily_accounts)

    def summary_record(self) -> dict[str, object]:
        """Provenance and summary metrics in one flat record."""
        return {**self.provenance, **self.summary}

    def nested_summary(self) -> dict[str, object]:
        """`summary_record` with, for a scenario that declares accounts, its units nested.

        The flat `<metric>@<unit>` keys stay (comparisons and sweeps name them); beside
        them `accounts` and `platforms` map each account's and platform's name to its
        metrics (`{"accounts": {"wechat_city": {"response_rate": …}}}`).
        """
        record: dict[str, object] = json_record(self.summary_record())
        if self.daily_accounts is None:
            return record
        for group, column in (("accounts", "account"), ("platforms", "platform")):
            rows = self.daily_accounts[column]
            names = [n for n in dict.fromkeys(rows.astype(str)) if n != ALL_UNITS]
            record[group] = {
                name: json_record(
                    {
                        metric: self.summary[unit_metric(metric, name)]
                        for metric in UNIT_SUMMARY_METRICS
                    }
                )
                for name in names
            }
        return record

    def write(self, out_dir: str | Path | OutputDir, series_format: str = "csv") -> dict[str, Path]:
        """Write summary.json, daily.csv and items.csv (or .parquet) into `out_dir`.

        A scenario that declares accounts also gets daily_accounts.csv (or .parquet), and
        its summary.json nests each account's and platform's metrics (`nested_summary`).
        Each file is replaced atomically and only inside `out_dir` (`simulation.safe_write`).
        """
        if series_format not in ("csv", "parquet"):
            raise ValueError(f"unknown series format '{series_format}'; use 'csv' or 'parquet'")
        out = out_dir if isinstance(out_dir, OutputDir) else OutputDir(out_dir)
        # Strict JSON: an undefined metric (no replies, no ratings) is null, counts are ints.
        summary = json_text(self.nested_summary())
        written = {"summary": out.write_text("summary.json", summary)}
        tables = {"daily": self.daily, "items": self.items, "daily_accounts": self.daily_accounts}
        for name, table in tables.items():
            if table is not None:
                written[name] = out.write_frame(f"{name}.{series_format}", table, series_format)
        return written


def run_one(
    scenario: Scenario,
    seed: int | None = None,
    days: int | None = None,
    progress: Callable[[int], None] | None = None,
    graph_cache: GraphCache | None = None,
) -> RunResult:
    """Run one scenario with one seed and return its results. Pure: no global state.

    `graph_cache`: reuse follower graphs built by earlier runs with the same seed and
    graph settings (`simulation.graph_cache`); the results are the same without it.
    """
    model = GovernmentResponseModel(scenario, seed=seed, days=days, graph_cache=graph_cache)
    model.run(progress=progress)
    return result_of(model)


def result_of(model: GovernmentResponseModel) -> RunResult:
    """Results of a model that has run (or is part way through)."""
    provenance = model.provenance()
    daily = model.metrics.daily_frame()
    for key in reversed(PROVENANCE_KEYS):
        daily.insert(0, key, provenance[key])
    units = model.metrics.units
    daily_accounts = None
    if units is not None:
        daily_accounts = units.long_frame(daily, model.metrics.platforms)
        for key in reversed(PROVENANCE_KEYS):
            daily_accounts.insert(0, key, provenance[key])
    return RunResult(
        summary=model.summary(),
        daily=daily,
        provenance=provenance,
        items=item_table(model.items, model.scenario.topics, model.plans),
        daily_accounts=daily_accounts,
    )
