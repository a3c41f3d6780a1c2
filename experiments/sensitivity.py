"""Sensitivity: which assumptions drive the outputs, and which conclusions survive them?

Most of microgov is assumption rather than measurement: the environment (how often
citizens need something, how patient they are, how readily posts are reposted, how
willing followers are to address the account, how hard their needs are, how many
accounts they follow) and the behaviour of staff and citizens (how much operators care
about quality, how noisy their choices are, how long replies and brush-offs take, how
much a backlog weighs on them, how much an escalation counts, how skilled operators
are, how trust moves and how it changes voicing and venting, how readily the unanswered
follow up or remind).
This script asks two questions of them.

1. **Which assumptions matter?** It varies environment and behavioural constants together
   over ranges around their defaults with a Saltelli (Sobol) design on the base scenario
   and reports first-order (S1) and total (ST) Sobol indices, with bootstrap intervals,
   of the response rate, mean trust at the end and the 90th-percentile response time.
   Every other numeric assumption acting on the base is screened with Morris
   trajectories, and so are the explicit upper level's (`[supervision]`) on a supervised
   scenario (city_district_hierarchy, its own 90 days), where alone they act.
2. **Which conclusions hold across them?** At every point of a Latin hypercube over the
   same ranges it runs the base scenario and each remedy on the same seed (common random
   numbers) and checks the study's conclusions there: the ranking of the remedies by
   their effect on the response rate (is it the ranking at the defaults?), and the sign
   of the Goodhart effect (appraisal that counts replies raises the boilerplate share).

    python experiments/sensitivity.py --jobs 2        # full: N = 128 (3,840 runs) + 40 x 8
    python experiments/sensitivity.py --samples 64 --jobs 2    # half: 1,920 + 368 runs
    python experiments/sensitivity.py --smoke         # tiny, seconds (for tests)

Compute: with D parameters a Sobol design has N (D + 2) points, one run each; the full
mode's worlds are smaller than the bundled scenarios (5,000 citizens, 21 days, about
1.2 s a run on one core of this 2-core machine), so with D = 28 the full N = 128 takes
about 40 minutes on two processes and N = 64 about 20; --citizens and --days change the
world. The upper level's screening adds r (6 + 1) runs of 90 days (about 2 minutes
per trajectory on one core). Read the intervals before the point estimates.

Outputs (default out/experiments/sensitivity/): report.md, indices.csv (parameter,
metric, S1, S1_conf, ST, ST_conf), runs.csv (the Sobol runs), screening.csv and
supervision_screening.csv (Morris measures) with their runs, conclusions.csv (one row
per hypercube point and scenario), sensitivity_<metric>.png.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import Experiment, difference, parse_args  # noqa: E402
from scipy import stats as scipy_stats  # noqa: E402

from simulation.experiment import (  # noqa: E402
    morris_indices,
    plots,
    run,
    sobol_indices,
    stats,
    sweep,
)
from simulation.experiment.api import morris_warnings, sobol_warnings  # noqa: E402
from simulation.experiment.designs import LatinHypercube, Morris, Points, Sobol  # noqa: E402
from simulation.format import (  # noqa: E402
    metric_difference_text,
    metric_text,
    metric_unit,
    metric_words,
    parameter_value,
)

# Ranges around the defaults (default in brackets); each is an assumption to question.
ENVIRONMENT = {
    "population.need_rate_per_day": (0.005, 0.02),  # [0.01] needs per citizen per day
    "population.patience_mean_hours": (24.0, 168.0),  # [72] one to seven days
    "diffusion.repost_probability": (0.002, 0.01),  # [0.005] per exposure
    "channels.address_base": (0.5, 0.95),  # [0.75] followers addressing the account
    "population.complexity_mean": (0.3, 0.6),  # [0.45] mean complexity of a need
    "network.mean_following": (10.0, 40.0),  # [20] accounts followed
}
BEHAVIOUR = {
    "staffing.motivation": (0.5, 2.0),  # [1] weight on the quality of the outcome
    "staffing.choice_temperature": (0.1, 0.4),  # [0.2] noise of the logit choice
    "staffing.handling_minutes": (10.0, 40.0),  # [20] a substantive reply
    "staffing.boilerplate_minutes": (1.0, 10.0),  # [3] a brush-off
    "staffing.partial_share": (0.3, 0.7),  # [0.5] a partial reply's share of that time
    "staffing.triage_minutes": (0.5, 3.0),  # [1] reading an item and leaving it
    "staffing.load_sensitivity": (0.0, 0.5),  # [0.25] price of backlog
    "staffing.escalation_weight": (0.0, 0.3),  # [0.11] worth of a reply per escalation
    "staffing.skill_mean": (0.35, 0.65),  # [0.5] operators' mean skill
    "staffing.skill_sd": (0.05, 0.25),  # [0.15] its spread
    "staffing.partial_reply_value": (0.2, 0.6),  # [0.4] a partial reply's worth to staff
    "staffing.boilerplate_reply_value": (0.0, 0.2),  # [0.1] a brush-off's worth to staff
    "channels.voice_trust_slope": (0.2, 1.0),  # [0.6] voicing a need, per unit of trust
    "channels.vent_trust_slope": (0.5, 1.5),  # [1] venting instead, per unit of distrust
    "reactions.trust_gain": (0.05, 0.3),  # [0.15] of the gap, per unit satisfaction
    "reactions.trust_loss": (0.1, 0.5),  # [0.30] of trust, per unit dissatisfaction
    "reactions.trust_half_life_days": (10.0, 90.0),  # [30] drift back to disposition
    "reactions.follow_up_dissatisfaction_weight": (0.2, 0.8),  # [0.5] follow-up chance
    "reactions.follow_up_impatience_weight": (0.0, 0.4),  # [0.2] more for the impatient
    "reactions.follow_up_delay_hours": (1.0, 12.0),  # [4] mean wait before following up
    "reactions.reminder_probability": (0.2, 0.8),  # [0.5] re-post after being left
    "reactions.reminder_delay_hours": (8.0, 48.0),  # [24] mean wait before reminding
}
RANGES = ENVIRONMENT | BEHAVIOUR
# Varied only where they act (the conclusions part), because on the base scenario they
# do nothing and Sobol would spend runs showing it: the strength of a remedy's own
# lever (a mandate's norm), staff's response to appraisal (under a rule), and the
# departments' side of referral (where items are referred).
LEVERS = {
    "mandate.reply_norm": (0.5, 2.0),  # [1.25 where a mandate binds, 0 elsewhere]
    "accountability.pressure_floor": (0.0, 1.0),  # [0.5] share of strength, under a rule
    "accountability.shortfall_gain": (1.0, 3.0),  # [2] pressure per unit of shortfall
    "accountability.relief_gain": (1.0, 4.0),  # [2.5] relief per unit above target
    "staffing.effort_gain": (0.0, 0.3),  # [0.15] work speed per unit of pressure
    "staffing.referral_minutes": (3.0, 12.0),  # [6] referring an item
    "staffing.turnaround_learning_rate": (0.05, 0.3),  # [0.1] foreseeing a referral
}
# Every other numeric assumption that acts on the base scenario, screened with Morris
# trajectories (cheap for many factors): which of them would deserve a place above?
SCREENED = {
    "staffing.demand_self_service": (0.15, 0.6),  # [0.3] settling a request alone
    "reactions.expected_reply_hours": (12.0, 48.0),  # [24] a reply time taken as normal
    "reactions.lateness_penalty": (0.1, 0.6),  # [0.3] satisfaction lost per multiple late
    "reactions.escalation_probability": (0.1, 0.5),  # [0.3] escalate rather than give up
    "reactions.escalation_satisfaction": (-0.8, -0.2),  # [-0.5] after waiting in vain
    "reactions.abandonment_satisfaction": (-1.0, -0.5),  # [-1] giving up unanswered
    "reactions.escalation_patience_factor": (0.25, 1.0),  # [0.5] patience after escalating
    "reactions.follow_up_base": (0.0, 0.2),  # [0] follow-ups of the satisfied
    "reactions.follow_up_reference_patience_hours": (36.0, 144.0),  # [72] impatience scale
    "channels.address_trust_slope": (0.5, 1.5),  # [1] addressing, per unit of trust
    "channels.non_follower_factor": (0.2, 0.6),  # [0.4] non-followers addressing
    "channels.public_share": (0.4, 0.8),  # [0.6] public @-mentions among addressed
    "diffusion.exposure_trust_loss": (0.005, 0.02),  # [0.01] viewers of complaints
    "diffusion.exposure_trust_gain": (0.0025, 0.01),  # [0.005] viewers of good replies
    "diffusion.boilerplate_exposure_loss": (0.001, 0.006),  # [0.003] viewers of brush-offs
    "diffusion.negative_multiplier": (1.5, 4.0),  # [2.5] reposting of negative posts
    "diffusion.unresolved_multiplier": (1.0, 2.5),  # [1.5] while a complaint is open
    "diffusion.influence_exponent": (0.0, 0.4),  # [0.2] reach of influential authors
    "diffusion.reply_repost_probability": (0.01, 0.04),  # [0.02] reposting replies
    "population.initial_trust_concentration": (5.0, 20.0),  # [10] spread of dispositions
    "population.complexity_concentration": (2.0, 8.0),  # [4] how alike needs are
    "population.follow_share": (0.15, 0.45),  # [0.3] followers of the account
    "population.release_informativeness": (0.025, 0.1),  # [0.05] what a release teaches
    "population.release_consultation_reduction": (0.25, 0.75),  # [0.5] questions it saves
    "population.knowledge_half_life_days": (1.5, 6.0),  # [3] how long it is remembered
}
METRICS = ("response_rate", "mean_trust", "p90_response_hours")
# The explicit upper level's assumptions act only where an account names a supervisor:
# screened on a supervised scenario over its own days (its appraisal is monthly), on one
# supervised district's figures (the three districts are alike). The supervisor's rules
# (period, rankings on or off, threshold, deadline, quality weight) are levers, compared
# by experiments/supervision_pressure.py.
SUPERVISION_SCENARIO = "city_district_hierarchy"
SUPERVISED_UNIT = "district_a"
SUPERVISION_SCREENED = {
    "supervision.upward_probability": (0.1, 0.4),  # [0.2] a plain escalation goes up
    "supervision.screening_minutes": (5.0, 30.0),  # [10] reading and forwarding one
    "supervision.strength": (0.0, 0.3),  # [0] standing pressure from above
    "supervision.ranking_pressure": (0.1, 0.6),  # [0.3] the last place's pressure
    "supervision.reprimand_pressure": (0.15, 0.6),  # [calibrated] a reprimand's pressure
    "supervision.reprimand_half_life_days": (10.0, 60.0),  # [30] how long it weighs
}
SUPERVISION_METRICS = tuple(
    f"{metric}@{SUPERVISED_UNIT}"
    for metric in ("response_rate", "boilerplate_share", "median_response_hours")
)

# The remedies whose ranking the study's conclusions rest on, and the appraisal whose
# Goodhart effect (more replies, more of them brush-offs) it warns of.
REMEDIES = (
    "closed_loop",
    "reply_mandate",
    "closed_loop_mandate",
    "trained_operators",
    "appraisal_response_rate",
    "appraisal_satisfaction",
    "all_remedies",
)
GOODHART = ("appraisal_response_rate", "boilerplate_share")
RANKED_BY = "response_rate"

FULL = {
    "replications": 1,
    "days": 21,
    "citizens": 5000,
    "scenario": "baseline",
    "samples": 128,
    "trajectories": 16,
    "points": 40,
    "default_replications": 6,
    "design_seed": 0,
    "supervision_days": 90,
}
SMOKE = {
    "replications": 1,
    "days": 2,
    "citizens": 1000,
    "scenario": "baseline",
    "samples": 1,
    "trajectories": 2,
    "points": 3,
    "default_replications": 2,
    "design_seed": 0,
    "supervision_days": 2,
}


def add_options(parser) -> None:
    parser.add_argument("--scenario", default=None, help="base scenario (default baseline)")
    parser.add_argument(
        "--samples",
        type=int,
        default=None,
        help="Sobol base sample N (a power of 2); N (D+2) points",
    )
    parser.add_argument(
        "--trajectories",
        type=int,
        default=None,
        help="Morris trajectories screening the other assumptions; r (D+1) points",
    )
    parser.add_argument(
        "--points", type=int, default=None, help="hypercube points for the conclusions"
    )
    parser.add_argument(
        "--default-replications",
        type=int,
        default=None,
        help="seeds for the ranking at the defaults",
    )
    parser.add_argument("--design-seed", type=int, default=None, help="seed of the designs")
    parser.add_argument(
        "--supervision-days",
        type=int,
        default=None,
        help=f"days of the {SUPERVISION_SCENARIO} runs screening the upper level's assumptions",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, __doc__, FULL, SMOKE, add_options)
    exp = Experiment(
        "sensitivity",
        args,
        title="Sensitivity to the environment and to behaviour, and the conclusions it leaves",
        question=(
            f"On `{args.scenario}`: how much of the variation in the response rate, mean "
            "trust and the 90th percentile of response time comes from each environment "
            "parameter and each behavioural constant, alone and through interactions? And "
            "do the study's conclusions (the ranking of remedies, the Goodhart effect of "
            "counting replies) hold across those assumptions? Parameters and ranges "
            "(uniform):"
        ),
    )
    exp.method = (
        "Sobol indices from SALib (`simulation.experiment.sobol_indices`), second order "
        "not computed; ± is the half-width of their 95 % bootstrap interval. Conclusions: "
        "a Latin hypercube over the same ranges, every scenario on the same seed at each "
        "point (common random numbers); the ranking at the defaults from paired "
        "differences over several seeds, with paired t intervals simultaneous over the "
        "remedies (Bonferroni)."
    )
    exp.report.bullets(
        [f"environment `{key}`: {low:g} to {high:g}" for key, (low, high) in ENVIRONMENT.items()]
        + [f"behaviour `{key}`: {low:g} to {high:g}" for key, (low, high) in BEHAVIOUR.items()]
        + [f"screened `{key}`: {low:g} to {high:g}" for key, (low, high) in SCREENED.items()]
        + [
            f"conditional `{key}` (conclusions only, where it acts): {low:g} to {high:g}"
            for key, (low, high) in LEVERS.items()
        ]
        + [
            f"supervision `{key}` (on `{SUPERVISION_SCENARIO}`): {low:g} to {high:g}"
            for key, (low, high) in SUPERVISION_SCREENED.items()
        ]
    )
    indices = which_assumptions_matter(exp, args)
    if indices is not None:
        exp.table(indices, "indices", "S1, ST and their intervals")
    screening = which_others_matter(exp, args)
    if screening is not None:
        exp.table(screening, "screening", "Morris mu*, its interval, mu and sigma")
    upper = which_supervision_assumptions_matter(exp, args)
    if upper is not None:
        exp.table(upper, "supervision_screening", "Morris measures of the upper level's")
    which_conclusions_hold(exp, args)
    exp.finish()
    return 0


# ---------------------------------------------------------------- Sobol indices


def which_assumptions_matter(exp: Experiment, args) -> pd.DataFrame | None:
    """Part 1: Sobol indices of the headline outputs over every assumption."""
    design = Sobol(RANGES, samples=args.samples, seed=args.design_seed)
    results = exp.counted(sweep(exp.scenario(args.scenario), design, **exp.sweep_options("sobol")))
    exp.table(results.runs, "runs", "one row per Sobol run, with the parameter values")
    report = exp.report
    report.section("Which assumptions matter")
    report.paragraph(
        f"Sobol design with N = {args.samples} ({len(design)} points, "
        f"{args.replications} replication(s) each, outputs averaged over replications per "
        "point). S1: share of the output's variance a parameter explains alone; ST: "
        "alone and with interactions; ± the half-width of the 95 % bootstrap interval "
        "(SALib). With small N the intervals are wide and estimates can fall outside [0, 1]; "
        "! marks an index that cannot be read as a share of variance (its interval is wider "
        "than its value, or it lies outside [0, 1] beyond its interval). Below N = "
        f"{stats.SOBOL_MIN_SAMPLES} the intervals stay wide (`simulation.experiment.stats`)."
    )
    frames = []
    for metric in METRICS:
        try:
            indices = sobol_indices(results, metric)
        except ValueError as exc:
            report.paragraph(f"**{metric}**: indices could not be computed — {exc}.")
            continue
        frames.append(indices.assign(metric=metric))
        for line in sobol_warnings(indices, args.samples if metric == METRICS[0] else None, metric):
            exp.warn(line)
        exp.figure(
            plots.sensitivity(indices, metric=metric, samples=args.samples),
            f"sensitivity_{metric}",
            f"Sobol S1 and ST of {metric}",
        )
        report.subsection(metric_words(metric))
        report.paragraph(spread_text(results, metric))
        ranked = indices.sort_values("ST", ascending=False)
        report.table(
            pd.DataFrame(
                {
                    "parameter": ranked["parameter"],
                    "kind": [
                        "behaviour" if p in BEHAVIOUR else "environment"
                        for p in ranked["parameter"]
                    ],
                    "S1": [
                        f"{v:.2f} ± {c:.2f}" + (" !" if stats.index_problem(v, c) else "")
                        for v, c in zip(ranked["S1"], ranked["S1_conf"], strict=True)
                    ],
                    "ST": [
                        f"{v:.2f} ± {c:.2f}" + (" !" if stats.index_problem(v, c) else "")
                        for v, c in zip(ranked["ST"], ranked["ST_conf"], strict=True)
                    ],
                }
            )
        )
        report.bullets(interpret(ranked, metric))
        report.paragraph(f"![Sobol indices of {metric}](sensitivity_{metric}.png)")
    return pd.concat(frames, ignore_index=True) if frames else None


# ---------------------------------------------------------------- Morris screening


def which_others_matter(exp: Experiment, args) -> pd.DataFrame | None:
    """Part 1b: Morris screening of every other numeric assumption acting on the base."""
    design = Morris(SCREENED, samples=args.trajectories, seed=args.design_seed)
    results = exp.counted(sweep(exp.scenario(args.scenario), design, **exp.sweep_options("morris")))
    exp.table(results.runs, "screening_runs", "one row per Morris run")
    report = exp.report
    report.section("Which of the other assumptions matter (screening)")
    report.paragraph(
        f"Morris screening of the {len(SCREENED)} other numeric assumptions that act on "
        f"`{args.scenario}`: {args.trajectories} one-at-a-time trajectories ({len(design)} "
        "runs). mu*: the mean absolute change of the output when a parameter moves over "
        "its whole range (estimated from steps of 2/3 of it), ± the half-width of its 95 % "
        "bootstrap interval; mu: the same with sign; sigma: the spread of the effects "
        "(interactions or curvature). Screening ranks, it does not apportion variance: "
        "a parameter whose mu* is small beside the Sobol part's leading factors can stay "
        "an assumption without changing the conclusions."
    )
    return screening_tables(exp, results, METRICS, args.trajectories)


def which_supervision_assumptions_matter(exp: Experiment, args) -> pd.DataFrame | None:
    """Part 1c: Morris screening of the explicit upper level's assumptions, where it acts."""
    design = Morris(SUPERVISION_SCREENED, samples=args.trajectories, seed=args.design_seed)
    options = exp.sweep_options("morris-supervision") | {"days": args.supervision_days}
    results = exp.counted(sweep(exp.scenario(SUPERVISION_SCENARIO), design, **options))
    exp.table(results.runs, "supervision_screening_runs", "one row per run of that screening")
    report = exp.report
    report.section("Which of the upper level's assumptions matter (screening)")
    report.paragraph(
        f"The same screening of the {len(SUPERVISION_SCREENED)} assumptions of the explicit "
        f"upper level (`[supervision]`), which act only where an account names a "
        f"supervisor: on `{SUPERVISION_SCENARIO}`, {args.supervision_days} days a run "
        f"({len(design)} runs), read on the supervised `{SUPERVISED_UNIT}`. The "
        "supervisor's rules are levers, not assumptions: "
        "`experiments/supervision_pressure.py` compares them."
    )
    return screening_tables(
        exp, results, SUPERVISION_METRICS, args.trajectories, "supervision_screening"
    )


