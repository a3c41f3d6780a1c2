"""What a platform's rules do in a run: automatic answers, WeChat's reply window, the hotline.

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
  escalation or any public post; with several accounts they may turn to another
  (`simulation.agents.channel_choice.Failover`). With exponential patience, exponential
  call lengths (`Operator.call_minutes`) and Poisson calls, the account's desk is Erlang A.
- `CallTimes` (hotline): callers call in the daytime, at an hour of the day drawn from
  the account's `call_rhythm` (the first such time after the need arose; `call_times`
  stream); the citizens hold a call until then (`Public.post_needs`).
- `AfterHours` (hotline, `after_hours` = "closed"): a call out of the agents' hours that
  the menu does not settle is told the hours and does not queue; a share
  `call_back_share` of the callers call again in the next hours of human service, the
  others give up (`call_backs` stream). `hang_up_share` counts hang-ups of queued calls
  only, `after_hours_share` the calls told the hours.
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

import numpy as np

from simulation.codes import HOURS_PER_DAY, OPEN, REFERRED
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
        self.share = [plan.rules.automatic_share for plan in plans]  # a list: read one at a time
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
        if any(self.share):
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
        self._call_list = self.calls.tolist()  # read one at a time (`is_call`)
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
        return item_account >= 0 and self._call_list[item_account]


class CallTimes:
    """When hotline callers call: at an hour of the day drawn from the account's call rhythm.

    A need whose author turns to an account with a call rhythm (`PlatformRules.
    call_rhythm`, 24 weights from 0:00) is called in at a time of day drawn from it
    (the hour by its weight, the minute uniform within it), the first such time at or
    after the need arose: within 24 hours, and the calls' times of day follow the
    rhythm whatever the needs' rhythm. One uniform number per such call from the
    `call_times` stream. An account without a rhythm is called when the need arises.
    """

    def __init__(self, plans: list[AccountPlan], rng: np.random.Generator):
        self.cumulative: list[np.ndarray | None] = [
            _cumulative(plan.rules.call_rhythm) if plan.rules.calls else None for plan in plans
        ]
        self.rhythmic = np.array([c is not None for c in self.cumulative])
        self.rng = rng

    @property
    def any(self) -> bool:
        """Whether any account's callers keep a call rhythm of their own."""
        return bool(self.rhythmic.any())

    def times(self, account: np.ndarray, created: np.ndarray) -> np.ndarray:
        """When each need is called in [hours]: its own time where it is no such call."""
        rows = np.flatnonzero((account >= 0) & self.rhythmic[np.maximum(account, 0)])
        if not len(rows):
            return created
        u = self.rng.random(len(rows))
        position = np.empty(len(rows))
        for k in np.unique(account[rows]).tolist():
            cumulative = self.cumulative[k]
            assert cumulative is not None
            mine = account[rows] == k
            position[mine] = _inverse(cumulative, u[mine])
        start_of_day = np.floor(created[rows] / HOURS_PER_DAY) * HOURS_PER_DAY
        when = start_of_day + position
        when[when < created[rows]] += HOURS_PER_DAY
        out = created.copy()
        out[rows] = when
        return out


