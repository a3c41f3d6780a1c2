"""Citizens choose where to turn among several accounts, learn what to expect, and fail over.

With several accounts (`[accounts.<name>]`, two or more) an addressed need goes to one
of them by a logit choice (`ChannelChoice`, used by `simulation.accounts.AccountRouter`):
the follower-share weight of each account the author follows, times exp(utility), where
the utility adds what the kind of need prefers of the account's platform, how much a
citizen of low trust prefers a platform where the contact can be public, and minus the
log of the wait the citizen expects there. `[channel_choice]` has the parameters and
docs/ODD.md §7.14 the rule.

- `ChannelChoice`: the utilities and the citizens' expected waits, a citizens × accounts
  float32 array kept with the population arrays (`Population.expected_wait`), started at
  each platform's prior.
- `WaitLearning`: what moves the expected waits, heard on the event bus. Own experience:
  the hours until the reply to their contact (`Replied.wait_hours`), or
  `unanswered_wait_hours` when they were failed (`Abandoned`, `WindowExpired`). What they
  have seen: a reply of an account that reaches them through the follower graph
  (`ExposureBatch`) teaches its wait; an escalation re-post teaches that the account did
  not answer. Each is exponential smoothing with its own learning rate.
- `Failover`: a citizen failed by an account turns, with `failover_probability`, to
  another account about the same need after an exponential delay: a new contact, a new
  row of the item store linked to the first by its `need`. Going up a level is the
  escalation of docs/ODD.md §7.9, which a supervised account's `Supervision` carries up
  as a complaint: failover is what a citizen does once they have given up.

Draws: the choice keeps one uniform number per addressed need from `account_choice`,
as the follower-share rule did; failover draws from a stream of its own (`failover`).
Nothing here is built in a scenario with one account, so such a run draws as before.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from simulation.codes import (
    MENTION,
    NEED_KINDS,
    POST_REPLY,
    PRIVATE,
    RUMOUR,
)
from simulation.events import (
    Abandoned,
    EventBus,
    ExposureBatch,
    PostStarted,
    Replied,
    WindowExpired,
)

if TYPE_CHECKING:
    from simulation.accounts import AccountPlan, AccountRouter
    from simulation.agents.citizen import Population
    from simulation.diffusion import Cascade
    from simulation.items import ItemStore
    from simulation.scenario.schema import ChannelChoiceSettings


class ChannelChoice:
    """Utilities of the accounts for the citizens, and the waits the citizens expect.

    u_ik = preference[kind][platform_k] + trust_public_slope · (0.5 − T_i) · public_k
           − wait_weight · ln(1 + E_ik / h)

    with public_k whether account k's platform takes public contacts and h the reply
    time citizens consider normal (`reactions.expected_reply_hours`). The router weighs
    each candidate account by its follower-share weight times exp(u_ik).
    """

    def __init__(
        self,
        settings: ChannelChoiceSettings,
        plans: list[AccountPlan],
        population: Population,
        expected_reply_hours: float,
    ):
        self.settings = settings
        self.population = population
        self.reference_hours = expected_reply_hours
        # Utility of each account for each kind of need (kinds × accounts); rumours, a
        # kind no citizen addresses, take 0.
        self.preference = np.zeros((len(NEED_KINDS) + 1, len(plans)))
        for kind, name in enumerate(NEED_KINDS):
            for k, plan in enumerate(plans):
                self.preference[kind, k] = settings.preference(name, plan.platform.name)
        self.public = np.array([float(plan.platform.public_contacts) for plan in plans])
        # The same as Python lists, for one author's utility (`utility_one`).
        self._preference_lists: list[list[float]] = self.preference.tolist()
        self._public_list: list[float] = self.public.tolist()
        self.wait_weight = settings.wait_weight
        self.trust_slope = settings.trust_public_slope
        self.neutral = (
            not self.preference.any() and self.wait_weight == 0.0 and self.trust_slope == 0.0
        )
        self.prior = np.array(
            [settings.prior_wait(plan.platform.name) for plan in plans], dtype=np.float32
        )
        population.expected_wait = np.tile(self.prior, (population.n, 1))

    @property
    def expected_wait(self) -> np.ndarray:
        """(citizens × accounts) the wait each citizen expects at each account [hours]."""
        wait = self.population.expected_wait
        assert wait is not None
        return wait

    def utility(self, authors: np.ndarray, kinds: np.ndarray) -> np.ndarray:
        """u_ik of each (author, kind of their need) for every account (rows × accounts)."""
        utility = self.preference[kinds]
        if self.trust_slope:
            trust = self.population.trust_of(authors)
            utility = utility + self.trust_slope * (0.5 - trust)[:, None] * self.public
        if self.wait_weight:
            expected = self.expected_wait[authors].astype(np.float64)
            utility = utility - self.wait_weight * np.log1p(expected / self.reference_hours)
        return utility

    def utility_one(self, author: int, kind: int) -> list[float]:
        """`utility` of one author's need for every account, as Python floats.

        The same operations in the same order as `utility` on one row; the logarithm is
        numpy's on the row, as there, so every value is the same to the last bit.
        """
        utility = self._preference_lists[kind]
        if self.trust_slope:
            trust = float(self.population.trust_of(np.array([author]))[0])
            lean = self.trust_slope * (0.5 - trust)
            utility = [u + lean * p for u, p in zip(utility, self._public_list, strict=True)]
        if self.wait_weight:
            expected = self.expected_wait[author].astype(np.float64)
            cost = (self.wait_weight * np.log1p(expected / self.reference_hours)).tolist()
            utility = [u - c for u, c in zip(utility, cost, strict=True)]
        return utility

    def learn(
        self, citizens: np.ndarray, accounts: np.ndarray, observed: np.ndarray, rate: float
    ) -> None:
        """E ← E + rate · (observed − E) for each (citizen, account) [hours].

        A citizen who learns twice about one account in one call keeps the last.
        """
        if rate == 0.0 or not len(citizens):
            return
        wait = self.expected_wait
        old = wait[citizens, accounts]
        wait[citizens, accounts] = old + rate * (observed - old)

    def learn_one(self, citizen: int, account: int, observed: float, rate: float) -> None:
        """`learn` for one citizen and account, without the arrays' overhead."""
        if rate == 0.0:
            return
        old = float(self.expected_wait[citizen, account])  # the same float64 arithmetic
        self.expected_wait[citizen, account] = old + rate * (observed - old)


