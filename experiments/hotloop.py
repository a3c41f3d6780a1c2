"""A bare numpy loop of microgov's hot path, the benchmark's reference for speed.

What the model must do, hour by hour, for every need, post and exposure, written
plainly with numpy and nothing else (no agents, no items, no events, no staff):

- **needs**: a Poisson count for the hour from the daily rhythm, each need's time
  within the hour, its author drawn by posting activity, the author's trust read (with
  its drift since the last change), four uniforms to choose the channel, a patience
  draw for each need posted;
- **cascades**: each post starts an independent cascade from its author (or from the
  government account, for the share of posts the account makes); each generation
  gathers the followers of every frontier node over the CSR arrays, draws one uniform
  per exposure against the source's repost probability (scaled by its influence),
  keeps each (post, node) once, and drops the nodes the post has reached before;
- **trust nudges**: each citizen's first sighting of a post with a trust effect
  (once per post and viewer), its trust brought up to date and nudged.

It comes in two forms, both timed by the benchmark:

- `hot_loop`, **event-driven**, the model's own economy: the hour's needs are one
  Poisson count with authors drawn by activity, trust's drift is folded in lazily when
  a citizen is read or nudged (an idle citizen costs nothing), and every cascade in
  flight advances in one vectorised pass;
- `plain_hot_loop`, **plain**, the loop as one first writes it: every citizen draws
  each hour how many needs arise (a Poisson draw each, at their activity's share of
  the hour's expected needs), every citizen's trust drifts back towards its anchor each
  hour (one pass over the array), and each post spreads as its own cascade (its
  followers gathered over the CSR arrays in one go, as in the event-driven loop).

Both handle the same needs, cascades and nudges, in law though not draw for draw.

The rates are the model's own, measured in a run of the same scenario (`RateProbe`):
needs per hour, posts per need, the account's share of posts, reposts per exposure and
the share of posts with a trust effect. The loops run on the model's own follower graph and trust, and
their base repost probability is calibrated (`calibrate`) so that their reposts per
exposure are the model's; their exposures per post then come out near the model's but
not at it (the benchmark prints both), and what is left between a loop and the model
is what the model does besides the hot path (operators, departments, items, patience,
metrics, events) and how it does the hot path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from simulation.codes import HOURS_PER_DAY
from simulation.diffusion import sorted_unique  # the same sort-and-compare as the model
from simulation.events import ExposureBatch, NeedsArose, PostStarted


@dataclass
class HotLoopRates:
    """The hot path's rates, as measured in a run of the model."""

    needs_per_hour: float  # mean needs per hour (every kind), before the daily rhythm
    posts_per_need: float  # cascades started per need (citizens' and the account's)
    account_share: float  # share of the posts that the government account makes
    reposts_per_exposure: float  # new reposting nodes per exposure
    affecting_share: float  # share of citizens' posts with a trust effect on their viewers
    account_affecting_share: float  # share of the account's posts with one
    exposures_per_post: float  # for the record: the reference should come out alike
    generations_per_hour: int
    influence_exponent: float
    trust_loss: float  # nudge per first sighting [share of trust]


@dataclass(frozen=True)
class HotLoopWorld:
    """What the loops run on: the model's own follower graph and citizens."""

    indptr: np.ndarray  # CSR: followers of node v are followers[indptr[v]:indptr[v + 1]]
    followers: np.ndarray
    n_citizens: int  # nodes from n_citizens on are the government accounts
    activity: np.ndarray  # each citizen's posting weight
    rhythm: np.ndarray  # hour-of-day weight of needs (mean 1)
    initial_trust: np.ndarray  # each citizen's trust at the start, the drift's anchor
    drift_per_hour: float  # trust's pull back to its anchor [per hour]

    def influence(self, exponent: float) -> np.ndarray:
        """Each node's repost multiplier, (followers / citizens' mean)^exponent, as the model's."""
        counts = np.diff(self.indptr).astype(np.float64)
        reach = counts / counts[: self.n_citizens].mean()
        reach[self.n_citizens :] = 1.0  # the government accounts
        return reach**exponent


