"""Departments: back offices that process referred items (MODEL.md §2, §4.5).

Each department is a service desk whose staff work office hours. A referred item
needs its topic's department and sometimes a second one; how the parts are shared
(one after another, or jointly under a lead department) is the mechanism's
coordination (`simulation.mechanisms.coordination`). The answer goes back to the
operators' inbox, who post it as the public reply.

Staff choose between full processing and a quick partial answer by the same
value-versus-time trade-off as operators, so an appraisal rule that counts answers
can push departments towards quick partial answers too.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.accountability import Outlook, Rule, UnitRecord
from simulation.agents.choice import Foresight, ScoreRate, choose_action
from simulation.codes import PARTIAL, REFERRED, SUBSTANTIVE
from simulation.events import AnswerReady, EventBus, PartDone, PartStarted
from simulation.mechanisms.coordination import Coordination, Referral
from simulation.queueing import Server, ServiceDesk, Ticket

if TYPE_CHECKING:
    from simulation.items import ItemLifecycle
    from simulation.scenario import DepartmentSettings, StaffingSettings

FULL, QUICK, BOUNCE = 0, 1, 2


class Department(mesa.Agent):
    """A back office with staff working office hours."""

    def __init__(
        self,
        model: mesa.Model,
        topic: int,
        name: str,
        settings: DepartmentSettings,
        on_duty: np.ndarray,
        office_hours_per_day: int,
        staffing: StaffingSettings,
        coordination: Coordination,
        lifecycle: ItemLifecycle,
        events: EventBus,
        rule: Rule,
        rng: np.random.Generator,
    ):
        super().__init__(model)
        self.topic = topic
        self.name = name
        self.settings = settings
        self.pressure = 0.0  # appraisal pressure [pressure units]
        self.last_score: float | None = None
        self.record = UnitRecord()  # this appraisal period's record (kept by `Appraisal`)
        self.score_rate = ScoreRate()  # recent rule score per hour of work
        self.staffing = staffing
        self.coordination = coordination
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.events = events
        self.rule = rule
        self.stream = rng
        self.foresight: Foresight | None = None  # set once every department exists
        self.referrals: ReferralBook | None = None
        # Staff hours in a working day: a backlog is priced in working days of it.
        self.office_hours_per_day = max(1, office_hours_per_day)
        # Clock hours from referral to this department's part being done (running mean).
        self.turnaround_hours = settings.processing_hours * 24.0 / self.office_hours_per_day
        self.desk = ServiceDesk(
            servers=[Server(on_duty=on_duty) for _ in range(settings.staff)],
            start_job=self._start,
            finish_job=self._finish,
            is_valid=self._is_valid,
        )

    @property
    def effort(self) -> float:
        """Work-speed multiplier from appraisal pressure (capped at staffing.max_effort)."""
        staffing = self.staffing
        return min(staffing.max_effort, 1.0 + staffing.effort_gain * self.pressure)

    def submit(self, item: int, arrival: float) -> None:
        """Queue a part of a referred item, available from `arrival`."""
        self.desk.submit(Ticket(item=item, task=0, arrival=arrival, version=0, key=(1, arrival)))

    def backlog(self, now: float) -> int:
        """Items waiting or in service here."""
        waiting = sum(1 for t in self.desk.waiting_tickets() if self._is_valid(t, now))
        return waiting + len(self.desk.in_service())

    def work(self, t0: float, t1: float) -> None:
        """Staff on duty work through the queue during [t0, t1)."""
        self.desk.work(t0, t1)

    # -------------------------------------------------------------- the desk's callbacks

    def _is_valid(self, ticket: Ticket, now: float) -> bool:
        return self.items.status[ticket.item] == REFERRED

    def _start(self, ticket: Ticket, server: int, now: float) -> float | None:
        rng = self.stream
        if self.coordination.bounces and rng.random() < self.settings.bounce_probability:
            ticket.data = (BOUNCE, now)
            return self.settings.bounce_hours
        if PartStarted in self.events.wanted:  # before the choice: the part counts as handled
            self.events.publish(PartStarted(ticket.item, self.topic, now))
        action = self._choose(ticket.item, now)
        mean = self.settings.processing_hours
        sigma2 = math.log1p(self.settings.processing_cv**2)
        hours = rng.lognormal(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))
        if action == QUICK:
            hours *= self.settings.quick_share
        ticket.data = (action, now)
        return hours / self.effort

    def _choose(self, item: int, now: float) -> int:
        staffing = self.staffing
        if self.pressure == 0.0 and staffing.load_sensitivity == 0.0:
            return FULL
        assert self.foresight is not None
        foresight = self.foresight
        items = self.items
        elapsed = now - items.created[item]
        to_deadline = items.deadline[item] - now
        full_hours = self.settings.processing_hours / self.effort
        hours = np.array([full_hours, full_hours * self.settings.quick_share])
        full_satisfaction = foresight.department_satisfaction(self.topic, elapsed)
        quick_satisfaction = foresight.reply_satisfaction(PARTIAL, elapsed)
        rated = foresight.rating_probability
        outlooks = (
            Outlook(True, full_hours, to_deadline, full_satisfaction, rated),
            Outlook(
                True, full_hours * self.settings.quick_share, to_deadline, quick_satisfaction, rated
            ),
        )
        scores = np.array([self.rule.item_score(self.record, o) for o in outlooks])
        partial_value = foresight.partial_reply_value
        quality = np.array([foresight.department_quality_value(self.topic), partial_value])
        values = staffing.motivation * quality + self.pressure * scores
        waiting = len(self.desk._waiting)
        backlog_hours = waiting * self.settings.processing_hours / max(1, len(self.desk.servers))
        time_price = staffing.load_sensitivity * backlog_hours / self.office_hours_per_day
        if self.pressure > 0.0:
            time_price += self.pressure * self.score_rate.rate * min(1.0, backlog_hours)
        pick = choose_action(values, hours, time_price, staffing.choice_temperature, self.stream)
        self.score_rate.add(float(scores[pick]), float(hours[pick]))
        return pick

    def _finish(self, ticket: Ticket, server: int, now: float) -> None:
        assert self.referrals is not None
        action, _started = ticket.data
        if action == BOUNCE:
            self.referrals.bounced(ticket.item, now)
            return
        if action == QUICK:
            quality = PARTIAL
        else:
            ok = self.stream.random() < self.settings.quality
            quality = SUBSTANTIVE if ok else PARTIAL
        self.referrals.part_done(ticket.item, self, quality, now)


class ReferralBook:
    """Routes referred items through departments and hands answers back to operators."""

    def __init__(
        self,
        departments: list[Department],
        coordination: Coordination,
        lifecycle: ItemLifecycle,
        events: EventBus,
        learning_rate: float,
    ):
        self.departments = departments
        self.coordination = coordination
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.events = events
        self.learning_rate = learning_rate  # weight of the newest turnaround in the mean
        self.open: dict[int, Referral] = {}
        for department in departments:
            department.referrals = self

    def _submit(self, department: int, when: float, item: int) -> None:
        self.departments[department].submit(item, when)

    def refer(self, item: int, now: float) -> None:
        """Send an item just referred to its department(s), as the coordination says."""
        items = self.items
        parts = [int(items.topic[item])]
        if items.second_topic[item] >= 0:
            parts.append(int(items.second_topic[item]))
        referral = Referral(parts=parts, referred_at=now)
        self.open[item] = referral
        self.coordination.start(referral, now, lambda d, when: self._submit(d, when, item))

    def part_done(self, item: int, department: Department, quality: int, now: float) -> None:
        """A department finished its part: the next part, or the answer, follows."""
        referral = self.open.get(item)
        if referral is None or self.items.status[item] != REFERRED:
            self.open.pop(item, None)
            return
        department.turnaround_hours += self.learning_rate * (
            now - referral.referred_at - department.turnaround_hours
        )
        on_time = bool(now <= self.items.deadline[item])
        self.events.publish(PartDone(item, department.topic, quality, now, on_time))
        referral.quality = min(referral.quality, quality)
        ready = self.coordination.part_done(
            referral, now, lambda d, when: self._submit(d, when, item)
        )
        if ready is not None:
            del self.open[item]
            self.events.publish(AnswerReady(item, referral.quality, tuple(referral.parts), ready))

    def bounced(self, item: int, now: float) -> None:
        """A silo department sent the item back; the operators must refer it again."""
        self.open.pop(item, None)
        if self.items.status[item] == REFERRED:
            self.lifecycle.bounce(item, now)
