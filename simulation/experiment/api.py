"""Experiments: replications, comparisons and parameter sweeps built from `run_one`.

    from simulation import run, compare, sweep, Grid, LatinHypercube, Sobol, sobol_indices

    results = run("closed_loop", replications=10, days=14)      # Results
    results.summary(["response_rate"])                         # mean, sd, 95% CI
    comparison = compare(["baseline", "closed_loop"], jobs=2)  # paired, common seeds
    print(comparison)
    swept = sweep("baseline", Grid({"staffing.operators": [1, 2, 4]}), replications=5,
                  store="out/operators")                       # resumable
    indices = sobol_indices(sweep("baseline", Sobol({...}, samples=64)), "response_rate")

How seeds map to runs: replication i (0, 1, …) of every scenario and of every design
point runs with seed `seed + i`. Scenarios compared, and points of a sweep, therefore
share their random draws wherever they behave alike (common random numbers), and
`compare` pairs replication i of each scenario with replication i of the baseline.
Every run is the pure `run_one(variant, seed=seed + i, days=days)`; results are put in
order by (scenario or design point, replication), never by completion order, so every
executor (see `simulation.experiment.executors`) gives identical tables.

Results are tidy tables (`simulation.experiment.tables`): `Results.runs` has one row per run,
`Results.daily` one row per run-day. A run that raises is kept as a row with its error
text and no metrics; the others go on.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment import stats
from simulation.experiment.designs import (
    Design,
    Grid,
    LatinHypercube,
    Morris,
    Sobol,
    apply_points,
    design_from_dict,
)
from simulation.experiment.executors import RunTask, TaskOutcome, run_tasks
from simulation.experiment.store import MANIFEST, RunStore, StoreManifestError
from simulation.experiment.tables import (
    ERROR_COLUMN,
    assemble_daily,
    assemble_items,
    assemble_runs,
    metric_columns,
)
from simulation.format import number, readable
from simulation.scenario import Scenario, did_you_mean, load_scenario
from simulation.seeds import replication_seeds

__all__ = [
    "HEADLINE_METRICS",
    "Comparison",
    "Grid",
    "LatinHypercube",
    "Results",
    "Sobol",
    "SweepResults",
    "compare",
    "run",
    "sobol_indices",
    "sweep",
]

# What `compare` tests when no metrics are named: the study's outcomes, one or two per
# question. Every test added widens every interval of the table (Bonferroni over them all).
HEADLINE_METRICS = (
    "response_rate",
    "answered_within_deadline",
    "median_response_hours",
    "p90_response_hours",
    "resolution_rate",
    "one_sided_share",
    "abandonment_rate",
    "escalation_rate",
    "mean_trust",
    "satisfaction",
    "negative_impressions",
    "staff_hours",
)


# --------------------------------------------------------------------------- results


class Results:
    """Runs of one or more scenarios: one row per run and one row per run-day.

    Attributes:
        runs: scenario, scenario_hash, seed, version, replication, [point and parameter
            columns for sweeps], every summary metric, error (None if the run finished).
        daily: scenario, scenario_hash, seed, version, replication, [point and
            parameters], day, every daily column.
        items: one row per item of every run, with the same leading columns and then
            `simulation.metrics.ITEM_COLUMNS`, when the runs were asked to keep it
            (`keep_items=True`); otherwise None.
        replications, seed, days: how the runs were made (None if unknown).
    """

    def __init__(
        self,
        runs: pd.DataFrame,
        daily: pd.DataFrame,
        replications: int | None = None,
        seed: int | None = None,
        days: int | None = None,
        items: pd.DataFrame | None = None,
    ):
        self.runs = runs
        self.daily = daily
        self.items = items
        self.replications = replications
        self.seed = seed
        self.days = days

    @property
    def parameters(self) -> list[str]:
        """Parameter columns (dotted keys) of a sweep; empty otherwise."""
        return []

    @property
    def labels(self) -> list[str]:
        """Columns between `replication` and the metrics."""
        return []

    @property
    def metrics(self) -> list[str]:
        """Names of the summary metrics in `runs`."""
        return metric_columns(self.runs, self.labels)

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in run order."""
        return list(dict.fromkeys(self.runs["scenario"]))

    @property
    def failed(self) -> pd.DataFrame:
        """The rows of runs that raised, with their error."""
        return self.runs[self.runs[ERROR_COLUMN].notna()]

    def summary(self, metrics: list[str] | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Per scenario (and design point) and metric: n, mean, median, sd, t interval.

        Parameters:
            metrics: metric names (default: every summary metric).
            confidence: level of the Student t confidence interval of the mean (its
                coverage: `simulation.experiment.stats`).

        n counts the runs that finished and gave a number (failed runs and NaN values,
        e.g. a median response time when nothing was answered, are left out).
        """
        metrics = self._check_metrics(metrics)
        group_columns = ["scenario", *self.labels]
        rows = []
        for _, group in self._groups():
            ok = group[group[ERROR_COLUMN].isna()]
            first = group.iloc[0]
            for metric in metrics:
                values = ok[metric].to_numpy(dtype=float) if metric in ok else []
                rows.append(
                    {
                        **{c: first[c] for c in group_columns},
                        "metric": metric,
                        **stats.describe(values, confidence),
                    }
                )
        columns = [*group_columns, "metric", "n", "mean", "median", "sd", "ci_low", "ci_high"]
        return pd.DataFrame(rows, columns=columns)

    def _groups(self):
        return self.runs.groupby("scenario", sort=False)

    def _check_metrics(self, metrics: Sequence[str] | None) -> list[str]:
        known = self.metrics
        if metrics is None:
            return known
        if isinstance(metrics, str):
            metrics = [metrics]
        for name in metrics:
            if name not in known:
                raise ValueError(f"unknown metric '{name}'{did_you_mean(name, known)}")
        return list(metrics)

    def __repr__(self) -> str:
        failed = len(self.failed)
        return (
            f"{type(self).__name__}({len(self.scenarios)} scenario(s), {len(self.runs)} runs, "
            f"{failed} failed)"
        )


class SweepResults(Results):
    """Results of a sweep: `runs` and `daily` carry `point` and one column per parameter.

    Attributes (besides those of Results):
        design: the design swept.
        parameters: the design's dotted keys (columns of runs and daily).
        store: the store directory, if the sweep was stored.
        expected_runs: runs the sweep has when complete.
        notes: what opening the store did that a user should know (damaged parts set
            aside and run again), one sentence each.
    """

    def __init__(
        self,
        runs: pd.DataFrame,
        daily: pd.DataFrame,
        design: Design,
        replications: int | None = None,
        seed: int | None = None,
        days: int | None = None,
        store: Path | None = None,
        items: pd.DataFrame | None = None,
    ):
        super().__init__(runs, daily, replications, seed, days, items)
        self.design = design
        self.store = store
        self.expected_runs = len(design) * replications if replications else None
        self.notes: list[str] = []

    @property
    def parameters(self) -> list[str]:
        """The design's dotted keys."""
        return list(self.design.parameters)

    @property
    def labels(self) -> list[str]:
        """`point` and the parameters: the columns between replication and the metrics."""
        return ["point", *self.parameters]

    @property
    def complete(self) -> bool:
        """Whether every run of the sweep is there (finished or failed)."""
        return self.expected_runs is None or len(self.runs) == self.expected_runs

    def _groups(self):
        return self.runs.groupby("point", sort=False)

    @classmethod
    def load(cls, path: str | os.PathLike) -> SweepResults:
        """The results in a store directory written by `sweep(..., store=path)`.

        A store of an interrupted sweep loads what it holds (`complete` is False).
        """
        store = RunStore(path)
        manifest = store.manifest()
        try:
            design = design_from_dict(manifest["design"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreManifestError(
                str(Path(path) / MANIFEST), "design", f"is not a design microgov knows: {exc}"
            ) from None
        labels = ["point", *design.parameters]
        runs, daily = store.read()
        return cls(
            runs=assemble_runs([t for _, t in runs], labels),
            daily=assemble_daily([t for _, t in daily], labels),
            items=assemble_items([t for _, t in store.read_items()]),
            design=design,
            replications=manifest["replications"],
            seed=manifest["seed"],
            days=manifest["days"],
            store=Path(path),
        )


class Comparison:
    """Scenarios compared with a baseline, replication by replication.

    Attributes:
        results: the runs (Results).
        baseline: name of the baseline scenario.
        table: one row per (metric, scenario): scenario, metric, n, mean, ci_low,
            ci_high, diff, diff_ci_low, diff_ci_high, p_value, p_adjusted, significant,
            n_pairs, tests, interval_level. mean [ci_low, ci_high] is each scenario's
            mean with its t interval (not adjusted). diff is the mean paired difference
            scenario − baseline over replications run with the same seed; its interval
            is the paired t interval at interval_level = 1 − α/m, m = tests, the number
            of (scenario, metric) tests in the table (Bonferroni), so all of them hold
            together with probability 1 − α; p_value is the paired t test, p_adjusted
            min(1, m · p). significant is `stats.decision` of that interval (it
            excludes 0), the same as p_adjusted < α. Baseline rows have diff 0 and no
            test (NaN).
        confidence: the family's level; 1 − confidence is α.
        notes: warnings about the comparison (e.g. too few replications to back the
            intervals).
    """

    def __init__(
        self,
        results: Results,
        baseline: str,
        table: pd.DataFrame,
        confidence: float = 0.95,
        notes: list[str] | None = None,
    ):
        self.results = results
        self.baseline = baseline
        self.table = table
        self.confidence = confidence
        self.notes = list(notes or [])

    @classmethod
    def of(
        cls, results: Results, baseline: str, metrics: list[str], confidence: float = 0.95
    ) -> Comparison:
        """The comparison of runs already made (e.g. read back from runs.csv)."""
        table, notes = _comparison_table(results, baseline, metrics, confidence)
        return cls(results, baseline, table, confidence, notes)

    def _header(self) -> str:
        n_tests = int(self.table["p_value"].notna().sum())
        reps = self.results.replications
        seed = self.results.seed
        seeds = ""
        if reps and seed is not None:
            used = replication_seeds(seed, reps)
            seeds = f", seeds {used[0]}–{used[-1]}"
        return (
            f"Compared with '{self.baseline}' over {reps} paired replications{seeds}: mean "
            f"[{self.confidence:.0%} CI], paired difference "
            f"[{stats.interval_label(self.confidence, n_tests)}], paired t p Bonferroni-adjusted "
            f"over the same {n_tests} tests, * = the interval excludes 0 (p_adj < "
            f"{1 - self.confidence:.2g})"
        )

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        header = ["metric", "scenario", "n", "mean [CI]", "diff [CI]", "p_adj"]
        rows = []
        previous = None
        for row in self.table.itertuples(index=False):
            is_base = row.scenario == self.baseline
            rows.append(
                [
                    row.metric if row.metric != previous else "",
                    row.scenario,
                    str(row.n),
                    # readable: a count of thousands is 15,800, never 1.58e+04
                    f"{readable(row.mean)} [{readable(row.ci_low)}, {readable(row.ci_high)}]",
                    ""
                    if is_base
                    else f"{readable(row.diff, sign=True)} [{readable(row.diff_ci_low)}, "
                    f"{readable(row.diff_ci_high)}]",
                    ""
                    if is_base
                    else number(row.p_adjusted)
                    + (
                        " *"
                        if stats.decision(row.diff_ci_low, row.diff_ci_high) != "unclear"
                        else ""
                    ),
                ]
            )
            previous = row.metric
        return header, rows

    def __str__(self) -> str:
        header, rows = self._cells()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [self._header(), ""]
        lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        for r in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        lines.extend(f"Note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The comparison as a Markdown table, with its header line and notes."""
        header, rows = self._cells()
        lines = [self._header() + ".", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---", "---", "---:", "---:", "---:", "---:"]) + "|")
        for r in rows:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
        if self.notes:
            lines.append("")
            lines.extend(f"*Note:* {note}" for note in self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Comparison(baseline={self.baseline!r}, scenarios={self.results.scenarios}, "
            f"{self.table['metric'].nunique()} metrics)"
        )


# --------------------------------------------------------------------------- run


def run(
    scenario: Scenario | str,
    replications: int = 10,
    seed: int = 1,
    days: int | None = None,
    executor: str | object | None = None,
    jobs: int | None = None,
    progress: bool = False,
    keep_items: bool = False,
) -> Results:
    """Replications of one scenario.

    Parameters:
        scenario: a Scenario, a bundled scenario's name or a TOML file.
        replications: number of runs; replication i runs with seed `seed + i`.
        seed: seed of replication 0.
        days: length of each run (default: the scenario's run.days).
        executor, jobs: where the runs happen (see `simulation.experiment.executors`).
        progress: show a progress bar counting runs.
        keep_items: keep every run's item table in `Results.items` (off by default:
            at a million citizens it is a few hundred thousand rows a run).
    """
    scenarios = [_as_scenario(scenario)]
    return _run_scenarios(scenarios, replications, seed, days, executor, jobs, progress, keep_items)


def compare(
    scenarios: list[Scenario | str],
    baseline: str | None = None,
    replications: int = 10,
    seed: int = 1,
    days: int | None = None,
    executor: str | object | None = None,
    jobs: int | None = None,
    metrics: list[str] | None = None,
    confidence: float = 0.95,
    progress: bool = False,
    keep_items: bool = False,
    graph_cache: bool = True,
) -> Comparison:
    """Run scenarios on common seeds and compare each with a baseline.

    Parameters:
        scenarios: Scenarios, bundled scenario names or TOML files; their names must
            differ (rename a copy with `scenario.with_overrides({"name": "copy"})`).
        baseline: name of the scenario the others are compared with (default: the
            first).
        replications, seed, days, executor, jobs, progress: as for `run`; replication i
            of every scenario runs with seed `seed + i`.
        metrics: metrics to compare (default: HEADLINE_METRICS that the runs report).
            The Bonferroni adjustment runs over every (scenario, metric) test, so more
            metrics widen every interval and need more replications to show a
            difference.
        confidence: level of the intervals; the tests' α is 1 − confidence.
        keep_items: keep every run's item table (`comparison.results.items`).
        graph_cache: let scenarios whose follower graphs are the same (same seed and
            graph settings) share one graph per worker (`simulation.graph_cache`); the
            results are the same without it.
    """
    loaded = [_as_scenario(s) for s in scenarios]
    if not loaded:
        raise ValueError("compare needs at least one scenario")
    names = [s.name for s in loaded]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(
            f"scenario names must differ to tell the scenarios apart; {duplicates} appear "
            "more than once (rename one with scenario.with_overrides({'name': '…'}))"
        )
    baseline = names[0] if baseline is None else baseline
    if baseline not in names:
        raise ValueError(
            f"baseline '{baseline}' is not among the scenarios compared"
            f"{did_you_mean(baseline, names)}: {', '.join(names)}"
        )
    stats._check_confidence(confidence)
    _check_unit_metrics(metrics, loaded)  # before the runs, naming the scenarios' accounts
    results = _run_scenarios(
        loaded, replications, seed, days, executor, jobs, progress, keep_items, graph_cache
    )
    if metrics is None:
        metrics = [m for m in HEADLINE_METRICS if m in results.metrics]
    metrics = results._check_metrics(metrics)
    return Comparison.of(results, baseline, metrics, confidence)


def _comparison_table(
    results: Results, baseline: str, metrics: list[str], confidence: float
) -> tuple[pd.DataFrame, list[str]]:
    summary = results.summary(metrics, confidence).set_index(["scenario", "metric"])
    runs = results.runs.copy()
    for metric in metrics:
        runs.loc[runs[ERROR_COLUMN].notna(), metric] = np.nan
    by_replication = {
        name: group.set_index("replication") for name, group in runs.groupby("scenario")
    }
    base = by_replication[baseline]
    keys, pairs = [], []
    for metric in metrics:
        for name in results.scenarios:
            if name != baseline:
                other = by_replication[name]
                common = base.index.intersection(other.index)
                keys.append((name, metric))
                pairs.append(
                    (
                        other.loc[common, metric].to_numpy(dtype=float),
                        base.loc[common, metric].to_numpy(dtype=float),
                    )
                )
    tested = dict(zip(keys, stats.paired_family(pairs, confidence), strict=True))
    tests = next(iter(tested.values()))["tests"] if tested else 0
    rows = []
    for metric in metrics:
        for name in results.scenarios:
            described = summary.loc[(name, metric)]
            row = {
                "scenario": name,
                "metric": metric,
                **{k: described[k] for k in ("n", "mean", "ci_low", "ci_high")},
            }
            if name == baseline:
                row.update(
                    diff=0.0,
                    diff_ci_low=math.nan,
                    diff_ci_high=math.nan,
                    p_value=math.nan,
                    p_adjusted=math.nan,
                    significant=False,
                    n_pairs=int(described["n"]),
                    tests=tests,
                    interval_level=stats.family_level(confidence, tests),
                )
            else:
                row.update(tested[(name, metric)])
            rows.append(row)
    table = pd.DataFrame(rows)
    table["n"] = table["n"].astype(int)
    table["n_pairs"] = table["n_pairs"].astype(int)
    table["significant"] = table["significant"].astype(bool)
    table = table[COMPARISON_COLUMNS]
    return table, comparison_notes(table, baseline, confidence)


# The columns of a comparison table, in order (see `Comparison`).
COMPARISON_COLUMNS = [
    "scenario",
    "metric",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "p_adjusted",
    "significant",
    "n_pairs",
    "tests",
    "interval_level",
]


def comparison_notes(table: pd.DataFrame, baseline: str, confidence: float = 0.95) -> list[str]:
    """What a reader of a comparison table must know before reading it, one line each.

    Today: too few paired replications to back the intervals (`stats.too_few_pairs`),
    judged by the comparison with the fewest pairs.
    """
    compared = table[table["scenario"] != baseline]
    if compared.empty:
        return []
    tests = int(compared["p_value"].notna().sum()) or 1
    note = stats.too_few_pairs(int(compared["n_pairs"].min()), tests, confidence)
    return [note] if note else []


# --------------------------------------------------------------------------- sweep


def sweep(
    scenario: Scenario | str,
    design: Design,
    replications: int = 1,
    seed: int = 1,
    days: int | None = None,
    executor: str | object | None = None,
    jobs: int | None = None,
    store: str | os.PathLike | None = None,
    progress: bool = False,
    keep_items: bool = False,
    graph_cache: bool = True,
) -> SweepResults:
    """Run a scenario at every point of a design.

    Parameters:
        scenario: the base scenario (Scenario, bundled name or TOML file).
        design: a Grid, LatinHypercube or Sobol; its keys and every point's values are
            checked against the scenario before any run starts (ScenarioError).
        replications: runs per point; replication i of every point runs with seed
            `seed + i` (common random numbers across points).
        seed, days, executor, jobs, progress: as for `run`.
        store: a directory to write results to as runs complete (see
            `simulation.experiment.store`). Re-running the same sweep with the same store skips
            the runs already there and retries failed ones; another sweep is refused.
        keep_items: keep every run's item table (`SweepResults.items`), and in the
            store's `items/` folder; a store keeps them only if its sweep asked to.
        graph_cache: build each replication's follower graph once per worker and
            share it between the design points that do not change it
            (`simulation.graph_cache`); the results are the same without it.
    """
    base = _as_scenario(scenario)
    if not isinstance(design, Design):
        raise TypeError(
            f"design must be a Grid, LatinHypercube or Sobol, got {type(design).__name__}"
        )
    _check_counts(replications, seed)
    design.check(base)
    points = design.points()
    variants = apply_points(base, points)
    labels = ["point", *design.parameters]
    seeds = replication_seeds(seed, replications)
    tasks = {
        (i, r): RunTask(
            (i, r), variants[i], run_seed, days, keep_items, {"point": i, **points[i]}, graph_cache
        )
        for i in range(len(points))
        for r, run_seed in enumerate(seeds)
    }

    def tables_of(outcome: TaskOutcome):
        return outcome.runs, outcome.daily, outcome.items

    if store is None:
        collected: dict = {}
        run_tasks(
            list(tasks.values()),
            lambda outcome: collected.__setitem__(outcome.key, tables_of(outcome)),
            executor,
            jobs,
            progress,
            description=f"sweep {base.name}",
        )
        ordered = [collected[k] for k in sorted(collected)]
        return SweepResults(
            runs=assemble_runs([r for r, _, _ in ordered], labels),
            daily=assemble_daily([d for _, d, _ in ordered], labels),
            items=assemble_items([i for _, _, i in ordered]),
            design=design,
            replications=replications,
            seed=seed,
            days=days,
        )
    manifest = {
        "scenario": base.name,
        "scenario_hash": base.content_hash(),
        "design": design.to_dict(),
        "parameters": design.parameters,
        "points": points,
        "replications": replications,
        "seed": seed,
        "days": days,
        "runs": len(tasks),
    }
    if keep_items:
        manifest["items"] = True
    with RunStore.open(store, manifest, base.to_toml()) as run_store:
        done = run_store.completed()
        pending = [task for key, task in tasks.items() if key not in done]

        def store_one(outcome: TaskOutcome) -> None:
            run_store.write(outcome.key, *tables_of(outcome))

        described = f"sweep {base.name} ({len(done)} stored)" if done else f"sweep {base.name}"
        run_tasks(pending, store_one, executor, jobs, progress, description=described)
        results = SweepResults.load(store)
    results.notes = list(run_store.notes)
    return results


def sobol_indices(
    results: SweepResults, metric: str, confidence: float = 0.95, num_resamples: int = 1000
) -> pd.DataFrame:
    """First-order and total Sobol' indices of a metric over a Sobol sweep (SALib).

    Parameters:
        results: results of `sweep(..., Sobol(...))`, complete.
        metric: the summary metric to explain.
        confidence: level of the bootstrap intervals of the indices.
        num_resamples: bootstrap resamples for those intervals.

    The metric is first averaged over the replications of each design point. Returns
    one row per parameter: parameter, S1, S1_conf, ST, ST_conf (`*_conf` is the
    half-width of the interval), S1_warning and ST_warning (`stats.index_problem`: why
    an index cannot be read as a share of variance, '' when it can). Estimates are
    SALib's, not clipped: below `stats.SOBOL_MIN_SAMPLES` base samples they can be far
    outside [0, 1]; `sobol_warnings` says so in words.
    """
    design = getattr(results, "design", None)
    if not isinstance(design, Sobol):
        raise TypeError("sobol_indices needs the results of a sweep over a Sobol design")
    means = _point_means(results, metric, len(design), "Sobol indices")
    from SALib.analyze import sobol as sobol_analysis

    indices = sobol_analysis.analyze(
        design.problem,
        means.to_numpy(dtype=float),
        calc_second_order=False,
        num_resamples=num_resamples,
        conf_level=confidence,
        # SALib's Sobol analysis takes seed 0 (the designs' default) for "unseeded";
        # a generator of that seed is never taken so, and for other seeds draws the same.
        seed=np.random.default_rng(design.seed),
    )
    return pd.DataFrame(
        {
            "parameter": design.parameters,
            "S1": indices["S1"],
            "S1_conf": indices["S1_conf"],
            "ST": indices["ST"],
            "ST_conf": indices["ST_conf"],
            "S1_warning": [
                stats.index_problem(v, c)
                for v, c in zip(indices["S1"], indices["S1_conf"], strict=True)
            ],
            "ST_warning": [
                stats.index_problem(v, c)
                for v, c in zip(indices["ST"], indices["ST_conf"], strict=True)
            ],
        }
    )


def morris_indices(
    results: SweepResults, metric: str, confidence: float = 0.95, num_resamples: int = 1000
) -> pd.DataFrame:
    """Morris screening measures of a metric over a Morris sweep (SALib).

    Parameters:
        results: results of `sweep(..., Morris(...))`, complete.
        metric: the summary metric to screen.
        confidence: level of the bootstrap interval of mu*.
        num_resamples: bootstrap resamples for it.

    The metric is first averaged over the replications of each design point. Effects
    are per full range of a parameter (the metric's change when the parameter moves
    from its lower to its upper bound, estimated from steps of 2/3 of the range).
    Returns one row per parameter: parameter, mu_star (mean absolute elementary
    effect: how much it matters), mu_star_conf (half-width of its interval), mu (mean
    effect, signed: its direction if monotone), sigma (spread of the effects:
    interactions or non-linearity), mu_star_warning ('interval wider than the value'
    when mu* cannot be told from 0, `stats.index_problem`; '' otherwise).
    """
    design = getattr(results, "design", None)
    if not isinstance(design, Morris):
        raise TypeError("morris_indices needs the results of a sweep over a Morris design")
    means = _point_means(results, metric, len(design), "Morris measures")
    from SALib.analyze import morris as morris_analysis

    measures = morris_analysis.analyze(
        design.unit_problem,
        np.clip(design.unit_sample(), 0.0, 1.0),
        means.to_numpy(dtype=float),
        num_resamples=num_resamples,
        conf_level=confidence,
        num_levels=design.levels,
        seed=design.seed,
    )
    return pd.DataFrame(
        {
            "parameter": design.parameters,
            "mu_star": measures["mu_star"],
            "mu_star_conf": measures["mu_star_conf"],
            "mu": measures["mu"],
            "sigma": measures["sigma"],
            "mu_star_warning": [
                stats.index_problem(v, c, bounds=(0.0, math.inf), negligible=0.0)
                for v, c in zip(measures["mu_star"], measures["mu_star_conf"], strict=True)
            ],
        }
    )


MAX_NAMED = 4  # indices named in a warning line before "and k more"


def sobol_warnings(
    indices: pd.DataFrame, samples: int | None = None, metric: str | None = None
) -> list[str]:
    """What makes Sobol' indices unreliable, one line each (empty when nothing does).

    Parameters:
        indices: a table from `sobol_indices` (its S1_warning/ST_warning columns, or
            the rule `stats.index_problem` applied to S1/ST and their half-widths).
        samples: the design's base sample N, if known.
        metric: named in the lines.
    """
    of = f" of {metric}" if metric else ""
    lines = []
    if samples is not None and samples < stats.SOBOL_MIN_SAMPLES:
        lines.append(
            f"Sobol indices{of} rest on N = {samples} base samples, fewer than the "
            f"{stats.SOBOL_MIN_SAMPLES} at which their intervals get narrow (half-width "
            "below 0.1 on the Ishigami benchmark): read the intervals, not the estimates; "
            f"use N = {stats.SOBOL_MIN_SAMPLES} or more (--samples {stats.SOBOL_MIN_SAMPLES})"
        )
    flagged = []
    for row in indices.to_dict("records"):
        for order in ("S1", "ST"):
            problem = row.get(f"{order}_warning")
            if problem is None or (isinstance(problem, float) and math.isnan(problem)):
                problem = stats.index_problem(row[order], row.get(f"{order}_conf", math.nan))
            if problem:
                flagged.append(
                    f"{order} of {row['parameter']} {row[order]:.2f} ± "
                    f"{row.get(f'{order}_conf', math.nan):.2f} ({problem})"
                )
    if flagged:
        shown = "; ".join(flagged[:MAX_NAMED])
        more = f"; and {len(flagged) - MAX_NAMED} more" if len(flagged) > MAX_NAMED else ""
        lines.append(
            f"{len(flagged)} of {2 * len(indices)} Sobol indices{of} cannot be read as "
            f"shares of variance: {shown}{more}"
        )
    return lines


def morris_warnings(measures: pd.DataFrame, metric: str | None = None) -> list[str]:
    """One line naming the parameters whose mu* interval is as wide as mu* (if any)."""
    flagged = [
        f"{row['parameter']} {row['mu_star']:.3g} ± {row['mu_star_conf']:.3g}"
        for row in measures.to_dict("records")
        if stats.index_problem(
            row["mu_star"], row["mu_star_conf"], bounds=(0.0, math.inf), negligible=0.0
        )
    ]
    if not flagged:
        return []
    of = f" of {metric}" if metric else ""
    shown = "; ".join(flagged[:MAX_NAMED])
    more = f"; and {len(flagged) - MAX_NAMED} more" if len(flagged) > MAX_NAMED else ""
    return [
        f"{len(flagged)} of {len(measures)} Morris mu*{of} have an interval wider than the "
        f"value, so screening cannot tell them from 0: {shown}{more}; use more trajectories"
    ]


# --------------------------------------------------------------------------- helpers


def _point_means(results: SweepResults, metric: str, points: int, needed_by: str) -> pd.Series:
    """`metric` averaged over each design point's replications; every point must have one."""
    results._check_metrics([metric])
    ok = results.runs[results.runs[ERROR_COLUMN].isna()]
    means = ok.groupby("point")[metric].mean().reindex(range(points))
    missing = means.index[means.isna()].tolist()
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
        raise ValueError(
            f"{metric} is missing at {len(missing)} of {points} design points ({shown}): "
            f"failed runs, unfinished runs or NaN values; {needed_by} need every point"
        )
    return means


def _run_scenarios(
    scenarios: list[Scenario],
    replications: int,
    seed: int,
    days: int | None,
    executor: str | object | None,
    jobs: int | None,
    progress: bool,
    keep_items: bool = False,
    graph_cache: bool = True,
) -> Results:
    _check_counts(replications, seed)
    seeds = replication_seeds(seed, replications)
    tasks = {
        (i, r): RunTask((i, r), scenario, run_seed, days, keep_items, None, graph_cache)
        for i, scenario in enumerate(scenarios)
        for r, run_seed in enumerate(seeds)
    }
    collected: dict = {}

    def keep(outcome: TaskOutcome) -> None:
        collected[outcome.key] = (outcome.runs, outcome.daily, outcome.items)

    label = scenarios[0].name if len(scenarios) == 1 else f"{len(scenarios)} scenarios"
    run_tasks(list(tasks.values()), keep, executor, jobs, progress, description=label)
    ordered = [collected[k] for k in sorted(collected)]
    return Results(
        runs=assemble_runs([r for r, _, _ in ordered]),
        daily=assemble_daily([d for _, d, _ in ordered]),
        replications=replications,
        seed=seed,
        days=days,
        items=assemble_items([i for _, _, i in ordered]),
    )


def _check_unit_metrics(metrics: Sequence[str] | str | None, scenarios: list[Scenario]) -> None:
    """A ValueError for a metric name no run of `scenarios` will report, saying why.

    Names of one account or platform (`response_rate@wechat_city`) must name an
    account or platform of one of the scenarios (`simulation.format.NAMING_RULE`).
    """
    if metrics is None:
        return
    from simulation.accounts import unit_names
    from simulation.format import UNIT_SEPARATOR, metric_name_problem

    units = {s.name: unit_names(s) for s in scenarios}
    for name in [metrics] if isinstance(metrics, str) else metrics:
        if UNIT_SEPARATOR not in name:
            continue  # any summary column: checked against the runs' (did you mean)
        problem = metric_name_problem(name, units, counts=True)
        if problem:
            raise ValueError(problem)


def _as_scenario(scenario: Scenario | str | os.PathLike) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | os.PathLike):
        return load_scenario(scenario)
    raise TypeError(
        f"expected a Scenario, a bundled scenario name or a TOML file, got {type(scenario).__name__}"
    )


def _check_counts(replications: int, seed: int) -> None:
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications must be a positive integer, got {replications!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
