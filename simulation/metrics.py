"""What a run reports (MODEL.md §6): a summary per run and a daily time series.

Daily counters are filled as events happen (cost follows events); a snapshot of
stocks (backlogs, trust) is taken at the end of each day. The summary is computed
from the item store at the end. Response times count from the citizen's post to the
first reply and are known only for answered items; the response rate says how many
those are.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.codes import (
    ABANDONED,
    ANSWERED,
    BOILERPLATE,
    CHANNEL_NAMES,
    KIND_NAMES,
    NOT_RECEIVED,
    OPEN,
    PARTIAL,
    REFERRED,
    RUMOUR,
    SUBSTANTIVE,
)
from simulation.format import METRICS  # noqa: F401  (the glossary lives in format.py)

if TYPE_CHECKING:
    from simulation.model import GovernmentResponseModel


# Every daily counter and end-of-day snapshot, so every run's daily series has the same
# columns whether or not an event happened.
DAILY_COUNTERS = (
    "needs",
    "silent_needs",
    "vents",
    "received",
    *(f"received_{kind}" for kind in KIND_NAMES),
    *(f"received_via_{channel}" for channel in CHANNEL_NAMES),
    "replies",
    "replies_substantive",
    "replies_partial",
    "replies_boilerplate",
    "replies_on_time",
    "first_referrals",
    "referrals",
    "bounces",
    "escalations",
    "abandonments",
    "ratings",
    "rating_sum",
    "releases",
    "rumours",
    "clarifications",
    "impressions",
    "negative_impressions",
    "largest_cascade",
    "operator_busy_hours",
    "operator_duty_hours",
    "department_busy_hours",
    "department_duty_hours",
)
DAILY_SNAPSHOTS = (
    "backlog_operators",
    "backlog_departments",
    "open_items",
    "referred_items",
    "mean_trust",
    "trust_sd",
    "appraisal_score",
)


class MetricsRecorder:
    """Daily counters and end-of-day snapshots for one run."""

    def __init__(self, days: int):
        self.days = days
        self.counts: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(days))
        self.snapshots: dict[str, np.ndarray] = defaultdict(lambda: np.full(days, np.nan))
        for name in DAILY_COUNTERS:
            self.counts[name]  # noqa: B018 - creates the zero column
        for name in DAILY_SNAPSHOTS:
            self.snapshots[name]  # noqa: B018 - creates the NaN column
        self.reply_hours: list[list[float]] = [[] for _ in range(days)]
        self.appraisal_scores: list[float] = []

    def add(self, day: int, name: str, amount: float = 1.0) -> None:
        if 0 <= day < self.days:
            self.counts[name][day] += amount

    def maximum(self, day: int, name: str, value: float) -> None:
        if 0 <= day < self.days:
            column = self.counts[name]
            column[day] = max(column[day], value)

    def reply(self, day: int, hours: float) -> None:
        if 0 <= day < self.days:
            self.reply_hours[day].append(hours)

    def snapshot(self, day: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.snapshots[name][day] = value

    def daily_frame(self) -> pd.DataFrame:
        """One row per day: event counts, ratios of the day, and end-of-day stocks."""
        frame = pd.DataFrame({"day": np.arange(self.days)})
        for name in sorted(self.counts):
            frame[name] = self.counts[name]
        column = self.counts.__getitem__  # missing counters read as zeros
        frame["replies_per_received"] = _ratio(column("replies"), column("received"))
        frame["one_sided_share"] = _ratio(
            column("replies_boilerplate") + column("replies_partial"), column("replies")
        )
        frame["satisfaction"] = _ratio(column("rating_sum"), column("ratings"))
        frame["operator_utilisation"] = _ratio(
            column("operator_busy_hours"), column("operator_duty_hours")
        )
        frame["department_utilisation"] = _ratio(
            column("department_busy_hours"), column("department_duty_hours")
        )
        frame["staff_hours"] = column("operator_duty_hours") + column("department_duty_hours")
        frame["median_response_hours"] = [
            float(np.median(h)) if h else np.nan for h in self.reply_hours
        ]
        frame["p90_response_hours"] = [
            float(np.quantile(h, 0.9)) if h else np.nan for h in self.reply_hours
        ]
        for name in sorted(self.snapshots):
            frame[name] = self.snapshots[name]
        return frame


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ratio, NaN where the denominator is 0."""
    out = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def summarise(model: GovernmentResponseModel) -> dict[str, float]:
    """The run's summary metrics (see METRICS for meanings and units)."""
    items = model.items
    status = items.view("status")
    kind = items.view("kind")
    requests = (status != NOT_RECEIVED) & (kind != RUMOUR)
    n = int(requests.sum())
    answered = requests & (status == ANSWERED)
    quality = items.view("quality")
    reply_hours = items.view("reply_time")[answered]
    on_time = answered & (
        items.view("created") + items.view("reply_time") <= items.view("deadline")
    )
    n_answered = int(answered.sum())
    counts = model.metrics.counts
    population = model.population

    def share(mask: np.ndarray, of: int = n) -> float:
        return float(mask.sum()) / of if of else float("nan")

    ratings = items.view("satisfaction")[items.view("rated")]
    busy_ops = sum(counts["operator_busy_hours"])
    duty_ops = sum(counts["operator_duty_hours"])
    busy_dept = sum(counts["department_busy_hours"])
    duty_dept = sum(counts["department_duty_hours"])
    summary: dict[str, float] = {
        "needs": float(sum(counts["needs"])),
        "received": float(n),
        "response_rate": share(answered),
        "answered_within_deadline": share(on_time),
        "median_response_hours": float(np.median(reply_hours)) if n_answered else float("nan"),
        "p90_response_hours": float(np.quantile(reply_hours, 0.9)) if n_answered else float("nan"),
        "resolution_rate": share(requests & items.view("resolved")),
        "one_sided_share": share(answered & np.isin(quality, (BOILERPLATE, PARTIAL)), n_answered),
        "boilerplate_share": share(answered & (quality == BOILERPLATE), n_answered),
        "escalation_rate": share(requests & (items.view("escalations") > 0)),
        "abandonment_rate": share(requests & (status == ABANDONED)),
        "referral_rate": float(sum(counts["first_referrals"])) / n if n else float("nan"),
        "backlog_operators": float(model.operator_desk.backlog()),
        "backlog_departments": float(sum(d.backlog() for d in model.departments)),
        "open_at_end": float((requests & np.isin(status, (OPEN, REFERRED))).sum()),
        "mean_trust": float(population.trust.mean()),
        "trust_sd": float(population.trust.std()),
        "trust_change": float(population.trust.mean() - population.initial_mean_trust),
        "satisfaction": float(ratings.mean()) if len(ratings) else float("nan"),
        "negative_impressions": float(sum(counts["negative_impressions"])),
        "impressions": float(sum(counts["impressions"])),
        "largest_cascade": float(max(counts["largest_cascade"], default=0.0)),
        "releases": float(sum(counts["releases"])),
        "rumours": float(sum(counts["rumours"])),
        "rumours_clarified": float(sum(counts["clarifications"])),
        "operator_utilisation": busy_ops / duty_ops if duty_ops else float("nan"),
        "department_utilisation": busy_dept / duty_dept if duty_dept else float("nan"),
        "staff_hours": float(duty_ops + duty_dept),
        "appraisal_score": (
            float(np.mean(model.metrics.appraisal_scores))
            if model.metrics.appraisal_scores
            else float("nan")
        ),
    }
    for code, name in enumerate(KIND_NAMES):
        summary[f"received_{name}"] = float(((status != NOT_RECEIVED) & (kind == code)).sum())
    channel = items.view("channel")
    for code, name in enumerate(CHANNEL_NAMES):
        summary[f"received_via_{name}"] = float(
            ((status != NOT_RECEIVED) & (channel == code)).sum()
        )
    summary["received_via_monitoring"] = float(
        ((status != NOT_RECEIVED) & items.view("via_monitoring")).sum()
    )
    for code, name in (
        (SUBSTANTIVE, "substantive"),
        (PARTIAL, "partial"),
        (BOILERPLATE, "boilerplate"),
    ):
        summary[f"replies_{name}"] = float((answered & (quality == code)).sum())
    return summary
