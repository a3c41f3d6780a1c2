"""How departments share an item that needs more than one of them (MODEL.md §4.5).

*Silo*: the parts go one department after another, each hand-off costing
`staffing.silo_handoff_hours`, and a department may bounce an item back to the
operators as "not ours". *Joint*: a lead department coordinates, all parts run at once,
and the answer is ready when the slowest part is done plus
`staffing.department_coordination_hours`. An item that needs one department is the
same under both.

Adding a mode: subclass `Coordination` below and register it in `COORDINATIONS`; the
scenario schema (`mechanism.coordination`) accepts its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, override

from simulation.codes import SUBSTANTIVE


@dataclass(slots=True)
class Referral:
    """An item at the departments: which parts remain and the answer so far."""

    parts: list[int]  # department (topic) indices, lead first
    referred_at: float
    next_part: int = 0  # silo: index of the part in progress
    pending: int = 0  # parts submitted and not yet done
    quality: int = SUBSTANTIVE  # worst quality of the parts so far


Submit = Callable[[int, float], None]  # (department index, when)


class Coordination:
    """The interface: start a referral, take a finished part, foresee the turnaround."""

    name: ClassVar[str]
    bounces: ClassVar[bool] = False  # departments may send an item back as "not ours"

    def __init__(self, handoff_hours: float, coordination_hours: float):
        self.handoff_hours = handoff_hours  # silo hand-off between departments [hours]
        self.coordination_hours = coordination_hours  # joint: lead's coordination [hours]

    def start(self, referral: Referral, now: float, submit: Submit) -> None:
        """Send the first part(s) of a new referral to their departments."""
        raise NotImplementedError

    def part_done(self, referral: Referral, now: float, submit: Submit) -> float | None:
        """A part is done: submit the next, or return when the whole answer is ready."""
        raise NotImplementedError

    def expected_hours(self, first: float, second: float | None) -> float:
        """Foreseen clock hours from referral to answer, given each part's turnaround."""
        raise NotImplementedError

    def _all_at_once(self, referral: Referral, now: float, submit: Submit) -> None:
        referral.pending = len(referral.parts)
        for department in referral.parts:
            submit(department, now)

    def _when_all_done(self, referral: Referral, now: float) -> float | None:
        referral.pending -= 1
        if referral.pending > 0:
            return None
        return now + (self.coordination_hours if len(referral.parts) > 1 else 0.0)


class Silo(Coordination):
    """One department after another, with hand-offs; bounces possible."""

    name = "silo"
    bounces = True

    @override
    def start(self, referral: Referral, now: float, submit: Submit) -> None:
        if len(referral.parts) == 1:
            self._all_at_once(referral, now, submit)
        else:
            submit(referral.parts[0], now)

    @override
    def part_done(self, referral: Referral, now: float, submit: Submit) -> float | None:
        if len(referral.parts) == 1:
            return self._when_all_done(referral, now)
        referral.next_part += 1
        if referral.next_part < len(referral.parts):
            submit(referral.parts[referral.next_part], now + self.handoff_hours)
            return None
        return now

    @override
    def expected_hours(self, first: float, second: float | None) -> float:
        if second is None:
            return first
        return first + second + self.handoff_hours


class Joint(Coordination):
    """All parts at once under a lead department; ready with the slowest, plus coordination."""

    name = "joint"

    @override
    def start(self, referral: Referral, now: float, submit: Submit) -> None:
        self._all_at_once(referral, now, submit)

    @override
    def part_done(self, referral: Referral, now: float, submit: Submit) -> float | None:
        return self._when_all_done(referral, now)

    @override
    def expected_hours(self, first: float, second: float | None) -> float:
        if second is None:
            return first
        return max(first, second) + self.coordination_hours


COORDINATIONS: dict[str, type[Coordination]] = {cls.name: cls for cls in (Silo, Joint)}
