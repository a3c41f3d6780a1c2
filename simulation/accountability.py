"""Accountability: appraisal rules behind one small interface (MODEL.md §4.7, §5).

A rule does two things:
- `action_score(outlook)`: what an action on one item is worth *under the rule* —
  staff weigh this (times their appraisal pressure) against the action's quality and
  the time it costs when they choose what to do;
- `period_score(record)`: the unit's appraisal score for a period (0-1).

Nothing here decides that a rule breeds boilerplate. A rule that counts replies makes
every reply worth the same, so under time pressure the fastest reply wins; a rule that
scores satisfaction makes a brush-off worth less than nothing. Goodhart's law emerges
from what is scored, or does not.

Adding a rule: subclass `Rule` with a unique `name` and decorate it with `@register`;
the scenario schema (`accountability.rule`), the command line, the page and the tests'
strategies read `RULES`. `Appraisal` keeps each unit's record for the period from the
run's events and sets each unit's pressure when a period ends.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, override

from simulation.codes import HOURS_PER_DAY, KIND_NAMES, TASK_NEW
from simulation.events import (
    Abandoned,
    AnswerReady,
    Appraised,
    EventBus,
    Judged,
    PartDone,
    PartStarted,
    Replied,
    ServiceStarted,
)

if TYPE_CHECKING:
    import numpy as np

    from simulation.calendar import Calendar
    from simulation.items import ItemStore
    from simulation.scenario import AccountabilitySettings, ReactionSettings


@dataclass(slots=True)
class Outlook:
    """What an action on an item would lead to, as staff foresee it."""

    replies: bool  # the citizen eventually gets a reply from this action
    delay_hours: float  # time from now until that reply [hours]
    hours_to_deadline: float  # deadline minus now [hours] (inf: no deadline)
    satisfaction: float  # expected satisfaction of the outcome: the reply, or giving up [-1, 1]
    rating_probability: float = 1.0  # chance a closed item is surveyed (rated) [probability]
    abandon_probability: float = 0.0  # no reply: chance the citizen gives up [probability]


@dataclass(slots=True)
class UnitRecord:
    """What one operator or department did in the current appraisal period."""

    handled: int = 0
    replied: int = 0
    on_time: int = 0
    rating_sum: float = 0.0
    ratings: int = 0

    def reset(self) -> None:
        """Start a new period."""
        self.handled = self.replied = self.on_time = self.ratings = 0
        self.rating_sum = 0.0


RULES: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Make a rule available under its `name`."""
    RULES[cls.name] = cls
    return cls


@register
class Rule:
    """No appraisal: nothing is scored.

    A rule scores a period (`period_score`) and tells staff what an action is worth to
    that score (`expected_change`): the expected change in the period score the action's
    outcome makes, given the unit's record so far. The item in hand is already counted
    as handled (operators at `ServiceStarted`, departments at `PartStarted`, both before
    the choice). A unit with no score yet stands at its target, as pressure reads it.
    """

    name = "none"

    def __init__(self, settings: AccountabilitySettings | None = None):
        if settings is None:
            from simulation.scenario import AccountabilitySettings

            settings = AccountabilitySettings(rule=self.name)
        self.target = settings.target
        self.satisfaction_survey = settings.satisfaction_survey

    def period_score(self, record: UnitRecord) -> float | None:
        """The unit's score for a period (None: nothing to score)."""
        return None

    def standing(self, record: UnitRecord) -> float:
        """The unit's period score so far; its target while it has none."""
        score = self.period_score(record)
        return self.target if score is None else score

    def expected_change(self, record: UnitRecord, outlook: Outlook) -> float:
        """Expected change in the period score from the action's outcome (0: not scored)."""
        return 0.0

    def item_score(self, record: UnitRecord, outlook: Outlook) -> float:
        """What staff weigh: the expected change × the items handled so far.

        Read per item handled, so that a rule carries the same weight late in a period
        as early (the change one item makes to a share of n items is about 1/n); for the
        rate rules it is the action's own contribution (1 for a reply, the chance of a
        reply on time).
        """
        return max(1, record.handled) * self.expected_change(record, outlook)


@register
class ResponseRateRule(Rule):
    """Counts replies: share of handled items that got a reply."""

    name = "response_rate"

    @override
    def period_score(self, record: UnitRecord) -> float | None:
        return record.replied / record.handled if record.handled else None

    @override
    def expected_change(self, record: UnitRecord, outlook: Outlook) -> float:
        # replied / handled with the item already among the handled: a reply adds 1/handled.
        return (1.0 if outlook.replies else 0.0) / max(1, record.handled)


