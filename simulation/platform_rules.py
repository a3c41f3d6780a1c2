"""What a platform's rules do in a run: WeChat's auto-replies and reply window, the hotline.

The rules are data in `simulation.platforms` (with their sources) and each account's
numbers in its `PlatformRules` (`simulation.accounts`); this module makes them act.
Each part draws from a stream of its own, so a scenario without the rule draws exactly
as before, and one account's rule never shifts another part's draws.

- `AutomaticAnswers` (WeChat's keyword auto-reply, the hotline's voice menu): one
  mechanism, an answer the platform gives a share of contacts at once, worded by the
  platform's data (`platforms.AutomaticAnswer`). Each contact (message or call,
  follow-up, reminder) to an account whose share is above 0 is answered with that
  probability (one uniform number per contact from the answer's stream: `auto_replies`
  for keyword auto-replies, `self_service` for the voice menu).
  A keyword auto-reply (`auto_reply_share`) is instant boilerplate
  (`ItemLifecycle.auto_reply`, event `AutoReplied`) that settles nothing: the item stays
  open and waits for a person as before. It is not a reply of the account's staff: it
  is not judged (no satisfaction, no trust, no rating), it stops no clock (lateness and
  deadlines count on to the staff's reply), and no appraisal rule counts it (the
  response-rate rule counts operators' replies). What a rule that did count it would
  see is reported as `response_rate_with_auto_replies`, beside `response_rate`: the
  gap is the Goodhart trap of counting machine replies.
  The voice menu (`self_service_share`) settles the call: answered substantively at
  once, by no operator (`ItemLifecycle.self_serve`, events `SelfServed` and `Replied`);
  it is judged as any substantive answer. The other calls queue for an agent.
- `ReplyWindow` (WeChat): the account may reply, or post a department's answer, only
  within `reply_window_hours` of the citizen's last message (their post, follow-up or
  reminder: each re-opens the window). Operators skip a ticket whose window has closed
  without spending time on it; an item whose window closes while it is open or referred
  is closed as EXPIRED at that moment (checked at the end of each hour; an item in an
  operator's hands is checked again when they let it go, and a reply finished after
  the window closed is not sent: the item expires then). Expired is final.
- `CallerPatience` (hotline): a caller queued for an agent waits an exponential time of
  mean `caller_patience_minutes` (`caller_patience` stream, one draw per call that
  reaches the account, in place of the population's patience) and then hangs up: the
  need is given up (abandoned, with `reactions.abandonment_satisfaction`), without an
  escalation or any public post. Calling again later or turning to another channel is
  left to a later part. With exponential patience, exponential call lengths
  (`Operator.call_minutes`) and Poisson calls, the account's desk is Erlang A.
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

import numpy as np

from simulation.codes import OPEN, REFERRED
from simulation.events import EventBus, HourEnded, ItemReceived, Reopened

if TYPE_CHECKING:
    from simulation.accounts import AccountPlan
    from simulation.items import ItemLifecycle
    from simulation.streams import Streams


class AutomaticAnswers:
    """Platforms' instant answers (`platforms.AutomaticAnswer`): a share of contacts, at once.

    Each account's platform says what its answer is: WeChat's keyword auto-reply
    (boilerplate, `ItemLifecycle.auto_reply`: the contact still waits for a person) or
    the hotline's self-service voice menu (it settles the call, `ItemLifecycle.
    self_serve`). Each contact to an account whose share is above 0 is answered with
    that probability, one uniform number per contact from the answer's own stream.
    """

    def __init__(
        self,
        plans: list[AccountPlan],
        lifecycle: ItemLifecycle,
        events: EventBus,
        streams: Streams,
    ):
        self.share = np.array([plan.rules.automatic_share for plan in plans])
        self.settles = [
            plan.rules.automatic_answer is not None and plan.rules.automatic_answer.settles
            for plan in plans
        ]
        self.rngs = [
            None
            if plan.rules.automatic_answer is None
            else streams[plan.rules.automatic_answer.stream]
            for plan in plans
        ]
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        if self.share.any():
            events.subscribe(ItemReceived, self._on_contact)
            events.subscribe(Reopened, self._on_contact)

    def _on_contact(self, event: ItemReceived | Reopened) -> None:
        account = int(self.items.account[event.item])
        if account < 0:
            return
        share = self.share[account]
        rng = self.rngs[account]
        if share > 0.0 and rng is not None and rng.random() < share:
            if self.settles[account]:
                self.lifecycle.self_serve(event.item, event.time)
            else:
                self.lifecycle.auto_reply(event.item, event.time)


class ReplyWindow:
    """One account's reply window: no reply later than `hours` after the last message."""

    def __init__(self, account: int, hours: float, lifecycle: ItemLifecycle, events: EventBus):
        self.account = account
        self.hours = hours
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        # (when to check, item, when its window closes): checked at the end of the hour.
        self._closing: list[tuple[float, int, float]] = []
        events.subscribe(ItemReceived, self._on_contact)
        events.subscribe(Reopened, self._on_contact)
        events.subscribe(HourEnded, self._on_hour_ended)

    def closes_at(self, item: int) -> float:
        """When the item's window closes [hours]."""
        return float(self.items.last_contact_at[item]) + self.hours

    def is_open(self, item: int, now: float) -> bool:
        """Whether the account may still reply to the item at `now`.

        A public post found by monitoring was no message to the account: no window.
        """
        return bool(self.items.via_monitoring[item]) or now <= self.closes_at(item)

    def _on_contact(self, event: ItemReceived | Reopened) -> None:
        item = event.item
        if self.items.account[item] == self.account and not self.items.via_monitoring[item]:
            closes = self.closes_at(item)
            heapq.heappush(self._closing, (closes, item, closes))

    def _on_hour_ended(self, event: HourEnded) -> None:
        """Expire the items whose window closed by the end of this hour, still unanswered.

        An item then in an operator's hands is checked again at the end of the next hour
        (and expires at the end of this one, by when its window had closed).
        """
        store = self.items
        until = float(event.hour + 1)
        held: list[tuple[float, int, float]] = []
        while self._closing and self._closing[0][0] < until:
            entry = heapq.heappop(self._closing)
            due, item, closes = entry
            if closes != self.closes_at(item) or store.status[item] not in (OPEN, REFERRED):
                continue  # a newer message moved the window on, or the item is closed
            if store.in_service[item]:
                held.append((until, item, closes))
                continue
            self.lifecycle.expire(item, due)
        for entry in held:
            heapq.heappush(self._closing, entry)


class CallerPatience:
    """How long callers queued for an agent wait before hanging up (exponential)."""

    def __init__(self, plans: list[AccountPlan], rng: np.random.Generator):
        self.calls = np.array([plan.rules.calls for plan in plans])
        self.mean_hours = np.array(
            [
                (plan.rules.caller_patience_minutes or math.inf) / 60.0 if plan.rules.calls else 0
                for plan in plans
            ]
        )
        self.rng = rng

    @property
    def any(self) -> bool:
        """Whether any account takes calls."""
        return bool(self.calls.any())

    def redraw(self, account: np.ndarray, patience: np.ndarray) -> np.ndarray:
        """Patience of each contact [hours]: a caller's own where it is a call (`account`)."""
        rows = np.flatnonzero((account >= 0) & self.calls[np.maximum(account, 0)])
        if not len(rows):
            return patience
        patience = patience.copy()
        patience[rows] = self.rng.exponential(self.mean_hours[account[rows]])
        return patience

    def is_call(self, item_account: int) -> bool:
        """Whether an item that went to `item_account` is a call (its author hangs up)."""
        return item_account >= 0 and bool(self.calls[item_account])