def screening_tables(
    exp: Experiment,
    results,
    metrics: Sequence[str],
    trajectories: int,
    table_name: str = "screening",
) -> pd.DataFrame | None:
    """Morris measures of each metric: a table of the ten largest and what is clear.

    `table_name` is the file the script writes the measures to (`<table_name>.csv`).
    """
    report = exp.report
    frames = []
    for metric in metrics:
        try:
            measures = morris_indices(results, metric)
        except ValueError as exc:
            report.paragraph(f"**{metric}**: measures could not be computed — {exc}.")
            continue
        frames.append(measures.assign(metric=metric))
        for line in morris_warnings(measures, metric):
            exp.warn(line)
        ranked = measures.sort_values("mu_star", ascending=False)
        report.subsection(f"{metric_words(metric)} (screening)")
        report.table(
            pd.DataFrame(
                {
                    "parameter": ranked["parameter"],
                    "mu*": [
                        f"{change_text(metric, v)} ± {change_text(metric, c)}"
                        for v, c in zip(ranked["mu_star"], ranked["mu_star_conf"], strict=True)
                    ],
                    "mu": [change_text(metric, v, signed=True) for v in ranked["mu"]],
                    "sigma": [change_text(metric, v) for v in ranked["sigma"]],
                }
            ).head(10)
        )
        clear = ranked[ranked["mu_star"] - ranked["mu_star_conf"] > 0]
        if trajectories < 2:
            verdict = "One trajectory gives no interval: use --trajectories 2 or more."
        elif len(clear):
            verdict = (
                f"{len(clear)} have mu* above zero beyond its interval: "
                + ", ".join(f"`{p}`" for p in clear["parameter"])
                + "."
            )
        else:
            verdict = "None has mu* above zero beyond its interval at this size."
        shown = (
            f"All {len(ranked)} are shown (also in `{table_name}.csv`). "
            if len(ranked) <= 10
            else f"The ten largest of {len(ranked)} are shown (all in `{table_name}.csv`). "
        )
        report.paragraph(shown + verdict)
    return pd.concat(frames, ignore_index=True) if frames else None


