"""Sensitivity: which environment parameters drive trust and the slowest replies?

Most of microgov's environment is assumption rather than measurement (how often
citizens need something, how patient they are, how readily posts are reposted, how
willing followers are to address the account, how hard their needs are, how many
accounts they follow). This script varies those parameters together over ranges around
their defaults with a Saltelli (Sobol) design and reports first-order (S1) and total
(ST) Sobol indices, with their bootstrap intervals, of mean trust at the end and of
the 90th-percentile response time: the share of each output's variance a parameter
explains alone (S1) and with its interactions (ST). A parameter with a large ST is one
whose assumed value matters for conclusions drawn from those outputs.

    python experiments/sensitivity.py                 # full: N = 32, 6 parameters, 256 runs
    python experiments/sensitivity.py --samples 64 --jobs 2
    python experiments/sensitivity.py --scenario closed_loop
    python experiments/sensitivity.py --smoke         # tiny, seconds (for tests)

The full mode runs smaller worlds than the bundled scenarios (5,000 citizens, 21 days)
to afford N (D + 2) = 256 runs in a few minutes; --citizens and --days change that.
With N = 32 the intervals are wide: read them before the point estimates.

Outputs (default out/experiments/sensitivity/): report.md, indices.csv (parameter,
metric, S1, S1_conf, ST, ST_conf), runs.csv, sensitivity_mean_trust.png,
sensitivity_p90_response_hours.png.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from _common import Experiment, parse_args  # noqa: E402

from simulation.experiment import (  # noqa: E402
    plots,  # noqa: E402
    sobol_indices,
    sweep,
)
from simulation.experiment.designs import Sobol  # noqa: E402
from simulation.format import metric_text  # noqa: E402

# Ranges around the defaults (default in brackets); each is an assumption to question.
RANGES = {
    "population.need_rate_per_day": (0.005, 0.02),  # [0.01] needs per citizen per day
    "population.patience_mean_hours": (24.0, 168.0),  # [72] one to seven days
    "diffusion.repost_probability": (0.002, 0.01),  # [0.005] per exposure
    "channels.address_base": (0.5, 0.95),  # [0.75] followers addressing the account
    "population.complexity_mean": (0.3, 0.6),  # [0.45] mean complexity of a need
    "network.mean_following": (10.0, 40.0),  # [20] accounts followed
}
METRICS = ("mean_trust", "p90_response_hours")

FULL = {
    "replications": 1,
    "days": 21,
    "citizens": 5000,
    "scenario": "baseline",
    "samples": 32,
    "design_seed": 0,
}
SMOKE = {
    "replications": 2,
    "days": 3,
    "citizens": 2000,
    "scenario": "baseline",
    "samples": 2,
    "design_seed": 0,
}


def add_options(parser) -> None:
    parser.add_argument("--scenario", default=None, help="base scenario (default baseline)")
    parser.add_argument(
        "--samples",
        type=int,
        default=None,
        help="Sobol base sample N (a power of 2); N (D+2) points",
    )
    parser.add_argument("--design-seed", type=int, default=None, help="seed of the Sobol sample")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, __doc__, FULL, SMOKE, add_options)
    exp = Experiment(
        "sensitivity",
        args,
        title="Sensitivity of trust and response time to the environment",
        question=(
            f"On `{args.scenario}`: how much of the variation in mean trust and in the 90th "
            "percentile of response time comes from each environment parameter, alone and "
            "through interactions? Parameters and ranges (uniform):"
        ),
    )
    exp.method = (
        "Sobol indices from SALib (`simulation.experiment.sobol_indices`), second order "
        "not computed; ± is the half-width of their 95 % bootstrap interval."
    )
    exp.report.bullets([f"`{key}`: {low:g} to {high:g}" for key, (low, high) in RANGES.items()])
    design = Sobol(RANGES, samples=args.samples, seed=args.design_seed)
    results = exp.counted(sweep(exp.scenario(args.scenario), design, **exp.run_options()))
    exp.table(results.runs, "runs", "one row per run, with the parameter values")

    frames = []
    report = exp.report
    report.section("What came out")
    report.paragraph(
        f"Sobol design with N = {args.samples} ({len(design)} points, "
        f"{args.replications} replication(s) each, outputs averaged over replications per "
        "point). S1: share of the output's variance a parameter explains alone; ST: "
        "alone and with interactions; ± the half-width of the 95 % bootstrap interval "
        "(SALib). With small N the intervals are wide and estimates can fall outside [0, 1]."
    )
    for metric in METRICS:
        try:
            indices = sobol_indices(results, metric)
        except ValueError as exc:
            report.paragraph(f"**{metric}**: indices could not be computed — {exc}.")
            continue
        frames.append(indices.assign(metric=metric))
        exp.figure(
            plots.sensitivity(indices, metric=metric),
            f"sensitivity_{metric}",
            f"Sobol S1 and ST of {metric}",
        )
        report.subsection(metric.replace("_", " "))
        report.paragraph(spread_text(results, metric))
        ranked = indices.sort_values("ST", ascending=False)
        report.table(
            pd.DataFrame(
                {
                    "parameter": ranked["parameter"],
                    "S1": [
                        f"{v:.2f} ± {c:.2f}"
                        for v, c in zip(ranked["S1"], ranked["S1_conf"], strict=True)
                    ],
                    "ST": [
                        f"{v:.2f} ± {c:.2f}"
                        for v, c in zip(ranked["ST"], ranked["ST_conf"], strict=True)
                    ],
                }
            )
        )
        report.bullets(interpret(ranked, metric))
        report.paragraph(f"![Sobol indices of {metric}](sensitivity_{metric}.png)")
    if frames:
        exp.table(pd.concat(frames, ignore_index=True), "indices", "S1, ST and their intervals")
    exp.finish()
    return 0


def spread_text(results, metric: str) -> str:
    """How the point means spread, and which parameter values go with the lowest tenth."""
    ok = results.runs[results.runs["error"].isna()]
    points = ok.groupby("point")[[metric, *RANGES]].mean().dropna(subset=[metric])
    values = points[metric]
    q10, q50, q90 = values.quantile([0.1, 0.5, 0.9])
    name = metric.replace("_", " ")
    text = (
        f"Across the {len(points)} design points, {name} (mean over each point's "
        f"replications) ranges from {metric_text(metric, values.min())} to "
        f"{metric_text(metric, values.max())}; 10th, 50th and 90th percentiles "
        f"{metric_text(metric, q10)}, {metric_text(metric, q50)}, {metric_text(metric, q90)}."
    )
    low = points[values <= q10]
    if len(low) and len(low) < len(points):
        rest = points.drop(low.index)
        shifts = []
        for key, (lo, hi) in RANGES.items():
            shift = (low[key].mean() - rest[key].mean()) / (hi - lo)
            shifts.append((abs(shift), key, low[key].mean(), rest[key].mean()))
        shifts.sort(reverse=True)
        described = "; ".join(f"`{key}` {a:.3g} against {b:.3g}" for _, key, a, b in shifts[:2])
        text += (
            f" The lowest tenth ({len(low)} points) differs most from the others in "
            f"(mean value there against elsewhere): {described}."
        )
    return text


def interpret(ranked: pd.DataFrame, metric: str) -> list[str]:
    """Sentences worded by the intervals: influential only when ST's interval excludes 0."""
    influential = ranked[ranked["ST"] - ranked["ST_conf"] > 0]
    unclear = ranked[~ranked.index.isin(influential.index)]
    name = metric.replace("_", " ")
    lines = []
    if len(influential):
        top = influential.iloc[0]
        lines.append(
            "Parameters whose total index is above zero beyond its interval: "
            + ", ".join(
                f"`{p}` (ST {st:.2f} ± {c:.2f})"
                for p, st, c in influential[["parameter", "ST", "ST_conf"]].itertuples(index=False)
            )
            + f". The largest is `{top['parameter']}`."
        )
        interacting = influential[
            (influential["ST"] - influential["S1"])
            > (influential["ST_conf"] + influential["S1_conf"])
        ]
        if len(interacting):
            lines.append(
                "Acting partly through interactions (ST − S1 larger than both intervals "
                "together): " + ", ".join(f"`{p}`" for p in interacting["parameter"]) + "."
            )
    else:
        lines.append(
            f"No parameter's total index on {name} is above zero beyond its interval at this "
            "sample size; use a larger --samples."
        )
    if len(unclear):
        lines.append(
            f"Not distinguishable from no influence on {name} at this sample size: "
            + ", ".join(f"`{p}`" for p in unclear["parameter"])
            + "."
        )
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
