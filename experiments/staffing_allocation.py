"""Staffing allocation: where do ten more staff help most — Weibo, WeChat, the hotline or the departments?

One bureau answers on three accounts (`shanghai_12333_matrix`: a Weibo account, a WeChat
account and the 12333 hotline) and refers what its operators cannot answer to four
shared departments. This script gives ten more full-time people to one desk at a time
and compares each arm with the bureau as it is, on common seeds: the reply rate, the
share of requests answered substantively, the 90th-percentile reply time, the callers
who hang up and trust, overall and per account.

What "ten more staff" means, and the scale. `shanghai_12333_matrix` is a sample of the
bureau at a population scale factor f = 1/100: its citizens raise needs at a rate that
brings the hotline f of Shanghai 12333's calls, and its hotline has f of 12333's agents;
the same citizens write to Weibo and WeChat, so every desk's contacts, and the staff
sized to them, are at f. Ten real people would be a tenth of one model person, and the
model staffs whole people. The script therefore runs the bureau at --scale (default
f = 1/10): citizens and every desk's staff multiplied by scale / f (10), so that the
contacts per person stay as the scenario has them, and ten real people are
--staff x --scale = one model person everywhere. A person works a full-time week, the
calendar's office hours (40 hours: the State Council's 1995 rule on working hours, 8 a
day, 40 a week). An operator on an account is on duty in every hour its shifts cover,
so a desk's step is one such seat: one person on an office-hours account, 2.1 on the
hotline (08:00-20:00 every day, 84 hours a week). Each arm adds the whole seats nearest
to the people's hours (at least one); the report gives the staff-hours each arm
actually added and the real people they stand for. The departments' arm gives each
person in turn to the department with the most work per staff member (its topic share
x processing time / staff). An even split is a fifth arm only where every desk can get
a whole step of it (not at the default scale, where ten people are one model person).

The response process: `shanghai_12333_matrix` is the study's release-only account,
whose operators refer nothing, so its departments get no work and more department staff
could not help. The arms run with --preset (default closed_loop: triage, referral,
tracking), the process the study recommends; `--preset release_only` asks the question
of the bureau as it is.

    python experiments/staffing_allocation.py --jobs 2     # full: 5 arms x 10 seeds
    python experiments/staffing_allocation.py --staff 20 --scale 0.1
    python experiments/staffing_allocation.py --smoke      # tiny, seconds (for tests)

Outputs (default out/experiments/staffing_allocation/): report.md, arms.csv (what each
arm adds), comparison.csv and comparison_accounts.csv (the comparison tables, overall
and per account), best.csv (the arm that helps most on each outcome, against the
runner-up), runs.csv, forest.png, forest_accounts.png.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from _common import (  # noqa: E402
    Experiment,
    comparison_cells,
    difference,
    parse_args,
)

from simulation import load_scenario  # noqa: E402
from simulation.accounts import account_plans  # noqa: E402
from simulation.calendar import Calendar  # noqa: E402
from simulation.codes import HOURS_PER_DAY  # noqa: E402
from simulation.experiment import Comparison, Results, plots, stats, sweep  # noqa: E402
from simulation.experiment.designs import Points  # noqa: E402
from simulation.format import UNIT_SEPARATOR, metric_better  # noqa: E402
from simulation.scenario import Scenario  # noqa: E402

SCENARIO = "shanghai_12333_matrix"
# The population scale factor of SCENARIO (its header: 300 calls and 4 agents a day
# stand for Shanghai 12333's 30,000 and 407).
SCENARIO_SCALE = 0.01
WEEK_DAYS = 7
BASELINE = "baseline"
DEPARTMENTS = "departments"
EVEN_SPLIT = "even_split"
# The outcomes of the whole bureau, and those read per account (`<metric>@<account>`).
# Hang-ups are the hotline's alone (only calls hang up), trust the whole population's.
OVERALL = (
    "response_rate",
    "resolution_rate",
    "p90_response_hours",
    "hang_up_share",
    "mean_trust",
)
PER_ACCOUNT = ("response_rate", "resolution_rate", "p90_response_hours")
WORDS = {
    "response_rate": "reply rate",
    "resolution_rate": "substantive replies",
    "p90_response_hours": "p90 reply time",
    "hang_up_share": "hang-ups",
    "mean_trust": "trust",
}

FULL = {
    # Ten paired seeds back Bonferroni intervals over a table's tests (from 5 on,
    # `stats.MIN_PAIRS`); at the default scale a run takes about 15 s.
    "replications": 10,
    "days": None,
    "citizens": None,
    "scale": 0.1,
    "staff": 10,
    "preset": "closed_loop",
}
SMOKE = {
    "replications": 2,
    "days": 2,
    "citizens": 1000,
    "scale": SCENARIO_SCALE,
    "staff": 100,  # one model person at the scenario's own scale
    "preset": "closed_loop",
}


def add_options(parser) -> None:
    parser.add_argument("--quick", dest="smoke", action="store_true", help="the same as --smoke")
    parser.add_argument(
        "--staff", type=int, default=None, help="real full-time people each arm adds (default 10)"
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help=f"population scale factor to run at, a whole multiple of the scenario's "
        f"{SCENARIO_SCALE:g} (default 0.1); staff x scale must be a whole number",
    )
    parser.add_argument(
        "--preset",
        default=None,
        help="response mechanism of every account (default closed_loop; release_only: "
        "the scenario's own, which refers nothing to the departments)",
    )


# ---------------------------------------------------------------- the arms


@dataclass
class Arm:
    """One allocation: what it adds to each desk (dotted key → new value) and in hours."""

    name: str
    what: str
    values: dict[str, int] = field(default_factory=dict)
    hours: float = 0.0  # staff-hours it adds over a run, from the shifts [hours]
    week_hours: float = 0.0  # staff-hours it adds in a week [hours]


def scaled(base: Scenario, factor: int, preset: str, citizens: int | None) -> Scenario:
    """The scenario at `factor` times its scale: citizens and every desk's staff times it."""
    overrides: dict[str, Any] = {
        "name": f"{base.name}_x{factor}",
        "population.citizens": citizens or base.population.citizens * factor,
        "mechanism.preset": preset,
    }
    for name, plan in zip(base.accounts, account_plans(base), strict=True):
        overrides[f"accounts.{name}.operators"] = plan.staffing.operators * factor
    for name, department in base.departments.items():
        overrides[f"departments.{name}.staff"] = department.staff * factor
    return base.with_overrides(overrides)


