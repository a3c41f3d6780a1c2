"""The worker's cache of follower graphs (simulation/graph_cache.py).

A cached graph must be exactly the graph the run would have built: the key holds every
setting that enters the graph's draws. The property test builds graphs for random
scenarios through one cache and on their own; a setting left out of the key would hand
some scenario another's graph, and the arrays would differ.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import load_scenario, run_one
from simulation.accounts import account_plans
from simulation.graph_cache import GraphCache, graph_bytes, graph_key
from simulation.model import GovernmentResponseModel
from simulation.scenario import NetworkSettings
from tests.experiment_support import EXAMPLE_EDGES, tiny

# A value other than the default for every network setting: each must change the key.
# A new setting in NetworkSettings needs a line here (the test below says so).
NETWORK_VARIANTS = {
    "kind": "small_world",
    "mean_following": 7.0,
    "follower_exponent": 2.9,
    "rewiring_probability": 0.3,
    "reciprocal": True,
    "edge_list": str(EXAMPLE_EDGES),
    "edge_list_direction": "undirected",
    "opinion_leader_share": 0.2,
}


def key_of(scenario, seed=1):
    return graph_key(scenario, seed, [plan.follow_share for plan in account_plans(scenario)])


def test_every_network_setting_and_every_other_graph_input_changes_the_key():
    assert set(NETWORK_VARIANTS) == set(NetworkSettings.model_fields), (
        "a network setting has no variant here: add one, and make sure graph_key holds it"
    )
    base = tiny()
    keys = {key_of(base)}
    for name, value in NETWORK_VARIANTS.items():
        overrides = {f"network.{name}": value}
        if name == "edge_list":
            overrides |= {"network.kind": "edge_list", "population.citizens": 400}
        keys.add(key_of(base.with_overrides(overrides)))
    keys.add(key_of(base.with_overrides({"population.citizens": 501})))
    keys.add(key_of(base.with_overrides({"population.follow_share": 0.31})))
    keys.add(key_of(base, seed=2))
    two_accounts = base.with_overrides(
        {"accounts.a.follow_share": 0.3, "accounts.b.follow_share": 0.2}
    )
    keys.add(key_of(two_accounts))
    keys.add(key_of(two_accounts.with_overrides({"accounts.b.follow_share": 0.25})))
    assert len(keys) == 1 + len(NETWORK_VARIANTS) + 5
    # Settings the graph does not read leave the key as it is.
    others = {"staffing.operators": 5, "population.initial_trust_mean": 0.3, "run.days": 9}
    assert key_of(base.with_overrides(others)) == key_of(base)


def test_an_edited_edge_list_is_another_graph(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("# nodes: 400\n0,1\n1,2\n", encoding="utf-8")
    scenario = tiny(
        **{"network.kind": "edge_list", "network.edge_list": str(path), "population.citizens": 400}
    )
    before = key_of(scenario)
    path.write_text("# nodes: 400\n0,1\n2,1\n", encoding="utf-8")
    assert key_of(scenario) != before


def graph_arrays(model):
    graph = model.graph
    return graph.indptr, graph.followers, graph.is_leader, graph.follows_accounts


# Scenarios that differ in graph settings, in the citizens, in the follow shares and
# accounts, and in one setting the graph ignores; seeds from a small set, so that some
# scenarios meet again and take a graph from the cache.
scenario_settings = st.fixed_dictionaries(
    {
        "network.kind": st.sampled_from(["heavy_tailed", "small_world", "random"]),
        "network.mean_following": st.sampled_from([4.0, 6.0]),
        "network.follower_exponent": st.sampled_from([2.2, 2.6]),
        "network.rewiring_probability": st.sampled_from([0.05, 0.2]),
        "network.reciprocal": st.booleans(),
        "network.opinion_leader_share": st.sampled_from([0.0, 0.05]),
        "population.citizens": st.sampled_from([60, 80]),
        "population.follow_share": st.sampled_from([0.2, 0.4]),
        "staffing.operators": st.sampled_from([1, 2]),  # not a graph setting
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    runs=st.lists(
        st.tuples(
            scenario_settings,
            st.sampled_from([1, 2]),
            st.sampled_from([None, (0.3, 0.1), (0.3, 0.2)]),  # accounts' follow shares
        ),
        min_size=2,
        max_size=8,
    )
)
def test_a_graph_from_the_cache_is_the_graph_the_run_builds(runs):
    cache = GraphCache()
    keys = set()
    for overrides, seed, accounts in runs:
        scenario = tiny(**overrides)
        if accounts is not None:
            scenario = scenario.with_overrides(
                {f"accounts.a{i}.follow_share": share for i, share in enumerate(accounts)}
            )
        keys.add(key_of(scenario, seed))
        cached = GovernmentResponseModel(scenario, seed=seed, graph_cache=cache)
        fresh = GovernmentResponseModel(scenario, seed=seed)
        for a, b in zip(graph_arrays(cached), graph_arrays(fresh), strict=True):
            np.testing.assert_array_equal(a, b)
    assert (cache.misses, cache.hits) == (len(keys), len(runs) - len(keys))


def same_numbers(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        x == y or (math.isnan(x) and math.isnan(y))
        for x, y in zip(a.values(), b.values(), strict=True)
    )


def test_points_that_share_a_graph_give_the_outputs_of_runs_without_the_cache():
    cache = GraphCache()
    base = load_scenario("baseline", overrides={"population.citizens": 2_000})
    for operators in (1, 3, 1):
        scenario = base.with_overrides({"staffing.operators": operators})
        cached = run_one(scenario, seed=5, days=3, graph_cache=cache)
        fresh = run_one(scenario, seed=5, days=3)
        assert same_numbers(cached.summary, fresh.summary)
        assert cached.daily.equals(fresh.daily)
    assert (cache.hits, cache.misses, len(cache)) == (2, 1, 1)


def test_a_cached_graph_is_read_only():
    cache = GraphCache()
    model = GovernmentResponseModel(tiny(), seed=1, graph_cache=cache)
    for array in (model.graph.indptr, model.graph.followers, model.graph.is_leader):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = array[0]
    # A model of its own graph can still change it (the cache changes nothing else).
    own = GovernmentResponseModel(tiny(), seed=1)
    own.graph.is_leader[0] = own.graph.is_leader[0]


def test_the_cache_keeps_to_its_bound_dropping_the_least_recently_used():
    scenarios = [tiny(**{"population.citizens": n}) for n in (300, 301, 302)]
    size = graph_bytes(GovernmentResponseModel(scenarios[0], seed=1).graph)
    cache = GraphCache(max_bytes=int(2.5 * size))
    for scenario in [scenarios[0], scenarios[1], scenarios[0], scenarios[2]]:
        GovernmentResponseModel(scenario, seed=1, graph_cache=cache)
    assert len(cache) == 2 and cache.bytes <= cache.max_bytes
    GovernmentResponseModel(scenarios[0], seed=1, graph_cache=cache)  # kept: used last but one
    assert cache.hits == 2
    GovernmentResponseModel(scenarios[1], seed=1, graph_cache=cache)  # dropped first
    assert cache.misses == 4
    small = GraphCache(max_bytes=size // 2)  # a graph larger than the bound is not kept
    GovernmentResponseModel(scenarios[0], seed=1, graph_cache=small)
    assert len(small) == 0 and small.bytes == 0
    with pytest.raises(ValueError, match="max_bytes"):
        GraphCache(max_bytes=-1)
