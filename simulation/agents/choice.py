"""How staff choose: foresight of an action's outcome, and the logit choice between actions.

Operators and department staff weigh each action they can take by its value (the
quality of the outcome, what the appraisal rule scores for it) against the time it
takes (see `simulation.agents.operator`). This module holds what both share: what they
expect an action to lead to (`Foresight`) and the choice itself (`choose_action`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from simulation.codes import PARTIAL, SUBSTANTIVE

if TYPE_CHECKING:
    from simulation.agents.department import Department
    from simulation.mechanisms.coordination import Coordination
    from simulation.scenario import ReactionSettings


class Foresight:
    """What staff expect of an outcome: citizens' satisfaction, departments' turnaround.

    Staff know the citizens' reaction rule (satisfaction by quality, lateness penalty)
    and each department's recent turnaround and quality; they do not know the
    individual citizen.
    """

    def __init__(
        self,
        reactions: ReactionSettings,
        quality_satisfaction: dict[int, float],
        departments: Sequence[Department],
        coordination: Coordination,
        partial_reply_value: float,
        boilerplate_reply_value: float,
    ):
        self.reactions = reactions
        self.quality_satisfaction = quality_satisfaction
        self.departments = departments
        self.coordination = coordination
        self.partial_reply_value = partial_reply_value  # worth of a partial reply [quality units]
        self.boilerplate_reply_value = boilerplate_reply_value  # of a boilerplate one

    def lateness_satisfaction(self, hours: float) -> float:
        """Satisfaction lost to a reply `hours` after the post (positive: a loss)."""
        r = self.reactions
        return r.lateness_penalty * max(0.0, hours / r.expected_reply_hours - 1.0)

    @property
    def abandonment_satisfaction(self) -> float:
        """Satisfaction of a citizen who gives up waiting [-1, 1]."""
        return self.reactions.abandonment_satisfaction

    @property
    def rating_probability(self) -> float:
        """Chance that a closed request is rated (surveyed) [probability]."""
        return self.reactions.rating_probability

    def abandon_probability(self, escalations: int) -> float:
        """Chance that the author of an item left unanswered gives up rather than escalates.

        When patience runs out the author escalates with `escalation_probability` while
        they have escalations left; an escalated item comes back to the inbox.
        """
        r = self.reactions
        return 1.0 if escalations >= r.max_escalations else 1.0 - r.escalation_probability

    def referral_hours(self, topic: int, second_topic: int) -> float:
        """Clock hours from referral to the departments' answer (second_topic -1: none)."""
        first = self.departments[topic].turnaround_hours
        second = self.departments[second_topic].turnaround_hours if second_topic >= 0 else None
        return self.coordination.expected_hours(first, second)

    def department_quality_value(self, topic: int) -> float:
        """Intrinsic worth of a department's full answer [quality units]."""
        q = self.departments[topic].settings.quality
        return q * 1.0 + (1.0 - q) * self.partial_reply_value

    def reply_satisfaction(self, quality: int, hours: float) -> float:
        """Satisfaction with a reply of `quality` posted `hours` after the post, as judged.

        The citizens' rule (`Population.satisfaction`): quality minus lateness, within
        [-1, 1].
        """
        judged = self.quality_satisfaction[quality] - self.lateness_satisfaction(hours)
        return min(1.0, max(-1.0, judged))

    def department_satisfaction(self, topic: int, hours: float = 0.0) -> float:
        """Citizens' expected satisfaction with a department's full answer `hours` after the post.

        A full answer is substantive with the department's `quality`, otherwise partial.
        """
        q = self.departments[topic].settings.quality
        substantive = self.reply_satisfaction(SUBSTANTIVE, hours)
        return q * substantive + (1.0 - q) * self.reply_satisfaction(PARTIAL, hours)


class ScoreRate:
    """A unit's recent appraisal score per hour of work: what an hour is worth under a rule.

    Running means (weight `SCORE_RATE_WEIGHT` for the newest choice) of the score of the
    actions the unit chose and the hours they took. Time spent on one item is work not
    done on the next, which the unit would handle as it usually does: so an hour costs
    this rate, not the rate of the fastest action open to it.
    """

    __slots__ = ("hours", "score")

    def __init__(self) -> None:
        self.score = 0.0  # mean score of a chosen action [score]
        self.hours = 0.0  # mean hours of a chosen action [hours]

    @property
    def rate(self) -> float:
        """Score earned per hour of work (0 before any choice, never negative)."""
        return max(0.0, self.score / self.hours) if self.hours > 0.0 else 0.0

    def add(self, score: float, hours: float) -> None:
        """Count a chosen action's score and hours."""
        self.score += SCORE_RATE_WEIGHT * (score - self.score)
        self.hours += SCORE_RATE_WEIGHT * (hours - self.hours)


# Weight of the newest choice in a unit's running score rate: about its last 20 items
# (assumption).
SCORE_RATE_WEIGHT = 0.05


def choose_action(
    values: Sequence[float] | np.ndarray,
    hours: Sequence[float] | np.ndarray,
    time_price: float,
    temperature: float,
    rng: np.random.Generator,
) -> int:
    """Logit choice: utility = value − time_price · hours, noise scaled by temperature.

    Plain floats, not numpy: a choice is between two to five actions, where numpy's
    per-call overhead is most of the work. The arithmetic is numpy's (the same
    operations in the same order, a running sum for the cumulative weights).
    """
    utility = [(v - time_price * h) / temperature for v, h in zip(values, hours, strict=True)]
    top = max(utility)
    cumulative = []
    total = 0.0
    for u in utility:
        total += math.exp(u - top)
        cumulative.append(total)
    return bisect.bisect_right(cumulative, rng.random() * total)
