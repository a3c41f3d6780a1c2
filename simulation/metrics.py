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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.accounts import DEFAULT_ACCOUNT, DEFAULT_PLATFORM
from simulation.codes import (
    ABANDONED,
    ANSWERED,
    BOILERPLATE,
    CHANNEL_NAMES,
    EXPIRED,
    HOURS_PER_DAY,
    KIND_NAMES,
    NOT_RECEIVED,
    OPEN,
    PARTIAL,
    POST_CLARIFICATION,
    POST_RELEASE,
    POST_REPLY,
    QUALITY_NAMES,
    REFERRED,
    REPEAT_CONTACT_NAMES,
    RUMOUR,
    STATUS_NAMES,
    SUBSTANTIVE,
    TASK_NEW,
)
from simulation.events import (
    Abandoned,
    Appraised,
    AutoReplied,
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
    SelfServed,
    ServiceStarted,
    TurnedAway,
    Vented,
)
from simulation.format import (  # noqa: F401  (the glossary lives in format.py)
    ALL_UNITS,
    CHOICE_METRICS,
    METRICS,
    PLATFORM_DAILY_METRICS,
    PLATFORM_METRICS,
    RECEIVED_BY_CHANNEL,
    RECEIVED_BY_KIND,
    RECEIVED_VIA_MONITORING,
    REPLIES_BY_QUALITY,
    SUPERVISION_DAILY_METRICS,
    UNIT_DAILY_METRICS,
    UNIT_SERIES_COLUMNS,
    UNIT_SUMMARY_METRICS,
    unit_metric,
)

if TYPE_CHECKING:
    from simulation.accounts import AccountPlan
    from simulation.items import ItemStore
    from simulation.model import GovernmentResponseModel
    from simulation.supervision import Supervision


