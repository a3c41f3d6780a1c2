"""What a run reports (MODEL.md §6): a summary per run and a daily time series.

Daily counters are filled as events happen (cost follows events); a snapshot of
stocks (backlogs, trust) is taken at the end of each day. The summary is computed
from the item store at the end. Response times count from the citizen's post to the
first reply and are known only for items that got one; the response rate says how many
those are.

A need can take several contacts (the post, then follow-ups and reminders), each
answered at most once. Rates per need (`response_rate`, the headline) and per contact
(`contact_response_rate`) are both reported, with the contacts per need and the
failure demand (the operators' work on repeat contacts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.codes import (
    ABANDONED,
    ANSWERED,
    BOILERPLATE,
    CHANNEL_NAMES,
    HOURS_PER_DAY,
    KIND_NAMES,
    NOT_RECEIVED,
    OPEN,
    PARTIAL,
    POST_REPLY,
    QUALITY_NAMES,
    REFERRED,
    REPEAT_CONTACT_NAMES,
    RUMOUR,
    STATUS_NAMES,
    SUBSTANTIVE,
)
from simulation.events import (
    Abandoned,
    Appraised,
    Clarified,
    DayEnded,
    Escalated,
    Event,
    EventBus,
    ExposureBatch,
    ItemReceived,
    Judged,
    NeedsArose,
    NeedsKeptSilent,
    Referred,
    ReleasePublished,
    Reopened,
    Replied,
    Returned,
    RumoursSeeded,
    Vented,
)
from simulation.format import METRICS  # noqa: F401  (the glossary lives in format.py)

if TYPE_CHECKING:
    from simulation.items import ItemStore
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
    "contacts",
    "follow_ups",
    "reminders",
    "replies",
    "first_replies",
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


_RECEIVED_KIND = [f"received_{kind}" for kind in KIND_NAMES]
_RECEIVED_VIA = [f"received_via_{channel}" for channel in CHANNEL_NAMES]
_REPLIES_OF_QUALITY = {code: f"replies_{name}" for code, name in QUALITY_NAMES.items()}
_REPEAT_CONTACTS = [f"{name}s" for name in REPEAT_CONTACT_NAMES]  # follow_ups, reminders


class MetricsRecorder:
    """Daily counters and end-of-day snapshots for one run, kept from the run's events."""

    def __init__(self, days: int, items: ItemStore | None = None, events: EventBus | None = None):
        self.days = days
        self.counts: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(days))
        self.snapshots: dict[str, np.ndarray] = defaultdict(lambda: np.full(days, np.nan))
        for name in DAILY_COUNTERS:
            self.counts[name]  # noqa: B018 - creates the zero column
        for name in DAILY_SNAPSHOTS:
            self.snapshots[name]  # noqa: B018 - creates the NaN column
        self.reply_hours: list[list[float]] = [[] for _ in range(days)]
        self.appraisal_scores: list[float] = []
        self.items = items
        if events is not None:
            self.listen(events)

    def listen(self, events: EventBus) -> None:
        """Subscribe to every event the daily series counts."""
        handlers: tuple[tuple[type[Event], Callable[[Any], None]], ...] = (
            (NeedsArose, self._on_needs),
            (NeedsKeptSilent, self._on_silent),
            (Vented, self._on_vented),
            (ItemReceived, self._on_received),
            (RumoursSeeded, self._on_rumours),
            (Replied, self._on_replied),
            (Referred, self._on_referred),
            (Returned, self._on_returned),
            (Reopened, self._on_reopened),
            (Escalated, self._on_escalated),
            (Abandoned, self._on_abandoned),
            (Judged, self._on_judged),
            (ReleasePublished, self._on_release),
            (Clarified, self._on_clarified),
            (ExposureBatch, self._on_exposures),
            (Appraised, self._on_appraised),
            (DayEnded, self._on_day_ended),
        )
        for event_type, handler in handlers:
            events.subscribe(event_type, handler)

    # -------------------------------------------------------------- event handlers

    def _on_needs(self, event: NeedsArose) -> None:
        self.add(event.hour // HOURS_PER_DAY, "needs", event.count)

    def _on_silent(self, event: NeedsKeptSilent) -> None:
        self.add(event.hour // HOURS_PER_DAY, "silent_needs", event.count)

    def _on_vented(self, event: Vented) -> None:
        self.add(event.hour // HOURS_PER_DAY, "vents")

    def _on_received(self, event: ItemReceived) -> None:
        day = event.hour // HOURS_PER_DAY
        if event.kind != RUMOUR:  # rumours are not requests (as in the summary)
            self.add(day, "received")
            self.add(day, "contacts")
        self.add(day, _RECEIVED_KIND[event.kind])
        self.add(day, _RECEIVED_VIA[event.channel])

    def _on_rumours(self, event: RumoursSeeded) -> None:
        self.add(event.hour // HOURS_PER_DAY, "rumours", len(event.items))

    def _on_replied(self, event: Replied) -> None:
        day = int(event.time // HOURS_PER_DAY)
        self.add(day, "replies")
        self.add(day, _REPLIES_OF_QUALITY[event.quality])
        if event.first:  # response times and deadlines are those of the need
            self.add(day, "first_replies")
            self.reply(day, event.reply_hours)
            if event.on_time:
                self.add(day, "replies_on_time")

    def _on_reopened(self, event: Reopened) -> None:
        day = int(event.time // HOURS_PER_DAY)
        self.add(day, "contacts")
        self.add(day, _REPEAT_CONTACTS[event.reason])

    def _on_referred(self, event: Referred) -> None:
        day = int(event.time // HOURS_PER_DAY)
        if event.first:
            self.add(day, "first_referrals")
        self.add(day, "referrals")

    def _on_returned(self, event: Returned) -> None:
        self.add(int(event.time // HOURS_PER_DAY), "bounces")

    def _on_escalated(self, event: Escalated) -> None:
        self.add(int(event.time // HOURS_PER_DAY), "escalations")

    def _on_abandoned(self, event: Abandoned) -> None:
        self.add(int(event.time // HOURS_PER_DAY), "abandonments")

    def _on_judged(self, event: Judged) -> None:
        assert self.items is not None
        ended = self.items.ended_at
        for item, s, r in zip(
            event.items.tolist(), event.satisfaction.tolist(), event.rated.tolist(), strict=True
        ):
            if r:
                day = int(ended[item] // HOURS_PER_DAY)
                self.add(day, "ratings")
                self.add(day, "rating_sum", s)

    def _on_release(self, event: ReleasePublished) -> None:
        self.add(int(event.time // HOURS_PER_DAY), "releases")

    def _on_clarified(self, event: Clarified) -> None:
        self.add(int(event.time // HOURS_PER_DAY), "clarifications")

    def _on_exposures(self, event: ExposureBatch) -> None:
        day = event.hour // HOURS_PER_DAY
        impressions = event.generation.impressions
        self.add(day, "impressions", int(impressions.sum()))
        loss = event.loss
        for i, cascade in enumerate(event.cascades):
            shown = int(impressions[i])
            if not shown:
                continue
            if loss[i] and cascade.post_type != POST_REPLY:
                self.add(day, "negative_impressions", shown)
            self.maximum(int(cascade.started // HOURS_PER_DAY), "largest_cascade", cascade.size)

    def _on_appraised(self, event: Appraised) -> None:
        scores = [s for s in event.operator_scores if s is not None]
        if scores:
            mean = float(np.mean(scores))
            self.appraisal_scores.append(mean)
            self.snapshot(event.hour // HOURS_PER_DAY, {"appraisal_score": mean})

    def _on_day_ended(self, event: DayEnded) -> None:
        day = event.day
        self.add(day, "operator_busy_hours", event.operator_busy_hours)
        self.add(day, "operator_duty_hours", event.operator_duty_hours)
        self.add(day, "department_busy_hours", event.department_busy_hours)
        self.add(day, "department_duty_hours", event.department_duty_hours)
        self.snapshot(day, event.stocks)

    # -------------------------------------------------------------- recording

    def add(self, day: int, name: str, amount: float = 1.0) -> None:
        """Add `amount` to a daily counter (days outside the run are ignored)."""
        if 0 <= day < self.days:
            self.counts[name][day] += amount

    def maximum(self, day: int, name: str, value: float) -> None:
        """Keep the largest value of a daily counter."""
        if 0 <= day < self.days:
            column = self.counts[name]
            column[day] = max(column[day], value)

    def reply(self, day: int, hours: float) -> None:
        """Record a first reply's time from the post [hours]."""
        if 0 <= day < self.days:
            self.reply_hours[day].append(hours)

    def snapshot(self, day: int, values: dict[str, float]) -> None:
        """End-of-day values of stocks (backlogs, trust)."""
        for name, value in values.items():
            self.snapshots[name][day] = value

    def daily_frame(self) -> pd.DataFrame:
        """One row per day: event counts, ratios of the day, and end-of-day stocks."""
        frame = pd.DataFrame({"day": np.arange(self.days)})
        for name, values in self.daily_columns().items():
            frame[name] = values
        return frame

    def day_values(self, day: int) -> dict[str, float]:
        """Row `day` of the daily series as it stands now (`daily_frame` without building it)."""
        return {
            name: float(values[0])
            for name, values in self.daily_columns(slice(day, day + 1)).items()
        }

    def daily_columns(self, days: slice = slice(None)) -> dict[str, np.ndarray]:
        """The columns of the daily series (after `day`) over `days`, in the table's order.

        The one definition of every daily column: `daily_frame` and `day_values` (what the
        model's DataCollector reads at the end of each day) both come from here.
        """
        counts = {name: self.counts[name][days] for name in sorted(self.counts)}
        columns: dict[str, np.ndarray] = dict(counts)
        column = counts.__getitem__  # every counter exists (DAILY_COUNTERS)
        columns["replies_per_received"] = _ratio(column("first_replies"), column("received"))
        columns["replies_per_contact"] = _ratio(column("replies"), column("contacts"))
        columns["one_sided_share"] = _ratio(
            column("replies_boilerplate") + column("replies_partial"), column("replies")
        )
        columns["satisfaction"] = _ratio(column("rating_sum"), column("ratings"))
        columns["operator_utilisation"] = _ratio(
            column("operator_busy_hours"), column("operator_duty_hours")
        )
        columns["department_utilisation"] = _ratio(
            column("department_busy_hours"), column("department_duty_hours")
        )
        columns["staff_hours"] = column("operator_duty_hours") + column("department_duty_hours")
        hours = self.reply_hours[days]
        columns["median_response_hours"] = np.array(
            [float(np.median(h)) if h else np.nan for h in hours], dtype=float
        )
        columns["p90_response_hours"] = np.array(
            [float(np.quantile(h, 0.9)) if h else np.nan for h in hours], dtype=float
        )
        for name in sorted(self.snapshots):
            columns[name] = self.snapshots[name][days]
        return columns


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
    replies = items.view("replies")
    answered = requests & (replies > 0)  # needs that got a reply (they may be open again)
    reply_hours = items.view("reply_time")[answered]
    on_time = answered & (
        items.view("created") + items.view("reply_time") <= items.view("deadline")
    )
    n_answered = int(answered.sum())
    contacts = int(items.view("contacts")[requests].sum())
    counts = model.metrics.counts
    # Replies by quality, every reply to every contact (the need's first one and later).
    by_quality = {
        code: float(sum(counts[f"replies_{name}"])) for code, name in QUALITY_NAMES.items()
    }
    all_replies = sum(by_quality.values())
    need_hours = model.operator_desk.need_hours
    population = model.population
    now = float(model.hour)
    trust = population.trust_at(now)  # at the end of the run, drift included

    def share(mask: np.ndarray, of: int = n) -> float:
        return float(mask.sum()) / of if of else float("nan")

    judged = items.view("satisfaction")
    ratings = judged[items.view("rated")]
    answered_judged = judged[answered & ~np.isnan(judged)]
    abandoned = int((requests & (status == ABANDONED)).sum())
    closed = len(answered_judged) + abandoned
    closed_satisfaction = (
        (
            float(answered_judged.sum())
            + abandoned * model.scenario.reactions.abandonment_satisfaction
        )
        / closed
        if closed
        else float("nan")
    )
    busy_ops = sum(counts["operator_busy_hours"])
    duty_ops = sum(counts["operator_duty_hours"])
    busy_dept = sum(counts["department_busy_hours"])
    duty_dept = sum(counts["department_duty_hours"])
    summary: dict[str, float] = {
        "needs": float(sum(counts["needs"])),
        "received": float(n),
        "response_rate": share(answered),
        "contact_response_rate": (
            float(replies[requests].sum()) / contacts if contacts else float("nan")
        ),
        "answered_within_deadline": share(on_time),
        "median_response_hours": float(np.median(reply_hours)) if n_answered else float("nan"),
        "p90_response_hours": float(np.quantile(reply_hours, 0.9)) if n_answered else float("nan"),
        "resolution_rate": share(requests & items.view("resolved")),
        "one_sided_share": (
            (by_quality[BOILERPLATE] + by_quality[PARTIAL]) / all_replies
            if all_replies
            else float("nan")
        ),
        "boilerplate_share": by_quality[BOILERPLATE] / all_replies if all_replies else float("nan"),
        "escalation_rate": share(requests & (items.view("escalations") > 0)),
        "abandonment_rate": share(requests & (status == ABANDONED)),
        "referral_rate": float(sum(counts["first_referrals"])) / n if n else float("nan"),
        "contacts": float(contacts),
        "contacts_per_need": contacts / n if n else float("nan"),
        "follow_ups": float(items.view("follow_ups")[requests].sum()),
        "reminders": float(items.view("reminders")[requests].sum()),
        "repeat_contact_share": (contacts - n) / contacts if contacts else float("nan"),
        "failure_demand": (
            float(need_hours[1] / need_hours.sum()) if need_hours.sum() else float("nan")
        ),
        "backlog_operators": float(model.operator_desk.backlog(now)),
        "backlog_departments": float(sum(d.backlog(now) for d in model.departments)),
        "open_at_end": float((requests & np.isin(status, (OPEN, REFERRED))).sum()),
        "mean_trust": float(trust.mean()),
        "trust_sd": float(trust.std()),
        "trust_change": float(trust.mean() - population.initial_mean_trust),
        "satisfaction": float(ratings.mean()) if len(ratings) else float("nan"),
        "closed_satisfaction": closed_satisfaction,
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
    for code in (SUBSTANTIVE, PARTIAL, BOILERPLATE):
        summary[f"replies_{QUALITY_NAMES[code]}"] = by_quality[code]
    return summary


# The item table: one row per item (MODEL.md §2 "Posts"), for analysis of individual
# requests — queue waits, reply times, who answered — beside the daily series.
ITEM_COLUMNS: dict[str, str] = {
    "item": "Row number of the item in the run.",
    "created": "When the author posted [hours since the start].",
    "kind": "consultation, request, complaint, suggestion or rumour.",
    "topic": "The department (topic) it needs.",
    "second_topic": "A second department it needs (empty: one suffices).",
    "channel": "mention (public @), private (message), vent (public, unaddressed) or rumour.",
    "author": "Citizen index of the author.",
    "received": "When the government saw it [hours]; empty if never.",
    "via_monitoring": "Found by monitoring public opinion rather than addressed.",
    "service_started": "First time an operator started work on it [hours].",
    "queue_wait_hours": "service_started minus received [hours].",
    "first_reply": "When the first reply was posted [hours]; empty if none.",
    "reply_hours": "first_reply minus created [hours].",
    "reply_quality": "Of the first reply: substantive, partial or boilerplate; empty if none.",
    "status": "At the end: open, referred, answered, abandoned or not_received.",
    "deadline": "Reply deadline under the accountability rule [hours]; empty if none.",
    "escalations": "Times the author escalated.",
    "threat": "The author stated a threat to complain to upper levels.",
    "contacts": "Times the author addressed the government about it: the post, follow-ups, "
    "reminders (0 for rumours).",
    "follow_ups": "Contacts after a reply that did not settle the need.",
    "reminders": "Contacts after the item was left without a reply.",
    "replies": "Replies posted to it (at most one per contact).",
    "impressions": "Exposures of followers to the item's posts.",
    "reposts": "Reposts of the item's posts.",
    "responsible_unit": "Who answered last: operator <i>, or the department that led the "
    "answer; empty unless answered at the end.",
    "satisfaction": "The author's judgement of the last reply [-1, 1].",
    "rated": "The author left a rating.",
}


def item_table(items: ItemStore, topics: list[str]) -> pd.DataFrame:
    """One row per item of the run (see ITEM_COLUMNS for meanings and units)."""
    n = len(items)
    column = items.view

    def named(codes: np.ndarray, names: list[str] | tuple[str, ...]) -> pd.Categorical:
        return pd.Categorical.from_codes(codes.astype(np.int64), categories=list(names))

    def finite(values: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(values), values, np.nan)

    status = column("status")
    status_names = ["not_received", *(STATUS_NAMES[code] for code in sorted(STATUS_NAMES))]
    quality = column("quality")
    quality_names = ["", *(QUALITY_NAMES[code] for code in sorted(QUALITY_NAMES))]
    created = column("created")
    received = column("received_at")
    started = column("service_started_at")
    reply = column("reply_time")
    operator = column("operator").astype(np.int64)
    by_departments = column("answered_by_departments")
    topic = column("topic").astype(np.int64)
    answered = status == ANSWERED
    unit = np.full(n, "", dtype=object)
    by_operator = answered & ~by_departments & (operator >= 0)
    unit[by_operator] = [f"operator {i}" for i in operator[by_operator].tolist()]
    led = answered & by_departments
    unit[led] = [f"department {topics[i]}" for i in topic[led].tolist()]
    second = column("second_topic").astype(np.int64)
    return pd.DataFrame(
        {
            "item": np.arange(n),
            "created": created,
            "kind": named(column("kind"), KIND_NAMES),
            "topic": named(topic, topics),
            "second_topic": pd.Categorical.from_codes(second, categories=topics),
            "channel": named(column("channel"), CHANNEL_NAMES),
            "author": column("author").astype(np.int64),
            "received": received,
            "via_monitoring": column("via_monitoring").copy(),
            "service_started": started,
            "queue_wait_hours": started - received,
            "first_reply": created + reply,
            "reply_hours": reply,
            "reply_quality": named(quality, quality_names),
            "status": named(status + 1, status_names),
            "deadline": finite(column("deadline")),
            "escalations": column("escalations").astype(np.int64),
            "threat": column("threat").copy(),
            "contacts": column("contacts").astype(np.int64),
            "follow_ups": column("follow_ups").astype(np.int64),
            "reminders": column("reminders").astype(np.int64),
            "replies": column("replies").astype(np.int64),
            "impressions": column("impressions").astype(np.int64),
            "reposts": column("reposts").astype(np.int64),
            "responsible_unit": pd.Categorical(unit),
            "satisfaction": column("satisfaction").astype(np.float64),
            "rated": column("rated").copy(),
        }
    )
