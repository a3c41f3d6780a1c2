"""Shocks: a pension-policy burst and a rumour crisis, met reactively or proactively.

Two environment shocks from the bundled scenarios: `pension_policy_shock` (pension
consultations x5 for a week from day 7) and `rumour_crisis` (two waves of pension
rumours started by opinion leaders, days 3 and 10, Thursday 21:00). Each runs under the
`reactive` mechanism (operators reply to what they can, nothing referred, no
monitoring) and the `proactive` one (joint closed loop plus opinion monitoring,
visibility-first queue, rumour clarification), on common seeds. The script shows the
daily series around each shock (backlog, p90 response time of the day's replies,
negative impressions, trust) and compares the two mechanisms over the whole run and
over the shock's own days.

    python experiments/shocks.py                 # full: 2 shocks x 2 mechanisms x 10 seeds
    python experiments/shocks.py --jobs 2
    python experiments/shocks.py --smoke         # tiny, seconds (for tests)

Outputs (default out/experiments/shocks/): report.md, comparison.csv (proactive against
reactive, per shock, whole run), windows.csv (per-run measures around the shock),
window_comparison.csv, runs.csv, daily.csv, and per shock <shock>_<series>.png.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import (  # noqa: E402
    Experiment,
    comparison_cells,
    difference,
    direction_sentence,
    estimate,
    parse_args,
    tests_in,
)

from simulation.experiment import (  # noqa: E402
    compare,  # noqa: E402
    plots,
    stats,
)

SHOCKS = ("pension_policy_shock", "rumour_crisis")
MECHANISMS = ("reactive", "proactive")
METRICS = (
    "response_rate",
    "median_response_hours",
    "p90_response_hours",
    "resolution_rate",
    "abandonment_rate",
    "negative_impressions",
    "largest_cascade",
    "mean_trust",
)
SERIES = (
    "backlog_operators",
    "backlog_departments",
    "p90_response_hours",
    "negative_impressions",
    "mean_trust",
)
# Measures of each run around its shock (see `window_measures`), with their units.
WINDOW = {
    "peak_backlog": (
        "backlog_operators",
        "peak backlog (operators + departments) from the shock on",
    ),
    "recovery_days": ("", "days from the shock's end until the backlog is back to normal"),
    "shock_p90_hours": ("p90_response_hours", "mean daily p90 response time during the shock"),
    "shock_negative_impressions": (
        "negative_impressions",
        "negative impressions from the shock's start to the end of the run",
    ),
    "trust_change": ("mean_trust", "mean trust at the end minus the day before the shock"),
}
RECOVERY_TOLERANCE = 1.2  # backlog "back to normal": at most 1.2 x the pre-shock mean + 1

FULL = {"replications": 10, "days": 30, "citizens": None}
SMOKE = {"replications": 2, "days": 8, "citizens": 300}  # the pension burst starts on day 7


def shock_window(scenario, days: int) -> tuple[float, float, list[tuple[str, float, float]]]:
    """(onset day, end day, events as (kind, start, end)) from a scenario's events."""
    events = []
    for event in scenario.events:
        if event.type == "burst":
            events.append(("burst", event.start_day, event.start_day + event.duration_days))
        else:
            events.append(("rumour", event.day, event.day + 1.0))
    if not events:
        return (0.0, 0.0, [])
    onset = min(start for _, start, _ in events)
    end = max(stop for _, _, stop in events)
    return (onset, min(end, float(days)), events)