# Every daily counter and end-of-day snapshot, so every run's daily series has the same
# columns whether or not an event happened.
DAILY_COUNTERS = (
    "needs",
    "silent_needs",
    "vents",
    "received",
    *RECEIVED_BY_KIND,
    *RECEIVED_BY_CHANNEL,
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


_REPEAT_CONTACTS = [f"{name}s" for name in REPEAT_CONTACT_NAMES]  # follow_ups, reminders


class MetricsRecorder:
    """Daily counters and end-of-day snapshots for one run, kept from the run's events."""

    def __init__(
        self,
        days: int,
        items: ItemStore | None = None,
        events: EventBus | None = None,
        units: UnitMetrics | None = None,
    ):
        self.days = days
        self.units = units  # per account and platform (a scenario that declares accounts)
        # The platform rules' metrics, kept with the units (the model sets them).
        self.platforms: PlatformMetrics | None = None
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
        self.add(day, RECEIVED_BY_KIND[event.kind])
        self.add(day, RECEIVED_BY_CHANNEL[event.channel])

    def _on_rumours(self, event: RumoursSeeded) -> None:
        self.add(event.hour // HOURS_PER_DAY, "rumours", len(event.items))

    def _on_replied(self, event: Replied) -> None:
        day = int(event.time // HOURS_PER_DAY)
        self.add(day, "replies")
        self.add(day, REPLIES_BY_QUALITY[event.quality])
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
        return pd.DataFrame({"day": np.arange(self.days), **self.daily_columns()})

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
        if self.units is not None:
            columns.update(self.units.daily_columns(days))
        if self.platforms is not None:
            columns.update(self.platforms.daily_columns(days))
        return columns


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ratio, NaN where the denominator is 0."""
    out = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


_UNIT_COUNTERS = (
    "received",
    "contacts",
    *_REPEAT_CONTACTS,
    *RECEIVED_BY_KIND,
    *RECEIVED_BY_CHANNEL,
    "replies",
    "first_replies",
    *REPLIES_BY_QUALITY.values(),
    "replies_on_time",
    "first_referrals",
    "referrals",
    "escalations",
    "abandonments",
    "ratings",
    "rating_sum",
    "releases",
    "clarifications",
    "impressions",
    "negative_impressions",
    "largest_cascade",
    "operator_busy_hours",
    "operator_duty_hours",
)


class UnitMetrics:
    """Daily counters of each account and platform (units), kept from the run's events.

    Units are the accounts, in order, then the platforms they run on. An item counts
    for the account it went to (`items.account`; a vent counts from when monitoring
    brings it in) and for that account's platform. Impressions of an item's own posts
    (the need, its escalations) count for its account; those of a release or a
    clarification for the account that published it; replies are not told apart.
    Releases, clarifications and appraisal scores count for the account of the operator
    (operators are numbered on across accounts, `operators` of each in order); operator
    hours come with the end of each day (`DayEnded.by_account`).
    """

    def __init__(
        self,
        days: int,
        items: ItemStore,
        events: EventBus,
        accounts: list[str],
        platforms: list[str],
        first_account_node: int,
        operators: list[int],
    ):
        self.days = days
        self.items = items
        kinds = list(dict.fromkeys(platforms))
        self.accounts = list(accounts)
        self.platforms = kinds
        self.units = [*accounts, *kinds]
        # Account k counts for unit k and for its platform's unit.
        self.account_units = [
            (k, len(accounts) + kinds.index(platform)) for k, platform in enumerate(platforms)
        ]
        self.first_account_node = first_account_node
        self.n_accounts = len(accounts)
        # The account of each operator (numbered on across accounts).
        self.operator_account = np.repeat(np.arange(len(accounts)), operators)
        shape = (len(self.units), days)
        # Daily counters as Python lists (name → unit → day): one event adds to a few cells,
        # and a list's float add costs a fraction of a numpy element's; `counts` gives them
        # as arrays. Each cell gets the same additions in the same order either way.
        self._tally: dict[str, list[list[float]]] = {
            name: [[0.0] * days for _ in self.units] for name in _UNIT_COUNTERS
        }
        # Per account: name → the day lists of its units (its own, its platform's).
        self._account_rows: list[dict[str, tuple[list[float], ...]]] = [
            {name: tuple(rows[unit] for unit in pair) for name, rows in self._tally.items()}
            for pair in self.account_units
        ]
        self.backlog = np.full(shape, np.nan)
        self.reply_hours: list[list[list[float]]] = [[[] for _ in range(days)] for _ in self.units]
        self.appraisal_scores: list[list[float]] = [[] for _ in self.units]
        # Supervised accounts' daily supervision columns, once `watch` is given the
        # explicit upper level: name → (supervised account, day) values.
        self.supervision: Supervision | None = None
        self.supervised: list[int] = []
        self.supervision_daily: dict[str, np.ndarray] = {}
        self._supervision_totals: dict[int, tuple[int, int]] = {}
        self.quality_counter = REPLIES_BY_QUALITY
        handlers: tuple[tuple[type[Event], Callable[[Any], None]], ...] = (
            (ItemReceived, self._on_received),
            (Reopened, self._on_reopened),
            (Replied, self._on_replied),
            (Referred, self._on_referred),
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

    def watch(self, supervision: Supervision) -> None:
        """Keep the supervised accounts' daily complaints, overdue cases and pressure.

        Read from the supervisor's run totals at the end of each day (after the day's
        last hour has closed overdue cases and set the pressure), so each day's count is
        what the totals gained that day.
        """
        self.supervision = supervision
        self.supervised = sorted(supervision.units)
        shape = (len(self.supervised), self.days)
        self.supervision_daily = {
            "complaints": np.zeros(shape),
            "complaints_overdue": np.zeros(shape),
            "pressure_from_above": np.full(shape, np.nan),
        }
        self._supervision_totals = {k: (0, 0) for k in self.supervised}

    @property
    def counts(self) -> dict[str, np.ndarray]:
        """Each daily counter as a (units × days) array (a copy: read it, do not write it)."""
        return {name: np.array(rows, dtype=float) for name, rows in self._tally.items()}

    def _of_item(self, item: int) -> tuple[int, ...]:
        account = int(self.items.account[item])
        return self.account_units[account] if account >= 0 else ()

    def _rows_of_item(self, item: int) -> dict[str, tuple[list[float], ...]] | None:
        """The item's account's day lists by counter (None: an item of no account)."""
        account = int(self.items.account[item])
        return self._account_rows[account] if account >= 0 else None

    def _of_operator(self, operator: int) -> tuple[int, ...]:
        if 0 <= operator < len(self.operator_account):
            return self.account_units[int(self.operator_account[operator])]
        return ()

    def _add(self, units: tuple[int, ...], day: int, name: str, amount: float = 1.0) -> None:
        if 0 <= day < self.days:
            rows = self._tally[name]
            for unit in units:
                rows[unit][day] += amount

    def _count_item(self, item: int, day: int, names: tuple[str, ...]) -> None:
        """Add 1 to each counter in `names` of the item's units on `day`."""
        rows = self._rows_of_item(item)
        if rows is None or not 0 <= day < self.days:
            return
        for name in names:
            for row in rows[name]:
                row[day] += 1.0

    def _on_received(self, event: ItemReceived) -> None:
        by_kind, by_channel = RECEIVED_BY_KIND[event.kind], RECEIVED_BY_CHANNEL[event.channel]
        names = (
            (by_kind, by_channel)
            if event.kind == RUMOUR  # rumours are not requests (as in the overall series)
            else ("received", "contacts", by_kind, by_channel)
        )
        self._count_item(event.item, event.hour // HOURS_PER_DAY, names)

    def _on_reopened(self, event: Reopened) -> None:
        day = int(event.time // HOURS_PER_DAY)
        self._count_item(event.item, day, ("contacts", _REPEAT_CONTACTS[event.reason]))

    def _on_replied(self, event: Replied) -> None:
        day = int(event.time // HOURS_PER_DAY)
        names: tuple[str, ...] = ("replies", self.quality_counter[event.quality])
        if event.first:
            names += ("first_replies", "replies_on_time") if event.on_time else ("first_replies",)
        self._count_item(event.item, day, names)
        if event.first and 0 <= day < self.days:
            for unit in self._of_item(event.item):
                self.reply_hours[unit][day].append(event.reply_hours)

    def _on_referred(self, event: Referred) -> None:
        day = int(event.time // HOURS_PER_DAY)
        units = self._of_item(event.item)
        if event.first:
            self._add(units, day, "first_referrals")
        self._add(units, day, "referrals")

    def _on_escalated(self, event: Escalated) -> None:
        self._count_item(event.item, int(event.time // HOURS_PER_DAY), ("escalations",))

    def _on_abandoned(self, event: Abandoned) -> None:
        self._count_item(event.item, int(event.time // HOURS_PER_DAY), ("abandonments",))

    def _on_judged(self, event: Judged) -> None:
        ended = self.items.ended_at
        for item, s, r in zip(
            event.items.tolist(), event.satisfaction.tolist(), event.rated.tolist(), strict=True
        ):
            if r:
                day = int(ended[item] // HOURS_PER_DAY)
                units = self._of_item(item)
                self._add(units, day, "ratings")
                self._add(units, day, "rating_sum", s)

    def _on_release(self, event: ReleasePublished) -> None:
        day = int(event.time // HOURS_PER_DAY)
        self._add(self._of_operator(event.operator), day, "releases")

    def _on_clarified(self, event: Clarified) -> None:
        day = int(event.time // HOURS_PER_DAY)
        self._add(self._of_operator(event.operator), day, "clarifications")

    def _on_exposures(self, event: ExposureBatch) -> None:
        day = event.hour // HOURS_PER_DAY
        impressions = event.generation.impressions
        loss = event.loss
        largest = self._tally["largest_cascade"]
        for i, cascade in enumerate(event.cascades):
            shown = int(impressions[i])
            if not shown:
                continue
            if cascade.item >= 0:
                units = self._of_item(cascade.item)
            elif cascade.post_type in (POST_RELEASE, POST_CLARIFICATION):
                account = cascade.source - self.first_account_node
                units = self.account_units[account] if 0 <= account < self.n_accounts else ()
            else:
                continue  # a reply: the post does not say which item it answers
            self._add(units, day, "impressions", shown)
            if loss[i] and cascade.post_type != POST_REPLY:
                self._add(units, day, "negative_impressions", shown)
            started = int(cascade.started // HOURS_PER_DAY)
            if 0 <= started < self.days:
                for unit in units:
                    largest[unit][started] = max(largest[unit][started], float(cascade.size))

    def _on_appraised(self, event: Appraised) -> None:
        by_unit: list[list[float]] = [[] for _ in self.units]
        for operator, score in enumerate(event.operator_scores):
            if score is not None:
                for unit in self._of_operator(operator):
                    by_unit[unit].append(score)
        for unit, scores in enumerate(by_unit):
            if scores:
                self.appraisal_scores[unit].append(float(np.mean(scores)))

    def _on_day_ended(self, event: DayEnded) -> None:
        day = event.day
        for account, (busy, duty, backlog) in enumerate(event.by_account):
            units = self.account_units[account]
            self._add(units, day, "operator_busy_hours", busy)
            self._add(units, day, "operator_duty_hours", duty)
            for unit in units:
                previous = self.backlog[unit, day]
                self.backlog[unit, day] = backlog + (0.0 if np.isnan(previous) else previous)
        if self.supervision is not None and 0 <= day < self.days:
            daily = self.supervision_daily
            for row, account in enumerate(self.supervised):
                supervised = self.supervision.units[account]
                totals = supervised.totals
                complaints, overdue = self._supervision_totals[account]
                daily["complaints"][row, day] = totals.complaints - complaints
                daily["complaints_overdue"][row, day] = totals.overdue - overdue
                daily["pressure_from_above"][row, day] = supervised.pressure
                self._supervision_totals[account] = (totals.complaints, totals.overdue)

    def totals(self, unit: int) -> dict[str, float]:
        """Each counter of one unit summed over the run (the largest cascade: its largest)."""
        counts = {name: np.array(rows[unit], dtype=float) for name, rows in self._tally.items()}
        totals = {name: float(values.sum()) for name, values in counts.items()}
        totals["largest_cascade"] = float(counts["largest_cascade"].max(initial=0.0))
        return totals

    def series(self, unit: int, days: slice = slice(None)) -> dict[str, np.ndarray]:
        """Every column of UNIT_SERIES_COLUMNS of one unit over `days`, defined as overall."""
        count = {key: np.array(rows[unit], dtype=float)[days] for key, rows in self._tally.items()}
        replies = count["replies"]
        hours = self.reply_hours[unit][days]
        values = {
            **count,
            "replies_per_received": _ratio(count["first_replies"], count["received"]),
            "replies_per_contact": _ratio(replies, count["contacts"]),
            "one_sided_share": _ratio(
                count["replies_boilerplate"] + count["replies_partial"], replies
            ),
            "median_response_hours": np.array(
                [float(np.median(h)) if h else np.nan for h in hours], dtype=float
            ),
            "p90_response_hours": np.array(
                [float(np.quantile(h, 0.9)) if h else np.nan for h in hours], dtype=float
            ),
            "satisfaction": _ratio(count["rating_sum"], count["ratings"]),
            "operator_utilisation": _ratio(
                count["operator_busy_hours"], count["operator_duty_hours"]
            ),
            "backlog_operators": self.backlog[unit, days],
        }
        return {column: values[column] for column in UNIT_SERIES_COLUMNS}

    def daily_columns(self, days: slice = slice(None)) -> dict[str, np.ndarray]:
        """`<metric>@<unit>` columns of the daily series (UNIT_DAILY_METRICS) over `days`."""
        columns: dict[str, np.ndarray] = {}
        for unit, name in enumerate(self.units):
            values = self.series(unit, days)
            for metric in UNIT_DAILY_METRICS:
                columns[unit_metric(metric, name)] = values[metric]
        for row, account in enumerate(self.supervised):
            for metric in SUPERVISION_DAILY_METRICS:
                columns[unit_metric(metric, self.units[account])] = self.supervision_daily[metric][
                    row, days
                ]
        return columns

    def long_frame(
        self, overall: pd.DataFrame, platforms: PlatformMetrics | None = None
    ) -> pd.DataFrame:
        """The long daily table: one row per unit and day, the whole run's rows first.

        Columns `day`, `account`, `platform`, then UNIT_SERIES_COLUMNS and, with the
        platforms' metrics, PLATFORM_DAILY_METRICS. The whole run's rows (account and
        platform `all`) are `overall`'s (the run's daily frame); an account's rows name
        it and its platform; a platform's rows have account `all`.
        """
        days = np.arange(self.days)
        columns = [*UNIT_SERIES_COLUMNS, *(PLATFORM_DAILY_METRICS if platforms else ())]
        frames = [
            pd.DataFrame(
                {
                    "day": days,
                    "account": ALL_UNITS,
                    "platform": ALL_UNITS,
                    **{c: overall[c].to_numpy() for c in columns},
                }
            )
        ]
        platform_of = {
            self.accounts[k]: self.units[p] for k, (_, p) in enumerate(self.account_units)
        }
        for unit, name in enumerate(self.units):
            account = name if unit < self.n_accounts else ALL_UNITS
            platform = platform_of[name] if unit < self.n_accounts else name
            own = {} if platforms is None else platforms.series(unit)
            frames.append(
                pd.DataFrame(
                    {
                        "day": days,
                        "account": account,
                        "platform": platform,
                        **self.series(unit),
                        **own,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


def summarise(model: GovernmentResponseModel) -> dict[str, float]:
    """The run's summary metrics (see METRICS for meanings and units).

    With declared accounts, also each account's and platform's (`unit_summary`).
    """
    items = model.items
    status = items.view("status")
    kind = items.view("kind")
    requests = (status != NOT_RECEIVED) & (kind != RUMOUR)
    n = int(requests.sum())
    counts = model.metrics.counts
    # Replies by quality, every reply to every contact (the need's first one and later).
    by_quality = {code: float(sum(counts[name])) for code, name in REPLIES_BY_QUALITY.items()}
    need_hours = sum((account.desk.need_hours for account in model.accounts), np.zeros(2))
    population = model.population
    now = float(model.hour)
    trust = population.trust_at(now)  # at the end of the run, drift included
    request = _request_metrics(items, requests, model.scenario.reactions.abandonment_satisfaction)
    replies = _reply_shares(by_quality)
    judged = items.view("satisfaction")
    ratings = judged[items.view("rated")]
    busy_ops = sum(counts["operator_busy_hours"])
    duty_ops = sum(counts["operator_duty_hours"])
    busy_dept = sum(counts["department_busy_hours"])
    duty_dept = sum(counts["department_duty_hours"])
    contacts = request["contacts"]
    summary: dict[str, float] = {
        "needs": float(sum(counts["needs"])),
        "received": float(n),
        "response_rate": request["response_rate"],
        "contact_response_rate": request["contact_response_rate"],
        "answered_within_deadline": request["answered_within_deadline"],
        "median_response_hours": request["median_response_hours"],
        "p90_response_hours": request["p90_response_hours"],
        "resolution_rate": request["resolution_rate"],
        "one_sided_share": replies["one_sided_share"],
        "boilerplate_share": replies["boilerplate_share"],
        "escalation_rate": request["escalation_rate"],
        "abandonment_rate": request["abandonment_rate"],
        "referral_rate": float(sum(counts["first_referrals"])) / n if n else float("nan"),
        "contacts": contacts,
        "contacts_per_need": contacts / n if n else float("nan"),
        "follow_ups": float(items.view("follow_ups")[requests].sum()),
        "reminders": float(items.view("reminders")[requests].sum()),
        "repeat_contact_share": (contacts - n) / contacts if contacts else float("nan"),
        "failure_demand": (
            float(need_hours[1] / need_hours.sum()) if need_hours.sum() else float("nan")
        ),
        "backlog_operators": float(model.operator_backlog(now)),
        "backlog_departments": float(sum(d.backlog(now) for d in model.departments)),
        "open_at_end": request["open_at_end"],
        "mean_trust": float(trust.mean()),
        "trust_sd": float(trust.std()),
        "trust_change": float(trust.mean() - population.initial_mean_trust),
        "satisfaction": float(ratings.mean()) if len(ratings) else float("nan"),
        "closed_satisfaction": request["closed_satisfaction"],
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
    for code, name in enumerate(RECEIVED_BY_KIND):
        summary[name] = float(((status != NOT_RECEIVED) & (kind == code)).sum())
    channel = items.view("channel")
    for code, name in enumerate(RECEIVED_BY_CHANNEL):
        summary[name] = float(((status != NOT_RECEIVED) & (channel == code)).sum())
    summary[RECEIVED_VIA_MONITORING] = float(
        ((status != NOT_RECEIVED) & items.view("via_monitoring")).sum()
    )
    for code in (SUBSTANTIVE, PARTIAL, BOILERPLATE):
        summary[REPLIES_BY_QUALITY[code]] = by_quality[code]
    if model.metrics.units is not None:
        summary.update(unit_summary(model, requests))
        assert model.metrics.platforms is not None
        summary.update(model.metrics.platforms.summary(requests))
        summary.update(choice_summary(items, requests, model.metrics.units))
    if model.supervision is not None:
        for account, values in model.supervision.unit_values().items():
            name = model.plans[account].name
            summary.update({unit_metric(m, name): v for m, v in values.items()})
    return summary


def _request_metrics(
    items: ItemStore, requests: np.ndarray, abandonment_satisfaction: float
) -> dict[str, float]:
    """The metrics of a set of received requests (a mask over the item store)."""
    status = items.view("status")
    n = int(requests.sum())
    replies = items.view("replies")
    answered = requests & (replies > 0)  # needs that got a reply (they may be open again)
    reply_hours = items.view("reply_time")[answered]
    on_time = answered & (
        items.view("created") + items.view("reply_time") <= items.view("deadline")
    )
    n_answered = int(answered.sum())
    contacts = int(items.view("contacts")[requests].sum())

    def share(mask: np.ndarray, of: int = n) -> float:
        return float(mask.sum()) / of if of else float("nan")

    judged = items.view("satisfaction")
    answered_judged = judged[answered & ~np.isnan(judged)]
    abandoned = int((requests & (status == ABANDONED)).sum())
    closed = len(answered_judged) + abandoned
    closed_satisfaction = (
        (float(answered_judged.sum()) + abandoned * abandonment_satisfaction) / closed
        if closed
        else float("nan")
    )
    return {
        "received": float(n),
        "response_rate": share(answered),
        "contact_response_rate": (
            float(replies[requests].sum()) / contacts if contacts else float("nan")
        ),
        "answered_within_deadline": share(on_time),
        "median_response_hours": float(np.median(reply_hours)) if n_answered else float("nan"),
        "p90_response_hours": float(np.quantile(reply_hours, 0.9)) if n_answered else float("nan"),
        "resolution_rate": share(requests & items.view("resolved")),
        "escalation_rate": share(requests & (items.view("escalations") > 0)),
        "abandonment_rate": share(requests & (status == ABANDONED)),
        "contacts": float(contacts),
        "open_at_end": float((requests & np.isin(status, (OPEN, REFERRED))).sum()),
        "closed_satisfaction": closed_satisfaction,
    }


def _reply_shares(by_quality: dict[int, float]) -> dict[str, float]:
    """One-sided and boilerplate shares of replies counted by quality."""
    all_replies = sum(by_quality.values())
    if not all_replies:
        return {"one_sided_share": float("nan"), "boilerplate_share": float("nan")}
    return {
        "one_sided_share": (by_quality[BOILERPLATE] + by_quality[PARTIAL]) / all_replies,
        "boilerplate_share": by_quality[BOILERPLATE] / all_replies,
    }


def unit_summary(model: GovernmentResponseModel, requests: np.ndarray) -> dict[str, float]:
    """UNIT_SUMMARY_METRICS of every account and platform, named `<metric>@<unit>`.

    Computed as the overall metrics are, over the requests that went to the account
    (or to the platform's accounts). `staff_hours@<unit>` and `operator_utilisation@
    <unit>` count the unit's operators only: the departments are shared.
    """
    units = model.metrics.units
    assert units is not None
    items = model.items
    account = items.view("account")
    status = items.view("status")
    received = status != NOT_RECEIVED
    kind = items.view("kind")
    channel = items.view("channel")
    via_monitoring = items.view("via_monitoring")
    referred = items.view("referrals") > 0
    judged = items.view("satisfaction")
    rated = items.view("rated")
    now = float(model.hour)
    backlog = [a.desk.backlog(now) for a in model.accounts]
    need_hours = [a.desk.need_hours for a in model.accounts]
    abandonment = model.scenario.reactions.abandonment_satisfaction
    summary: dict[str, float] = {}
    for unit, name in enumerate(units.units):
        accounts = [k for k, pair in enumerate(units.account_units) if unit in pair]
        mine = np.isin(account, accounts)
        wanted = requests & mine
        n = int(wanted.sum())
        totals = units.totals(unit)
        by_quality = {code: totals[name] for code, name in REPLIES_BY_QUALITY.items()}
        ratings = judged[rated & mine]
        duty = totals["operator_duty_hours"]
        hours = sum((need_hours[k] for k in accounts), np.zeros(2))
        request = _request_metrics(items, wanted, abandonment)
        contacts = request["contacts"]
        scores = units.appraisal_scores[unit]
        values = {
            **request,
            **_reply_shares(by_quality),
            "referral_rate": float((wanted & referred).sum()) / n if n else float("nan"),
            "satisfaction": float(ratings.mean()) if len(ratings) else float("nan"),
            "impressions": totals["impressions"],
            "negative_impressions": totals["negative_impressions"],
            "backlog_operators": float(sum(backlog[k] for k in accounts)),
            "operator_utilisation": totals["operator_busy_hours"] / duty if duty else float("nan"),
            "staff_hours": duty,
            "contacts_per_need": contacts / n if n else float("nan"),
            "follow_ups": float(items.view("follow_ups")[wanted].sum()),
            "reminders": float(items.view("reminders")[wanted].sum()),
            "repeat_contact_share": (contacts - n) / contacts if contacts else float("nan"),
            "failure_demand": float(hours[1] / hours.sum()) if hours.sum() else float("nan"),
            "largest_cascade": totals["largest_cascade"],
            "releases": totals["releases"],
            "rumours_clarified": totals["clarifications"],
            "appraisal_score": float(np.mean(scores)) if scores else float("nan"),
            RECEIVED_VIA_MONITORING: float((received & mine & via_monitoring).sum()),
            **{name: by_quality[code] for code, name in REPLIES_BY_QUALITY.items()},
        }
        for code, kind_name in enumerate(RECEIVED_BY_KIND):
            values[kind_name] = float((received & mine & (kind == code)).sum())
        for code, channel_name in enumerate(RECEIVED_BY_CHANNEL):
            values[channel_name] = float((received & mine & (channel == code)).sum())
        for metric in UNIT_SUMMARY_METRICS:
            summary[unit_metric(metric, name)] = values[metric]
    return summary


def choice_summary(items: ItemStore, requests: np.ndarray, units: UnitMetrics) -> dict[str, float]:
    """CHOICE_METRICS overall and as `<metric>@<unit>` for every account and platform.

    The requests of one need are linked by the item store's `need` (the row of its
    first contact); a need belongs to the account of its first contact. A request was
    failed over when a later request of the same need exists (failovers are made only
    after a failure, so rows of a need come in the order they were made).
    """
    rows = np.flatnonzero(requests)
    need = items.view("need")[rows].astype(np.int64)
    account = items.view("account").astype(np.int64)
    needs, index = np.unique(need, return_inverse=True)
    contacts = np.bincount(index, items.view("contacts")[rows].astype(float), len(needs))
    replied = np.bincount(index, (items.view("replies")[rows] > 0).astype(float), len(needs))
    per_need = np.bincount(index, minlength=len(needs))
    last = np.full(len(needs), -1, dtype=np.int64)
    np.maximum.at(last, index, rows)
    failed_over = rows != last[index]
    first_account = account[needs]
    row_account = account[rows]
    summary: dict[str, float] = {}
    for unit, name in enumerate([*units.units, ""]):
        if name:
            accounts = [k for k, pair in enumerate(units.account_units) if unit in pair]
            mine_needs = np.isin(first_account, accounts)
            mine_rows = np.isin(row_account, accounts)
        else:
            mine_needs = np.ones(len(needs), dtype=bool)
            mine_rows = np.ones(len(rows), dtype=bool)
        n = float(mine_needs.sum())
        n_rows = float(mine_rows.sum())
        values = {
            "needs_addressed": n,
            "accounts_per_need": _share(float(per_need[mine_needs].sum()), n),
            "contacts_per_need_all_channels": _share(float(contacts[mine_needs].sum()), n),
            "multi_contact_need_share": _share(float((contacts[mine_needs] > 1).sum()), n),
            "need_response_rate": _share(float((replied[mine_needs] > 0).sum()), n),
            "failover_share": _share(float(failed_over[mine_rows].sum()), n_rows),
            "failovers_received": float((mine_rows & (need != rows)).sum()),
        }
        for metric in CHOICE_METRICS:
            summary[unit_metric(metric, name) if name else metric] = values[metric]
    return summary


def _bump(counts: np.ndarray, units: tuple[int, ...], amount: float) -> None:
    """counts[units] += amount, one scalar add a unit (the units are distinct)."""
    for unit in units:
        counts[unit] += amount


class PlatformMetrics:
    """What the platforms' rules did (PLATFORM_METRICS), overall and per account and platform.

    Calls are counted from the run's events: each call (ItemReceived or Reopened of an
    item on a hotline account), those the voice menu settled (`SelfServed`), those told
    the hours out of human hours (`TurnedAway`), those whose caller hung up while queued
    (`Abandoned` of a queued call) and how long each queued call waited (from its
    arrival to an agent's `ServiceStarted`, or to the hang-up). Auto-replies and expired
    items are read from the item store at the end. The same counts are kept by day
    for the daily columns (PLATFORM_DAILY_METRICS), with the contacts and auto-replies
    of each day.
    """

    def __init__(
        self,
        items: ItemStore,
        events: EventBus,
        units: UnitMetrics,
        call_accounts: frozenset[int],
    ):
        self.items = items
        self.units = units
        self.call_accounts = call_accounts  # the accounts that take calls (hotline)
        self.calls = np.zeros(len(units.units) + 1)  # per unit, then overall (last)
        self.self_served = np.zeros_like(self.calls)
        self.hang_ups = np.zeros_like(self.calls)
        self.answered_calls = np.zeros_like(self.calls)
        self.wait_hours = np.zeros_like(self.calls)  # summed over answered and hung-up calls
        self.turned_away = np.zeros_like(self.calls)
        self.queued: dict[int, float] = {}  # items whose call waits in the queue: since when
        # The same by day (unit, then overall, × day), and each day's contacts and
        # auto-replies of every account, for the daily columns.
        self.days = units.days
        # As Python lists (name → unit → day), as UnitMetrics keeps its counters; `daily`
        # gives them as arrays.
        self._daily: dict[str, list[list[float]]] = {
            name: [[0.0] * units.days for _ in range(len(units.units) + 1)]
            for name in _PLATFORM_DAILY_COUNTS
        }
        # Each account's units and the overall one, what its requests count for.
        self._units_of_account = [(*pair, len(units.units)) for pair in units.account_units]
        events.subscribe(ItemReceived, self._on_contact)
        events.subscribe(Reopened, self._on_contact)
        events.subscribe(SelfServed, self._on_self_served)
        events.subscribe(TurnedAway, self._on_turned_away)
        events.subscribe(Abandoned, self._on_abandoned)
        events.subscribe(ServiceStarted, self._on_service_started)
        events.subscribe(AutoReplied, self._on_auto_replied)

    @property
    def daily(self) -> dict[str, np.ndarray]:
        """Each daily count as a (units and overall × days) array (a copy: read it)."""
        return {name: np.array(rows, dtype=float) for name, rows in self._daily.items()}

    def _count(self, name: str, units: tuple[int, ...] | list[int], time: float, amount=1.0):
        """Add to a daily count of `units` on the day of `time`."""
        day = int(time // HOURS_PER_DAY)
        if units and day < self.days:
            rows = self._daily[name]
            for unit in units:
                rows[unit][day] += amount

    def _request_units(self, item: int) -> tuple[int, ...]:
        """The units a request counts for (none for a rumour or an item of no account)."""
        account = int(self.items.account[item])
        if account < 0 or self.items.kind[item] == RUMOUR:
            return ()
        return self._units_of_account[account]

    def _on_auto_replied(self, event: AutoReplied) -> None:
        self._count("auto_replies", self._request_units(event.item), event.time)

    def _call_units(self, item: int) -> tuple[int, ...]:
        account = int(self.items.account[item])
        if account not in self.call_accounts:
            return ()
        return self._units_of_account[account]

    def _on_contact(self, event: ItemReceived | Reopened) -> None:
        item = event.item
        account = int(self.items.account[item])
        if account < 0:
            return  # counts for no unit
        units = self._units_of_account[account]
        day = int(event.time // HOURS_PER_DAY)
        in_run = day < self.days
        if in_run and self.items.kind[item] != RUMOUR:
            contacts = self._daily["contacts"]
            for unit in units:
                contacts[unit][day] += 1.0
        if account in self.call_accounts:
            _bump(self.calls, units, 1.0)
            if in_run:
                calls = self._daily["calls"]
                for unit in units:
                    calls[unit][day] += 1.0
            self.queued[item] = event.time

    def _on_self_served(self, event: SelfServed) -> None:
        units = self._call_units(event.item)
        _bump(self.self_served, units, 1.0)
        self._count("self_served", units, event.time)
        self.queued.pop(event.item, None)

    def _on_turned_away(self, event: TurnedAway) -> None:
        units = self._call_units(event.item)
        _bump(self.turned_away, units, 1.0)
        self._count("turned_away", units, event.time)
        self.queued.pop(event.item, None)

    def _on_abandoned(self, event: Abandoned) -> None:
        queued_at = self.queued.pop(event.item, None)
        if queued_at is None:
            return  # not a call, or one that was not queued: no hang-up of the queue
        units = self._call_units(event.item)
        _bump(self.hang_ups, units, 1.0)
        self._wait_ended(units, event.time, event.time - queued_at, "hang_ups")

    def _on_service_started(self, event: ServiceStarted) -> None:
        if event.task != TASK_NEW:
            return
        units = self._call_units(event.item)
        if units:
            self.queued.pop(event.item, None)
            _bump(self.answered_calls, units, 1.0)
            self._wait_ended(units, event.time, event.time - event.queued_at)

    def _wait_ended(
        self, units: tuple[int, ...], time: float, waited: float, ended: str | None = None
    ) -> None:
        """A queued call's wait ended at `time` after `waited` hours: by `ended` (a count)."""
        _bump(self.wait_hours, units, waited)
        day = int(time // HOURS_PER_DAY)
        if not units or day >= self.days:
            return
        daily = self._daily
        for unit in units:  # each day's cell gets its additions in the same order as before
            if ended is not None:
                daily[ended][unit][day] += 1.0
            daily["waited"][unit][day] += 1.0
            daily["wait_hours"][unit][day] += waited

    def summary(self, requests: np.ndarray) -> dict[str, float]:
        """PLATFORM_METRICS overall and as `<metric>@<unit>` for every account and platform."""
        items = self.items
        units = self.units
        account = items.view("account")
        contacts = items.view("contacts")
        auto = items.view("auto_replies")
        replied = (items.view("replies") > 0) | (auto > 0)
        expired = items.view("status") == EXPIRED
        summary: dict[str, float] = {}
        names = [*units.units, ""]
        for unit, name in enumerate(names):
            if name:
                accounts = [k for k, pair in enumerate(units.account_units) if unit in pair]
                wanted = requests & np.isin(account, accounts)
            else:
                wanted = requests
            n = int(wanted.sum())
            n_contacts = float(contacts[wanted].sum())
            queued = self.calls[unit] - self.self_served[unit] - self.turned_away[unit]
            waited = self.answered_calls[unit] + self.hang_ups[unit]
            values = {
                "auto_reply_share": _share(float(auto[wanted].sum()), n_contacts),
                "response_rate_with_auto_replies": _share(float((wanted & replied).sum()), n),
                "expired_share": _share(float((wanted & expired).sum()), n),
                "self_service_share": _share(self.self_served[unit], self.calls[unit]),
                "hang_up_share": _share(self.hang_ups[unit], queued),
                "after_hours_share": _share(self.turned_away[unit], self.calls[unit]),
                "mean_call_wait_minutes": _share(60.0 * self.wait_hours[unit], waited),
            }
            for metric in PLATFORM_METRICS:
                summary[unit_metric(metric, name) if name else metric] = values[metric]
        return summary

    def series(self, unit: int, days: slice = slice(None)) -> dict[str, np.ndarray]:
        """PLATFORM_DAILY_METRICS of one unit (len(units.units): overall) over `days`."""
        count = {name: values[unit, days] for name, values in self.daily.items()}
        queued = count["calls"] - count["self_served"] - count["turned_away"]
        values = {
            "auto_reply_share": _ratio(count["auto_replies"], count["contacts"]),
            "self_service_share": _ratio(count["self_served"], count["calls"]),
            "after_hours_share": _ratio(count["turned_away"], count["calls"]),
            "hang_up_share": _ratio(count["hang_ups"], queued),
            "mean_call_wait_minutes": _ratio(60.0 * count["wait_hours"], count["waited"]),
        }
        return {metric: values[metric] for metric in PLATFORM_DAILY_METRICS}

    def daily_columns(self, days: slice = slice(None)) -> dict[str, np.ndarray]:
        """PLATFORM_DAILY_METRICS overall and as `<metric>@<unit>` columns over `days`."""
        columns = dict(self.series(len(self.units.units), days))
        for unit, name in enumerate(self.units.units):
            for metric, values in self.series(unit, days).items():
                columns[unit_metric(metric, name)] = values
        return columns


# PlatformMetrics' daily counts: contacts (requests) and auto-replies of every account;
# calls, settled by the menu, told the hours, hung up; calls whose wait ended, and those
# waits [hours].
_PLATFORM_DAILY_COUNTS = (
    "contacts",
    "auto_replies",
    "calls",
    "self_served",
    "turned_away",
    "hang_ups",
    "waited",
    "wait_hours",
)


def _share(part: float, whole: float) -> float:
    """The share part / whole (NaN when whole is 0)."""
    return float(part) / whole if whole else float("nan")


# The item table: one row per item (MODEL.md §2 "Posts"), for analysis of individual
# requests — queue waits, reply times, who answered — beside the daily series.
ITEM_COLUMNS: dict[str, str] = {
    "item": "Row number of the item in the run.",
    "created": "When the author posted [hours since the start].",
    "kind": "consultation, request, complaint, suggestion or rumour.",
    "topic": "The department (topic) it needs.",
    "second_topic": "A second department it needs (empty: one suffices).",
    "channel": "mention (public @), private (message), vent (public, unaddressed) or rumour.",
    "account": "The government account it went to (a scenario's one account is "
    "'government'); empty if never received.",
    "platform": "That account's platform: weibo, wechat or hotline; empty if never received.",
    "author": "Citizen index of the author.",
    "need": "The need it is a contact about: the item of the need's first contact (its own "
    "number; a failover to another account names the first's).",
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
    "complaints": "Times the author's escalation went up to the supervising account as a "
    "complaint (a scenario naming a supervisor).",
    "forwarded": "When the supervisor last forwarded the complaint back to the item's "
    "account [hours]; empty if never.",
    "forward_deadline": "The supervisor's deadline for the account's reply [hours]; empty "
    "if never forwarded.",
    "replies": "Replies posted to it (at most one per contact).",
    "impressions": "Exposures of followers to the item's posts.",
    "reposts": "Reposts of the item's posts.",
    "responsible_unit": "Who answered last: operator <i>, or the department that led the "
    "answer; empty unless answered at the end.",
    "satisfaction": "The author's judgement of the last reply [-1, 1].",
    "rated": "The author left a rating.",
}


def item_table(
    items: ItemStore, topics: list[str], accounts: Sequence[AccountPlan] | None = None
) -> pd.DataFrame:
    """One row per item of the run (see ITEM_COLUMNS for meanings and units).

    `accounts` are the model's (`model.plans`); None: the one account of a scenario
    that declares none.
    """
    n = len(items)
    account_names = [DEFAULT_ACCOUNT] if accounts is None else [a.name for a in accounts]
    platforms = [DEFAULT_PLATFORM] if accounts is None else [a.platform.name for a in accounts]
    platform_names = list(dict.fromkeys(platforms))
    # Code of each account's platform, after -1 (never received: no platform).
    platform_code = np.array([-1, *(platform_names.index(p) for p in platforms)], dtype=np.int64)
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
            "account": pd.Categorical.from_codes(
                column("account").astype(np.int64), categories=account_names
            ),
            "platform": pd.Categorical.from_codes(
                platform_code[column("account").astype(np.int64) + 1],
                categories=platform_names,
            ),
            "author": column("author").astype(np.int64),
            "need": column("need").astype(np.int64),
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
            "complaints": column("complaints").astype(np.int64),
            "forwarded": column("forwarded_at").copy(),
            "forward_deadline": finite(column("forward_deadline")),
            "replies": column("replies").astype(np.int64),
            "impressions": column("impressions").astype(np.int64),
            "reposts": column("reposts").astype(np.int64),
            "responsible_unit": pd.Categorical(unit),
            "satisfaction": column("satisfaction").astype(np.float64),
            "rated": column("rated").copy(),
        }
    )
