"""Operators: the staff who run the government account (MODEL.md §2, §4.4).

Operators are servers of one service desk, the account's inbox (`OperatorDesk`). When
an operator takes a new item it chooses what to do with it by weighing, for each
action it can take,

    value = reply_propensity + reply_norm (if the action leads to a reply)
          + motivation × quality of the outcome
          + escalation_weight × (escalations + stated threat) (if it leads to a reply)
          + pressure × what the action is worth to the appraisal score
    cost  = time price × hours the action takes

What an action is worth to the appraisal is the expected change its outcome makes to
the operator's period score given its record so far, read per item handled
(`Rule.item_score`). The time price is `load_sensitivity × backlog hours per operator`
plus, under an appraisal rule, `pressure × (the operator's recent score per hour of
work) × min(1, backlog hours)`: when work is waiting, time spent on one item is score
not earned on the next, handled as the operator usually handles items. Effort (from
pressure) shortens every action's time.
The choice is a logit (some randomness between operators and moments). Substantive
replies are only possible for items within the operator's skill. `reply_propensity`
is the operators' own inclination (`staffing`, calibrated); `reply_norm` is an
institutional guarantee that requests are answered (`mandate`), whose audit
(`mandate.forbid_leaving`) takes leaving off the list. A referral leads to a reply only
if referred items are tracked until closed (`mechanism.track_referrals`).

The desk carries out what operators do: replies (and the public reply post),
referrals, leaving an item, posting departments' answers, clarifying rumours,
information releases, and monitoring public opinion for trending posts. An item its
author follows up or reminds about (event `Reopened`) is queued again as a new item;
`need_hours` keeps the work on first and on repeat contacts apart (failure demand).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.accountability import Outlook, Rule, UnitRecord
from simulation.agents.choice import Foresight, ScoreRate, choose_action
from simulation.codes import (
    BOILERPLATE,
    CONSULTATION,
    MENTION,
    NOT_RECEIVED,
    OPEN,
    PARTIAL,
    POST_CLARIFICATION,
    POST_RELEASE,
    POST_REPLY,
    REFERRED,
    RUMOUR,
    SUBSTANTIVE,
    SUGGESTION,
    TASK_CLARIFY,
    TASK_NEW,
    TASK_POST_ANSWER,
    TASK_SCREEN,
    VENT,
)
from simulation.events import (
    AnswerReady,
    Escalated,
    EventBus,
    ExposureBatch,
    Forwarded,
    ItemReceived,
    ReleasePublished,
    Reopened,
    Returned,
)
from simulation.mechanisms.disciplines import DISCIPLINES
from simulation.queueing import Server, ServiceDesk, Ticket

if TYPE_CHECKING:
    from simulation.agents.department import ReferralBook
    from simulation.diffusion import Spreading
    from simulation.items import ItemLifecycle, ItemStore
    from simulation.platform_rules import ReplyWindow
    from simulation.scenario import (
        AccountabilitySettings,
        DiffusionSettings,
        MandateSettings,
        MechanismSettings,
        StaffingSettings,
    )
    from simulation.supervision import SupervisedUnit, Supervision

# Actions on a new item.
ACT_SUBSTANTIVE, ACT_PARTIAL, ACT_BOILERPLATE, ACT_REFER, ACT_LEAVE = range(5)
ACTION_NAMES = ("substantive", "partial", "boilerplate", "refer", "leave")
_REPLY_QUALITY = {ACT_SUBSTANTIVE: SUBSTANTIVE, ACT_PARTIAL: PARTIAL, ACT_BOILERPLATE: BOILERPLATE}


class Operator(mesa.Agent):
    """One member of staff on the account: skill, shifts, appraisal pressure, choices."""

    def __init__(
        self,
        model: mesa.Model,
        index: int,
        skill: float,
        on_duty: np.ndarray,
        staffing: StaffingSettings,
        mechanism: MechanismSettings,
        mandate: MandateSettings,
        lifecycle: ItemLifecycle,
        foresight: Foresight,
        rule: Rule,
        rng: np.random.Generator,
        referable: frozenset[int] | None = None,
        call_minutes: float | None = None,
    ):
        super().__init__(model)
        self.index = index  # among all operators of every account
        self.skill = skill  # media literacy / competence [0-1]
        # Departments (topics) this operator's account may refer to (None: every one).
        self.referable = referable
        # On a hotline, every call takes an exponential time of this mean whatever comes of
        # it (the caller is on the line), and a call cannot be left unanswered. None: posts.
        self.call_minutes = call_minutes
        self.pressure = 0.0  # appraisal pressure [pressure units]
        # The explicit upper level, if the account is supervised (simulation.supervision):
        # its pressure on the account, and what its record makes of an action.
        self.above: SupervisedUnit | None = None
        self.pressure_from_above = 0.0  # [pressure units]
        self.server = Server(on_duty=on_duty)
        self.last_score: float | None = None  # at the last appraisal (None: nothing scored)
        self.record = UnitRecord()  # this appraisal period's record (kept by `Appraisal`)
        self.score_rate = ScoreRate()  # recent rule score per hour of work
        self.release_hours = 0.0  # release work not yet turned into a post [hours]
        self.actions = np.zeros(len(ACTION_NAMES), dtype=np.int64)  # run totals
        self.staffing = staffing
        self.mechanism = mechanism
        self.mandate = mandate
        # Worth of replying as such: own inclination plus the mandate's norm [utility].
        self.reply_worth = staffing.reply_propensity + mandate.reply_norm
        self.items = lifecycle.store
        self.foresight = foresight
        self.rule = rule
        self.stream = rng  # this operator's own decisions stream (choices, handling times)
        self._hours_by_action: dict[int, float] | None = None  # `_action_hours`, once asked
        # Intrinsic worth of each outcome to a motivated operator [quality units].
        self.quality_value = {
            ACT_SUBSTANTIVE: 1.0,
            ACT_PARTIAL: foresight.partial_reply_value,
            ACT_BOILERPLATE: foresight.boilerplate_reply_value,
            ACT_LEAVE: 0.0,
        }

    @property
    def effort(self) -> float:
        """Work-speed multiplier from appraisal pressure (capped at staffing.max_effort)."""
        staffing = self.staffing
        pressure = self.pressure + self.pressure_from_above
        return min(staffing.max_effort, 1.0 + staffing.effort_gain * pressure)

    def on_duty_at(self, hour: int) -> bool:
        """Whether this operator is on shift in `hour`."""
        return bool(self.server.on_duty[hour])

    def can_answer(self, kind: int, complexity: float) -> bool:
        """Whether this operator can settle the item without a department."""
        if kind in (CONSULTATION, SUGGESTION):
            return complexity < self.skill
        return complexity < self.skill * self.staffing.demand_self_service

    def may_refer(self, item: int) -> bool:
        """Whether the account may refer the item: every department it needs is its own."""
        if self.referable is None:
            return True
        items = self.items
        second = int(items.second_topic[item])
        return int(items.topic[item]) in self.referable and (second < 0 or second in self.referable)

    def choose(self, item: int, now: float, backlog_hours: float) -> int:
        """Pick an action for a new item (see the module docstring)."""
        staffing = self.staffing
        items = self.items
        foresight = self.foresight
        # Plain floats from the store's columns: numpy scalars are slow in the arithmetic below.
        elapsed = now - float(items.created[item])
        to_deadline = float(items.deadline[item]) - now
        speed = self.effort

        actions = [ACT_PARTIAL, ACT_BOILERPLATE]
        if not self.mandate.forbid_leaving and self.call_minutes is None:
            actions.append(ACT_LEAVE)
        if self.can_answer(int(items.kind[item]), float(items.complexity[item])):
            actions.insert(0, ACT_SUBSTANTIVE)
        elif self.mechanism.referral and self.may_refer(item):
            actions.insert(0, ACT_REFER)
        hours = self._action_hours()
        rated = foresight.rating_probability
        escalations = int(items.escalations[item])
        values: list[float] = []
        costs: list[float] = []
        scores: list[float] = []
        above = self.above
        if above is None:
            # The implicit upper level: a stated threat to complain upward weighs like an
            # escalation that has happened.
            upward = escalations + int(items.threat[item])
            engage = self.reply_worth + staffing.escalation_weight * upward
        else:
            engage = self.reply_worth  # the explicit one: what it does (above.action_value)
        tracked = self.mechanism.track_referrals
        for action in actions:
            # Chance the reply the action leads to is substantive (the supervisor's record).
            substantive = 1.0 if action == ACT_SUBSTANTIVE else 0.0
            if action == ACT_REFER and not tracked:
                # Forwarded and forgotten: the citizen hears nothing back.
                quality_value = 0.0
                outlook = Outlook(False, math.inf, to_deadline, foresight.abandonment_satisfaction)
            elif action == ACT_REFER:
                topic = int(items.topic[item])
                substantive = foresight.departments[topic].settings.quality
                delay = foresight.referral_hours(topic, int(items.second_topic[item]))
                quality_value = foresight.department_quality_value(topic)
                satisfaction = foresight.department_satisfaction(topic, elapsed + delay)
                outlook = Outlook(True, delay, to_deadline, satisfaction, rated)
            elif action == ACT_LEAVE:
                quality_value = 0.0
                outlook = Outlook(
                    False,
                    math.inf,
                    to_deadline,
                    foresight.abandonment_satisfaction,
                    rated,
                    foresight.abandon_probability(escalations),
                )
            else:
                quality_value = self.quality_value[action]
                satisfaction = foresight.reply_satisfaction(_REPLY_QUALITY[action], elapsed)
                outlook = Outlook(True, 0.0, to_deadline, satisfaction, rated)
            score = float(self.rule.item_score(self.record, outlook))
            value = float(
                (engage if outlook.replies else 0.0)
                + staffing.motivation * quality_value
                + self.pressure * score
            )
            if above is not None:
                value += above.action_value(item, now, outlook, substantive)
            scores.append(score)
            values.append(value)
            costs.append(float(hours[action] / speed))
        time_price = staffing.load_sensitivity * backlog_hours
        if self.pressure > 0.0:
            time_price += self.pressure * self.score_rate.rate * min(1.0, backlog_hours)
        pick = choose_action(values, costs, time_price, staffing.choice_temperature, self.stream)
        self.score_rate.add(float(scores[pick]), float(costs[pick]))
        return actions[pick]

    def _action_hours(self) -> dict[int, float]:
        """Hours each action takes at full speed (the settings' own, made once)."""
        hours = self._hours_by_action
        if hours is None:
            staffing = self.staffing
            handling = staffing.handling_minutes / 60.0
            hours = {
                ACT_SUBSTANTIVE: handling,
                ACT_PARTIAL: handling * staffing.partial_share,
                ACT_BOILERPLATE: staffing.boilerplate_minutes / 60.0,
                ACT_REFER: staffing.referral_minutes / 60.0,
                ACT_LEAVE: staffing.triage_minutes / 60.0,
            }
            if self.call_minutes is not None:
                hours = dict.fromkeys(hours, self.call_minutes / 60.0)
            self._hours_by_action = hours
        return hours

    def work_hours(self, action: int) -> float:
        """Draw how long the chosen action takes this operator [hours]."""
        staffing = self.staffing
        if self.call_minutes is not None:
            return float(self.stream.exponential(self.call_minutes / 60.0)) / self.effort
        if action in (ACT_SUBSTANTIVE, ACT_PARTIAL):
            mean = staffing.handling_minutes / 60.0
            if staffing.handling_distribution == "exponential":
                hours = self.stream.exponential(mean)
            else:
                sigma2 = math.log1p(staffing.handling_cv**2)
                hours = self.stream.lognormal(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))
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
    """One account's inbox: its operators as servers of one desk, and what their work does.

    With several accounts each has a desk of its own; a desk takes only the items of
    its account (`items.account`) and names its operators by their index among all
    operators (`first_operator` + its own server index) in what it records.
    """

    def __init__(
        self,
        operators: list[Operator],
        lifecycle: ItemLifecycle,
        events: EventBus,
        spreading: Spreading,
        referrals: ReferralBook,
        mechanism: MechanismSettings,
        accountability: AccountabilitySettings,
        staffing: StaffingSettings,
        diffusion: DiffusionSettings,
        topic_mix: np.ndarray,
        government: int,
        rng: np.random.Generator,
        inbox: Inbox,
        account: int = 0,
        first_operator: int = 0,
        shared: bool = False,
        window: ReplyWindow | None = None,
        calls: bool = False,
    ):
        self.operators = operators
        # Contacts are calls (hotline): a caller's patience is for the queue only; once an
        # agent takes the call, they wait for what it promised (a department's call-back).
        self.calls = calls
        self.window = window  # the platform's reply window (WeChat), if it has one
        self.account = account  # the account whose inbox this is
        self.first_operator = first_operator  # index of its first operator among all
        self.shared = shared  # other accounts' desks hear the same events: filter them
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.events = events
        self.spreading = spreading
        self.referrals = referrals
        self.mechanism = mechanism
        self.staffing = staffing
        self.diffusion = diffusion
        self.topic_mix = topic_mix
        self.government = government  # the account's node in the follower graph
        self.stream = rng  # the releases stream: topics of untargeted releases
        # The supervision, if this account supervises others: it screens their complaints.
        self.screener: Supervision | None = None
        assert mechanism.queue_discipline is not None  # the preset fills it
        self.discipline = DISCIPLINES[mechanism.queue_discipline]
        self.escalated_first = accountability.rule != "none" and accountability.escalation_priority
        self.hour = 0  # the hour being worked
        self._duty_hour = -1  # the hour whose operators on duty `_on_duty` counts
        self._on_duty = 1
        # Hours of work on needs (new items and answers to post), for the item's first
        # contact and for its repeat contacts (follow-ups, reminders): failure demand.
        self.need_hours = np.zeros(2)
        # Consultations received per topic, decaying by half a day (for targeted releases):
        # operators know only what they were asked.
        self.recent_consultations = np.zeros(len(topic_mix))
        self._consultation_decay = 0.5 ** (1.0 / 24.0)
        share = mechanism.release_time_share
        assert share is not None  # the preset fills it
        for op in operators:
            # A hotline publishes nothing: its agents' time is all for calls.
            op.server.reserved_share = 0.0 if calls else share
        self.desk = ServiceDesk(
            servers=[op.server for op in operators],
            start_job=self._start,
            finish_job=self._finish,
            is_valid=self._is_valid,
            on_reserved_work=self._release_work,
            shift_end=staffing.shift_end,
        )
        inbox.add(self)  # new and reopened contacts come through the inbox
        events.subscribe(Returned, self._on_returned)
        events.subscribe(Escalated, self._on_escalated)
        events.subscribe(Forwarded, self._on_forwarded)
        if mechanism.track_referrals:
            # Tracked until closed: the departments' answer comes back to be posted.
            events.subscribe(AnswerReady, self._on_answer_ready)

    # -------------------------------------------------------------- queueing

    def queue_key(self, item: int, arrival: float) -> tuple:
        """Priority of an inbox ticket: escalated first (if the rule says), then discipline."""
        escalated_first = self.escalated_first and self.items.escalations[item] > 0
        return (0 if escalated_first else 1, *self.discipline(self.items, item, arrival))

    def submit(self, item: int, task: int, arrival: float, data: object = None) -> None:
        """Queue a ticket for an item; it becomes available at `arrival`."""
        ticket = Ticket(
            item=item,
            task=task,
            arrival=arrival,
            version=int(self.items.version[item]),
            key=self.queue_key(item, arrival),
            data=data,
        )
        self.desk.submit(ticket)

    def mine(self, item: int) -> bool:
        """Whether the item went to this desk's account."""
        return not self.shared or self.items.account[item] == self.account

    def take_contact(self, event: ItemReceived) -> None:
        """Queue a received item of this desk's account (a new ticket)."""
        if event.kind == CONSULTATION:
            self.recent_consultations[event.topic] += 1.0
        self.submit(event.item, TASK_CLARIFY if event.kind == RUMOUR else TASK_NEW, event.time)

    def _on_returned(self, event: Returned) -> None:
        if self.mine(event.item):
            self.submit(event.item, TASK_NEW, event.time)

    def _on_escalated(self, event: Escalated) -> None:
        if event.requeued and self.mine(event.item):
            self.submit(event.item, TASK_NEW, event.time)

    def _on_forwarded(self, event: Forwarded) -> None:
        if event.requeued and self.mine(event.item):
            self.submit(event.item, TASK_NEW, event.time)

    def _on_answer_ready(self, event: AnswerReady) -> None:
        if self.mine(event.item):
            self.submit(event.item, TASK_POST_ANSWER, event.time, data=event.quality)

    def backlog(self, now: float) -> int:
        """Tickets waiting for an operator at time `now` (valid ones only)."""
        return sum(1 for t in self.desk.waiting_tickets() if self._is_valid(t, now))

    def backlog_hours_per_operator(self) -> float:
        """Perceived work waiting per operator on duty [hours]."""
        waiting = len(self.desk._waiting)
        hour = self.hour
        if hour != self._duty_hour:  # counted once an hour: the shifts do not change
            self._duty_hour = hour
            self._on_duty = max(1, sum(op.on_duty_at(hour) for op in self.operators))
        return waiting * self.staffing.handling_minutes / 60.0 / self._on_duty

    def work(self, t0: float, t1: float) -> None:
        """Operators on shift work through the inbox during [t0, t1)."""
        self.hour = int(t0)
        self.desk.work(t0, t1)
        self.recent_consultations *= self._consultation_decay

    # -------------------------------------------------------------- the desk's callbacks

    def _is_valid(self, ticket: Ticket, now: float) -> bool:
        items = self.items
        i = ticket.item
        if ticket.task != TASK_CLARIFY and self.window and not self.window.is_open(i, now):
            return False  # past the reply window: nothing may be sent (it expires)
        if ticket.task == TASK_POST_ANSWER:
            return items.status[i] == REFERRED
        if ticket.task == TASK_SCREEN:  # another account's item: valid while not closed
            return items.status[i] == OPEN or items.status[i] == REFERRED
        if items.status[i] != OPEN or items.in_service[i]:
            return False
        if ticket.task == TASK_NEW:
            return ticket.version == items.version[i] and items.expire_at[i] > now
        return True

    def _start(self, ticket: Ticket, server: int, now: float) -> float | None:
        op = self.operators[server]
        staffing = self.staffing
        if ticket.task == TASK_SCREEN:
            assert self.screener is not None  # only a supervisor's desk gets complaints
            return self.screener.screening_hours(self.account) / op.effort
        operator = self.first_operator + server
        self.lifecycle.start_service(ticket.item, ticket.task, operator, now, ticket.arrival)
        if self.calls and ticket.task == TASK_NEW:
            self.lifecycle.set_patience(ticket.item, math.inf)  # the caller is through
        if ticket.task == TASK_CLARIFY:
            return staffing.clarification_minutes / 60.0 / op.effort
        if ticket.task == TASK_POST_ANSWER:
            hours = staffing.reply_post_minutes / 60.0 / op.effort
        else:
            action = op.choose(ticket.item, now, self.backlog_hours_per_operator())
            ticket.data = action
            op.actions[action] += 1
            hours = op.work_hours(action)
        self.need_hours[int(self.items.contacts[ticket.item] > 1)] += hours
        return hours

    def _finish(self, ticket: Ticket, server: int, now: float) -> None:
        item = ticket.item
        operator = self.first_operator + server
        if ticket.task == TASK_SCREEN:
            assert self.screener is not None
            self.screener.forward(item, now)
            return
        self.lifecycle.end_service(item)
        if ticket.task == TASK_POST_ANSWER:
            self.post_reply(item, int(ticket.data), int(self.items.operator[item]), now)
        elif ticket.task == TASK_CLARIFY:
            self.clarify(item, operator, now)
        elif ticket.data == ACT_REFER:
            if self.lifecycle.refer(item, operator, now):
                self.referrals.refer(item, now)
        elif ticket.data == ACT_LEAVE:
            self.lifecycle.leave(item, operator, now)
        else:
            self.post_reply(item, _REPLY_QUALITY[int(ticket.data)], operator, now)

    # -------------------------------------------------------------- what the work does

    def post_reply(self, item: int, quality: int, operator: int, now: float) -> None:
        """The first reply to an item; a reply to a public post is public and spreads.

        Past the platform's reply window the reply cannot be sent: the item expires.
        """
        if self.window is not None and not self.window.is_open(item, now):
            self.lifecycle.expire(item, now)
            return
        if not self.lifecycle.answer(item, quality, operator, now):
            return
        if self.items.channel[item] in (MENTION, VENT):
            self.spreading.start(
                POST_REPLY,
                int(self.items.author[item]),
                now,
                self.diffusion.reply_repost_probability,
                item=-1,
                quality=quality,
            )

    def clarify(self, item: int, operator: int, now: float) -> None:
        """Clarify a monitored rumour: it stops spreading, and a clarification goes out."""
        self.lifecycle.clarify(item, operator, now)
        self.spreading.damp(item, self.diffusion.clarification_repost_factor)
        self.spreading.start(
            POST_CLARIFICATION,
            self.government,
            now,
            self.diffusion.release_repost_probability,
            topic=int(self.items.topic[item]),
        )

    def _release_work(self, server: int, hours: float) -> None:
        op = self.operators[server]
        op.release_hours += hours
        per_release = self.staffing.release_minutes / 60.0
        while op.release_hours >= per_release - 1e-9:
            op.release_hours -= per_release
            self.publish_release(self.first_operator + server)

    def publish_release(self, operator: int) -> None:
        """An information release on the topic most asked about (if targeted) or by mix."""
        if self.mechanism.targeted_releases and self.recent_consultations.any():
            topic = int(np.argmax(self.recent_consultations))
        else:
            topic = int(self.stream.choice(len(self.topic_mix), p=self.topic_mix))
        now = float(self.hour)
        self.events.publish(ReleasePublished(topic, operator, now))
        self.spreading.start(
            POST_RELEASE,
            self.government,
            now,
            self.diffusion.release_repost_probability,
            topic=topic,
        )


