"""The explicit upper level: supervising accounts, complaints forwarded down, appraisal, reprimands.

Where an account names a `supervisor` (`[accounts.<name>] supervisor = "city"`), the
level above is no longer the shortcut `staffing.escalation_weight` but an account that
acts (docs/ODD.md §7.15):

1. **Complaint upward.** When the author of a supervised account's item escalates
   (`Escalated`), the escalation also goes to the supervisor as a complaint with
   probability `supervision.threat_upward_probability` if the author stated a threat,
   else `upward_probability` (one uniform number per escalation of a supervised
   account's item, from the `supervision` stream). The item leaves its account's inbox
   (`ItemLifecycle.complain_upward`).
2. **Screening and forwarding.** The complaint is a ticket on the supervisor's desk
   (`TASK_SCREEN`): one of its operators reads it (`screening_minutes`, drawn from the
   supervisor's member of the `supervision` stream) and forwards it back to the
   responsible account with a deadline of `forward_deadline_working_days`
   (`ItemLifecycle.forward`); the item re-enters that account's inbox.
3. **Tracking.** A forwarded complaint is a *case* of the unit, closed at the first reply
   after forwarding (on time if by the deadline; substantive or not) or, without one,
   when the deadline passes (overdue).
4. **Appraisal** every `period_days`: a unit's marks are its complaints, one more for each
   overdue case and `quality_weight` for each case settled on time without a substantive
   reply; its score is 1 − marks / requests it received in the period (at least 0; None
   with neither). With `rankings` the scored units are ranked (ties share the mean
   place) and the ranking adds `ranking_pressure` × (place − 1) / (units − 1). A score
   below `reprimand_below` is a reprimand (通报约谈): `reprimand_pressure` more, halving
   every `reprimand_half_life_days`.
5. **Pressure from above** on a unit = `strength` + its ranking's + its reprimands' (left
   after decay). It is appraisal pressure as in `simulation.accountability`: it adds to
   the operators' effort, and it weighs what the supervisor's record makes of an action
   (`SupervisedUnit.action_value`), which replaces `escalation_weight` for the unit's
   operators.

Nothing here draws from a stream another part uses, and nothing is built without a
supervisor, so every scenario without one runs draw for draw as before.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from simulation.accountability import Outlook, on_time_probability
from simulation.codes import HOURS_PER_DAY, RUMOUR, SUBSTANTIVE, TASK_SCREEN
from simulation.events import (
    Complained,
    Escalated,
    EventBus,
    HourEnded,
    ItemReceived,
    Replied,
    Supervised,
)

if TYPE_CHECKING:
    from simulation.accounts import Account
    from simulation.calendar import Calendar
    from simulation.items import ItemLifecycle
    from simulation.scenario import ReactionSettings, SupervisionSettings
    from simulation.streams import Streams


@dataclass
class SupervisionRecord:
    """One supervised unit's complaints in the current period (and the run's totals)."""

    received: int = 0  # requests the unit received
    complaints: int = 0  # complaints about it that reached the supervisor
    overdue: int = 0  # forwarded cases not replied to by their deadline
    empty: int = 0  # cases replied to on time, not substantively
    on_time: int = 0  # cases replied to by their deadline
    closed: int = 0  # cases closed (replied or overdue)

    def marks(self, quality_weight: float) -> float:
        """Complaint marks against the unit: complaints, overdue cases, empty replies."""
        return self.complaints + self.overdue + quality_weight * self.empty


@dataclass
class SupervisedUnit:
    """A supervised account as its operators see the level above: pressure and foresight."""

    account: int
    supervisor: int
    settings: SupervisionSettings
    reactions: ReactionSettings
    lifecycle: ItemLifecycle
    cases: dict[int, float]  # the supervisor's open cases: item → deadline (shared)
    pressure: float = 0.0  # pressure from above now [pressure]
    ranking_pressure: float = 0.0  # what the last published ranking adds [pressure]
    reprimand_pressure: float = 0.0  # what reprimands add, after decay [pressure]
    record: SupervisionRecord = field(default_factory=SupervisionRecord)
    totals: SupervisionRecord = field(default_factory=SupervisionRecord)
    scores: list[float] = field(default_factory=list)
    places: list[float] = field(default_factory=list)
    reprimands: int = 0

    def complaint_chance(self, item: int) -> float:
        """Chance, as operators foresee it, that leaving the item brings a complaint upward.

        Its author escalates when their patience runs out with
        `reactions.escalation_probability` while escalations are left, and the escalation
        goes up with the author's upward probability (stated threat or not).
        """
        store = self.lifecycle.store
        reactions = self.reactions
        if store.escalations[item] >= reactions.max_escalations:
            return 0.0
        settings = self.settings
        upward = (
            settings.threat_upward_probability
            if store.threat[item]
            else settings.upward_probability
        )
        return reactions.escalation_probability * upward

    def action_value(self, item: int, now: float, outlook: Outlook, substantive: float) -> float:
        """What the supervisor's record makes an action worth: pressure × marks it avoids.

        Against leaving the item (no reply): a reply to an item without an open case keeps
        a complaint off the record with the item's complaint chance; a reply to a
        forwarded case avoids the overdue mark if it comes by the deadline and, if
        `substantive` (the chance the reply is), the empty-reply mark. Per item, like the
        appraisal rules' item scores: one mark in a unit's score is about 1 / requests.
        """
        if self.pressure == 0.0 or not outlook.replies:
            return 0.0
        deadline = self.cases.get(item)
        if deadline is not None:
            case = Outlook(True, outlook.delay_hours, deadline - now, outlook.satisfaction)
            on_time = on_time_probability(case)
            marks = (1.0 - on_time) + on_time * self.settings.quality_weight * (1.0 - substantive)
            return self.pressure * (1.0 - marks)
        return self.pressure * self.complaint_chance(item)

    def set_pressure(self) -> None:
        """Pressure from above: standing strength, the ranking's and reprimands' shares."""
        self.pressure = self.settings.strength + self.ranking_pressure + self.reprimand_pressure


class Supervision:
    """Every supervising account's work on the complaints about the units below it."""

    def __init__(
        self,
        settings: SupervisionSettings,
        reactions: ReactionSettings,
        accounts: list[Account],
        supervisors: list[int | None],
        lifecycle: ItemLifecycle,
        events: EventBus,
        calendar: Calendar,
        streams: Streams,
        exponential_screening: bool,
    ):
        self.settings = settings
        self.accounts = accounts
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.events = events
        self.calendar = calendar
        self.exponential_screening = exponential_screening
        self.rng = streams["supervision"]  # whether each escalation goes up
        # Screening times: each supervisor's own member of the stream.
        self.screening_rng = {
            s: streams.member("supervision", s) for s in set(supervisors) if s is not None
        }
        self.cases: dict[int, float] = {}  # item → deadline of its open case
        self.units: dict[int, SupervisedUnit] = {
            k: SupervisedUnit(k, s, settings, reactions, lifecycle, self.cases)
            for k, s in enumerate(supervisors)
            if s is not None
        }
        self._deadlines: list[tuple[float, int]] = []  # (deadline, item), lazily pruned
        self._reprimand_decay = 0.5 ** (1.0 / (HOURS_PER_DAY * settings.reprimand_half_life_days))
        self.period_hours = settings.period_days * HOURS_PER_DAY
        for unit in self.units.values():
            unit.set_pressure()
            for operator in accounts[unit.account].operators:
                operator.above = unit
                operator.pressure_from_above = unit.pressure
        for s in self.screening_rng:
            accounts[s].desk.screener = self
        events.subscribe(ItemReceived, self._on_received)
        events.subscribe(Escalated, self._on_escalated)
        events.subscribe(Complained, self._on_complained)
        events.subscribe(Replied, self._on_replied)
        events.subscribe(HourEnded, self._on_hour_ended)

    def work_order(self) -> list[Account]:
        """The accounts in the order their desks work an hour: supervisors before the units.

        A complaint forwarded within the hour then reaches the unit's inbox at its exact
        time, before the unit's desk has worked past it. Highest level first, each level
        in the order declared.
        """
        from simulation.codes import ADMINISTRATIVE_LEVELS

        def level(account: Account) -> int:
            return -ADMINISTRATIVE_LEVELS.index(account.plan.level)

        return sorted(self.accounts, key=level)

    # ------------------------------------------------------------------ complaints

    def _unit_of(self, item: int) -> SupervisedUnit | None:
        return self.units.get(int(self.items.account[item]))

    def _on_received(self, event: ItemReceived) -> None:
        unit = self._unit_of(event.item)
        if unit is not None and event.kind != RUMOUR:
            unit.record.received += 1
            unit.totals.received += 1

    def _on_escalated(self, event: Escalated) -> None:
        unit = self._unit_of(event.item)
        if unit is None:
            return
        settings = self.settings
        threat = bool(self.items.threat[event.item])
        upward = settings.threat_upward_probability if threat else settings.upward_probability
        if self.rng.random() < upward:
            self.lifecycle.complain_upward(event.item, event.time, unit.supervisor)

    def _on_complained(self, event: Complained) -> None:
        unit = self.units[int(self.items.account[event.item])]
        unit.record.complaints += 1
        unit.totals.complaints += 1
        self.accounts[event.supervisor].desk.submit(event.item, TASK_SCREEN, event.time)

    def screening_hours(self, supervisor: int) -> float:
        """Draw how long one of the supervisor's operators takes to screen a complaint [hours]."""
        mean = self.settings.screening_minutes / 60.0
        if self.exponential_screening:
            return float(self.screening_rng[supervisor].exponential(mean))
        return mean

    def forward(self, item: int, now: float) -> None:
        """The complaint is screened: forward it to its unit with a deadline; open a case."""
        deadline = self.calendar.add_working_days(now, self.settings.forward_deadline_working_days)
        if not self.lifecycle.forward(item, now, deadline):
            return  # closed meanwhile (abandoned, or answered by the departments)
        if item not in self.cases:  # a second complaint presses the open case
            self.cases[item] = deadline
            heapq.heappush(self._deadlines, (deadline, item))

    def _on_replied(self, event: Replied) -> None:
        deadline = self.cases.pop(event.item, None)
        if deadline is None:
            return
        unit = self.units[int(self.items.account[event.item])]
        on_time = event.time <= deadline
        empty = on_time and event.quality != SUBSTANTIVE
        for record in (unit.record, unit.totals):
            record.closed += 1
            record.on_time += int(on_time)
            record.overdue += int(not on_time)
            record.empty += int(empty)

    def _close_overdue(self, until: float) -> None:
        heap = self._deadlines
        while heap and heap[0][0] < until:
            deadline, item = heapq.heappop(heap)
            if self.cases.get(item) != deadline:
                continue  # closed by a reply already
            del self.cases[item]
            unit = self.units[int(self.items.account[item])]
            for record in (unit.record, unit.totals):
                record.closed += 1
                record.overdue += 1

    # ------------------------------------------------------------------ appraisal

    def _on_hour_ended(self, event: HourEnded) -> None:
        self._close_overdue(float(event.hour + 1))
        for unit in self.units.values():
            unit.reprimand_pressure *= self._reprimand_decay
        if (event.hour + 1) % self.period_hours == 0:
            self.appraise(event.hour)
        for unit in self.units.values():
            unit.set_pressure()
            for operator in self.accounts[unit.account].operators:
                operator.pressure_from_above = unit.pressure

    def score(self, record: SupervisionRecord) -> float | None:
        """A unit's period score: 1 − complaint marks per request received (None: nothing)."""
        if not record.received and not record.complaints:
            return None
        marks = record.marks(self.settings.quality_weight)
        return max(0.0, 1.0 - marks / max(1, record.received))

    def appraise(self, hour: int) -> None:
        """End of a period: score, rank and reprimand every supervised unit."""
        settings = self.settings
        units = list(self.units.values())
        scores = [self.score(unit.record) for unit in units]
        scored = [i for i, s in enumerate(scores) if s is not None]
        places: list[float | None] = [None] * len(units)
        if scored:
            values = np.array([scores[i] for i in scored], dtype=float)
            # Place 1 is the best score; tied units share the mean of their places.
            better = (values[None, :] > values[:, None]).sum(axis=1)
            tied = (values[None, :] == values[:, None]).sum(axis=1)
            for i, place in zip(scored, better + (tied + 1) / 2.0, strict=True):
                places[i] = float(place)
        reprimanded = []
        for unit, score, place in zip(units, scores, places, strict=True):
            unit.ranking_pressure = 0.0
            if settings.rankings and place is not None and len(scored) > 1:
                unit.ranking_pressure = settings.ranking_pressure * (place - 1) / (len(scored) - 1)
            rebuked = score is not None and score < settings.reprimand_below
            if rebuked:
                unit.reprimand_pressure += settings.reprimand_pressure
                unit.reprimands += 1
            reprimanded.append(rebuked)
            if score is not None:
                unit.scores.append(score)
            if place is not None:
                unit.places.append(place)
            unit.record = SupervisionRecord()
        self.events.publish(
            Supervised(
                hour,
                tuple(unit.account for unit in units),
                tuple(scores),
                tuple(places),
                tuple(reprimanded),
            )
        )

    # ------------------------------------------------------------------ outputs

    def unit_values(self) -> dict[int, dict[str, float]]:
        """Each supervised account's run totals (SUPERVISION_METRICS), by account index."""
        values = {}
        nan = float("nan")
        for k, unit in self.units.items():
            totals = unit.totals
            values[k] = {
                "complaints": float(totals.complaints),
                "complaints_closed": float(totals.closed),
                "complaints_on_time_share": totals.on_time / totals.closed
                if totals.closed
                else nan,
                "complaints_overdue": float(totals.overdue),
                "reprimands": float(unit.reprimands),
                "supervision_score": float(np.mean(unit.scores)) if unit.scores else nan,
                "supervision_place": float(np.mean(unit.places)) if unit.places else nan,
                "pressure_from_above": float(unit.pressure),
            }
        return values
