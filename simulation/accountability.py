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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, override

from simulation.codes import HOURS_PER_DAY, KIND_NAMES, TASK_NEW
from simulation.events import (
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
    from simulation.calendar import Calendar
    from simulation.items import ItemStore
    from simulation.scenario import AccountabilitySettings


@dataclass(slots=True)
class Outlook:
    """What an action on an item would lead to, as staff foresee it."""

    replies: bool  # the citizen eventually gets a reply from this action
    delay_hours: float  # time from now until that reply [hours]
    hours_to_deadline: float  # deadline minus now [hours] (inf: no deadline)
    satisfaction: float  # expected citizen satisfaction of the outcome [-1, 1]


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
    """No appraisal: nothing is scored."""

    name = "none"

    def action_score(self, outlook: Outlook) -> float:
        """What an action is worth under the rule (0: nothing is scored)."""
        return 0.0

    def period_score(self, record: UnitRecord) -> float | None:
        """The unit's score for a period (None: nothing to score)."""
        return None


@register
class ResponseRateRule(Rule):
    """Counts replies: share of handled items that got a reply."""

    name = "response_rate"

    @override
    def action_score(self, outlook: Outlook) -> float:
        return 1.0 if outlook.replies else 0.0

    @override
    def period_score(self, record: UnitRecord) -> float | None:
        return record.replied / record.handled if record.handled else None


@register
class TimelinessRule(Rule):
    """Counts replies within the deadline."""

    name = "timeliness"

    @override
    def action_score(self, outlook: Outlook) -> float:
        if not outlook.replies or outlook.hours_to_deadline <= 0:
            return 0.0
        if outlook.delay_hours <= 0:
            return 1.0
        # Chance that a reply taking about `delay_hours` (exponential) beats the deadline.
        return 1.0 - math.exp(-outlook.hours_to_deadline / outlook.delay_hours)

    @override
    def period_score(self, record: UnitRecord) -> float | None:
        return record.on_time / record.handled if record.handled else None


@register
class SatisfactionRule(Rule):
    """Scores citizens' ratings of replies."""

    name = "satisfaction"

    @override
    def action_score(self, outlook: Outlook) -> float:
        return outlook.satisfaction

    @override
    def period_score(self, record: UnitRecord) -> float | None:
        if not record.ratings:
            return None
        return (record.rating_sum / record.ratings + 1.0) / 2.0  # [-1, 1] → [0, 1]


def make_rule(settings: AccountabilitySettings) -> Rule:
    """The rule a scenario's accountability settings name."""
    return RULES[settings.rule]()


def pressure_after_appraisal(settings: AccountabilitySettings, score: float | None) -> float:
    """Appraisal pressure on a unit for the next period given its score.

    Strength sets the base; public disclosure multiplies it; falling short of the
    target adds `shortfall_gain` per unit of shortfall.
    """
    if settings.rule == "none" or settings.strength == 0.0:
        return 0.0
    shortfall = 0.0 if score is None else max(0.0, settings.target - score)
    pressure = settings.strength * (1.0 + settings.shortfall_gain * shortfall)
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
    """A unit the appraisal scores: it carries its pressure and its last score."""

    pressure: float
    last_score: float | None


class Appraisal:
    """Each unit's record for the current period, kept from the run's events.

    Operators are credited with the new items they handled, their replies (on time or
    not) and the ratings of the replies they posted; departments with the parts they
    handled and finished and the ratings of the answers they contributed to.
    """

    def __init__(
        self,
        settings: AccountabilitySettings,
        rule: Rule,
        operators: Sequence[AppraisedUnit],
        departments: Sequence[AppraisedUnit],
        items: ItemStore,
        events: EventBus,
    ):
        self.settings = settings
        self.rule = rule
        self.operators = list(operators)
        self.departments = list(departments)
        self.items = items
        self.events = events
        self.operator_records = [UnitRecord() for _ in self.operators]
        self.department_records = [UnitRecord() for _ in self.departments]
        self._answered_by: dict[int, tuple[int, ...]] = {}  # item → departments behind it
        pressure = initial_pressure(settings)
        for unit in (*self.operators, *self.departments):
            unit.pressure = pressure
        if settings.rule == "none":
            return  # nothing is scored: no records to keep
        events.subscribe(ServiceStarted, self._on_service_started)
        events.subscribe(Replied, self._on_replied)
        events.subscribe(PartStarted, self._on_part_started)
        events.subscribe(PartDone, self._on_part_done)
        events.subscribe(AnswerReady, self._on_answer_ready)
        events.subscribe(Judged, self._on_judged)

    def _on_service_started(self, event: ServiceStarted) -> None:
        if event.task == TASK_NEW:
            self.operator_records[event.operator].handled += 1

    def _on_replied(self, event: Replied) -> None:
        if 0 <= event.operator < len(self.operator_records):
            record = self.operator_records[event.operator]
            record.replied += 1
            record.on_time += int(event.on_time)

    def _on_part_started(self, event: PartStarted) -> None:
        self.department_records[event.department].handled += 1

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
            if not r:
                continue
            operator = int(operators[item])
            if 0 <= operator < len(self.operator_records):
                self.operator_records[operator].rating_sum += s
                self.operator_records[operator].ratings += 1
            for department in self._answered_by.pop(item, ()):
                record = self.department_records[department]
                record.rating_sum += s
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
