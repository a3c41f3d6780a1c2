"""Supervision pressure: calibrate the explicit upper level, and answer its scenario's question.

Where an account names a `supervisor`, the level above is no longer the shortcut
`staffing.escalation_weight` but an account that takes complaints, forwards them back
with deadlines, ranks its units and reprimands them (`simulation/supervision.py`,
docs/ODD.md §7.15). This script does two things on `city_district_hierarchy` (a city
account supervising three one-operator district accounts, 90 days).

1. **Calibration, not validation.** Chen, Pan & Xu (2016, AJPS) posted identical
   requests to county governments, some saying the author would complain to upper
   levels; the threat raised replies by roughly 8 percentage points from about one
   third. `experiments/upward_pressure.py` fits the implicit upper level to that; here
   the explicit one is fitted to the same +8 pp. A fifth of the authors state the threat
   (randomised within each run, like the field experiment's requests); the measure is
   the reply rate of the district accounts' requests with the threat minus without. The
   parameter fitted is `supervision.reprimand_pressure`: with the scenario's threshold
   every district is reprimanded every period, so a reprimand's pressure sets the level
   of the pressure from above, while the ranking only orders the units (without
   rankings and reprimands the threat changes nothing: the explicit level acts through
   them). On a grid of values, on common seeds, a quadratic through the mean effects
   gives the value where it reaches +8 pp, with a standard error from bootstrap
   resamples of the seeds.
2. **The scenario's question**: does a city-level supervisor with monthly rankings and
   reprimand meetings (通报约谈) make district accounts answer better, or only faster
   and emptier? The scenario runs without the supervisor (the districts under the
   implicit level), with it, with rankings off, with reprimands off, and with the city
   counting an empty reply to a complaint as badly as none (`quality_weight = 1`), on
   common seeds; the districts' figures (mean over the three districts) are compared
   with paired t intervals simultaneous over the table (Bonferroni).

    python experiments/supervision_pressure.py --jobs 2     # full: 5 x 16 + 5 x 10 runs
    python experiments/supervision_pressure.py --values 0.2,0.3,0.4
    python experiments/supervision_pressure.py --smoke      # tiny, seconds (for tests)

Outputs (default out/experiments/supervision_pressure/): report.md, calibration.csv (one
row per value: threat effect, reply rate without the threat), effects.csv (one row per
run), question.csv (the comparison table), question_runs.csv, threat_effect.png,
forest.png.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import (  # noqa: E402
    Experiment,
    difference,
    estimate,
    float_list,
    parse_args,
    replications_text,
)
from matplotlib.figure import Figure  # noqa: E402

from simulation.experiment import plots, run, stats, sweep  # noqa: E402
from simulation.experiment.designs import Grid  # noqa: E402
from simulation.format import metric_text  # noqa: E402
from simulation.scenario import Scenario  # noqa: E402
from simulation.scenario.schema import validate  # noqa: E402
from simulation.validation.checks import THREAT_SHARE  # noqa: E402

SCENARIO = "city_district_hierarchy"
PARAMETER = "supervision.reprimand_pressure"
# Chen, Pan & Xu (2016): the threat to complain to upper levels added roughly 8
# percentage points to a reply rate of about one third (the implicit level's target).
TARGET_THREAT_EFFECT = 0.08
# The districts' figures the question compares (mean over the supervised accounts).
QUESTION_METRICS = (
    "response_rate",
    "resolution_rate",
    "median_response_hours",
    "boilerplate_share",
    "one_sided_share",
    "closed_satisfaction",
)
NO_SUPERVISOR = "no_supervisor"
SUPERVISED = "supervised"
# Each variant is compared with the one named beside it (on the same seeds).
VARIANTS: dict[str, tuple[dict, str | None]] = {
    NO_SUPERVISOR: ({}, None),
    SUPERVISED: ({}, NO_SUPERVISOR),
    "rankings_off": ({"supervision.rankings": False}, SUPERVISED),
    "reprimands_off": ({"supervision.reprimand_below": 0.0}, SUPERVISED),
    "empty_replies_count": ({"supervision.quality_weight": 1.0}, SUPERVISED),
}

PARTS = ("calibration", "question")
FULL = {
    # Seed to seed the districts' threat effect varies by about ±2 pp: sixteen seeds
    # give the mean effect at each value to about ±0.5 pp (standard error).
    "replications": 16,
    "days": None,
    "citizens": None,
    "values": [0.0, 0.2, 0.3, 0.4, 0.5],
    "question_replications": 10,
    "parts": list(PARTS),
}
SMOKE = {
    "replications": 2,
    "days": 3,
    "citizens": 1000,
    "values": [0.0, 0.5],
    "question_replications": 2,
    "parts": list(PARTS),
}


def add_options(parser) -> None:
    parser.add_argument(
        "--values", type=float_list, default=None, help=f"values of {PARAMETER} to try"
    )
    parser.add_argument(
        "--question-replications",
        type=int,
        default=None,
        help="seeds of each variant in the question part",
    )
    parser.add_argument(
        "--parts",
        type=lambda text: [p for p in text.split(",") if p],
        default=None,
        help=f"parts to run, of {','.join(PARTS)} (default both)",
    )


def supervised_accounts(scenario: Scenario) -> list[str]:
    """The accounts that name a supervisor."""
    return [name for name, account in scenario.accounts.items() if account.supervisor]


def without_supervisor(scenario: Scenario) -> Scenario:
    """The scenario with no explicit upper level: no supervisor, no [supervision]."""
    raw = scenario.to_dict()
    raw.pop("supervision", None)
    for account in raw.get("accounts", {}).values():
        account.pop("supervisor", None)
    raw["name"] = NO_SUPERVISOR
    return validate(raw, f"{scenario.name} without its supervisor")


def threat_effects(items: pd.DataFrame, accounts: Sequence[str]) -> pd.DataFrame:
    """Per run (point, replication): the supervised accounts' reply rates with the threat,
    without, and the gap (the field experiment's measure: any reply to the request)."""
    requests = items[
        (items["status"] != "not_received")
        & (items["kind"] != "rumour")
        & items["account"].isin(list(accounts))
    ]
    replied = requests.assign(replied=requests["replies"] > 0)
    rates = replied.groupby(["point", "replication", "threat"], observed=True)["replied"].mean()
    wide = rates.unstack("threat").rename(columns={True: "with_threat", False: "without"})
    for column in ("with_threat", "without"):
        if column not in wide:
            wide[column] = np.nan
    return wide.assign(threat_effect=wide["with_threat"] - wide["without"]).reset_index()


def fit_value(effects: pd.DataFrame, values: Sequence[float]) -> dict[str, Any]:
    """The value at which the mean effect curve reaches the target, and its standard error.

    The curve is a least-squares polynomial in the value (quadratic with three values or
    more: the effect bends upwards, as pressure also speeds the operators up) through the
    mean effect at each value over the seeds that ran at every value (common random
    numbers); the fitted value is its root at the target within the grid. Its standard
    error is the spread of that root over bootstrap resamples of the seeds (2,000, seeded).
    NaN when the curve does not rise through the target within the grid.
    """
    wide = effects.pivot_table(index="replication", columns="point", values="threat_effect")
    wide = wide.reindex(columns=range(len(values))).dropna()
    x = np.asarray(values, dtype=float)
    degree = min(2, len(np.unique(x)) - 1)
    nan = float("nan")
    found: dict[str, Any] = {"value": nan, "se": nan, "seeds": len(wide), "curve": None}
    if len(wide) < 2 or degree < 1:
        return found
    found["curve"] = np.polyfit(x, wide.mean().to_numpy(float), degree)
    found["value"] = _root(found["curve"], x)
    if np.isnan(found["value"]):
        return found
    rng = np.random.default_rng(0)
    matrix = wide.to_numpy(float)
    roots = [
        _root(np.polyfit(x, matrix[rng.integers(0, len(matrix), len(matrix))].mean(0), degree), x)
        for _ in range(2000)
    ]
    found["se"] = float(np.nanstd(roots, ddof=1))
    found["unsolved"] = float(np.mean(np.isnan(roots)))
    return found


def _root(curve: np.ndarray, x: np.ndarray) -> float:
    """Where the polynomial `curve` crosses the target upwards within [min x, max x]."""
    shifted = curve.copy()
    shifted[-1] -= TARGET_THREAT_EFFECT
    slope = np.polyder(curve)
    inside = [
        float(r.real)
        for r in np.roots(shifted)
        if abs(r.imag) < 1e-12 and x.min() <= r.real <= x.max() and np.polyval(slope, r.real) > 0
    ]
    return min(inside) if inside else float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, __doc__, FULL, SMOKE, add_options)
    exp = Experiment(
        "supervision_pressure",
        args,
        title="The explicit upper level: calibration of its pressure, and what it does",
        question=(
            f"On `{SCENARIO}`: which `{PARAMETER}` makes a stated threat to complain to "
            "upper levels raise the district accounts' replies by about 8 percentage "
            "points (Chen, Pan & Xu 2016), and does the city's supervision make the "
            "districts answer better, or only faster and emptier?"
        ),
    )
    unknown = sorted(set(args.parts) - set(PARTS))
    if unknown:
        raise SystemExit(f"--parts: unknown {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    parts = []
    if "calibration" in args.parts:
        parts.append(f"{replications_text(args.replications, args.seed)} per value calibrated")
    if "question" in args.parts:
        parts.append(
            f"{replications_text(args.question_replications, args.seed)} per variant of the "
            "question"
        )
    exp.replications_text = ", ".join(parts)
    if "calibration" in args.parts:
        calibrate(exp, args)
    if "question" in args.parts:
        answer(exp, args)
    exp.finish()
    return 0


# ---------------------------------------------------------------- 1. calibration


def calibrate(exp: Experiment, args) -> None:
    """Part 1: the threat's effect on the districts' replies over a grid of the parameter."""
    values = list(args.values)
    # The parameter set to the grid's first value: the sweep (and its --store) does not
    # depend on the scenario's own value, which this fit decides.
    base = exp.scenario(SCENARIO, **{"population.threat_share": THREAT_SHARE, PARAMETER: values[0]})
    accounts = supervised_accounts(base)
    design = Grid({PARAMETER: values})
    results = exp.counted(sweep(base, design, keep_items=True, **exp.sweep_options("calibration")))
    assert results.items is not None  # keep_items=True
    effects = threat_effects(results.items, accounts)
    effects[PARAMETER] = [values[int(p)] for p in effects["point"]]
    exp.table(effects, "effects", "one row per run: the districts' reply rates and the gap")
    rows = []
    for point, value in enumerate(values):
        at = effects[effects["point"] == point]
        effect = stats.t_interval(at["threat_effect"].to_numpy(float))
        plain = stats.t_interval(at["without"].to_numpy(float))
        rows.append(
            {
                PARAMETER: value,
                "runs": effect["n"],
                "threat_effect": effect["mean"],
                "threat_effect_se": effect["se"],
                "threat_effect_ci_low": effect["ci_low"],
                "threat_effect_ci_high": effect["ci_high"],
                "reply_rate_without": plain["mean"],
                "reply_rate_without_ci_low": plain["ci_low"],
                "reply_rate_without_ci_high": plain["ci_high"],
            }
        )
    table = pd.DataFrame(rows)
    exp.table(table, "calibration", "per value: threat effect and reply rate without it")
    fit = fit_value(effects, values)
    exp.figure(effect_figure(table, fit), "threat_effect", "threat effect by value, fitted line")

    report = exp.report
    report.section("Calibration: the threat's effect")
    report.paragraph(
        f"Share {THREAT_SHARE:g} of authors state the threat; the effect is the reply rate "
        f"of requests to {', '.join(f'`{a}`' for a in accounts)} with it minus without, "
        "per run; 95 % t intervals over seeds."
    )
    report.table(
        pd.DataFrame(
            {
                PARAMETER: [f"{v:g}" for v in table[PARAMETER]],
                "threat effect": [
                    difference("response_rate", *r)
                    for r in table[
                        ["threat_effect", "threat_effect_ci_low", "threat_effect_ci_high"]
                    ].itertuples(index=False)
                ],
                "reply rate without the threat": [
                    estimate("response_rate", *r)
                    for r in table[
                        ["reply_rate_without", "reply_rate_without_ci_low",
                         "reply_rate_without_ci_high"]
                    ].itertuples(index=False)
                ],
            }
        )
    )  # fmt: skip
    if np.isnan(fit["value"]):
        report.paragraph(
            f"The mean effect does not rise through +{TARGET_THREAT_EFFECT:.0%} within the "
            f"grid at this size ({fit['seeds']} seeds at every value): nothing fitted."
        )
    else:
        low, high = fit["value"] - 1.96 * fit["se"], fit["value"] + 1.96 * fit["se"]
        terms = " ".join(
            f"{c * 100:+.1f} pp" + ("" if power == 0 else " × v" + ("²" if power == 2 else ""))
            for power, c in zip(range(len(fit["curve"]) - 1, -1, -1), fit["curve"], strict=True)
        )
        line = np.polyfit(table[PARAMETER], table["reply_rate_without"], 1)
        report.paragraph(
            f"**Fitted: `{PARAMETER}` = {fit['value']:.3f} ± {fit['se']:.3f}** (standard "
            f"error over {fit['seeds']} seeds, bootstrap; 95 % interval about "
            f"[{low:.3f}, {high:.3f}]): the mean effect, effect ≈ {terms} (least squares "
            f"through the table's means, v the value), reaches +{TARGET_THREAT_EFFECT * 100:.0f} pp "
            "there. Without the threat the districts then reply to about "
            f"{metric_text('response_rate', float(np.polyval(line, fit['value'])))} of "
            "requests (the line through the table's reply rates; target about one third)."
        )
    report.paragraph("![threat effect](threat_effect.png)")


def effect_figure(table: pd.DataFrame, fit: dict[str, Any]) -> Figure:
    """The threat's effect at each value with its interval, the fitted line and target."""
    fig = Figure(figsize=(6.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    x = table[PARAMETER].to_numpy(float)
    y = table["threat_effect"].to_numpy(float) * 100
    low = table["threat_effect_ci_low"].to_numpy(float) * 100
    high = table["threat_effect_ci_high"].to_numpy(float) * 100
    colour, fitted, target = plots.colours(3)
    ax.errorbar(
        x,
        y,
        yerr=np.nan_to_num(np.vstack([y - low, high - y])),
        color=colour,
        marker="o",
        ls="none",
        capsize=3,
        label="mean over seeds, 95 % interval",
    )
    if fit["curve"] is not None:
        grid = np.linspace(x.min(), x.max(), 50)
        ax.plot(grid, np.polyval(fit["curve"], grid) * 100, color=fitted, label="fitted curve")
    ax.axhline(TARGET_THREAT_EFFECT * 100, color=target, ls="--", label="target +8 pp")
    if not np.isnan(fit["value"]):
        ax.axvline(fit["value"], color="0.5", ls=":", label=f"fitted {fit['value']:.3f}")
    ax.set_xlabel(f"{PARAMETER} [pressure]")
    ax.set_ylabel("threat effect [pp]")
    ax.set_title("A stated threat's effect on the districts' replies")
    ax.legend(frameon=False, loc="upper left", fontsize="small")
    ax.grid(color="0.92")
    return fig


# ---------------------------------------------------------------- 2. the question


def answer(exp: Experiment, args) -> None:
    """Part 2: the scenario with and without its supervisor, rankings and reprimands."""
    supervised = exp.scenario(SCENARIO)
    accounts = supervised_accounts(supervised)
    options = exp.run_options() | {"replications": args.question_replications}
    runs = {}
    for name, (overrides, _) in VARIANTS.items():
        if name == NO_SUPERVISOR:
            scenario = without_supervisor(supervised)
        else:
            scenario = supervised.with_overrides({**overrides, "name": name})
        frame = exp.counted(run(scenario, **options)).runs.sort_values("seed")
        for metric in QUESTION_METRICS:
            columns = [f"{metric}@{account}" for account in accounts]
            frame[metric] = frame[columns].mean(axis=1)
        runs[name] = frame.assign(variant=name)
    exp.table(
        pd.concat(runs.values(), ignore_index=True),
        "question_runs",
        "one row per run and variant, the districts' means added",
    )
    compared = [(name, against) for name, (_, against) in VARIANTS.items() if against]
    keys = [(name, against, metric) for metric in QUESTION_METRICS for name, against in compared]
    family = stats.paired_family(
        [(runs[name][metric].to_numpy(), runs[against][metric].to_numpy())
         for name, against, metric in keys]
    )  # fmt: skip
    rows = []
    for (name, against, metric), tested in zip(keys, family, strict=True):
        own = stats.t_interval(runs[name][metric].to_numpy(float))
        rows.append(
            {
                "scenario": f"{name} − {against}",
                "variant": name,
                "against": against,
                "metric": metric,
                "n": own["n"],
                "mean": own["mean"],
                "ci_low": own["ci_low"],
                "ci_high": own["ci_high"],
                **tested,
            }
        )
    table = pd.DataFrame(rows)
    exp.table(table, "question", "each variant against the one it changes, districts' means")
    exp.check_pairs(int(table["n_pairs"].min()), tests=len(table))
    exp.figure(
        plots.forest(
            table,
            list(QUESTION_METRICS),
            columns=3,
            # Each row has its own reference (the variant it changes), not one baseline.
            title="Each variant against the one it changes: mean and " + plots.interval_name(table),
        ),
        "forest",
        "differences with simultaneous intervals",
    )

    report = exp.report
    report.section("The question: better, or only faster and emptier?")
    report.paragraph(
        f"{args.question_replications} seeds per variant (common to all); the districts' "
        "figure is the mean over the three districts of each one's; each difference is "
        f"against the variant named after the minus, with its "
        f"{stats.interval_label(0.95, len(table))} interval (starred: it excludes 0)."
    )
    means = {
        name: {m: stats.t_interval(runs[name][m].to_numpy(float)) for m in QUESTION_METRICS}
        for name in VARIANTS
    }
    report.table(
        pd.DataFrame(
            [
                {"variant": name}
                | {m: estimate(m, *(means[name][m][k] for k in ("mean", "ci_low", "ci_high")))
                   for m in QUESTION_METRICS}
                for name in VARIANTS
            ]
        )
    )  # fmt: skip
    report.table(
        pd.DataFrame(
            [
                {"difference": label}
                | {row["metric"]: _starred(row) for row in group.to_dict("records")}
                for label, group in table.groupby("scenario", sort=False)
            ]
        )
    )
    report.paragraph("![forest](forest.png)")
    report.paragraph(answer_sentence(table))


def _starred(row: dict) -> str:
    text = difference(row["metric"], row["diff"], row["diff_ci_low"], row["diff_ci_high"])
    return text + (" *" if stats.row_decision(row) != "unclear" else "")


def answer_sentence(table: pd.DataFrame) -> str:
    """The answer, worded by the supervised − no-supervisor row of each metric."""
    rows = {row["metric"]: row for row in table[table["variant"] == SUPERVISED].to_dict("records")}
    words = {"higher": "higher", "lower": "lower", "unclear": "not clearly different"}
    parts = []
    for metric in QUESTION_METRICS:
        row = rows[metric]
        found = words[stats.row_decision(row)]
        parts.append(
            f"{metric.replace('_', ' ')} {found} "
            f"({difference(metric, row['diff'], row['diff_ci_low'], row['diff_ci_high'])})"
        )
    return "**With the supervisor, against the districts under the implicit level:** " + (
        "; ".join(parts) + "."
    )


if __name__ == "__main__":
    raise SystemExit(main())
