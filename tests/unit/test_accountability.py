"""The appraisal rules on their own (`simulation.accountability`): what each rule scores,
the pressure an appraisal leaves, and the logit choice staff make under it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.accountability import (
    RULES,
    Outlook,
    ResponseRateRule,
    Rule,
    SatisfactionRule,
    TimelinessRule,
    UnitRecord,
    initial_pressure,
    make_rule,
    pressure_after_appraisal,
    reply_deadline,
)
from simulation.agents.choice import choose_action
from simulation.calendar import Calendar
from simulation.codes import (
    COMPLAINT,
    CONSULTATION,
    KIND_NAMES,
    REQUEST,
    RUMOUR,
    SUGGESTION,
)
from simulation.scenario import AccountabilitySettings, Scenario


def outlook(
    replies=True,
    delay=0.0,
    to_deadline=math.inf,
    satisfaction=0.0,
    rating=1.0,
    abandon=0.0,
) -> Outlook:
    return Outlook(
        replies=replies,
        delay_hours=delay,
        hours_to_deadline=to_deadline,
        satisfaction=satisfaction,
        rating_probability=rating,
        abandon_probability=abandon,
    )


def settings(**fields) -> AccountabilitySettings:
    return AccountabilitySettings(**fields)


EMPTY = UnitRecord()
BUSY = UnitRecord(handled=10, replied=6, on_time=4, rating_sum=1.5, ratings=5)


# --------------------------------------------------------------------------- period scores


def test_no_rule_scores_nothing():
    rule = Rule()
    for o in (outlook(), outlook(replies=False), outlook(satisfaction=-1.0)):
        assert rule.expected_change(BUSY, o) == 0.0, f"no rule: {o} scored"
        assert rule.item_score(BUSY, o) == 0.0
    assert rule.period_score(BUSY) is None and rule.period_score(EMPTY) is None


def test_rate_rules_score_shares_of_the_handled():
    assert ResponseRateRule().period_score(BUSY) == pytest.approx(0.6), "6 replied of 10 handled"
    assert TimelinessRule().period_score(BUSY) == pytest.approx(0.4), "4 on time of 10 handled"
    for rule in (ResponseRateRule(), TimelinessRule()):
        assert rule.period_score(EMPTY) is None, "nothing handled: no score"


def test_satisfaction_period_score_rescales_the_mean_rating():
    rule = SatisfactionRule()
    # Ratings in [−1, 1] are rescaled to [0, 1]: mean 0.3 → 0.65.
    assert rule.period_score(BUSY) == pytest.approx((1.5 / 5 + 1.0) / 2.0)
    assert rule.period_score(UnitRecord(ratings=2, rating_sum=-2.0)) == pytest.approx(0.0)
    assert rule.period_score(UnitRecord(ratings=3, rating_sum=3.0)) == pytest.approx(1.0)
    assert rule.period_score(UnitRecord(handled=4, replied=4)) is None, "no ratings: no score"


def test_make_rule_returns_the_named_rule_with_the_scenario_settings():
    assert set(RULES) == {"none", "response_rate", "timeliness", "satisfaction"}
    for name, cls in RULES.items():
        rule = make_rule(settings(rule=name, target=0.7, satisfaction_survey="replies"))
        assert type(rule) is cls and rule.name == name
        assert rule.target == 0.7 and rule.satisfaction_survey == "replies"


def test_unit_record_reset():
    record = UnitRecord(handled=3, replied=2, on_time=1, rating_sum=0.5, ratings=2)
    record.reset()
    assert record == UnitRecord(), f"after reset: {record}"


# --------------------------------------------------------------------------- expectations
#
# What a rule tells staff an action is worth must be the expected change of the period
# score its outcome makes. Here the outcome is enumerated branch by branch with the
# outlook's probabilities — reply or not; on time or not (the delay exponential, its
# tail from scipy); the author gives up or not; surveyed or not — each branch is written
# into a copy of the record as `Appraisal` credits it, and the period score is computed
# after it. The item in hand is already among the handled (it was counted when its
# service started, before the choice). A record with no score stands at the target.

TARGET = 0.8
RECORDS = {
    "first item": UnitRecord(handled=1),
    "mid-period": UnitRecord(handled=10, replied=6, on_time=4, rating_sum=1.5, ratings=5),
    "doing badly": UnitRecord(handled=25, replied=3, on_time=1, rating_sum=-4.0, ratings=6),
    "no rating yet": UnitRecord(handled=4, replied=2, on_time=2),
}
OUTLOOKS = {
    "substantive now": outlook(satisfaction=1.0, to_deadline=30.0, rating=0.3),
    "boilerplate now": outlook(satisfaction=-0.4, to_deadline=30.0, rating=0.3),
    "boilerplate late": outlook(satisfaction=-0.7, to_deadline=-5.0, rating=0.3),
    "referral": outlook(delay=40.0, to_deadline=20.0, satisfaction=0.5, rating=0.3),
    "referral, no deadline": outlook(delay=40.0, satisfaction=0.5, rating=0.5),
    "leave": outlook(
        replies=False, delay=math.inf, to_deadline=20.0, satisfaction=-1.0, rating=0.3, abandon=0.7
    ),
    "leave, last escalation used": outlook(
        replies=False, delay=math.inf, to_deadline=20.0, satisfaction=-1.0, rating=0.3, abandon=1.0
    ),
}


def _period_score_after(rule: Rule, record: UnitRecord) -> float:
    score = rule.period_score(record)
    return TARGET if score is None else score


def _enumerated_change(rule: Rule, record: UnitRecord, o: Outlook, survey: str) -> float:
    from scipy.stats import expon

    before = _period_score_after(rule, record)
    if o.replies:
        if o.hours_to_deadline <= 0:
            on_time = 0.0
        elif o.delay_hours <= 0:
            on_time = 1.0
        else:
            on_time = float(expon.cdf(o.hours_to_deadline, scale=o.delay_hours))
        closings = [(1.0, o.satisfaction)]  # the reply closes the request
    else:
        on_time = 0.0
        closings = [(o.abandon_probability, o.satisfaction), (1 - o.abandon_probability, None)]
    expected = 0.0
    for p_time, timely in ((on_time, True), (1.0 - on_time, False)):
        for p_close, satisfaction in closings:
            surveyed = satisfaction is not None and (o.replies or survey == "all_closed")
            p_rating = o.rating_probability if surveyed else 0.0
            for p_rated, is_rated in ((p_rating, True), (1.0 - p_rating, False)):
                p = p_time * p_close * p_rated
                if p == 0.0:
                    continue
                after = UnitRecord(
                    handled=record.handled,
                    replied=record.replied + int(o.replies),
                    on_time=record.on_time + int(o.replies and timely),
                    rating_sum=record.rating_sum + (satisfaction if is_rated else 0.0),
                    ratings=record.ratings + int(is_rated),
                )
                expected += p * _period_score_after(rule, after)
    return expected - before


@pytest.mark.parametrize("survey", ["replies", "all_closed"])
@pytest.mark.parametrize("name", list(RULES))
def test_every_rule_expects_the_enumerated_change_of_the_period_score(name, survey):
    rule = make_rule(settings(rule=name, target=TARGET, satisfaction_survey=survey))
    for record_name, record in RECORDS.items():
        for outlook_name, o in OUTLOOKS.items():
            expected = _enumerated_change(rule, record, o, survey)
            got = rule.expected_change(record, o)
            assert got == pytest.approx(expected, abs=1e-12), (
                f"{name} ({survey}), {record_name}, {outlook_name}: enumerated "
                f"{expected:.6f}, the rule expects {got:.6f}"
            )
            assert rule.item_score(record, o) == pytest.approx(record.handled * got)


def test_the_rule_says_what_it_rewards():
    """Read off the expectations: what each rule makes worth more than what."""
    record = RECORDS["mid-period"]  # mean rating 0.3 so far
    o = OUTLOOKS
    rate = ResponseRateRule()
    assert rate.item_score(record, o["boilerplate now"]) == rate.item_score(
        record, o["substantive now"]
    ), "counting replies: a brush-off is worth a proper answer"
    timely = TimelinessRule()
    assert timely.item_score(record, o["boilerplate late"]) == 0.0
    assert timely.item_score(record, o["referral"]) < timely.item_score(
        record, o["boilerplate now"]
    )
    replies_only = SatisfactionRule(settings(rule="satisfaction", satisfaction_survey="replies"))
    assert replies_only.item_score(record, o["leave"]) == 0.0, "leaving is never rated"
    assert replies_only.item_score(record, o["boilerplate now"]) < 0.0, "below the mean so far"
    callback = SatisfactionRule(settings(rule="satisfaction", satisfaction_survey="all_closed"))
    assert (
        callback.item_score(record, o["leave"])
        < callback.item_score(record, o["boilerplate now"])
        < 0.0
    ), "the call-back survey rates giving up: worse than a brush-off"


# --------------------------------------------------------------------------- pressure


def test_pressure_is_zero_without_a_rule_or_strength():
    assert pressure_after_appraisal(settings(rule="none", strength=3.0), 0.0) == 0.0
    assert pressure_after_appraisal(settings(rule="timeliness", strength=0.0), 0.0) == 0.0


def test_pressure_rises_with_shortfall_and_relaxes_above_target_down_to_the_floor():
    s = settings(
        rule="response_rate",
        strength=1.5,
        target=0.8,
        shortfall_gain=2.0,
        relief_gain=2.5,
        pressure_floor=0.5,
    )
    cases = {
        None: 1.5,
        1.0: 1.5 * 0.5,
        0.9: 1.5 * (1 - 2.5 * 0.1),
        0.8: 1.5,
        0.5: 1.5 * (1 + 2.0 * 0.3),
        0.0: 1.5 * (1 + 2.0 * 0.8),
    }
    got = {score: pressure_after_appraisal(s, score) for score in cases}
    assert got == pytest.approx(cases), f"pressure by score: expected {cases}, got {got}"
    assert initial_pressure(s) == 1.5, "before the first appraisal: the base strength"
    scores = np.linspace(0.0, 1.0, 21)
    pressures = [pressure_after_appraisal(s, float(x)) for x in scores]
    assert (np.diff(pressures) <= 0.0).all(), f"pressure should fall with score: {pressures}"
    assert min(pressures) == pytest.approx(0.5 * 1.5), "never below the floor"


def test_a_zero_floor_lets_a_unit_far_above_target_stop_minding_the_rule():
    s = settings(rule="timeliness", target=0.6, relief_gain=2.5, pressure_floor=0.0)
    assert pressure_after_appraisal(s, 1.0) == 0.0
    assert pressure_after_appraisal(s, 0.8) == pytest.approx(0.5)
    no_relief = settings(rule="timeliness", relief_gain=0.0)
    assert pressure_after_appraisal(no_relief, 1.0) == pytest.approx(1.0), "no relief: the base"


def test_public_disclosure_multiplies_pressure():
    s = settings(
        rule="satisfaction",
        strength=1.0,
        target=0.8,
        shortfall_gain=2.0,
        public_disclosure=True,
        disclosure_multiplier=1.5,
    )
    assert pressure_after_appraisal(s, 0.5) == pytest.approx(1.0 * 1.6 * 1.5)
    assert pressure_after_appraisal(s, None) == pytest.approx(1.5)
    assert initial_pressure(s) == pytest.approx(1.5)


# --------------------------------------------------------------------------- logit choice


def test_near_zero_temperature_picks_the_best_utility():
    values = np.array([1.0, 2.0, 3.0, 0.5])
    hours = np.array([0.0, 0.0, 2.0, 0.0])  # utilities at price 1: 1, 2, 1, 0.5
    rng = np.random.default_rng(1)
    picks = {choose_action(values, hours, 1.0, 1e-6, rng) for _ in range(500)}
    assert picks == {1}, f"expected always option 1 (utility 2), got {picks}"
    # A higher price of time makes the quick option win instead.
    picks = {choose_action(values, hours, 0.2, 1e-6, rng) for _ in range(500)}
    assert picks == {2}, f"at price 0.2 utilities are 1, 2, 2.6, 0.5; got {picks}"


def test_equal_utilities_are_chosen_uniformly():
    values = np.array([0.5, 1.0, 1.5, 2.0])
    hours = np.array([0.0, 0.5, 1.0, 1.5])  # value − 1 · hours = 0.5 for each
    rng = np.random.default_rng(2024)
    draws = 40_000
    counts = np.bincount(
        [choose_action(values, hours, 1.0, 0.3, rng) for _ in range(draws)], minlength=4
    )
    expected = draws / 4
    bound = 4 * math.sqrt(draws * 0.25 * 0.75)  # 4 binomial standard deviations
    assert len(counts) == 4, f"an index out of range was chosen: {counts}"
    assert np.abs(counts - expected).max() < bound, (
        f"counts {counts.tolist()}, expected {expected:.0f} ± {bound:.0f} each"
    )


def test_logit_probabilities_follow_the_utility_difference():
    """Two options with utilities differing by Δ: P(better) = 1 / (1 + exp(−Δ/τ))."""
    values, hours = np.array([1.0, 0.0]), np.array([0.0, 0.0])
    rng = np.random.default_rng(7)
    draws = 40_000
    for temperature in (0.5, 1.0, 2.0):
        p = 1.0 / (1.0 + math.exp(-1.0 / temperature))
        wins = sum(choose_action(values, hours, 1.0, temperature, rng) == 0 for _ in range(draws))
        bound = 4 * math.sqrt(draws * p * (1 - p))
        assert abs(wins - draws * p) < bound, (
            f"τ = {temperature}: better option chosen {wins} times, expected "
            f"{draws * p:.0f} ± {bound:.0f}"
        )


# --------------------------------------------------------------------------- deadlines


def test_reply_deadline_by_kind_in_working_days_and_hours_with_a_single_fallback():

    scenario = Scenario().with_overrides(
        {
            "accountability.deadline_hours": 30.0,
            "accountability.deadlines": {
                "consultation": {"working_days": 2},
                "complaint": {"working_days": 15},
                "suggestion": {"hours": 5.0},
            },
        }
    )
    calendar = Calendar(scenario, 60)
    deadline_for = reply_deadline(scenario.accountability, calendar)
    friday_evening = 24.0 * 4 + 19.0  # day 0 is a Monday
    # Two working days after a Friday: Tuesday (day 8) at closing time, 17:00.
    assert deadline_for(friday_evening, CONSULTATION) == 24.0 * 8 + 17.0
    # Fifteen working days after Friday day 4: three weeks on, Friday day 25.
    assert deadline_for(friday_evening, COMPLAINT) == 24.0 * 25 + 17.0
    assert deadline_for(friday_evening, SUGGESTION) == friday_evening + 5.0
    # Kinds not named (and monitored rumours) take the single deadline_hours.
    assert deadline_for(friday_evening, REQUEST) == friday_evening + 30.0
    assert deadline_for(friday_evening, RUMOUR) == friday_evening + 30.0


def test_reply_deadline_without_a_table_is_the_single_deadline_for_every_kind():

    for overrides, expected in (
        ({"accountability.deadline_hours": 48.0}, 10.5 + 48.0),
        ({"accountability.deadline_working_days": 1}, 24.0 + 17.0),  # Monday → Tuesday 17:00
    ):
        scenario = Scenario().with_overrides(overrides)
        deadline_for = reply_deadline(scenario.accountability, Calendar(scenario, 10))
        assert [deadline_for(10.5, k) for k in range(len(KIND_NAMES))] == [expected] * len(
            KIND_NAMES
        ), overrides


# --------------------------------------------------------------------------- records


def _appraisal(survey: str, rating_probability: float = 1.0):
    from types import SimpleNamespace

    from simulation.accountability import Appraisal
    from simulation.events import EventBus
    from simulation.items import ItemStore
    from simulation.scenario import ReactionSettings

    accountability = settings(rule="satisfaction", satisfaction_survey=survey)
    units = [SimpleNamespace(pressure=0.0, last_score=None, record=UnitRecord()) for _ in range(4)]
    events = EventBus()
    reactions = ReactionSettings(rating_probability=rating_probability)
    appraisal = Appraisal(
        accountability,
        make_rule(accountability),
        units[:2],
        units[2:],
        ItemStore(),
        events,
        reactions,
        np.random.default_rng(3),
    )
    return appraisal, events


def test_the_call_back_survey_rates_a_request_given_up_for_whoever_handled_it():
    from simulation.codes import TASK_NEW
    from simulation.events import Abandoned, PartStarted, ServiceStarted

    for survey, rated in (("all_closed", 1), ("replies", 0)):
        appraisal, events = _appraisal(survey)
        events.publish(ServiceStarted(7, TASK_NEW, 0, 1.0, 0.5, True))  # operator 0 takes it
        events.publish(ServiceStarted(7, TASK_NEW, 1, 9.0, 8.0, False))  # escalated, operator 1
        events.publish(PartStarted(7, 1, 10.0))  # department 1 starts a part
        events.publish(Abandoned(7, 30.0))
        events.publish(Abandoned(8, 31.0))  # nobody took item 8: nobody is credited
        ops, depts = appraisal.operator_records, appraisal.department_records
        assert (ops[0].ratings, ops[1].ratings) == (0, rated), f"{survey}: {ops}"
        assert ops[1].rating_sum == -1.0 * rated, "the abandonment satisfaction (default −1)"
        assert (depts[0].ratings, depts[1].ratings) == (0, rated), f"{survey}: {depts}"
        assert ops[0].handled == 1 and ops[1].handled == 1 and depts[1].handled == 1


def test_the_call_back_survey_reaches_the_rating_probability_of_requests_given_up():
    from simulation.codes import TASK_NEW
    from simulation.events import Abandoned, ServiceStarted

    appraisal, events = _appraisal("all_closed", rating_probability=0.3)
    n = 4000
    for item in range(n):
        events.publish(ServiceStarted(item, TASK_NEW, 0, 1.0, 0.5, True))
        events.publish(Abandoned(item, 30.0))
    ratings = appraisal.operator_records[0].ratings
    bound = 4 * math.sqrt(n * 0.3 * 0.7)
    assert abs(ratings - 0.3 * n) < bound, f"{ratings} ratings of {n}, expected {0.3 * n:.0f}"


def test_the_item_in_hand_is_on_the_record_when_staff_choose(monkeypatch):
    """The rules' expectations assume the item being chosen for is already handled."""
    from simulation.agents.department import Department
    from simulation.agents.operator import Operator
    from simulation.codes import TASK_NEW
    from simulation.events import Appraised, PartStarted, ServiceStarted
    from simulation.model import GovernmentResponseModel
    from simulation.scenario import load_scenario

    scenario = load_scenario("closed_loop").with_overrides(
        {
            "population.citizens": 1500,
            "accountability.rule": "response_rate",
            "accountability.period_days": 2,
            "staffing.load_sensitivity": 0.2,
        }
    )
    model = GovernmentResponseModel(scenario, seed=3, days=6, create_citizen_agents=False)
    taken: dict[tuple[str, int], list[int]] = {}

    def count(kind: str, unit: int, item: int) -> None:
        taken.setdefault((kind, unit), []).append(item)

    def on_service(event: ServiceStarted) -> None:
        if event.task == TASK_NEW:
            count("operator", event.operator, event.item)

    model.events.subscribe(ServiceStarted, on_service)
    model.events.subscribe(PartStarted, lambda e: count("department", e.department, e.item))
    model.events.subscribe(Appraised, lambda e: taken.clear())
    seen = {"operator": 0, "department": 0}
    choose, department_choose = Operator.choose, Department._choose

    def checked_choose(self, item, now, backlog_hours):
        mine = taken.get(("operator", self.index), [])
        assert mine and mine[-1] == item and self.record.handled == len(mine)
        seen["operator"] += 1
        return choose(self, item, now, backlog_hours)

    def checked_department_choose(self, item, now):
        mine = taken.get(("department", self.topic), [])
        assert mine and mine[-1] == item and self.record.handled == len(mine)
        seen["department"] += 1
        return department_choose(self, item, now)

    monkeypatch.setattr(Operator, "choose", checked_choose)
    monkeypatch.setattr(Department, "_choose", checked_department_choose)
    model.run()
    assert seen["operator"] > 20 and seen["department"] > 5, f"too few choices seen: {seen}"
