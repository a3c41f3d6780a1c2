"""One root seed, named independent random streams (ARCHITECTURE.md principle 2).

Each stream is derived from the root seed and the stream's *name*, not its position,
so adding a stream never shifts the others, and two scenarios run with the same seed
share the draws of every process they have in common (common random numbers). Members
of a group (each operator) draw from child streams by index (`Streams.member`), so
adding a member leaves the others' draws unchanged.
Nothing here, or anywhere in the package, touches global `random` or `np.random`.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAM_NAMES = (
    "network",  # graph generation and who follows the government account
    "population",  # citizens' initial trust, activity, opinion leaders
    "needs",  # needs arising: counts, authors, kinds, topics, complexity, timing
    "channels",  # patience of those who address the government
    "voice",  # whether and where each need is voiced (four draws a need)
    "diffusion",  # repost draws
    "operator_skills",  # each operator's skill: one child stream per operator (member)
    "operator_decisions",  # each operator's choices and handling times: one child each
    "releases",  # topics of information releases not targeted at what people ask
    "departments",  # processing times, quality, bounces
    "reactions",  # escalation, ratings
    "contacts",  # follow-ups and reminders: whether and when authors contact again
    "events",  # scheduled events (rumour authors)
    "survey",  # the satisfaction rule's call-back survey of requests given up
    "threats",  # which authors state a threat to complain upward (population.threat_share)
    "account_followers",  # followers of accounts after the first: one child per account
    "account_choice",  # which account an addressed need goes to (several accounts only)
    "failover",  # whether, when and where a failed contact's author turns (several accounts)
    "supervision",  # whether an escalation goes up; screening times: one child per account
    "auto_replies",  # which WeChat contacts match a keyword (simulation.platform_rules)
    "self_service",  # which hotline calls the voice menu settles
    "caller_patience",  # how long each hotline caller waits for an agent
    "call_times",  # at what time of day each hotline caller calls (the call rhythm)
    "call_backs",  # whether and when a caller told the hotline's hours calls again
    "mesa",  # handed to mesa.Model (not used by the model's own processes)
)


class Streams:
    """Named `numpy.random.Generator`s derived from one root seed."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The seed sequence of the stream called `name`."""
        if name not in STREAM_NAMES:
            raise KeyError(f"unknown random stream '{name}'; known: {', '.join(STREAM_NAMES)}")
        return np.random.SeedSequence(entropy=self.seed, spawn_key=(zlib.crc32(name.encode()),))

    def member(self, name: str, index: int) -> np.random.Generator:
        """The stream `name` of one member of a group, e.g. operator `index`.

        A child of the stream's seed sequence by index (what `SeedSequence.spawn` would
        give the index-th child), so members keep their draws when others are added.
        """
        parent = self.seed_sequence(name)
        child = np.random.SeedSequence(
            entropy=parent.entropy, spawn_key=(*parent.spawn_key, int(index))
        )
        return np.random.Generator(np.random.PCG64(child))

    def __getitem__(self, name: str) -> np.random.Generator:
        generator = self._generators.get(name)
        if generator is None:
            generator = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._generators[name] = generator
        return generator
