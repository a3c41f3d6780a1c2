"""Validation: the model against theory, published figures and its own claims.

    python -m simulation.validation            # full report: docs/validation.md + figures
    python -m simulation.validation --smoke    # a small, fast version (out/validation-smoke)

- `theory`: the textbook formulas (Erlang C and A, the office-hours chain, percolation);
- `limits`: limit-case scenarios and the runs that measure them (shared with
  `tests/test_theory.py` and the golden outputs);
- `checks`: each check with its target, source, interval, rule and outcome;
- `figures`: the report's figures; `report`: `run_validation` and `write_report`;
- `cli`: `microgov validate-model`.

Names load their module on first use: the command's parser (`cli`) and the formulas
(`theory`) are imported without loading the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation._lazy import lazy_exports

_LIMITS = "simulation.validation.limits"
_CHECKS = "simulation.validation.checks"
_EXPORTS = {
    "ContactQueueRun": _LIMITS,
    "LimitCaseError": _LIMITS,
    "QueueRun": _LIMITS,
    "ScenarioRun": _LIMITS,
    "backlog_by_hour": _LIMITS,
    "configuration_model_edges": _LIMITS,
    "edge_list_rumour_scenario": _LIMITS,
    "feedback_queue_scenario": _LIMITS,
    "office_hours_scenario": _LIMITS,
    "queue_scenario": _LIMITS,
    "rumour_cascade_sizes": _LIMITS,
    "rumour_scenario": _LIMITS,
    "run_contact_queue": _LIMITS,
    "run_queue": _LIMITS,
    "run_scenario": _LIMITS,
    "GAMING": _CHECKS,
    "PLANS": _CHECKS,
    "REMEDIES": _CHECKS,
    "SECTIONS": _CHECKS,
    "Check": _CHECKS,
    "Plan": _CHECKS,
    "Stats": _CHECKS,
    "ValidationResults": _CHECKS,
    "bound_check": _CHECKS,
    "paired_check": _CHECKS,
    "theory_check": _CHECKS,
    "top_share": _CHECKS,
    "draw_figures": "simulation.validation.figures",
    "run_validation": "simulation.validation.report",
    "write_report": "simulation.validation.report",
}

__all__ = [
    "GAMING",
    "PLANS",
    "REMEDIES",
    "SECTIONS",
    "Check",
    "ContactQueueRun",
    "LimitCaseError",
    "Plan",
    "QueueRun",
    "ScenarioRun",
    "Stats",
    "ValidationResults",
    "backlog_by_hour",
    "bound_check",
    "configuration_model_edges",
    "draw_figures",
    "edge_list_rumour_scenario",
    "feedback_queue_scenario",
    "office_hours_scenario",
    "paired_check",
    "queue_scenario",
    "rumour_cascade_sizes",
    "rumour_scenario",
    "run_contact_queue",
    "run_queue",
    "run_scenario",
    "run_validation",
    "theory_check",
    "top_share",
    "write_report",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from simulation.validation.checks import (
        GAMING,
        PLANS,
        REMEDIES,
        SECTIONS,
        Check,
        Plan,
        Stats,
        ValidationResults,
        bound_check,
        paired_check,
        theory_check,
        top_share,
    )
    from simulation.validation.figures import draw_figures
    from simulation.validation.limits import (
        ContactQueueRun,
        LimitCaseError,
        QueueRun,
        ScenarioRun,
        backlog_by_hour,
        configuration_model_edges,
        edge_list_rumour_scenario,
        feedback_queue_scenario,
        office_hours_scenario,
        queue_scenario,
        rumour_cascade_sizes,
        rumour_scenario,
        run_contact_queue,
        run_queue,
        run_scenario,
    )
    from simulation.validation.report import run_validation, write_report