def window_measures(daily: pd.DataFrame, onset: float, end: float) -> pd.DataFrame:
    """Per run: peak backlog, recovery, p90 during the shock, exposure, trust change."""
    rows = []
    first, last = math.floor(onset), math.ceil(end)
    for (scenario, replication), run in daily.groupby(["scenario", "replication"], sort=False):
        run = run.sort_values("day")
        day = run["day"].to_numpy()
        backlog = (run["backlog_operators"] + run["backlog_departments"]).to_numpy(dtype=float)
        before = day < first
        after = day >= first
        during = after & (day < last)
        normal = np.nanmean(backlog[before]) if before.any() else np.nan
        recovered = np.flatnonzero((day >= last) & (backlog <= RECOVERY_TOLERANCE * normal + 1.0))
        trust = run["mean_trust"].to_numpy(dtype=float)
        rows.append(
            {
                "scenario": scenario,
                "replication": replication,
                "peak_backlog": np.nanmax(backlog[after]) if after.any() else np.nan,
                "recovery_days": float(day[recovered[0]] - last + 1) if len(recovered) else np.nan,
                "shock_p90_hours": _nanmean(run["p90_response_hours"].to_numpy(float)[during]),
                "shock_negative_impressions": float(
                    run["negative_impressions"].to_numpy(float)[after].sum()
                ),
                "trust_change": float(trust[-1] - trust[before][-1]) if before.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _nanmean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else math.nan


def compare_windows(measures: pd.DataFrame, baseline: str, other: str) -> pd.DataFrame:
    """Each window measure: both mechanisms' means and the paired difference, with
    simultaneous (Bonferroni) intervals over the measures."""
    rows = []
    a = measures[measures["scenario"] == other].set_index("replication")
    b = measures[measures["scenario"] == baseline].set_index("replication")
    common = a.index.intersection(b.index)
    family = stats.paired_family(
        [
            (
                a.loc[common, measure].to_numpy(dtype=float),
                b.loc[common, measure].to_numpy(dtype=float),
            )
            for measure in WINDOW
        ]
    )
    for measure, paired in zip(WINDOW, family, strict=True):
        row = {"measure": measure}
        for name, frame in ((baseline, b), (other, a)):
            described = stats.describe(frame[measure].to_numpy(dtype=float))
            row.update({f"{name}_{k}": described[k] for k in ("n", "mean", "ci_low", "ci_high")})
        row.update(paired)
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, __doc__, FULL, SMOKE)
    exp = Experiment(
        "shocks",
        args,
        title="Shocks: a pension-policy burst and a rumour crisis, reactive or proactive",
        question=(
            "How does the account cope with a week of five times the pension consultations, "
            "and with two waves of rumours spread by opinion leaders — and what does a "
            "proactive mechanism (monitoring, most visible first, clarifications, joint "
            "closed loop) change against a reactive one? Both mechanisms meet the same "
            "shock on the same seeds."
        ),
    )
    all_tables, all_runs, all_daily, all_windows, all_window_tables = [], [], [], [], []
    for shock in SHOCKS:
        scenarios = [
            exp.scenario(shock, **{"name": mechanism, "mechanism.preset": mechanism})
            for mechanism in MECHANISMS
        ]
        comparison = exp.counted(
            compare(scenarios, baseline=MECHANISMS[0], metrics=list(METRICS), **exp.run_options())
        )
        results = comparison.results
        days = args.days or scenarios[0].run.days
        onset, end, events = shock_window(scenarios[0], days)
        daily = results.daily
        measures = window_measures(daily, onset, end)
        windows = compare_windows(measures, MECHANISMS[0], MECHANISMS[1])
        for frame, into in (
            (comparison.table, all_tables),
            (results.runs, all_runs),
            (daily, all_daily),
            (measures, all_windows),
            (windows, all_window_tables),
        ):
            into.append(frame.assign(shock=shock))
        for series in SERIES:
            fig = plots.daily_series(
                daily,
                series,
                order=list(MECHANISMS),
                title=f"{shock}: {series.replace('_', ' ')} per day (mean, 95 % CI)",
            )
            ax = fig.axes[0]
            for kind, start, stop in events:
                if kind == "burst":
                    ax.axvspan(start, stop, color="0.85", zorder=0, lw=0)
                else:
                    ax.axvline(start, color="0.5", ls=":", lw=1.2, zorder=0)
            exp.figure(fig, f"{shock}_{series}", f"{shock}: {series} per day, shock marked")
        report_shock(exp, shock, comparison, windows, events, onset, end)

    exp.table(pd.concat(all_tables), "comparison", "proactive against reactive, whole run")
    exp.table(pd.concat(all_window_tables), "window_comparison", "measures around the shock")
    exp.table(pd.concat(all_windows), "windows", "one row per run: measures around the shock")
    exp.table(pd.concat(all_runs), "runs", "one row per run")
    exp.table(pd.concat(all_daily), "daily", "one row per run-day")
    exp.finish()
    return 0


def report_shock(exp, shock, comparison, windows, events, onset, end) -> None:
    report = exp.report
    table = comparison.table
    described = "; ".join(
        f"{kind} from day {start:g} to {stop:g}"
        if kind == "burst"
        else f"rumour wave on day {start:g}"
        for kind, start, stop in events
    )
    report.section(f"{shock}")
    report.paragraph(
        f"Events: {described}. Figures shade a burst and mark each rumour wave with a dotted "
        "line; their bands are 95 % t intervals over the replications."
    )
    report.subsection("Whole run: proactive against reactive")
    report.paragraph(
        "Row `reactive`: mean [95 % CI]; row `proactive`: paired difference "
        f"[{stats.interval_label(0.95, tests_in(table))} interval], * its interval "
        "excludes 0 (significant)."
    )
    report.table(comparison_cells(table, METRICS, MECHANISMS[0]))
    report.bullets(
        [
            direction_sentence(table, metric, MECHANISMS[0], f"{metric.replace('_', ' ')}")
            for metric in ("p90_response_hours", "negative_impressions", "mean_trust")
        ]
    )
    for note in comparison.notes:
        exp.warn(note)
    report.subsection("Around the shock")
    report.paragraph(
        f"Per run, from the daily series (shock from day {math.floor(onset)} to day "
        f"{math.ceil(end)}): the peak backlog (items waiting for operators or at departments) "
        "from the shock on; days after the "
        f"shock until that backlog is back to at most {RECOVERY_TOLERANCE:g} x its "
        "pre-shock mean + 1 (missing if not within the run); the mean daily p90 response "
        "time during the shock; negative impressions from the shock on; mean trust at the "
        "end minus the day before. Mean [95 % CI] per mechanism; the difference is "
        "proactive − reactive paired by seed, with "
        f"{stats.interval_label(0.95, tests_in(windows))} intervals over these measures "
        "(* the interval excludes 0)."
    )
    cells, lines = [], []
    for row in windows.to_dict("records"):
        measure = row["measure"]
        metric = WINDOW[measure][0] or measure
        diff = difference(metric, row["diff"], row["diff_ci_low"], row["diff_ci_high"])
        found = stats.row_decision(row)
        star = " *" if found != "unclear" else ""
        cells.append(
            {
                "measure": WINDOW[measure][1],
                "reactive": _estimate(metric, row, "reactive"),
                "proactive": _estimate(metric, row, "proactive"),
                "difference": diff + star,
                "p_adj": "–" if pd.isna(row["p_adjusted"]) else f"{row['p_adjusted']:.2g}",
            }
        )
        if found != "unclear":
            lines.append(f"{WINDOW[measure][1]}: significantly {found} under proactive ({diff}).")
    report.table(pd.DataFrame(cells))
    unrecovered = {
        name: int(windows[f"{name}_n"].iloc[list(WINDOW).index("recovery_days")])
        for name in MECHANISMS
    }
    reps = exp.args.replications
    lost = [f"{name}: {reps - n} of {reps} runs" for name, n in unrecovered.items() if n < reps]
    if lost:
        report.paragraph(
            "Backlog not back to normal by the end of the run (no recovery day): "
            + "; ".join(lost)
            + "."
        )
    report.bullets(
        lines or ["No measure around the shock differs significantly between the mechanisms."]
    )
    report.paragraph(
        " ".join(
            f"![{shock} {series}]({shock}_{series}.png)"
            for series in ("backlog_operators", "negative_impressions", "mean_trust")
        )
    )


def _estimate(metric: str, row: dict, name: str) -> str:
    return estimate(metric, row[f"{name}_mean"], row[f"{name}_ci_low"], row[f"{name}_ci_high"])


if __name__ == "__main__":
    raise SystemExit(main())
