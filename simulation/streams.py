"""One root seed, named independent random streams (ARCHITECTURE.md principle 2).

Each stream is derived from the root seed and the stream's *name*, not its position,
so adding a stream never shifts the others, and two scenarios run with the same seed
share the draws of every process they have in common (common random numbers).
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
    "operators",  # operator skill, handling times, action choices
    "departments",  # processing times, quality, bounces
    "reactions",  # escalation, ratings
    "events",  # scheduled events (rumour authors)
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

    def __getitem__(self, name: str) -> np.random.Generator:
        generator = self._generators.get(name)
        if generator is None:
            generator = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._generators[name] = generator
        return generator
