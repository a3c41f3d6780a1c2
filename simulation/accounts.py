"""The government's accounts: what each is (`AccountPlan`) and where a citizen turns.

A scenario declares its accounts as `[accounts.<name>]` tables; with none, the model
has exactly one account, `government` on Weibo, made of the scenario-wide sections
(`[staffing]`, `[mechanism]`, `population.follow_share`) as it always had. Each
account has its own node in the follower graph, its own operators and inbox
(`simulation.agents.operator.OperatorDesk`), its own mechanism and monitoring; the
departments are shared, and each account may refer to those it lists.

`AccountRouter` decides which account a need's contact goes to (the rule is in its
docstring; the citizens' utilities and learned waits are in
`simulation.agents.channel_choice`). Account 0 keeps every draw a one-account model makes: its followers come
from the `network` stream, its operators are operators 0…c-1, its releases draw from
the `releases` stream; the others draw from streams of their own (`account_followers`,
`account_choice`, and members of `releases` by account).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulation.codes import MENTION, PRIVATE
from simulation.platforms import PLATFORMS, AutomaticAnswer, Platform

if TYPE_CHECKING:
    from simulation.agents.channel_choice import ChannelChoice
    from simulation.agents.operator import Monitoring, Operator, OperatorDesk
    from simulation.scenario import MechanismSettings, Scenario, StaffingSettings
    from simulation.scenario.schema import AccountSettings

DEFAULT_ACCOUNT = "government"  # the one account of a scenario that declares none
DEFAULT_PLATFORM = "weibo"
DEFAULT_LEVEL = "city"


@dataclass(frozen=True)
class PlatformRules:
    """The rules of an account's platform with the numbers the account sets (`platforms.py`)."""

    automatic_answer: AutomaticAnswer | None = None  # the platform's instant answer, if any
    automatic_share: float = 0.0  # contacts it answers (keyword match, menu settles) [share]
    reply_window_hours: float | None = None  # replies only this long after the last message
    call_minutes: float | None = None  # contacts are calls of this mean length [minutes]
    caller_patience_minutes: float | None = None  # mean patience of a queued caller [minutes]
    call_rhythm: tuple[float, ...] | None = None  # calls by hour of day (None: as needs arise)
    after_hours: str = "queue"  # a call out of agents' hours: "closed" or "queue"
    call_back_share: float = 0.0  # callers told the hours who call again [share]

    @property
    def calls(self) -> bool:
        """Contacts are telephone calls (an Erlang-A desk)."""
        return self.call_minutes is not None


def platform_rules(platform: Platform, account: AccountSettings | None = None) -> PlatformRules:
    """The platform's rules, with what the account sets in their place."""

    def value(name: str, default: float | None) -> float | None:
        own = None if account is None else getattr(account, name)
        return default if own is None else float(own)

    answer = platform.automatic_answer
    share = 0.0 if answer is None else value(answer.share_setting, answer.default_share)
    return PlatformRules(
        automatic_answer=answer,
        automatic_share=float(share or 0.0),
        reply_window_hours=value("reply_window_hours", platform.reply_window_hours),
        call_minutes=value("call_minutes", platform.call_minutes),
        caller_patience_minutes=value("caller_patience_minutes", platform.caller_patience_minutes),
        call_rhythm=_call_rhythm(platform, account),
        after_hours=(account and account.after_hours) or platform.after_hours or "queue",
        call_back_share=float(value("call_back_share", platform.call_back_share) or 0.0),
    )


def _call_rhythm(platform: Platform, account: AccountSettings | None) -> tuple[float, ...] | None:
    """The account's call rhythm: its own weights, none ("needs"), or the platform's."""
    own = None if account is None else account.call_rhythm
    if own is None:
        return platform.call_rhythm
    if own == "needs":
        return None
    return tuple(float(w) for w in own)


@dataclass(frozen=True)
class AccountPlan:
    """One account as the scenario resolves it: every setting filled in."""

    index: int  # position among the accounts; its graph node is n_citizens + index
    name: str
    platform: Platform
    level: str
    follow_share: float  # share of citizens following it [share]
    staffing: StaffingSettings  # the scenario's, with what the account sets itself
    mechanism: MechanismSettings
    departments: frozenset[int]  # topics (department indices) it may refer to
    rules: PlatformRules = PlatformRules()  # its platform's rules, as the account sets them


@dataclass
class Account:
    """One account in a model: its plan, its operators, its inbox and its listening."""

    plan: AccountPlan
    operators: list[Operator]
    desk: OperatorDesk
    monitoring: Monitoring

    @property
    def name(self) -> str:
        """The account's name (`government` when the scenario declares none)."""
        return self.plan.name


