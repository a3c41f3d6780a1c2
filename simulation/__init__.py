"""microgov: agent-based simulation of government social-media accounts responding to the public.

The public API: scenarios, the model, and running it. Names are imported on first use,
so `import simulation` (and the `microgov` command's quick subcommands) stay light:
Mesa, pandas and the model load only when a model is built or run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "GovernmentResponseModel": "simulation.model",
    "RunResult": "simulation.runner",
    "run_one": "simulation.runner",
    "Scenario": "simulation.scenario",
    "ScenarioError": "simulation.scenario",
    "load_scenario": "simulation.scenario",
}

__all__ = [
    "GovernmentResponseModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "run_one",
]

if TYPE_CHECKING:
    from simulation.model import GovernmentResponseModel
    from simulation.runner import RunResult, run_one
    from simulation.scenario import Scenario, ScenarioError, load_scenario


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulation' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
