"""What a platform's rules do in a run: WeChat's auto-replies and reply window, the hotline.

The rules are data in `simulation.platforms` (with their sources) and each account's
numbers in its `PlatformRules` (`simulation.accounts`); this module makes them act.
Each part draws from a stream of its own, so a scenario without the rule draws exactly
as before, and one account's rule never shifts another part's draws.

- `KeywordAutoReply` (WeChat): each contact (message, follow-up, reminder) to an account
  with `auto_reply_share` > 0 matches a keyword with that probability (one uniform
  number per contact from the `auto_replies` stream) and gets the platform's instant
  boilerplate reply (`ItemLifecycle.auto_reply`, event `AutoReplied`). The need is not
  settled by it: the item stays open and waits for a person as before. An auto-reply is
  not a reply of the account's staff: it is not judged (no satisfaction, no trust, no
  rating), it stops no clock (lateness and deadlines count on to the staff's reply), and
  no appraisal rule counts it (the response-rate rule counts operators' replies). What
  a rule that did count it would see is reported as `response_rate_with_auto_replies`,
  beside `response_rate`: the gap is the Goodhart trap of counting machine replies.
- `ReplyWindow` (WeChat): the account may reply, or post a department's answer, only
  within `reply_window_hours` of the citizen's last message (their post, follow-up or
  reminder: each re-opens the window). Operators skip a ticket whose window has closed
  without spending time on it; an item whose window closes while it is open or referred
  is closed as EXPIRED at that moment (checked at the end of each hour; an item in an
  operator's hands is checked again when they let it go, and a reply finished after
  the window closed is not sent: the item expires then). Expired is final.
- `VoiceMenu` (hotline): each call (the first and every follow-up call) is settled by
  the self-service voice menu with probability `self_service_share` (one uniform
  number per call, `self_service` stream): answered substantively at once, by no
  operator (`ItemLifecycle.self_serve`, events `SelfServed` and `Replied`); it is judged
  as any substantive answer. The rest queue for an agent.
- `CallerPatience` (hotline): a caller queued for an agent waits an exponential time of
  mean `caller_patience_minutes` (`caller_patience` stream, one draw per call that
  reaches the account, in place of the population's patience) and then hangs up: the
  need is given up (abandoned, with `reactions.abandonment_satisfaction`), without an
  escalation or any public post; with several accounts they may turn to another
  (`simulation.agents.channel_choice.Failover`). With exponential patience, exponential call lengths
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


class KeywordAutoReply:
    """WeChat keyword auto-replies: an instant boilerplate reply to a share of contacts."""

    def __init__(
        self,
        plans: list[AccountPlan],
        lifecycle: ItemLifecycle,
        events: EventBus,
        rng: np.random.Generator,
    ):
        self.share = np.array([plan.rules.auto_reply_share for plan in plans])
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.rng = rng
        if self.share.any():
            events.subscribe(ItemReceived, self._on_contact)
            events.subscribe(Reopened, self._on_contact)

    def _on_contact(self, event: ItemReceived | Reopened) -> None:
        account = int(self.items.account[event.item])
        share = self.share[account] if account >= 0 else 0.0
        if share > 0.0 and self.rng.random() < share:
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


class VoiceMenu:
    """The hotline's self-service voice menu: a share of calls settled at once."""

    def __init__(
        self,
        plans: list[AccountPlan],
        lifecycle: ItemLifecycle,
        events: EventBus,
        rng: np.random.Generator,
    ):
        self.share = np.array(
            [plan.rules.self_service_share if plan.rules.calls else 0.0 for plan in plans]
        )
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.rng = rng
        if self.share.any():
            events.subscribe(ItemReceived, self._on_call)
            events.subscribe(Reopened, self._on_call)

    def _on_call(self, event: ItemReceived | Reopened) -> None:
        account = int(self.items.account[event.item])
        share = self.share[account] if account >= 0 else 0.0
        if share > 0.0 and self.rng.random() < share:
            self.lifecycle.self_serve(event.item, event.time)


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