def seat_hours(scenario: Scenario, days: int) -> tuple[dict[str, float], float]:
    """Hours one operator seat of each account is on duty in `days`, and a person's hours.

    A person works the calendar's office hours (a department's staff member, or an
    operator on an office-hours account); a seat of an account is on duty in every hour
    its shifts cover. Over 7 days: the hours of a week.
    """
    calendar = Calendar(scenario, days)
    hours = days * HOURS_PER_DAY
    seats = {}
    for plan in account_plans(scenario):
        staffing = plan.staffing
        pattern = calendar.shift_pattern(
            staffing.shifts, (staffing.extended_hours_start, staffing.extended_hours_end)
        )
        seats[plan.name] = float(pattern[:hours].sum())
    return seats, float(calendar.office_open[:hours].sum())


def people_text(count: float) -> str:
    """`1 person`, `2.1 people`."""
    return "1 person" if math.isclose(count, 1.0) else f"{count:.2g} people"


def department_loads(scenario: Scenario, staff: dict[str, int]) -> dict[str, float]:
    """Work per staff member of each department: topic share x processing time / staff."""
    mix = scenario.population.topic_mix
    total = sum(mix.values())
    return {
        name: mix.get(name, 0.0) / total * d.processing_hours / max(staff[name], 1)
        for name, d in scenario.departments.items()
    }


