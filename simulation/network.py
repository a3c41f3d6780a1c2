"""The follower graph: generators, edge-list loading, CSR arrays.

Edges point the way posts travel: an edge u → v means citizen v follows u, so u's posts
are exposed to v. Nodes 0..n-1 are citizens; node n is the government account, whose
out-edges reach the citizens who follow it; with several accounts (`[accounts.<name>]`)
account k is node n + k. The graph is kept as CSR arrays
(`indptr`, `followers`) so a cascade expands its whole frontier with a few numpy calls.

Generators are vectorised numpy (they build a million-citizen graph in seconds) and all
draw from the run's `network` stream; `barabasi_albert` uses networkx with that stream.

Adding a generator: write `(settings, n_citizens, rng) -> (sources, followers)` edge
arrays below, decorate it with `@generator("name")`, and the scenario schema
(`network.kind`) accepts the name. `edge_list` is not a generator: it reads a file.
"""

from __future__ import annotations

import csv
import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from simulation.format import excerpt
from simulation.timing import PhaseTimer

if TYPE_CHECKING:
    import networkx as nx

    from simulation.scenario import NetworkSettings

Edges = tuple[np.ndarray, np.ndarray]  # (source, follower) of each edge: follower follows source
Generator = Callable[["NetworkSettings", int, np.random.Generator], Edges]

GENERATORS: dict[str, Generator] = {}


def generator(name: str) -> Callable[[Generator], Generator]:
    """Register a follower-graph generator under `name` (a value of `network.kind`)."""

    def register(function: Generator) -> Generator:
        GENERATORS[name] = function
        return function

    return register


@dataclass
class FollowerGraph:
    """Directed follower graph over citizens plus the government account (node n)."""

    n_citizens: int
    indptr: np.ndarray  # int64, length n + 2
    followers: np.ndarray  # int32, follower ids, grouped by followed node
    is_leader: np.ndarray  # bool, length n: opinion leaders (most followed)
    labels: np.ndarray | None = None  # original node labels for an edge-list graph
    n_accounts: int = 1  # government accounts, nodes n .. n + n_accounts - 1
    build_seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase

    @property
    def government(self) -> int:
        """The (first) government account's node (after the citizens)."""
        return self.n_citizens

    def account_node(self, account: int) -> int:
        """The node of government account `account` (0: `government`)."""
        return self.n_citizens + account

    @property
    def n_nodes(self) -> int:
        """Citizens plus the government accounts."""
        return self.n_citizens + self.n_accounts

    @property
    def follower_counts(self) -> np.ndarray:
        """Followers of every node."""
        return np.diff(self.indptr)

    @property
    def follows_government(self) -> np.ndarray:
        """Which citizens follow the government account (any of them, if several)."""
        return self.follows_accounts.any(axis=1)

    @property
    def follows_accounts(self) -> np.ndarray:
        """(citizens × accounts) bool: which citizens follow which account."""
        mask = np.zeros((self.n_citizens, self.n_accounts), dtype=bool)
        for account in range(self.n_accounts):
            mask[self.followers_of(self.account_node(account)), account] = True
        return mask

    def followers_of(self, node: int) -> np.ndarray:
        """The followers of `node` (who see its posts)."""
        return self.followers[self.indptr[node] : self.indptr[node + 1]]

    def has_edge(self, source: int, follower: int) -> bool:
        """Whether `follower` follows `source`."""
        return bool(np.any(self.followers_of(source) == follower))

    @property
    def n_edges(self) -> int:
        """Follow edges in the graph."""
        return int(self.indptr[-1])

    def mean_citizen_followers(self) -> float:
        """Mean followers per citizen."""
        counts = self.follower_counts[: self.n_citizens]
        return float(counts.mean()) if len(counts) else 0.0

    def to_networkx(self, nodes: np.ndarray | None = None) -> nx.DiGraph:
        """The graph (or the subgraph on `nodes`) as a networkx DiGraph, for drawing."""
        keep = None if nodes is None else set(int(x) for x in nodes)
        import networkx as nx  # for drawing only: networkx loads when asked for

        graph = nx.DiGraph()
        graph.add_nodes_from(range(self.n_nodes) if keep is None else keep)
        sources = np.repeat(np.arange(self.n_nodes), self.follower_counts)
        for u, v in zip(sources.tolist(), self.followers.tolist(), strict=True):
            if keep is None or (u in keep and v in keep):
                graph.add_edge(u, v)
        return graph


