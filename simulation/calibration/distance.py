"""How far simulated statistics are from observed ones: one number, term by term.

**The distance** between observed (o) and simulated (s) statistics is

    D = Σ_t w_t · d_t²,   w_t = 1 / scale_t²

| term t | d_t | scale | weight |
|---|---|---|---|
| `reply_rate` | s − o | 0.05 (5 points) | 400 |
| `reply_time` | root mean square over the 25/50/75/90 % quantiles of log(1 + s_q) − log(1 + o_q), hours | log 1.25 (a factor 1.25) | ≈ 20 |
| `hourly_profile` | Hellinger distance of the 24 hourly shares | 0.10 | 100 |
| `items_per_day` | (s − o) / o | 0.10 (10 %) | 100 |
| `one_sided_share` | s − o (only if the data has `reply_type`) | 0.05 (5 points) | 400 |

Each scale is the size of mismatch an analyst would call clearly visible, and is near
the sampling noise of that statistic in a record of a few hundred items (the standard
error of a share of 0.35 from 200 items is 0.034; the Hellinger distance between a
sample of 300 items and the 24-hour profile it was drawn from is about 0.1; the number
of items a model run of 14 days at 1,000 citizens receives varies by about 13 % from
seed to seed). So one unit of D is "one statistic off by about its noise", and no
statistic dominates by its units. Reply times are compared on a log scale because they
are skewed and a factor matters more than hours; log(1 + hours) keeps replies within
minutes from dominating through their tiny logarithms. A statistic the simulation cannot produce (no replies, no items) counts at its
worst (reply times at the horizon, rate and shares at a difference of 1); a statistic
the data lacks is left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simulation.calibration.records import RecordStats

# Scale of each distance term: the difference that counts as one unit of distance
# (weight = 1 / scale²). See the module docstring for why these values.
DISTANCE_SCALES: dict[str, float] = {
    "reply_rate": 0.05,
    "reply_time": math.log(1.25),
    "hourly_profile": 0.10,
    "items_per_day": 0.10,
    "one_sided_share": 0.05,
}
TERM_LABELS = {
    "reply_rate": "reply rate (within the horizon)",
    "reply_time": "reply-time quantiles (log)",
    "hourly_profile": "hourly arrival profile (Hellinger)",
    "items_per_day": "items per day (relative)",
    "one_sided_share": "one-sided share of replies",
}


@dataclass
class Term:
    """One distance term: its difference d, weight w = 1/scale² and contribution w·d²."""

    name: str
    difference: float
    weight: float

    @property
    def contribution(self) -> float:
        """The term's share of the distance: w·d²."""
        return self.weight * self.difference**2


@dataclass
class Distance:
    """The distance D between observed and simulated statistics, with its terms by name."""

    total: float
    terms: dict[str, Term]


def _hellinger(p: np.ndarray, q: np.ndarray) -> float:
    if np.isnan(p).any() or np.isnan(q).any():
        return 1.0
    return float(math.sqrt(max(0.0, 1.0 - float(np.sum(np.sqrt(p * q))))))


def distance(
    observed: RecordStats,
    simulated: RecordStats,
    scales: Mapping[str, float] | None = None,
) -> Distance:
    """D = Σ_t (d_t / scale_t)² over the statistics the data has (module docstring).

    `scales` replaces some of DISTANCE_SCALES; a scale of `inf` (weight 0) drops a term.
    """
    scale = {**DISTANCE_SCALES, **(scales or {})}
    unknown = set(scale) - set(DISTANCE_SCALES)
    if unknown:
        raise ValueError(
            f"unknown distance terms {sorted(unknown)}; known: {', '.join(DISTANCE_SCALES)}"
        )
    terms: dict[str, Term] = {}

    def add(name: str, difference: float) -> None:
        s = scale[name]
        weight = 0.0 if math.isinf(s) else 1.0 / s**2
        terms[name] = Term(name, float(difference), weight)

    if math.isfinite(observed.reply_rate):
        sim = simulated.reply_rate
        add("reply_rate", sim - observed.reply_rate if math.isfinite(sim) else 1.0)
    if observed.replied:
        squares = []
        for q, obs in observed.quantiles.items():
            sim = simulated.quantiles.get(q, float("nan"))
            if not math.isfinite(sim):
                sim = observed.horizon_hours  # no simulated replies: as if all at the horizon
            squares.append((math.log1p(sim) - math.log1p(obs)) ** 2)
        add("reply_time", math.sqrt(sum(squares) / len(squares)))
    if observed.items:
        add("hourly_profile", _hellinger(observed.hourly, simulated.hourly))
        add(
            "items_per_day",
            (simulated.items_per_day - observed.items_per_day) / observed.items_per_day,
        )
    if observed.one_sided_share is not None and math.isfinite(observed.one_sided_share):
        share = simulated.one_sided_share
        if share is not None and math.isfinite(share):
            add("one_sided_share", share - observed.one_sided_share)
        else:
            add("one_sided_share", 1.0)
    return Distance(sum(t.contribution for t in terms.values()), terms)
