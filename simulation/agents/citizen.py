"""Citizens: needs arising, channel choice, patience, judging replies, trust.

Citizens are real Mesa agents, but their hot state lives in the numpy arrays of
`Population` and the `Citizen` agent exposes it as attributes, so teaching code can
write `citizen.trust` while the hourly processes touch only the few citizens who do
something that hour (ARCHITECTURE.md principle 1).

- `Population`: the citizens' state arrays and their vectorised behaviour (needs,
  channel choice, patience draws, satisfaction, trust updates, exposures);
- `PatienceClock`: when each waiting author's patience runs out;
- `RepeatContacts`: authors who contact the government again about the same need — a
  follow-up after a reply that did not settle it, a reminder after their item was left;
- `Public`: what citizens do in a step — post their needs, judge replies, follow up,
  escalate or give up, learn from releases and from what they see spread.
"""

from __future__ import annotations

import heapq
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

import mesa
import numpy as np
from mesa.agentset import AgentSet

from simulation.codes import (
    BOILERPLATE,
    COMPLAINT,
    CONSULTATION,
    FOLLOW_UP,
    HOURS_PER_DAY,
    MENTION,
    NEED_KINDS,
    OPEN,
    PARTIAL,
    POST_NEGATIVE,
    POST_NEUTRAL,
    POST_RELEASE,
    PRIVATE,
    QUALITY_NAMES,
    REFERRED,
    REMINDER,
    REQUEST,
    RUMOUR,
    SILENT,
    SUBSTANTIVE,
    VENT,
    WEEKDAYS,
)
from simulation.diffusion import sorted_unique
from simulation.events import (
    EventBus,
    ExposureBatch,
    Left,
    NeedsArose,
    NeedsKeptSilent,
    Referred,
    Replied,
    Returned,
    TurnedAway,
)

if TYPE_CHECKING:
    from simulation.accounts import AccountRouter
    from simulation.agents.channel_choice import Failover
    from simulation.diffusion import Spreading
    from simulation.items import ItemLifecycle, ItemStore
    from simulation.network import FollowerGraph
    from simulation.platform_rules import AfterHours, CallerPatience, CallTimes
    from simulation.scenario import Scenario
    from simulation.schedule import Schedule

# Hour-of-day activity of micro-blog users: quiet before dawn, evening peak.
WEIBO_RHYTHM = np.array(
    [0.9, 0.5, 0.3, 0.2, 0.15, 0.15, 0.3, 0.6, 0.9, 1.1, 1.2, 1.2]
    + [1.2, 1.1, 1.1, 1.1, 1.1, 1.1, 1.2, 1.4, 1.6, 1.8, 1.8, 1.4]
)


class Citizen(mesa.Agent):
    """A member of the public. Attributes read and write the population arrays."""

    def __init__(
        self,
        model: mesa.Model,
        index: int,
        population: Population,
        graph: FollowerGraph,
        items: ItemStore,
    ):
        super().__init__(model)
        self.index = index
        self._population = population
        self._graph = graph
        self._items = items

    @classmethod
    def view(
        cls,
        model: mesa.Model,
        index: int,
        population: Population,
        graph: FollowerGraph,
        items: ItemStore,
    ) -> Citizen:
        """The citizen as an agent *not* registered with the model (a light view).

        It reads and writes the same arrays as a registered one and has the
        `unique_id` it would have had (citizens are the model's first agents: index + 1),
        but it is not in `model.agents` (`Citizens` says when views are made).
        """
        citizen = cls.__new__(cls)
        citizen.model = model
        citizen.unique_id = index + 1
        citizen.pos = None
        citizen.index = index
        citizen._population = population
        citizen._graph = graph
        citizen._items = items
        return citizen

    @property
    def trust(self) -> float:
        """Trust in government now [0-1] (drift since the last change included)."""
        return self._population.trust_one(self.index)

    @trust.setter
    def trust(self, value: float) -> None:
        self._population.set_trust(self.index, value)

    @property
    def activity(self) -> float:
        """Relative posting activity (population mean 1)."""
        return float(self._population.activity[self.index])

    @property
    def follows_government(self) -> bool:
        """Whether the citizen follows the government account."""
        return bool(self._population.follows_government[self.index])

    @property
    def is_opinion_leader(self) -> bool:
        """Whether the citizen is among the most-followed (opinion leaders)."""
        return bool(self._population.is_leader[self.index])

    @property
    def followers(self) -> int:
        """How many citizens follow this one."""
        return int(self._graph.follower_counts[self.index])

    def items(self) -> np.ndarray:
        """Ids of the items this citizen has posted."""
        return np.flatnonzero(self._items.view("author") == self.index)


# Up to this many citizens, every citizen is a registered Mesa agent made when the model
# is built; above it they are views made on demand. Measured on the project's 2-core
# machine: a registered Citizen costs about 2.5 µs and 400 B to make (0.5 s and 80 MB at
# 200,000; 2.5-3 s and 0.4 GB at a million, as long as the rest of the build).
EAGER_CITIZEN_LIMIT = 200_000