class RateProbe:
    """Counts what the hot path handles in a model run (subscribe before running it)."""

    def __init__(self, model) -> None:
        self.model = model
        self.needs = self.posts = self.account_posts = 0
        self.exposures = self.reposts = 0
        # Posts with a trust effect when their first viewers see them: citizens', account's.
        self.affecting = self.account_affecting = 0
        model.events.subscribe(NeedsArose, self._on_needs)
        model.events.subscribe(PostStarted, self._on_post)
        model.events.subscribe(ExposureBatch, self._on_exposures)

    def _on_needs(self, event: NeedsArose) -> None:
        self.needs += event.count

    def _on_post(self, event: PostStarted) -> None:
        self.posts += 1
        self.account_posts += event.cascade.source >= self.model.graph.n_citizens

    def _on_exposures(self, event: ExposureBatch) -> None:
        self.exposures += len(event.generation.exposed)
        self.reposts += int(event.generation.reposts.sum())
        generation = event.generation
        # A post's first generation with viewers: its impressions so far are this one's.
        first = np.fromiter((c.impressions for c in event.cascades), dtype=np.int64)
        first = (first == generation.impressions) & (generation.impressions > 0)
        counted = first & ((event.loss > 0.0) | (event.gain > 0.0))
        n = self.model.graph.n_citizens
        for i in np.flatnonzero(counted).tolist():
            if event.cascades[i].source >= n:
                self.account_affecting += 1
            else:
                self.affecting += 1

    def rates(self) -> HotLoopRates:
        """The rates of the run so far."""
        model = self.model
        hours = max(model.hour, 1)
        settings = model.scenario.diffusion
        return HotLoopRates(
            needs_per_hour=self.needs / hours,
            posts_per_need=self.posts / max(self.needs, 1),
            account_share=self.account_posts / max(self.posts, 1),
            reposts_per_exposure=self.reposts / max(self.exposures, 1),
            affecting_share=self.affecting / max(self.posts - self.account_posts, 1),
            account_affecting_share=self.account_affecting / max(self.account_posts, 1),
            exposures_per_post=self.exposures / max(self.posts, 1),
            generations_per_hour=settings.generations_per_hour,
            influence_exponent=settings.influence_exponent,
            trust_loss=settings.exposure_trust_loss,
        )


