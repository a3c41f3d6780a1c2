"""Scheduled events of a scenario: bursts of needs and rumours (scenario `[[events]]`).

A burst multiplies the needs of some kinds on one topic for some days (a policy change
that sets people asking); a rumour event puts rumour posts into the network at an
hour, from opinion leaders first or from anyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.codes import HOURS_PER_DAY, NEED_KINDS, POST_RUMOUR
from simulation.scenario import BurstEvent, RumourEvent, Scenario

if TYPE_CHECKING:
    from simulation.agents.citizen import Population
    from simulation.diffusion import Spreading
    from simulation.items import ItemLifecycle


class Schedule:
    """The scenario's events by hour."""

    def __init__(
        self,
        scenario: Scenario,
        population: Population,
        lifecycle: ItemLifecycle,
        spreading: Spreading,
        rng: np.random.Generator,
    ):
        topics = scenario.topics
        self.topics = topics
        self.population = population
        self.lifecycle = lifecycle
        self.spreading = spreading
        self.rng = rng  # the events stream
        # (first hour, end hour, kind codes, topic, multiplier) of each burst.
        self.bursts: list[tuple[float, float, list[int], int, float]] = []
        self.rumours: dict[int, list[RumourEvent]] = {}
        for event in scenario.events:
            if isinstance(event, BurstEvent):
                self.bursts.append(
                    (
                        event.start_day * HOURS_PER_DAY,
                        (event.start_day + event.duration_days) * HOURS_PER_DAY,
                        [NEED_KINDS.index(k) for k in event.kinds],
                        topics.index(event.topic),
                        event.multiplier,
                    )
                )
            else:
                hour = int(event.day * HOURS_PER_DAY)
                self.rumours.setdefault(hour, []).append(event)

    def need_multiplier(self, t: int, kinds: int, topics: int) -> np.ndarray:
        """Factor on the expected needs of hour t, by (kind, topic)."""
        multiplier = np.ones((kinds, topics))
        for start, end, burst_kinds, topic, factor in self.bursts:
            if start <= t < end:
                multiplier[burst_kinds, topic] *= factor
        return multiplier

    def seed_rumours(self, t: int) -> None:
        """Rumour posts scheduled for hour t appear and start spreading."""
        for event in self.rumours.get(t, ()):
            rng = self.rng
            leaders = np.flatnonzero(self.population.is_leader)
            pool = leaders if event.leaders_first and len(leaders) else np.arange(self.population.n)
            authors = rng.choice(pool, size=event.posts, replace=len(pool) < event.posts)
            created = t + rng.random(event.posts)
            ids = self.lifecycle.seed_rumours(t, created, authors, self.topics.index(event.topic))
            for j, item in enumerate(ids.tolist()):
                self.spreading.start(
                    POST_RUMOUR,
                    int(authors[j]),
                    float(created[j]),
                    event.repost_probability,
                    item=item,
                )
