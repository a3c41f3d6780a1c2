"""ScenarioError keeps where and why, also across processes."""

from __future__ import annotations

import pickle

from simulation.scenario.errors import ScenarioError


def test_a_scenario_error_survives_pickling_with_its_parts():
    """Errors raised in a worker process come back through pickle (process executors)."""
    error = ScenarioError("scenarios/x.toml", "population.citizens", "must be at least 10")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is ScenarioError
    assert (back.source, back.field, back.message) == (error.source, error.field, error.message)
    assert str(back) == "scenarios/x.toml: population.citizens: must be at least 10"