def account_plans(scenario: Scenario) -> list[AccountPlan]:
    """The scenario's accounts in order (one, `government`, if it declares none)."""
    every_topic = frozenset(range(len(scenario.topics)))
    if not scenario.accounts:
        return [
            AccountPlan(
                0,
                DEFAULT_ACCOUNT,
                PLATFORMS[DEFAULT_PLATFORM],
                DEFAULT_LEVEL,
                scenario.population.follow_share,
                scenario.staffing,
                scenario.mechanism,
                every_topic,
                platform_rules(PLATFORMS[DEFAULT_PLATFORM]),
            )
        ]
    plans = []
    for index, (name, account) in enumerate(scenario.accounts.items()):
        departments = (
            every_topic
            if account.departments is None
            else frozenset(scenario.topics.index(d) for d in account.departments)
        )
        share = account.follow_share
        plans.append(
            AccountPlan(
                index,
                name,
                PLATFORMS[account.platform],
                account.level,
                scenario.population.follow_share if share is None else share,
                account.staffing(scenario.staffing),
                scenario.mechanism if account.mechanism is None else account.mechanism,
                departments,
                platform_rules(PLATFORMS[account.platform], account),
            )
        )
    return plans


class AccountRouter:
    """Where a citizen turns: which account each addressed need goes to.

    1. The channel choice is made as with one account (`Population.choose_channels`):
       whether the need is voiced, addressed to the government (followers of any
       account are likelier to), and if addressed whether in public or privately
       (`channels.public_share`).
    2. An addressed need goes to one account, a logit choice among the candidates: the
       accounts its author follows, each weighed by its follower share (an author who
       follows none turns to any account, by the same weights; equal weights where
       they are all 0; `channel_choice.unfollowed_weight` lets the others in), times
       exp(u) with u the account's utility for the author and the kind of need
       (`simulation.agents.channel_choice.ChannelChoice`: platform preference by kind,
       trust, the wait the author expects there). One uniform number per addressed
       need from the `account_choice` stream, whatever the candidates, so scenarios
       that differ only in one account's reach share their draws.
    3. The platform decides what the contact can be: on a platform with private
       contacts only (WeChat, hotline) a would-be public @-mention becomes a private
       message; on one with public contacts only, a private one becomes public. On
       Weibo the channel choice stands.

    With one account nothing is drawn: every addressed need goes to it, and its
    platform (Weibo, unless declared otherwise) keeps the channel choice, so the run
    is exactly a one-account run. With `choice` None (or neutral: every preference,
    `wait_weight` and `trust_public_slope` 0) step 2 is the follower-share rule.
    """

    def __init__(
        self,
        plans: list[AccountPlan],
        follows: np.ndarray,
        rng: np.random.Generator | None,
        choice: ChannelChoice | None = None,
        unfollowed_weight: float = 0.0,
    ):
        self.plans = plans
        self.follows = follows  # (citizens × accounts) bool
        self.rng = rng  # the account_choice stream (None with one account)
        self.choice = choice  # utilities and expected waits (None: follower shares only)
        self.unfollowed_weight = unfollowed_weight
        self.weights = np.array([plan.follow_share for plan in plans], dtype=float)
        self.private_only = np.array([plan.platform.private_only for plan in plans])
        self.public_only = np.array([plan.platform.public_only for plan in plans])
        # The same as Python values, for one author's choice (`choose_one`).
        self._weight_list = [float(w) for w in self.weights]
        self._private_list = [bool(p) for p in self.private_only]
        self._public_list = [bool(p) for p in self.public_only]

    def route(
        self, authors: np.ndarray, channel: np.ndarray, kinds: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(account of each need, -1 where not addressed; the channel on that platform).

        `kinds` are the needs' kinds (codes); None: as if every need were of no kind
        the choice prefers (what the follower-share rule sees).
        """
        addressed = (channel == MENTION) | (channel == PRIVATE)
        account = np.full(len(channel), -1, dtype=np.int64)
        if len(self.plans) == 1:
            account[addressed] = 0
        else:
            assert self.rng is not None
            rows = np.flatnonzero(addressed)
            if len(rows):
                u = self.rng.random(len(rows))
                rows_kinds = None if kinds is None else kinds[rows]
                account[rows] = self.choose(authors[rows], rows_kinds, u)
        if self.private_only.any() or self.public_only.any():
            chosen = np.where(addressed, account, 0)
            channel = channel.copy()
            channel[addressed & self.private_only[chosen]] = PRIVATE
            channel[addressed & self.public_only[chosen]] = MENTION
        return account, channel

    def platform_channel(self, account: int, channel: int) -> int:
        """The channel a contact of `channel` to `account` becomes on its platform."""
        if self._private_list[account]:
            return PRIVATE
        if self._public_list[account]:
            return MENTION
        return channel

    def candidate_weights(
        self, authors: np.ndarray, allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """Follower-share weight of each account for each author (rows × accounts).

        `allowed` (rows × accounts bool, None: all) are the accounts an author may turn
        to; among them those they follow, or all of them if they follow none.
        """
        follows = self.follows[authors]
        candidates = follows if allowed is None else follows & allowed
        others = np.ones_like(candidates) if allowed is None else allowed.copy()
        following_none = ~candidates.any(axis=1)
        candidates[following_none] = others[following_none]  # following none: any account
        weights = candidates * self.weights
        if self.unfollowed_weight > 0.0:
            weights = weights + self.unfollowed_weight * (others & ~candidates) * self.weights
        weightless = weights.sum(axis=1) == 0.0
        weights[weightless] = candidates[weightless]  # shares all 0: equal weights
        return weights

    def choose(
        self,
        authors: np.ndarray,
        kinds: np.ndarray | None,
        u: np.ndarray,
        allowed: np.ndarray | None = None,
    ) -> np.ndarray:
        """The account each author turns to, given one uniform number `u` each."""
        weights = self.candidate_weights(authors, allowed)
        choice = self.choice
        if choice is not None and not choice.neutral and kinds is not None:
            utility = choice.utility(authors, kinds)
            utility -= utility.max(axis=1, keepdims=True)
            weights = weights * np.exp(utility)
        cumulative = np.cumsum(weights, axis=1)
        total = cumulative[:, -1:]
        picked = (cumulative <= u[:, None] * total).sum(axis=1)
        return np.minimum(picked, len(self.plans) - 1)

    def choose_one(self, author: int, kind: int, u: float, allowed: list[bool]) -> int:
        """`choose` for one author (a failover), with the same arithmetic in Python floats.

        Every step is the one `choose` makes on a row, in the same order, so the pick is
        the same; only the transcendental functions stay numpy's
        (`ChannelChoice.utility_one`), whose last bit may differ from `math`'s.
        """
        shares = self._weight_list
        n = len(shares)
        follows = self.follows[author].tolist()
        candidates = [follows[k] and allowed[k] for k in range(n)]
        if not any(candidates):
            candidates = list(allowed)  # following none: any account
        weights = [shares[k] if candidates[k] else 0.0 for k in range(n)]
        if self.unfollowed_weight > 0.0:
            extra = self.unfollowed_weight
            weights = [
                weights[k] + (extra * shares[k] if allowed[k] and not candidates[k] else 0.0)
                for k in range(n)
            ]
        if sum(weights) == 0.0:  # shares all 0 (non-negative: no sum cancels): equal weights
            weights = [1.0 if c else 0.0 for c in candidates]
        choice = self.choice
        if choice is not None and not choice.neutral:
            utility = choice.utility_one(author, kind)
            top = max(utility)
            factors = np.exp(np.array([v - top for v in utility])).tolist()
            weights = [w * f for w, f in zip(weights, factors, strict=True)]
        cumulative = 0.0
        running = []
        for w in weights:  # np.cumsum adds in order
            cumulative += w
            running.append(cumulative)
        threshold = u * cumulative
        picked = sum(1 for c in running if c <= threshold)
        return min(picked, n - 1)


# What `microgov list`, `microgov show` and the page say about each account, in order.
ACCOUNT_FACTS = (
    "account",
    "platform",
    "level",
    "follow share",
    "operators",
    "shifts",
    "mechanism",
    "departments",
)


def describe_accounts(scenario: Scenario) -> list[dict[str, str]]:
    """Each account of the scenario as text, keyed by ACCOUNT_FACTS (its one if implicit).

    The implicit account of a scenario that declares none is named as such
    (`government (implicit)`), so a reader sees where its settings come from.
    """
    every = len(scenario.topics)
    rows = []
    for plan in account_plans(scenario):
        departments = (
            "every"
            if len(plan.departments) == every
            else ", ".join(scenario.topics[i] for i in sorted(plan.departments)) or "none"
        )
        staffing = plan.staffing
        rows.append(
            {
                "account": plan.name + ("" if scenario.accounts else " (implicit)"),
                "platform": plan.platform.name,
                "level": plan.level,
                "follow share": f"{plan.follow_share:g}",
                "operators": str(staffing.operators),
                "shifts": staffing.shifts.replace("_", " "),
                "mechanism": plan.mechanism.preset,
                "departments": departments,
            }
        )
    return rows


def unit_names(scenario: Scenario) -> list[str]:
    """The accounts and then the platforms a run of the scenario reports metrics of.

    Empty for a scenario that declares no accounts: its runs report the overall
    metrics only (no `<metric>@<unit>` names).
    """
    if not scenario.accounts:
        return []
    plans = account_plans(scenario)
    return [*(p.name for p in plans), *dict.fromkeys(p.platform.name for p in plans)]
