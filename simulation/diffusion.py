"""Diffusion: independent cascades over the follower graph (MODEL.md §4.3).

A cascade starts from its author. In each generation every active node exposes all its
followers (impressions); each exposure independently turns into a repost with the
post's probability, and a node reposts at most once per cascade. That is bond
percolation on the follower graph, so on an Erdős–Rényi graph the share of nodes a
large cascade reaches solves S = 1 − exp(−k·T·S) (MODEL.md §8).

Generations advance `generations_per_hour` per step, so a post keeps spreading over
hours, monitoring can notice it while it trends, and a clarification can slow a
rumour mid-flight. A whole frontier is expanded with a handful of numpy calls over
the CSR arrays: cost grows with exposures, not with the population.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from simulation.codes import (
    BOILERPLATE,
    POST_CLARIFICATION,
    POST_NEGATIVE,
    POST_REPLY,
    POST_RUMOUR,
    SUBSTANTIVE,
)
from simulation.events import EventBus, ExposureBatch, PostStarted
from simulation.network import FollowerGraph

if TYPE_CHECKING:
    from simulation.items import ItemLifecycle
    from simulation.scenario import DiffusionSettings

_SMALL = 256  # below this many activated nodes a cascade tracks them in a sorted array
_FEW_VIEWERS = 256  # a post's viewers are listed while few, then kept as a bitmap


@dataclass(slots=True)
class Cascade:
    """One post spreading through the graph."""

    post_type: int
    source: int
    started: float  # hour the post appeared
    probability: float  # base repost probability per exposure
    item: int = -1  # item row the post belongs to (-1: a government post)
    quality: int = 0  # reply quality, for REPLY posts
    topic: int = -1
    exact: bool = False  # repost probability is used as is (no multipliers)
    frontier: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    visited: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # sorted
    visited_mask: np.ndarray | None = None
    size: int = 1  # nodes that posted or reposted (author included)
    impressions: int = 0
    damped: float = 1.0  # multiplier applied after a clarification
    viewers: Viewers | None = None  # who this post has already affected (trust)

    def __post_init__(self) -> None:
        self.frontier = np.array([self.source], dtype=np.int64)
        self.visited = self.frontier.copy()


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique for the small arrays of one generation, without its per-call overhead."""
    if len(values) < 2:
        return values
    ordered = np.sort(values)
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


class Viewers:
    """The nodes one post has already affected, for as long as the post spreads.

    A short list while there are few (8 bytes a viewer), a bitmap of one bit per node
    once the list would be larger than the bitmap (n / 8 bytes), so a post never holds
    more than n / 8 bytes; the memory goes with the cascade when it stops spreading.
    """

    __slots__ = ("_bits", "_listed", "_n_nodes")

    def __init__(self, n_nodes: int):
        self._n_nodes = n_nodes
        self._listed: np.ndarray = np.empty(0, dtype=np.int64)
        self._bits: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        """Memory held [bytes]."""
        return int(self._listed.nbytes if self._bits is None else self._bits.nbytes)

    def add(self, nodes: np.ndarray) -> np.ndarray:
        """Record the sorted, distinct `nodes` as viewers; true where one is new."""
        if self._bits is None:
            listed = self._listed  # sorted
            if len(listed):
                at = np.minimum(np.searchsorted(listed, nodes), len(listed) - 1)
                new = listed[at] != nodes
                listed = np.sort(np.concatenate([listed, nodes[new]]))
            else:
                new = np.ones(len(nodes), dtype=bool)
                listed = nodes.copy()
            if len(listed) <= max(_FEW_VIEWERS, self._n_nodes // 64):
                self._listed = listed
                return new
            self._bits = np.zeros((self._n_nodes + 7) // 8, dtype=np.uint8)
            self._listed = self._listed[:0]
            self._set(listed)
            return new
        byte = nodes >> 3
        bit = np.left_shift(1, nodes & 7).astype(np.uint8)
        new = (self._bits[byte] & bit) == 0
        self._set(nodes[new])
        return new

    def _set(self, nodes: np.ndarray) -> None:
        """Set the bits of sorted `nodes` (several may share a byte)."""
        if not len(nodes):
            return
        byte = nodes >> 3
        bit = np.left_shift(1, nodes & 7).astype(np.uint8)
        starts = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
        assert self._bits is not None
        self._bits[byte[starts]] |= np.bitwise_or.reduceat(bit, starts)


@dataclass(slots=True)
class Generation:
    """What one generation of the active cascades did."""

    exposed: np.ndarray  # follower ids exposed, one entry per exposure
    # Index (into the active list) of the cascade behind each exposure, nondecreasing:
    # each cascade's exposures are one run, in the order of `impressions`.
    owner: np.ndarray
    impressions: np.ndarray  # exposures per cascade
    reposts: np.ndarray  # new reposting nodes per cascade
    # True for the one exposure of each (post, citizen) pair that moves trust: the first
    # sighting of a post with a trust effect; all false until `Spreading` sets it.
    first_sight: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))

    @staticmethod
    def empty() -> Generation:
        """A generation in which nothing spread."""
        nothing = np.empty(0, dtype=np.int64)
        return Generation(nothing, nothing, nothing, nothing)

    def exposed_by(self, i: int) -> np.ndarray:
        """The follower ids cascade i exposed, in order (a slice, since `owner` is sorted)."""
        start = int(self.impressions[:i].sum())
        return self.exposed[start : start + int(self.impressions[i])]


