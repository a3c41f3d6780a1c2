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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

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
        self.handled = self.replied = self.on_time = self.ratings = 0
        self.rating_sum = 0.0


class Rule:
    """No appraisal: nothing is scored."""

    name = "none"

    def action_score(self, outlook: Outlook) -> float:
        return 0.0

    def period_score(self, record: UnitRecord) -> float | None:
        return None


class ResponseRateRule(Rule):
    """Counts replies: share of handled items that got a reply."""

    name = "response_rate"

    def action_score(self, outlook: Outlook) -> float:
        return 1.0 if outlook.replies else 0.0

    def period_score(self, record: UnitRecord) -> float | None:
        return record.replied / record.handled if record.handled else None


class TimelinessRule(Rule):
    """Counts replies within the deadline."""

    name = "timeliness"

    def action_score(self, outlook: Outlook) -> float:
        if not outlook.replies or outlook.hours_to_deadline <= 0:
            return 0.0
        if outlook.delay_hours <= 0:
            return 1.0
        # Chance that a reply taking about `delay_hours` (exponential) beats the deadline.
        return 1.0 - math.exp(-outlook.hours_to_deadline / outlook.delay_hours)

    def period_score(self, record: UnitRecord) -> float | None:
        return record.on_time / record.handled if record.handled else None


class SatisfactionRule(Rule):
    """Scores citizens' ratings of replies."""

    name = "satisfaction"

    def action_score(self, outlook: Outlook) -> float:
        return outlook.satisfaction

    def period_score(self, record: UnitRecord) -> float | None:
        if not record.ratings:
            return None
        return (record.rating_sum / record.ratings + 1.0) / 2.0  # [-1, 1] → [0, 1]


RULES: dict[str, type[Rule]] = {
    cls.name: cls for cls in (Rule, ResponseRateRule, TimelinessRule, SatisfactionRule)
}


def make_rule(settings: AccountabilitySettings) -> Rule:
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


def choose_action(
    values: np.ndarray,
    hours: np.ndarray,
    time_price: float,
    temperature: float,
    rng: np.random.Generator,
) -> int:
    """Logit choice: utility = value − time_price · hours, noise scaled by temperature."""
    utility = (values - time_price * hours) / temperature
    utility -= utility.max()
    weights = np.exp(utility)
    cumulative = np.cumsum(weights)
    return int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
