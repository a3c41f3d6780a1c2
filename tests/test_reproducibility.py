"""Reproducibility: a seed fixes a run bit for bit, and random streams do not leak.

- The same scenario and seed give identical summaries and daily series, twice in one
  process and once in a fresh interpreter (with a different string-hash seed).
- Another seed gives another run.
- A run touches no global random state (`random`, `numpy.random`).
- Common random numbers: a change that only concerns operators leaves the needs that
  arise, hour by hour, exactly as they were; so does adding a rumour. Each operator has
  streams of their own: adding one leaves the others' skills and draws unchanged. Where needs
  are voiced can no longer be promised to stay the same: trust decides whether a need is
  voiced, addressed or vented, and better service changes trust. What still holds is
  that every need draws the same numbers in both runs, so a need whose author trusts
  alike in both goes to the same channel in both.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from simulation import GovernmentResponseModel, Scenario, run_one
from simulation.agents.operator import ACT_SUBSTANTIVE
from simulation.codes import HOURS_PER_DAY
from simulation.streams import Streams

ROOT = Path(__file__).resolve().parent.parent

# Many processes at once: monitoring, joint referral, appraisal, escalation, a rumour,
# a burst, and a networkx-generated graph.
BUSY = {
    "population.citizens": 1500,
    "population.need_rate_per_day": 0.05,
    "population.patience_mean_hours": 24.0,
    "mechanism.preset": "proactive",
    "mechanism.monitoring_threshold_impressions": 50,
    "accountability.rule": "satisfaction",
    "accountability.period_days": 1,
    "network.kind": "barabasi_albert",
    "network.mean_following": 6.0,
    "events": [
        {"type": "rumour", "topic": "pensions", "day": 0.5, "posts": 3},
        {
            "type": "burst",
            "topic": "employment",
            "start_day": 1,
            "duration_days": 1,
            "multiplier": 4.0,
        },
    ],
}
DAYS = 4


def busy_scenario(**extra) -> Scenario:
    return Scenario().with_overrides({**BUSY, **extra})


def summaries_identical(a: dict, b: dict) -> list[str]:
    """Keys whose values differ (NaN equals NaN; otherwise exact equality)."""
    differ = [k for k in a.keys() ^ b.keys()]
    for key in a.keys() & b.keys():
        x, y = a[key], b[key]
        both_nan = isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)
        if not both_nan and x != y:
            differ.append(f"{key}: {x!r} != {y!r}")
    return differ


def test_same_seed_same_run_in_one_process():
    first = run_one(busy_scenario(), seed=7, days=DAYS)
    second = run_one(busy_scenario(), seed=7, days=DAYS)
    assert first.summary["received"] > 0 and first.summary["rumours_clarified"] > 0
    differ = summaries_identical(first.summary, second.summary)
    assert not differ, f"same seed, different summary: {differ}"
    pd.testing.assert_frame_equal(first.daily, second.daily, check_exact=True)
    assert first.provenance == second.provenance


_CHILD = """
import json, pickle, sys
from simulation import Scenario, run_one
scenario = Scenario.model_validate(json.loads(sys.argv[1]))
result = run_one(scenario, seed=int(sys.argv[2]), days=int(sys.argv[3]))
with open(sys.argv[4], "wb") as out:
    pickle.dump((result.summary, result.daily, result.provenance), out)
