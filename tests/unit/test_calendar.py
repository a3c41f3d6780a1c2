"""Working-day arithmetic on its own (`simulation.calendar.Calendar`).

Hours count from the start of the run; day d covers hours [24 d, 24 d + 24). With the
default scenario day 0 is a Monday, offices open 09-17 Monday to Friday.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import Scenario
from simulation.calendar import Calendar

MONDAY, TUESDAY, WEDNESDAY, FRIDAY, SATURDAY, SUNDAY = 0, 1, 2, 4, 5, 6


def calendar(days: int = 28, **overrides) -> Calendar:
    return Calendar(Scenario().with_overrides(overrides), days)


def at(day: int, hour: float) -> float:
    return 24.0 * day + hour


def closing(day: int, end: int = 17) -> float:
    return 24.0 * day + end


# --------------------------------------------------------------------------- deadlines


def test_friday_evening_two_working_days_is_tuesday_closing_time():
    """The docstring's example: Friday 19:00 + 2 working days = Tuesday 17:00."""
    cal = calendar()
    friday_evening = at(4, 19.0)
    assert cal.weekday_of(friday_evening) == FRIDAY
    due = cal.add_working_days(friday_evening, 2)
    assert due == closing(8), f"expected Tuesday day 8 at 17:00 (hour 209), got hour {due}"
    assert cal.weekday_of(due) == TUESDAY


def test_friday_evening_example_when_the_run_starts_on_a_friday():
    cal = calendar(**{"run.start_weekday": "friday"})
    due = cal.add_working_days(at(0, 19.0), 2)
    assert due == closing(4), f"expected day 4 (Tuesday) at 17:00, got hour {due}"


def test_the_day_of_arrival_never_counts_even_before_opening():
    cal = calendar()
    for hour in (0.0, 8.5, 12.0, 23.9):
        due = cal.add_working_days(at(0, hour), 1)  # Monday
        assert due == closing(1), (
            f"Monday {hour}:00 + 1 working day: expected Tuesday 17:00, got {due}"
        )


def test_weekend_arrivals_count_from_monday():
    cal = calendar()
    for day in (SATURDAY, SUNDAY):
        due = cal.add_working_days(at(day, 10.0), 1)
        assert due == closing(7), f"day {day} + 1 working day: expected Monday 17:00, got {due}"


def test_five_working_days_is_a_calendar_week_on_a_weekday():
    cal = calendar()
    assert cal.add_working_days(at(WEDNESDAY, 10.0), 5) == closing(WEDNESDAY + 7)


def test_holidays_are_skipped():
    cal = calendar(**{"calendar.holidays": [7, 8]})  # Monday and Tuesday of week 2
    due = cal.add_working_days(at(4, 19.0), 2)
    assert due == closing(10), f"expected Thursday day 10 at 17:00, got hour {due}"


def test_deadline_uses_the_office_closing_hour():
    cal = calendar(**{"calendar.office_hours_start": 8, "calendar.office_hours_end": 20})
    assert cal.add_working_days(at(0, 10.0), 1) == closing(1, end=20)


def test_custom_working_week_counts_saturdays():
    week = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
    cal = calendar(**{"calendar.working_weekdays": week})
    assert cal.add_working_days(at(4, 19.0), 2) == closing(7), "Saturday then Monday"


def test_deadline_past_the_calendar_is_infinite():
    cal = calendar(days=7)
    assert cal.add_working_days(0.0, 10_000) == math.inf


# --------------------------------------------------------------------------- office hours


def test_office_hours_on_a_working_day():
    cal = calendar()
    cases = {8.99: False, 9.0: True, 12.5: True, 16.99: True, 17.0: False, 23.0: False}
    got = {h: cal.is_office_hour(at(0, h)) for h in cases}
    assert got == cases, f"Monday office hours: expected {cases}, got {got}"


def test_no_office_hours_at_weekends_or_on_holidays():
    cal = calendar(**{"calendar.holidays": [2]})
    for day in (2, SATURDAY, SUNDAY, 12, 13):
        open_hours = [h for h in range(24) if cal.is_office_hour(at(day, h))]
        assert open_hours == [], f"day {day} should be closed, open at {open_hours}"
    assert cal.is_working_day(1) and not cal.is_working_day(2)


def test_weekday_and_day_arithmetic():
    cal = calendar(**{"run.start_weekday": "wednesday"})
    assert [cal.weekday_of(at(d, 5.0)) for d in range(7)] == [2, 3, 4, 5, 6, 0, 1]
    assert Calendar.day_of(47.9) == 1 and Calendar.day_of(48.0) == 2
    assert Calendar.hour_of_day(49.5) == 1


# --------------------------------------------------------------------------- shifts


def test_shift_patterns():
    cal = calendar(days=14, **{"calendar.holidays": [3]})
    n = cal.horizon_days * 24
    around_the_clock = cal.shift_pattern("24x7")
    assert around_the_clock.shape == (n,) and around_the_clock.all()

    extended = cal.shift_pattern("extended")
    hours = np.flatnonzero(extended[:24])
    assert hours.tolist() == list(range(8, 22)), f"extended 08-22, got hours {hours.tolist()}"
    assert extended.reshape(-1, 24).sum(axis=1).tolist() == [14] * cal.horizon_days, (
        "extended shifts cover 14 hours every day, weekends and holidays included"
    )
    assert np.flatnonzero(cal.shift_pattern("extended", (6, 10))[:24]).tolist() == [6, 7, 8, 9]

    office = cal.shift_pattern("office_hours")
    expected = np.array([cal.is_office_hour(t) for t in range(n)])
    assert (office == expected).all(), "office-hours shift should be the office hours"
    per_day = office.reshape(-1, 24).sum(axis=1)[:14].tolist()
    assert per_day == [8, 8, 8, 0, 8, 0, 0, 8, 8, 8, 8, 8, 0, 0], f"hours per day: {per_day}"


def test_office_hours_shift_is_a_copy():
    cal = calendar()
    pattern = cal.shift_pattern("office_hours")
    pattern[:] = True
    assert not cal.is_office_hour(0.0), "changing a shift pattern changed the calendar"


def test_unknown_shift_pattern_is_refused():
    with pytest.raises(ValueError, match="unknown shift pattern"):
        calendar().shift_pattern("9x5")
