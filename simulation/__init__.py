"""microgov: agent-based simulation of government social-media accounts responding to the public.

The public API: scenarios, the model, running it, and experiments over many runs
(replications, comparisons, sweeps). Names are imported on first use,
so `import simulation` (and the `microgov` command's quick subcommands) stay light:
Mesa, pandas and the model load only when a model is built or run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "Comparison": "simulation.experiment",
    "Grid": "simulation.designs",
    "GovernmentResponseModel": "simulation.model",
    "LatinHypercube": "simulation.designs",
    "Results": "simulation.experiment",
    "RunResult": "simulation.runner",
    "run_one": "simulation.runner",
    "Scenario": "simulation.scenario",
    "ScenarioError": "simulation.scenario",
    "Sobol": "simulation.designs",
    "SweepResults": "simulation.experiment",
    "compare": "simulation.experiment",
    "load_scenario": "simulation.scenario",
    "run": "simulation.experiment",
    "sobol_indices": "simulation.experiment",
    "sweep": "simulation.experiment",
}

__all__ = [
    "Comparison",
    "GovernmentResponseModel",
    "Grid",
    "LatinHypercube",
    "Results",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Sobol",
    "SweepResults",
    "__version__",
    "compare",
    "load_scenario",
    "run",
    "run_one",
    "sobol_indices",
    "sweep",
]

if TYPE_CHECKING:
    from simulation.designs import Grid, LatinHypercube, Sobol
    from simulation.experiment import (
        Comparison,
        Results,
        SweepResults,
        compare,
        run,
        sobol_indices,
        sweep,
    )
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
