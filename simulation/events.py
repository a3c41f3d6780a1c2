"""What happens in a run, published to whoever listens.

The model's parts publish an event when something happens to an item, a post or a
period; subscribers (the daily metrics, appraisal records, the citizens' patience
clock, the teaching observer, validation and calibration probes) react to it. Nothing
outside the model has to patch a model object to see a run.

Publishing is synchronous and in subscription order, so a run with more subscribers
draws exactly the same random numbers as one without: subscribers must not draw from
the model's streams. A handler that would change the state others are about to read
(re-open the item a reply was just posted to) asks for it to run once every subscriber
has heard the event (`EventBus.after_current`). Where a phase produces many events at once (a generation of
exposures), one event carries the whole batch as arrays.

    bus = model.events
    bus.subscribe(Replied, lambda e: print(e.item, e.quality, e.time))

Times are hours since the start of the run; `day` fields are whole days. Events are
plain slotted dataclasses (not frozen, which costs time on every one): read them, do
not change them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np

    from simulation.diffusion import Cascade, Generation


class Event:
    """Base of every event (subscribe to it to hear them all)."""

    __slots__ = ()


# ---------------------------------------------------------------------------- needs


@dataclass(slots=True)
class NeedsArose(Event):
    """Needs arose among citizens this hour (before any is posted)."""

    hour: int
    count: int


@dataclass(slots=True)
class NeedsKeptSilent(Event):
    """Needs whose citizens neither addressed the government nor vented."""

    hour: int
    count: int


@dataclass(slots=True)
class Vented(Event):
    """A need posted in public without addressing the government (not yet received)."""

    item: int
    hour: int  # the step it happened in
    time: float


@dataclass(slots=True)
class RumoursSeeded(Event):
    """Rumour posts a scheduled event put into the network."""

    hour: int
    items: np.ndarray


# ---------------------------------------------------------------------------- items


@dataclass(slots=True)
class ItemReceived(Event):
    """The government sees an item: addressed to it, or found by monitoring."""

    item: int
    hour: int  # the step it happened in
    time: float
    kind: int
    topic: int
    channel: int
    via_monitoring: bool


@dataclass(slots=True)
class ServiceStarted(Event):
    """An operator starts work on a ticket for an item (task codes: simulation.agents.operator)."""

    item: int
    task: int
    operator: int
    time: float
    queued_at: float  # when the ticket joined the queue
    first: bool  # the item's first service of any kind


@dataclass(slots=True)
class Replied(Event):
    """A reply to an item was posted: the first, or one to a follow-up or reminder."""

    item: int
    quality: int
    operator: int  # who posted it (-1: none on record)
    time: float
    reply_hours: float  # from the post to this reply
    on_time: bool  # within the reply deadline
    first: bool  # the need's first reply
    wait_hours: float  # from the start of the author's current wait to this reply


@dataclass(slots=True)
class PartStarted(Event):
    """A department started its part of a referred item."""

    item: int
    department: int
    time: float


@dataclass(slots=True)
class Referred(Event):
    """An operator referred an item to the departments."""

    item: int
    operator: int
    time: float
    first: bool  # the item's first referral


@dataclass(slots=True)
class Left(Event):
    """An operator read an item and left it in the inbox."""

    item: int
    operator: int
    time: float


@dataclass(slots=True)
class PartDone(Event):
    """A department finished its part of a referred item."""

    item: int
    department: int
    quality: int
    time: float
    on_time: bool


@dataclass(slots=True)
class AnswerReady(Event):
    """Departments finished a referred item; operators are to post the answer."""

    item: int
    quality: int
    departments: tuple[int, ...]
    time: float


@dataclass(slots=True)
class Returned(Event):
    """A department bounced a referred item back to the operators' inbox."""

    item: int
    time: float


@dataclass(slots=True)
class Escalated(Event):
    """A citizen whose patience ran out escalated: public re-post, complaint upward."""

    item: int
    time: float
    escalations: int  # the item's escalations so far, this one included
    requeued: bool  # the item went back into the operators' queue


@dataclass(slots=True)
class Complained(Event):
    """An escalation went up: a complaint about the item reached the supervising account.

    The item leaves its account's inbox (its queued tickets lapse) until the supervisor
    forwards it back (`Forwarded`).
    """

    item: int
    time: float
    supervisor: int  # the supervising account
    complaints: int  # the item's complaints so far, this one included


@dataclass(slots=True)
class Forwarded(Event):
    """The supervisor forwarded a complaint to the responsible account with a deadline."""

    item: int
    time: float
    deadline: float  # the unit's reply is due by then [hours]
    requeued: bool  # the item went back into its account's inbox (it was open)


@dataclass(slots=True)
class Reopened(Event):
    """An author contacted the government again about an item, which is open again.

    `reason` is a follow-up after a reply or a reminder after hearing nothing
    (`codes.REPEAT_CONTACT_NAMES`); the item goes back into the operators' inbox at
    `time` with a new version.
    """

    item: int
    time: float
    reason: int
    contacts: int  # the item's contacts so far, this one included


@dataclass(slots=True)
class Abandoned(Event):
    """A citizen whose patience ran out gave up (a caller: hung up)."""

    item: int
    time: float


@dataclass(slots=True)
class AutoReplied(Event):
    """A contact matched a keyword and got the platform's instant boilerplate reply.

    Not a reply of the account's staff: the item stays open, waiting for a human.
    """

    item: int
    time: float


