"""Statistics of replications: intervals of a mean, paired comparisons, one decision rule.

Replications of a stochastic simulation are a sample; these functions say how sure we
are about what they show. They are thin, documented wrappers over scipy, and the only
place in the package where an interval of a mean or a test is computed.

**Intervals of a mean** are Student t intervals, mean ± t(1 − α/2, n − 1) · s / √n
(`t_interval`, `t_half_width`, `describe`). They need only n, the mean and the sd, so
they also serve figures that aggregate a table by group.

**Paired comparisons** (`paired_difference`, `paired_family`, `interaction`): scenario
and baseline run with the same seeds (common random numbers), so replication i of one
minus replication i of the other is one paired difference. Their mean gets a paired t
interval and a paired t test. A table of m comparisons (every scenario × metric tested
against the baseline) is one family: each interval is taken at level 1 − α/m
(Bonferroni), so all m intervals together cover their true differences with
probability at least 1 − α ("95 % simultaneous"), and the p-value is adjusted the same
way, min(1, m · p). **The decision** (`decision`) is one rule: a difference is
significant exactly when its adjusted interval excludes 0, which is the same as the
adjusted p < α. Table, forest plot and wording all call `decision`, so a p-value, an
interval and a colour can never disagree. (Holm's step-down would reject a little more
often, but it has no intervals that match its decisions; the Bonferroni intervals do.)

**Coverage** (measured by `tests/test_stats.py::test_paired_t_coverage_*`, 20,000
simulated samples per case, seeded; nominal 95 %):

| paired differences                               | n = 5  | n = 10 |
|--------------------------------------------------|--------|--------|
| normal                                           | 95.2 % | 94.9 % |
| symmetric, heavy-tailed (Laplace)                | 96.6 % | 95.9 % |
| skewed: shifted gamma, shape 4 (skewness 1)      | 93.1 % | 93.8 % |
| skewed: log-normal, σ = 0.5 (skewness 1.75)      | 91.8 % | 92.0 % |
| the BCa bootstrap comparisons used before, normal | 83.6 % | 89.3 % |

The t interval is exact for normal differences, at or above its level for symmetric
ones — and when two scenarios do not differ, their paired differences are symmetric
about 0, so the rate of false "significant" decisions holds at α — and below its level
for skewed ones (one seed with a rare large cascade): 1 to 3.5 points at 95 %, and
at the Bonferroni level 1 − 0.05/12 it misses 2 to 4.5 times as often as α/m. The
bootstrap interval that comparisons used before covers far less at these sizes.
Fewer than `MIN_PAIRS` pairs are not checked, and the adjusted t quantile grows fast
as pairs get few (t(1 − 0.05/24, 2) = 15.4 against 5.9 with 4 degrees of freedom), so
`too_few_pairs` says so. Rank tests are not used: the exact Wilcoxon test's smallest
two-sided p with n pairs is 2/2ⁿ, so it cannot reach α/m = 0.05/12 below 9 pairs.

All intervals are too narrow when the values are not independent (days of one run,
items of one run pooled as if they were runs). Missing values (NaN, e.g. a median
response time when nothing was answered) are left out: `n` always says how many values
an estimate rests on.

`bootstrap_ci` (BCa) remains for statistics over many independent cases (e.g. regret
over hundreds of sampled states, `simulation.experiment.robustness`), where it covers
at about its level; do not use it for a handful of replications.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

DEFAULT_RESAMPLES = 9999
DEFAULT_SEED = 0
# The fewest paired replications at which the paired t interval's coverage is checked
# (tests/test_stats.py); below it a comparison says its intervals are not backed.
MIN_PAIRS = 5


def finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """The values as a float array without NaN or infinite entries."""
    x = np.asarray(values, dtype=float).ravel()
    return x[np.isfinite(x)]


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> tuple[float, float]:
    """Bootstrap confidence interval of the mean (BCa) of the finite `values`.

    For many independent values only: with 5 values a nominal 95 % interval covers the
    mean about 84 % of the time, with 10 about 89 %, with 30 about 93 % (normal data;
    see the module docstring). Replications get `t_interval`.

    Parameters:
        values: the sample; NaN and infinite values are dropped.
        confidence: confidence level of the two-sided interval, in (0, 1).
        n_resamples: bootstrap resamples.
        seed: seed of the resampling, so the same values always give the same interval.

    Returns (low, high): (NaN, NaN) with fewer than two values; (v, v) when every value
    is v (no spread, nothing to resample). If BCa is undefined for a sample (it needs
    some spread in the jackknife), the percentile interval is used instead.
    """
    _check_confidence(confidence)
    x = finite(values)
    if len(x) < 2:
        return (math.nan, math.nan)
    if np.ptp(x) == 0.0:
        return (float(x[0]), float(x[0]))
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns about degenerate BCa; we fall back
            result = stats.bootstrap(
                (x,),
                np.mean,
                confidence_level=confidence,
                n_resamples=n_resamples,
                method=method,
                rng=np.random.default_rng(seed),
            )
        low, high = result.confidence_interval
        if np.isfinite(low) and np.isfinite(high):
            return (float(low), float(high))
    return (math.nan, math.nan)


def t_half_width(
    sd: Sequence[float] | np.ndarray,
    n: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
) -> np.ndarray:
    """Half-width of the Student t confidence interval of a mean, elementwise.

    Parameters:
        sd: sample standard deviations (ddof=1) of the groups.
        n: the number of values behind each sd.
        confidence: level of the two-sided interval, in (0, 1).

    Returns t(0.5 + confidence / 2, n − 1) · sd / √n, NaN where n < 2. See the module
    docstring for the assumptions and the coverage.
    """
    n = np.asarray(n, dtype=float)
    half = np.full(n.shape, np.nan)
    ok = n >= 2
    quantile = stats.t.ppf(0.5 + confidence / 2, n[ok] - 1)
    half[ok] = quantile * (np.asarray(sd, dtype=float)[ok] / np.sqrt(n[ok]))
    return half


def t_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """n, mean, standard error and the Student t confidence interval of the mean.

    Parameters:
        values: independent replications; NaN and infinite values are dropped.
        confidence: level of the two-sided interval, in (0, 1).

    With no values everything but n (0) is NaN; with one value se and the interval
    are NaN.
    """
    _check_confidence(confidence)
    x = finite(values)
    n = len(x)
    out = {"n": n, "mean": math.nan, "se": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    if n == 0:
        return out
    out["mean"] = mean = float(x.mean())
    if n == 1:
        return out
    sd = x.std(ddof=1)
    out["se"] = float(sd / math.sqrt(n))
    half = float(t_half_width([sd], [n], confidence)[0])
    out["ci_low"], out["ci_high"] = mean - half, mean + half
    return out


def describe(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """n, mean, median, sd (ddof=1) and the t confidence interval of the mean (`t_interval`).

    With no values every statistic is NaN and n is 0; with one value sd and the
    interval are NaN.
    """
    x = finite(values)
    interval = t_interval(x, confidence)
    n = len(x)
    return {
        "n": n,
        "mean": interval["mean"],
        "median": float(np.median(x)) if n else math.nan,
        "sd": float(x.std(ddof=1)) if n > 1 else math.nan,
        "ci_low": interval["ci_low"],
        "ci_high": interval["ci_high"],
    }


# --------------------------------------------------------------------------- decisions


def decision(low: float, high: float) -> str:
    """The one decision rule: on which side of 0 a difference's (adjusted) interval lies.

    'higher' if it lies above 0, 'lower' if below, 'unclear' if it contains 0 or is
    missing. Every table, figure and sentence that calls a difference significant uses this.
    """
    if low is None or high is None or _missing(low) or _missing(high):
        return "unclear"
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    return "unclear"


def row_decision(row: Mapping[str, Any]) -> str:
    """`decision` of a comparison row's diff_ci_low and diff_ci_high."""
    return decision(row.get("diff_ci_low", math.nan), row.get("diff_ci_high", math.nan))


