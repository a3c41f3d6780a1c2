"""Reply deadlines by kind of need, in a whole run: every received item, whether its
author addressed the government or monitoring found it, carries its own kind's deadline
counted from when it was received; a longer deadline for demands counts more replies
within the deadline and changes nothing else when no rule scores it."""

from __future__ import annotations

import math

import numpy as np

from simulation import GovernmentResponseModel, Scenario, load_scenario, run_one
from simulation.codes import KIND_NAMES, NOT_RECEIVED, RUMOUR

GUANGDONG = {"consultation": 2, "request": 10, "suggestion": 10, "complaint": 15}


def test_every_received_item_has_its_kinds_deadline_from_when_it_was_received():
    scenario = load_scenario(
        "guangdong_12345_deadlines",
        overrides=[
            "population.citizens=1500",
            'mechanism.preset="proactive"',  # monitoring receives trending vents too
            "mechanism.monitoring_threshold_impressions=3",
            "diffusion.repost_probability=0.05",
            "accountability.deadline_hours=7.0",  # what rumours found by monitoring take
        ],
    )
    model = GovernmentResponseModel(scenario, seed=3, days=4, create_citizen_agents=False)
    model.run()
    items = model.items
    received = np.flatnonzero(items.view("status") != NOT_RECEIVED)
    monitored = items.view("via_monitoring")[received]
    assert monitored.any() and (~monitored).any(), "the run should receive items both ways"
    for item in received.tolist():
        kind = int(items.kind[item])
        start = float(items.received_at[item])
        if kind == RUMOUR:
            expected = start + 7.0
        else:
            expected = model.calendar.add_working_days(start, GUANGDONG[KIND_NAMES[kind]])
        assert items.deadline[item] == expected, (
            f"item {item} ({KIND_NAMES[kind]}, received {start:.2f}, monitoring "
            f"{bool(items.via_monitoring[item])}): deadline {items.deadline[item]}, "
            f"expected {expected}"
        )
    vents = items.view("status") == NOT_RECEIVED
    assert np.isinf(items.view("deadline")[vents]).all(), "unreceived posts have no deadline"


def test_longer_deadlines_for_demands_count_more_replies_on_time_and_change_nothing_else():
    # A tight single deadline (4 h), so that many replies come after it.
    base = Scenario().with_overrides(
        {"population.citizens": 2000, "accountability.deadline_hours": 4.0}
    )
    longer = base.with_overrides(
        {"accountability.deadlines": {k: {"hours": 24.0 * 30} for k in ("request", "complaint")}}
    )
    a, b = run_one(base, seed=2, days=6), run_one(longer, seed=2, days=6)
    on_time = "answered_within_deadline"
    assert b.summary[on_time] > a.summary[on_time], (a.summary[on_time], b.summary[on_time])
    for metric in ("response_rate", "received", "mean_trust", "median_response_hours"):
        assert a.summary[metric] == b.summary[metric] or (
            math.isnan(a.summary[metric]) and math.isnan(b.summary[metric])
        ), f"{metric}: {a.summary[metric]} vs {b.summary[metric]} (rule none: only the count)"