@dataclass(slots=True)
class SelfServed(Event):
    """A call was settled by the hotline's self-service voice menu, without an agent."""

    item: int
    time: float


@dataclass(slots=True)
class TurnedAway(Event):
    """A call out of the hotline's human hours was told the hours and did not queue.

    `calls_back`: the caller will call again in the next hours of human service (their
    item stays open, off the queue, until then); otherwise they give the need up.
    """

    item: int
    time: float
    calls_back: bool


@dataclass(slots=True)
class WindowExpired(Event):
    """The platform's reply window closed before the account replied: the item is expired."""

    item: int
    time: float


@dataclass(slots=True)
class Judged(Event):
    """Citizens judged this hour's replies (satisfaction; rated: they left a rating)."""

    items: np.ndarray
    satisfaction: np.ndarray
    rated: np.ndarray


@dataclass(slots=True)
class Clarified(Event):
    """Operators clarified a monitored rumour."""

    item: int
    operator: int
    time: float


# ---------------------------------------------------------------------------- posts


@dataclass(slots=True)
class PostStarted(Event):
    """A post started spreading: a citizen's post or re-post, a reply, a release, a rumour."""

    cascade: Cascade


@dataclass(slots=True)
class ReleasePublished(Event):
    """An information release went out to the account's followers."""

    topic: int
    operator: int
    time: float


@dataclass(slots=True)
class ExposureBatch(Event):
    """One generation of every cascade in flight: who saw what, and what it did.

    `generation.exposed[j]` saw cascade `cascades[generation.owner[j]]`; `loss[i]` and
    `gain[i]` are the trust change cascade i makes to a viewer, applied at the exposures
    where `generation.first_sight` is true (a viewer's first sighting of the post).
    """

    hour: int
    cascades: list[Cascade]
    generation: Generation
    loss: np.ndarray
    gain: np.ndarray


# ---------------------------------------------------------------------------- periods


@dataclass(slots=True)
class Appraised(Event):
    """An appraisal period ended: each unit's score (None: nothing to score)."""

    hour: int
    operator_scores: tuple[float | None, ...]
    department_scores: tuple[float | None, ...]


@dataclass(slots=True)
class Supervised(Event):
    """A supervision period ended: each supervised account's score, place and reprimand.

    Tuples are in the order of `Supervision.units` (account indices); a score of None:
    nothing to score; a place of None: not ranked.
    """

    hour: int
    units: tuple[int, ...]
    scores: tuple[float | None, ...]
    places: tuple[float | None, ...]  # 1 = first; ties share the mean place
    reprimanded: tuple[bool, ...]


@dataclass(slots=True)
class HourEnded(Event):
    """Every phase of the hour [hour, hour + 1) has run."""

    hour: int


@dataclass(slots=True)
class DayEnded(Event):
    """The last hour of a day has run: the day's work counters and end-of-day stocks."""

    day: int
    operator_busy_hours: float
    operator_duty_hours: float
    department_busy_hours: float
    department_duty_hours: float
    stocks: dict[str, float]
    # Each account's (operator busy hours, duty hours, backlog at the end of the day),
    # in a scenario that declares accounts; empty otherwise.
    by_account: tuple[tuple[float, float, float], ...] = ()


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]


class _AllTypes(frozenset):
    """`wanted` once someone listens to every event: it contains every type."""

    def __contains__(self, item: object) -> bool:
        return True


class EventBus:
    """Subscribers by event type; `publish` calls them in subscription order.

    `wanted` holds the event types someone listens to: a part that publishes many events
    of a kind can test `EventType in bus.wanted` (no call) before building one.
    """

    def __init__(self) -> None:
        self._handlers: defaultdict[type, list[Handler]] = defaultdict(list)
        self._everything: list[Handler] = []
        self.wanted: frozenset[type] = frozenset()
        self._publishing = 0  # events being published (nested publishes count)
        self._after: list[Callable[[], object]] = []

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Call `handler(event)` for every event of `event_type` (`Event`: all of them)."""
        if event_type is Event:
            self._everything.append(handler)
        else:
            self._handlers[event_type].append(handler)
        self._update_wanted()

    def _update_wanted(self) -> None:
        if self._everything:
            self.wanted = _AllTypes()
        else:
            self.wanted = frozenset(t for t, handlers in self._handlers.items() if handlers)

    def unsubscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Stop calling `handler` for `event_type`."""
        handlers = self._everything if event_type is Event else self._handlers[event_type]
        handlers.remove(handler)
        self._update_wanted()

    def wants(self, event_type: type[Event]) -> bool:
        """Whether anyone listens (to skip building events nobody hears)."""
        return event_type in self.wanted

    def publish(self, event: Event) -> None:
        """Call every subscriber of the event's type, then those of every event."""
        self._publishing += 1
        try:
            for handler in self._handlers.get(type(event), ()):
                handler(event)
            for handler in self._everything:
                handler(event)
        finally:
            self._publishing -= 1
        if not self._publishing and self._after:
            self._run_after()

    def after_current(self, action: Callable[[], object]) -> None:
        """Run `action()` once the event being published has reached every subscriber.

        Actions run in the order asked for, after the outermost event being published;
        with none being published, at once.
        """
        self._after.append(action)
        if not self._publishing:
            self._run_after()

    def _run_after(self) -> None:
        while self._after:
            actions, self._after = self._after, []
            for action in actions:
                action()
