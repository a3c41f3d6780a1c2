"""Staffing options and the weekly rhythm in whole runs: the weekly rhythm moves needs
between weekdays without changing a week's total; finishing the item in hand at the end
of a shift costs overtime (counted in staff hours) and never leaves an item half-done
over the night."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import GovernmentResponseModel, Scenario, ScenarioError, load_scenario, run_one
from simulation.agents.citizen import Population
from simulation.codes import HOURS_PER_DAY, KIND_NAMES

SATURDAY, SUNDAY = 5, 6


def population(**overrides) -> Population:
    scenario = Scenario().with_overrides({"population.citizens": 100, **overrides})
    n = scenario.population.citizens
    none = np.zeros(n, dtype=bool)
    return Population(scenario, n, none, none, np.random.default_rng(0))


# --------------------------------------------------------------------------- weekly rhythm


def test_weekly_rhythm_scales_each_day_and_keeps_the_weekly_total():
    weights = [1.0, 1.0, 1.0, 1.0, 2.0, 0.5, 0.5]
    flat, weekly = population(), population(**{"population.weekly_rhythm": weights})
    ones = np.ones((len(KIND_NAMES) - 1, 4))
    week = range(7 * HOURS_PER_DAY)
    total_flat = sum(flat.need_rates(t, ones).sum() for t in week)
    total_weekly = sum(weekly.need_rates(t, ones).sum() for t in week)
    assert total_weekly == pytest.approx(total_flat), "a week's needs do not change"
    scale = 7.0 / sum(weights)
    for day, weight in enumerate(weights):
        t = day * HOURS_PER_DAY + 20  # the same clock hour on each day
        ratio = weekly.need_rates(t, ones).sum() / flat.need_rates(t, ones).sum()
        assert ratio == pytest.approx(weight * scale), f"day {day}: ratio {ratio}"


def test_weekly_rhythm_counts_from_the_runs_start_weekday():
    weights = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    pop = population(**{"population.weekly_rhythm": weights, "run.start_weekday": "saturday"})
    ones = np.ones((len(KIND_NAMES) - 1, 4))
    # Day 0 and 1 of the run are Saturday and Sunday, day 2 a Monday.
    assert pop.need_rates(10, ones).sum() == 0.0
    assert pop.need_rates(HOURS_PER_DAY + 10, ones).sum() == 0.0
    assert pop.need_rates(2 * HOURS_PER_DAY + 10, ones).sum() > 0.0


def test_flat_weekly_rhythm_is_the_default_and_equal_weights_change_nothing():
    assert Scenario().population.weekly_rhythm == "flat"
    small = {"population.citizens": 600}
    equal = {**small, "population.weekly_rhythm": [3.0] * 7}
    a = run_one(Scenario().with_overrides(small), seed=4, days=3).summary
    b = run_one(Scenario().with_overrides(equal), seed=4, days=3).summary
    moved = [k for k in a if not (a[k] == b[k] or (np.isnan(a[k]) and np.isnan(b[k])))]
    assert not moved, f"equal weekly weights moved {moved}"


def test_quiet_weekends_bring_fewer_needs_at_weekends_in_a_run():
    quiet = Scenario().with_overrides(
        {"population.citizens": 3000, "population.weekly_rhythm": [1, 1, 1, 1, 1, 0.2, 0.2]}
    )
    daily = run_one(quiet, seed=1, days=7).daily
    weekday_mean = daily["needs"].iloc[:5].mean()
    weekend_mean = daily["needs"].iloc[5:7].mean()
    assert weekend_mean < 0.5 * weekday_mean, (weekday_mean, weekend_mean)


@pytest.mark.parametrize("weights", [[1.0] * 6, [1.0] * 6 + [-1.0], [0.0] * 7])
def test_bad_weekly_rhythm_is_refused(weights, tmp_path):
    path = tmp_path / "week.toml"
    path.write_text(f"[population]\nweekly_rhythm = {weights}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    # A negative weight is refused at its place, a wrong count or sum as a whole.
    assert info.value.field.startswith("population.weekly_rhythm"), info.value
    message = info.value.message
    assert (
        "must be 'flat' or 7 non-negative weights" in message
        or "greater than or equal to 0" in message
    )
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------- shift end


def test_finishing_the_item_in_hand_costs_overtime_and_holds_nothing_overnight():
    base = Scenario().with_overrides(
        {
            "population.citizens": 3000,
            "mechanism.preset": "reactive",
            "staffing.handling_minutes": 90.0,  # long jobs: many run past closing time
        }
    )
    finish = base.with_overrides({"staffing.shift_end": "finish"})
    days = 5
    half_done, staff_hours, duty = {}, {}, {}
    for name, scenario in (("suspend", base), ("finish", finish)):
        model = GovernmentResponseModel(scenario, seed=1, days=days, create_citizen_agents=False)
        on_duty = model.operators[0].server.on_duty
        half_done[name] = 0
        while model.hour < days * HOURS_PER_DAY:
            model.step()
            if on_duty[model.hour - 1] and not on_duty[model.hour]:  # the shift just ended
                waiting = model.operator_desk.desk.waiting_tickets()
                half_done[name] += sum(t.work_left is not None for t in waiting)
        summary = model.summary()
        staff_hours[name] = summary["staff_hours"]
        duty[name] = float(model.metrics.daily_frame()["operator_duty_hours"].sum())
        shifts = float(on_duty[: days * HOURS_PER_DAY].sum()) * len(model.operators)
    assert half_done["suspend"] > 0, "with long jobs some are suspended at closing time"
    assert half_done["finish"] == 0, "finish: no item is left half-done overnight"
    assert duty["suspend"] == pytest.approx(shifts), "suspend: duty hours are the shifts"
    overtime = duty["finish"] - shifts
    assert overtime > 0.0, "finish: operators stay on after some shifts"
    assert staff_hours["finish"] - staff_hours["suspend"] == pytest.approx(overtime), (
        "the overtime counts in staff hours"
    )
