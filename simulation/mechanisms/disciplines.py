"""Queue disciplines of the operators' inbox: registered functions, one per discipline.

A discipline turns an item waiting in the inbox into the tail of its priority key
(smaller is served first). The inbox puts escalated items first where the
accountability rule says so, then orders by the discipline, then by arrival.

Adding one: write a function `(store, item, arrival) -> tuple` below, decorate it with
`@discipline("name")`, and the scenario schema (`mechanism.queue_discipline`) accepts
the name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulation.items import ItemStore

QueueKey = Callable[["ItemStore", int, float], tuple]

DISCIPLINES: dict[str, QueueKey] = {}


def discipline(name: str) -> Callable[[QueueKey], QueueKey]:
    """Register a queue discipline under `name`."""

    def register(function: QueueKey) -> QueueKey:
        DISCIPLINES[name] = function
        return function

    return register


@discipline("fifo")
def first_in_first_out(store: ItemStore, item: int, arrival: float) -> tuple:
    """In order of arrival in the inbox."""
    return (arrival,)


@discipline("deadline")
def earliest_deadline(store: ItemStore, item: int, arrival: float) -> tuple:
    """Earliest reply deadline first (no deadline: last), then arrival."""
    return (float(store.deadline[item]), arrival)


@discipline("visibility")
def most_visible(store: ItemStore, item: int, arrival: float) -> tuple:
    """Most seen first: impressions, weighted up by each escalation; then arrival."""
    visibility = float(store.impressions[item]) * (1 + int(store.escalations[item]))
    return (-visibility, arrival)
