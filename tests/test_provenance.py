"""Every behavioural default cites a source or says it is an assumption, and every
assumption is varied by the sensitivity experiment (experiments/sensitivity.py) or says
here why not."""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from simulation.scenario.schema import Scenario

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"

# The sections whose settings describe how people behave (staff, citizens, viewers) and
# how staff respond to appraisal, rather than the world's size, calendar or structure.
BEHAVIOURAL_SECTIONS = ("staffing", "reactions", "channels", "diffusion", "mandate", "supervision")
BEHAVIOURAL_EXTRA = (
    "accountability.shortfall_gain",
    "accountability.relief_gain",
    "accountability.pressure_floor",
    "accountability.disclosure_multiplier",
)
# Settings of those sections that are structure or a remedy's lever, not behaviour.
NOT_BEHAVIOUR = {
    "staffing.operators": "staffing level, a lever",
    "staffing.shifts": "covered hours, a lever",
    "staffing.shift_end": "an option of the schedule",
    "staffing.extended_hours_start": "covered hours, a lever",
    "staffing.extended_hours_end": "covered hours, a lever",
    "staffing.training": "a lever (training)",
    "staffing.handling_distribution": "a choice of distribution, varied in the golden set",
    "mandate.forbid_leaving": "a lever (an audit)",
    "diffusion.generations_per_hour": "a resolution of the simulation, not behaviour",
    "supervision.period_days": "a rule of the supervisor (how often it appraises), a lever",
    "supervision.rankings": "a rule of the supervisor (rankings published or not), a lever",
    "supervision.reprimand_below": "a rule of the supervisor (its threshold), a lever",
    "supervision.forward_deadline_working_days": "a rule of the supervisor, a lever",
    "supervision.quality_weight": "a rule of the supervisor (what it counts), a lever",
}
# Assumptions the sensitivity experiment does not vary, and why.
NOT_VARIED = {
    "staffing.handling_cv": "used only with lognormal handling (not the default)",
    "staffing.reply_post_minutes": "acts only where items are referred; small beside handling",
    "staffing.clarification_minutes": "acts only under rumours with clarification on",
    "staffing.max_effort": "a cap, reached only under strong appraisal",
    "staffing.department_coordination_hours": "acts only on referred two-department items; "
    "the validation checks joint handling against silos (docs/ODD.md §7.6)",
    "staffing.silo_handoff_hours": "acts only on referred two-department items; the "
    "validation checks joint handling against silos (docs/ODD.md §7.6)",
    "reactions.quality_satisfaction": "a table; its spread is covered by the follow-up "
    "direction tests and the satisfaction rule's validation checks",
    "reactions.max_escalations": "a count cap",
    "reactions.max_follow_ups": "a count cap",
    "reactions.max_reminders": "a count cap",
    "reactions.follow_up_qualities": "a list of qualities, not a number",
    "reactions.rating_probability": "scales the number of ratings, not their mean",
    "channels.vent_probability": "a table by kind",
    "diffusion.clarification_repost_factor": "acts only once a rumour is clarified",
    "diffusion.release_repost_probability": "acts only on releases' reach, screened "
    "through release_informativeness",
    "accountability.disclosure_multiplier": "acts only under public disclosure",
    "supervision.threat_upward_probability": "acts only where authors state a threat "
    "(population.threat_share, 0 in the bundled scenarios); the validation's "
    "upward_pressure_threat_supervised check rests on it",
}
SOURCE = re.compile(r"\b(1[89]|20)\d\d\b|MODEL\.md|ODD|Calibrated|calibrated")


def _fields(model: type[BaseModel], prefix: str = ""):
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            yield from _fields(annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


BEHAVIOURAL = {
    key: field
    for key, field in _fields(Scenario)
    if (key.split(".")[0] in BEHAVIOURAL_SECTIONS or key in BEHAVIOURAL_EXTRA)
    and key not in NOT_BEHAVIOUR
}


def _varied() -> set[str]:
    if str(EXPERIMENTS) not in sys.path:
        sys.path.insert(0, str(EXPERIMENTS))
    sensitivity = importlib.import_module("sensitivity")
    return (
        set(sensitivity.RANGES)
        | set(sensitivity.LEVERS)
        | set(sensitivity.SCREENED)
        | set(sensitivity.SUPERVISION_SCREENED)
    )


@pytest.mark.parametrize("key", sorted(BEHAVIOURAL))
def test_behavioural_default_cites_a_source_or_says_assumption(key):
    description = BEHAVIOURAL[key].description or ""
    assert "assumption" in description.lower() or SOURCE.search(description), (
        f"{key}: its description names no source and does not say 'assumption': {description!r}"
    )


def test_every_assumption_is_varied_by_the_sensitivity_experiment_or_says_why_not():
    varied = _varied()
    assumed = {
        key
        for key, field in BEHAVIOURAL.items()
        if "assumption" in (field.description or "").lower()
    }
    missing = sorted(assumed - varied - set(NOT_VARIED))
    assert not missing, f"assumptions neither varied nor excused: {missing}"
    stale = sorted(set(NOT_VARIED) & varied)
    assert not stale, f"varied, so no excuse needed: {stale}"


def test_the_sensitivity_factors_are_real_settings():
    keys = {key for key, _ in _fields(Scenario)}
    unknown = sorted(_varied() - keys)
    assert not unknown, f"sensitivity varies unknown settings: {unknown}"