def on_time_probability(outlook: Outlook) -> float:
    """Chance that the foreseen reply comes by the deadline (delay taken as exponential)."""
    if not outlook.replies or outlook.hours_to_deadline <= 0:
        return 0.0
    if outlook.delay_hours <= 0:
        return 1.0
    return 1.0 - math.exp(-outlook.hours_to_deadline / outlook.delay_hours)


@register
class TimelinessRule(Rule):
    """Counts replies within the deadline."""

    name = "timeliness"

    @override
    def period_score(self, record: UnitRecord) -> float | None:
        return record.on_time / record.handled if record.handled else None

    @override
    def expected_change(self, record: UnitRecord, outlook: Outlook) -> float:
        return on_time_probability(outlook) / max(1, record.handled)


@register
class SatisfactionRule(Rule):
    """Scores citizens' ratings: of replies, or of every closed request (call-back survey).

    With `satisfaction_survey = "replies"` only replies are rated, so an item left
    unanswered never counts; with `"all_closed"` a request whose author gave up is
    surveyed too and rates the abandonment satisfaction.
    """

    name = "satisfaction"

    @override
    def period_score(self, record: UnitRecord) -> float | None:
        if not record.ratings:
            return None
        return (record.rating_sum / record.ratings + 1.0) / 2.0  # [-1, 1] → [0, 1]

    def rated_probability(self, outlook: Outlook) -> float:
        """Chance that the action's outcome adds a rating to the unit's record."""
        if outlook.replies:
            return outlook.rating_probability
        if self.satisfaction_survey == "all_closed":
            return outlook.abandon_probability * outlook.rating_probability
        return 0.0

    @override
    def expected_change(self, record: UnitRecord, outlook: Outlook) -> float:
        rated = self.rated_probability(outlook)
        if rated == 0.0:
            return 0.0
        mean_after = (record.rating_sum + outlook.satisfaction) / (record.ratings + 1)
        return rated * ((mean_after + 1.0) / 2.0 - self.standing(record))


def make_rule(settings: AccountabilitySettings) -> Rule:
    """The rule a scenario's accountability settings name."""
    return RULES[settings.rule](settings)


def pressure_after_appraisal(settings: AccountabilitySettings, score: float | None) -> float:
    """Appraisal pressure on a unit for the next period given its score.

    Strength sets the base; falling short of the target adds `shortfall_gain` × strength
    per unit of shortfall; standing above it sheds `relief_gain` × strength per unit of
    surplus, down to `pressure_floor` × strength; public disclosure multiplies the result.
    No score (nothing to score) leaves the base.
    """
    if settings.rule == "none" or settings.strength == 0.0:
        return 0.0
    gap = 0.0 if score is None else settings.target - score
    if gap >= 0.0:
        factor = 1.0 + settings.shortfall_gain * gap
    else:
        factor = max(settings.pressure_floor, 1.0 + settings.relief_gain * gap)
    pressure = settings.strength * factor
    if settings.public_disclosure:
        pressure *= settings.disclosure_multiplier
    return pressure


def initial_pressure(settings: AccountabilitySettings) -> float:
    """Pressure before the first appraisal: the rule is known from day one."""
    return pressure_after_appraisal(settings, None)


def reply_deadline(
    settings: AccountabilitySettings, calendar: Calendar
) -> Callable[[float, int], float]:
    """The reply deadline of an item of a kind received at a time: hours or working days.

    `accountability.deadlines` sets it by kind of need; a kind it does not name (and a
    monitored rumour) takes the single deadline: `deadline_working_days` if set, else
    `deadline_hours`, else none.
    """
    single = _deadline_after(calendar, settings.deadline_hours, settings.deadline_working_days)
    by_kind = {
        KIND_NAMES.index(name): _deadline_after(calendar, d.hours, d.working_days)
        for name, d in (settings.deadlines or {}).items()
    }
    if not by_kind:
        return lambda received, kind: single(received)
    return lambda received, kind: by_kind.get(kind, single)(received)


def _deadline_after(
    calendar: Calendar, hours: float | None, working_days: int | None
) -> Callable[[float], float]:
    """Deadline from the time received: working days if given, else clock hours, else none."""
    if working_days is not None:
        return functools.partial(calendar.add_working_days, working_days=working_days)
    if hours is not None:
        return functools.partial(operator.add, float(hours))
    return lambda received: math.inf


class AppraisedUnit(Protocol):
    """A unit the appraisal scores: its pressure, its last score and this period's record."""

    pressure: float
    last_score: float | None
    record: UnitRecord


