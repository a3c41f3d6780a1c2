"""Mesa's own tools work on the model: DataCollector, batch_run, rng, running.

The DataCollector collects the daily series once per simulated day, so it must agree
with the model's own daily table day for day, and it must not change a run.
"""

from __future__ import annotations

import multiprocessing

import numpy as np
import pandas as pd
import pytest

from simulation import GovernmentResponseModel, load_scenario, run_one
from simulation.codes import HOURS_PER_DAY
from simulation.items import COLUMNS
from simulation.model import daily_column_names, root_seed

# Counted on the day a cascade started, and it may grow on the days after: the row a
# day's end collected can only be revised upwards by the final table.
REVISED_LATER = {"largest_cascade"}


def small(name: str = "baseline", citizens: int = 2000):
    return load_scenario(name, [f"population.citizens={citizens}"])


@pytest.mark.parametrize("name", ["baseline", "closed_loop", "rumour_crisis"])
def test_datacollector_rows_are_the_daily_table_day_for_day(name):
    model = GovernmentResponseModel(small(name), seed=5, days=6)
    model.run()
    collected = model.datacollector.get_model_vars_dataframe()
    daily = model.metrics.daily_frame()
    assert list(collected.columns) == list(daily.columns) == daily_column_names()
    assert model.datacollector._collection_steps == [24.0 * (d + 1) for d in range(6)]
    assert collected["day"].tolist() == list(range(6)), "row d is day d"
    for column in daily.columns:
        got, final = collected[column].to_numpy(float), daily[column].to_numpy(float)
        if column in REVISED_LATER:
            assert (got <= final).all(), column
        else:
            np.testing.assert_array_equal(got, final, err_msg=column)


def test_datacollector_collects_at_the_end_of_each_day_only():
    model = GovernmentResponseModel(small(citizens=500), seed=1, days=2)
    for hour in range(2 * HOURS_PER_DAY):
        model.step()
        rows = len(model.datacollector.get_model_vars_dataframe())
        assert rows == (hour + 1) // HOURS_PER_DAY, f"after hour {hour}"
    assert model.last_day["day"] == 1
    assert model.last_day["mean_trust"] == model.metrics.daily_frame()["mean_trust"].iloc[1]


def test_the_model_stops_itself_at_its_horizon():
    model = GovernmentResponseModel(small(citizens=500), seed=1, days=2)
    while model.running:
        model.step()
    assert model.hour == model.steps == 2 * HOURS_PER_DAY
    assert model.time == 2.0 * HOURS_PER_DAY


def test_rng_seeds_the_model_as_seed_does():
    scenario = small(citizens=800)
    by_seed = GovernmentResponseModel(scenario, seed=4, days=2)
    by_rng = GovernmentResponseModel(scenario, rng=4, days=2)
    assert by_rng.seed == 4
    by_seed.run()
    by_rng.run()
    assert by_seed.summary() == pytest.approx(by_rng.summary(), nan_ok=True)
    sequence = np.random.SeedSequence(11)
    assert root_seed(sequence) == root_seed(np.random.SeedSequence(11))
    assert root_seed(np.random.default_rng(3)) == root_seed(np.random.default_rng(3))
    with pytest.raises(ValueError, match="not both"):
        GovernmentResponseModel(scenario, seed=1, rng=2)


def test_collecting_changes_no_result():
    """A run's outputs do not depend on whether anyone reads the DataCollector."""
    scenario = small("closed_loop", 1500)
    first = run_one(scenario, seed=2, days=3)
    model = GovernmentResponseModel(scenario, seed=2, days=3)
    model.run()
    model.datacollector.get_model_vars_dataframe()
    assert model.summary() == pytest.approx(first.summary, nan_ok=True)
    pd.testing.assert_frame_equal(
        model.metrics.daily_frame(),
        first.daily.drop(columns=["scenario", "scenario_hash", "seed", "version"]),
    )


def test_mesa_batch_run_runs_the_model(monkeypatch):
    import mesa

    method = multiprocessing.get_start_method(allow_none=True)
    scenarios = [small(citizens=500).with_overrides({"staffing.operators": n}) for n in (2, 4)]
    try:
        results = mesa.batch_run(
            GovernmentResponseModel,
            parameters={"scenario": scenarios, "days": 2},
            rng=[1, 2],
            max_steps=10_000,  # more than the horizon: the model stops itself
            data_collection_period=1,
            display_progress=False,
        )
    finally:  # batch_run forces the spawn start method on the whole program
        multiprocessing.set_start_method(method, force=True)
    frame = pd.DataFrame(results)
    assert len(frame) == 2 * 2 * 2, "2 scenarios x 2 seeds x 2 days"
    assert sorted(frame["seed"].unique()) == [1, 2]
    assert frame.groupby("RunId")["Step"].apply(list).map(tuple).unique().tolist() == [(24.0, 48.0)]
    one = frame[(frame["seed"] == 2) & (frame["scenario"] == scenarios[1])]
    expected = run_one(scenarios[1], seed=2, days=2).daily
    np.testing.assert_array_equal(one["received"], expected["received"])
    np.testing.assert_array_equal(one["mean_trust"], expected["mean_trust"])