def build_graph(
    settings: NetworkSettings,
    n_citizens: int,
    follow_share: float,
    rng: np.random.Generator,
    more_accounts: Sequence[tuple[float, np.random.Generator]] = (),
) -> FollowerGraph:
    """Generate (or load) the citizens' follower graph and attach the government account.

    `follow_share` is the first account's share of followers, drawn from `rng` as with
    one account; `more_accounts` gives each further account's share and the stream its
    followers are drawn from (each citizen follows each account independently), so the
    citizens' graph and the first account's followers are the same however many
    accounts there are.
    """
    timer = PhaseTimer()
    labels = None
    if settings.kind == "edge_list":
        assert settings.edge_list is not None  # the schema requires it for this kind
        src, dst, labels = load_edge_list(Path(settings.edge_list), settings.edge_list_direction)
        check_edge_list_citizens(n_citizens, len(labels), settings.edge_list)
        n_citizens = len(labels)
    else:
        src, dst = GENERATORS[settings.kind](settings, n_citizens, rng)

    timer.lap("generator")
    # The citizens' follows first (sources 0..n-1), then each account's followers
    # (sources n, n + 1, ...): in CSR order the accounts' groups come after every
    # citizen's, so they are appended rather than sorted in with the follows.
    # The edge arrays go as soon as their keys are made: the sort and what follows it
    # then hold the keys alone (the build's peak is the keys plus the edges).
    key, shift = edge_keys(src, dst, n_citizens)
    del src, dst
    indptr, followers = csr_from_keys(key, n_citizens, shift)
    del key
    groups = [np.flatnonzero(rng.random(n_citizens) < follow_share)]
    for share, account_rng in more_accounts:
        groups.append(np.flatnonzero(account_rng.random(n_citizens) < share))
    n_accounts = 1 + len(more_accounts)
    ends = indptr[-1] + np.cumsum([len(g) for g in groups])
    indptr = np.concatenate([indptr, ends])
    followers = np.concatenate([followers, *(g.astype(np.int32) for g in groups)])
    timer.lap("csr")

    counts = np.diff(indptr)[:n_citizens]
    n_leaders = int(round(settings.opinion_leader_share * n_citizens))
    is_leader = np.zeros(n_citizens, dtype=bool)
    if n_leaders:
        # Most-followed citizens; ties broken by a random permutation, not by index.
        is_leader[most_followed(counts, rng.random(n_citizens), n_leaders)] = True
    timer.lap("leaders")
    graph = FollowerGraph(n_citizens, indptr, followers, is_leader, labels, n_accounts)
    graph.build_seconds = timer.seconds
    return graph


def most_followed(counts: np.ndarray, tie_break: np.ndarray, k: int) -> np.ndarray:
    """The `k` nodes of most followers, ties going to the smallest `tie_break`.

    The same nodes as the first `k` of `np.lexsort((tie_break, -counts))` (equal
    tie-breaks go by index), without sorting everyone: all above the k-th largest
    count are in, and of those at that count the ones with the smallest tie-breaks.
    """
    if k <= 0:
        return np.empty(0, dtype=np.intp)
    if k >= len(counts):
        return np.arange(len(counts))
    threshold = np.partition(counts, len(counts) - k)[len(counts) - k]  # k-th largest
    above = np.flatnonzero(counts > threshold)
    tied = np.flatnonzero(counts == threshold)
    chosen = tied[np.argsort(tie_break[tied], kind="stable")[: k - len(above)]]
    return np.concatenate([above, chosen])