class Inbox:
    """New and reopened contacts, heard once and handed to the desk of the item's account.

    Made just before the first desk, so it hears ItemReceived and Reopened in the place
    of that desk's own subscription; with several accounts each contact goes only to
    its account's desk instead of every desk hearing it and dropping the others'. A
    desk's response only queues a ticket of its own, so hearing it before a later
    subscriber (another account's reply window) changes nothing.
    """

    def __init__(self, items: ItemStore, events: EventBus) -> None:
        self.items = items
        self.desks: dict[int, OperatorDesk] = {}  # account → its desk
        events.subscribe(ItemReceived, self._on_received)
        events.subscribe(Reopened, self._on_reopened)

    def add(self, desk: OperatorDesk) -> None:
        """Hand the contacts of `desk.account` to `desk`."""
        self.desks[desk.account] = desk

    def _desk_of(self, item: int) -> OperatorDesk:
        """The desk of the account a contact was made to (every received item names one)."""
        account = int(self.items.account[item])
        assert account in self.desks, f"contact {item} names no account's desk ({account})"
        return self.desks[account]

    def _on_received(self, event: ItemReceived) -> None:
        self._desk_of(event.item).take_contact(event)

    def _on_reopened(self, event: Reopened) -> None:
        self._desk_of(event.item).submit(event.item, TASK_NEW, event.time)