def family_level(confidence: float, tests: int) -> float:
    """Level of each of `tests` Bonferroni intervals whose family has level `confidence`."""
    _check_confidence(confidence)
    return 1.0 - (1.0 - confidence) / max(1, int(tests))


def table_family(table: Any) -> tuple[float, int]:
    """(confidence, m) of a comparison table: the family's level and its number of tests.

    Read from its interval_level and tests columns (0.95 and the count of p-values if
    they are absent).
    """
    if "tests" in table and table["tests"].notna().any():
        tests = int(table["tests"].max())
        if "interval_level" in table and table["interval_level"].notna().any():
            level = float(table["interval_level"].dropna().iloc[0])
            return round(1.0 - (1.0 - level) * max(tests, 1), 6), tests
        return 0.95, tests
    return 0.95, int(table["p_value"].notna().sum()) if "p_value" in table else 0


def interval_label(confidence: float, tests: int) -> str:
    """How a family's difference intervals are labelled: '95 % simultaneous (Bonferroni, m = 12)'."""
    return f"{confidence:.0%} simultaneous (Bonferroni, m = {tests})".replace("%", " %")


def paired_values(
    treatment: Sequence[float] | np.ndarray, baseline: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Differences treatment − baseline of the pairs where both values are finite."""
    t = np.asarray(treatment, dtype=float).ravel()
    b = np.asarray(baseline, dtype=float).ravel()
    if t.shape != b.shape:
        raise ValueError(
            f"paired samples must be equally long: {len(t)} treatment values, "
            f"{len(b)} baseline values"
        )
    keep = np.isfinite(t) & np.isfinite(b)
    return t[keep] - b[keep]


def paired_t(
    differences: Sequence[float] | np.ndarray, confidence: float = 0.95, tests: int = 1
) -> dict[str, Any]:
    """Mean of paired differences, its interval, its t test and the decision.

    Parameters:
        differences: one difference per replication (NaN left out).
        confidence: the family's level; 1 − confidence is α.
        tests: m, the number of tests in the family (Bonferroni): the interval is taken
            at level 1 − α/m and the p-value multiplied by m.

    Returns n_pairs, diff, diff_ci_low, diff_ci_high, interval_level (1 − α/m), tests,
    p_value (the two-sided paired t test, unadjusted), p_adjusted (min(1, m · p)) and
    significant (`decision` of the interval is not 'unclear'; the same as p_adjusted <
    α). When every difference is the same value v the interval is (v, v) and p is 1 if
    v is 0, else 0; with fewer than two pairs there is no interval and no test.
    """
    d = finite(differences)
    n = len(d)
    level = family_level(confidence, tests)
    out: dict[str, Any] = {
        "n_pairs": n,
        "diff": float(d.mean()) if n else math.nan,
        "diff_ci_low": math.nan,
        "diff_ci_high": math.nan,
        "interval_level": level,
        "tests": int(tests),
        "p_value": math.nan,
        "p_adjusted": math.nan,
        "significant": False,
    }
    if n < 2:
        return out
    mean, sd = out["diff"], float(d.std(ddof=1))
    if sd == 0.0:
        out["diff_ci_low"] = out["diff_ci_high"] = mean
        out["p_value"] = 1.0 if mean == 0.0 else 0.0
    else:
        se = sd / math.sqrt(n)
        half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
        out["diff_ci_low"], out["diff_ci_high"] = mean - half, mean + half
        out["p_value"] = float(2.0 * stats.t.sf(abs(mean) / se, n - 1))
    out["p_adjusted"] = min(1.0, out["p_value"] * max(1, int(tests)))
    out["significant"] = decision(out["diff_ci_low"], out["diff_ci_high"]) != "unclear"
    return out


def paired_difference(
    treatment: Sequence[float] | np.ndarray,
    baseline: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    tests: int = 1,
) -> dict[str, Any]:
    """Mean paired difference treatment − baseline, with `paired_t`'s interval and test.

    Parameters:
        treatment, baseline: equally long sequences; position i of both belongs to the
            same replication (the same seed). Pairs where either value is missing are
            dropped.
        confidence, tests: as in `paired_t` (tests = 1: one comparison, unadjusted).
    """
    return paired_t(paired_values(treatment, baseline), confidence, tests)


def paired_family(
    pairs: Sequence[tuple[Sequence[float] | np.ndarray, Sequence[float] | np.ndarray]],
    confidence: float = 0.95,
) -> list[dict[str, Any]]:
    """`paired_difference` of every (treatment, baseline) pair, as one Bonferroni family.

    m is the number of pairs with at least two complete replications (the others have
    no test); every interval is at level 1 − α/m, every p-value multiplied by m.
    """
    differences = [paired_values(t, b) for t, b in pairs]
    m = sum(len(d) >= 2 for d in differences)
    return [paired_t(d, confidence, max(m, 1)) for d in differences]


def interaction(
    both: Sequence[float] | np.ndarray,
    first: Sequence[float] | np.ndarray,
    second: Sequence[float] | np.ndarray,
    baseline: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    tests: int = 1,
) -> dict[str, Any]:
    """Interaction of two levers: the combined effect minus the sum of the single effects.

    Per replication i (all four arms run with the same seed), (both − baseline) −
    (first − baseline) − (second − baseline) = both + baseline − first − second; its
    mean, interval and test are those of `paired_difference` of `both + baseline`
    against `first + second`. Positive: the levers together do more than their two
    effects added; negative: less (they overlap or get in each other's way).
    Replications where any arm is missing are dropped.
    """
    arms = [np.asarray(a, dtype=float).ravel() for a in (both, first, second, baseline)]
    if len({len(a) for a in arms}) != 1:
        raise ValueError(f"the four arms must be equally long: {[len(a) for a in arms]}")
    b, f, s, base = arms
    return paired_difference(b + base, f + s, confidence, tests)


def too_few_pairs(n_pairs: int, tests: int = 1, confidence: float = 0.95) -> str | None:
    """One line when `n_pairs` paired replications are too few to back a comparison.

    None from `MIN_PAIRS` pairs on (the fewest at which the interval's coverage is
    checked); below, the sentence gives the adjusted t quantile that widens the
    intervals and the number of replications to run.
    """
    if n_pairs >= MIN_PAIRS:
        return None
    level = family_level(confidence, tests)
    over = f" over {tests} tests" if tests > 1 else ""
    if n_pairs < 2:
        widened = "no interval or test is possible"
    else:
        quantile = float(stats.t.ppf(0.5 + level / 2, n_pairs - 1))
        at_min = float(stats.t.ppf(0.5 + level / 2, MIN_PAIRS - 1))
        widened = (
            f"the adjusted t quantile{over} is {quantile:.1f} (against {at_min:.1f} with "
            f"{MIN_PAIRS})"
        )
    return (
        f"{n_pairs} paired replication(s) are too few to trust these comparisons: the "
        f"intervals' coverage is checked from {MIN_PAIRS} pairs on, and {widened}; run at "
        f"least {MIN_PAIRS} replications"
    )


# --------------------------------------------------------------------------- indices

# Sobol' indices are shares of variance, between 0 and 1; SALib's bootstrap intervals
# of them are wide at small base samples. On the Ishigami benchmark (the standard test
# function of variance-based sensitivity analysis) their 95 % half-widths fall below
# 0.1, a tenth of the whole scale, only from N = 512 base samples (measured: 0.16-0.65
# at N = 8, 0.15-0.23 at 64, 0.10-0.16 at 256, 0.04-0.10 at 512, first and total
# order); a model's own noise only widens them.
SOBOL_MIN_SAMPLES = 512
# An index whose interval is wider than its value is unreliable, unless the interval
# is so short that the index is clearly small: a half-width of at most 0.05 bounds it
# below 0.1 (a clear "negligible", not a doubtful estimate).
NEGLIGIBLE_HALF_WIDTH = 0.05


def index_problem(
    value: float,
    half_width: float,
    bounds: tuple[float, float] = (0.0, 1.0),
    negligible: float = NEGLIGIBLE_HALF_WIDTH,
) -> str:
    """Why a sensitivity index with a ± half-width cannot be read as it is; '' if it can.

    'outside [0, 1] beyond its interval' when even the interval misses the possible
    range (`bounds`; a share of variance lies in [0, 1]); 'interval wider than the
    value' when half_width > |value| (and above `negligible`); 'no interval' when either
    is missing. Sobol' indices use the defaults; Morris' mu* uses bounds (0, ∞) and
    negligible 0.
    """
    if _missing(value) or _missing(half_width):
        return "no interval"
    low, high = bounds
    if value - half_width > high or value + half_width < low:
        return f"outside [{low:g}, {high:g}] beyond its interval"
    if half_width > abs(value) and half_width > negligible:
        return "interval wider than the value"
    return ""


def _missing(value: Any) -> bool:
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
