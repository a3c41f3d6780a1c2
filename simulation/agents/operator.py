"""Operators: the staff who run the government account (MODEL.md §2, §4.4).

Operators are servers of one service desk (the account's inbox). When an operator
takes an item it chooses what to do with it by weighing, for each action it can take,

    value = reply_propensity (if the action leads to a reply)
          + motivation × quality of the outcome
          + escalation_weight × escalations (if it leads to a reply)
          + pressure × what the accountability rule scores for it
    cost  = time price × hours the action takes

where the time price is `load_sensitivity × backlog hours per operator` plus, under an
appraisal rule, `pressure × (best rule score per hour over the available actions) ×
min(1, backlog hours)`: when work is waiting, time spent on one item is score not
earned on others. Effort (from pressure) shortens every action's time.
The choice is a logit (some randomness between operators and moments). Substantive
replies are only possible for items within the operator's skill.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.accountability import Outlook, UnitRecord, choose_action
from simulation.codes import (
    BOILERPLATE,
    CONSULTATION,
    OPEN,
    PARTIAL,
    REFERRED,
    SUBSTANTIVE,
    SUGGESTION,
)
from simulation.queueing import Server, ServiceDesk, Ticket

if TYPE_CHECKING:
    from simulation.model import GovernmentResponseModel

# Tasks on the operators' desk.
TASK_NEW, TASK_POST_ANSWER, TASK_CLARIFY = 0, 1, 2

# Actions on a new item.
ACT_SUBSTANTIVE, ACT_PARTIAL, ACT_BOILERPLATE, ACT_REFER, ACT_LEAVE = range(5)
ACTION_NAMES = ("substantive", "partial", "boilerplate", "refer", "leave")
_REPLY_QUALITY = {ACT_SUBSTANTIVE: SUBSTANTIVE, ACT_PARTIAL: PARTIAL, ACT_BOILERPLATE: BOILERPLATE}
# Intrinsic worth of each outcome to a motivated operator [quality units].
_QUALITY_VALUE = {ACT_SUBSTANTIVE: 1.0, ACT_PARTIAL: 0.4, ACT_BOILERPLATE: 0.1, ACT_LEAVE: 0.0}


class Operator(mesa.Agent):
    """One member of staff on the account."""

    def __init__(self, model: GovernmentResponseModel, index: int, skill: float, on_duty):
        super().__init__(model)
        self.index = index
        self.skill = skill  # media literacy / competence [0-1]
        self.pressure = 0.0  # appraisal pressure [pressure units]
        self.server = Server(on_duty=on_duty)
        self.record = UnitRecord()  # current appraisal period
        self.last_score: float | None = None
        self.release_hours = 0.0  # release work not yet turned into a post [hours]
        self.actions = np.zeros(len(ACTION_NAMES), dtype=np.int64)  # run totals

    @property
    def effort(self) -> float:
        """Work-speed multiplier from appraisal pressure (capped at staffing.max_effort)."""
        staffing = self.model.scenario.staffing
        return min(staffing.max_effort, 1.0 + staffing.effort_gain * self.pressure)

    @property
    def on_duty_now(self) -> bool:
        return bool(self.server.on_duty[self.model.hour])

    def can_answer(self, kind: int, complexity: float) -> bool:
        """Whether this operator can settle the item without a department."""
        if kind in (CONSULTATION, SUGGESTION):
            return complexity < self.skill
        return complexity < self.skill * self.model.scenario.staffing.demand_self_service

    def choose(self, item: int, now: float, backlog_hours: float) -> int:
        """Pick an action for a new item (see the module docstring)."""
        model = self.model
        staffing = model.scenario.staffing
        mechanism = model.scenario.mechanism
        items = model.items
        rule = model.rule
        reactions = model.population
        elapsed = now - items.created[item]
        to_deadline = items.deadline[item] - now
        speed = self.effort
        handling = staffing.handling_minutes / 60.0

        actions = [ACT_PARTIAL, ACT_BOILERPLATE, ACT_LEAVE]
        if self.can_answer(int(items.kind[item]), float(items.complexity[item])):
            actions.insert(0, ACT_SUBSTANTIVE)
        elif mechanism.referral:
            actions.insert(0, ACT_REFER)
        hours = {
            ACT_SUBSTANTIVE: handling,
            ACT_PARTIAL: handling * staffing.partial_share,
            ACT_BOILERPLATE: staffing.boilerplate_minutes / 60.0,
            ACT_REFER: staffing.referral_minutes / 60.0,
            ACT_LEAVE: staffing.triage_minutes / 60.0,
        }
        lateness = model.lateness_satisfaction
        values = np.empty(len(actions))
        costs = np.empty(len(actions))
        scores = np.empty(len(actions))
        engage = mechanism.reply_propensity + staffing.escalation_weight * items.escalations[item]
        for j, action in enumerate(actions):
            if action == ACT_REFER:
                delay = model.expected_referral_hours(item)
                quality_value = model.expected_department_quality_value(item)
                satisfaction = model.expected_department_satisfaction(item) - lateness(
                    elapsed + delay
                )
                outlook = Outlook(True, delay, to_deadline, satisfaction)
            elif action == ACT_LEAVE:
                quality_value = 0.0
                outlook = Outlook(False, math.inf, to_deadline, model.abandonment_satisfaction)
            else:
                quality_value = _QUALITY_VALUE[action]
                satisfaction = reactions.quality_satisfaction[_REPLY_QUALITY[action]] - lateness(
                    elapsed
                )
                outlook = Outlook(True, 0.0, to_deadline, satisfaction)
            scores[j] = rule.action_score(outlook)
            values[j] = (
                (engage if outlook.replies else 0.0)
                + staffing.motivation * quality_value
                + self.pressure * scores[j]
            )
            costs[j] = hours[action] / speed
        time_price = staffing.load_sensitivity * backlog_hours
        if self.pressure > 0.0:
            best_rate = float(np.max(scores / costs))
            time_price += self.pressure * max(best_rate, 0.0) * min(1.0, backlog_hours)
        pick = choose_action(
            values, costs, time_price, staffing.choice_temperature, model.streams["operators"]
        )
        return actions[pick]

    def work_hours(self, action: int) -> float:
        """Draw how long the chosen action takes this operator [hours]."""
        staffing = self.model.scenario.staffing
        rng = self.model.streams["operators"]
        if action in (ACT_SUBSTANTIVE, ACT_PARTIAL):
            mean = staffing.handling_minutes / 60.0
            if staffing.handling_distribution == "exponential":
                hours = rng.exponential(mean)
            else:
                sigma2 = math.log1p(staffing.handling_cv**2)
                hours = rng.lognormal(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))
            if action == ACT_PARTIAL:
                hours *= staffing.partial_share
        elif action == ACT_BOILERPLATE:
            hours = staffing.boilerplate_minutes / 60.0
        elif action == ACT_REFER:
            hours = staffing.referral_minutes / 60.0
        else:
            hours = staffing.triage_minutes / 60.0
        return hours / self.effort


class OperatorDesk:
    """The account's inbox: operators as servers of one desk, and what their work does."""

    def __init__(self, model: GovernmentResponseModel, operators: list[Operator]):
        self.model = model
        self.operators = operators
        share = model.scenario.mechanism.release_time_share
        for op in operators:
            op.server.reserved_share = share
        self.desk = ServiceDesk(
            servers=[op.server for op in operators],
            start_job=self._start,
            finish_job=self._finish,
            is_valid=self._is_valid,
            on_reserved_work=self._release_work,
        )

    # -------------------------------------------------------------- queueing

    def submit(self, item: int, task: int, arrival: float, data: object = None) -> None:
        model = self.model
        ticket = Ticket(
            item=item,
            task=task,
            arrival=arrival,
            version=int(model.items.version[item]),
            key=model.queue_key(item, task, arrival),
            data=data,
        )
        self.desk.submit(ticket)

    def backlog(self) -> int:
        """Tickets waiting for an operator (valid ones only)."""
        now = float(self.model.hour)
        return sum(1 for t in self.desk.waiting_tickets() if self._is_valid(t, now))

    def backlog_hours_per_operator(self) -> float:
        """Perceived work waiting per operator on duty [hours]."""
        staffing = self.model.scenario.staffing
        waiting = len(self.desk._waiting)
        on_duty = max(1, sum(op.on_duty_now for op in self.operators))
        return waiting * staffing.handling_minutes / 60.0 / on_duty

    def work(self, t0: float, t1: float) -> None:
        self.desk.work(t0, t1)

    # -------------------------------------------------------------- callbacks

    def _is_valid(self, ticket: Ticket, now: float) -> bool:
        items = self.model.items
        i = ticket.item
        if ticket.task == TASK_POST_ANSWER:
            return items.status[i] == REFERRED
        if items.status[i] != OPEN or items.in_service[i]:
            return False
        if ticket.task == TASK_NEW:
            return ticket.version == items.version[i] and items.expire_at[i] > now
        return True

    def _start(self, ticket: Ticket, server: int, now: float) -> float | None:
        model = self.model
        op = self.operators[server]
        staffing = model.scenario.staffing
        model.items.in_service[ticket.item] = True
        if ticket.task == TASK_POST_ANSWER:
            return staffing.reply_post_minutes / 60.0 / op.effort
        if ticket.task == TASK_CLARIFY:
            return staffing.clarification_minutes / 60.0 / op.effort
        action = op.choose(ticket.item, now, self.backlog_hours_per_operator())
        ticket.data = action
        op.record.handled += 1
        op.actions[action] += 1
        return op.work_hours(action)

    def _finish(self, ticket: Ticket, server: int, now: float) -> None:
        model = self.model
        item = ticket.item
        model.items.in_service[item] = False
        if ticket.task == TASK_POST_ANSWER:
            model.post_reply(item, int(ticket.data), int(model.items.operator[item]), now)
        elif ticket.task == TASK_CLARIFY:
            model.clarify(item, server, now)
        elif ticket.data == ACT_REFER:
            model.refer(item, server, now)
        elif ticket.data == ACT_LEAVE:
            model.leave(item, now)
        else:
            model.post_reply(item, _REPLY_QUALITY[int(ticket.data)], server, now)

    def _release_work(self, server: int, hours: float) -> None:
        op = self.operators[server]
        op.release_hours += hours
        per_release = self.model.scenario.staffing.release_minutes / 60.0
        while op.release_hours >= per_release - 1e-9:
            op.release_hours -= per_release
            self.model.publish_release(server)
