"""The experiment statistics against known answers (simulation/experiment/stats.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.experiment import stats

TRUE_MEAN = 5.0


def test_bootstrap_interval_covers_the_true_mean_at_about_its_nominal_rate():
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


def test_describe_leaves_out_missing_values():
    described = stats.describe([1.0, 2.0, float("nan"), 3.0])
    assert described["n"] == 3
    assert described["mean"] == 2.0
    assert described["median"] == 2.0
    assert described["sd"] == pytest.approx(1.0)
    assert described["ci_low"] <= 2.0 <= described["ci_high"]
    one = stats.describe([4.0])
    assert (one["n"], one["mean"]) == (1, 4.0)
    assert math.isnan(one["sd"]) and math.isnan(one["ci_low"])
    none = stats.describe([float("nan")])
    assert none["n"] == 0 and math.isnan(none["mean"])


def test_holm_matches_a_hand_computed_example():
    # Sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04,
    # raised to the running maximum 0.06). NaN is not a test and does not count in m.
    p = [0.01, 0.04, float("nan"), 0.03, 0.005]
    adjusted = stats.holm(p)
    expected = [0.03, 0.06, float("nan"), 0.06, 0.02]
    np.testing.assert_allclose(adjusted, expected, equal_nan=True)
    assert stats.holm([0.5, 0.6]).tolist() == [1.0, 1.0]  # capped at 1
    assert stats.holm([]).tolist() == []


def test_paired_difference_of_identical_inputs_is_zero_with_p_one():
    x = [0.3, 0.5, 0.2, 0.9, 0.4]
    result = stats.paired_difference(x, x)
    assert result == {
        "n_pairs": 5,
        "diff": 0.0,
        "diff_ci_low": 0.0,
        "diff_ci_high": 0.0,
        "p_value": 1.0,
    }


def test_paired_difference_of_a_constant_shift():
    baseline = np.linspace(1.0, 2.0, 10)
    treatment = baseline + np.linspace(0.9, 1.1, 10)
    result = stats.paired_difference(treatment, baseline)
    assert result["n_pairs"] == 10
    assert result["diff"] == pytest.approx(1.0)
    assert 0.9 <= result["diff_ci_low"] < 1.0 < result["diff_ci_high"] <= 1.1
    # All ten differences positive: exact two-sided p = 2 / 2^10.
    assert result["p_value"] == pytest.approx(2 / 1024)
    assert stats.min_wilcoxon_p(10) == pytest.approx(2 / 1024)


def test_paired_difference_drops_incomplete_pairs():
    result = stats.paired_difference([1.0, float("nan"), 3.0, 5.0], [0.0, 1.0, float("nan"), 4.0])
    assert result["n_pairs"] == 2
    assert result["diff"] == 1.0
    empty = stats.paired_difference([float("nan")], [1.0])
    assert empty["n_pairs"] == 0 and math.isnan(empty["diff"]) and math.isnan(empty["p_value"])
    with pytest.raises(ValueError, match="equally long"):
        stats.paired_difference([1.0, 2.0], [1.0])


def test_interaction_of_additive_levers_is_zero_and_of_overlapping_ones_negative():
    rng = np.random.default_rng(3)
    baseline = rng.normal(0.35, 0.03, 12)
    process, mandate = baseline + 0.15, baseline + 0.40
    additive = stats.interaction(baseline + 0.55, process, mandate, baseline)
    assert additive["diff"] == pytest.approx(0.0, abs=1e-12) and additive["p_value"] == 1.0
    # Together they add 0.33, not 0.55: an interaction of -0.22 in every pair.
    overlap = stats.interaction(
        baseline + 0.33 + rng.normal(0, 0.01, 12), process, mandate, baseline
    )
    assert overlap["n_pairs"] == 12
    assert overlap["diff"] == pytest.approx(-0.22, abs=0.01)
    assert overlap["diff_ci_high"] < -0.2 and overlap["p_value"] == pytest.approx(2 / 2**12)
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