# ---------------------------------------------------------------- conclusions


def which_conclusions_hold(exp: Experiment, args) -> None:
    """Part 2: the ranking of remedies and the Goodhart sign, at the defaults and across."""
    base = args.scenario
    names = (base, *REMEDIES)
    options = exp.run_options()
    report = exp.report
    report.section("Which conclusions hold")

    # At the defaults: several seeds, each remedy paired with the base on its seed.
    at_defaults = {}
    defaults_options = options | {"replications": args.default_replications}
    for name in names:
        results = exp.counted(run(exp.scenario(name), **defaults_options))
        at_defaults[name] = results.runs.sort_values("seed")
    family = stats.paired_family(
        [
            (at_defaults[name][RANKED_BY].to_numpy(), at_defaults[base][RANKED_BY].to_numpy())
            for name in REMEDIES
        ]
    )
    effects = dict(zip(REMEDIES, family, strict=True))
    exp.check_pairs(min(e["n_pairs"] for e in family), tests=len(REMEDIES))
    default_order = sorted(REMEDIES, key=lambda n: effects[n]["diff"], reverse=True)
    distinct = distinguishable_pairs(effects, default_order)
    report.paragraph(
        f"At the defaults ({args.default_replications} seeds, paired with `{base}`), the "
        f"remedies rank by their effect on the {metric_words(RANKED_BY)} as follows "
        f"(difference from the base, {stats.interval_label(0.95, len(REMEDIES))} interval "
        "over the remedies):"
    )
    report.bullets(
        [
            f"`{name}`: "
            + difference(
                RANKED_BY,
                effects[name]["diff"],
                effects[name]["diff_ci_low"],
                effects[name]["diff_ci_high"],
            )
            for name in default_order
        ]
    )

    # Across the hypercube: every scenario on the same seed at each point.
    design = LatinHypercube(RANGES | LEVERS, samples=args.points, seed=args.design_seed + 1)
    frames = []
    for name in names:
        scenario = exp.scenario(name)
        in_force = [key for key in LEVERS if lever_in_force(scenario, key)]
        points = Points(
            [{k: v for k, v in p.items() if k in RANGES or k in in_force} for p in design.points()]
        )
        results = exp.counted(sweep(scenario, points, **exp.sweep_options(f"lhs-{name}")))
        frames.append(results.runs.assign(scenario=name))
    runs = pd.concat(frames, ignore_index=True)
    runs = runs[runs["error"].isna()] if "error" in runs else runs
    exp.table(runs, "conclusions", "one row per hypercube point and scenario")
    by_point = runs.groupby(["point", "scenario"])[[RANKED_BY, GOODHART[1]]].mean()
    wide = by_point[RANKED_BY].unstack("scenario").dropna()
    effect = wide[list(REMEDIES)].sub(wide[base], axis=0)
    factors = runs.groupby("point")[list(RANGES | LEVERS)].first().loc[effect.index]

    taus = []
    kept = []  # per point: share of the distinguishable pairs whose order holds
    for _, row in effect.iterrows():
        order = sorted(REMEDIES, key=lambda n: row[n], reverse=True)
        ranks = [order.index(n) for n in default_order]
        taus.append(scipy_stats.kendalltau(range(len(REMEDIES)), ranks).statistic)
        if distinct:
            kept.append(np.mean([row[a] > row[b] for a, b in distinct]))
    taus_arr = np.asarray(taus, dtype=float)
    same_top = float((effect.idxmax(axis=1) == default_order[0]).mean())
    report.paragraph(
        f"Across {len(effect)} hypercube points (one seed each, common to the scenarios): "
        f"the remedy that does most at the defaults, `{default_order[0]}`, does most at "
        f"{same_top:.0%} of the points; Kendall's τ between a point's ranking and the "
        f"ranking at the defaults has median {np.nanmedian(taus_arr):.2f} "
        f"(1: the same ranking; {np.mean(taus_arr == 1.0):.0%} of the points)."
    )
    if distinct:
        report.paragraph(
            f"Of the {len(distinct)} pairs of remedies whose order is clear at the defaults "
            "(intervals of their differences from the base do not overlap), the same order "
            f"holds at {np.mean(kept):.0%} of the points on average: "
            + "; ".join(
                f"`{a}` above `{b}` at {np.mean(effect[a] > effect[b]):.0%}" for a, b in distinct
            )
            + "."
        )
    else:
        report.paragraph(
            "No two remedies' effects are clearly apart at the defaults at this number of "
            "seeds, so no order between them is a conclusion to test."
        )
    report.bullets(
        [
            f"`{name}` raises the {metric_words(RANKED_BY)} at "
            f"{np.mean(effect[name] > 0):.0%} of the points (median effect "
            f"{metric_difference_text(RANKED_BY, float(effect[name].median()))})."
            + flips_text(effect[name] > 0, factors)
            for name in REMEDIES
        ]
    )

    appraisal, gamed = GOODHART
    goodhart = by_point[gamed].unstack("scenario").dropna()
    sign = goodhart[appraisal] - goodhart[base]
    more_replies = wide[appraisal] - wide[base]
    report.subsection("The Goodhart effect")
    report.paragraph(
        f"Counting replies (`{appraisal}`) raises the {metric_words(gamed)} at "
        f"{np.mean(sign > 0):.0%} of the points (median change "
        f"{metric_difference_text(gamed, float(sign.median()))}) and the "
        f"{metric_words(RANKED_BY)} at {np.mean(more_replies > 0):.0%}."
        + flips_text(sign > 0, factors.loc[sign.index])
    )


