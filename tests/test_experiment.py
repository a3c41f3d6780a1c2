"""Replications, comparisons and sweeps in this process (simulation/experiment/api.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import simulation.experiment.executors
from simulation import (
    Grid,
    Scenario,
    Sobol,
    SweepResults,
    compare,
    run,
    run_one,
    sobol_indices,
    sweep,
)
from simulation.experiment import Morris, morris_indices
from simulation.metrics import METRICS
from tests.experiment_support import edge_list_scenario, failing_design, tiny


def test_run_makes_one_row_per_run_and_per_run_day_with_seeds_seed_plus_i():
    scenario = tiny()
    results = run(scenario, replications=3, seed=5)
    runs = results.runs
    assert list(runs.columns[:5]) == ["scenario", "scenario_hash", "seed", "version", "replication"]
    assert runs.columns[-1] == "error"
    assert runs["seed"].tolist() == [5, 6, 7]
    assert runs["replication"].tolist() == [0, 1, 2]
    assert runs["error"].tolist() == [None, None, None]
    assert set(METRICS) <= set(results.metrics)
    assert len(results.daily) == 3 * 2
    assert list(results.daily.columns[:6]) == [
        "scenario",
        "scenario_hash",
        "seed",
        "version",
        "replication",
        "day",
    ]
    # Each run is exactly run_one with seed + replication.
    direct = run_one(scenario, seed=6)
    for metric, value in direct.summary.items():
        got = runs.loc[1, metric]
        assert got == value or (math.isnan(got) and math.isnan(value)), metric
    daily = results.daily[results.daily["replication"] == 1].reset_index(drop=True)
    for column in direct.daily.columns:
        pd.testing.assert_series_equal(
            daily[column], direct.daily[column], check_dtype=False, check_names=False
        )


def test_the_same_experiment_gives_identical_tables():
    a = run(tiny(), replications=2, days=1)
    b = run(tiny(), replications=2, days=1)
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.daily, b.daily)


def test_summary_counts_only_finished_runs_with_numbers():
    results = run(tiny(), replications=4)
    table = results.summary(["mean_trust", "median_response_hours"])
    assert list(table.columns) == [
        "scenario",
        "metric",
        "n",
        "mean",
        "median",
        "sd",
        "ci_low",
        "ci_high",
    ]
    trust = table.set_index("metric").loc["mean_trust"]
    assert trust["n"] == 4
    assert trust["ci_low"] <= trust["mean"] <= trust["ci_high"]
    median = table.set_index("metric").loc["median_response_hours"]
    assert median["n"] == results.runs["median_response_hours"].notna().sum()
    with pytest.raises(ValueError, match="did you mean 'mean_trust'"):
        results.summary(["mean_trusts"])


def test_compare_finds_that_more_operators_shorten_the_90th_percentile_wait():
    """Closed loop with the reply mandate under load, 1 vs 4 operators (as in
    test_directional: an account that answers), 8 common seeds."""
    one = Scenario().with_overrides(
        {
            "name": "one_operator",
            "population.citizens": 2000,
            "population.need_rate_per_day": 0.03,
            "mechanism.preset": "closed_loop",
            "mandate.reply_norm": 1.25,
            "staffing.operators": 1,
        }
    )
    four = one.with_overrides({"name": "four_operators", "staffing.operators": 4})
    comparison = compare(
        [one, four], replications=8, days=5, metrics=["p90_response_hours", "response_rate"]
    )
    table = comparison.table.set_index(["scenario", "metric"])
    print(comparison)
    p90 = table.loc[("four_operators", "p90_response_hours")]
    assert p90["diff"] < 0 and p90["diff_ci_high"] < 0, p90
    assert p90["significant"], f"expected a significant shorter p90 wait, got {p90.to_dict()}"
    rate = table.loc[("four_operators", "response_rate")]
    assert rate["diff"] > 0 and rate["significant"], rate
    base = table.loc[("one_operator", "p90_response_hours")]
    assert base["diff"] == 0 and math.isnan(base["p_value"]) and not base["significant"]
    assert list(comparison.table.columns[:12]) == [
        "scenario",
        "metric",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "diff",
        "diff_ci_low",
        "diff_ci_high",
        "p_value",
        "p_adjusted",
        "significant",
    ]
    assert comparison.notes == [], "8 replications need no warning"
    assert (comparison.table["tests"] == 2).all()
    assert "95 % simultaneous (Bonferroni, m = 2)" in str(comparison)
    assert "four_operators" in str(comparison) and "*" in str(comparison)
    assert comparison.to_markdown().count("\n|") == 2 + 4  # header, rule, 4 rows


def test_comparing_a_scenario_with_itself_gives_no_difference():
    scenario = tiny()
    comparison = compare([scenario, scenario.with_overrides({"name": "copy"})], replications=3)
    others = comparison.table[comparison.table["scenario"] == "copy"]
    tested = others[others["n_pairs"] >= 2]
    assert len(tested) > 0
    assert (tested["diff"] == 0).all(), tested
    assert (tested["p_value"] == 1).all() and not tested["significant"].any()
    assert comparison.baseline == "tiny"
    # Three replications are fewer than the coverage check backs: one line says so.
    assert len(comparison.notes) == 1 and "run at least 5 replications" in comparison.notes[0]
    assert comparison.notes[0] in str(comparison)


def test_compare_refuses_duplicate_names_and_unknown_baselines():
    with pytest.raises(ValueError, match="names must differ"):
        compare([tiny(), tiny()], replications=1)
    with pytest.raises(ValueError, match="did you mean 'tiny'"):
        compare([tiny(), tiny(name="other")], baseline="tiyn", replications=1)


def test_a_failing_run_is_recorded_and_the_others_complete(tmp_path):
    results = sweep(edge_list_scenario(), failing_design(tmp_path), replications=2)
    runs = results.runs
    assert len(runs) == 4
    failed = runs[runs["point"] == 1]
    assert failed["error"].str.contains("edge list has no edges").all(), failed["error"]
    assert failed["response_rate"].isna().all()
    ok = runs[runs["point"] == 0]
    assert ok["error"].isna().all() and ok["received"].notna().all()
    assert set(results.daily["point"]) == {0}
    summary = results.summary(["mean_trust"]).set_index("point")
    assert summary.loc[0, "n"] == 2 and summary.loc[1, "n"] == 0


def test_a_run_that_raises_in_the_serial_path_does_not_stop_the_others(monkeypatch):
    real = simulation.experiment.executors.run_one

    def flaky(scenario, seed=None, days=None, progress=None, graph_cache=None):
        if seed == 2:
            raise RuntimeError("simulated failure")
        return real(scenario, seed=seed, days=days, graph_cache=graph_cache)

    monkeypatch.setattr(simulation.experiment.executors, "run_one", flaky)
    results = run(tiny(), replications=3)
    assert results.runs["error"].tolist() == [None, "RuntimeError: simulated failure", None]
    assert len(results.failed) == 1
    assert sorted(set(results.daily["seed"])) == [1, 3]


def test_sweep_labels_runs_with_point_and_parameters():
    design = Grid({"staffing.operators": [1, 3], "accountability.rule": ["none", "timeliness"]})
    results = sweep(tiny(), design, replications=2, seed=10)
    runs = results.runs
    assert list(runs.columns[4:8]) == [
        "replication",
        "point",
        "staffing.operators",
        "accountability.rule",
    ]
    assert runs["point"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert runs["seed"].tolist() == [10, 11] * 4
    assert runs["staffing.operators"].tolist() == [1, 1, 1, 1, 3, 3, 3, 3]
    assert results.parameters == list(design.parameters) and results.complete
    # Points that differ only in what the run never reaches share the same draws: the
    # needs that arise do not depend on staffing or appraisal (common random numbers).
    needs = runs.pivot(index="replication", columns="point", values="needs")
    assert (needs.nunique(axis=1) == 1).all(), needs
    summary = results.summary(["response_rate"])
    assert list(summary.columns[:4]) == [
        "scenario",
        "point",
        "staffing.operators",
        "accountability.rule",
    ]
    assert len(summary) == 4


def _ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function():
    """The wiring of sobol_indices on a function with known indices (Saltelli et al. 2008).

    Analytic values for a = 7, b = 0.1 on [-π, π]³: S1 = 0.314, 0.442, 0; ST = 0.558,
    0.442, 0.244. With N = 1024 the estimates are within about 0.05.
    """
    names = ["population.follow_share", "staffing.skill_mean", "staffing.training"]
    design = Sobol({name: (-np.pi, np.pi) for name in names}, samples=1024, seed=7)
    points = design.points()
    x = np.array([[p[n] for n in names] for p in points])
    runs = pd.DataFrame(
        {
            "scenario": "ishigami",
            "scenario_hash": "-",
            "seed": 1,
            "version": "-",
            "replication": 0,
            "point": range(len(points)),
            **{n: x[:, j] for j, n in enumerate(names)},
            "y": _ishigami(x),
            "error": None,
        }
    )
    results = SweepResults(runs, pd.DataFrame(), design=design, replications=1, seed=1)
    indices = sobol_indices(results, "y").set_index("parameter")
    np.testing.assert_allclose(indices["S1"], [0.314, 0.442, 0.0], atol=0.05)
    np.testing.assert_allclose(indices["ST"], [0.558, 0.442, 0.244], atol=0.05)
    assert (indices[["S1_conf", "ST_conf"]] > 0).all().all()
    with pytest.raises(ValueError, match="missing at 1 of"):
        sobol_indices(
            SweepResults(runs.drop(index=5), pd.DataFrame(), design=design, replications=1),
            "y",
        )


def test_sobol_intervals_are_the_same_every_time_with_the_default_design_seed():
    """The bootstrap intervals are seeded by the design's seed, 0 included (SALib reads a
    seed of 0 as none): redrawing a report from its store gives the same intervals."""
    names = ["population.follow_share", "staffing.skill_mean"]
    design = Sobol({name: (0.0, 1.0) for name in names}, samples=64, seed=0)
    x = np.array([[p[n] for n in names] for p in design.points()])
    y = x[:, 0] + 0.5 * x[:, 1] ** 2 + np.random.default_rng(0).normal(0, 0.1, len(x))
    runs = pd.DataFrame(
        {
            "scenario": "toy",
            "scenario_hash": "-",
            "seed": 1,
            "version": "-",
            "replication": 0,
            "point": range(len(x)),
            **{n: x[:, j] for j, n in enumerate(names)},
            "y": y,
            "error": None,
        }
    )
    results = SweepResults(runs, pd.DataFrame(), design=design, replications=1, seed=1)
    first, second = (sobol_indices(results, "y") for _ in range(2))
    pd.testing.assert_frame_equal(first, second)


def test_morris_measures_are_effects_over_each_whole_range():
    """On y = 3·x0 + 0·x1 + x2², mu* is exactly 3 × x0's range (a linear effect), exactly 0
    for x1, and x2's curvature shows as a spread of its effects (sigma > 0)."""
    ranges = {
        "population.follow_share": (0.0, 0.5),
        "staffing.skill_mean": (0.2, 0.8),
        "staffing.training": (0.0, 1.0),
    }
    names = list(ranges)
    design = Morris(ranges, samples=20, seed=3)
    points = design.points()
    x = np.array([[p[n] for n in names] for p in points])
    runs = pd.DataFrame(
        {
            "scenario": "linear",
            "scenario_hash": "-",
            "seed": 1,
            "version": "-",
            "replication": 0,
            "point": range(len(points)),
            **{n: x[:, j] for j, n in enumerate(names)},
            "y": 3 * x[:, 0] + x[:, 2] ** 2,
            "error": None,
        }
    )
    results = SweepResults(runs, pd.DataFrame(), design=design, replications=1, seed=1)
    measures = morris_indices(results, "y").set_index("parameter")
    np.testing.assert_allclose(measures.loc[names[0], ["mu_star", "mu"]], [1.5, 1.5])
    assert measures.loc[names[0], "sigma"] < 1e-9
    assert measures.loc[names[1], "mu_star"] == 0.0
    assert measures.loc[names[2], "sigma"] > 0.1
    with pytest.raises(TypeError, match="Morris design"):
        morris_indices(
            SweepResults(
                runs, pd.DataFrame(), design=Grid({"staffing.operators": [1]}), replications=1
            ),
            "y",
        )
