"""microgov: agent-based simulation of government social-media accounts responding to the public.

The public API: scenarios, the model, and running it.
"""

__version__ = "0.1.0"

from simulation.model import GovernmentResponseModel  # noqa: E402
from simulation.runner import RunResult, run_one  # noqa: E402
from simulation.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402

__all__ = [
    "GovernmentResponseModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "run_one",
]
