"""Citizens: needs arising, channel choice, patience, judging replies, trust.

Citizens are real Mesa agents, but their hot state lives in the model-owned numpy
arrays of `Population` and the `Citizen` agent exposes it as attributes, so teaching
code can write `citizen.trust` while the hourly processes touch only the few citizens
who do something that hour (ARCHITECTURE.md principle 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.codes import (
    BOILERPLATE,
    COMPLAINT,
    MENTION,
    NEED_KINDS,
    PARTIAL,
    PRIVATE,
    REQUEST,
    SILENT,
    SUBSTANTIVE,
    VENT,
)
from simulation.scenario import Scenario

if TYPE_CHECKING:
    from simulation.model import GovernmentResponseModel

# Hour-of-day activity of micro-blog users: quiet before dawn, evening peak.
WEIBO_RHYTHM = np.array(
    [0.9, 0.5, 0.3, 0.2, 0.15, 0.15, 0.3, 0.6, 0.9, 1.1, 1.2, 1.2]
    + [1.2, 1.1, 1.1, 1.1, 1.1, 1.1, 1.2, 1.4, 1.6, 1.8, 1.8, 1.4]
)


class Citizen(mesa.Agent):
    """A member of the public. Attributes read and write the population arrays."""

    def __init__(self, model: GovernmentResponseModel, index: int):
        super().__init__(model)
        self.index = index

    @property
    def trust(self) -> float:
        """Trust in government [0-1]."""
        return float(self.model.population.trust[self.index])

    @trust.setter
    def trust(self, value: float) -> None:
        self.model.population.trust[self.index] = min(1.0, max(0.0, value))

    @property
    def activity(self) -> float:
        """Relative posting activity (population mean 1)."""
        return float(self.model.population.activity[self.index])

    @property
    def follows_government(self) -> bool:
        return bool(self.model.population.follows_government[self.index])

    @property
    def is_opinion_leader(self) -> bool:
        return bool(self.model.population.is_leader[self.index])

    @property
    def followers(self) -> int:
        return int(self.model.graph.follower_counts[self.index])

    def items(self) -> np.ndarray:
        """Ids of the items this citizen has posted."""
        return np.flatnonzero(self.model.items.view("author") == self.index)


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
        return NeedBatch(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


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
        self.trust = rng.beta(a, b, size=n)
        self.initial_mean_trust = float(self.trust.mean())
        # Pareto activity, mean 1: a few per cent of users write most posts.
        raw = rng.pareto(pop.activity_pareto_shape, size=n) + 1.0
        self.activity = raw / raw.mean()
        self._cumulative_activity = np.cumsum(self.activity)
        self._cumulative_activity /= self._cumulative_activity[-1]
        self.follows_government = follows
        self.is_leader = leaders
        if pop.daily_rhythm == "weibo":
            rhythm = WEIBO_RHYTHM
        elif pop.daily_rhythm == "flat":
            rhythm = np.ones(24)
        else:
            rhythm = np.asarray(pop.daily_rhythm, dtype=float)
        self.rhythm = rhythm * 24.0 / rhythm.sum()
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

    def need_rates(self, hour_of_day: int, multiplier: np.ndarray) -> np.ndarray:
        """Expected new needs this hour by (kind, topic); `multiplier` has that shape."""
        base = self.n * self.settings.need_rate_per_day / 24.0 * self.rhythm[hour_of_day]
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

        A follower who trusts the government addresses it; others may vent in public.
        """
        ch = self.channels
        trust = self.trust[needs.author]
        p_address = np.clip(ch.address_base + ch.address_trust_slope * (trust - 0.5), 0.0, 1.0)
        p_address = np.where(
            self.follows_government[needs.author], p_address, p_address * ch.non_follower_factor
        )
        u = rng.random((3, len(needs)))
        addressed = u[0] < p_address
        public = u[1] < ch.public_share
        vents = ~addressed & (u[2] < self.vent_probability[needs.kind])
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

    def update_trust(self, citizens: np.ndarray, satisfaction: np.ndarray) -> None:
        """Asymmetric update: losses move trust faster than gains; stays in [0, 1]."""
        r = self.reactions
        trust = self.trust[citizens]
        gain = r.trust_gain * np.maximum(satisfaction, 0.0) * (1.0 - trust)
        loss = r.trust_loss * np.maximum(-satisfaction, 0.0) * trust
        # Judgements of one citizen in the same hour are each computed from the trust at
        # the start of the hour and then added up.
        np.add.at(self.trust, citizens, gain - loss)
        self.trust[citizens] = np.clip(self.trust[citizens], 0.0, 1.0)

    def update_trust_one(self, citizen: int, satisfaction: float) -> None:
        """`update_trust` for a single judgement (the common case when patience runs out)."""
        r = self.reactions
        trust = float(self.trust[citizen])
        if satisfaction >= 0.0:
            trust += r.trust_gain * satisfaction * (1.0 - trust)
        else:
            trust += r.trust_loss * satisfaction * trust
        self.trust[citizen] = min(1.0, max(0.0, trust))

    def expose_batch(
        self, exposed: np.ndarray, owner: np.ndarray, loss: np.ndarray, gain: np.ndarray
    ) -> None:
        """Trust change of everyone who saw a post this generation, once per exposure.

        `owner[j]` is the post behind exposure j; `loss`/`gain` are per post: a loss
        takes that share of current trust, a gain that share of the gap to full trust.
        """
        if not len(exposed):
            return
        citizen = exposed < self.n  # the government account has no trust
        loss_e, gain_e = loss[owner], gain[owner]
        hurt = citizen & (loss_e > 0.0)
        if hurt.any():
            np.multiply.at(self.trust, exposed[hurt], 1.0 - loss_e[hurt])
        helped = citizen & (gain_e > 0.0)
        if helped.any():
            order = np.argsort(exposed[helped], kind="stable")
            targets = exposed[helped][order]
            factors = (1.0 - gain_e[helped])[order]
            starts = np.flatnonzero(np.concatenate(([True], targets[1:] != targets[:-1])))
            keep = np.multiply.reduceat(factors, starts)
            nodes = targets[starts]
            self.trust[nodes] = 1.0 - (1.0 - self.trust[nodes]) * keep