def lever_in_force(scenario, key: str) -> bool:
    """Whether a conditional factor acts in the scenario (a mandate binds, a rule is set,
    items are referred)."""
    if key.startswith("mandate."):
        return scenario.mandate.reply_norm > 0.0
    if key.startswith("accountability.") or key == "staffing.effort_gain":
        return scenario.accountability.rule != "none"
    if key in ("staffing.referral_minutes", "staffing.turnaround_learning_rate"):
        return bool(scenario.mechanism.referral)
    raise KeyError(f"no rule says when {key} is in force")


def distinguishable_pairs(effects: dict, order: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs (higher, lower) of remedies whose intervals at the defaults do not overlap."""
    pairs = []
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            if effects[a]["diff_ci_low"] > effects[b]["diff_ci_high"]:
                pairs.append((a, b))
    return pairs


def flips_text(holds: pd.Series, factors: pd.DataFrame) -> str:
    """Which assumptions differ most where a conclusion fails (normalised mean shift)."""
    fails = factors[~holds.to_numpy()]
    if not len(fails) or len(fails) == len(factors):
        return ""
    rest = factors[holds.to_numpy()]
    shifts = sorted(
        (
            (abs(fails[key].mean() - rest[key].mean()) / (hi - lo), key)
            for key, (lo, hi) in (RANGES | LEVERS).items()
            if fails[key].notna().any()
        ),
        reverse=True,
    )
    named = ", ".join(
        f"`{key}` ({parameter_value(fails[key].mean())} there against "
        f"{parameter_value(rest[key].mean())})"
        for _, key in shifts[:2]
    )
    return f" Where it does not, the assumptions differ most in {named}."


def change_text(metric: str, value: float, signed: bool = False) -> str:
    """A change of a metric: shares in pp, hours in h, other units to four decimals."""
    if metric_unit(metric) in ("share", "hours"):
        text = metric_difference_text(metric, value)
    else:
        text = f"{value:+.4f}"
    return text if signed or text[:1] not in "+-−" else text[1:]


def spread_text(results, metric: str) -> str:
    """How the point means spread, and which parameter values go with the lowest tenth."""
    ok = results.runs[results.runs["error"].isna()]
    points = ok.groupby("point")[[metric, *RANGES]].mean().dropna(subset=[metric])
    values = points[metric]
    q10, q50, q90 = values.quantile([0.1, 0.5, 0.9])
    name = metric_words(metric)
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
        described = "; ".join(
            f"`{key}` {parameter_value(a)} against {parameter_value(b)}"
            for _, key, a, b in shifts[:2]
        )
        text += (
            f" The lowest tenth ({len(low)} points) differs most from the others in "
            f"(mean value there against elsewhere): {described}."
        )
    return text


def interpret(ranked: pd.DataFrame, metric: str) -> list[str]:
    """Sentences worded by the intervals: influential only when ST's interval excludes 0."""
    influential = ranked[ranked["ST"] - ranked["ST_conf"] > 0]
    unclear = ranked[~ranked.index.isin(influential.index)]
    name = metric_words(metric)
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