"""


def test_same_seed_same_run_in_a_fresh_interpreter(tmp_path):
    scenario = busy_scenario()
    here = run_one(scenario, seed=7, days=DAYS)
    out = tmp_path / "result.pickle"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(scenario.to_dict()), "7", str(DAYS), str(out)],
        check=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    with open(out, "rb") as stream:
        summary, daily, provenance = pickle.load(stream)
    differ = summaries_identical(here.summary, summary)
    assert not differ, f"same seed, different summary in a fresh interpreter: {differ}"
    pd.testing.assert_frame_equal(here.daily, daily, check_exact=True)
    assert provenance == here.provenance


def test_another_seed_gives_another_run():
    first = run_one(busy_scenario(), seed=7, days=DAYS)
    other = run_one(busy_scenario(), seed=8, days=DAYS)
    differ = summaries_identical(first.summary, other.summary)
    assert len(differ) > 10, f"seeds 7 and 8 differ only in {differ}"
    for column in ("needs", "received", "impressions"):
        assert not np.array_equal(first.daily[column], other.daily[column]), column


def test_a_run_leaves_global_random_state_alone():
    random.seed(2024)
    np.random.seed(2024)
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    run_one(busy_scenario(), seed=3, days=2)
    run_one(busy_scenario(**{"network.kind": "small_world"}), seed=3, days=1)
    assert random.getstate() == python_state, "the run drew from Python's global `random`"
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1]), (
        "the run drew from numpy's global `np.random`"
    )
    assert after[2:] == numpy_state[2:]


def needs_by_hour(scenario: Scenario, seed: int, days: int) -> tuple[list, np.ndarray]:
    """Every need that arose, hour by hour, and the daily `needs` counter."""
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    hours = []
    while model.hour < days * HOURS_PER_DAY:
        model.step()
        needs = model.public.needs
        hours.append(
            tuple(
                np.asarray(getattr(needs, f)).copy()
                for f in ("created", "author", "kind", "topic", "second_topic", "complexity")
            )
        )
    return hours, model.metrics.daily_frame()["needs"].to_numpy()


def assert_same_needs(base: Scenario, changed: Scenario, what: str, days: int = 5) -> None:
    hours_a, daily_a = needs_by_hour(base, 5, days)
    hours_b, daily_b = needs_by_hour(changed, 5, days)
    assert np.array_equal(daily_a, daily_b), (
        f"{what} changed the needs per day: {daily_a.tolist()} vs {daily_b.tolist()}"
    )
    for hour, (a, b) in enumerate(zip(hours_a, hours_b, strict=True)):
        for column_a, column_b in zip(a, b, strict=True):
            assert np.array_equal(column_a, column_b), f"{what} changed the needs of hour {hour}"


def test_operator_changes_leave_the_needs_that_arise_unchanged():
    """More, better, faster operators (who reply differently, so citizens' trust and
    choices differ) face exactly the same needs. Releases are off: what releases teach
    the public legitimately lowers consultations, so more operators making more releases
    would change the needs for a reason."""
    quiet = {"mechanism.preset": "closed_loop", "mechanism.release_time_share": 0.0}
    base = busy_scenario(**quiet, **{"staffing.operators": 1})
    changed = busy_scenario(
        **quiet,
        **{
            "staffing.operators": 6,
            "staffing.skill_mean": 0.8,
            "staffing.handling_minutes": 10.0,
            "staffing.shifts": "24x7",
        },
    )
    first, second = run_one(base, seed=5, days=5), run_one(changed, seed=5, days=5)
    assert first.summary["response_rate"] != second.summary["response_rate"]
    assert_same_needs(base, changed, "a change of operators")


def channels_by_hour(scenario: Scenario, seed: int, days: int) -> list:
    """(authors' trust, channel chosen) of every need, hour by hour."""
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    population = model.population
    choose = population.choose_channels
    chosen = []

    def recording(needs, rng):
        channel = choose(needs, rng)
        chosen.append((population.trust_of(needs.author), channel.copy()))
        return channel

    population.choose_channels = recording  # type: ignore[method-assign]
    model.run()
    return chosen


def test_operator_changes_voice_a_need_alike_where_its_author_trusts_alike():
    """The channel of a need depends on the run only through its author's trust: with the
    same needs, a need whose author has the same trust in both runs is kept silent,
    addressed or vented alike. Better service moves some authors' trust, and their
    choices may then differ (the lever at work, not noise)."""
    quiet = {"mechanism.preset": "closed_loop", "mechanism.release_time_share": 0.0}
    base = busy_scenario(**quiet, **{"staffing.operators": 1})
    changed = busy_scenario(**quiet, **{"staffing.operators": 6, "staffing.shifts": "24x7"})
    first, second = channels_by_hour(base, 5, 5), channels_by_hour(changed, 5, 5)
    assert len(first) == len(second)
    alike = moved = 0
    for hour, ((trust_a, channel_a), (trust_b, channel_b)) in enumerate(
        zip(first, second, strict=True)
    ):
        same = trust_a == trust_b
        assert np.array_equal(channel_a[same], channel_b[same]), f"hour {hour}"
        alike += int(same.sum())
        moved += int((~same).sum())
    assert alike > 0 and moved > 0, (alike, moved)


def test_adding_a_rumour_leaves_the_needs_that_arise_unchanged():
    """A rumour moves trust, reposts and monitoring, not what people need. Releases are
    off, as above: a rumour changes trust, so which consultations reach the account,
    so what targeted releases teach, which legitimately lowers consultations."""
    burst_only = [e for e in BUSY["events"] if e["type"] == "burst"]
    quiet = {"mechanism.release_time_share": 0.0}
    without = busy_scenario(**quiet, **{"events": burst_only})
    with_rumour = busy_scenario(**quiet)
    assert len(with_rumour.events) == len(without.events) + 1
    assert_same_needs(without, with_rumour, "adding a rumour")


def test_member_streams_are_the_spawned_children_of_the_stream_by_index():
    streams = Streams(11)
    children = streams.seed_sequence("operator_decisions").spawn(4)
    for index, child in enumerate(children):
        expected = np.random.Generator(np.random.PCG64(child)).random(3)
        assert np.array_equal(streams.member("operator_decisions", index).random(3), expected)
    assert not np.array_equal(
        streams.member("operator_decisions", 0).random(3),
        streams.member("operator_skills", 0).random(3),
    ), "members of different streams draw differently"


def test_adding_an_operator_leaves_the_others_skills_and_draws_unchanged():
    """Operators 0 and 1 have the same skill and, in isolation, the same first draws
    whether there are 2 or 3 of them; the release topics are not drawn from theirs."""
    two, three = (
        GovernmentResponseModel(
            busy_scenario(**{"staffing.operators": n}), seed=9, days=1, create_citizen_agents=False
        )
        for n in (2, 3)
    )
    assert [op.skill for op in two.operators] == [op.skill for op in three.operators[:2]]
    assert len({op.skill for op in three.operators}) == 3, "skills are drawn, not copied"
    for a, b in zip(two.operators, three.operators[:2], strict=False):
        handling = [a.work_hours(ACT_SUBSTANTIVE) for _ in range(5)]
        assert handling == [b.work_hours(ACT_SUBSTANTIVE) for _ in range(5)], a.index
        assert np.array_equal(a.stream.random(5), b.stream.random(5)), a.index
    releases = [two.operator_desk.stream.random(4), three.operator_desk.stream.random(4)]
    assert np.array_equal(*releases), "release topics do not depend on the operators"
    first_choice = GovernmentResponseModel(
        busy_scenario(**{"staffing.operators": 2}), seed=9, days=1, create_citizen_agents=False
    )
    assert not any(
        np.array_equal(op.stream.random(4), releases[0]) for op in first_choice.operators
    ), "operators and releases draw from separate streams"


def test_skill_settings_leave_the_operators_decision_draws_unchanged():
    """Skill has its own stream: a constant skill (no draw) or another mean shifts no
    decision draw."""
    draws = []
    for extra in ({}, {"staffing.skill_sd": 0.0}, {"staffing.skill_mean": 0.8}):
        model = GovernmentResponseModel(
            busy_scenario(**extra), seed=9, days=1, create_citizen_agents=False
        )
        draws.append([op.stream.random(3).tolist() for op in model.operators])
    assert draws[0] == draws[1] == draws[2]
