"""Stated threats to complain upward (Chen, Pan & Xu 2016's design in the model)."""

from __future__ import annotations

import numpy as np

from simulation.codes import VENT
from simulation.model import GovernmentResponseModel
from simulation.scenario import load_scenario
from simulation.validation.limits import threat_reply_rates

SMALL = {"population.citizens": 2000, "population.need_rate_per_day": 0.03}


def _run(overrides: dict, seed: int = 4, days: int = 6) -> GovernmentResponseModel:
    scenario = load_scenario("baseline").with_overrides({**SMALL, **overrides})
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    model.run()
    return model


def test_only_addressed_needs_carry_a_threat_and_about_the_share_stated():
    model = _run({"population.threat_share": 0.3})
    items = model.items
    threat = items.view("threat")
    vents = items.view("channel") == VENT
    assert not threat[vents].any(), "a vent addresses nobody, so it threatens nobody"
    addressed = ~vents & (items.view("kind") >= 0)
    share = threat[addressed].mean()
    n = int(addressed.sum())
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n), f"{share:.3f} of {n} addressed needs"


def test_without_a_threat_share_the_run_is_the_same_and_nobody_threatens():
    """The threats stream is drawn only when the share is above zero."""
    plain = _run({})
    zero = _run({"population.threat_share": 0.0})
    assert not plain.items.view("threat").any()
    a, b = plain.summary(), zero.summary()
    assert a.keys() == b.keys()
    assert all(a[k] == b[k] or (np.isnan(a[k]) and np.isnan(b[k])) for k in a), (a, b)


def test_a_threat_weighs_like_an_escalation_and_draws_more_replies():
    """With a large weight on upward pressure, threatened requests are answered more
    (by more than 3 SE of the paired gap over seeds); with none, like the others (the
    gap within 3 SE of zero)."""
    gaps = {}
    for weight in (0.0, 2.0):
        rates = [
            threat_reply_rates(
                _run(
                    {
                        "population.threat_share": 0.5,
                        "population.citizens": 3000,
                        "staffing.escalation_weight": weight,
                    },
                    seed=seed,
                    days=8,
                ).items
            )
            for seed in (1, 2, 3, 4, 5)
        ]
        gap = np.array([with_ - without for with_, without in rates])
        gaps[weight] = (float(gap.mean()), float(gap.std(ddof=1) / np.sqrt(len(gap))))
    (none, none_se), (strong, strong_se) = gaps[0.0], gaps[2.0]
    assert strong > 0.15 and strong > 3 * strong_se, gaps
    assert abs(none) < 3 * none_se, gaps
