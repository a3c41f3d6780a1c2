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


def outlook(replies=True, delay=0.0, to_deadline=math.inf, satisfaction=0.0) -> Outlook:
    return Outlook(
        replies=replies,
        delay_hours=delay,
        hours_to_deadline=to_deadline,
        satisfaction=satisfaction,
    )


def settings(**fields) -> AccountabilitySettings:
    return AccountabilitySettings(**fields)


EMPTY = UnitRecord()
BUSY = UnitRecord(handled=10, replied=6, on_time=4, rating_sum=1.5, ratings=5)


# --------------------------------------------------------------------------- rules


def test_no_rule_scores_nothing():
    rule = Rule()
    for o in (outlook(), outlook(replies=False), outlook(satisfaction=-1.0)):
        assert rule.action_score(o) == 0.0, f"no rule: {o} scored {rule.action_score(o)}"
    assert rule.period_score(BUSY) is None and rule.period_score(EMPTY) is None


def test_response_rate_rule_counts_replies_whatever_their_quality_or_delay():
    rule = ResponseRateRule()
    for o in (outlook(), outlook(delay=500.0, satisfaction=-1.0), outlook(to_deadline=-3.0)):
        assert rule.action_score(o) == 1.0, (
            f"a reply should score 1, {o} scored {rule.action_score(o)}"
        )
    assert rule.action_score(outlook(replies=False, satisfaction=1.0)) == 0.0
    assert rule.period_score(BUSY) == pytest.approx(0.6), "6 replied of 10 handled"
    assert rule.period_score(EMPTY) is None, "nothing handled: no score"


@pytest.mark.parametrize(
    "to_deadline, delay",
    [(48.0, 24.0), (48.0, 48.0), (2.0, 10.0), (100.0, 1.0), (0.5, 0.25)],
)
def test_timeliness_scores_the_chance_an_exponential_reply_beats_the_deadline(to_deadline, delay):
    rule = TimelinessRule()
    expected = 1.0 - math.exp(-to_deadline / delay)
    got = rule.action_score(outlook(delay=delay, to_deadline=to_deadline))
    assert got == pytest.approx(expected), (
        f"h = {to_deadline}, d = {delay}: expected 1 − exp(−h/d) = {expected:.6f}, got {got}"
    )


def test_timeliness_edge_cases():
    rule = TimelinessRule()
    cases = {
        "no reply": (outlook(replies=False, delay=1.0, to_deadline=48.0), 0.0),
        "deadline passed": (outlook(delay=1.0, to_deadline=-1.0), 0.0),
        "deadline now": (outlook(delay=1.0, to_deadline=0.0), 0.0),
        "instant reply": (outlook(delay=0.0, to_deadline=5.0), 1.0),
        "no deadline": (outlook(delay=30.0, to_deadline=math.inf), 1.0),
    }
    got = {name: rule.action_score(o) for name, (o, _) in cases.items()}
    expected = {name: score for name, (_, score) in cases.items()}
    assert got == expected
    # Later replies are worth less against the same deadline.
    scores = [rule.action_score(outlook(delay=d, to_deadline=24.0)) for d in (1, 6, 24, 96)]
    assert scores == sorted(scores, reverse=True), f"scores should fall with delay: {scores}"


def test_timeliness_period_score_is_the_share_on_time():
    rule = TimelinessRule()
    assert rule.period_score(BUSY) == pytest.approx(0.4), "4 on time of 10 handled"
    assert rule.period_score(EMPTY) is None


def test_satisfaction_rule_scores_the_expected_satisfaction():
    rule = SatisfactionRule()
    for s in (-1.0, -0.3, 0.0, 0.8):
        assert rule.action_score(outlook(satisfaction=s)) == s
    # Ratings in [−1, 1] are rescaled to [0, 1]: mean 0.3 → 0.65.
    assert rule.period_score(BUSY) == pytest.approx((1.5 / 5 + 1.0) / 2.0)
    assert rule.period_score(UnitRecord(ratings=2, rating_sum=-2.0)) == pytest.approx(0.0)
    assert rule.period_score(UnitRecord(ratings=3, rating_sum=3.0)) == pytest.approx(1.0)
    assert rule.period_score(UnitRecord(handled=4, replied=4)) is None, "no ratings: no score"


def test_make_rule_returns_the_named_rule():
    assert set(RULES) == {"none", "response_rate", "timeliness", "satisfaction"}
    for name, cls in RULES.items():
        rule = make_rule(settings(rule=name))
        assert type(rule) is cls and rule.name == name


def test_unit_record_reset():
    record = UnitRecord(handled=3, replied=2, on_time=1, rating_sum=0.5, ratings=2)
    record.reset()
    assert record == UnitRecord(), f"after reset: {record}"


# --------------------------------------------------------------------------- pressure


def test_pressure_is_zero_without_a_rule_or_strength():
    assert pressure_after_appraisal(settings(rule="none", strength=3.0), 0.0) == 0.0
    assert pressure_after_appraisal(settings(rule="timeliness", strength=0.0), 0.0) == 0.0


def test_pressure_grows_with_shortfall_below_target():
    s = settings(rule="response_rate", strength=1.5, target=0.8, shortfall_gain=2.0)
    cases = {None: 1.5, 0.9: 1.5, 0.8: 1.5, 0.5: 1.5 * (1 + 2.0 * 0.3), 0.0: 1.5 * (1 + 2.0 * 0.8)}
    got = {score: pressure_after_appraisal(s, score) for score in cases}
    assert got == pytest.approx(cases), f"pressure by score: expected {cases}, got {got}"
    assert initial_pressure(s) == 1.5, "before the first appraisal: the base strength"


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