def arms(scenario: Scenario, people: int, days: int) -> tuple[list[Arm], str]:
    """The baseline, one arm per account, the departments' arm, and the even split if it fits.

    Returns the arms and a sentence on the even split (why it is or is not an arm).
    """
    seats, person = seat_hours(scenario, WEEK_DAYS)  # steps are chosen on a week's hours
    run_seats, run_person = seat_hours(scenario, days)  # what they add over a run
    budget = people * person
    operators = {
        f"accounts.{plan.name}.operators": plan.staffing.operators
        for plan in account_plans(scenario)
    }
    staff = {name: d.staff for name, d in scenario.departments.items()}
    start = {**operators, **{f"departments.{n}.staff": s for n, s in staff.items()}}
    found = [Arm(BASELINE, "the bureau as it is", dict(start))]

    def on_account(name: str, hours: float) -> tuple[int, float]:
        count = max(1, round(hours / seats[name])) if seats[name] else 0
        return count, count * run_seats[name]

    for name in seats:
        count, added = on_account(name, budget)
        key = f"accounts.{name}.operators"
        values = {**start, key: start[key] + count}
        found.append(Arm(name, f"+{count} on duty at {name}", values, added, count * seats[name]))

    def to_departments(count: int) -> dict[str, int]:
        given = dict(staff)
        for _ in range(count):
            loads = department_loads(scenario, given)
            given[max(loads, key=loads.__getitem__)] += 1
        return given

    given = to_departments(people)
    added_text = ", ".join(f"+{given[n] - staff[n]} {n}" for n in staff if given[n] != staff[n])
    found.append(
        Arm(
            DEPARTMENTS,
            added_text,
            {**start, **{f"departments.{n}.staff": s for n, s in given.items()}},
            people * run_person,
            budget,
        )
    )

    desks = len(seats) + 1
    share = budget / desks
    split = {name: on_account(name, share) for name in seats}
    department_people = round(share / person)
    fits = (
        all(seats[name] and share / seats[name] >= 0.5 for name in seats) and department_people >= 1
    )
    if not fits:
        note = (
            f"An even split would give each of the {desks} desks {share / person:.2g} "
            "of a model person, less than half of some desk's step: there is no even-split "
            "arm at this scale."
        )
        return found, note
    values = dict(start)
    for name, (count, _) in split.items():
        values[f"accounts.{name}.operators"] += count
    departments = to_departments(department_people)
    values.update({f"departments.{n}.staff": s for n, s in departments.items()})
    what = ", ".join(
        [f"+{count} on duty at {name}" for name, (count, _) in split.items()]
        + [f"+{departments[n] - staff[n]} {n}" for n in staff if departments[n] != staff[n]]
    )
    hours = sum(added for _, added in split.values()) + department_people * run_person
    week = sum(count * seats[name] for name, (count, _) in split.items())
    found.append(Arm(EVEN_SPLIT, what, values, hours, week + department_people * person))
    return found, f"The even split gives each of the {desks} desks about 1/{desks} of the people."


# ---------------------------------------------------------------- the comparison


def by_arm(runs: pd.DataFrame, names: Sequence[str], parameters: Sequence[str]) -> Results:
    """A sweep's runs as Results of one 'scenario' per arm (for `Comparison.of`)."""
    labelled = runs.assign(scenario=[names[int(p)] for p in runs["point"]])
    return Results(runs=labelled.drop(columns=["point", *parameters]), daily=pd.DataFrame())


def improvement(metric: str, value: float) -> float:
    """A difference signed so that more is better (NaN without a better direction)."""
    better = metric_better(metric)
    return value if better == "higher" else -value if better == "lower" else math.nan