# --------------------------------------------------------- citizens: eager or on demand


def test_citizens_made_eagerly_or_on_demand_give_the_same_run():
    """Registered agents or views: the same daily table, items and staff ids."""
    runs = {}
    for eager in (True, False):
        model = GovernmentResponseModel(
            small(citizens=1500), seed=4, days=4, create_citizen_agents=eager
        )
        model.run()
        runs[eager] = model
    eager, lazy = runs[True], runs[False]
    assert eager.citizens.eager and not lazy.citizens.eager
    pd.testing.assert_frame_equal(eager.metrics.daily_frame(), lazy.metrics.daily_frame())
    assert len(eager.items) == len(lazy.items) > 0
    for column in COLUMNS:
        np.testing.assert_array_equal(
            eager.items.view(column), lazy.items.view(column), err_msg=column
        )
    pd.testing.assert_series_equal(pd.Series(eager.summary()), pd.Series(lazy.summary()))
    assert [o.unique_id for o in eager.operators] == [o.unique_id for o in lazy.operators]
    assert eager.operators[0].unique_id == 1500 + 1, "citizens take ids 1..n first"


@pytest.mark.parametrize("eager", [True, False], ids=["eager", "on demand"])
def test_a_citizen_reads_and_writes_the_live_trust(eager):
    model = GovernmentResponseModel(
        small(citizens=800), seed=2, days=3, create_citizen_agents=eager
    )
    model.run()
    population = model.population
    moved = int(np.argmax(np.abs(population.trust_at(model.hour) - population.initial_trust)))
    citizen = model.citizens[moved]
    assert citizen.trust == population.trust_one(moved) != population.initial_trust[moved]
    citizen.trust = 0.125
    assert population.trust_one(moved) == 0.125 == model.citizens[moved].trust
    assert model.citizens[-1].index == 799 and model.citizens[-1].unique_id == 800
    with pytest.raises(IndexError):
        model.citizens[800]


def test_eager_citizens_are_in_models_agentsets():
    from simulation.agents.citizen import Citizen

    model = GovernmentResponseModel(small(citizens=600), seed=1, days=1)
    assert model.citizens.eager, "600 citizens are below the eager limit"
    assert len(model.agents_by_type[Citizen]) == 600
    assert len(model.agents) == 600 + len(model.operators) + len(model.departments)
    assert model.citizens[5] in model.agents


def test_citizens_on_demand_are_views_outside_models_agentsets():
    from simulation.agents.citizen import Citizen

    model = GovernmentResponseModel(
        small(citizens=600), seed=1, days=1, create_citizen_agents=False
    )
    assert Citizen not in model.agents_by_type
    assert len(model.agents) == len(model.operators) + len(model.departments)
    assert model.citizens[5] is model.citizens[5], "a view is made once and kept"
    assert model.citizens[5] not in model.agents
    some = model.citizens.agentset([3, 5, 7])
    assert len(some) == 3 and [c.index for c in some] == [3, 5, 7]
    expected = np.mean([model.population.trust_one(i) for i in (3, 5, 7)])
    assert some.agg("trust", np.mean) == pytest.approx(expected)
    leaders = model.citizens.agentset().select(lambda c: c.is_opinion_leader)
    assert len(leaders) == int(model.population.is_leader.sum())
    assert len(model.citizens[10:13]) == 3


def test_the_default_makes_citizens_eagerly_up_to_the_limit(monkeypatch):
    import simulation.model

    monkeypatch.setattr(simulation.model, "EAGER_CITIZEN_LIMIT", 700)
    at_limit = GovernmentResponseModel(small(citizens=700), seed=1, days=1)
    above = GovernmentResponseModel(small(citizens=701), seed=1, days=1)
    assert at_limit.citizens.eager and not above.citizens.eager


def test_a_build_out_of_memory_names_the_run_and_its_estimate(monkeypatch):
    """Not numpy's allocation traceback: the citizens, follows, estimate and what to do."""
    import simulation.model
    from simulation.resources import ResourceError, estimate_run_bytes, gigabytes

    def no_room(*args, **kwargs):
        raise MemoryError("Unable to allocate 3.0 GiB for an array")

    monkeypatch.setattr(simulation.model, "build_graph", no_room)
    scenario = small(citizens=20_000_000)
    with pytest.raises(ResourceError) as refused:
        GovernmentResponseModel(scenario, seed=1, days=30)
    message = str(refused.value)
    assert "building 20,000,000 citizens (400,000,000 follows) ran out of memory" in message
    estimate = gigabytes(estimate_run_bytes(scenario, 30))
    assert estimate == "11.1 GB"  # the estimate for these 30 days (simulation.resources)
    assert f"needs an estimated {estimate}" in message and "population.citizens" in message
    assert "use fewer citizens" in message
