"""Wall time per phase of building the world, kept for the benchmark's build section."""

from __future__ import annotations

import time


class PhaseTimer:
    """Seconds spent in each named phase, each measured from the previous lap."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        """Close `phase`: the time since the last lap (or the start) is added to it."""
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self._last = now