def to_csr(src: np.ndarray, dst: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays of unique edges src → dst (self-loops dropped), followers ascending."""
    key, shift = edge_keys(src, dst, n_nodes)
    return csr_from_keys(key, n_nodes, shift)


def edge_keys(src: np.ndarray, dst: np.ndarray, n_nodes: int) -> tuple[np.ndarray, int]:
    """Each edge as one int64 key, source in the high bits, and the follower's bits.

    A self-loop's key is set past every edge's, so that sorting puts it at the end.
    """
    shift = max(1, int(n_nodes - 1).bit_length())  # bits of a follower id
    key = src.astype(np.int64)  # a copy: the caller's arrays stay as they were
    key <<= shift
    key |= dst
    key[src == dst] = np.iinfo(np.int64).max
    return key, shift


def csr_from_keys(key: np.ndarray, n_nodes: int, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays from `edge_keys`' keys (sorted here, in place: the array is used up).

    One in-place sort orders the edges by (source, follower); the self-loops' keys are
    cut off after it and repeated edges, now neighbours, dropped in place.
    """
    key.sort()
    key = _drop_repeats(key[: np.searchsorted(key, np.iinfo(np.int64).max)])
    # Group starts by searching the sorted keys for each source's first possible key.
    indptr = np.searchsorted(key, np.arange(n_nodes + 1, dtype=np.int64) << shift)
    key &= (1 << shift) - 1
    return indptr.astype(np.int64), key.astype(np.int32)


COMPACT_CHUNK = 1 << 22  # sorted keys compared and moved at a time (32 MB of int64)


def _drop_repeats(key: np.ndarray) -> np.ndarray:
    """The first of each run of equal sorted keys, moved to the front in place (a view).

    Chunk by chunk instead of `key[fresh]`, which would copy the whole array (np.unique's
    hashing is slower still on millions of edges); a chunk's keys are compared and
    copied out before any is written, and writes never pass the keys still to be read.
    """
    if len(key) < 2:
        return key
    write = 1
    for start in range(1, len(key), COMPACT_CHUNK):
        stop = min(start + COMPACT_CHUNK, len(key))
        kept = key[start:stop][key[start:stop] != key[start - 1 : stop - 1]]
        key[write : write + len(kept)] = kept
        write += len(kept)
    return key[:write]


def heavy_tailed_edges(
    n: int, mean_following: float, exponent: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Chung-Lu style directed graph: follower counts follow a power law of `exponent`.

    Every citizen follows Poisson(mean_following) accounts, each chosen with probability
    proportional to a popularity weight w_i ∝ (i + i0)^(-1/(exponent-1)); that gives an
    expected in-degree (followers) distribution with tail exponent `exponent`.
    """
    ranks = rng.permutation(n).astype(np.float64)
    offset = max(1.0, n ** (1.0 / (exponent - 1.0)) / max(mean_following, 1.0) ** 2)
    weights = (ranks + offset) ** (-1.0 / (exponent - 1.0))
    cumulative = np.cumsum(weights)
    cumulative /= cumulative[-1]
    out_degree = rng.poisson(mean_following, size=n)
    # Citizen ids fit in int32 (half the memory of int64 for the build's largest arrays).
    index = np.int32 if n < 2**31 else np.int64
    dst = np.repeat(np.arange(n, dtype=index), out_degree)
    src = np.empty(len(dst), dtype=index)
    inverse = CumulativeInverse(cumulative)
    # Drawn in chunks to bound the temporary arrays; consecutive `random` calls give
    # the same numbers as one call of their total size.
    for start in range(0, len(dst), DRAW_CHUNK):
        stop = min(start + DRAW_CHUNK, len(dst))
        src[start:stop] = inverse(rng.random(stop - start))
    np.minimum(src, n - 1, out=src)
    return src, dst


DRAW_CHUNK = 1 << 22  # uniform draws inverted at a time (32 MB of float64)


class CumulativeInverse:
    """`np.searchsorted(cumulative, u, side="right")` for unsorted `u` in [0, 1), faster.

    Binary search of a million-entry table for each of tens of millions of unsorted
    draws misses the cache at every level. Instead [0, 1) is cut into 2^k equal
    buckets (2 to 4 per entry); a table gives, for each bucket's lower edge b / 2^k,
    how many entries are ≤ it, and each draw steps on from its bucket's count past
    the few entries still ≤ it. The answer is exactly searchsorted's: 2^k is a power
    of two, so u · 2^k and b / 2^k are exact and no draw starts past its answer.
    """

    def __init__(self, cumulative: np.ndarray):
        self.bits = max(1, int(len(cumulative)).bit_length() + 1)
        buckets = 1 << self.bits
        edges = np.arange(buckets, dtype=np.float64) / buckets
        counts = np.searchsorted(cumulative, edges, side="right")
        self.start = counts.astype(np.int32 if len(cumulative) < 2**31 else np.int64)
        self.padded = np.append(cumulative, np.inf)  # stops every draw at len(cumulative)

    def __call__(self, u: np.ndarray) -> np.ndarray:
        """How many entries of the cumulative array are ≤ each of `u` (all in [0, 1))."""
        position = self.start.take(np.ldexp(u, self.bits).astype(np.intp)).astype(np.int64)
        behind = np.flatnonzero(self.padded.take(position) <= u)
        while len(behind):
            position[behind] += 1
            behind = behind[self.padded.take(position[behind]) <= u[behind]]
        return position


def small_world_edges(
    n: int, mean_following: float, rewiring: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Watts-Strogatz ring of mutual follows with rewiring probability `rewiring`."""
    half = max(1, int(round(mean_following / 2)))
    half = min(half, (n - 1) // 2)
    base = np.repeat(np.arange(n, dtype=np.int64), half)
    offsets = np.tile(np.arange(1, half + 1, dtype=np.int64), n)
    target = (base + offsets) % n
    rewire = rng.random(len(target)) < rewiring
    target[rewire] = rng.integers(0, n, size=int(rewire.sum()))
    return np.concatenate([base, target]), np.concatenate([target, base])


def random_edges(
    n: int, mean_following: float, reciprocal: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Erdős-Rényi G(n, p) with p = mean_following / (n - 1); directed or mutual."""
    p = min(1.0, mean_following / max(n - 1, 1))
    pairs = n * (n - 1) // (2 if reciprocal else 1)
    m = int(rng.binomial(pairs, p))
    chosen = np.empty(0, dtype=np.int64)
    while len(chosen) < m:
        need = m - len(chosen)
        a = rng.integers(0, n, size=need + need // 10 + 16, dtype=np.int64)
        b = rng.integers(0, n, size=len(a), dtype=np.int64)
        keep = a != b
        a, b = a[keep], b[keep]
        if reciprocal:
            a, b = np.minimum(a, b), np.maximum(a, b)
        key = a * n + b
        chosen = np.concatenate([chosen, key])
        _, first = np.unique(chosen, return_index=True)
        chosen = chosen[np.sort(first)]  # keep draw order so truncation is unbiased
    chosen = chosen[:m]
    src, dst = np.divmod(chosen, n)
    if reciprocal:
        return np.concatenate([src, dst]), np.concatenate([dst, src])
    return src, dst


def barabasi_albert_edges(
    n: int, mean_following: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Barabási-Albert graph (networkx, seeded from the stream) as mutual follows."""
    m = max(1, int(round(mean_following / 2)))
    import networkx as nx  # loaded only for this generator

    graph = nx.barabasi_albert_graph(n, min(m, n - 1), seed=rng)
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    return (
        np.concatenate([edges[:, 0], edges[:, 1]]),
        np.concatenate([edges[:, 1], edges[:, 0]]),
    )


_HEADER_WORDS = {"source", "target", "follower", "followee", "from", "to", "u", "v", "node"}


@generator("heavy_tailed")
def _heavy_tailed(settings: NetworkSettings, n: int, rng: np.random.Generator) -> Edges:
    return heavy_tailed_edges(n, settings.mean_following, settings.follower_exponent, rng)


@generator("small_world")
def _small_world(settings: NetworkSettings, n: int, rng: np.random.Generator) -> Edges:
    return small_world_edges(n, settings.mean_following, settings.rewiring_probability, rng)


@generator("random")
def _random(settings: NetworkSettings, n: int, rng: np.random.Generator) -> Edges:
    return random_edges(n, settings.mean_following, settings.reciprocal, rng)


@generator("barabasi_albert")
def _barabasi_albert(settings: NetworkSettings, n: int, rng: np.random.Generator) -> Edges:
    return barabasi_albert_edges(n, settings.mean_following, rng)


def load_edge_list(path: Path, direction: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read 'a b' (whitespace) or 'a,b' (CSV) lines; '#' starts a comment; a header is allowed.

    Returns (src, dst, labels): posts travel src → dst; node i carries `labels[i]`.

    The file is read line by line (never whole) through `simulation.inputs`: a regular
    file within the edge-list cap. Node ids are either all integers or all names, as
    the first edge shows (`EDGE_LIST_RULES`); a comment line `# nodes: N` declares N
    citizens with integer ids 0..N-1, so ids on no edge are citizens without follows.
    """
    from simulation.inputs import EDGE_LIST, open_input
    from simulation.scenario import ScenarioError  # the schema imports this module's registry

    source, where = str(path), "network.edge_list"

    def refuse(number: int, message: str) -> NoReturn:
        raise ScenarioError(source, where, f"line {number}: {message}")

    integers = array("q")  # ids of integer files, two per edge
    names: dict[str, int] = {}  # name → first-seen code, for files of names
    codes = array("q")  # codes of names, two per edge
    integer_ids: bool | None = None  # decided by the first edge
    first_edge = declared_line = 0
    declared: int | None = None
    with open_input(path, EDGE_LIST, where) as reader:
        for number, raw in enumerate(reader.lines(), start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                refuse(number, "not UTF-8 text")
            if number == 1:
                line = line.removeprefix("\ufeff")  # a byte-order mark
            text = line.split("#", 1)[0].strip()
            if not text:
                count = _NODE_COUNT.match(line.strip())
                if count:
                    if declared is not None:
                        refuse(
                            number, f"a second '# nodes:' line (the first is line {declared_line})"
                        )
                    declared, declared_line = int(count.group(1).replace("_", "")), number
                continue
            if "," not in text:
                fields = text.split()
            elif '"' in text:  # quoted CSV fields
                fields = next(csv.reader([text]))
            else:  # plain CSV: the same fields as csv.reader gives, much faster
                fields = text.split(",")
            fields = [f.strip() for f in fields if f.strip()]
            if len(fields) < 2:
                refuse(number, f"expected two node ids, got {excerpt(text)}")
            if integer_ids is None and {f.lower() for f in fields[:2]} & _HEADER_WORDS:
                continue
            a, b = fields[0], fields[1]
            if integer_ids is None:
                integer_ids = bool(_INTEGER_ID.fullmatch(a) and _INTEGER_ID.fullmatch(b))
                first_edge = number
            if integer_ids:
                for token in (a, b):
                    if not _INTEGER_ID.fullmatch(token):
                        refuse(
                            number,
                            f"node id {excerpt(token)} is not an integer, but this file's ids "
                            f"are (its first edge, line {first_edge}); {EDGE_LIST_RULES}",
                        )
                    value = int(token)
                    if not _INT64_MIN <= value <= _INT64_MAX:
                        refuse(number, f"node id {excerpt(token)} is too large (at most 2^63 - 1)")
                    integers.append(value)
            else:
                codes.append(names.setdefault(a, len(names)))
                codes.append(names.setdefault(b, len(names)))
    if integer_ids is None:
        raise ScenarioError(source, where, "edge list has no edges")
    if integer_ids:
        ids = np.frombuffer(integers, dtype=np.int64)
        if declared is None:
            labels, node = np.unique(ids, return_inverse=True)
        else:
            outside = np.flatnonzero((ids < 0) | (ids >= declared))
            if len(outside):
                raise ScenarioError(
                    source,
                    where,
                    f"node id {ids[outside[0]]} is outside 0..{declared - 1}, the ids that "
                    f"'# nodes: {declared}' (line {declared_line}) allows",
                )
            labels, node = np.arange(declared, dtype=np.int64), ids
    else:
        if declared is not None:
            raise ScenarioError(
                source,
                where,
                f"line {declared_line}: '# nodes: {declared}' needs integer ids 0..N-1, but "
                f"this file's ids are names (its first edge, line {first_edge})",
            )
        ordered = sorted(names)  # nodes in the order of their names, as text
        rank = np.empty(len(names), dtype=np.int64)
        rank[[names[name] for name in ordered]] = np.arange(len(ordered))
        labels, node = np.array(ordered), rank[np.frombuffer(codes, dtype=np.int64)]
    node = node.astype(np.int64)
    first, second = node[0::2], node[1::2]
    if direction == "follower_followee":
        return second, first, labels
    if direction == "followee_follower":
        return first, second, labels
    return np.concatenate([first, second]), np.concatenate([second, first]), labels


# Integer literals: digits with an optional sign. "1.0", "1e3" and "0x1" are not.
_INTEGER_ID = re.compile(r"[+-]?[0-9]+")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_NODE_COUNT = re.compile(r"^#\s*nodes\s*[:=]\s*([0-9][0-9_]*)\s*$", re.IGNORECASE)
EDGE_LIST_RULES = (
    "ids are all integer literals (7, 007 and +7 are one node; 7.0 is not an integer) or "
    "all names (compared as text), as the first edge shows"
)


def check_edge_list_citizens(citizens: int, nodes: int, path: str | Path) -> None:
    """With an edge list the file sets the citizens: population.citizens must agree.

    It may be left at its default (10,000, which then means "as many as the file has")
    or equal the file's node count; any other number would be silently ignored, so it
    is refused.
    """
    from simulation.scenario import PopulationSettings, ScenarioError

    default = PopulationSettings.model_fields["citizens"].default
    if citizens in (default, nodes):
        return
    raise ScenarioError(
        str(path),
        "population.citizens",
        f"is {citizens:,}, but with network.kind = 'edge_list' the file sets the citizens: "
        f"it has {nodes:,} nodes. Leave population.citizens at its default ({default:,}) "
        f"or set it to {nodes}; to add citizens without follows, declare them in the file "
        "with a line '# nodes: N'",
    )
