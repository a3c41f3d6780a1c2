"""The follower-graph generators on their own (`simulation.network.build_graph`).

Edges point the way posts travel: u → v means v follows u, so a citizen's follower
count is its out-degree in the CSR arrays and how many it follows is the number of
times it appears among the followers. Node n is the government account.

Tolerances come from the generators' own laws (see each test); sizes are chosen so each
test runs in well under two seconds.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from scipy import stats

from simulation import network
from simulation.network import FollowerGraph, build_graph
from simulation.scenario import NetworkSettings

N = 20_000
BA_N = 5000  # networkx's Barabási-Albert generator is slower
M = 20.0  # network.mean_following (the default)
KINDS = {
    "heavy_tailed": {"kind": "heavy_tailed"},
    "small_world": {"kind": "small_world"},
    "random_directed": {"kind": "random"},
    "random_reciprocal": {"kind": "random", "reciprocal": True},
    "barabasi_albert": {"kind": "barabasi_albert"},
}


def graph(settings: dict, n: int = N, follow_share: float = 0.3, seed: int = 1) -> FollowerGraph:
    """The graph for these settings (built once per session: tests only read it)."""
    return _graph(tuple(sorted(settings.items())), n, follow_share, seed)


@functools.cache
def _graph(settings: tuple, n: int, follow_share: float, seed: int) -> FollowerGraph:
    rng = np.random.default_rng(seed)
    return build_graph(NetworkSettings(**dict(settings)), n, follow_share, rng)


def follower_counts(g: FollowerGraph) -> np.ndarray:
    return g.follower_counts[: g.n_citizens]


def following_counts(g: FollowerGraph) -> np.ndarray:
    """How many citizens each citizen follows (the government account left out)."""
    citizen_edges = g.followers[: g.indptr[g.n_citizens]]
    return np.bincount(citizen_edges, minlength=g.n_citizens)


def top_share(counts: np.ndarray, share: float = 0.01) -> float:
    ranked = np.sort(counts)[::-1]
    return float(ranked[: max(1, round(share * len(ranked)))].sum() / ranked.sum())


def ccdf_slope(counts: np.ndarray, low: int, high: int) -> float:
    """Log-log slope of P(K ≥ k) between k = low and k = high."""
    return math.log(np.mean(counts >= high) / np.mean(counts >= low)) / math.log(high / low)


def edge_list_file(tmp_path, text: str) -> str:
    path = tmp_path / "edges.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------- CSR arrays


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_csr_arrays_are_consistent(kind):
    n = BA_N if kind == "barabasi_albert" else N
    g = graph(KINDS[kind], n=n)
    assert g.indptr.shape == (n + 2,), f"indptr length: expected {n + 2}, got {g.indptr.shape}"
    assert g.indptr[0] == 0 and g.indptr[-1] == len(g.followers) == g.n_edges
    assert (np.diff(g.indptr) >= 0).all(), "indptr must be non-decreasing"
    assert g.followers.min() >= 0 and g.followers.max() < n, (
        f"followers must be citizens 0..{n - 1}, got range "
        f"[{g.followers.min()}, {g.followers.max()}]"
    )
    sources = np.repeat(np.arange(g.n_nodes), g.follower_counts)
    self_follows = int(np.count_nonzero(sources == g.followers))
    assert self_follows == 0, f"{self_follows} citizens follow themselves"
    keys = sources * g.n_nodes + g.followers
    assert len(np.unique(keys)) == len(keys), "an edge appears twice"
    assert g.is_leader.shape == (n,)


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_same_seed_same_graph_another_seed_another(kind):
    settings, n = KINDS[kind], 1000
    a, b, c = graph(settings, n, seed=7), graph(settings, n, seed=7), graph(settings, n, seed=8)
    for name in ("indptr", "followers", "is_leader"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), f"seed 7 twice: {name} differs"
    assert not np.array_equal(a.followers, c.followers), "seeds 7 and 8 gave the same graph"


# --------------------------------------------------------------------------- mean degree


def test_random_graphs_have_the_mean_following_exactly_in_expectation():
    """G(n, p) with p = m/(n − 1): the number of edges is binomial, so the mean following
    is m with standard error √(m/n) (directed) or √(2m/n) (every follow mutual)."""
    for settings, se in (
        (KINDS["random_directed"], math.sqrt(M / N)),
        (KINDS["random_reciprocal"], math.sqrt(2 * M / N)),
    ):
        for seed in (1, 2, 3):
            mean = follower_counts(graph(settings, seed=seed)).mean()
            assert abs(mean - M) < 4 * se, (
                f"{settings}, seed {seed}: mean following {mean:.4f}, expected {M} ± {4 * se:.3f}"
            )


def test_heavy_tailed_mean_following_loses_only_repeated_picks():
    """Each citizen picks Poisson(m) accounts (standard error √(m/n)); picks of the same
    popular account twice, or of oneself, are dropped, which costs under 2 %."""
    for seed in (1, 2, 3):
        g = graph(KINDS["heavy_tailed"], seed=seed)
        mean = following_counts(g).mean()
        assert 0.98 * M < mean < M + 4 * math.sqrt(M / N), (
            f"seed {seed}: mean following {mean:.4f}, expected in (0.98·{M}, {M} + 4 SE)"
        )
        assert mean == pytest.approx(follower_counts(g).mean()), "in- and out-degrees disagree"


def test_small_world_ring_without_rewiring_is_regular():
    g = graph({"kind": "small_world", "rewiring_probability": 0.0})
    for name, counts in (("followers", follower_counts(g)), ("following", following_counts(g))):
        assert counts.min() == counts.max() == M, (
            f"{name}: every citizen should have exactly {M:.0f}, got {counts.min()}-{counts.max()}"
        )


def test_small_world_rewiring_keeps_the_mean_and_a_narrow_spread():
    """2·round(m/2) follows each; a rewired edge is lost only when it lands on a
    neighbour or itself (chance ≈ m/n), so the mean stays within 0.1 % of m."""
    counts = follower_counts(graph(KINDS["small_world"]))
    assert M * 0.999 < counts.mean() <= M, f"mean following {counts.mean():.4f}, expected ≈ {M}"
    dispersion = counts.var() / counts.mean()
    assert dispersion < 0.3, f"variance/mean {dispersion:.3f}: should be far below Poisson's 1"


def test_barabasi_albert_edge_count_is_exact():
    """networkx starts from a star of m + 1 nodes and adds m edges per further node:
    m (n − m) mutual edges, so the mean following is 2 m (n − m) / n."""
    n, m = BA_N, int(round(M / 2))
    mean = follower_counts(graph(KINDS["barabasi_albert"], n=n)).mean()
    assert mean == pytest.approx(2 * m * (n - m) / n), f"mean following {mean}"


# --------------------------------------------------------------------------- degree laws


@pytest.mark.parametrize("exponent, n, low, high", [(2.3, N, 50, 500), (3.0, 50_000, 30, 300)])
def test_heavy_tailed_follower_counts_follow_the_power_law(exponent, n, low, high):
    """P(followers ≥ k) ∝ k^(1 − exponent): the log-log slope of the tail."""
    g = graph({"kind": "heavy_tailed", "follower_exponent": exponent}, n=n)
    slope = ccdf_slope(follower_counts(g), low, high)
    assert slope == pytest.approx(1 - exponent, abs=0.15), (
        f"tail slope between {low} and {high}: expected {1 - exponent}, got {slope:.3f}"
    )


def test_heavy_tailed_followers_are_concentrated():
    counts = follower_counts(graph(KINDS["heavy_tailed"]))
    share = top_share(counts)
    assert share > 0.15, f"top 1 % hold {share:.3f} of follows; a Poisson graph gives ≈ 0.016"
    assert counts.max() > 50 * counts.mean(), (
        f"largest follower count {counts.max()} vs mean {counts.mean():.1f}: expected ≫"
    )
    following = following_counts(graph(KINDS["heavy_tailed"]))
    assert following.var() / following.mean() == pytest.approx(1.0, abs=0.1), (
        "how many each citizen follows is Poisson(m), not heavy-tailed"
    )


def test_barabasi_albert_degrees_are_heavy_tailed():
    """P(k) ≈ 2 m² / k³ for k ≥ m: no one below m, a tail with CCDF slope ≈ −2."""
    n, m = BA_N, int(round(M / 2))
    counts = follower_counts(graph(KINDS["barabasi_albert"], n=n))
    assert counts.min() == m, f"smallest degree {counts.min()}, expected m = {m}"
    share = top_share(counts)
    assert share > 0.06, f"top 1 % hold {share:.3f} of follows; a Poisson graph gives ≈ 0.016"
    assert counts.max() > 12 * counts.mean(), f"max {counts.max()} vs mean {counts.mean():.1f}"
    slope = ccdf_slope(counts, 40, 160)
    assert -2.3 < slope < -1.6, f"tail slope between 40 and 160: {slope:.3f}, expected ≈ −2"


@pytest.mark.parametrize("kind", ["random_directed", "random_reciprocal"])
def test_random_graph_follower_counts_are_near_poisson(kind):
    """Binomial(n − 1, m/(n − 1)) ≈ Poisson(m): variance/mean ≈ 1 (standard error
    √(2/n) ≈ 0.01 per graph), a total-variation distance to Poisson(m) no larger than
    sampling noise (≈ 0.014 at n = 20,000), and no hubs."""
    dispersions = []
    for seed in (1, 2, 3, 4):
        counts = follower_counts(graph(KINDS[kind], seed=seed))
        dispersions.append(counts.var() / counts.mean())
        pmf = stats.poisson.pmf(np.arange(counts.max() + 1), M)
        empirical = np.bincount(counts) / len(counts)
        tv = 0.5 * (np.abs(empirical - pmf).sum() + stats.poisson.sf(counts.max(), M))
        assert tv < 0.03, f"seed {seed}: distance to Poisson({M}) {tv:.4f}"
        assert counts.max() < 2.5 * M, f"seed {seed}: a hub with {counts.max()} followers"
        assert top_share(counts) < 0.025
    assert np.mean(dispersions) == pytest.approx(1.0, abs=0.04), (
        f"variance/mean over seeds {np.round(dispersions, 3)}, expected ≈ 1"
    )


# --------------------------------------------------------------------------- government, leaders


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_share_following_the_government_is_follow_share(kind):
    n = 1000 if kind == "barabasi_albert" else N  # networkx is slow; the law is the same
    for share in (0.0, 0.3, 1.0):
        g = graph(KINDS[kind], n=n, follow_share=share)
        got = g.follows_government.mean()
        bound = 4 * math.sqrt(share * (1 - share) / n)
        assert abs(got - share) <= bound, (
            f"share following the government: expected {share} ± {bound:.4f}, got {got:.4f}"
        )
        assert len(g.followers_of(g.government)) == g.follows_government.sum()


def test_opinion_leaders_are_the_most_followed():
    g = graph(KINDS["heavy_tailed"])
    counts = follower_counts(g)
    assert g.is_leader.sum() == round(0.01 * N)
    assert counts[g.is_leader].min() >= counts[~g.is_leader].max(), (
        "a non-leader has more followers than a leader"
    )


# --------------------------------------------------------------------------- edge lists


@pytest.mark.parametrize(
    "direction, edges",
    [
        # "a b": a follows b, so b's posts reach a: edge b → a.
        ("follower_followee", {(20, 3), (3, 10)}),
        ("followee_follower", {(3, 20), (10, 3)}),
        ("undirected", {(20, 3), (3, 20), (3, 10), (10, 3)}),
    ],
)
def test_edge_list_directions(tmp_path, direction, edges):
    text = "source,target\n3,20\n10,3  # a comment\n\n3,20\n7,7\n"
    path = edge_list_file(tmp_path, text)
    settings = {"kind": "edge_list", "edge_list": path, "edge_list_direction": direction}
    g = graph(settings, n=10_000, follow_share=0.0)  # the default: n is taken from the file
    assert g.labels.tolist() == [3, 7, 10, 20], f"labels: {g.labels.tolist()}"
    assert g.n_citizens == 4
    label = {i: int(x) for i, x in enumerate(g.labels)}
    got = {(label[u], label[int(v)]) for u in range(g.n_citizens) for v in g.followers_of(u)}
    assert got == edges, f"{direction}: expected posts to travel {edges}, got {got}"


# ------------------------------------------------ the fast build against the plain one
# The build inverts the popularity weights, sorts edges into CSR order and picks the
# opinion leaders by cheaper methods than the plain numpy calls below; these tests hold
# them to those calls exactly, so the graph (and every run on it) is the same.


def plain_heavy_tailed_edges(n: int, mean_following: float, exponent: float, rng):
    """The heavy-tailed generator with one `np.searchsorted` over all the draws."""
    ranks = rng.permutation(n).astype(np.float64)
    offset = max(1.0, n ** (1.0 / (exponent - 1.0)) / max(mean_following, 1.0) ** 2)
    weights = (ranks + offset) ** (-1.0 / (exponent - 1.0))
    cumulative = np.cumsum(weights)
    cumulative /= cumulative[-1]
    out_degree = rng.poisson(mean_following, size=n)
    dst = np.repeat(np.arange(n, dtype=np.int64), out_degree)
    src = np.searchsorted(cumulative, rng.random(len(dst)), side="right").astype(np.int64)
    return np.minimum(src, n - 1), dst


def plain_csr(src: np.ndarray, dst: np.ndarray, n_nodes: int):
    """CSR arrays by sorting src · n + dst keys and dropping self-loops and repeats."""
    keep = src != dst
    key = np.unique(src[keep].astype(np.int64) * n_nodes + dst[keep])
    src_u, dst_u = np.divmod(key, n_nodes)
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(src_u, minlength=n_nodes), out=indptr[1:])
    return indptr, dst_u.astype(np.int32)


def test_heavy_tailed_graph_at_100k_is_the_plain_generators_edge_for_edge():
    """At 100,000 citizens: the same edges in the same order, so the same degree law."""
    n = 100_000
    fast = network.heavy_tailed_edges(n, M, 2.2, np.random.default_rng(3))
    plain = plain_heavy_tailed_edges(n, M, 2.2, np.random.default_rng(3))
    for name, a, b in zip(("sources", "followers"), fast, plain, strict=True):
        assert np.array_equal(a, b), f"{name} differ from the plain generator"
        assert a.dtype == np.int32, f"{name} should be int32 (half the build's memory)"
    indptr, followers = network.to_csr(*fast, n)
    plain_indptr, plain_followers = plain_csr(*plain, n)
    assert np.array_equal(indptr, plain_indptr), "in-degrees (followers per citizen) differ"
    assert np.array_equal(followers, plain_followers), "CSR follower lists differ"
    in_degree, out_degree = np.diff(indptr), np.bincount(followers, minlength=n)
    assert in_degree.max() > 50 * M, "the popular few should have hundreds of followers"
    assert np.array_equal(out_degree, np.bincount(plain_followers, minlength=n))


def test_cumulative_inverse_is_searchsorted_at_ties_edges_and_repeated_entries():
    """Draws on an entry, between repeated entries, at 0 and next to 1 land as searchsorted's."""
    cumulative = np.array([0.1, 0.1, 0.25, 0.25, 0.25, 0.5, 0.5000000000000001, 0.9, 1.0, 1.0])
    u = np.concatenate(
        [
            cumulative,
            np.nextafter(cumulative, 0.0),
            [0.0, np.nextafter(1.0, 0.0), 0.3, 0.75, 0.1 + 1e-17],
            np.random.default_rng(1).random(10_000),
        ]
    )
    u = u[u < 1.0]
    got = network.CumulativeInverse(cumulative)(u)
    assert np.array_equal(got, np.searchsorted(cumulative, u, side="right"))


