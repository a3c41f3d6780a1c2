"""Each agent works with the collaborators it is given, never through the model.

The agents get their item lifecycle, rule, foresight, settings and random stream when
they are built. Here each runs against a stub Mesa model whose every attribute of our
own model raises, so an agent that reached for the model would fail these tests; and
the `agents` package does not import `simulation.model`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import mesa
import numpy as np
import pytest

from simulation import Scenario
from simulation.accountability import Outlook, UnitRecord, make_rule
from simulation.agents.choice import Foresight
from simulation.agents.citizen import Citizen, Population
from simulation.agents.department import Department, ReferralBook
from simulation.agents.operator import ACTION_NAMES, Operator
from simulation.codes import (
    ANSWERED,
    CONSULTATION,
    OPEN,
    PARTIAL,
    REFERRED,
    REQUEST,
    SUBSTANTIVE,
)
from simulation.events import AnswerReady, EventBus, PartDone
from simulation.items import ItemLifecycle, ItemStore
from simulation.mechanisms.coordination import Joint, Silo

AGENTS = Path(__file__).resolve().parent.parent / "simulation" / "agents"


class StubModel(mesa.Model):
    """A Mesa model with nothing of ours: any attribute an agent asks for raises."""

    def __getattr__(self, name: str):
        raise AssertionError(f"an agent asked the model for {name!r}")

    def step(self) -> None:
        raise AssertionError("an agent stepped the model")


def test_agents_do_not_import_the_model() -> None:
    for path in AGENTS.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            assert "simulation.model" not in names, f"{path.name} imports simulation.model"


def test_the_stub_model_raises() -> None:
    with pytest.raises(AssertionError):
        StubModel().items  # noqa: B018


@pytest.fixture
def world():
    scenario = Scenario().with_overrides(
        {
            "accountability.rule": "timeliness",
            "staffing.reply_propensity": 3.0,
            "mechanism.referral": True,
            "staffing.motivation": 10.0,
            "staffing.load_sensitivity": 0.0,
        }
    )
    events = EventBus()
    lifecycle = ItemLifecycle(ItemStore(), events)
    departments = [
        SimpleNamespace(turnaround_hours=30.0, settings=SimpleNamespace(quality=0.8)),
        SimpleNamespace(turnaround_hours=50.0, settings=SimpleNamespace(quality=0.6)),
    ]
    quality_satisfaction = {SUBSTANTIVE: 0.8, PARTIAL: 0.1, 1: -0.4}
    foresight = Foresight(
        scenario.reactions, quality_satisfaction, departments, Silo(2.0, 4.0), 0.4, 0.1
    )
    return SimpleNamespace(
        scenario=scenario,
        events=events,
        lifecycle=lifecycle,
        foresight=foresight,
        rule=make_rule(scenario.accountability),
        rng=np.random.default_rng(0),
    )


def _add_item(lifecycle: ItemLifecycle, kind: int, complexity: float, status: int = OPEN) -> int:
    ids = lifecycle.store.add(
        created=np.array([1.0]),
        author=np.array([0]),
        kind=np.array([kind]),
        topic=np.array([0]),
        second_topic=np.array([1]),
        channel=np.array([1]),
        complexity=np.array([complexity]),
        status=np.array([status]),
        received_at=np.array([1.0]),
        deadline=np.array([49.0]),
    )
    return int(ids[0])


def test_an_operator_chooses_and_works_on_its_own(world) -> None:
    scenario = world.scenario
    on_duty = np.ones(24 * 10, dtype=bool)
    operator = Operator(
        StubModel(),
        0,
        0.9,
        on_duty,
        scenario.staffing,
        scenario.mechanism,
        scenario.mandate,
        world.lifecycle,
        world.foresight,
        world.rule,
        world.rng,
    )
    easy = _add_item(world.lifecycle, CONSULTATION, 0.1)
    hard = _add_item(world.lifecycle, REQUEST, 0.99)
    operator.pressure = 1.0
    assert operator.can_answer(CONSULTATION, 0.1) and not operator.can_answer(REQUEST, 0.99)
    easy_choices = [ACTION_NAMES[operator.choose(easy, 2.0, 0.5)] for _ in range(200)]
    hard_choices = [ACTION_NAMES[operator.choose(hard, 2.0, 0.5)] for _ in range(200)]
    # A motivated operator settles what it can and refers what it cannot.
    assert "refer" not in easy_choices and easy_choices.count("substantive") > 150, easy_choices
    assert "substantive" not in hard_choices and hard_choices.count("refer") > 150, hard_choices
    for action in range(len(ACTION_NAMES)):
        assert operator.work_hours(action) > 0.0
    assert operator.on_duty_at(3)
    assert operator.effort > 1.0, "pressure makes an operator work faster"


def _choices(world, overrides: dict, count: int = 300) -> list[str]:
    """What an operator with skill 0.9 does with a request it cannot answer, no backlog."""
    scenario = world.scenario.with_overrides(
        {
            "staffing.reply_propensity": -0.5,
            "staffing.motivation": 1.0,
            "accountability.rule": "none",
            **overrides,
        }
    )
    operator = Operator(
        StubModel(),
        0,
        0.9,
        np.ones(24 * 10, dtype=bool),
        scenario.staffing,
        scenario.mechanism,
        scenario.mandate,
        world.lifecycle,
        world.foresight,
        make_rule(scenario.accountability),
        world.rng,
    )
    hard = _add_item(world.lifecycle, REQUEST, 0.99)
    return [ACTION_NAMES[operator.choose(hard, 2.0, 0.0)] for _ in range(count)]


def test_the_mandates_audit_takes_leaving_off_the_list(world) -> None:
    free = _choices(world, {})
    audited = _choices(world, {"mandate.forbid_leaving": True})
    assert free.count("leave") > 10, f"a reluctant operator leaves some items: {free}"
    assert "leave" not in audited, audited


def test_an_untracked_referral_is_not_worth_a_reply(world) -> None:
    """Tracked, a referral brings the department's answer (worth 0.91 quality units and
    the propensity): the operator refers most such items. Untracked, it brings nothing,
    no more than leaving the item (both worth 0 with no backlog to price time)."""
    tracked = _choices(world, {})
    untracked = _choices(world, {"mechanism.track_referrals": False})
    assert tracked.count("refer") > 0.7 * len(tracked), tracked
    assert untracked.count("refer") < 0.5 * len(untracked), untracked
    assert abs(untracked.count("refer") - untracked.count("leave")) < 0.2 * len(untracked)


def test_foresight_follows_the_coordination(world) -> None:
    silo = world.foresight.referral_hours(0, 1)
    joint = Foresight(
        world.scenario.reactions,
        world.foresight.quality_satisfaction,
        world.foresight.departments,
        Joint(2.0, 4.0),
        0.4,
        0.1,
    ).referral_hours(0, 1)
    assert silo == 30.0 + 50.0 + 2.0
    assert joint == max(30.0, 50.0) + 4.0
    assert world.foresight.referral_hours(0, -1) == 30.0
    assert world.foresight.department_quality_value(0) == pytest.approx(0.8 + 0.2 * 0.4)
    rule = world.rule  # timeliness: an immediate reply before the deadline is on time
    assert rule.item_score(UnitRecord(handled=1), Outlook(True, 0.0, 10.0, 0.5)) == 1.0


def test_a_department_processes_a_referral_on_its_own(world) -> None:
    scenario = world.scenario
    settings = next(iter(scenario.departments.values()))
    office = np.ones(24 * 30, dtype=bool)
    department = Department(
        StubModel(),
        0,
        "pensions",
        settings,
        office,
        8,
        scenario.staffing,
        Joint(2.0, 4.0),
        world.lifecycle,
        world.events,
        world.rule,
        world.rng,
    )
    department.foresight = world.foresight
    second = SimpleNamespace(submit=lambda item, when: None)
    book = ReferralBook([department, second], Joint(2.0, 4.0), world.lifecycle, world.events, 0.1)
    item = _add_item(world.lifecycle, REQUEST, 0.9, status=REFERRED)
    world.lifecycle.store.second_topic[item] = -1  # one department suffices
    done, ready = [], []
    world.events.subscribe(PartDone, done.append)
    world.events.subscribe(AnswerReady, ready.append)
    book.refer(item, 2.0)
    for hour in range(2, 24 * 20):
        department.work(float(hour), float(hour + 1))
        if ready:
            break
    assert len(done) == 1 and len(ready) == 1, f"parts done {done}, answers {ready}"
    assert ready[0].quality in (SUBSTANTIVE, PARTIAL)
    assert department.backlog(float(hour)) == 0
    assert department.turnaround_hours != settings.processing_hours * 24.0 / 8


def test_a_citizen_reads_and_writes_the_population(world) -> None:
    scenario = world.scenario
    n = 50
    population = Population(
        scenario, n, np.ones(n, dtype=bool), np.zeros(n, dtype=bool), np.random.default_rng(1)
    )
    graph = SimpleNamespace(follower_counts=np.arange(n))
    citizen = Citizen(StubModel(), 7, population, graph, world.lifecycle.store)
    citizen.trust = 1.5
    assert population.trust[7] == 1.0 and citizen.trust == 1.0
    assert citizen.followers == 7
    assert citizen.follows_government and not citizen.is_opinion_leader
    assert len(citizen.items()) == 0


def test_the_lifecycle_keeps_statuses_final(world) -> None:
    lifecycle = world.lifecycle
    item = _add_item(lifecycle, CONSULTATION, 0.1)
    assert lifecycle.answer(item, SUBSTANTIVE, 0, 5.0)
    assert lifecycle.store.status[item] == ANSWERED
    assert not lifecycle.answer(item, PARTIAL, 0, 6.0), "a second reply replaced the first"
    assert not lifecycle.refer(item, 0, 6.0), "an answered item was referred"
    assert lifecycle.store.quality[item] == SUBSTANTIVE