class AfterHours:
    """Calls out of the hotline's human hours, where the rule is "closed": told the hours.

    A call (first or repeat) that reaches an account with `after_hours` = "closed" in
    an hour when none of its agents is on duty, and that the voice menu did not settle,
    does not queue: the caller hears the hours (`ItemLifecycle.turn_away`, once every
    part has heard of the call). With probability `call_back_share` (one uniform number
    from the `call_backs` stream) the caller calls again — within
    `reactions.max_reminders`, as a reminder — at a time in the next hours of human
    service, the hour drawn from the account's call rhythm over those hours (a second
    number; equal weights without a rhythm); until then their item is open but in no
    queue. The others give the need up (`TurnedAway` with `calls_back` False: the
    citizens abandon it). Either way the call is no hang-up of the queue.
    """

    def __init__(
        self,
        plans: list[AccountPlan],
        open_hours: list[np.ndarray],
        lifecycle: ItemLifecycle,
        events: EventBus,
        rng: np.random.Generator,
        max_reminders: int,
    ):
        self.closed = [plan.rules.calls and plan.rules.after_hours == "closed" for plan in plans]
        self.open_hours = open_hours  # per account: whether an agent is on duty, each hour
        # The first hour at or after each hour with an agent on duty (len: none).
        self.next_open = [_next_true(hours) for hours in open_hours]
        self.share = [plan.rules.call_back_share for plan in plans]
        self.weights = [
            np.asarray(plan.rules.call_rhythm or np.ones(HOURS_PER_DAY), dtype=float)
            for plan in plans
        ]
        self.max_reminders = max_reminders
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.events = events
        self.rng = rng
        self._due: list[tuple[float, int, int]] = []  # (when they call again, item, version)
        if any(self.closed):
            events.subscribe(ItemReceived, self._on_call)
            events.subscribe(Reopened, self._on_call)

    @property
    def any(self) -> bool:
        """Whether any account tells callers out of hours its hours."""
        return any(self.closed)

    def _on_call(self, event: ItemReceived | Reopened) -> None:
        item = event.item
        account = int(self.items.account[item])
        if account < 0 or not self.closed[account]:
            return
        hours = self.open_hours[account]
        hour = int(event.time)
        if hour < len(hours) and hours[hour]:
            return
        self.events.after_current(lambda: self._turn_away(item, event.time, account))

    def _turn_away(self, item: int, now: float, account: int) -> None:
        store = self.items
        if store.status[item] != OPEN:
            return  # the voice menu settled it
        calls_back = (
            store.reminders[item] < self.max_reminders and self.rng.random() < self.share[account]
        )
        when = self._call_back_time(account, now) if calls_back else math.inf
        calls_back = calls_back and math.isfinite(when)
        self.lifecycle.turn_away(item, now, calls_back)
        if calls_back:
            heapq.heappush(self._due, (when, item, int(store.version[item])))

    def _call_back_time(self, account: int, now: float) -> float:
        """A time in the next hours of human service after `now` (inf: none in the run)."""
        next_open = self.next_open[account]
        first = int(next_open[min(int(now) + 1, len(next_open) - 1)])
        if first >= len(self.open_hours[account]):
            return math.inf
        day_end = (first // HOURS_PER_DAY + 1) * HOURS_PER_DAY
        hours = first + np.flatnonzero(self.open_hours[account][first:day_end])
        weights = self.weights[account][hours % HOURS_PER_DAY]
        if weights.sum() <= 0.0:
            weights = np.ones(len(hours))
        cumulative = _cumulative(weights)
        assert cumulative is not None
        position = _inverse(cumulative, np.array([self.rng.random()]))[0]
        index = min(int(position), len(hours) - 1)
        return float(hours[index] + (position - index))

    def post_due(self, until: float) -> list[tuple[float, int]]:
        """Callers due to call again before `until` call: (their patience's end, item) each."""
        made = []
        store = self.items
        while self._due and self._due[0][0] < until:
            when, item, version = heapq.heappop(self._due)
            if store.version[item] != version:
                continue
            expire = when + float(store.patience[item])
            if self.lifecycle.call_back(item, when, expire):
                made.append((expire, item))
        return made


def _cumulative(weights: tuple[float, ...] | np.ndarray | None) -> np.ndarray | None:
    """Cumulative shares of `weights`, from 0 to 1 (None for None)."""
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float)
    return np.concatenate(([0.0], np.cumsum(w) / w.sum()))


def _inverse(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Positions in [0, len) of uniform numbers `u`, piecewise uniform by the weights.

    The k-th piece gets the share of its weight; a piece of weight 0 is never drawn.
    """
    k = np.searchsorted(cumulative, u, side="right") - 1
    k = np.minimum(k, len(cumulative) - 2)
    width = cumulative[k + 1] - cumulative[k]
    return k + (u - cumulative[k]) / width


def _next_true(flags: np.ndarray) -> np.ndarray:
    """For each index, the first index at or after it where `flags` is True (len: none)."""
    n = len(flags)
    out = np.full(n + 1, n, dtype=np.int64)
    for i in range(n - 1, -1, -1):
        out[i] = i if flags[i] else out[i + 1]
    return out