class Citizens(Sequence[Citizen]):
    """`model.citizens`: citizen i is `model.citizens[i]`, a `Citizen` agent.

    *Eager* (`eager=True`): every citizen is made when the model is built and
    registered with it, so `model.agents`, `model.agents_by_type[Citizen]` and
    AgentSet operations on them include every citizen, as in any Mesa model.

    *On demand* (`eager=False`): no citizen is made when the model is built. Citizen i
    is a view (`Citizen.view`), made the first time it is asked for and then kept, so
    `model.citizens[i] is model.citizens[i]`; it reads and writes the live arrays as a
    registered agent does and has the same `unique_id`, but views are not registered:
    `model.agents` holds the operators and departments only, and
    `model.agents_by_type` has no `Citizen` entry. `agentset()` gives an AgentSet of
    some or all citizens for Mesa's set operations (`select`, `agg`, `do`, ...).
    Iterating over all citizens makes (and keeps) a view of each.

    Either way the citizens' `unique_id`s are 1..n and the staff's follow, so the
    ids, like every output, do not depend on the mode.
    """

    def __init__(
        self,
        model: mesa.Model,
        population: Population,
        graph: FollowerGraph,
        items: ItemStore,
        eager: bool,
    ):
        self._model = model
        self._arrays = (population, graph, items)
        self._n = population.n
        self.eager = eager
        self._made: dict[int, Citizen] = {}
        self._agents: list[Citizen] = []
        if eager:
            self._agents = [Citizen(model, i, *self._arrays) for i in range(self._n)]
        else:
            model.agent_id_counter += self._n  # the ids the citizens would have taken

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> Citizen: ...

    @overload
    def __getitem__(self, index: slice) -> list[Citizen]: ...

    def __getitem__(self, index: int | slice) -> Citizen | list[Citizen]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._n))]
        if self.eager:
            return self._agents[index]
        i = operator.index(index)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"citizen index {index} out of range (there are {self._n:,})")
        citizen = self._made.get(i)
        if citizen is None:
            citizen = self._made[i] = Citizen.view(self._model, i, *self._arrays)
        return citizen

    def __iter__(self) -> Iterator[Citizen]:
        if self.eager:
            return iter(self._agents)
        return (self[i] for i in range(self._n))

    def agentset(self, indices: Iterable[int] | None = None) -> AgentSet:
        """An AgentSet of the citizens at `indices` (all when None), in that order.

        Eager, the registered agents themselves; on demand, their views (which this
        collection keeps, so the AgentSet's weak references hold).
        """
        chosen = range(self._n) if indices is None else indices
        return AgentSet([self[int(i)] for i in chosen], random=self._model.random)