def test_csr_drops_self_loops_and_repeats_as_the_plain_sort_does():
    rng = np.random.default_rng(5)
    src = rng.integers(0, 50, size=5_000)
    dst = rng.integers(0, 50, size=5_000)  # many repeats and about 100 self-loops
    got, want = network.to_csr(src, dst, 53), plain_csr(src, dst, 53)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert got[1].dtype == np.int32 and got[0].dtype == np.int64


def test_repeats_are_dropped_in_place_across_chunk_boundaries(monkeypatch):
    """Runs of equal keys that straddle the chunks of the in-place compaction."""
    monkeypatch.setattr(network, "COMPACT_CHUNK", 7)
    rng = np.random.default_rng(8)
    for size in (0, 1, 2, 7, 8, 50, 333):
        key = np.sort(rng.integers(0, max(1, size // 3), size=size)).astype(np.int64)
        want = np.unique(key)
        assert np.array_equal(network._drop_repeats(key.copy()), want), size


@given(
    counts=st.lists(st.integers(0, 4), min_size=1, max_size=60),
    ties=st.integers(0, 2**32 - 1),
    share=st.floats(0.0, 1.0),
)
@hypothesis_settings(max_examples=200, deadline=None)
def test_most_followed_are_the_first_of_lexsort(counts, ties, share):
    """Invariant: the chosen leaders are exactly the first k of the full lexsort."""
    counts_array = np.array(counts)
    # Few distinct tie-breaks, so equal tie-breaks (resolved by index) occur too.
    tie_break = np.random.default_rng(ties).integers(0, 3, size=len(counts)).astype(float)
    k = int(round(share * len(counts)))
    got = np.sort(network.most_followed(counts_array, tie_break, k))
    want = np.sort(np.lexsort((tie_break, -counts_array))[:k])
    assert np.array_equal(got, want)
