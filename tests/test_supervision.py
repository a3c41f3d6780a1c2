"""The explicit upper level: supervisors, complaints forwarded down, appraisal, reprimands.

Evidence by kind: validation (a supervisor must be a declared account of a higher
level; bad input refused naming file and field), equivalence (no supervisor, no
change: no `supervision` key, no model part), units (ranking, reprimand and its
half-life), directions (a stricter threshold reprimands more; a supervised account's
operators do not read `escalation_weight`), invariants (every forwarded item was
complained about, deadlines after forwarding, cases closed at most once) and theory
(screening at the city and handling at the district, everything else off, is a tandem
of two M/M/1 stations: product-form mean numbers in system).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import GovernmentResponseModel, Scenario, load_scenario, run_one
from simulation.codes import HOURS_PER_DAY
from simulation.events import HourEnded, ItemReceived
from simulation.scenario import ScenarioError
from simulation.validation import queue_scenario
from tests.conftest import mean_and_se
from tests.schema_fields import write_scenario


def hierarchy(overrides: dict | None = None, citizens: int = 3000) -> Scenario:
    """The bundled city_district_hierarchy at `citizens` citizens, with `overrides`."""
    return load_scenario(
        "city_district_hierarchy", {"population.citizens": citizens, **(overrides or {})}
    )


# --------------------------------------------------------------------------- the schema


def test_a_scenario_without_a_supervisor_has_no_supervision():
    scenario = load_scenario("weibo_and_wechat")
    assert "supervision" not in scenario.to_dict()  # so its content hash is unchanged
    assert GovernmentResponseModel(scenario, days=1).supervision is None
    assert hierarchy().supervised and "supervision" in hierarchy().to_dict()


@pytest.mark.parametrize(
    ("key", "value", "field", "words"),
    [
        ("accounts.district_a.supervisor", "cty", "accounts.district_a.supervisor", "'city'"),
        (
            "accounts.district_a.supervisor",
            "district_a",
            "accounts.district_a.supervisor",
            "itself",
        ),
        (
            "accounts.district_a.supervisor",
            "district_b",
            "accounts.district_a.supervisor",
            "must be higher",
        ),
        ("accounts.city.level", "district", "accounts.district_a.supervisor", "must be higher"),
        ("supervision.reprimand_half_life_days", 0.0, "supervision.reprimand_half_life_days", "0"),
        ("supervision.strength", math.nan, "supervision.strength", "finite"),
        ("supervision.upward_probability", 1.5, "supervision.upward_probability", "1"),
        ("supervision.reprimand_belw", 0.5, "supervision.reprimand_belw", "reprimand_below"),
    ],
)
def test_bad_supervision_is_refused_naming_file_and_field(tmp_path, key, value, field, words):
    raw = hierarchy().to_dict()
    node = raw
    *path, last = key.split(".")
    for part in path:
        node = node.setdefault(part, {})
    node[last] = value
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(raw, tmp_path))
    error = info.value
    assert error.source.endswith("case.toml")
    assert error.field == field, error
    assert words in error.message, error


def test_supervision_settings_without_a_supervisor_are_refused(tmp_path):
    raw = load_scenario("weibo_and_wechat").to_dict()
    raw["supervision"] = {"period_days": 30}
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(raw, tmp_path))
    assert info.value.field == "supervision" and "supervisor" in info.value.message


# --------------------------------------------------------------------------- units


def test_the_ranking_places_units_by_score_and_reprimands_those_below_the_threshold():
    model = GovernmentResponseModel(hierarchy(), days=1, create_citizen_agents=False)
    supervision = model.supervision
    assert supervision is not None
    a, b, c = (supervision.units[k] for k in (1, 2, 3))
    a.record.received, a.record.complaints = 100, 1  # score 0.99
    b.record.received, b.record.complaints, b.record.overdue = 100, 5, 2  # 0.93
    c.record.received = 0  # nothing to score
    supervision.appraise(0)
    assert a.places == [1.0] and b.places == [2.0] and c.places == []
    assert a.scores == [pytest.approx(0.99)] and b.scores == [pytest.approx(0.93)]
    assert (a.reprimands, b.reprimands, c.reprimands) == (0, 1, 0)
    settings = model.scenario.supervision
    assert a.ranking_pressure == 0.0 and b.ranking_pressure == settings.ranking_pressure
    assert b.reprimand_pressure == settings.reprimand_pressure
    assert a.record.complaints == 0  # a new period


def test_a_reprimand_raises_pressure_which_halves_every_half_life():
    scenario = hierarchy({"supervision.reprimand_half_life_days": 2.0})
    model = GovernmentResponseModel(scenario, days=10, create_citizen_agents=False)
    supervision = model.supervision
    assert supervision is not None
    unit = supervision.units[1]
    before = unit.pressure
    unit.record.received, unit.record.complaints = 10, 5
    supervision.appraise(0)
    model.events.publish(HourEnded(0))
    raised = unit.pressure - scenario.supervision.strength - unit.ranking_pressure
    assert unit.pressure > before and raised > 0.0
    for hour in range(1, 1 + 2 * HOURS_PER_DAY):
        model.events.publish(HourEnded(hour))
    left = unit.pressure - scenario.supervision.strength - unit.ranking_pressure
    assert left == pytest.approx(raised / 2.0, rel=1e-9)
    operators = model.accounts[1].operators
    assert all(op.pressure_from_above == unit.pressure for op in operators)
    assert operators[0].effort > 1.0  # pressure from above is appraisal pressure: effort


# --------------------------------------------------------------------------- directions


def test_a_stricter_threshold_reprimands_more():
    lenient, strict = 0, 0
    for seed in (1, 2):
        for threshold, total in ((0.5, "lenient"), (0.999, "strict")):
            scenario = hierarchy(
                {"supervision.reprimand_below": threshold, "supervision.period_days": 7}
            )
            summary = run_one(scenario, seed=seed, days=28).summary
            count = sum(summary[f"reprimands@district_{x}"] for x in "abc")
            if total == "lenient":
                lenient += count
            else:
                strict += count
    assert strict > lenient


def test_supervised_operators_do_not_read_the_escalation_weight():
    """A city nobody follows only screens: then escalation_weight cannot matter at all."""
    runs = [
        run_one(
            hierarchy({"accounts.city.follow_share": 0.0, "staffing.escalation_weight": w}),
            seed=3,
            days=10,
        ).summary
        for w in (0.0, 3.0)
    ]
    assert runs[0]["received@city"] == 0.0
    assert runs[0]["complaints@district_a"] + runs[0]["complaints@district_b"] > 0
    assert all(
        (math.isnan(x) and math.isnan(runs[1][k])) or x == runs[1][k] for k, x in runs[0].items()
    )


def test_the_implicit_upper_level_still_reads_the_weight_without_a_supervisor():
    raw = hierarchy().to_dict()
    for x in "abc":
        raw["accounts"][f"district_{x}"].pop("supervisor")
    raw.pop("supervision")
    unsupervised = Scenario.model_validate(raw)
    assert not unsupervised.supervised
    rates = [
        run_one(
            unsupervised.with_overrides({"staffing.escalation_weight": w}), seed=3, days=10
        ).summary["response_rate"]
        for w in (0.0, 3.0)
    ]
    assert rates[0] != rates[1]


# --------------------------------------------------------------------------- invariants


def test_forwarded_complaints_are_complaints_with_deadlines_after_forwarding():
    result = run_one(hierarchy({"population.threat_share": 0.3}), seed=2, days=30)
    items = result.items
    forwarded = items["forwarded"].notna()
    assert forwarded.any()
    assert (items.loc[forwarded, "complaints"] >= 1).all()
    assert (items.loc[forwarded, "forward_deadline"] > items.loc[forwarded, "forwarded"]).all()
    complained = items["complaints"] > 0
    assert set(items.loc[complained, "account"].astype(str)) <= {f"district_{x}" for x in "abc"}
    assert (items.loc[complained, "escalations"] >= items.loc[complained, "complaints"]).all()
    summary = result.summary
    for x in "abc":
        unit = f"district_{x}"
        mine = items["account"] == unit
        assert summary[f"complaints@{unit}"] == float(items.loc[mine, "complaints"].sum())
        assert summary[f"complaints_closed@{unit}"] <= summary[f"complaints@{unit}"]
        assert summary[f"complaints_overdue@{unit}"] <= summary[f"complaints_closed@{unit}"]
    received = items["status"] != "not_received"
    assert items.loc[received, "status"].isin(["open", "referred", "answered", "abandoned"]).all()


def test_daily_supervision_columns_add_up_to_the_run_totals():
    """Each supervised account's daily complaints and overdue cases sum to its run totals;
    its pressure on the last day is the pressure the summary reports; only supervised
    accounts have these columns, and a scenario without a supervisor has none."""
    result = run_one(hierarchy({"supervision.period_days": 7}), seed=2, days=21)
    daily, summary = result.daily, result.summary
    for x in "abc":
        unit = f"district_{x}"
        for metric in ("complaints", "complaints_overdue"):
            assert daily[f"{metric}@{unit}"].sum() == summary[f"{metric}@{unit}"]
        pressure = daily[f"pressure_from_above@{unit}"]
        assert pressure.iloc[-1] == summary[f"pressure_from_above@{unit}"]
        assert pressure.notna().all() and (pressure >= 0.0).all()
    assert sum(daily[f"complaints@district_{x}"].sum() for x in "abc") > 0
    assert sum(daily[f"pressure_from_above@district_{x}"].max() for x in "abc") > 0
    assert "complaints@city" not in daily and "pressure_from_above@weibo" not in daily
    plain = run_one(load_scenario("weibo_and_wechat", {"population.citizens": 1000}), days=2)
    assert not any(c.startswith("complaints@") for c in plain.daily.columns)


# --------------------------------------------------------------------------- theory


def tandem(arrivals: float, screening_rate: float, handling_rate: float) -> Scenario:
    """A city desk screening every complaint, a district desk answering it; nothing else.

    The single-desk M/M/1 limit (`queue_scenario`: Poisson needs, exponential work,
    24x7 FIFO, substantive replies only) with two accounts: every need goes to the
    district (nobody follows the city); no pressure from above (no effort, no weight).
    """
    return queue_scenario(1, arrivals, handling_rate, citizens=2000).with_overrides(
        {
            "accounts.city.level": "city",
            "accounts.city.follow_share": 0.0,
            "accounts.district.level": "district",
            "accounts.district.follow_share": 1.0,
            "accounts.district.supervisor": "city",
            "supervision.screening_minutes": 60.0 / screening_rate,
            "supervision.strength": 0.0,
            "supervision.ranking_pressure": 0.0,
            "supervision.reprimand_pressure": 0.0,
        }
    )


def tandem_sojourns(scenario: Scenario, seed: int, days: int) -> tuple[float, float]:
    """Mean hours each complaint spent at the city desk and at the district desk.

    Every need the district receives is complained about at once (the lifecycle's
    `complain_upward`, as an escalation that goes up does), so the complaints arrive at
    the city as the needs arrive: Poisson. Needs of the first and last day are left out.
    """
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    model.events.subscribe(
        ItemReceived, lambda e: model.lifecycle.complain_upward(e.item, e.time, 0)
    )
    model.run()
    store = model.items
    created = store.view("created")
    cohort = (created >= HOURS_PER_DAY) & (created < (days - 1) * HOURS_PER_DAY)
    forwarded = store.view("forwarded_at")[cohort]
    replied = (store.view("created") + store.view("reply_time"))[cohort]
    assert np.isfinite(replied).all() and np.isfinite(forwarded).all()
    return (
        float((forwarded - store.view("received_at")[cohort]).mean()),
        float((replied - forwarded).mean()),
    )


@pytest.mark.slow
def test_screening_and_forwarding_is_a_tandem_jackson_network():
    """λ = 2/h; the city screens at 3/h (ρ = 2/3), the district answers at 4/h (ρ = 1/2).

    Product form: each station is an M/M/1 queue on its own, with mean number in system
    ρ/(1 − ρ) (2 and 1); by Little's law the mean sojourn is that over λ.
    """
    lam, rates = 2.0, (3.0, 4.0)
    scenario = tandem(lam, *rates)
    runs = [tandem_sojourns(scenario, seed, days=12) for seed in range(12)]
    for station, mu in enumerate(rates):
        rho = lam / mu
        theory = rho / (1.0 - rho)
        in_system = [lam * run[station] for run in runs]
        mean, se = mean_and_se(in_system)
        report = f"station {station}: L = {mean:.3f} ± {se:.3f}, product form {theory:.3f}"
        print(report)
        assert se <= 0.1 * theory, f"{report}: too noisy to test"
        assert abs(mean - theory) <= 4.0 * se, report