def best_arms(
    results: Results, tables: Sequence[pd.DataFrame], names: Sequence[str]
) -> pd.DataFrame:
    """Per outcome: the arm that helps most, the runner-up, and best − runner-up paired.

    The best is the arm with the largest mean improvement on the baseline (in the
    metric's better direction). Its paired difference from the runner-up (same seeds)
    has an interval simultaneous over the outcomes (Bonferroni, one test each).
    """
    runs = results.runs[results.runs["error"].isna()].set_index(["scenario", "replication"])
    rows = []
    for table in tables:
        for metric, group in table[table["scenario"] != BASELINE].groupby("metric", sort=False):
            ranked = group.assign(gain=[improvement(metric, d) for d in group["diff"]])
            ranked = ranked[ranked["gain"].notna()].sort_values("gain", ascending=False)
            if len(ranked) < 2:
                continue
            best, second = ranked.iloc[0], ranked.iloc[1]
            rows.append(
                {
                    "metric": metric,
                    "best": best["scenario"],
                    "best_diff": best["diff"],
                    "best_diff_ci_low": best["diff_ci_low"],
                    "best_diff_ci_high": best["diff_ci_high"],
                    "best_decision": stats.row_decision(best.to_dict()),
                    "runner_up": second["scenario"],
                    "runner_up_diff": second["diff"],
                    "pairs": (
                        runs.loc[best["scenario"], metric].to_numpy(float),
                        runs.loc[second["scenario"], metric].to_numpy(float),
                    ),
                }
            )
    family = stats.paired_family([row.pop("pairs") for row in rows])
    for row, tested in zip(rows, family, strict=True):
        row.update(
            {
                "best_minus_runner_up": tested["diff"],
                "gap_ci_low": tested["diff_ci_low"],
                "gap_ci_high": tested["diff_ci_high"],
                "gap_p_adjusted": tested["p_adjusted"],
                "gap_tests": tested["tests"],
                "told_apart": stats.decision(tested["diff_ci_low"], tested["diff_ci_high"])
                != "unclear",
            }
        )
    return pd.DataFrame(rows)


def outcome_words(metric: str) -> str:
    base, _, unit = metric.partition(UNIT_SEPARATOR)
    words = WORDS.get(base, base.replace("_", " "))
    return f"{words} at {unit}" if unit else words


def summary_sentence(best: pd.DataFrame) -> str:
    """How many outcomes some arm improves beyond its interval, and which arms those are."""
    rows = best.to_dict("records")
    helped = [r for r in rows if improvement(r["metric"], r["best_diff"]) > 0]
    shown = [r for r in helped if r["best_decision"] == metric_better(r["metric"])]
    apart = [r for r in shown if r["told_apart"]]
    if not shown:
        return (
            f"On none of the {len(rows)} outcomes does any arm help beyond its simultaneous "
            "interval: at this size the data do not say where the staff help most."
        )
    named = "; ".join(f"{outcome_words(r['metric'])}: `{r['best']}`" for r in shown)
    return (
        f"On {len(shown)} of the {len(rows)} outcomes an arm helps beyond its simultaneous "
        f"interval ({named}); on {len(apart)} of them it is also told apart from the "
        "runner-up."
    )


def not_compared_sentence(metrics: Sequence[str]) -> str:
    """The outcomes no best arm is named for: fewer than two arms have a paired difference."""
    named = ", ".join(f"**{outcome_words(m)}**" for m in metrics)
    return (
        f"Not compared: {named}. Fewer than two arms have a paired difference from the "
        "baseline (the outcome has no value in some runs, e.g. no reply to time)."
    )


def best_sentence(row: dict[str, Any]) -> str:
    """One outcome's answer, worded by its numbers."""
    metric = row["metric"]
    best_text = difference(
        metric, row["best_diff"], row["best_diff_ci_low"], row["best_diff_ci_high"]
    )
    gap = difference(metric, row["best_minus_runner_up"], row["gap_ci_low"], row["gap_ci_high"])
    helps = row["best_decision"] == metric_better(metric)
    if not helps:
        found = (
            "no arm changes it beyond its interval"
            if row["best_decision"] == "unclear"
            else "every arm makes it worse"
        )
        closest = (
            f"the largest gain in the mean is `{row['best']}`'s"
            if improvement(metric, row["best_diff"]) > 0
            else f"no arm improves it even in the mean; the least worse is `{row['best']}`'s"
        )
        return f"**{outcome_words(metric)}**: {found}; {closest} ({best_text})."
    apart = (
        f"told apart from the runner-up `{row['runner_up']}` (best − runner-up {gap})"
        if row["told_apart"]
        else f"not told apart from the runner-up `{row['runner_up']}` (best − runner-up {gap})"
    )
    return f"**{outcome_words(metric)}**: `{row['best']}` helps most ({best_text}), {apart}."


