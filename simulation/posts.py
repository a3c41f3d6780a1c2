"""The post / item store: columnar arrays, statuses, conservation.

Every citizen post that carries a need (an @-mention, a private message or a public
vent) and every rumour is a row here. A row is *received* once the government sees it
(addressed to it, or pulled in by monitoring). From then on it is, at every moment,
exactly one of OPEN, REFERRED, ANSWERED or ABANDONED (MODEL.md §8, conservation).
Escalation and resolution are flags, not statuses.
"""

from __future__ import annotations

import numpy as np

from simulation.codes import NO_REPLY, NOT_RECEIVED, STATUS_NAMES

_FIELDS: dict[str, tuple[type, object]] = {
    "created": (np.float64, np.nan),  # hours since start
    "author": (np.int32, -1),
    "kind": (np.int8, -1),
    "topic": (np.int8, -1),
    "second_topic": (np.int8, -1),  # -1: one department suffices
    "channel": (np.int8, -1),
    "complexity": (np.float32, 0.0),  # 0-1
    "status": (np.int8, NOT_RECEIVED),
    "received_at": (np.float64, np.nan),
    "via_monitoring": (np.bool_, False),
    "reply_time": (np.float64, np.nan),  # hours from creation to first reply
    "quality": (np.int8, NO_REPLY),
    "resolved": (np.bool_, False),
    "escalations": (np.int8, 0),
    "ended_at": (np.float64, np.nan),  # answered or abandoned at
    "expire_at": (np.float64, np.inf),  # when the author's patience runs out
    "deadline": (np.float64, np.inf),  # reply deadline (accountability)
    "impressions": (np.int64, 0),
    "reposts": (np.int32, 0),
    "in_service": (np.bool_, False),  # an operator is working on it right now
    "operator": (np.int16, -1),  # operator who replied or referred
    "satisfaction": (np.float32, np.nan),
    "rated": (np.bool_, False),
    "version": (np.int32, 0),  # bumped when the row re-enters a queue (stale heap entries)
}


class ItemStore:
    """Columnar store of posts with needs; grows by doubling."""

    def __init__(self, capacity: int = 1024):
        self.size = 0
        self._capacity = max(16, capacity)
        for name, (dtype, fill) in _FIELDS.items():
            setattr(self, name, np.full(self._capacity, fill, dtype=dtype))

    def __len__(self) -> int:
        return self.size

    def _grow(self, needed: int) -> None:
        capacity = self._capacity
        while capacity < needed:
            capacity *= 2
        if capacity == self._capacity:
            return
        for name, (dtype, fill) in _FIELDS.items():
            old = getattr(self, name)
            new = np.full(capacity, fill, dtype=dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)
        self._capacity = capacity

    def add(self, **columns: np.ndarray) -> np.ndarray:
        """Append rows; every keyword is a column of equal length. Returns the new ids."""
        count = len(next(iter(columns.values())))
        self._grow(self.size + count)
        ids = np.arange(self.size, self.size + count)
        for name, values in columns.items():
            getattr(self, name)[ids] = values
        self.size += count
        return ids

    def view(self, name: str) -> np.ndarray:
        """The filled part of a column."""
        return getattr(self, name)[: self.size]

    def status_counts(self) -> dict[str, int]:
        """Received rows by status (the conservation check)."""
        status = self.view("status")
        return {
            label: int(np.count_nonzero(status == code)) for code, label in STATUS_NAMES.items()
        }

    def received_count(self) -> int:
        return int(np.count_nonzero(self.view("status") != NOT_RECEIVED))