class WaitLearning:
    """What moves the waits citizens expect: their own contacts and what they see.

    Subscribers only: nothing here draws a random number.
    """

    def __init__(
        self,
        choice: ChannelChoice,
        items: ItemStore,
        events: EventBus,
        n_citizens: int,
    ):
        settings = choice.settings
        self.choice = choice
        self.items = items
        self.n_citizens = n_citizens
        self.own_rate = settings.own_learning_rate
        self.seen_rate = settings.seen_learning_rate
        self.unanswered = settings.unanswered_wait_hours
        # Reply posts in flight: id(cascade) → (account, wait it showed [hours]). A
        # reply post does not name its item, so the reply it follows tells.
        self._reply_posts: dict[int, tuple[int, float]] = {}
        self._last_reply: tuple[int, float, int, float] | None = None
        if self.own_rate:
            events.subscribe(Abandoned, self._on_failed)
            events.subscribe(WindowExpired, self._on_failed)
        if self.own_rate or self.seen_rate:
            events.subscribe(Replied, self._on_replied)
        if self.seen_rate:
            events.subscribe(PostStarted, self._on_post_started)
            events.subscribe(ExposureBatch, self._on_exposures)

    def _account_of_need(self, item: int) -> int:
        """The account of an item that is a need (-1 for a rumour or an item of none)."""
        if self.items.kind[item] == RUMOUR:
            return -1
        return int(self.items.account[item])

    def _on_replied(self, event: Replied) -> None:
        account = self._account_of_need(event.item)
        if account < 0:
            return
        author = int(self.items.author[event.item])
        self._last_reply = (author, event.time, account, event.wait_hours)
        self.choice.learn_one(author, account, event.wait_hours, self.own_rate)

    def _on_failed(self, event: Abandoned | WindowExpired) -> None:
        item = event.item
        account = self._account_of_need(item)
        if account < 0:
            return
        waited = event.time - float(self.items.waiting_since[item])
        observed = max(waited, self.unanswered)
        author = int(self.items.author[item])
        self.choice.learn_one(author, account, observed, self.own_rate)

    def _on_post_started(self, event: PostStarted) -> None:
        cascade = event.cascade
        last = self._last_reply
        if cascade.post_type != POST_REPLY or last is None:
            return
        author, time, account, wait = last
        if cascade.source == author and cascade.started == time:
            self._reply_posts[id(cascade)] = (account, wait)
        self._last_reply = None

    def _seen(self, cascade: Cascade) -> tuple[int, float] | None:
        """(account, wait it shows) of a post that tells of an account's waits, or None."""
        if cascade.post_type == POST_REPLY:
            return self._reply_posts.get(id(cascade))
        item = cascade.item
        if item < 0 or cascade.started <= float(self.items.created[item]):
            return None  # not an item's escalation re-post (the first post says nothing)
        account = self._account_of_need(item)
        return None if account < 0 else (account, self.unanswered)

    def _on_exposures(self, event: ExposureBatch) -> None:
        generation = event.generation
        shown = generation.impressions.tolist()
        for i, cascade in enumerate(event.cascades):
            seen = self._seen(cascade) if shown[i] else None  # _seen only reads
            if seen is not None:
                viewers = generation.exposed_by(i)
                viewers = np.unique(viewers[viewers < self.n_citizens])
                account, wait = seen
                self.choice.learn(
                    viewers,
                    np.full(len(viewers), account),
                    np.full(len(viewers), wait),
                    self.seen_rate,
                )
            if not len(cascade.frontier):
                self._reply_posts.pop(id(cascade), None)  # it spreads no further