# ---------------------------------------------------------------- the script


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, __doc__, FULL, SMOKE, add_options)
    factor = args.scale / SCENARIO_SCALE
    if factor < 1 - 1e-9 or abs(factor - round(factor)) > 1e-9:
        raise SystemExit(
            f"--scale {args.scale:g}: must be a whole multiple (1, 2, …) of the scenario's "
            f"scale factor {SCENARIO_SCALE:g}"
        )
    people = args.staff * args.scale
    if people < 1 - 1e-9 or abs(people - round(people)) > 1e-9:
        raise SystemExit(
            f"--staff {args.staff} at --scale {args.scale:g} is {people:g} model people: the "
            "model staffs whole people, so staff x scale must be a whole number (e.g. "
            f"--staff {math.ceil(1 / args.scale)})"
        )
    factor, people = round(factor), round(people)
    source = load_scenario(SCENARIO)
    base = scaled(source, factor, args.preset, args.citizens)
    days = args.days or base.run.days
    found, split_note = arms(base, people, days)
    names = [arm.name for arm in found]
    accounts = list(base.accounts)

    exp = Experiment(
        "staffing_allocation",
        args,
        title=f"Staffing allocation: where do {args.staff} more staff help most?",
        question=(
            f"One bureau on Weibo, WeChat and its hotline (`{SCENARIO}`, accounts "
            f"{', '.join(f'`{a}`' for a in accounts)}), with four shared departments: "
            f"given {args.staff} more full-time people, where do they help most — on one "
            "of the accounts or in the departments — on replies, substantive answers, the "
            "slowest replies, hang-ups and trust?"
        ),
    )
    seats, person = seat_hours(base, WEEK_DAYS)
    _, run_person = seat_hours(base, days)
    report = exp.report
    report.section("What each arm adds")
    report.paragraph(
        f"`{SCENARIO}` is the bureau at scale f = {SCENARIO_SCALE:g} (a model person stands "
        f"for {1 / SCENARIO_SCALE:,.0f}); here it runs at f = {args.scale:g}: "
        f"{base.population.citizens:,} citizens and every desk's staff ×{factor} the "
        f"scenario's, every account with the `{args.preset}` process. {args.staff} real "
        f"people are {people} model {'person' if people == 1 else 'people'}, each working "
        f"the calendar's office hours ({person:g} hours a week). An account's "
        "step is one operator on duty in every hour its shifts cover: "
        + "; ".join(
            f"`{name}` {hours:g} hours a week ({people_text(hours / person)})"
            for name, hours in seats.items()
        )
        + ". Each arm adds the whole steps nearest to the people's hours (at least one)."
    )
    arms_frame = pd.DataFrame(
        [
            {
                "arm": arm.name,
                "adds": arm.what if arm.name != BASELINE else "–",
                "staff-hours a week": round(arm.week_hours, 1),
                "model people": round(arm.week_hours / person, 2),
                "real people": round(arm.week_hours / person / args.scale, 1),
                "staff-hours in a run": round(arm.hours, 1),
            }
            for arm in found
        ]
    )
    report.table(arms_frame)
    report.paragraph(split_note)

    parameters = list(found[0].values)
    design = Points([arm.values for arm in found])
    results = exp.counted(sweep(base, design, **exp.sweep_options("arms")))
    labelled = by_arm(results.runs, names, parameters)
    exp.table(labelled.runs, "runs", "one row per run, its arm in the scenario column")
    actual = labelled.runs.groupby("scenario", sort=False)["staff_hours"].mean()
    arms_frame["staff-hours added in the runs"] = [
        round(float(actual[a.name] - actual[BASELINE]), 1) for a in found
    ]
    exp.table(arms_frame, "arms", "what each arm adds, in seats, hours and people")
    report.paragraph(
        "The staff-hours the runs report (`staff_hours`, arm − baseline, over the run) are "
        "in `arms.csv` beside those planned; "
        + (
            "they equal the hours planned"
            if all(
                math.isclose(float(actual[a.name] - actual[BASELINE]), a.hours, abs_tol=0.5)
                for a in found
            )
            else "they differ from those planned"
        )
        + "."
    )

    account_metrics = [f"{m}@{a}" for a in accounts for m in PER_ACCOUNT]
    overall = Comparison.of(labelled, BASELINE, list(OVERALL)).table
    per_account = Comparison.of(labelled, BASELINE, account_metrics).table
    exp.table(overall, "comparison", "each arm − baseline, overall (one Bonferroni family)")
    exp.table(per_account, "comparison_accounts", "each arm − baseline, per account (one family)")
    exp.check_pairs(int(overall["n_pairs"].min()), tests=tests_of(per_account))
    exp.figure(
        plots.forest(overall, list(OVERALL), baseline=BASELINE, order=names, columns=3),
        "forest",
        "each arm − baseline, overall, with simultaneous intervals",
    )
    exp.figure(
        plots.forest(
            per_account, account_metrics, baseline=BASELINE, order=names, columns=len(PER_ACCOUNT)
        ),
        "forest_accounts",
        "each arm − baseline, per account, with simultaneous intervals",
    )
    best = best_arms(labelled, [overall, per_account], names)
    exp.table(best, "best", "per outcome: the arm that helps most, and best − runner-up")

    report.section(f"Where {args.staff} more staff help most")
    if not float(labelled.runs.loc[labelled.runs["scenario"] == BASELINE, "referral_rate"].mean()):
        report.paragraph(
            f"*With the `{args.preset}` process the operators refer nothing: the "
            "departments get no work, and their arm cannot help.*"
        )
    report.paragraph(summary_sentence(best))
    report.bullets([best_sentence(row) for row in best.to_dict("records")])
    compared = set(best["metric"]) if len(best) else set()
    uncompared = [
        metric
        for table in (overall, per_account)
        for metric in dict.fromkeys(table["metric"])
        if metric not in compared
    ]
    if uncompared:
        report.paragraph(not_compared_sentence(uncompared))
    report.paragraph(
        "The best arm is the one with the largest mean gain on the baseline in the "
        "outcome's better direction; best − runner-up is their paired difference (same "
        f"seeds) with its {stats.interval_label(0.95, int(best['gap_tests'].max()))} "
        "interval over the outcomes: told apart when it excludes 0. An arm that adds more "
        "staff-hours than another (the table above) is given more."
    )
    report.section("The whole bureau")
    report.paragraph(
        f"The baseline's mean [95 % t interval], then each arm − baseline with its "
        f"{stats.interval_label(0.95, tests_of(overall))} interval (starred: it excludes 0)."
    )
    report.table(comparison_cells(overall, list(OVERALL), BASELINE))
    report.paragraph("![forest](forest.png)")
    report.section("Per account")
    report.paragraph(
        f"The same, per account (`<metric>@<account>`), one family of "
        f"{tests_of(per_account)} tests."
    )
    report.table(comparison_cells(per_account, account_metrics, BASELINE))
    report.paragraph("![forest per account](forest_accounts.png)")
    note_reduction(exp, args, len(found))
    exp.finish()
    return 0


def note_reduction(exp: Experiment, args, variants: int) -> None:
    """Say in "How this was made" where a run is smaller than the full design, and what
    the full one would take at this run's pace."""
    if args.smoke:
        return
    smaller = [
        f"--{key} {getattr(args, key)} (full: {FULL[key]})"
        for key in ("replications", "days", "citizens")
        if getattr(args, key) != FULL[key]
    ]
    if not smaller:
        return
    full_runs = variants * FULL["replications"]
    text = f" A reduced run: {', '.join(smaller)}, of the full design's {full_runs} runs"
    made = exp.runs - exp.reused  # runs read back from a store say nothing of the pace
    if made > 0:
        pace = (time.perf_counter() - exp.started) / made
        text += f"; at this run's pace ({pace:.0f} s a run) they would take {pace * full_runs / 60:.0f} min"
    exp.method += text + "."


def tests_of(table: pd.DataFrame) -> int:
    """How many tests a comparison table's Bonferroni adjustment ran over."""
    return stats.table_family(table)[1]


if __name__ == "__main__":
    raise SystemExit(main())