@dataclass
class NeedBatch:
    """The needs that arose in one hour (one entry per need)."""

    created: np.ndarray
    author: np.ndarray
    kind: np.ndarray
    topic: np.ndarray
    second_topic: np.ndarray
    complexity: np.ndarray

    def __len__(self) -> int:
        return len(self.created)

    def select(self, mask: np.ndarray) -> NeedBatch:
        """The needs where `mask` is true (or at the indices `mask` lists)."""
        return NeedBatch(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    @staticmethod
    def concatenate(batches: Sequence[NeedBatch]) -> NeedBatch:
        """The needs of several batches, in order."""
        fields = NeedBatch.__dataclass_fields__
        return NeedBatch(*(np.concatenate([getattr(b, f) for b in batches]) for f in fields))


class Population:
    """State arrays of all citizens and their vectorised behaviour."""

    def __init__(self, scenario: Scenario, n: int, follows: np.ndarray, leaders: np.ndarray, rng):
        pop = scenario.population
        self.n = n
        self.settings = pop
        self.channels = scenario.channels
        self.reactions = scenario.reactions
        a = pop.initial_trust_mean * pop.initial_trust_concentration
        b = (1.0 - pop.initial_trust_mean) * pop.initial_trust_concentration
        # Trust is kept lazily: its value at each citizen's last change, and that hour.
        # Between changes it drifts back towards the initial trust in closed form
        # (`trust_at`), so the cost follows the events, not the population.
        self.initial_trust = rng.beta(a, b, size=n)
        self.initial_mean_trust = float(self.initial_trust.mean())
        self._trust = self.initial_trust.copy()
        self._changed_at = np.zeros(n)
        self.now = 0.0  # hour the model has reached; the model moves it on each step
        half_life_hours = self.reactions.trust_half_life_days * HOURS_PER_DAY
        self._drift_rate = math.log(2.0) / half_life_hours  # per hour; 0 when the drift is off
        # Pareto activity, mean 1: a few per cent of users write most posts.
        raw = rng.pareto(pop.activity_pareto_shape, size=n) + 1.0
        self.activity = raw / raw.mean()
        self._cumulative_activity = np.cumsum(self.activity)
        self._cumulative_activity /= self._cumulative_activity[-1]
        self.follows_government = follows
        self.is_leader = leaders
        # The wait each citizen expects at each account (citizens × accounts) [hours],
        # float32; only with several accounts (`simulation.agents.channel_choice`).
        self.expected_wait: np.ndarray | None = None
        if pop.daily_rhythm == "weibo":
            rhythm = WEIBO_RHYTHM
        elif pop.daily_rhythm == "flat":
            rhythm = np.ones(24)
        else:
            rhythm = np.asarray(pop.daily_rhythm, dtype=float)
        self.rhythm = rhythm * 24.0 / rhythm.sum()
        weekly = np.ones(7) if pop.weekly_rhythm == "flat" else np.asarray(pop.weekly_rhythm)
        self.weekly_rhythm = weekly * 7.0 / weekly.sum()  # Monday first, mean 1
        self.start_weekday = WEEKDAYS.index(scenario.run.start_weekday)
        self.topics = scenario.topics
        kind_mix = np.array([pop.kind_mix.get(k, 0.0) for k in NEED_KINDS])
        topic_mix = np.array([pop.topic_mix.get(t, 0.0) for t in self.topics])
        self.kind_mix = kind_mix / kind_mix.sum()
        self.topic_mix = topic_mix / topic_mix.sum()
        self.vent_probability = np.array([self.channels.vent_probability[k] for k in NEED_KINDS])
        self.quality_satisfaction = {
            SUBSTANTIVE: self.reactions.quality_satisfaction["substantive"],
            PARTIAL: self.reactions.quality_satisfaction["partial"],
            BOILERPLATE: self.reactions.quality_satisfaction["boilerplate"],
        }

    # ------------------------------------------------------------- needs arise

    def need_rates(self, t: int, multiplier: np.ndarray) -> np.ndarray:
        """Expected new needs in hour `t` of the run by (kind, topic); `multiplier` has that shape.

        The rate is the daily rate spread over the hours by the daily rhythm, times the
        weekly rhythm's weight of the day's weekday (both mean 1).
        """
        day, hour_of_day = divmod(t, HOURS_PER_DAY)
        weekday = (day + self.start_weekday) % 7
        base = self.n * self.settings.need_rate_per_day / 24.0 * self.rhythm[hour_of_day]
        base *= self.weekly_rhythm[weekday]
        return base * np.outer(self.kind_mix, self.topic_mix) * multiplier

    def arise_needs(self, t: int, rates: np.ndarray, rng: np.random.Generator) -> NeedBatch:
        """Draw this hour's needs: Poisson counts per (kind, topic), authors by activity."""
        counts = rng.poisson(rates).ravel()
        total = int(counts.sum())
        n_topics = rates.shape[1]
        cells = np.repeat(np.arange(len(counts)), counts)
        kind, topic = np.divmod(cells, n_topics)
        created = t + np.sort(rng.random(total))
        order = rng.permutation(total)  # times are sorted; shuffle which need gets which
        kind, topic = kind[order], topic[order]
        author = np.searchsorted(self._cumulative_activity, rng.random(total), side="right")
        author = np.minimum(author, self.n - 1)
        m = self.settings.complexity_mean
        k = self.settings.complexity_concentration
        complexity = rng.beta(k * m, k * (1.0 - m), size=total)
        second = np.full(total, -1)
        demands = (kind == REQUEST) | (kind == COMPLAINT)
        multi = demands & (rng.random(total) < self.settings.multi_department_share)
        if n_topics > 1 and multi.any():
            shift = rng.integers(1, n_topics, size=int(multi.sum()))
            second[multi] = (topic[multi] + shift) % n_topics
        return NeedBatch(created, author, kind, topic, second, complexity)

    # ---------------------------------------------------------- channel choice

    def choose_channels(self, needs: NeedBatch, rng: np.random.Generator) -> np.ndarray:
        """Where each need is posted: MENTION, PRIVATE, VENT or SILENT.

        Trust decides three things: whether a need is voiced at all (low trust, low
        efficacy: more kept silent), whether a follower addresses the government (high
        trust), and how readily the others vent in public (low trust). `rng` gives four
        numbers to every need whatever becomes of it, so two runs with the same needs
        choose the same channel for every need whose author trusts alike in both.
        """
        ch = self.channels
        trust = self.trust_of(needs.author)
        p_voice = np.clip(1.0 - ch.voice_trust_slope * (0.5 - trust), 0.0, 1.0)
        p_address = np.clip(ch.address_base + ch.address_trust_slope * (trust - 0.5), 0.0, 1.0)
        p_address = np.where(
            self.follows_government[needs.author], p_address, p_address * ch.non_follower_factor
        )
        p_vent = self.vent_probability[needs.kind] * (1.0 + ch.vent_trust_slope * (0.5 - trust))
        u = rng.random((4, len(needs)))
        voiced = u[3] < p_voice
        addressed = voiced & (u[0] < p_address)
        public = u[1] < ch.public_share
        vents = voiced & ~addressed & (u[2] < np.clip(p_vent, 0.0, 1.0))
        channel = np.full(len(needs), SILENT)
        channel[addressed & public] = MENTION
        channel[addressed & ~public] = PRIVATE
        channel[vents] = VENT
        return channel

    def draw_patience(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Hours each citizen will wait for a first reply."""
        pop = self.settings
        if pop.patience_distribution == "none":
            return np.full(count, np.inf)
        if pop.patience_distribution == "exponential":
            return rng.exponential(pop.patience_mean_hours, size=count)
        sigma2 = np.log1p(pop.patience_cv**2)
        mu = np.log(pop.patience_mean_hours) - sigma2 / 2.0
        return rng.lognormal(mu, np.sqrt(sigma2), size=count)

    # ------------------------------------------------------------- reactions

    def satisfaction(self, quality: np.ndarray, reply_hours: np.ndarray) -> np.ndarray:
        """Satisfaction with replies: quality against expectation, minus lateness [-1, 1]."""
        r = self.reactions
        base = np.array([self.quality_satisfaction.get(int(q), 0.0) for q in quality])
        late = np.maximum(0.0, reply_hours / r.expected_reply_hours - 1.0)
        return np.clip(base - r.lateness_penalty * late, -1.0, 1.0)

    def follow_up_probability(self, satisfaction: float, patience_hours: float) -> float:
        """Chance that an author follows up a reply they judged `satisfaction` [-1, 1].

        Linear in the dissatisfaction (1 - s) / 2 and in the impatience h / (h + P) of an
        author with patience P [hours] (h: `follow_up_reference_patience_hours`), clipped
        to [0, 1]; constant (`follow_up_base`) when both weights are 0 (the immediate
        Bernoulli feedback limit).
        """
        r = self.reactions
        dissatisfaction = (1.0 - satisfaction) / 2.0
        h = r.follow_up_reference_patience_hours
        impatience = h / (h + patience_hours) if math.isfinite(patience_hours) else 0.0
        p = (
            r.follow_up_base
            + r.follow_up_dissatisfaction_weight * dissatisfaction
            + r.follow_up_impatience_weight * impatience
        )
        return min(1.0, max(0.0, p))

    # ------------------------------------------------------------------ trust

    @property
    def trust(self) -> np.ndarray:
        """Every citizen's trust at `now` [0-1] (a read-only copy; see `set_trust`)."""
        return self.trust_at(self.now)

    def trust_at(self, hour: float) -> np.ndarray:
        """Every citizen's trust at `hour` (not before their last change), in closed form."""
        values = self._drifted(slice(None), hour)
        values.flags.writeable = False
        return values

    def trust_of(self, citizens: np.ndarray) -> np.ndarray:
        """Trust of the given citizens at `now`."""
        return self._drifted(citizens, self.now)

    def trust_one(self, citizen: int) -> float:
        """Trust of one citizen at `now` (`_drifted` for one, without arrays)."""
        trust = float(self._trust[citizen])
        if self._drift_rate == 0.0:
            return trust
        anchor = float(self.initial_trust[citizen])
        elapsed = max(self.now - float(self._changed_at[citizen]), 0.0)
        return anchor + (trust - anchor) * math.exp(-self._drift_rate * elapsed)

    def set_trust(self, citizen: int, value: float) -> None:
        """Set one citizen's trust now (clipped to [0, 1]); it drifts on from there."""
        self._trust[citizen] = min(1.0, max(0.0, value))
        self._changed_at[citizen] = self.now

    def _drifted(self, citizens: np.ndarray | slice, hour: float) -> np.ndarray:
        """T(hour) = T0 + (T(last change) − T0) · 2^(−elapsed / half-life)."""
        trust = self._trust[citizens]
        if self._drift_rate == 0.0:
            return trust.copy()
        anchor = self.initial_trust[citizens]
        elapsed = np.maximum(hour - self._changed_at[citizens], 0.0)
        return anchor + (trust - anchor) * np.exp(-self._drift_rate * elapsed)

    def _bring_up_to_date(self, citizens: np.ndarray) -> None:
        """Fold the drift since their last change into the stored trust of `citizens`."""
        if self._drift_rate == 0.0:
            return
        self._trust[citizens] = self._drifted(citizens, self.now)
        self._changed_at[citizens] = self.now

    def update_trust(self, citizens: np.ndarray, satisfaction: np.ndarray) -> None:
        """Asymmetric update: losses move trust faster than gains; stays in [0, 1]."""
        r = self.reactions
        self._bring_up_to_date(citizens)
        trust = self._trust[citizens]
        gain = r.trust_gain * np.maximum(satisfaction, 0.0) * (1.0 - trust)
        loss = r.trust_loss * np.maximum(-satisfaction, 0.0) * trust
        # Judgements of one citizen in the same hour are each computed from the trust at
        # the start of the hour and then added up.
        np.add.at(self._trust, citizens, gain - loss)
        self._trust[citizens] = np.clip(self._trust[citizens], 0.0, 1.0)

    def update_trust_one(self, citizen: int, satisfaction: float) -> None:
        """`update_trust` for a single judgement (the common case when patience runs out)."""
        r = self.reactions
        trust = self.trust_one(citizen)
        if satisfaction >= 0.0:
            trust += r.trust_gain * satisfaction * (1.0 - trust)
        else:
            trust += r.trust_loss * satisfaction * trust
        self.set_trust(citizen, trust)

    def expose_batch(
        self, exposed: np.ndarray, owner: np.ndarray, loss: np.ndarray, gain: np.ndarray
    ) -> None:
        """Trust change of everyone who saw a post this generation, one entry per viewer.

        `owner[j]` is the post viewer j saw; `loss`/`gain` are per post: a loss takes
        that share of current trust, a gain that share of the gap to full trust. The
        caller passes each (post, viewer) pair at most once over the post's life
        (`Generation.first_sight`): seeing a post again changes nothing.
        """
        if not len(exposed):
            return
        citizen = exposed < self.n  # the government account has no trust
        loss_e, gain_e = loss[owner], gain[owner]
        hurt = citizen & (loss_e > 0.0)
        helped = citizen & (gain_e > 0.0)
        self._bring_up_to_date(exposed[hurt | helped])
        if hurt.any():
            np.multiply.at(self._trust, exposed[hurt], 1.0 - loss_e[hurt])
        if helped.any():
            order = np.argsort(exposed[helped], kind="stable")
            targets = exposed[helped][order]
            factors = (1.0 - gain_e[helped])[order]
            starts = np.flatnonzero(np.concatenate(([True], targets[1:] != targets[:-1])))
            keep = np.multiply.reduceat(factors, starts)
            nodes = targets[starts]
            self._trust[nodes] = 1.0 - (1.0 - self._trust[nodes]) * keep


class PatienceClock:
    """When each waiting author's patience runs out: a heap of (time, item).

    An entry is stale once the item's `expire_at` moved on; stale entries are skipped
    when they come up. Patience that runs out while an operator holds the item is
    judged again as soon as the operator lets go of it (refers, leaves or bounces it).
    """

    def __init__(self, lifecycle: ItemLifecycle, population: Population, rng, events: EventBus):
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.population = population
        self.rng = rng  # the channels stream: patience drawn when an item is received
        self.heap: list[tuple[float, int]] = []
        events.subscribe(Referred, self._on_let_go)
        events.subscribe(Left, self._on_let_go)
        events.subscribe(Returned, self._on_let_go)

    def push(self, when: float, item: int) -> None:
        """Judge the item's patience again at `when`."""
        heapq.heappush(self.heap, (when, item))

    def start(self, item: int, now: float) -> None:
        """The author of an item just received starts waiting."""
        patience = float(self.population.draw_patience(1, self.rng)[0])
        self.lifecycle.set_patience(item, now + patience, patience)
        expire = self.items.expire_at[item]
        if math.isfinite(expire):
            self.push(float(expire), item)

    def _on_let_go(self, event: Referred | Left | Returned) -> None:
        item, now = event.item, event.time
        expire = self.items.expire_at[item]
        if expire <= now and math.isfinite(expire):
            self.lifecycle.set_patience(item, now)
            self.push(now, item)

    def due_before(self, until: float):
        """Items whose patience ran out before `until`, still waiting, not in service."""
        heap, items = self.heap, self.items
        while heap and heap[0][0] < until:
            when, item = heapq.heappop(heap)
            if items.expire_at[item] != when or items.status[item] not in (OPEN, REFERRED):
                continue
            if items.in_service[item]:
                continue  # an operator is on it; patience is judged again if it is left
            yield when, item


class RepeatContacts:
    """Authors who contact the government again about a need their last contact left open.

    - **Follow-up**: an author who judged a reply of a quality in
      `reactions.follow_up_qualities` follows it up with
      `Population.follow_up_probability` (the less satisfied and the less patient, the
      likelier), an exponential `follow_up_delay_hours` after the reply, at most
      `max_follow_ups` times per need. The answered item re-opens: the author waits
      again, with the patience they had for the need, from the follow-up on.
    - **Reminder**: the author of an item an operator left hears nothing; with
      `reminder_probability` they post it again an exponential `reminder_delay_hours`
      after it was left, if their patience has not run out by then, at most
      `max_reminders` times per need. They go on waiting as before (same patience).

    Either is a new contact: the item gets a new version and goes back into the inbox
    (`ItemLifecycle.follow_up`, `remind`; event `Reopened`). A contact due within the
    hour being worked is made at once — its ticket becomes available at its exact time,
    as a post made later in the hour does; a later one waits until phase 2 of its hour
    (`post_due`). A scheduled contact is dropped if the item changed meanwhile (its
    version moved on). Draws come from the `contacts` stream.
    """

    def __init__(
        self,
        scenario: Scenario,
        population: Population,
        lifecycle: ItemLifecycle,
        patience: PatienceClock,
        rng: np.random.Generator,
        events: EventBus,
    ):
        self.reactions = reactions = scenario.reactions
        self.population = population
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.patience = patience
        self.rng = rng
        self.events = events
        self.qualities = frozenset(
            code for code, name in QUALITY_NAMES.items() if name in reactions.follow_up_qualities
        )
        self.heap: list[tuple[float, int, int, int]] = []  # (due, item, version, reason)
        if reactions.max_reminders > 0 and reactions.reminder_probability > 0.0:
            events.subscribe(Left, self._on_left)

    def may_follow_up(self, event: Replied) -> bool:
        """Whether the author of this reply is one who might follow it up at all."""
        return (
            event.quality in self.qualities
            and self.items.follow_ups[event.item] < self.reactions.max_follow_ups
        )

    def after_reply(
        self, event: Replied, satisfaction: float, before_reopening: Callable[[int], None]
    ) -> None:
        """Whether and when the author follows up a reply they judged `satisfaction`.

        `before_reopening(item)` is called just before a follow-up re-opens the item
        within the hour (the author has judged the reply by then).
        """
        item = event.item
        p = self.population.follow_up_probability(satisfaction, float(self.items.patience[item]))
        if p <= 0.0 or not self.rng.random() < p:
            return
        due = event.time + self._delay(self.reactions.follow_up_delay_hours)
        if due < math.floor(event.time) + 1:

            def follow_up_now() -> None:
                before_reopening(item)
                self._follow_up(item, due)

            # Once everyone has heard of the reply: the item is still as it was posted.
            self.events.after_current(follow_up_now)
        else:
            heapq.heappush(self.heap, (due, item, int(self.items.version[item]), FOLLOW_UP))

    def _on_left(self, event: Left) -> None:
        item, now = event.item, event.time
        store = self.items
        reactions = self.reactions
        if store.reminders[item] >= reactions.max_reminders:
            return
        if not self.rng.random() < reactions.reminder_probability:
            return
        due = now + self._delay(reactions.reminder_delay_hours)
        if not due < store.expire_at[item]:
            return  # patience runs out first: they escalate or give up instead
        if due < math.floor(now) + 1:
            self.events.after_current(lambda: self.lifecycle.remind(item, due))
        else:
            heapq.heappush(self.heap, (due, item, int(store.version[item]), REMINDER))

    def _delay(self, mean_hours: float) -> float:
        return float(self.rng.exponential(mean_hours)) if mean_hours > 0.0 else 0.0

    def _follow_up(self, item: int, due: float) -> None:
        expire = due + float(self.items.patience[item])
        if self.lifecycle.follow_up(item, due, expire) and math.isfinite(expire):
            self.patience.push(expire, item)

    def post_due(self, until: float) -> None:
        """Make the scheduled contacts due before `until` whose items are as they were."""
        heap, store = self.heap, self.items
        while heap and heap[0][0] < until:
            due, item, version, reason = heapq.heappop(heap)
            if store.version[item] != version:
                continue  # escalated, re-queued or closed since: the contact is moot
            if reason == FOLLOW_UP:
                self._follow_up(item, due)
            elif not store.in_service[item] and due < store.expire_at[item]:
                self.lifecycle.remind(item, due)


def _timed_select(needs: NeedBatch, rows: np.ndarray, when: np.ndarray) -> NeedBatch:
    """The needs at `rows` (indices), created at their call times `when[rows]`."""
    return NeedBatch(
        when[rows],
        needs.author[rows],
        needs.kind[rows],
        needs.topic[rows],
        needs.second_topic[rows],
        needs.complexity[rows],
    )


class Public:
    """What citizens do in a step, as the model's phases ask for it."""

    def __init__(
        self,
        scenario: Scenario,
        population: Population,
        lifecycle: ItemLifecycle,
        events: EventBus,
        spreading: Spreading,
        schedule: Schedule,
        deadline_for: Callable[[float, int], float],
        streams,
        router: AccountRouter,
        callers: CallerPatience | None = None,
        call_times: CallTimes | None = None,
        after_hours: AfterHours | None = None,
    ):
        self.population = population
        self.router = router  # which account each addressed need goes to
        self.failover: Failover | None = None  # turning to another account (several only)
        self.callers = callers  # hotline callers' own patience (None: no hotline)
        self.call_times = call_times  # when hotline callers call (None: as needs arise)
        self.after_hours = after_hours  # calls out of human hours told the hours (or None)
        # Calls to be made in a later hour (their call rhythm): hour → (needs, channel, account).
        self._calls_later: dict[int, list[tuple[NeedBatch, np.ndarray, np.ndarray]]] = {}
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.events = events
        self.spreading = spreading
        self.schedule = schedule
        self.deadline_for = deadline_for
        self.settings = scenario.population
        self.reactions = scenario.reactions
        self.diffusion = scenario.diffusion
        self.n_topics = len(scenario.topics)
        self.needs_rng = streams["needs"]
        self.channels_rng = streams["channels"]
        self.voice_rng = streams["voice"]
        self.reactions_rng = streams["reactions"]
        self.threats_rng = streams["threats"]
        self.patience = PatienceClock(lifecycle, population, self.channels_rng, events)
        self.contacts = RepeatContacts(
            scenario, population, lifecycle, self.patience, streams["contacts"], events
        )
        # What releases taught, per topic [0-1]; it fades with a half-life.
        self.knowledge = np.zeros(self.n_topics)
        self._knowledge_decay = 0.5 ** (1.0 / (24.0 * self.settings.knowledge_half_life_days))
        self.needs: NeedBatch | None = None  # the needs that arose this hour
        # Replies of this hour to be judged: item → (quality, hours the author waited).
        self._judgements: dict[int, tuple[int, float]] = {}
        events.subscribe(Replied, self._on_replied)
        events.subscribe(ExposureBatch, self._on_exposures)
        if after_hours is not None:
            events.subscribe(TurnedAway, self._on_turned_away)

    # -------------------------------------------------------------- needs and posts

    def arise_needs(self, t: int) -> None:
        """This hour's needs by kind and topic: rhythm, scheduled bursts, what releases taught."""
        multiplier = self.schedule.need_multiplier(t, len(NEED_KINDS), self.n_topics)
        reduction = self.settings.release_consultation_reduction
        multiplier[CONSULTATION] *= 1.0 - reduction * self.knowledge
        rates = self.population.need_rates(t, multiplier)
        self.needs = self.population.arise_needs(t, rates, self.needs_rng)
        self.events.publish(NeedsArose(t, len(self.needs)))

    def post_needs(self, t: int) -> None:
        """Each need is @-mentioned, sent privately, vented in public or kept silent.

        An addressed need goes to one of the government's accounts (`AccountRouter`),
        whose platform may make a would-be public post private (WeChat, hotline); a
        hotline caller's patience is their own (`CallerPatience`), and where the hotline
        has a call rhythm the call is made at its time (`CallTimes`): this hour, or held
        for a later one, when it is posted with that hour's needs.
        """
        needs = self.needs
        batch = None
        if needs is not None and len(needs):
            channel = self.population.choose_channels(needs, self.voice_rng)
            self.events.publish(NeedsKeptSilent(t, int((channel == SILENT).sum())))
            posted = channel != SILENT
            needs, channel = needs.select(posted), channel[posted]
            if len(needs):
                account, channel = self.router.route(needs.author, channel, needs.kind)
                batch = (needs, channel, account)
        if self.call_times is not None:
            batch = self._calls_of_the_hour(t, batch)
        if batch is not None:
            self._post(t, *batch)

    def _calls_of_the_hour(
        self, t: int, batch: tuple[NeedBatch, np.ndarray, np.ndarray] | None
    ) -> tuple[NeedBatch, np.ndarray, np.ndarray] | None:
        """This hour's posts with each call at its time: later calls held, due ones added."""
        assert self.call_times is not None
        parts = []
        if batch is not None:
            needs, channel, account = batch
            when = self.call_times.times(account, needs.created)
            hour = np.floor(when).astype(np.int64)
            later_rows = np.flatnonzero(hour > t)
            if len(later_rows):
                # The held calls of each later hour, in their order in the batch: one stable
                # sort by hour, split where the hour changes (not a mask per hour).
                by_hour = later_rows[np.argsort(hour[later_rows], kind="stable")]
                hours = hour[by_hour]
                starts = np.flatnonzero(np.diff(hours, prepend=-1))
                for start, end in zip(
                    starts.tolist(), [*starts[1:].tolist(), len(by_hour)], strict=True
                ):
                    rows = by_hour[start:end]
                    held = (_timed_select(needs, rows, when), channel[rows], account[rows])
                    self._calls_later.setdefault(int(hours[start]), []).append(held)
            now = np.flatnonzero(hour <= t)
            parts.append((_timed_select(needs, now, when), channel[now], account[now]))
        parts.extend(self._calls_later.pop(t, []))
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        needs = NeedBatch.concatenate([p[0] for p in parts])
        channel = np.concatenate([p[1] for p in parts])
        account = np.concatenate([p[2] for p in parts])
        order = np.argsort(needs.created, kind="stable")  # posted in time order
        return needs.select(order), channel[order], account[order]

    def _post(self, t: int, needs: NeedBatch, channel: np.ndarray, account: np.ndarray) -> None:
        """Post needs routed to their accounts (each row a first contact)."""
        if not len(needs):
            return
        addressed = channel != VENT
        patience = self.population.draw_patience(len(needs), self.channels_rng)
        if self.callers is not None:  # callers wait minutes, not hours (own stream)
            patience = self.callers.redraw(account, patience)
        patience = np.where(addressed, patience, np.inf)  # a vent's is drawn if it is found
        expire = needs.created + patience
        deadline = np.array(
            [
                self.deadline_for(created, kind) if a else math.inf
                for created, kind, a in zip(
                    needs.created.tolist(), needs.kind.tolist(), addressed.tolist(), strict=True
                )
            ]
        )
        threat = None
        if self.settings.threat_share > 0.0:
            stated = self.threats_rng.random(len(needs)) < self.settings.threat_share
            threat = addressed & stated
        ids = self.lifecycle.post_needs(t, needs, channel, patience, deadline, threat, account)
        for j, item in enumerate(ids.tolist()):
            if addressed[j] and math.isfinite(expire[j]):
                self.patience.push(float(expire[j]), item)
        probability = self.diffusion.repost_probability
        for j, item in enumerate(ids.tolist()):
            if channel[j] in (MENTION, VENT):
                negative = channel[j] == VENT or needs.kind[j] == COMPLAINT
                self.spreading.start(
                    POST_NEGATIVE if negative else POST_NEUTRAL,
                    int(needs.author[j]),
                    float(needs.created[j]),
                    probability,
                    item=item,
                )

    def post_repeat_contacts(self, t: int) -> None:
        """Follow-ups, reminders and call-backs due this hour return; failovers go out."""
        self.contacts.post_due(float(t + 1))
        if self.after_hours is not None:
            for expire, item in self.after_hours.post_due(float(t + 1)):
                if math.isfinite(expire):
                    self.patience.push(expire, item)
        if self.failover is not None:
            self.failover.post_due(t)

    def post_failover(
        self, failed: int, account: int, now: float, channel: int, patience: float
    ) -> int:
        """A failed contact's author turns to `account` (`Failover`): post it, wait, spread."""
        store = self.items
        kind = int(store.kind[failed])
        deadline = self.deadline_for(now, kind)
        item = self.lifecycle.post_failover(
            int(now), failed, account, now, channel, patience, deadline
        )
        expire = float(store.expire_at[item])
        if math.isfinite(expire):
            self.patience.push(expire, item)
        if channel == MENTION:
            self.spreading.start(
                POST_NEGATIVE if kind == COMPLAINT else POST_NEUTRAL,
                int(store.author[item]),
                now,
                self.diffusion.repost_probability,
                item=item,
            )
        return item

    # -------------------------------------------------------------- reactions

    def react(self, t: int) -> None:
        """Judge this hour's replies; escalate or give up past patience; releases fade."""
        self._judge_replies()
        self._patience_runs_out(float(t + 1))
        self.knowledge *= self._knowledge_decay

    def _on_replied(self, event: Replied) -> None:
        self._judgements[event.item] = (event.quality, event.wait_hours)
        if self.contacts.may_follow_up(event):
            satisfaction = self.population.satisfaction(
                np.array([event.quality]), np.array([event.wait_hours])
            )
            self.contacts.after_reply(event, float(satisfaction[0]), self._judge_now)

    def _judge_now(self, item: int) -> None:
        """Judge one reply at once (its author follows it up before the hour is over)."""
        judgement = self._judgements.pop(item, None)
        if judgement is not None:
            self._judge(np.array([item]), np.array([judgement[0]]), np.array([judgement[1]]))

    def _judge_replies(self) -> None:
        """This hour's replies are judged (see `_judge`)."""
        if not self._judgements:
            return
        rows = np.fromiter(self._judgements, dtype=np.int64, count=len(self._judgements))
        quality = np.array([q for q, _ in self._judgements.values()])
        waited = np.array([w for _, w in self._judgements.values()])
        self._judgements.clear()
        self._judge(rows, quality, waited)

    def _judge(self, rows: np.ndarray, quality: np.ndarray, waited: np.ndarray) -> None:
        """Satisfaction from quality and lateness moves trust; some authors rate the reply.

        Lateness counts from the start of the author's wait: their post, or their last
        follow-up (a reminder does not restart it).
        """
        store = self.items
        need = store.kind[rows] != RUMOUR
        rows, quality, waited = rows[need], quality[need], waited[need]
        if not len(rows):
            return
        satisfaction = self.population.satisfaction(quality, waited)
        self.population.update_trust(store.author[rows], satisfaction)
        rated = self.reactions_rng.random(len(rows)) < self.reactions.rating_probability
        self.lifecycle.judge(rows, satisfaction, rated)

    def _patience_runs_out(self, until: float) -> None:
        reactions = self.reactions
        rng = self.reactions_rng
        store = self.items
        callers = self.callers
        for when, item in self.patience.due_before(until):
            author = int(store.author[item])
            if callers is not None and callers.is_call(int(store.account[item])):
                # A caller hangs up: no escalation, no public trace (simulation.platform_rules).
                self._give_up_call(item, when)
            elif (
                store.escalations[item] < reactions.max_escalations
                and rng.random() < reactions.escalation_probability
            ):
                self._escalate(item, when)
                self.population.update_trust_one(author, reactions.escalation_satisfaction)
            else:
                self.lifecycle.abandon(item, when)
                self.population.update_trust_one(author, reactions.abandonment_satisfaction)

    def _give_up_call(self, item: int, when: float) -> None:
        """A caller gives the need up: abandoned, nothing posted."""
        self.lifecycle.abandon(item, when)
        author = int(self.items.author[item])
        self.population.update_trust_one(author, self.reactions.abandonment_satisfaction)

    def _on_turned_away(self, event: TurnedAway) -> None:
        """A caller told the hours who will not call again gives the need up."""
        if not event.calls_back:
            self._give_up_call(event.item, event.time)

    def _escalate(self, item: int, when: float) -> None:
        """Public negative re-post, complaint upward; patience starts again."""
        self.lifecycle.escalate(item, when)
        patience = self.population.draw_patience(1, self.reactions_rng)[0]
        expire = when + patience * self.reactions.escalation_patience_factor
        self.lifecycle.set_patience(item, expire)
        self.patience.push(float(self.items.expire_at[item]), item)
        self.spreading.start(
            POST_NEGATIVE,
            int(self.items.author[item]),
            when,
            self.diffusion.repost_probability,
            item=item,
        )

    # -------------------------------------------------------------- what people see

    def _on_exposures(self, event: ExposureBatch) -> None:
        """Exposures move trust; releases that reach people teach them."""
        generation = event.generation
        first = generation.first_sight
        self.population.expose_batch(
            generation.exposed[first], generation.owner[first], event.loss, event.gain
        )
        informativeness = self.settings.release_informativeness
        for i, cascade in enumerate(event.cascades):
            if cascade.item >= 0 or cascade.post_type != POST_RELEASE:
                continue
            if not generation.impressions[i]:
                continue
            reached = sorted_unique(generation.exposed_by(i))
            reach = min(1.0, len(reached) / self.population.n)
            k = self.knowledge[cascade.topic]
            self.knowledge[cascade.topic] = k + (1.0 - k) * informativeness * reach