# What a failover contact needs from the part that posts contacts: post(need item,
# account, time, channel, patience [hours]) → the new item.
PostContact = Callable[[int, int, float, int, float], int]


class Failover:
    """Citizens failed by one account who turn to another about the same need.

    When a contact a citizen addressed to an account fails — they gave up waiting or
    hung up (`Abandoned`), or the platform's reply window closed (`WindowExpired`) — its
    author turns to another account with `failover_probability`, after an exponential
    `failover_delay_hours`, at most `max_failovers` times a need and never twice to the
    same account. Which account is the router's choice among those not tried yet (with
    the waits the author expects then); whether a contact to Weibo is public is drawn
    with `channels.public_share`, as for a first contact; the author's patience is drawn
    afresh (a caller's, on a hotline). The contact is made in phase 2 of the hour it is
    due in (`post_due`); one due in the hour of the failure is made at the start of the
    next. All draws come from the `failover` stream.
    """

    def __init__(
        self,
        settings: ChannelChoiceSettings,
        router: AccountRouter,
        population: Population,
        items: ItemStore,
        events: EventBus,
        rng: np.random.Generator,
        public_share: float,
        caller_patience_hours: np.ndarray,
        post: PostContact,
    ):
        self.probability = settings.failover_probability
        self.delay_hours = settings.failover_delay_hours
        self.max_failovers = settings.max_failovers
        self.router = router
        self.population = population
        self.items = items
        self.rng = rng
        self.public_share = public_share
        self.caller_patience_hours = caller_patience_hours  # 0 where an account takes no calls
        self.post = post
        self.n_accounts = len(router.plans)
        self.tried: dict[int, set[int]] = {}  # need → the accounts its author turned to
        self.heap: list[tuple[float, int, int]] = []  # (due, failed item, order)
        self._order = 0
        if self.probability > 0.0 and self.max_failovers > 0:
            events.subscribe(Abandoned, self._on_failed)
            events.subscribe(WindowExpired, self._on_failed)

    def _tried(self, need: int) -> set[int]:
        tried = self.tried.get(need)
        if tried is None:
            tried = self.tried[need] = {int(self.items.account[need])}
        return tried

    def _on_failed(self, event: Abandoned | WindowExpired) -> None:
        item = event.item
        store = self.items
        if store.kind[item] == RUMOUR or store.via_monitoring[item] or store.account[item] < 0:
            return  # only a contact the author addressed to an account
        tried = self._tried(int(store.need[item]))
        if len(tried) > self.max_failovers or len(tried) >= self.n_accounts:
            return
        if not self.rng.random() < self.probability:
            return
        delay = float(self.rng.exponential(self.delay_hours)) if self.delay_hours > 0.0 else 0.0
        self._order += 1
        heapq.heappush(self.heap, (event.time + delay, item, self._order))

    def post_due(self, hour: int) -> None:
        """Make the failover contacts due before the end of `hour` (phase 2 of it)."""
        heap, store = self.heap, self.items
        until = float(hour + 1)
        while heap and heap[0][0] < until:
            due, failed, _ = heapq.heappop(heap)
            need = int(store.need[failed])
            tried = self._tried(need)
            allowed = [k not in tried for k in range(self.n_accounts)]
            author, kind = int(store.author[failed]), int(store.kind[failed])
            u_account, u_channel = self.rng.random(2).tolist()
            account = self.router.choose_one(author, kind, u_account, allowed)
            channel = MENTION if u_channel < self.public_share else PRIVATE
            channel = self.router.platform_channel(account, channel)
            caller_mean = float(self.caller_patience_hours[account])
            if caller_mean > 0.0:
                patience = float(self.rng.exponential(caller_mean))
            else:
                patience = float(self.population.draw_patience(1, self.rng)[0])
            tried.add(account)
            self.post(failed, account, max(due, float(hour)), channel, patience)
