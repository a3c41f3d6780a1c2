"""Simulated time: hours, weekdays, office hours, holidays, working-day deadlines.

Time is measured in hours from the start of the run (a float inside an hour); step t
covers [t, t + 1). Day d covers hours [24 d, 24 d + 24).
"""

from __future__ import annotations

import math

import numpy as np

from simulation.codes import HOURS_PER_DAY, WEEKDAYS
from simulation.scenario import Scenario


class Calendar:
    """Which hours are office hours, and deadlines counted in working days."""

    def __init__(self, scenario: Scenario, horizon_days: int):
        cal = scenario.calendar
        self.start_weekday = WEEKDAYS.index(scenario.run.start_weekday)
        self.office_start = cal.office_hours_start
        self.office_end = cal.office_hours_end
        self.working_weekdays = frozenset(WEEKDAYS.index(d) for d in cal.working_weekdays)
        self.holidays = frozenset(cal.holidays)
        # A year of slack past the run, so deadlines of late items can be computed.
        self.horizon_days = horizon_days + 370
        days = np.arange(self.horizon_days)
        weekday = (days + self.start_weekday) % 7
        self.working_day = np.isin(weekday, list(self.working_weekdays)) & ~np.isin(
            days, list(self.holidays)
        )
        hours = np.arange(HOURS_PER_DAY)
        office_hour_of_day = (hours >= self.office_start) & (hours < self.office_end)
        self.office_open = (self.working_day[:, None] & office_hour_of_day[None, :]).ravel()

    @staticmethod
    def day_of(t: float) -> int:
        """The day (0, 1, …) that time `t` falls in."""
        return int(t // HOURS_PER_DAY)

    @staticmethod
    def hour_of_day(t: float) -> int:
        """The clock hour (0-23) of time `t`."""
        return int(t) % HOURS_PER_DAY

    def weekday_of(self, t: float) -> int:
        """0 = Monday."""
        return (self.day_of(t) + self.start_weekday) % 7

    def is_working_day(self, day: int) -> bool:
        """Whether `day` is a working day (not a weekend day or a holiday)."""
        return bool(self.working_day[day])

    def is_office_hour(self, t: float) -> bool:
        """Whether the offices are open at time `t`."""
        return bool(self.office_open[int(t)])

    def add_working_days(self, t: float, working_days: int) -> float:
        """Deadline: office closing time of the n-th working day after the day of `t`.

        An item that arrives on a Friday evening with a two-working-day deadline is due
        at closing time on Tuesday.
        """
        day = self.day_of(t)
        remaining = working_days
        while remaining > 0:
            day += 1
            if day >= self.horizon_days:
                return math.inf
            if self.working_day[day]:
                remaining -= 1
        return day * HOURS_PER_DAY + self.office_end

    def shift_pattern(self, shifts: str, extended_hours: tuple[int, int] = (8, 22)) -> np.ndarray:
        """On-duty flag for every hour of the horizon under a shift pattern."""
        n = self.horizon_days * HOURS_PER_DAY
        if shifts == "24x7":
            return np.ones(n, dtype=bool)
        if shifts == "extended":
            hour = np.arange(n) % HOURS_PER_DAY
            start, end = extended_hours
            if end < start:  # overnight: from `start` to `end` the next morning
                return (hour >= start) | (hour < end)
            return (hour >= start) & (hour < end)
        if shifts == "office_hours":
            return self.office_open.copy()
        raise ValueError(f"unknown shift pattern '{shifts}'")
