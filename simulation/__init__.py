"""microgov: agent-based simulation of government social-media accounts responding to the public.

The public API: scenarios, the model, running it, and experiments over many runs
(replications, comparisons, sweeps). Names are imported on first use,
so `import simulation` (and the `microgov` command's quick subcommands) stay light:
Mesa, pandas and the model load only when a model is built or run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "Comparison": "simulation.experiment.api",
    "Grid": "simulation.experiment.designs",
    "GovernmentResponseModel": "simulation.model",
    "LatinHypercube": "simulation.experiment.designs",
    "Results": "simulation.experiment.api",
    "RunResult": "simulation.runner",
    "run_one": "simulation.runner",
    "Scenario": "simulation.scenario.schema",
    "ScenarioError": "simulation.scenario.errors",
    "Sobol": "simulation.experiment.designs",
    "SweepResults": "simulation.experiment.api",
    "compare": "simulation.experiment.api",
    "load_scenario": "simulation.scenario.load",
    "run": "simulation.experiment.api",
    "sobol_indices": "simulation.experiment.api",
    "sweep": "simulation.experiment.api",
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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, also=["__version__"])

if TYPE_CHECKING:
    from simulation.experiment.api import (
        Comparison,
        Results,
        SweepResults,
        compare,
        run,
        sobol_indices,
        sweep,
    )
    from simulation.experiment.designs import Grid, LatinHypercube, Sobol
    from simulation.model import GovernmentResponseModel
    from simulation.runner import RunResult, run_one
    from simulation.scenario import Scenario, ScenarioError, load_scenario
