"""Repeat contacts on their own: the lifecycle's re-opening, stale tickets, the follow-up law.

- `ItemLifecycle.follow_up` re-opens an answered item as a new contact (new version, one
  more contact, a fresh wait) and `remind` puts an open one back in the inbox; neither
  touches an item in another state; a later reply counts without replacing the first.
- The operators' inbox queues the re-opened item again and skips its older tickets.
- `Population.follow_up_probability` rises with dissatisfaction and with shorter
  patience, and is the constant base when both weights are 0.
- `RepeatContacts` reminds the author of a left item only while they are still waiting,
  and never beyond the caps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import GovernmentResponseModel, Scenario
from simulation.codes import (
    ABANDONED,
    ANSWERED,
    BOILERPLATE,
    CONSULTATION,
    FOLLOW_UP,
    OPEN,
    PARTIAL,
    REFERRED,
    REMINDER,
    SUBSTANTIVE,
    TASK_NEW,
)
from simulation.events import EventBus, Left, Reopened, Replied
from simulation.items import ItemLifecycle, ItemStore
from simulation.queueing import Ticket


def _lifecycle() -> tuple[ItemLifecycle, list]:
    events = EventBus()
    heard: list = []
    events.subscribe(Reopened, heard.append)
    events.subscribe(Replied, heard.append)
    return ItemLifecycle(ItemStore(), events), heard


def _post(lifecycle: ItemLifecycle, created: float = 1.0, patience: float = 10.0) -> int:
    ids = lifecycle.store.add(
        created=np.array([created]),
        author=np.array([0]),
        kind=np.array([CONSULTATION]),
        topic=np.array([0]),
        channel=np.array([1]),
        account=np.array([0]),  # a received contact names its account, as every real one
        status=np.array([OPEN]),
        received_at=np.array([created]),
        expire_at=np.array([created + patience]),
        deadline=np.array([created + 24.0]),
        contacts=np.array([1]),
        waiting_since=np.array([created]),
        patience=np.array([patience]),
    )
    return int(ids[0])


def test_a_follow_up_reopens_an_answered_item_as_a_new_contact():
    lifecycle, heard = _lifecycle()
    store = lifecycle.store
    item = _post(lifecycle)
    assert lifecycle.answer(item, BOILERPLATE, 0, 3.0)
    first = heard.pop()
    assert isinstance(first, Replied) and first.first and first.wait_hours == 2.0
    assert lifecycle.follow_up(item, 5.0, 15.0)
    assert store.status[item] == OPEN
    assert store.version[item] == 1 and store.contacts[item] == 2 and store.follow_ups[item] == 1
    assert store.reminders[item] == 0
    assert math.isnan(store.ended_at[item]), "an open item has no end time"
    assert store.waiting_since[item] == 5.0 and store.expire_at[item] == 15.0
    event = heard.pop()
    assert isinstance(event, Reopened)
    assert (event.item, event.time, event.reason, event.contacts) == (item, 5.0, FOLLOW_UP, 2)
    # The reply to the follow-up counts, and the need keeps its first reply.
    assert lifecycle.answer(item, SUBSTANTIVE, 1, 8.0)
    second = heard.pop()
    assert not second.first and second.wait_hours == 3.0 and second.reply_hours == 7.0
    assert store.replies[item] == 2 and store.status[item] == ANSWERED
    assert store.quality[item] == BOILERPLATE and store.reply_time[item] == 2.0
    assert store.resolved[item], "a substantive reply to a follow-up settles the need"
    assert store.operator[item] == 1 and store.ended_at[item] == 8.0


def test_a_reminder_puts_an_open_item_back_and_the_author_goes_on_waiting():
    lifecycle, heard = _lifecycle()
    store = lifecycle.store
    item = _post(lifecycle)
    assert lifecycle.remind(item, 4.0)
    assert store.status[item] == OPEN and store.version[item] == 1
    assert store.contacts[item] == 2 and store.reminders[item] == 1 and store.follow_ups[item] == 0
    assert store.waiting_since[item] == 1.0 and store.expire_at[item] == 11.0
    assert heard[-1].reason == REMINDER


@pytest.mark.parametrize("status", [OPEN, REFERRED, ABANDONED])
def test_only_an_answered_item_can_be_followed_up(status):
    lifecycle, heard = _lifecycle()
    store = lifecycle.store
    item = _post(lifecycle)
    store.status[item] = status
    assert not lifecycle.follow_up(item, 5.0, 15.0)
    assert store.status[item] == status and store.version[item] == 0 and store.contacts[item] == 1
    assert not heard


@pytest.mark.parametrize("status", [ANSWERED, REFERRED, ABANDONED])
def test_only_an_open_item_can_be_reminded_of(status):
    lifecycle, heard = _lifecycle()
    store = lifecycle.store
    item = _post(lifecycle)
    store.status[item] = status
    assert not lifecycle.remind(item, 5.0)
    assert store.version[item] == 0 and store.contacts[item] == 1 and not heard


def test_the_inbox_queues_a_reopened_item_again_and_skips_its_stale_ticket():
    model = GovernmentResponseModel(
        Scenario().with_overrides({"population.citizens": 100}), seed=1, days=1
    )
    desk = model.operator_desk
    item = _post(model.lifecycle)
    old = Ticket(item=item, task=TASK_NEW, arrival=1.0, version=0)
    assert desk._is_valid(old, 1.5)
    assert model.lifecycle.answer(item, PARTIAL, 0, 2.0)
    assert not desk._is_valid(old, 2.5), "a ticket of an answered item is served"
    assert model.lifecycle.follow_up(item, 3.0, 13.0)
    assert not desk._is_valid(old, 3.5), "a ticket from before the follow-up is served"
    queued = [t for t in desk.desk.waiting_tickets() if t.item == item]
    assert len(queued) == 1 and queued[0].version == 1 and queued[0].arrival == 3.0
    assert desk._is_valid(queued[0], 3.5)
    assert not desk._is_valid(queued[0], 13.5), "a ticket past its author's patience"


def _population(**reactions):
    overrides = {"population.citizens": 100}
    overrides.update({f"reactions.{k}": v for k, v in reactions.items()})
    return GovernmentResponseModel(Scenario().with_overrides(overrides), seed=1, days=1)


def test_the_follow_up_probability_rises_with_dissatisfaction_and_with_impatience():
    population = _population().population
    p = population.follow_up_probability
    satisfactions = [1.0, 0.2, -0.4, -1.0]
    for patience in (2.0, 72.0, 500.0, math.inf):
        chances = [p(s, patience) for s in satisfactions]
        assert chances == sorted(chances) and chances[0] < chances[-1], chances
    for s in satisfactions:
        chances = [p(s, patience) for patience in (math.inf, 500.0, 72.0, 2.0)]
        assert chances == sorted(chances) and chances[0] < chances[-1], chances
    # The defaults: dissatisfaction weight 0.5, impatience weight 0.2, reference 72 h.
    assert p(-0.4, 72.0) == pytest.approx(0.5 * 0.7 + 0.2 * 0.5)
    assert p(1.0, math.inf) == 0.0
    assert 0.0 <= p(-1.0, 0.0) <= 1.0


def test_without_weights_the_follow_up_probability_is_the_base():
    population = _population(
        follow_up_base=0.3,
        follow_up_dissatisfaction_weight=0.0,
        follow_up_impatience_weight=0.0,
    ).population
    for s in (1.0, 0.0, -1.0):
        for patience in (0.5, 72.0, math.inf):
            assert population.follow_up_probability(s, patience) == 0.3


def _left(model, item: int, now: float) -> None:
    model.events.publish(Left(item, 0, now))


def test_a_left_item_is_reminded_of_only_while_its_author_waits_and_up_to_the_cap():
    model = _population(reminder_probability=1.0, reminder_delay_hours=0.0, max_reminders=2)
    store = model.items
    item = _post(model.lifecycle, created=1.0, patience=10.0)
    for now in (2.0, 3.0, 4.0):
        _left(model, item, now)
    assert store.reminders[item] == 2 and store.contacts[item] == 3, "the cap was passed"
    late = _post(model.lifecycle, created=1.0, patience=1.0)
    _left(model, late, 2.5)  # patience ran out at 2.0: escalate or give up, not remind
    assert store.reminders[late] == 0 and store.contacts[late] == 1


def test_a_scheduled_reminder_is_dropped_when_the_item_moved_on():
    model = _population(reminder_probability=1.0, reminder_delay_hours=5.0)
    public, store = model.public, model.items
    item = _post(model.lifecycle, created=1.0, patience=1e6)
    moved = _post(model.lifecycle, created=1.0, patience=1e6)
    _left(model, item, 1.9)
    _left(model, moved, 1.9)
    # Due in later hours (seed 1): they wait for phase 2 of their hour.
    assert sorted(entry[1] for entry in public.contacts.heap) == [item, moved]
    assert store.reminders[[item, moved]].sum() == 0
    model.lifecycle.escalate(moved, 1.95)  # re-queued by its author: the reminder is moot
    public.post_repeat_contacts(10_000)
    assert store.reminders[moved] == 0 and store.contacts[moved] == 1
    assert store.reminders[item] == 1 and store.contacts[item] == 2
    assert not public.contacts.heap
