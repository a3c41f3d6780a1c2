"""Scenarios: the validated schema, TOML loading with `extends`, dotted overrides, errors.

    from simulation.scenario import Scenario, load_scenario, ScenarioError

- `schema`: the pydantic sections and `Scenario` (every field with default, unit, range
  and source);
- `load`: `load_scenario`, `extends`, relative paths, bundled scenario names;
- `overrides`: `staffing.operators=6` parsed and applied;
- `errors`: `ScenarioError`, the did-you-mean hint and pydantic's errors as messages
  that name the file and the field.
"""

from simulation.scenario.errors import ScenarioError, did_you_mean
from simulation.scenario.load import bundled_scenario_dir, load_scenario, resolve_scenario_path
from simulation.scenario.overrides import parse_overrides, parse_value
from simulation.scenario.schema import (
    AccountabilitySettings,
    BurstEvent,
    CalendarSettings,
    ChannelSettings,
    DepartmentSettings,
    DiffusionSettings,
    Event,
    MandateSettings,
    MechanismSettings,
    NetworkSettings,
    PopulationSettings,
    ReactionSettings,
    RumourEvent,
    RunSettings,
    Scenario,
    StaffingSettings,
    SupervisionSettings,
    default_departments,
    scenario_hash,
)

__all__ = [
    "AccountabilitySettings",
    "BurstEvent",
    "CalendarSettings",
    "ChannelSettings",
    "DepartmentSettings",
    "DiffusionSettings",
    "Event",
    "MandateSettings",
    "MechanismSettings",
    "NetworkSettings",
    "PopulationSettings",
    "ReactionSettings",
    "RumourEvent",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "StaffingSettings",
    "SupervisionSettings",
    "bundled_scenario_dir",
    "default_departments",
    "did_you_mean",
    "load_scenario",
    "parse_overrides",
    "parse_value",
    "resolve_scenario_path",
    "scenario_hash",
]
