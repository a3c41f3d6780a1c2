"""Items and their lifecycle: the typed item store, and the only code that changes an item.

Every citizen post that carries a need (an @-mention, a private message or a public
vent) and every rumour is a row of the `ItemStore`. A row is *received* once the
government sees it (addressed to it, or pulled in by monitoring); from then on it is,
at every moment, exactly one of OPEN, REFERRED, ANSWERED, ABANDONED or EXPIRED
(MODEL.md §8, conservation; EXPIRED: the platform's reply window closed first). Escalation and resolution are flags, not statuses.

A row is one *need*; each time its author addresses the government about it is a
*contact*: the post itself, then any follow-up (after a reply that did not settle it)
or reminder (after hearing nothing). A follow-up re-opens an answered item, a reminder
puts a left one back into the inbox; abandoned is final.

`ItemLifecycle` makes every change of an item's state — posted, received, service
started, answered, referred, bounced back, left, escalated, complained upward,
forwarded back, abandoned, judged, clarified, re-queued, re-opened, auto-replied,
self-served, turned away out of hours, called back, expired — and publishes the matching event (`simulation.events`). The
agents decide *what* happens; this module is where it happens, so the conservation
law has one place to hold. Other code reads the store's columns and never writes them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from simulation.codes import (
    ABANDONED,
    ANSWERED,
    EXPIRED,
    FOLLOW_UP,
    NO_REPLY,
    NOT_RECEIVED,
    OPEN,
    REFERRED,
    REMINDER,
    RUMOUR,
    RUMOUR_CHANNEL,
    STATUS_NAMES,
    SUBSTANTIVE,
    VENT,
)
from simulation.events import (
    Abandoned,
    AutoReplied,
    Clarified,
    Complained,
    Escalated,
    EventBus,
    Forwarded,
    ItemReceived,
    Judged,
    Left,
    Referred,
    Reopened,
    Replied,
    Returned,
    RumoursSeeded,
    SelfServed,
    ServiceStarted,
    TurnedAway,
    Vented,
    WindowExpired,
)

if TYPE_CHECKING:
    from simulation.agents.citizen import NeedBatch

# Column name → (dtype, fill value of a new row). Units: hours since the start of the run.
COLUMNS: dict[str, tuple[type, object]] = {
    "created": (np.float64, np.nan),
    "author": (np.int32, -1),
    "kind": (np.int8, -1),
    "topic": (np.int8, -1),
    "second_topic": (np.int8, -1),
    "channel": (np.int8, -1),
    "account": (np.int8, -1),
    "complexity": (np.float32, 0.0),
    "status": (np.int8, NOT_RECEIVED),
    "received_at": (np.float64, np.nan),
    "via_monitoring": (np.bool_, False),
    "service_started_at": (np.float64, np.nan),
    "reply_time": (np.float64, np.nan),
    "quality": (np.int8, NO_REPLY),
    "resolved": (np.bool_, False),
    "escalations": (np.int8, 0),
    "ended_at": (np.float64, np.nan),
    "expire_at": (np.float64, np.inf),
    "deadline": (np.float64, np.inf),
    "impressions": (np.int64, 0),
    "reposts": (np.int32, 0),
    "in_service": (np.bool_, False),
    "operator": (np.int16, -1),
    "answered_by_departments": (np.bool_, False),
    "satisfaction": (np.float32, np.nan),
    "rated": (np.bool_, False),
    "version": (np.int32, 0),
    "contacts": (np.int16, 0),
    "threat": (np.bool_, False),
    "follow_ups": (np.int8, 0),
    "reminders": (np.int8, 0),
    "replies": (np.int16, 0),
    "referrals": (np.int16, 0),
    "waiting_since": (np.float64, np.nan),
    "patience": (np.float64, np.inf),
    "complaints": (np.int8, 0),
    "forwarded_at": (np.float64, np.nan),
    "forward_deadline": (np.float64, np.inf),
    "last_contact_at": (np.float64, np.nan),
    "auto_replies": (np.int16, 0),
    "self_served": (np.bool_, False),
    "need": (np.int32, -1),
}


class ItemStore:
    """Columnar store of items; grows by doubling. Read columns with `view(name)`."""

    created: np.ndarray  # when the author posted [hours]
    author: np.ndarray  # citizen index
    kind: np.ndarray  # codes.KIND_NAMES
    topic: np.ndarray  # department (topic) index
    second_topic: np.ndarray  # a second department the item needs (-1: one suffices)
    channel: np.ndarray  # codes.CHANNEL_NAMES
    account: np.ndarray  # the government account it went to (-1: none yet)
    complexity: np.ndarray  # [0-1]: what skill settling it takes
    status: np.ndarray  # codes.STATUS_NAMES, or NOT_RECEIVED
    received_at: np.ndarray  # when the government saw it [hours]
    via_monitoring: np.ndarray  # found by monitoring public opinion
    service_started_at: np.ndarray  # first time an operator started work on it [hours]
    reply_time: np.ndarray  # from the post to the first reply [hours]
    quality: np.ndarray  # of the first reply (codes.QUALITY_NAMES; NO_REPLY)
    resolved: np.ndarray  # a reply was substantive
    escalations: np.ndarray  # times the author escalated
    ended_at: np.ndarray  # last answered or abandoned at; NaN while open or referred [hours]
    expire_at: np.ndarray  # when the author's patience runs out [hours]
    deadline: np.ndarray  # reply deadline under the accountability rule [hours]
    impressions: np.ndarray  # exposures of followers to the item's posts
    reposts: np.ndarray  # reposts of the item's posts
    in_service: np.ndarray  # an operator is working on it right now
    operator: np.ndarray  # operator who replied or referred (-1: none)
    answered_by_departments: np.ndarray  # the reply posted the departments' answer
    satisfaction: np.ndarray  # the author's judgement of the reply [-1, 1]
    rated: np.ndarray  # the author left a rating
    version: np.ndarray  # bumped when the row re-enters a queue (stale tickets)
    contacts: np.ndarray  # times the author addressed the government about the need
    threat: np.ndarray  # the author stated a threat to complain to upper levels
    follow_ups: np.ndarray  # contacts after a reply that did not settle the need
    reminders: np.ndarray  # contacts after the item was left without a reply
    replies: np.ndarray  # replies posted to the need (at most one per contact)
    referrals: np.ndarray  # times operators referred it to the departments
    waiting_since: np.ndarray  # start of the author's current wait for a reply [hours]
    patience: np.ndarray  # how long the author waits for a reply to a contact [hours]
    complaints: np.ndarray  # escalations that went up to the supervising account
    forwarded_at: np.ndarray  # last time the supervisor forwarded it back [hours]
    forward_deadline: np.ndarray  # the supervisor's deadline for the reply [hours] (inf: none)
    last_contact_at: np.ndarray  # the author's last message: post, follow-up, reminder [hours]
    auto_replies: np.ndarray  # keyword auto-replies the platform sent (not staff replies)
    self_served: np.ndarray  # settled by the hotline's self-service voice menu
    need: np.ndarray  # the need's first contact (its own id; a failover names the first's)

    def __init__(self, capacity: int = 1024):
        self.size = 0
        self._capacity = max(16, capacity)
        for name, (dtype, fill) in COLUMNS.items():
            setattr(self, name, np.full(self._capacity, fill, dtype=dtype))

    def __len__(self) -> int:
        return self.size

    def _grow(self, needed: int) -> None:
        capacity = self._capacity
        while capacity < needed:
            capacity *= 2
        if capacity == self._capacity:
            return
        for name, (dtype, fill) in COLUMNS.items():
            old = getattr(self, name)
            new: np.ndarray = np.full(capacity, fill, dtype=dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)
        self._capacity = capacity

    def add(self, **columns: np.ndarray) -> np.ndarray:
        """Append rows; every keyword is a column of equal length. Returns the new ids."""
        unknown = set(columns) - set(COLUMNS)
        if unknown:
            raise KeyError(f"unknown item columns {sorted(unknown)}; known: {', '.join(COLUMNS)}")
        count = len(next(iter(columns.values())))
        self._grow(self.size + count)
        ids = np.arange(self.size, self.size + count)
        for name, values in columns.items():
            getattr(self, name)[ids] = values
        self.size += count
        return ids

    def add_one(self, **values: object) -> int:
        """Append one row from scalars (`add` without its one-element arrays). Returns its id."""
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise KeyError(f"unknown item columns {sorted(unknown)}; known: {', '.join(COLUMNS)}")
        item = self.size
        self._grow(item + 1)
        for name, value in values.items():
            getattr(self, name)[item] = value
        self.size += 1
        return item

    def view(self, name: str) -> np.ndarray:
        """The filled part of a column (a view: read it, do not write it)."""
        return getattr(self, name)[: self.size]

    def status_counts(self) -> dict[str, int]:
        """Received rows by status (the conservation check)."""
        status = self.view("status")
        return {
            label: int(np.count_nonzero(status == code)) for code, label in STATUS_NAMES.items()
        }

    def received_count(self) -> int:
        """Rows the government has received."""
        return int(np.count_nonzero(self.view("status") != NOT_RECEIVED))


class ItemLifecycle:
    """Every change of an item's state, each published as an event."""

    def __init__(self, store: ItemStore, events: EventBus):
        self.store = store
        self.events = events

    # -------------------------------------------------------------- new items

    def post_needs(
        self,
        hour: int,
        needs: NeedBatch,
        channel: np.ndarray,
        patience: np.ndarray,
        deadline: np.ndarray,
        threat: np.ndarray | None = None,
        account: np.ndarray | None = None,
    ) -> np.ndarray:
        """Citizens' posts of this hour's needs (a first contact each); addressed ones are received.

        `patience` is how long each author waits for a reply [hours] (inf for vents:
        drawn if monitoring finds them), `deadline` each item's reply deadline (inf for
        vents), `threat` whether each author states a threat to complain upward (None:
        nobody), `account` the account each addressed need went to (None: account 0;
        -1 for vents). Returns the new ids.
        """
        addressed = channel != VENT
        ids = self.store.add(
            created=needs.created,
            author=needs.author,
            kind=needs.kind,
            topic=needs.topic,
            second_topic=needs.second_topic,
            channel=channel,
            account=np.where(addressed, 0, -1) if account is None else account,
            complexity=needs.complexity,
            status=np.where(addressed, OPEN, NOT_RECEIVED),
            received_at=np.where(addressed, needs.created, np.nan),
            expire_at=needs.created + patience,
            deadline=deadline,
            contacts=np.ones(len(needs)),
            **({} if threat is None else {"threat": threat}),
            waiting_since=needs.created,
            patience=patience,
            last_contact_at=needs.created,
        )
        self.store.need[ids] = ids  # each is the first contact of its need
        publish = self.events.publish
        for j, item in enumerate(ids.tolist()):
            created = float(needs.created[j])
            if addressed[j]:
                kind, topic = int(needs.kind[j]), int(needs.topic[j])
                publish(ItemReceived(item, hour, created, kind, topic, int(channel[j]), False))
            else:
                publish(Vented(item, hour, created))
        return ids

    def post_failover(
        self,
        hour: int,
        failed: int,
        account: int,
        now: float,
        channel: int,
        patience: float,
        deadline: float,
    ) -> int:
        """The author of a failed contact turns to another account about the same need.

        A new row, received at `now` by `account`, that copies the need of `failed`
        (author, kind, topics, complexity, stated threat) and names the same `need`;
        the author waits `patience` hours for a reply. Returns the new id.
        """
        store = self.store
        kind, topic = int(store.kind[failed]), int(store.topic[failed])
        item = store.add_one(
            created=now,
            author=store.author[failed],
            kind=kind,
            topic=topic,
            second_topic=store.second_topic[failed],
            channel=channel,
            account=account,
            complexity=store.complexity[failed],  # float32 to float32, as `add` copied it
            status=OPEN,
            received_at=now,
            expire_at=now + patience,
            deadline=deadline,
            contacts=1,
            threat=store.threat[failed],
            waiting_since=now,
            patience=patience,
            last_contact_at=now,
            need=store.need[failed],
        )
        self.events.publish(ItemReceived(item, hour, now, kind, topic, channel, False))
        return item

    def seed_rumours(
        self, hour: int, created: np.ndarray, authors: np.ndarray, topic: int
    ) -> np.ndarray:
        """Rumour posts of a scheduled event (not received: nobody addressed them)."""
        posts = len(created)
        ids = self.store.add(
            created=created,
            author=authors,
            kind=np.full(posts, RUMOUR),
            topic=np.full(posts, topic),
            channel=np.full(posts, RUMOUR_CHANNEL),
        )
        self.events.publish(RumoursSeeded(hour, ids))
        return ids

    def receive_by_monitoring(
        self, item: int, hour: int, now: float, deadline: float, account: int = 0
    ) -> None:
        """Monitoring by `account` found a public post the government had not seen."""
        store = self.store
        store.status[item] = OPEN
        store.account[item] = account
        store.received_at[item] = now
        store.via_monitoring[item] = True
        store.deadline[item] = deadline
        store.last_contact_at[item] = store.created[item]
        self.events.publish(
            ItemReceived(
                item,
                hour,
                now,
                int(store.kind[item]),
                int(store.topic[item]),
                int(store.channel[item]),
                True,
            )
        )

    # -------------------------------------------------------------- service

    def start_service(self, item: int, task: int, operator: int, now: float, queued: float) -> None:
        """An operator starts work on a ticket for the item (the first start is kept)."""
        store = self.store
        store.in_service[item] = True
        first = math.isnan(store.service_started_at[item])
        if first:
            store.service_started_at[item] = now
        if ServiceStarted in self.events.wanted:  # one per service: skip it if nobody listens
            self.events.publish(ServiceStarted(item, task, operator, now, queued, first))

    def end_service(self, item: int) -> None:
        """The operator's work on the item is over (for now)."""
        self.store.in_service[item] = False

    def answer(self, item: int, quality: int, operator: int, now: float) -> bool:
        """A reply to an open or referred item's contact; False if it was closed already.

        The first reply to the need sets its reply time and quality; every reply counts.
        """
        store = self.store
        status = store.status[item]
        if status not in (OPEN, REFERRED):
            return False
        first = bool(store.replies[item] == 0)
        store.answered_by_departments[item] = status == REFERRED
        self._mark_answered(item, quality, operator, now)
        on_time = bool(now <= store.deadline[item])
        wait = now - float(store.waiting_since[item])
        reply_hours = now - float(store.created[item])
        self.events.publish(
            Replied(item, quality, operator, now, reply_hours, on_time, first, wait)
        )
        return True

    def clarify(self, item: int, operator: int, now: float) -> None:
        """A monitored rumour is clarified: answered substantively (not a reply to a need)."""
        self._mark_answered(item, SUBSTANTIVE, operator, now)
        self.events.publish(Clarified(item, operator, now))

    def _mark_answered(self, item: int, quality: int, operator: int, now: float) -> None:
        store = self.store
        if store.replies[item] == 0:
            store.quality[item] = quality
            store.reply_time[item] = now - store.created[item]
        store.replies[item] += 1
        store.status[item] = ANSWERED
        store.resolved[item] |= quality == SUBSTANTIVE
        store.ended_at[item] = now
        store.operator[item] = operator

    def refer(self, item: int, operator: int, now: float) -> bool:
        """An open item goes to the departments; False if it was not open."""
        store = self.store
        if store.status[item] != OPEN:
            return False
        first = bool(store.referrals[item] == 0)
        store.referrals[item] += 1
        store.status[item] = REFERRED
        store.operator[item] = operator
        self.events.publish(Referred(item, operator, now, first))
        return True

    def leave(self, item: int, operator: int, now: float) -> None:
        """An operator read an item and left it; the citizen keeps waiting."""
        if Left in self.events.wanted:
            self.events.publish(Left(item, operator, now))

    def bounce(self, item: int, now: float) -> None:
        """A department sent a referred item back to the operators' inbox."""
        store = self.store
        store.status[item] = OPEN
        store.version[item] += 1
        self.events.publish(Returned(item, now))

    # -------------------------------------------------------------- citizens

    def set_patience(self, item: int, expire_at: float, patience: float | None = None) -> None:
        """When the author's patience runs out (next); `patience`: their patience [hours]."""
        self.store.expire_at[item] = expire_at
        if patience is not None:
            self.store.patience[item] = patience

    def follow_up(self, item: int, now: float, expire_at: float) -> bool:
        """The author follows up a reply: the answered item re-opens as a new contact.

        The author's wait starts again at `now` and their patience runs out at
        `expire_at`. Returns False (and changes nothing) if the item is not answered.
        """
        store = self.store
        if store.status[item] != ANSWERED:
            return False
        store.follow_ups[item] += 1
        store.status[item] = OPEN
        store.ended_at[item] = np.nan
        store.waiting_since[item] = now
        store.expire_at[item] = expire_at
        self._new_contact(item, now, FOLLOW_UP)
        return True

    def remind(self, item: int, now: float) -> bool:
        """The author of an item left in the inbox posts it again: a new contact.

        The author goes on waiting (their wait and patience are unchanged). Returns
        False (and changes nothing) if the item is not open.
        """
        store = self.store
        if store.status[item] != OPEN:
            return False
        store.reminders[item] += 1
        self._new_contact(item, now, REMINDER)
        return True

    def _new_contact(self, item: int, now: float, reason: int) -> None:
        store = self.store
        store.contacts[item] += 1
        store.last_contact_at[item] = now
        store.version[item] += 1
        self.events.publish(Reopened(item, now, reason, int(store.contacts[item])))

    def escalate(self, item: int, now: float) -> bool:
        """The author escalated; an open item re-enters the queue. Returns whether it did."""
        store = self.store
        store.escalations[item] += 1
        requeued = bool(store.status[item] == OPEN)
        if requeued:
            store.version[item] += 1
        self.events.publish(Escalated(item, now, int(store.escalations[item]), requeued))
        return requeued

    def complain_upward(self, item: int, now: float, supervisor: int) -> bool:
        """The author's escalation goes to the supervising account as a complaint.

        An open item leaves its account's inbox (a new version: its queued tickets lapse)
        until the supervisor forwards it back. Returns False (and changes nothing) if the
        item is closed (answered or abandoned).
        """
        store = self.store
        if store.status[item] not in (OPEN, REFERRED):
            return False
        store.complaints[item] += 1
        if store.status[item] == OPEN:
            store.version[item] += 1
        self.events.publish(Complained(item, now, supervisor, int(store.complaints[item])))
        return True

    def forward(self, item: int, now: float, deadline: float) -> bool:
        """The supervisor forwards a complaint back to the item's account with a deadline.

        An open item re-enters its account's inbox; a referred one stays with the
        departments. Returns False (and changes nothing) if the item is closed.
        """
        store = self.store
        status = store.status[item]
        if status not in (OPEN, REFERRED):
            return False
        store.forwarded_at[item] = now
        store.forward_deadline[item] = deadline
        requeued = bool(status == OPEN)
        if requeued:
            store.version[item] += 1
        self.events.publish(Forwarded(item, now, deadline, requeued))
        return True

    def abandon(self, item: int, now: float) -> None:
        """The author gave up waiting."""
        store = self.store
        store.status[item] = ABANDONED
        store.ended_at[item] = now
        self.events.publish(Abandoned(item, now))

    # -------------------------------------------------------------- platforms

    def auto_reply(self, item: int, now: float) -> None:
        """The platform sent a keyword auto-reply to the item's contact; the item stays open."""
        self.store.auto_replies[item] += 1
        self.events.publish(AutoReplied(item, now))

    def self_serve(self, item: int, now: float) -> bool:
        """The hotline's voice menu settled an open call: answered substantively, no agent.

        Returns False (and changes nothing) if the item is not open.
        """
        store = self.store
        if store.status[item] != OPEN:
            return False
        store.self_served[item] = True
        self.events.publish(SelfServed(item, now))
        return self.answer(item, SUBSTANTIVE, -1, now)

    def turn_away(self, item: int, now: float, calls_back: bool) -> bool:
        """A call out of human hours is told the hours: it leaves the queue, unanswered.

        Its queued ticket lapses (a new version) and the caller waits for nobody until
        they call again (`call_back`); one who will not call again is given up by the
        citizens (`TurnedAway` with `calls_back` False). Returns False (and changes
        nothing) if the item is not open.
        """
        store = self.store
        if store.status[item] != OPEN:
            return False
        store.version[item] += 1
        store.expire_at[item] = math.inf
        self.events.publish(TurnedAway(item, now, calls_back))
        return True

    def call_back(self, item: int, now: float, expire_at: float) -> bool:
        """A caller told the hours calls again: a new contact (a reminder), queued anew.

        Their patience in the queue runs out at `expire_at`. Returns False (and changes
        nothing) if the item is not open.
        """
        store = self.store
        if store.status[item] != OPEN:
            return False
        store.reminders[item] += 1
        store.expire_at[item] = expire_at
        self._new_contact(item, now, REMINDER)
        return True

    def expire(self, item: int, now: float) -> bool:
        """The reply window closed on an open or referred item: it can no longer be answered.

        Returns False (and changes nothing) if the item is neither.
        """
        store = self.store
        if store.status[item] not in (OPEN, REFERRED):
            return False
        store.status[item] = EXPIRED
        store.ended_at[item] = now
        self.events.publish(WindowExpired(item, now))
        return True

    def judge(self, items: np.ndarray, satisfaction: np.ndarray, rated: np.ndarray) -> None:
        """Authors judged the replies to `items`; `rated` ones left a rating."""
        store = self.store
        store.satisfaction[items] = satisfaction
        store.rated[items] = rated
        self.events.publish(Judged(items, satisfaction, rated))

    # -------------------------------------------------------------- spreading

    def record_spread(self, item: int, impressions: int, reposts: int) -> None:
        """The item's posts reached more people and were reposted."""
        store = self.store
        store.impressions[item] += impressions
        store.reposts[item] += reposts
