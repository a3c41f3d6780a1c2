"""Departments: back offices that process referred items (MODEL.md §2, §4.5).

Each department is a service desk whose staff work office hours. A referred item
needs its topic's department and sometimes a second one. In *silo* coordination the
parts go one department after another (with a hand-off delay) and a department may
bounce an item back to the operators as "not ours"; in *joint* coordination a lead
department coordinates, all parts run in parallel and the answer is ready when the
slowest part is done plus a coordination time. The answer goes back to the operators'
inbox, who post it as the public reply.

Staff choose between full processing and a quick partial answer by the same
value-versus-time trade-off as operators, so an appraisal rule that counts answers
can push departments towards quick partial answers too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.accountability import Outlook, UnitRecord, choose_action
from simulation.codes import PARTIAL, REFERRED, SUBSTANTIVE
from simulation.queueing import Server, ServiceDesk, Ticket
from simulation.scenario import DepartmentSettings

if TYPE_CHECKING:
    from simulation.model import GovernmentResponseModel

FULL, QUICK, BOUNCE = 0, 1, 2


class Department(mesa.Agent):
    """A back office with staff working office hours."""

    def __init__(
        self,
        model: GovernmentResponseModel,
        topic: int,
        name: str,
        settings: DepartmentSettings,
        on_duty: np.ndarray,
    ):
        super().__init__(model)
        self.topic = topic
        self.name = name
        self.settings = settings
        self.pressure = 0.0
        self.record = UnitRecord()
        self.last_score: float | None = None
        # Clock hours from referral to this department's part being done (running mean).
        self.turnaround_hours = (
            settings.processing_hours
            * 24.0
            / max(
                1,
                model.scenario.calendar.office_hours_end
                - model.scenario.calendar.office_hours_start,
            )
        )
        self.desk = ServiceDesk(
            servers=[Server(on_duty=on_duty) for _ in range(settings.staff)],
            start_job=self._start,
            finish_job=self._finish,
            is_valid=self._is_valid,
        )

    @property
    def effort(self) -> float:
        """Work-speed multiplier from appraisal pressure (capped at staffing.max_effort)."""
        staffing = self.model.scenario.staffing
        return min(staffing.max_effort, 1.0 + staffing.effort_gain * self.pressure)

    def submit(self, item: int, arrival: float) -> None:
        self.desk.submit(Ticket(item=item, task=0, arrival=arrival, version=0, key=(1, arrival)))

    def backlog(self) -> int:
        now = float(self.model.hour)
        return sum(1 for t in self.desk.waiting_tickets() if self._is_valid(t, now)) + len(
            self.desk.in_service()
        )

    def work(self, t0: float, t1: float) -> None:
        self.desk.work(t0, t1)

    # -------------------------------------------------------------- callbacks

    def _is_valid(self, ticket: Ticket, now: float) -> bool:
        return self.model.items.status[ticket.item] == REFERRED

    def _start(self, ticket: Ticket, server: int, now: float) -> float | None:
        model = self.model
        rng = model.streams["departments"]
        coordination = model.scenario.mechanism.coordination
        if coordination == "silo" and rng.random() < self.settings.bounce_probability:
            ticket.data = (BOUNCE, now)
            return self.settings.bounce_hours
        action = self._choose(ticket.item, now)
        mean = self.settings.processing_hours
        sigma2 = math.log1p(self.settings.processing_cv**2)
        hours = rng.lognormal(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))
        if action == QUICK:
            hours *= self.settings.quick_share
        self.record.handled += 1
        ticket.data = (action, now)
        return hours / self.effort

    def _choose(self, item: int, now: float) -> int:
        model = self.model
        staffing = model.scenario.staffing
        if self.pressure == 0.0 and staffing.load_sensitivity == 0.0:
            return FULL
        items = model.items
        population = model.population
        elapsed = now - items.created[item]
        to_deadline = items.deadline[item] - now
        full_hours = self.settings.processing_hours / self.effort
        hours = np.array([full_hours, full_hours * self.settings.quick_share])
        full_sat = (
            self.settings.quality * population.quality_satisfaction[SUBSTANTIVE]
            + (1.0 - self.settings.quality) * population.quality_satisfaction[PARTIAL]
        )
        outlooks = (
            Outlook(True, full_hours, to_deadline, full_sat - model.lateness_satisfaction(elapsed)),
            Outlook(
                True,
                full_hours * self.settings.quick_share,
                to_deadline,
                population.quality_satisfaction[PARTIAL] - model.lateness_satisfaction(elapsed),
            ),
        )
        scores = np.array([model.rule.action_score(o) for o in outlooks])
        quality = np.array([self.settings.quality + (1 - self.settings.quality) * 0.4, 0.4])
        values = staffing.motivation * quality + self.pressure * scores
        waiting = len(self.desk._waiting)
        backlog_hours = waiting * self.settings.processing_hours / max(1, len(self.desk.servers))
        time_price = staffing.load_sensitivity * backlog_hours / 8.0
        if self.pressure > 0.0:
            time_price += (
                self.pressure * max(float(np.max(scores / hours)), 0.0) * min(1.0, backlog_hours)
            )
        return choose_action(
            values, hours, time_price, staffing.choice_temperature, model.streams["departments"]
        )

    def _finish(self, ticket: Ticket, server: int, now: float) -> None:
        model = self.model
        action, _started = ticket.data
        if action == BOUNCE:
            model.referrals.bounced(ticket.item, now)
            return
        if action == QUICK:
            quality = PARTIAL
        else:
            ok = model.streams["departments"].random() < self.settings.quality
            quality = SUBSTANTIVE if ok else PARTIAL
        model.referrals.part_done(ticket.item, self, quality, now)


@dataclass(slots=True)
class Referral:
    """An item at the departments: which parts remain and the answer so far."""

    parts: list[int]  # topic (department) indices
    referred_at: float
    next_part: int = 0  # silo: index of the part in progress
    pending: int = 0  # joint: parts not yet done
    quality: int = SUBSTANTIVE  # worst quality of the parts so far


class ReferralBook:
    """Routes referred items through departments and hands answers back to operators."""

    def __init__(self, model: GovernmentResponseModel, departments: list[Department]):
        self.model = model
        self.departments = departments
        self.open: dict[int, Referral] = {}

    def refer(self, item: int, now: float) -> None:
        model = self.model
        items = model.items
        parts = [int(items.topic[item])]
        if items.second_topic[item] >= 0:
            parts.append(int(items.second_topic[item]))
        referral = Referral(parts=parts, referred_at=now)
        self.open[item] = referral
        if model.scenario.mechanism.coordination == "joint" or len(parts) == 1:
            referral.pending = len(parts)
            for topic in parts:
                self.departments[topic].submit(item, now)
        else:
            self.departments[parts[0]].submit(item, now)

    def part_done(self, item: int, department: Department, quality: int, now: float) -> None:
        referral = self.open.get(item)
        if referral is None or self.model.items.status[item] != REFERRED:
            self.open.pop(item, None)
            return
        items = self.model.items
        department.turnaround_hours += 0.1 * (
            now - referral.referred_at - department.turnaround_hours
        )
        department.record.replied += 1
        department.record.on_time += int(now <= items.deadline[item])
        referral.quality = min(referral.quality, quality)
        staffing = self.model.scenario.staffing
        joint = self.model.scenario.mechanism.coordination == "joint"
        if joint or len(referral.parts) == 1:
            referral.pending -= 1
            if referral.pending > 0:
                return
            delay = staffing.department_coordination_hours if len(referral.parts) > 1 else 0.0
            self._answer_ready(item, referral, now + delay)
            return
        referral.next_part += 1
        if referral.next_part < len(referral.parts):
            next_topic = referral.parts[referral.next_part]
            self.departments[next_topic].submit(item, now + staffing.silo_handoff_hours)
        else:
            self._answer_ready(item, referral, now)

    def bounced(self, item: int, now: float) -> None:
        """A silo department sent the item back; the operators must refer it again."""
        self.open.pop(item, None)
        if self.model.items.status[item] == REFERRED:
            self.model.return_to_inbox(item, now)

    def _answer_ready(self, item: int, referral: Referral, when: float) -> None:
        del self.open[item]
        self.model.answer_ready(item, referral.quality, referral.parts, when)