class Monitoring:
    """Listening to public opinion: trending posts the government has not seen come in.

    A public vent or a rumour whose impressions pass `monitoring_threshold_impressions`
    is received; a need waits for a reply like any other (its author's patience starts
    now), a rumour waits to be clarified. With several accounts each that monitors
    listens; a post trending past more than one's threshold goes to the first of them
    (in the order the accounts are declared).
    """

    def __init__(
        self,
        mechanism: MechanismSettings,
        lifecycle: ItemLifecycle,
        deadline_for: Callable[[float, int], float],
        patience,
        events: EventBus,
        account: int = 0,
    ):
        self.mechanism = mechanism
        self.account = account  # the account whose operators listen
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.deadline_for = deadline_for
        self.patience = patience
        if mechanism.monitoring:
            events.subscribe(ExposureBatch, self._on_exposures)

    def _on_exposures(self, event: ExposureBatch) -> None:
        impressions = event.generation.impressions
        for i, cascade in enumerate(event.cascades):
            if cascade.item >= 0 and impressions[i]:
                self.consider(cascade.item, event.hour)

    def consider(self, item: int, t: int) -> None:
        """Receive the item if it trends past the threshold unseen (t: the hour)."""
        mechanism = self.mechanism
        store = self.items
        if store.status[item] != NOT_RECEIVED:
            return
        if store.impressions[item] < mechanism.monitoring_threshold_impressions:
            return
        is_rumour = store.kind[item] == RUMOUR
        if is_rumour and not mechanism.clarify_rumours:
            return
        # Seen when it trends, but not before it was posted (posts appear within the hour).
        now = max(float(t), float(store.created[item]))
        deadline = self.deadline_for(now, int(store.kind[item]))
        self.lifecycle.receive_by_monitoring(item, t, now, deadline, self.account)
        if not is_rumour:
            self.patience.start(item, now)
