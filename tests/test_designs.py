"""Experimental designs: size, bounds, reproducibility, and clear errors (simulation/experiment/designs.py)."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.sample import sobol as salib_sobol

from simulation.experiment.designs import (
    Grid,
    LatinHypercube,
    Morris,
    Sobol,
    apply_points,
    design_from_dict,
)
from simulation.scenario import ScenarioError
from tests.experiment_support import tiny


def test_grid_is_the_full_factorial_with_the_first_key_slowest():
    grid = Grid({"staffing.operators": [1, 2, 4], "accountability.rule": ["none", "timeliness"]})
    points = grid.points()
    assert len(grid) == len(points) == 6
    assert grid.parameters == ["staffing.operators", "accountability.rule"]
    assert points[:3] == [
        {"staffing.operators": 1, "accountability.rule": "none"},
        {"staffing.operators": 1, "accountability.rule": "timeliness"},
        {"staffing.operators": 2, "accountability.rule": "none"},
    ]
    assert {tuple(p.values()) for p in points} == {
        (o, r) for o in (1, 2, 4) for r in ("none", "timeliness")
    }


def test_latin_hypercube_has_its_size_stays_in_bounds_and_hits_every_stratum():
    ranges = {"staffing.skill_mean": (0.2, 0.8), "staffing.operators": (1, 6)}
    design = LatinHypercube(ranges, samples=12, seed=3)
    points = design.points()
    assert len(design) == len(points) == 12
    skill = np.array([p["staffing.skill_mean"] for p in points])
    operators = [p["staffing.operators"] for p in points]
    assert ((skill >= 0.2) & (skill < 0.8)).all(), skill
    assert all(isinstance(o, int) and 1 <= o <= 6 for o in operators), operators
    # Latin hypercube: each of the 12 equal strata of the float range holds one point.
    strata = np.floor((skill - 0.2) / 0.6 * 12).astype(int)
    assert sorted(strata) == list(range(12)), strata
    # Six integers over 12 points: each appears exactly twice.
    assert sorted(operators) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    assert design.points() == LatinHypercube(ranges, samples=12, seed=3).points()
    assert design.points() != LatinHypercube(ranges, samples=12, seed=4).points()


def test_sobol_has_n_times_d_plus_2_points_in_salibs_order():
    ranges = {"staffing.skill_mean": (0.2, 0.8), "population.follow_share": (0.1, 0.5)}
    design = Sobol(ranges, samples=8, seed=1)
    points = design.points()
    assert len(design) == len(points) == 8 * (2 + 2)
    expected = salib_sobol.sample(design.problem, 8, calc_second_order=False, seed=1)
    got = np.array([[p[k] for k in design.parameters] for p in points])
    np.testing.assert_allclose(got, expected)
    assert (got[:, 0] >= 0.2).all() and (got[:, 0] <= 0.8).all()
    assert (got[:, 1] >= 0.1).all() and (got[:, 1] <= 0.5).all()


def test_morris_trajectories_move_one_parameter_at_a_time_by_two_thirds_of_its_range():
    ranges = {
        "staffing.skill_mean": (0.2, 0.8),
        "population.follow_share": (0.1, 0.5),
        "staffing.training": (0.0, 0.3),
    }
    design = Morris(ranges, samples=5, seed=2)
    points = design.points()
    assert len(design) == len(points) == 5 * (3 + 1)
    values = np.array([[p[k] for k in design.parameters] for p in points])
    width = np.array([hi - lo for lo, hi in ranges.values()])
    for start in range(0, len(points), 4):
        steps = np.diff(values[start : start + 4], axis=0) / width
        moved = np.abs(steps) > 1e-12
        assert (moved.sum(axis=1) == 1).all(), steps  # one parameter per step
        assert sorted(np.flatnonzero(moved.any(axis=0))) == [0, 1, 2]  # each once
        np.testing.assert_allclose(np.abs(steps[moved]), 2 / 3)
    with pytest.raises(ScenarioError, match="float bounds"):
        Morris({"staffing.operators": (1, 3)}, samples=2)


def test_designs_round_trip_through_their_description():
    for design in (
        Grid({"staffing.operators": [1, 2]}),
        LatinHypercube({"staffing.training": (0.0, 0.3)}, samples=4, seed=2),
        Sobol({"staffing.training": (0.0, 0.3), "staffing.operators": (1, 3)}, samples=2),
        Morris({"staffing.training": (0.0, 0.3), "staffing.skill_mean": (0.2, 0.8)}, samples=2),
    ):
        again = design_from_dict(design.to_dict())
        assert again == design and again.points() == design.points(), design


def test_unknown_keys_are_refused_with_a_hint():
    with pytest.raises(ScenarioError) as info:
        Grid({"staffing.operator": [1, 2]})
    assert info.value.field == "staffing.operator"
    assert "did you mean 'operators'?" in str(info.value)
    with pytest.raises(ScenarioError, match="did you mean 'staffing'"):
        LatinHypercube({"stafing.operators": (1, 3)}, samples=2)
    with pytest.raises(ScenarioError, match="is a section"):
        Grid({"staffing": [1]})
    with pytest.raises(ScenarioError, match="not a section"):
        Grid({"staffing.operators.count": [1]})
    with pytest.raises(ScenarioError, match="replications"):
        Grid({"run.seed": [1, 2]})
    with pytest.raises(ScenarioError, match="inside 'population.kind_mix'"):
        Grid({"population.kind_mix": [{}], "population.kind_mix.request": [0.1]})
    # Names in tables (departments) are checked against the scenario swept.
    with pytest.raises(ScenarioError, match="did you mean 'pensions'"):
        Grid({"departments.pension.staff": [1]}).check(tiny())


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ((2.0, 1.0), "must be below"),
        ((1, 1), "must be below"),
        (("a", 2), "finite number"),
        ((0.0, float("inf")), "finite number"),
        ((0.1, 0.2, 0.3), r"\(low, high\)"),
        (0.5, r"\(low, high\)"),
    ],
)
def test_bad_bounds_are_refused(bounds, message):
    with pytest.raises(ScenarioError, match=message) as info:
        LatinHypercube({"staffing.skill_mean": bounds}, samples=3)
    assert info.value.field == "staffing.skill_mean"


def test_bad_sizes_and_levels_are_refused():
    with pytest.raises(ScenarioError, match="samples"):
        Sobol({"staffing.skill_mean": (0.1, 0.9)}, samples=0)
    with pytest.raises(ScenarioError, match="at least one level"):
        Grid({"staffing.operators": []})
    with pytest.raises(ScenarioError, match="list of values"):
        Grid({"accountability.rule": "timeliness"})


def test_values_are_validated_against_the_scenario_before_running():
    scenario = tiny()
    with pytest.raises(ScenarioError) as info:
        LatinHypercube({"staffing.skill_mean": (0.5, 1.5)}, samples=3).check(scenario)
    assert info.value.field == "staffing.skill_mean"
    assert "upper bound 1.5" in str(info.value)
    with pytest.raises(ScenarioError, match="integer bounds"):
        LatinHypercube({"staffing.operators": (1, 4.5)}, samples=3).check(scenario)
    with pytest.raises(ScenarioError, match=r"design point 1: \{'accountability.rule': 'quick'\}"):
        apply_points(scenario, Grid({"accountability.rule": ["none", "quick"]}).points())