def hot_loop(
    world: HotLoopWorld,
    rates: HotLoopRates,
    repost_probability: float,
    hours: int,
    seed: int,
) -> dict[str, float]:
    """Run the hot path for `hours` hours; return its counts and wall seconds.

    `repost_probability` is the base probability per exposure (before influence);
    `calibrate` finds the one that gives the model's reposts per exposure.
    """
    rng = np.random.default_rng(seed)
    indptr, followers, n_citizens = world.indptr, world.followers, world.n_citizens
    activity, rhythm, initial_trust = world.activity, world.rhythm, world.initial_trust
    drift_per_hour = world.drift_per_hour
    n_nodes = len(indptr) - 1
    account = n_citizens
    influence = world.influence(rates.influence_exponent)
    cumulative = np.cumsum(activity)
    cumulative /= cumulative[-1]
    trust = initial_trust.copy()
    changed_at = np.zeros(n_citizens)
    drift = drift_per_hour  # trust's pull back to its initial value [per hour]
    mean_trust = float(initial_trust.mean())
    keep = 1.0 - rates.trust_loss

    frontier = np.empty(0, dtype=np.int64)  # nodes to expand next, across every post
    owner = np.empty(0, dtype=np.int64)  # the post each frontier node is spreading
    visited = np.empty(0, dtype=np.int64)  # sorted keys post * n_nodes + node, live posts
    seen = np.empty(0, dtype=np.int64)  # sorted keys of first sightings, live posts
    affects = np.empty(0, dtype=bool)  # per post
    posts = exposures = reposts = nudges = needs_total = 0

    def trust_now(citizens: np.ndarray, now: float) -> np.ndarray:
        anchor = initial_trust[citizens]
        elapsed = np.maximum(now - changed_at[citizens], 0.0)
        return anchor + (trust[citizens] - anchor) * np.exp(-drift * elapsed)

    start = time.perf_counter()
    for hour in range(hours):
        now = float(hour)
        # Needs: the hour's count, times, authors, channel choice, patience.
        k = int(rng.poisson(rates.needs_per_hour * rhythm[hour % HOURS_PER_DAY]))
        needs_total += k
        created = hour + np.sort(rng.random(k))
        author = np.minimum(
            np.searchsorted(cumulative, rng.random(k), side="right"), n_citizens - 1
        )
        u = rng.random((4, k))
        posted = u[0] < rates.posts_per_need * trust_now(author, now) / mean_trust
        source = np.where(u[1][posted] < rates.account_share, account, author[posted])
        rng.lognormal(2.0, 1.0, size=len(source))  # each posted need's patience
        del created
        # New posts join the frontier as their own cascades.
        new = np.arange(posts, posts + len(source))
        posts += len(source)
        share = np.where(source == account, rates.account_affecting_share, rates.affecting_share)
        affects = np.concatenate([affects, rng.random(len(source)) < share])
        frontier = np.concatenate([frontier, source])
        owner = np.concatenate([owner, new])
        visited = _merge(visited, sorted_unique(new * n_nodes + source))
        for _ in range(rates.generations_per_hour):
            if not len(frontier):
                break
            # Gather every frontier node's followers over the CSR arrays.
            starts = indptr[frontier]
            sizes = indptr[frontier + 1] - starts
            total = int(sizes.sum())
            offsets = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(total)
            exposed = followers[offsets].astype(np.int64)
            exposed_owner = np.repeat(owner, sizes)
            exposures += total
            # Independent cascades: one uniform per exposure; a node reposts once per post.
            p = np.minimum(repost_probability * influence[frontier], 1.0)
            hit = rng.random(total) < np.repeat(p, sizes)
            keys = sorted_unique(exposed_owner[hit] * n_nodes + exposed[hit])
            keys = keys[~np.isin(keys, visited, assume_unique=True)]
            visited = _merge(visited, keys)
            owner, frontier = np.divmod(keys, n_nodes)
            reposts += len(keys)
            # Trust: a citizen's first sighting of a post with an effect nudges them once.
            sighted = affects[exposed_owner] & (exposed < n_citizens)
            first = sorted_unique(exposed_owner[sighted] * n_nodes + exposed[sighted])
            first = first[~np.isin(first, seen, assume_unique=True)]
            seen = _merge(seen, first)
            viewer = first % n_nodes
            trust[viewer] = trust_now(viewer, now)
            changed_at[viewer] = now
            np.multiply.at(trust, viewer, keep)
            nudges += len(viewer)
            # Posts that stopped spreading are forgotten.
            alive = np.zeros(posts, dtype=bool)
            alive[owner] = True
            visited = visited[alive[visited // n_nodes]]
            seen = seen[alive[seen // n_nodes]]
    counts = {"needs": needs_total, "posts": posts, "exposures": exposures}
    counts |= {"reposts": reposts, "nudges": nudges, "mean_trust": float(trust.mean())}
    return {"seconds": time.perf_counter() - start, **counts}


@dataclass
class _LivePost:
    """One post of the plain loop while it spreads."""

    frontier: np.ndarray  # nodes that reposted last generation
    reached: np.ndarray  # nodes that have posted or reposted it (sorted)
    viewed: np.ndarray  # citizens it has nudged (sorted)
    affects: bool  # whether it moves its viewers' trust


def plain_hot_loop(
    world: HotLoopWorld,
    rates: HotLoopRates,
    repost_probability: float,
    hours: int,
    seed: int,
) -> dict[str, float]:
    """The hot path as first written: every citizen every hour, each post on its own.

    The same arguments and counts as `hot_loop`.
    """
    rng = np.random.default_rng(seed)
    indptr, followers, n_citizens = world.indptr, world.followers, world.n_citizens
    account = n_citizens
    activity, rhythm, initial_trust = world.activity, world.rhythm, world.initial_trust
    influence = world.influence(rates.influence_exponent)
    need_share = activity / activity.sum()  # each citizen's share of the hour's needs
    citizens = np.arange(n_citizens)
    trust = initial_trust.copy()
    hourly_keep = float(np.exp(-world.drift_per_hour))
    mean_trust = float(initial_trust.mean())
    keep = 1.0 - rates.trust_loss
    live: list[_LivePost] = []
    posts = exposures = reposts = nudges = needs_total = 0

    start = time.perf_counter()
    for hour in range(hours):
        # Trust drifts back towards its anchor, everyone, every hour.
        trust = initial_trust + (trust - initial_trust) * hourly_keep
        # Needs: each citizen draws how many arise (Poisson at their activity's share of
        # the hour's expected needs: the busiest have several an hour); then times,
        # channel, patience.
        expected = rates.needs_per_hour * rhythm[hour % HOURS_PER_DAY]
        author = np.repeat(citizens, rng.poisson(expected * need_share))
        needs_total += len(author)
        np.sort(hour + rng.random(len(author)))  # the needs' times
        u = rng.random((4, len(author)))
        posted = u[0] < rates.posts_per_need * trust[author] / mean_trust
        source = np.where(u[1][posted] < rates.account_share, account, author[posted])
        rng.lognormal(2.0, 1.0, size=len(source))  # each posted need's patience
        for node in source.tolist():
            share = rates.account_affecting_share if node == account else rates.affecting_share
            start_node = np.array([node], dtype=np.int64)
            live.append(_LivePost(start_node, start_node, start_node[:0], rng.random() < share))
        posts += len(source)
        for _ in range(rates.generations_per_hour):
            for post in live:
                frontier = post.frontier
                if not len(frontier):
                    continue
                starts = indptr[frontier]
                sizes = indptr[frontier + 1] - starts
                offsets = np.repeat(starts - np.cumsum(sizes) + sizes, sizes)
                exposed = followers[offsets + np.arange(len(offsets))].astype(np.int64)
                exposures += len(exposed)
                p = np.minimum(repost_probability * influence[frontier], 1.0)
                hit = rng.random(len(exposed)) < np.repeat(p, sizes)
                new = np.setdiff1d(exposed[hit], post.reached)
                post.frontier, post.reached = new, np.union1d(post.reached, new)
                reposts += len(new)
                if post.affects:
                    first = np.setdiff1d(exposed[exposed < n_citizens], post.viewed)
                    trust[first] *= keep
                    post.viewed = np.union1d(post.viewed, first)
                    nudges += len(first)
            live = [post for post in live if len(post.frontier)]
    counts = {"needs": needs_total, "posts": posts, "exposures": exposures}
    counts |= {"reposts": reposts, "nudges": nudges, "mean_trust": float(trust.mean())}
    return {"seconds": time.perf_counter() - start, **counts}


def _merge(ordered: np.ndarray, more: np.ndarray) -> np.ndarray:
    """Two sorted arrays of distinct values, none in both, as one sorted array."""
    return np.sort(np.concatenate([ordered, more]))


def calibrate(run, rates: HotLoopRates, rounds: int = 3) -> float:
    """The base repost probability that gives the model's reposts per exposure.

    `run(probability)` runs a hot loop and returns its counts; the reposts per
    exposure grow almost in proportion to the probability, so a few rescalings do.
    (Exposures per post would be the closer match of cost, but a post's exposures are
    heavy-tailed: with one seed they jump as one large cascade comes or goes, and no
    probability gives the model's mean.)
    """
    probability = rates.reposts_per_exposure
    for _ in range(rounds):
        counts = run(probability)
        got = counts["reposts"] / max(counts["exposures"], 1)
        if got <= 0.0:
            break
        probability *= rates.reposts_per_exposure / got
    return probability
