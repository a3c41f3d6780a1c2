"""Staffing: how many operators, how skilled — and where adding staff stops helping.

The study blames low response efficiency partly on too few staff and operators without
media literacy. With a response process in place (closed_loop: triage, referral,
tracking), this script sweeps a full grid of operators on duty x mean operator skill
and reports, per skill level, the smallest number of operators whose 90th-percentile
response time is within --within per cent of the best on that row: beyond it, more
operators buy little, because what remains is the departments' time and office hours.
Extra operators do not turn spare time into anything else: each spends a fixed share of
on-duty time on releases (`mechanism.release_time_share`), so releases grow in
proportion to the operators on duty, and capacity beyond what the inbox needs idles
(operator utilisation falls).

    python experiments/staffing.py                      # full: 6 x 4 grid x 3 seeds
    python experiments/staffing.py --jobs 2
    python experiments/staffing.py --operators 1-8 --skills 0.3,0.6,0.9 --within 5
    python experiments/staffing.py --smoke              # tiny, seconds (for tests)

Outputs (default out/experiments/staffing/): report.md, summary.csv (every grid point:
mean and CI per metric), saturation.csv, runs.csv, heatmap_p90_response_hours.png,
heatmap_mean_trust.png, heatmap_response_rate.png, heatmap_staff_hours.png.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import (  # noqa: E402
    Experiment,
    difference,
    estimate,
    float_list,
    int_list,
    parse_args,
    summary_cells,
)

from simulation.experiment import (  # noqa: E402
    plots,
    stats,
    sweep,  # noqa: E402
)
from simulation.experiment.designs import Grid  # noqa: E402
from simulation.format import metric_text  # noqa: E402

OPERATORS = "staffing.operators"
SKILL = "staffing.skill_mean"
METRICS = (
    "p90_response_hours",
    "median_response_hours",
    "mean_trust",
    "response_rate",
    "resolution_rate",
    "one_sided_share",
    "staff_hours",
)
HEATMAPS = ("p90_response_hours", "mean_trust", "response_rate", "staff_hours")

FULL = {
    "replications": 10,  # paired intervals over 4 skill levels are backed from 5 pairs on
    "days": 30,
    "citizens": None,
    "scenario": "closed_loop",
    "operators": [1, 2, 3, 4, 5, 6],
    "skills": [0.3, 0.5, 0.7, 0.9],
    "within": 10.0,
}
SMOKE = {
    "replications": 2,
    "days": 3,
    "citizens": 400,
    "scenario": "closed_loop",
    "operators": [1, 3],
    "skills": [0.4, 0.8],
    "within": 10.0,
}


def add_options(parser) -> None:
    parser.add_argument("--scenario", default=None, help="base scenario (default closed_loop)")
    parser.add_argument(
        "--operators", type=int_list, default=None, help="operators on duty, e.g. 1-6 or 1,2,4"
    )
    parser.add_argument(
        "--skills", type=float_list, default=None, help="mean operator skill, e.g. 0.3,0.5,0.7"
    )
    parser.add_argument(
        "--within",
        type=float,
        default=None,
        help="per cent of the best p90 counted as 'as good' (default 10)",
    )


def saturation(runs: pd.DataFrame, within: float) -> pd.DataFrame:
    """Per skill level: the best mean p90, and the fewest operators within `within` % of it.

    The paired difference (same seeds) between that count and the best count says how
    sure the data are that the two differ; its intervals are simultaneous over the skill
    levels (Bonferroni).
    """
    ok = runs[runs["error"].isna()]
    levels = ok[SKILL].nunique()
    rows = []
    for skill, group in ok.groupby(SKILL, sort=True):
        means = group.groupby(OPERATORS)["p90_response_hours"].mean().dropna()
        if means.empty:
            rows.append({SKILL: skill})
            continue
        best_ops = int(means.idxmin())
        best = float(means.min())
        enough = int(min(k for k, v in means.items() if v <= best * (1 + within / 100)))
        by_ops = group.set_index([OPERATORS, "replication"])["p90_response_hours"]
        a, b = by_ops.loc[enough], by_ops.loc[best_ops]
        common = a.index.intersection(b.index)
        d = stats.paired_difference(
            a.loc[common].to_numpy(dtype=float), b.loc[common].to_numpy(dtype=float), tests=levels
        )
        fewest = int(means.index.min())
        rows.append(
            {
                SKILL: skill,
                "best_operators": best_ops,
                "best_p90": best,
                "enough_operators": enough,
                "enough_p90": float(means[enough]),
                "diff_vs_best": d["diff"],
                "diff_ci_low": d["diff_ci_low"],
                "diff_ci_high": d["diff_ci_high"],
                "p_value": d["p_value"],
                "fewest_operators": fewest,
                "fewest_p90": float(means[fewest]),
            }
        )
    return pd.DataFrame(rows)


def _operators(count) -> str:
    return f"{int(count)} operator{'s' if int(count) != 1 else ''}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, __doc__, FULL, SMOKE, add_options)
    exp = Experiment(
        "staffing",
        args,
        title="Staffing: operators on duty x operator skill",
        question=(
            f"With a response process in place (`{args.scenario}`), what do more operators "
            "on duty and more skilled operators buy in response time, answers and trust, "
            "and from how many operators on does adding staff stop shortening the slowest "
            "replies? A full grid: operators "
            f"{', '.join(map(str, args.operators))} x mean skill "
            f"{', '.join(f'{s:g}' for s in args.skills)}."
        ),
    )
    exp.method = (
        "Intervals of means are 95 % Student t intervals over replications; differences "
        "between operator counts are paired by seed (common random numbers across the "
        "grid), with paired t intervals simultaneous over the skill levels (Bonferroni: "
        "each at 1 − 0.05/m, m the skill levels). Their coverage: "
        "`simulation.experiment.stats`."
    )
    design = Grid({OPERATORS: args.operators, SKILL: args.skills})
    results = exp.counted(sweep(exp.scenario(args.scenario), design, **exp.sweep_options("grid")))
    summary = results.summary(list(METRICS))
    exp.table(summary, "summary", "every grid point and metric: n, mean, median, sd, CI")
    exp.table(results.runs, "runs", "one row per run")
    for metric in HEATMAPS:
        exp.figure(
            plots.heatmap(results.runs, OPERATORS, SKILL, metric),
            f"heatmap_{metric}",
            f"{metric} over the grid (mean over replications)",
        )
    table = saturation(results.runs, args.within)
    exp.check_pairs(args.replications, tests=len(args.skills))
    exp.table(table, "saturation", f"per skill level: fewest operators within {args.within:g} %")

    report = exp.report
    report.section("Where adding operators stops helping")
    report.paragraph(
        f"Per skill level: the operator count with the lowest mean p90 response time, and "
        f"the smallest count whose mean p90 is within {args.within:g} % of it (computed "
        "from the means over replications). The last column is the paired difference "
        "(same seeds) between the two counts with its 95 % simultaneous interval over "
        "the skill levels (Bonferroni)."
    )
    report.paragraph(
        "What extra operators do with time the inbox does not need: nothing. Each "
        "operator spends a fixed share of on-duty time on releases "
        "(`mechanism.release_time_share`), so releases grow in proportion to the operators "
        "on duty; the rest of the spare capacity idles, and operator utilisation falls. "
        "Each operator draws skill and decisions from streams of their own, so with the "
        "same seed the operators of a smaller count keep their skills and random draws in "
        "a larger one: counts are compared with the same people, plus the new ones."
    )
    metric = "p90_response_hours"
    p90 = summary[summary["metric"] == metric].set_index([OPERATORS, SKILL])

    def p90_at(operators: int, skill: float) -> str:
        r = p90.loc[(operators, skill)]
        return estimate(metric, r["mean"], r["ci_low"], r["ci_high"])

    lines, cells = [], []
    top = max(args.operators)
    for row in table.to_dict("records"):
        skill = row[SKILL]
        if "best_operators" not in row or pd.isna(row.get("best_operators")):
            lines.append(f"Skill {skill:g}: no replies, so no p90 response time.")
            continue
        enough, best = int(row["enough_operators"]), int(row["best_operators"])
        fewest = int(row["fewest_operators"])
        diff = difference(metric, row["diff_vs_best"], row["diff_ci_low"], row["diff_ci_high"])
        cells.append(
            {
                "mean skill": f"{skill:g}",
                "best count": str(best),
                "its p90 [CI]": p90_at(best, skill),
                f"fewest within {args.within:g} %": str(enough),
                "their p90 [CI]": p90_at(enough, skill),
                "difference [CI]": diff if enough != best else "–",
            }
        )
        if enough == best:
            tail = (
                "more operators kept shortening it up to the largest count tried "
                f"({top}), so this grid does not show where it stops"
                if best == top
                else "the fewest tried: more operators did not shorten it"
                if best == fewest
                else f"no smaller count comes within {args.within:g} % of it"
            )
            lines.append(f"Skill {skill:g}: p90 is lowest with {_operators(best)}; {tail}.")
            continue
        if enough == fewest:
            verb = "comes" if int(fewest) == 1 else "come"
            start_text = f"even {_operators(fewest)}, the fewest tried, {verb}"
        else:
            start_text = (
                f"going from {fewest} to {enough} operators shortens p90 by "
                f"{metric_text(metric, row['fewest_p90'] - row['enough_p90'])}; {enough} come"
            )
        excludes_zero = stats.row_decision(row) != "unclear"
        rest = (
            f"the further gain up to {best} ({diff}, paired by seed) has a simultaneous "
            "interval that excludes zero"
            if excludes_zero
            else f"the data cannot tell {enough} from {best} apart ({diff}, paired by seed)"
        )
        lines.append(
            f"Skill {skill:g}: {start_text} within {args.within:g} % of the lowest p90 "
            f"(at {best}); {rest}."
        )
    if cells:
        report.table(pd.DataFrame(cells))
    report.bullets(lines)

    report.section("Every grid point")
    report.paragraph("Mean over replications [95 % t interval].")
    shown = ["p90_response_hours", "mean_trust", "response_rate", "resolution_rate", "staff_hours"]
    wide = summary_cells(summary[summary["metric"].isin(shown)], ["point", OPERATORS, SKILL])
    report.table(wide.drop(columns=["point"]))

    report.section("Skill against staff")
    trust = summary[summary["metric"] == "mean_trust"]
    if len(trust) and trust["mean"].notna().any():
        top = trust.loc[trust["mean"].idxmax()]
        low = trust.loc[trust["mean"].idxmin()]
        report.paragraph(
            f"Mean trust ranges from {estimate('mean_trust', low['mean'], low['ci_low'], low['ci_high'])} "
            f"({_operators(low[OPERATORS])}, skill {low[SKILL]:g}) to "
            f"{estimate('mean_trust', top['mean'], top['ci_low'], top['ci_high'])} "
            f"({_operators(top[OPERATORS])}, skill {top[SKILL]:g})."
        )
    p90 = p90["mean"]
    if p90.notna().sum() >= 4:
        spread_skill = np.nanmean(
            [
                p90.xs(k, level=OPERATORS).max() - p90.xs(k, level=OPERATORS).min()
                for k in args.operators
            ]
        )
        spread_ops = np.nanmean(
            [p90.xs(s, level=SKILL).max() - p90.xs(s, level=SKILL).min() for s in args.skills]
        )
        stronger = "the number of operators" if spread_ops > spread_skill else "operator skill"
        report.paragraph(
            f"Averaged over the grid, p90 varies by {metric_text(metric, spread_ops)} across operator "
            f"counts at a fixed skill and by {metric_text(metric, spread_skill)} across skill levels "
            f"at a fixed count: over these ranges {stronger} moves the slowest replies more."
        )
    report.section(
        "Figures",
        "\n\n".join(f"![{m.replace('_', ' ')}](heatmap_{m}.png)" for m in HEATMAPS),
    )
    exp.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