class Appraisal:
    """Each unit's record for the current period, kept from the run's events.

    Operators are credited with the new items they handled, their replies (on time or
    not) and the ratings of the replies they posted; departments with the parts they
    handled and finished and the ratings of the answers they contributed to. Under the
    satisfaction rule with `satisfaction_survey = "all_closed"`, a request whose author
    gave up is surveyed too (with the rating probability, drawn from the appraisal's own
    stream): its rating, the abandonment satisfaction, counts for the operator who last
    took it and the departments that worked on it.
    """

    def __init__(
        self,
        settings: AccountabilitySettings,
        rule: Rule,
        operators: Sequence[AppraisedUnit],
        departments: Sequence[AppraisedUnit],
        items: ItemStore,
        events: EventBus,
        reactions: ReactionSettings,
        rng: np.random.Generator,
    ):
        self.settings = settings
        self.rule = rule
        self.operators = list(operators)
        self.departments = list(departments)
        self.items = items
        self.events = events
        self.reactions = reactions
        self.stream = rng
        self.operator_records = [unit.record for unit in self.operators]
        self.department_records = [unit.record for unit in self.departments]
        self._answered_by: dict[int, tuple[int, ...]] = {}  # item → departments behind it
        self._taken_by: dict[int, int] = {}  # open item → operator who last took it
        self._worked_on: dict[int, set[int]] = {}  # item → departments that started a part
        pressure = initial_pressure(settings)
        for unit in (*self.operators, *self.departments):
            unit.pressure = pressure
        self.surveys_abandoned = (
            settings.rule == "satisfaction" and settings.satisfaction_survey == "all_closed"
        )
        if settings.rule == "none":
            return  # nothing is scored: no records to keep
        events.subscribe(ServiceStarted, self._on_service_started)
        events.subscribe(Replied, self._on_replied)
        events.subscribe(PartStarted, self._on_part_started)
        events.subscribe(PartDone, self._on_part_done)
        events.subscribe(AnswerReady, self._on_answer_ready)
        events.subscribe(Judged, self._on_judged)
        if self.surveys_abandoned:
            events.subscribe(Abandoned, self._on_abandoned)

    def _on_service_started(self, event: ServiceStarted) -> None:
        if event.task == TASK_NEW:
            self.operator_records[event.operator].handled += 1
            if self.surveys_abandoned:
                self._taken_by[event.item] = event.operator

    def _on_replied(self, event: Replied) -> None:
        if 0 <= event.operator < len(self.operator_records):
            record = self.operator_records[event.operator]
            record.replied += 1
            record.on_time += int(event.on_time)

    def _on_part_started(self, event: PartStarted) -> None:
        self.department_records[event.department].handled += 1
        if self.surveys_abandoned:
            self._worked_on.setdefault(event.item, set()).add(event.department)

    def _on_part_done(self, event: PartDone) -> None:
        record = self.department_records[event.department]
        record.replied += 1
        record.on_time += int(event.on_time)

    def _on_answer_ready(self, event: AnswerReady) -> None:
        self._answered_by[event.item] = event.departments

    def _on_judged(self, event: Judged) -> None:
        operators = self.items.operator
        for item, s, r in zip(
            event.items.tolist(), event.satisfaction.tolist(), event.rated.tolist(), strict=True
        ):
            departments = self._answered_by.pop(item, ())
            self._taken_by.pop(item, None)
            self._worked_on.pop(item, None)
            if r:
                self._rate(int(operators[item]), departments, s)

    def _on_abandoned(self, event: Abandoned) -> None:
        operator = self._taken_by.pop(event.item, -1)
        departments = self._worked_on.pop(event.item, ())
        reactions = self.reactions
        if self.stream.random() < reactions.rating_probability:
            self._rate(operator, departments, reactions.abandonment_satisfaction)

    def _rate(self, operator: int, departments: Iterable[int], satisfaction: float) -> None:
        if 0 <= operator < len(self.operator_records):
            self.operator_records[operator].rating_sum += satisfaction
            self.operator_records[operator].ratings += 1
        for department in departments:
            record = self.department_records[department]
            record.rating_sum += satisfaction
            record.ratings += 1

    def appraise(self, t: int) -> None:
        """Phase 7: at the end of a period, score every unit and set its pressure."""
        settings = self.settings
        if settings.rule == "none" or (t + 1) % (settings.period_days * HOURS_PER_DAY):
            return
        scores: list[list[float | None]] = [[], []]
        for group, (units, records) in enumerate(
            ((self.operators, self.operator_records), (self.departments, self.department_records))
        ):
            for unit, record in zip(units, records, strict=True):
                score = self.rule.period_score(record)
                unit.last_score = score
                unit.pressure = pressure_after_appraisal(settings, score)
                record.reset()
                scores[group].append(score)
        self.events.publish(Appraised(t, tuple(scores[0]), tuple(scores[1])))
