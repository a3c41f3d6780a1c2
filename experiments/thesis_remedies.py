"""The study's remedies, one by one and together, against the status quo.

The study of "Shanghai 12333" (MODEL.md §1) finds low response efficiency, one-sided
responses, weak response capability and a missing response process, and proposes
remedies: a response process (closed_loop), joint handling (joint), a proactive
response mode (proactive), norms and policy that requests are answered
(reply_mandate), performance appraisal (appraisal_timeliness_48h,
appraisal_response_rate, appraisal_satisfaction), trained operators, and all of them
together (all_remedies). This script runs each bundled remedy scenario and the
baseline on common seeds and reports, for each remedy, the paired difference from the
baseline with its confidence interval: response rate, response time (median and 90th
percentile), one-sided share, resolution, satisfaction and trust. It then splits the
closed loop of earlier versions (whose preset also raised operators' inclination to
reply) into the process alone (closed_loop), the reply mandate alone (reply_mandate)
and the two together (closed_loop_mandate), with their interaction: the combined
effect minus the sum of the two single effects, paired by seed.

    python experiments/thesis_remedies.py              # full: 11 scenarios x 12 seeds
    python experiments/thesis_remedies.py --jobs 2     # the same on two processes
    python experiments/thesis_remedies.py --smoke      # tiny, seconds (for tests)

Outputs (default out/experiments/thesis_remedies/): report.md, comparison.csv,
interaction.csv, runs.csv, daily.csv, forest.png (differences from the baseline), daily_mean_trust.png,
daily_backlog_operators.png, daily_backlog_departments.png.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Experiment,
    claim_sentence,
    comparison_cells,
    diff_text,
    direction_sentence,
    parse_args,
    tests_in,
)

from simulation.experiment import (  # noqa: E402
    compare,  # noqa: E402
    plots,
    stats,
)

BASELINE = "baseline"
REMEDIES = (
    "closed_loop",
    "joint",
    "proactive",
    "reply_mandate",
    "closed_loop_mandate",
    "appraisal_timeliness_48h",
    "appraisal_response_rate",
    "appraisal_satisfaction",
    "trained_operators",
    "all_remedies",
)
METRICS = (
    "response_rate",
    "median_response_hours",
    "p90_response_hours",
    "one_sided_share",
    "resolution_rate",
    "satisfaction",
    "mean_trust",
)
DAILY = ("mean_trust", "backlog_operators", "backlog_departments")

# 10 remedies x 7 metrics = 70 tests, each interval at 1 - 0.05/70 (Bonferroni): 12 pairs
# keep the t quantile at 4.6 (against 9.4 with 5 pairs).
FULL = {"replications": 12, "days": 30, "citizens": None}
SMOKE = {"replications": 2, "days": 3, "citizens": 400}

# What the study claims for each remedy, as (scenario, metric, expected direction).
CLAIMS = (
    ("closed_loop", "response_rate", "higher", "A response process raises the response rate"),
    ("closed_loop", "resolution_rate", "higher", "A response process resolves more requests"),
    ("joint", "resolution_rate", "higher", "Joint handling resolves more requests"),
    (
        "reply_mandate",
        "response_rate",
        "higher",
        "A norm that requests are answered raises the response rate",
    ),
    ("proactive", "mean_trust", "higher", "A proactive response mode keeps more trust"),
    (
        "appraisal_timeliness_48h",
        "p90_response_hours",
        "lower",
        "Appraisal on a 48 h deadline shortens the slowest replies (p90)",
    ),
    (
        "appraisal_response_rate",
        "one_sided_share",
        "higher",
        "Appraisal counting replies breeds one-sided replies (Goodhart's law)",
    ),
    (
        "appraisal_satisfaction",
        "satisfaction",
        "higher",
        "Appraisal on satisfaction raises citizens' satisfaction",
    ),
    (
        "trained_operators",
        "one_sided_share",
        "lower",
        "Trained operators give fewer one-sided replies",
    ),
    ("all_remedies", "mean_trust", "higher", "All remedies together keep more trust"),
)

# Remedies built on one another: what each adds to the one it extends, paired by seed.
STEPS = (
    ("joint", "closed_loop"),
    ("proactive", "joint"),
    ("closed_loop_mandate", "closed_loop"),
    ("all_remedies", "proactive"),
)

# Two levers and their combination: (process alone, mandate alone, both), each a
# bundled scenario extending the baseline.
PROCESS, MANDATE, COMBINED = "closed_loop", "reply_mandate", "closed_loop_mandate"
SPLIT_METRICS = ("response_rate", "resolution_rate", "one_sided_share", "mean_trust")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, __doc__, FULL, SMOKE)
    exp = Experiment(
        "thesis_remedies",
        args,
        title="The study's remedies against the status quo",
        question=(
            "Which of the remedies the study proposes raise the share of requests answered, "
            "answer them faster and with substance, and keep citizens' trust — and which "
            "have side effects? Each bundled remedy scenario is compared with `baseline` "
            "(a release-only account in office hours, no referral, no appraisal, no reply "
            "mandate). The process scenarios (closed_loop, joint, proactive) change the "
            "response process only; reply_mandate adds only a norm that requests are "
            "answered; closed_loop_mandate has both."
        ),
    )
    scenarios = [exp.scenario(name) for name in (BASELINE, *REMEDIES)]
    comparison = exp.counted(
        compare(scenarios, baseline=BASELINE, metrics=list(METRICS), **exp.run_options())
    )
    table, results = comparison.table, comparison.results
    n_tests = tests_in(table)

    exp.table(table, "comparison", "every (scenario, metric): mean, CI, paired difference, p")
    exp.table(results.runs, "runs", "one row per run: every summary metric")
    exp.table(results.daily, "daily", "one row per run-day")
    exp.figure(
        plots.forest(table, list(METRICS), baseline=BASELINE),
        "forest",
        "differences from the baseline with their CIs",
    )
    for column in DAILY:
        exp.figure(
            plots.daily_series(results.daily, column, order=[BASELINE, *REMEDIES]),
            f"daily_{column}",
            f"{column.replace('_', ' ')} per day by scenario",
        )

    report = exp.report
    report.section("What came out")
    report.paragraph(
        "Baseline row: mean [95 % CI]. Other rows: the mean paired difference from the "
        f"baseline [{stats.interval_label(0.95, n_tests)} interval]; * marks a difference "
        f"whose interval excludes 0 (significant over the {n_tests} tests). Shares are per "
        "cent; differences of shares are percentage points (pp)."
    )
    report.table(comparison_cells(table, METRICS, BASELINE))
    report.bullets([direction_sentence(table, metric, BASELINE) for metric in METRICS])
    for note in comparison.notes:
        exp.warn(note)

    report.section("The study's remedies, claim by claim")
    report.paragraph(
        "Each line is worded by the measured difference: *borne out* when its "
        "simultaneous interval lies on the expected side of 0, *not shown* when it "
        "includes 0, *contradicted* when it lies on the other side."
    )
    lookup = {(r["scenario"], r["metric"]): r for r in table.to_dict("records")}
    report.bullets(
        [
            claim_sentence(
                lookup.get((scenario, metric)), expected, f"{claim} ({scenario})", n_tests
            )
            for scenario, metric, expected, claim in CLAIMS
        ]
    )

    report.section("What each step adds to the one before")
    runs = results.runs.set_index(["scenario", "replication"])
    stepped = ("response_rate", "p90_response_hours", "resolution_rate", "mean_trust")
    keys = [(later, earlier, metric) for later, earlier in STEPS for metric in stepped]
    family = stats.paired_family(
        [
            (
                runs.loc[later][metric].to_numpy(dtype=float),
                runs.loc[earlier][metric].to_numpy(dtype=float),
            )
            for later, earlier, metric in keys
        ]
    )
    steps = {key: {**d, "metric": key[2]} for key, d in zip(keys, family, strict=True)}
    step_tests = family[0]["tests"] if family else 0
    report.paragraph(
        "Paired differences between remedies that build on one another (same seeds), "
        f"with {stats.interval_label(0.95, step_tests)} intervals over these differences; "
        "* marks an interval that excludes 0."
    )
    lines = []
    for later, earlier in STEPS:
        parts = []
        for metric in stepped:
            row = steps[(later, earlier, metric)]
            parts.append(
                f"{metric.replace('_', ' ')} {diff_text(row)} (p_adj = {row['p_adjusted']:.2g})"
            )
        lines.append(f"{later} − {earlier}: " + "; ".join(parts))
    report.bullets(lines)

    report.section("Process, mandate, and the two together")
    report.paragraph(
        f"The closed loop of earlier versions was two changes at once: a response process "
        f"(triage, referral, tracking until closed: `{PROCESS}`) and a higher inclination "
        f"of operators to reply, now the reply mandate (`{MANDATE}`, "
        f"`mandate.reply_norm = 1.25`). `{COMBINED}` has both. Each effect is the mean "
        "paired difference from the baseline; the interaction is the combined effect "
        "minus the sum of the two single effects, per seed. Intervals are "
        f"{stats.interval_label(0.95, 4 * len(SPLIT_METRICS))} over the three effects and "
        "the interaction of every metric here (* the interval excludes 0), p-values "
        "adjusted alike (p_adj). A negative interaction means the "
        "two together do less than their effects added (they overlap), a positive one "
        "more."
    )
    split = {metric: _split(runs, metric) for metric in SPLIT_METRICS}
    exp.table(
        pd.DataFrame(
            [
                {"metric": metric, "effect": effect, **row}
                for metric, effects in split.items()
                for effect, row in effects.items()
            ]
        ),
        "interaction",
        "process, mandate and combined effects and their interaction, paired by seed",
    )
    report.table(_split_cells(split))
    report.bullets([_split_sentence(effects) for effects in split.values()])
    report.section(
        "Figures",
        "![Differences from the baseline](forest.png)\n\n"
        "![Mean trust per day](daily_mean_trust.png)\n\n"
        "![Operators' backlog per day](daily_backlog_operators.png)\n\n"
        "![Departments' backlog per day](daily_backlog_departments.png)",
    )
    exp.finish()
    return 0


def _split(runs: pd.DataFrame, metric: str) -> dict[str, dict]:
    """The process, mandate and combined effects on `metric` and their interaction."""

    def arm(name: str) -> np.ndarray:
        return runs.loc[name][metric].to_numpy(dtype=float)

    base = arm(BASELINE)
    tests = 4 * len(SPLIT_METRICS)  # three effects and the interaction of every metric
    effects: dict[str, dict] = {
        name: {**stats.paired_difference(arm(name), base, tests=tests), "metric": metric}
        for name in (PROCESS, MANDATE, COMBINED)
    }
    both = stats.interaction(arm(COMBINED), arm(PROCESS), arm(MANDATE), base, tests=tests)
    effects["interaction"] = {**both, "metric": metric}
    return effects


def _split_cells(split: dict[str, dict[str, dict]]) -> pd.DataFrame:
    """One row per metric: the three effects and the interaction, each with its CI."""
    rows = []
    for metric, effects in split.items():
        rows.append(
            {
                "metric": metric.replace("_", " "),
                f"process ({PROCESS})": diff_text(effects[PROCESS]),
                f"mandate ({MANDATE})": diff_text(effects[MANDATE]),
                f"both ({COMBINED})": diff_text(effects[COMBINED]),
                "interaction": diff_text(effects["interaction"]),
            }
        )
    return pd.DataFrame(rows)


def _split_sentence(effects: dict[str, dict]) -> str:
    """How the combined effect on a metric compares with the two effects added."""
    inter = effects["interaction"]
    name = str(inter["metric"]).replace("_", " ")
    measured = diff_text(inter).rstrip(" *")
    p_adj = f"p_adj = {inter['p_adjusted']:.2g}"
    found = stats.row_decision(inter)
    if found == "unclear":
        how = f"not shown to differ from the sum of the two (interaction {measured}, {p_adj})"
    elif found == "lower":
        how = f"less than the sum of the two (interaction {measured}, {p_adj})"
    else:
        how = f"more than the sum of the two (interaction {measured}, {p_adj})"
    return (
        f"**{name}**: process {diff_text(effects[PROCESS])}, mandate "
        f"{diff_text(effects[MANDATE])}; together {diff_text(effects[COMBINED])}, {how}."
    )


if __name__ == "__main__":
    raise SystemExit(main())