class DiffusionEngine:
    """Holds the cascades in flight and expands them generation by generation."""

    def __init__(self, graph: FollowerGraph, rng: np.random.Generator):
        self.graph = graph
        self.rng = rng
        self.active: list[Cascade] = []
        counts = graph.follower_counts.astype(np.float64)
        mean = max(graph.mean_citizen_followers(), 1e-9)
        self._relative_reach = counts / mean
        self._relative_reach[graph.n_citizens :] = 1.0  # the government accounts
        self.record_exposures = False  # tests switch this on to check every exposure
        self.exposure_log: list[tuple[np.ndarray, np.ndarray]] = []

    def start(self, cascade: Cascade) -> Cascade:
        """Put a new post in flight."""
        self.active.append(cascade)
        return cascade

    def influence(self, nodes: np.ndarray, exponent: float) -> np.ndarray:
        """Repost multiplier of each node's followers: (followers / mean)^exponent."""
        if exponent == 0.0:
            return np.ones(len(nodes))
        return self._relative_reach[nodes] ** exponent

    def advance(self, base: np.ndarray, exact: np.ndarray, exponent: float) -> Generation:
        """Advance every active cascade by one generation, all in one vectorised pass.

        `base[i]` is cascade i's repost probability per exposure; unless `exact[i]`, it is
        scaled for each reposting node by (followers / mean)^exponent (influence).
        """
        cascades = self.active
        if not cascades:
            return Generation.empty()
        sizes = np.fromiter(
            (len(c.frontier) for c in cascades), dtype=np.int64, count=len(cascades)
        )
        owner = np.repeat(np.arange(len(cascades)), sizes)
        frontier = np.concatenate([c.frontier for c in cascades])
        p_source = base[owner]
        if exponent != 0.0 and len(frontier):
            scaled = p_source * self._relative_reach[frontier] ** exponent
            p_source = np.where(exact[owner], p_source, scaled)
        return self._spread(cascades, frontier, owner, p_source)

    def expand(
        self, cascade: Cascade, probability_of_sources: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """One generation of one cascade: (exposed follower ids, newly activated ids).

        `probability_of_sources` is the repost probability for the followers of each
        frontier node.
        """
        owner = np.zeros(len(cascade.frontier), dtype=np.int64)
        generation = self._spread(
            [cascade], cascade.frontier, owner, np.asarray(probability_of_sources, dtype=float)
        )
        return generation.exposed, cascade.frontier

    def _spread(
        self, cascades: list[Cascade], frontier: np.ndarray, owner: np.ndarray, p_source
    ) -> Generation:
        graph = self.graph
        starts = graph.indptr[frontier]
        counts = graph.indptr[frontier + 1] - starts
        total = int(counts.sum())
        n = len(cascades)
        impressions = (
            np.bincount(np.repeat(owner, counts), minlength=n)
            if total
            else np.zeros(n, dtype=np.int64)
        )
        # Gather the followers of every frontier node in one go.
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)
        exposed = graph.followers[offsets].astype(np.int64)
        exposure_owner = np.repeat(owner, counts)
        if self.record_exposures:
            self.exposure_log.append((np.repeat(frontier, counts), exposed.copy()))
        hit = self.rng.random(total) < np.repeat(np.minimum(p_source, 1.0), counts)
        empty = frontier[:0]
        new_counts = np.zeros(n, dtype=np.int64)
        for cascade, shown in zip(cascades, impressions.tolist(), strict=True):
            cascade.impressions += shown
            cascade.frontier = empty
        if hit.any():
            n_nodes = graph.n_nodes
            key = sorted_unique(exposure_owner[hit] * n_nodes + exposed[hit])
            hit_owner, hit_node = np.divmod(key, n_nodes)
            bounds = np.searchsorted(hit_owner, np.arange(n + 1))
            for index in np.flatnonzero(np.diff(bounds)).tolist():
                cascade = cascades[index]
                nodes = hit_node[bounds[index] : bounds[index + 1]]
                nodes = nodes[~self._visited(cascade, nodes)]
                self._mark(cascade, nodes)
                cascade.size += len(nodes)
                cascade.frontier = nodes
                new_counts[index] = len(nodes)
        first_sight = np.zeros(total, dtype=bool)
        return Generation(exposed, exposure_owner, impressions, new_counts, first_sight)

    def mark_first_sightings(
        self, cascades: list[Cascade], generation: Generation, affects: np.ndarray
    ) -> None:
        """Set `generation.first_sight`: a citizen's first sighting of a post that affects trust.

        `affects[i]` says whether cascade i has a trust effect now; over a post's whole
        life each citizen is marked at most once.
        """
        exposed, owner = generation.exposed, generation.owner
        first = generation.first_sight
        candidate = np.flatnonzero(affects[owner] & (exposed < self.graph.n_citizens))
        if not len(candidate):
            return
        n_nodes = self.graph.n_nodes
        key = owner[candidate] * n_nodes + exposed[candidate]
        order = np.argsort(key, kind="stable")
        key, candidate = key[order], candidate[order]
        once = np.empty(len(key), dtype=bool)
        once[0] = True
        np.not_equal(key[1:], key[:-1], out=once[1:])
        key, candidate = key[once], candidate[once]  # the first sighting this generation
        seen_owner = key // n_nodes
        bounds = np.searchsorted(seen_owner, np.arange(len(cascades) + 1))
        for index in np.flatnonzero(np.diff(bounds)).tolist():
            cascade = cascades[index]
            rows = candidate[bounds[index] : bounds[index + 1]]
            if cascade.viewers is not None:
                first[rows[cascade.viewers.add(exposed[rows])]] = True
                continue
            first[rows] = True  # the post's first viewers
            if len(cascade.frontier):  # it spreads on: remember them (most posts stop here)
                cascade.viewers = Viewers(n_nodes)
                cascade.viewers.add(exposed[rows])

    @staticmethod
    def _visited(cascade: Cascade, nodes: np.ndarray) -> np.ndarray:
        if cascade.visited_mask is not None:
            return cascade.visited_mask[nodes]
        # A small cascade's nodes are kept sorted: a binary search beats np.isin's set-up.
        visited = cascade.visited
        at = np.minimum(np.searchsorted(visited, nodes), len(visited) - 1)
        return visited[at] == nodes

    def _mark(self, cascade: Cascade, nodes: np.ndarray) -> None:
        if cascade.visited_mask is not None:
            cascade.visited_mask[nodes] = True
            return
        cascade.visited = np.sort(np.concatenate([cascade.visited, nodes]))
        if len(cascade.visited) > _SMALL:
            mask = np.zeros(self.graph.n_nodes, dtype=bool)
            mask[cascade.visited] = True
            cascade.visited_mask = mask
            cascade.visited = cascade.visited[:0]

    def prune(self) -> None:
        """Drop cascades that have stopped spreading."""
        self.active = [c for c in self.active if len(c.frontier)]


