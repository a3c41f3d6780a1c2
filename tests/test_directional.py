"""Directional tests: a lever pulled one way moves an outcome the way the study expects.

Each test runs two variants of one scenario, built in code from `Scenario()` with
overrides, on the same seeds (common random numbers: the needs that arise are the same in
both arms, and so are the numbers that decide where each is voiced, so the paired
difference is mostly the lever's effect). It asserts that the
mean paired difference points the expected way by more than 3 standard errors of that
mean (SE = sd of the differences / sqrt(seeds)); the message gives both arms' values.
"""

from __future__ import annotations

import numpy as np

from simulation import Scenario, run_one
from simulation.mechanisms import MECHANISM_PRESETS
from tests.conftest import mean_and_se

SEEDS = range(4)
MIN_SE = 3.0  # required size of the mean paired difference, in standard errors


def scenario(overrides: dict) -> Scenario:
    built = Scenario().with_overrides(overrides)
    # Guard: the preset named is the one that runs, unless a setting was given explicitly.
    preset = MECHANISM_PRESETS[built.mechanism.preset]
    for name, value in preset.items():
        if f"mechanism.{name}" not in overrides:
            assert getattr(built.mechanism, name) == value, (
                f"mechanism.{name} = {getattr(built.mechanism, name)!r}, but preset "
                f"'{built.mechanism.preset}' sets {value!r}"
            )
    return built


def compare(
    base: dict, lower: dict, higher: dict, metric: str, days: int = 14, seeds: range = SEEDS
) -> tuple[np.ndarray, np.ndarray, str]:
    """`metric` per seed in the arm expected lower and the arm expected higher."""
    low = np.array(
        [run_one(scenario({**base, **lower}), seed=s, days=days).summary[metric] for s in seeds]
    )
    high = np.array(
        [run_one(scenario({**base, **higher}), seed=s, days=days).summary[metric] for s in seeds]
    )
    diff, se = mean_and_se(high - low)
    message = (
        f"expected {metric} higher with {higher} than with {lower} (by > {MIN_SE:.0f} SE); "
        f"measured {high.round(3).tolist()} vs {low.round(3).tolist()} over seeds "
        f"{list(seeds)}: paired difference {diff:+.3f} ± {se:.3f}"
    )
    print(message)  # shown with pytest -s or -rP
    assert diff > MIN_SE * se, message
    return low, high, message


def test_more_operators_shorten_the_90th_percentile_response_time():
    """Closed loop in office hours, one operator overloaded versus four.

    Eight seeds: the 90th percentile of a few hundred replies is noisy, and more so since
    trust decides whether needs are voiced (the arms' trust, and so their load, drift
    apart); every seed points the expected way, four are too few to show it by 3 SE."""
    base = {
        "population.citizens": 2000,
        "population.need_rate_per_day": 0.03,
        "mechanism.preset": "closed_loop",
    }
    compare(
        base,
        lower={"staffing.operators": 4},
        higher={"staffing.operators": 1},
        metric="p90_response_hours",
        seeds=range(8),
    )


def test_a_48_hour_timeliness_rule_answers_more_within_48_hours():
    base = {
        "population.citizens": 2000,
        "population.need_rate_per_day": 0.03,
        "mechanism.preset": "closed_loop",
        "accountability.deadline_hours": 48.0,
    }
    compare(
        base,
        lower={"accountability.rule": "none"},
        higher={"accountability.rule": "timeliness"},
        metric="answered_within_deadline",
    )


def test_counting_replies_under_load_breeds_more_boilerplate_than_scoring_satisfaction():
    """Goodhart's law: under load, a rule that counts replies rewards the fastest reply."""
    base = {
        "population.citizens": 2000,
        "population.need_rate_per_day": 0.06,
        "staffing.operators": 2,
        "mechanism.preset": "closed_loop",
    }
    compare(
        base,
        lower={"accountability.rule": "satisfaction"},
        higher={"accountability.rule": "response_rate"},
        metric="boilerplate_share",
    )


def test_a_closed_loop_resolves_more_requests_than_a_reactive_account():
    """Referral to departments settles what operators cannot answer themselves."""
    base = {"population.citizens": 2000, "population.need_rate_per_day": 0.03}
    compare(
        base,
        lower={"mechanism.preset": "reactive"},
        higher={"mechanism.preset": "closed_loop"},
        metric="resolution_rate",
    )
