"""The experiment statistics against known answers (simulation/experiment/stats.py)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.experiment import stats

TRUE_MEAN = 5.0

# ----------------------------------------------------------------- coverage

COVERAGE_SAMPLES = 20_000
# The coverage the module docstring states for the paired t interval (nominal 95 %),
# by distribution of the paired differences and number of pairs.
STATED_COVERAGE = {
    ("normal", 5): 0.952,
    ("normal", 10): 0.949,
    ("laplace", 5): 0.966,
    ("laplace", 10): 0.959,
    ("gamma", 5): 0.931,
    ("gamma", 10): 0.938,
    ("lognormal", 5): 0.918,
    ("lognormal", 10): 0.920,
}


def _differences(name: str, n: int, samples: int, salt: int = 0) -> tuple[np.ndarray, float]:
    """`samples` samples of n paired differences from a named distribution, and its mean."""
    rng = np.random.default_rng([n, len(name), salt])
    shape = (samples, n)
    if name == "normal":
        return rng.normal(0.0, 1.0, shape), 0.0
    if name == "laplace":  # symmetric, heavier tails than normal
        return rng.laplace(0.0, 1.0, shape), 0.0
    if name == "gamma":  # skewness 1, shifted to mean 0
        return rng.gamma(4.0, 1.0, shape) - 4.0, 0.0
    if name == "lognormal":  # skewness 1.75
        return rng.lognormal(0.0, 0.5, shape), math.exp(0.125)
    raise ValueError(name)


def _binomial_tolerance(level: float, samples: int) -> float:
    """3.5 binomial standard errors of an observed coverage: a false alarm about 1 in 2,000."""
    return 3.5 * math.sqrt(level * (1 - level) / samples)


def _t_coverage(x: np.ndarray, mean: float, level: float) -> float:
    n = x.shape[1]
    centre = x.mean(axis=1)
    half = stats.t_half_width(x.std(axis=1, ddof=1), np.full(len(x), n), level)
    return float(np.mean((centre - half <= mean) & (mean <= centre + half)))


@pytest.mark.parametrize("n", [5, 10])
def test_paired_t_coverage_is_nominal_for_normal_differences(n):
    """Exact for normal data: 20,000 samples put the coverage within ±0.54 points of 95 %,
    and at the Bonferroni level of 12 tests within 3.5 binomial errors of 1 − 0.05/12."""
    x, mean = _differences("normal", n, COVERAGE_SAMPLES)
    for level in (0.95, stats.family_level(0.95, 12)):
        coverage = _t_coverage(x, mean, level)
        tolerance = _binomial_tolerance(level, COVERAGE_SAMPLES)
        print(f"n = {n}, level {level:.4f}: coverage {coverage:.4f}")
        assert abs(coverage - level) <= tolerance, (coverage, level, tolerance)
    # The production path gives the interval the vectorised check used.
    one = stats.paired_t(x[0])
    half = stats.t_half_width([x[0].std(ddof=1)], [n])[0]
    assert (one["diff_ci_low"], one["diff_ci_high"]) == pytest.approx(
        (x[0].mean() - half, x[0].mean() + half)
    )


@pytest.mark.parametrize("n", [5, 10])
@pytest.mark.parametrize("name", ["laplace", "gamma", "lognormal"])
def test_paired_t_coverage_is_what_the_module_states(name, n):
    """Symmetric heavy tails: at or above 95 %; skewed: below, by what the docstring says."""
    x, mean = _differences(name, n, COVERAGE_SAMPLES)
    coverage = _t_coverage(x, mean, 0.95)
    tolerance = _binomial_tolerance(0.95, COVERAGE_SAMPLES)
    stated = STATED_COVERAGE[(name, n)]
    print(f"{name}, n = {n}: coverage {coverage:.4f} (stated {stated:.3f})")
    assert abs(coverage - stated) <= tolerance + 0.0005  # stated to 0.1 point
    if name == "laplace":
        assert coverage >= 0.95 - tolerance
    assert f"{stated:.1%}".replace("%", " %") in stats.__doc__, "the docstring states it"


def test_the_stated_normal_coverage_is_in_the_docstring():
    for n in (5, 10):
        assert f"{STATED_COVERAGE[('normal', n)]:.1%}".replace("%", " %") in stats.__doc__
    assert re.search(r"MIN_PAIRS", stats.__doc__)
    assert stats.MIN_PAIRS == 5, "the coverage tests above check from 5 pairs: update them too"


@pytest.mark.slow
@pytest.mark.parametrize("n", [5, 10])
def test_the_bootstrap_interval_fails_the_coverage_check_at_few_replications(n):
    """Why comparisons no longer use it: the same check (binomial tolerance around 95 %)
    rejects the BCa bootstrap at 5 and at 10 values (measured 83.6 % and 89.3 %)."""
    samples = 1000
    x, mean = _differences("normal", n, samples, salt=99)
    covered = 0
    for i, sample in enumerate(x):
        low, high = stats.bootstrap_ci(sample, 0.95, n_resamples=999, seed=i)
        covered += low <= mean <= high
    coverage = covered / samples
    print(f"bootstrap, n = {n}: coverage {coverage:.3f}")
    assert coverage < 0.95 - _binomial_tolerance(0.95, samples)


def test_bootstrap_interval_covers_the_true_mean_at_about_its_nominal_rate_with_30_values():
    """200 samples of 30 from N(5, 2²): the 95% interval should cover 5 about 95% of the time.

    Tolerance: with 200 independent intervals the observed coverage has a binomial
    standard error of sqrt(0.95 · 0.05 / 200) = 0.0154; we accept 3 standard errors on
    either side of 95%, less a further 0.015 below for the bootstrap's known shortfall at
    n = 30 (it uses normal rather than t quantiles and the plug-in variance: 93.2% measured
    over 3,000 samples), i.e. [0.889, 0.996].
    """
    rng = np.random.default_rng(20240601)
    draws = 200
    covered = 0
    for i in range(draws):
        sample = rng.normal(TRUE_MEAN, 2.0, size=30)
        low, high = stats.bootstrap_ci(sample, 0.95, n_resamples=2000, seed=i)
        covered += low <= TRUE_MEAN <= high
    coverage = covered / draws
    se = math.sqrt(0.95 * 0.05 / draws)
    low_limit, high_limit = 0.95 - 3 * se - 0.015, 0.95 + 3 * se
    print(f"bootstrap 95% CI coverage over {draws} samples of 30: {coverage:.3f}")
    assert low_limit <= coverage <= high_limit, (
        f"expected coverage in [{low_limit:.3f}, {high_limit:.3f}], measured {coverage:.3f}"
    )


def test_bootstrap_interval_is_seeded_and_handles_degenerate_samples():
    x = [1.0, 2.0, 4.0, 8.0, 3.0]
    assert stats.bootstrap_ci(x, seed=3) == stats.bootstrap_ci(x, seed=3)
    assert stats.bootstrap_ci([2.5, 2.5, 2.5]) == (2.5, 2.5)
    assert all(math.isnan(v) for v in stats.bootstrap_ci([1.0]))
    assert all(math.isnan(v) for v in stats.bootstrap_ci([]))
    low, high = stats.bootstrap_ci([1.0, float("nan"), 3.0, 2.0])
    assert 1.0 <= low < high <= 3.0
    with pytest.raises(ValueError, match="confidence"):
        stats.bootstrap_ci(x, confidence=95)


def test_describe_leaves_out_missing_values_and_gives_the_t_interval():
    described = stats.describe([1.0, 2.0, float("nan"), 3.0])
    assert described["n"] == 3
    assert described["mean"] == 2.0
    assert described["median"] == 2.0
    assert described["sd"] == pytest.approx(1.0)
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) · 1 / √3
    assert (described["ci_low"], described["ci_high"]) == pytest.approx((2 - half, 2 + half))
    one = stats.describe([4.0])
    assert (one["n"], one["mean"]) == (1, 4.0)
    assert math.isnan(one["sd"]) and math.isnan(one["ci_low"])
    none = stats.describe([float("nan")])
    assert none["n"] == 0 and math.isnan(none["mean"])


# ----------------------------------------------------------------- paired tests


def test_paired_difference_of_identical_inputs_is_zero_with_p_one():
    x = [0.3, 0.5, 0.2, 0.9, 0.4]
    result = stats.paired_difference(x, x)
    assert result["n_pairs"] == 5 and result["diff"] == 0.0
    assert (result["diff_ci_low"], result["diff_ci_high"]) == (0.0, 0.0)
    assert result["p_value"] == 1.0 and not result["significant"]


def test_paired_difference_is_the_paired_t_test():
    """d = 1..5: mean 3, se √0.5, t = 3/√0.5 = 4.243 on 4 df: two-sided p = 0.01324;
    over 12 tests the interval is at 1 − 0.05/12 and p_adjusted = 12 p = 0.159."""
    baseline = np.zeros(5)
    one = stats.paired_difference(np.arange(1.0, 6.0), baseline)
    assert one["p_value"] == pytest.approx(0.0132356, rel=1e-5)
    assert one["significant"] and one["diff_ci_low"] > 0
    family = stats.paired_difference(np.arange(1.0, 6.0), baseline, tests=12)
    assert family["interval_level"] == pytest.approx(1 - 0.05 / 12)
    assert family["p_adjusted"] == pytest.approx(12 * 0.0132356, rel=1e-5)
    assert not family["significant"] and family["diff_ci_low"] < 0 < family["diff_ci_high"]


def test_paired_difference_of_a_constant_shift():
    baseline = np.linspace(1.0, 2.0, 10)
    treatment = baseline + np.linspace(0.9, 1.1, 10)
    result = stats.paired_difference(treatment, baseline)
    assert result["n_pairs"] == 10
    assert result["diff"] == pytest.approx(1.0)
    assert 0.9 <= result["diff_ci_low"] < 1.0 < result["diff_ci_high"] <= 1.1
    assert result["significant"] and result["p_value"] < 1e-10
    exact = stats.paired_difference(baseline + 2.0, baseline)  # the same shift in every pair
    assert exact["diff_ci_low"] == exact["diff_ci_high"] == pytest.approx(2.0)
    assert exact["p_value"] < 1e-12 and exact["significant"]
    same = stats.paired_difference([3.0, 4.0, 5.0], [1.0, 2.0, 3.0])  # exactly 2 each time
    assert same["diff_ci_low"] == same["diff_ci_high"] == 2.0 and same["p_value"] == 0.0


def test_paired_difference_drops_incomplete_pairs():
    result = stats.paired_difference([1.0, float("nan"), 3.0, 5.0], [0.0, 1.0, float("nan"), 4.0])
    assert result["n_pairs"] == 2
    assert result["diff"] == 1.0
    empty = stats.paired_difference([float("nan")], [1.0])
    assert empty["n_pairs"] == 0 and math.isnan(empty["diff"]) and math.isnan(empty["p_value"])
    single = stats.paired_difference([2.0], [1.0])
    assert single["diff"] == 1.0 and math.isnan(single["p_value"]) and not single["significant"]
    with pytest.raises(ValueError, match="equally long"):
        stats.paired_difference([1.0, 2.0], [1.0])


def test_a_family_counts_its_tests_and_adjusts_every_member():
    rng = np.random.default_rng(4)
    base = rng.normal(0, 1, 8)
    pairs = [(base + 1.0 + rng.normal(0, 0.1, 8), base), (base, base), ([1.0] + [np.nan] * 7, base)]
    rows = stats.paired_family(pairs)
    assert [r["tests"] for r in rows] == [2, 2, 2], "the one-pair row is not a test"
    assert rows[0]["interval_level"] == pytest.approx(0.975)
    assert rows[0]["significant"] and not rows[1]["significant"]
    alone = stats.paired_difference(*pairs[0])
    assert (
        rows[0]["diff_ci_high"] - rows[0]["diff_ci_low"]
        > alone["diff_ci_high"] - alone["diff_ci_low"]
    ), "the adjusted interval is wider"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=12),
    st.integers(1, 40),
    st.sampled_from([0.9, 0.95, 0.99]),
)
def test_the_interval_and_the_adjusted_p_value_always_agree(differences, tests, confidence):
    """Significant (the interval excludes 0) exactly when p_adjusted < α."""
    result = stats.paired_t(differences, confidence, tests)
    alpha = 1 - confidence
    lo, hi = result["diff_ci_low"], result["diff_ci_high"]
    if 0.0 < result["p_adjusted"] < 1.0 and abs(result["p_adjusted"] - alpha) < 1e-9:
        return  # on the boundary itself rounding decides
    assert result["significant"] == (result["p_adjusted"] < alpha), result
    assert result["significant"] == (lo > 0 or hi < 0)
    assert stats.decision(lo, hi) == ("higher" if lo > 0 else "lower" if hi < 0 else "unclear")


def test_decision_reads_only_the_interval():
    assert stats.decision(0.1, 0.3) == "higher"
    assert stats.decision(-0.3, -0.1) == "lower"
    assert stats.decision(-0.1, 0.3) == "unclear"
    assert stats.decision(math.nan, 0.3) == "unclear"
    assert stats.row_decision({"diff_ci_low": 0.2, "diff_ci_high": 0.4}) == "higher"
    assert stats.row_decision({}) == "unclear"


def test_too_few_pairs_speaks_below_the_checked_size_only():
    three = stats.too_few_pairs(3, tests=12)
    assert three is not None and "run at least 5 replications" in three
    assert "15.4" in three, "t(1 − 0.05/24, 2)"
    assert "\n" not in three
    assert "no interval" in stats.too_few_pairs(1, 12)
    assert stats.too_few_pairs(5, 12) is None and stats.too_few_pairs(10, 12) is None


def test_interaction_of_additive_levers_is_zero_and_of_overlapping_ones_negative():
    rng = np.random.default_rng(3)
    baseline = rng.normal(0.35, 0.03, 12)
    process, mandate = baseline + 0.15, baseline + 0.40
    additive = stats.interaction(baseline + 0.55, process, mandate, baseline)
    assert additive["diff"] == pytest.approx(0.0, abs=1e-12)
    assert not additive["significant"]
    # Together they add 0.33, not 0.55: an interaction of -0.22 in every pair.
    overlap = stats.interaction(
        baseline + 0.33 + rng.normal(0, 0.01, 12), process, mandate, baseline
    )
    assert overlap["n_pairs"] == 12
    assert overlap["diff"] == pytest.approx(-0.22, abs=0.01)
    assert overlap["diff_ci_high"] < -0.2 and overlap["significant"]
    with pytest.raises(ValueError, match="equally long"):
        stats.interaction([1.0], [1.0, 2.0], [1.0], [1.0])


def test_t_interval_of_a_hand_computed_example():
    """x = 1..5: mean 3, sd √2.5, se √0.5; t(0.975, 4) = 2.7764451…"""
    result = stats.t_interval([1.0, 2.0, float("nan"), 3.0, 4.0, 5.0])
    half = 2.7764451051977987 * math.sqrt(0.5)
    assert result["n"] == 5 and result["mean"] == 3.0
    assert result["se"] == pytest.approx(math.sqrt(0.5))
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((3.0 - half, 3.0 + half))
    one = stats.t_interval([4.0])
    assert one["mean"] == 4.0 and math.isnan(one["se"]) and math.isnan(one["ci_low"])
    assert stats.t_interval([])["n"] == 0


def test_t_half_width_is_the_interval_of_grouped_summaries():
    x = np.array([2.0, 4.0, 9.0])
    half = stats.t_half_width([x.std(ddof=1), 1.0], [3, 1], 0.9)
    interval = stats.t_interval(x, 0.9)
    assert half[0] == pytest.approx(interval["ci_high"] - interval["mean"])
    assert math.isnan(half[1]), "one value has no interval"