class Spreading:
    """The diffusion phase: every post in flight spreads, and what it does to viewers.

    A post's repost probability and its trust effect on a viewer depend on what it is
    (`post_effect`); after each generation the items behind the posts count their
    impressions and reposts, and one `ExposureBatch` event tells the citizens (trust),
    the metrics and monitoring what was seen. A post moves each viewer's trust once,
    at the first sighting, however many followed accounts repost it.
    """

    def __init__(
        self,
        engine: DiffusionEngine,
        settings: DiffusionSettings,
        lifecycle: ItemLifecycle,
        events: EventBus,
    ):
        self.engine = engine
        self.settings = settings
        self.lifecycle = lifecycle
        self.items = lifecycle.store
        self.events = events

    def start(
        self, post_type: int, source: int, when: float, probability: float, **extra
    ) -> Cascade:
        """A new post starts spreading from `source` (rumours use their probability as is)."""
        cascade = Cascade(post_type, source, when, probability, **extra)
        if post_type == POST_RUMOUR:
            cascade.exact = True
        self.engine.start(cascade)
        if PostStarted in self.events.wanted:
            self.events.publish(PostStarted(cascade))
        return cascade

    def damp(self, item: int, factor: float) -> None:
        """Scale the repost probability of every post of `item` still spreading."""
        for cascade in self.engine.active:
            if cascade.item == item:
                cascade.damped = factor

    def advance_hour(self, t: int) -> None:
        """Phase 3: `generations_per_hour` generations of every cascade in flight."""
        settings = self.settings
        engine = self.engine
        for _ in range(settings.generations_per_hour):
            active = engine.active
            if not active:
                break
            n = len(active)
            base, exact = np.empty(n), np.zeros(n, dtype=bool)
            loss, gain = np.zeros(n), np.zeros(n)
            for i, cascade in enumerate(active):
                base[i], exact[i], loss[i], gain[i] = self.post_effect(cascade)
            generation = engine.advance(base, exact, settings.influence_exponent)
            engine.mark_first_sightings(active, generation, (loss > 0.0) | (gain > 0.0))
            impressions, reposts = generation.impressions, generation.reposts
            for i, cascade in enumerate(active):
                if cascade.item >= 0 and impressions[i]:
                    self.lifecycle.record_spread(cascade.item, int(impressions[i]), int(reposts[i]))
            self.events.publish(ExposureBatch(t, active, generation, loss, gain))
            engine.prune()

    def post_effect(self, cascade: Cascade) -> tuple[float, bool, float, float]:
        """(repost probability, exact?, trust loss, trust gain per viewer) of a post now.

        Negative posts spread more, and more still while their item is unresolved, and
        cost viewers trust; substantive replies and clarifications raise it, boilerplate
        replies cost a little; rumours spread at their own probability (damped once
        clarified) and cost trust until resolved.
        """
        settings = self.settings
        item = cascade.item
        unresolved = item < 0 or not self.items.resolved[item]
        post_type = cascade.post_type
        if post_type == POST_RUMOUR:
            loss = settings.exposure_trust_loss if unresolved else 0.0
            return cascade.probability * cascade.damped, True, loss, 0.0
        base, loss, gain = cascade.probability, 0.0, 0.0
        if post_type == POST_NEGATIVE:
            base *= settings.negative_multiplier
            if unresolved:
                base *= settings.unresolved_multiplier
                loss = settings.exposure_trust_loss
        elif post_type == POST_REPLY:
            if cascade.quality == SUBSTANTIVE:
                gain = settings.exposure_trust_gain
            elif cascade.quality == BOILERPLATE:
                loss = settings.boilerplate_exposure_loss
        elif post_type == POST_CLARIFICATION:
            gain = settings.exposure_trust_gain
        return base, False, loss, gain
