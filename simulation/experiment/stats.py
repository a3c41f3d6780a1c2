"""Statistics of replications: intervals of a mean, paired tests, Holm's correction.

Replications of a stochastic simulation are a sample; these functions say how sure we
are about what they show. They are thin, documented wrappers over scipy, and the only
place in the package where an interval of a mean is computed. Two methods, each with
its own use:

- **bootstrap** (`bootstrap_ci`, `describe`, `paired_difference`): the BCa bootstrap
  interval of the mean (`scipy.stats.bootstrap`, seeded so the same numbers give the
  same interval). It assumes only that the replications are independent draws; it
  needs the values themselves. Experiments' tables use it.
- **Student t** (`t_interval`, `t_half_width`): mean ± t(1 − α/2, n − 1) · s / √n. It
  assumes independent replications whose mean is about normally distributed (exact for
  normal values, close for sums and averages over many items, as a run's metrics are),
  and needs only n, the mean and the sd, so it also serves figures that aggregate a
  table by group. The validation report and the bands of daily series use it.

Both are too narrow when the values are not independent (days of one run, items of one
run pooled as if they were runs), and for strongly skewed or heavy-tailed values with
few replications (a metric that is mostly 0 with rare large values). Besides:

- `describe` — mean, median, sd and the bootstrap interval of the mean;
- `paired_difference` — the mean of paired differences (replication i of one scenario
  minus replication i of another, run with the same seed), its bootstrap interval and
  the Wilcoxon signed-rank p-value (`scipy.stats.wilcoxon`);
- `interaction` — the combined effect of two levers minus the sum of their single
  effects, paired by seed, with the same interval and test;
- `holm` — Holm's step-down adjustment of p-values for many tests at once.

Missing values (NaN, e.g. a median response time when nothing was answered) are left
out: `n` always says how many values an estimate rests on.

A word on small samples: the bootstrap interval of a mean is narrower than a t interval
and covers the true mean less often than its nominal level when there are few values
(measured for normal data, 95% nominal: about 90% with 10 values, 93% with 30, 94% with
50). With 10 paired replications the smallest two-sided Wilcoxon p-value is
2/2^10 ≈ 0.002, so Holm over more than 25 tests cannot reach 0.05; `min_wilcoxon_p`
gives that floor.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import stats

DEFAULT_RESAMPLES = 9999
DEFAULT_SEED = 0


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
    docstring for the assumptions.
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


def describe(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, float]:
    """n, mean, median, sd (ddof=1) and the bootstrap CI of the mean of the finite values.

    Parameters are those of `bootstrap_ci`. With no values every statistic is NaN and n
    is 0; with one value sd and the interval are NaN.
    """
    x = finite(values)
    n = len(x)
    low, high = bootstrap_ci(x, confidence, n_resamples, seed)
    return {
        "n": n,
        "mean": float(x.mean()) if n else math.nan,
        "median": float(np.median(x)) if n else math.nan,
        "sd": float(x.std(ddof=1)) if n > 1 else math.nan,
        "ci_low": low,
        "ci_high": high,
    }


def paired_difference(
    treatment: Sequence[float] | np.ndarray,
    baseline: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, float]:
    """Mean paired difference treatment − baseline, its bootstrap CI and Wilcoxon p-value.

    Parameters:
        treatment, baseline: equally long sequences; position i of both belongs to the
            same replication (the same seed). Pairs where either value is missing are
            dropped.
        confidence, n_resamples, seed: as in `bootstrap_ci`.

    Returns a dict with n_pairs, diff, diff_ci_low, diff_ci_high and p_value. The
    p-value is the two-sided Wilcoxon signed-rank test of "differences centred on 0"
    (exact for small samples without ties or zeros, zero differences dropped). When
    every difference is 0 there is no evidence of any difference and p is 1; with no
    pairs everything but n_pairs is NaN.
    """
    t = np.asarray(treatment, dtype=float).ravel()
    b = np.asarray(baseline, dtype=float).ravel()
    if t.shape != b.shape:
        raise ValueError(
            f"paired samples must be equally long: {len(t)} treatment values, "
            f"{len(b)} baseline values"
        )
    keep = np.isfinite(t) & np.isfinite(b)
    d = t[keep] - b[keep]
    n = len(d)
    out = {
        "n_pairs": n,
        "diff": math.nan,
        "diff_ci_low": math.nan,
        "diff_ci_high": math.nan,
        "p_value": math.nan,
    }
    if n == 0:
        return out
    out["diff"] = float(d.mean())
    out["diff_ci_low"], out["diff_ci_high"] = bootstrap_ci(d, confidence, n_resamples, seed)
    if not d.any():
        out["p_value"] = 1.0
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # few pairs: scipy warns the test is weak
            out["p_value"] = float(stats.wilcoxon(d).pvalue)
    return out


def interaction(
    both: Sequence[float] | np.ndarray,
    first: Sequence[float] | np.ndarray,
    second: Sequence[float] | np.ndarray,
    baseline: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, float]:
    """Interaction of two levers: the combined effect minus the sum of the single effects.

    Per replication i (all four arms run with the same seed), (both − baseline) −
    (first − baseline) − (second − baseline) = both + baseline − first − second; its
    mean, bootstrap CI and Wilcoxon p-value are those of `paired_difference` of
    `both + baseline` against `first + second`. Positive: the levers together do more
    than their two effects added; negative: less (they overlap or get in each other's
    way). Replications where any arm is missing are dropped.
    """
    arms = [np.asarray(a, dtype=float).ravel() for a in (both, first, second, baseline)]
    if len({len(a) for a in arms}) != 1:
        raise ValueError(f"the four arms must be equally long: {[len(a) for a in arms]}")
    b, f, s, base = arms
    return paired_difference(b + base, f + s, confidence, n_resamples, seed)


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of p-values (NaN entries are not tests and stay NaN).

    With m tests sorted by p ascending, p_(i) is adjusted to
    max over j ≤ i of min(1, (m − j + 1) · p_(j)), which controls the family-wise error
    rate at level α when the adjusted p-values are compared with α.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    m = len(tested)
    if m == 0:
        return out
    order = tested[np.argsort(p[tested], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def min_wilcoxon_p(n_pairs: int) -> float:
    """Smallest two-sided p-value the exact Wilcoxon signed-rank test can give for n pairs."""
    return min(1.0, 2.0 / 2.0**n_pairs) if n_pairs > 0 else math.nan


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
