"""Invariants that hold in every scenario, checked with Hypothesis over small random ones.

Each example draws a small scenario (staffing, mechanism, appraisal rule, shifts,
patience, network generator, events, seed), steps the model hour by hour and checks
after every hour:

- conservation: every received item is exactly one of open, referred, answered or
  abandoned, abandoned is final and answered is too but for a follow-up, nothing
  addressed to the government goes unreceived, a reply time (>= 0) exists exactly for
  items with a reply, every need has at least one contact and its contacts are its post,
  follow-ups and reminders within their caps (`item_problems`);
- trust stays within [0, 1];
- no exposure without a follower edge: every (source, follower) pair the diffusion
  engine exposed is an edge of the graph's CSR arrays;

and at the end that the daily series add up to the run's summary.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from simulation import GovernmentResponseModel, Scenario
from simulation.accountability import RULES
from simulation.codes import CHANNEL_NAMES, HOURS_PER_DAY, KIND_NAMES
from simulation.mechanisms import MECHANISM_PRESETS
from simulation.mechanisms.disciplines import DISCIPLINES
from simulation.network import GENERATORS
from simulation.runner import result_of
from tests.conftest import item_problems


@st.composite
def small_scenarios(draw) -> Scenario:
    overrides = {
        "population.citizens": draw(st.integers(100, 600)),
        "population.need_rate_per_day": draw(st.floats(0.02, 0.3)),
        "population.patience_distribution": draw(
            st.sampled_from(["exponential", "lognormal", "none"])
        ),
        "population.patience_mean_hours": draw(st.floats(1.0, 72.0)),
        "population.daily_rhythm": draw(st.sampled_from(["weibo", "flat"])),
        "mechanism.preset": draw(st.sampled_from(list(MECHANISM_PRESETS))),
        "mechanism.monitoring_threshold_impressions": draw(st.integers(5, 200)),
        "staffing.operators": draw(st.integers(0, 4)),
        "staffing.shifts": draw(st.sampled_from(["office_hours", "extended", "24x7"])),
        "staffing.skill_mean": draw(st.floats(0.2, 0.9)),
        "accountability.rule": draw(st.sampled_from(list(RULES))),
        "accountability.period_days": draw(st.integers(1, 2)),
        "accountability.public_disclosure": draw(st.booleans()),
        "network.kind": draw(st.sampled_from(list(GENERATORS))),
        "mechanism.queue_discipline": draw(st.sampled_from(list(DISCIPLINES))),
        "network.mean_following": draw(st.floats(2.0, 12.0)),
        "network.reciprocal": draw(st.booleans()),
        "diffusion.repost_probability": draw(st.floats(0.0, 0.2)),
        "run.start_weekday": draw(st.sampled_from(["monday", "friday", "saturday"])),
        # Repeat contacts: at once (within the hour being worked) or later, some or none.
        "reactions.follow_up_base": draw(st.floats(0.0, 0.5)),
        "reactions.follow_up_delay_hours": draw(st.sampled_from([0.0, 0.3, 6.0])),
        "reactions.max_follow_ups": draw(st.integers(0, 3)),
        "reactions.reminder_probability": draw(st.floats(0.0, 1.0)),
        "reactions.reminder_delay_hours": draw(st.sampled_from([0.0, 0.3, 12.0])),
        "reactions.max_reminders": draw(st.integers(0, 3)),
    }
    if draw(st.booleans()):
        overrides["accountability.deadline_working_days"] = draw(st.integers(1, 3))
    events = []
    if draw(st.booleans()):
        events.append(
            {
                "type": "rumour",
                "topic": "pensions",
                "day": draw(st.floats(0.0, 1.5)),
                "posts": draw(st.integers(1, 5)),
                "repost_probability": draw(st.floats(0.0, 0.4)),
            }
        )
    if draw(st.booleans()):
        events.append(
            {
                "type": "burst",
                "topic": "employment",
                "kinds": ["consultation", "complaint"],
                "start_day": draw(st.floats(0.0, 1.0)),
                "duration_days": draw(st.floats(0.1, 1.0)),
                "multiplier": draw(st.floats(1.0, 10.0)),
            }
        )
    overrides["events"] = events
    return Scenario().with_overrides(overrides)


def edge_keys(graph) -> np.ndarray:
    """Every follower edge u -> v of the CSR arrays as the sorted key u * n_nodes + v."""
    sources = np.repeat(np.arange(graph.n_nodes, dtype=np.int64), graph.follower_counts)
    return np.sort(sources * graph.n_nodes + graph.followers.astype(np.int64))


def exposures_without_edge(model, keys: np.ndarray) -> int:
    """Exposures logged since the last call that do not follow an edge (and clear the log)."""
    bad = 0
    for sources, targets in model.diffusion.exposure_log:
        assert len(sources) == len(targets)
        wanted = sources.astype(np.int64) * model.graph.n_nodes + targets
        found = np.searchsorted(keys, wanted)
        found = np.minimum(found, len(keys) - 1) if len(keys) else found
        bad += int(np.count_nonzero(keys[found] != wanted)) if len(keys) else len(wanted)
    model.diffusion.exposure_log.clear()
    return bad


def total(daily, column: str) -> float:
    """Sum of a daily counter (a counter that never fired has no column)."""
    return float(daily[column].sum()) if column in daily.columns else 0.0


def series_summary_mismatches(model) -> list[str]:
    """Daily counters that do not add up to the summary's totals and rates."""
    result = result_of(model)
    daily, summary = result.daily, result.summary
    received = summary["received"]
    expected = {
        "needs": summary["needs"],
        "received": received,
        "first_replies": summary["response_rate"] * received if received else 0.0,
        "replies": summary["contact_response_rate"] * summary["contacts"] if received else 0.0,
        "contacts": summary["contacts"],
        "follow_ups": summary["follow_ups"],
        "reminders": summary["reminders"],
        "replies_on_time": summary["answered_within_deadline"] * received if received else 0.0,
        "abandonments": summary["abandonment_rate"] * received if received else 0.0,
        "first_referrals": summary["referral_rate"] * received if received else 0.0,
        "rumours": summary["rumours"],
        "releases": summary["releases"],
        "clarifications": summary["rumours_clarified"],
        "impressions": summary["impressions"],
        "negative_impressions": summary["negative_impressions"],
        "escalations": float(model.items.view("escalations").sum()),
    }
    for quality in ("substantive", "partial", "boilerplate"):
        expected[f"replies_{quality}"] = summary[f"replies_{quality}"]
    for kind in KIND_NAMES:
        expected[f"received_{kind}"] = summary[f"received_{kind}"]
    for channel in CHANNEL_NAMES:
        expected[f"received_via_{channel}"] = summary[f"received_via_{channel}"]
    problems = [
        f"daily {name} sums to {total(daily, name)}, summary says {value}"
        for name, value in expected.items()
        if not np.isclose(total(daily, name), value, rtol=1e-9, atol=1e-6)
    ]
    staff = total(daily, "operator_duty_hours") + total(daily, "department_duty_hours")
    if not np.isclose(staff, summary["staff_hours"]):
        problems.append(f"daily duty hours sum to {staff}, staff_hours = {summary['staff_hours']}")
    largest = float(daily["largest_cascade"].max()) if "largest_cascade" in daily else 0.0
    if largest != summary["largest_cascade"]:
        problems.append(f"daily largest cascade {largest}, summary {summary['largest_cascade']}")
    last = daily.iloc[-1]
    for name in ("mean_trust", "trust_sd", "backlog_operators", "backlog_departments"):
        if not np.isclose(last[name], summary[name]):
            problems.append(f"{name} on the last day {last[name]}, summary {summary[name]}")
    return problems


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(scenario=small_scenarios(), seed=st.integers(0, 2**16), days=st.integers(2, 3))
@example(  # monitoring pulls trending rumours and vents into the inbox, then clarifies
    scenario=Scenario().with_overrides(
        {
            "population.citizens": 500,
            "mechanism.preset": "proactive",
            "mechanism.monitoring_threshold_impressions": 5,
            "events": [
                {
                    "type": "rumour",
                    "topic": "pensions",
                    "day": 0.2,
                    "posts": 5,
                    "repost_probability": 0.3,
                }
            ],
        }
    ),
    seed=1,
    days=2,
)
def test_invariants_hold_at_every_hour(scenario: Scenario, seed: int, days: int):
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    model.diffusion.record_exposures = True
    keys = edge_keys(model.graph)
    before = before_follow_ups = None
    while model.hour < days * HOURS_PER_DAY:
        model.step()
        where = f"after hour {model.hour}"
        problems = item_problems(model, before, before_follow_ups)
        assert not problems, f"{where}: " + "; ".join(problems)
        before = model.items.view("status").copy()
        before_follow_ups = model.items.view("follow_ups").copy()
        trust = model.population.trust
        assert np.isfinite(trust).all() and trust.min() >= 0.0 and trust.max() <= 1.0, (
            f"{where}: trust in [{trust.min()}, {trust.max()}], expected within [0, 1]"
        )
        bad = exposures_without_edge(model, keys)
        assert bad == 0, f"{where}: {bad} exposures along no follower edge"
    problems = series_summary_mismatches(model)
    assert not problems, "; ".join(problems)
