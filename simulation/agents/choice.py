"""How staff choose: foresight of an action's outcome, and the logit choice between actions.

Operators and department staff weigh each action they can take by its value (the
quality of the outcome, what the appraisal rule scores for it) against the time it
takes (see `simulation.agents.operator`). This module holds what both share: what they
expect an action to lead to (`Foresight`) and the choice itself (`choose_action`).
"""

from __future__ import annotations

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

    def referral_hours(self, topic: int, second_topic: int) -> float:
        """Clock hours from referral to the departments' answer (second_topic -1: none)."""
        first = self.departments[topic].turnaround_hours
        second = self.departments[second_topic].turnaround_hours if second_topic >= 0 else None
        return self.coordination.expected_hours(first, second)

    def department_quality_value(self, topic: int) -> float:
        """Intrinsic worth of a department's full answer [quality units]."""
        q = self.departments[topic].settings.quality
        return q * 1.0 + (1.0 - q) * self.partial_reply_value

    def department_satisfaction(self, topic: int) -> float:
        """Citizens' expected satisfaction with a department's full answer, if on time."""
        q = self.departments[topic].settings.quality
        sat = self.quality_satisfaction
        return q * sat[SUBSTANTIVE] + (1.0 - q) * sat[PARTIAL]


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
