"""The service desk on its own (`simulation.queueing`): servers, shifts, priorities.

Every test drives a `ServiceDesk` hour by hour with fixed-length jobs, so finish times
are exact numbers worked out by hand in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.queueing import Server, ServiceDesk, Ticket


class Recorder:
    """Callbacks for a desk: fixed work per item; records starts, finishes, reserved work."""

    def __init__(self, work: dict[int, float | None], invalid: set[int] = frozenset()):
        self.work = work
        self.invalid = set(invalid)
        self.started: list[tuple[int, int, float]] = []  # (item, server, time)
        self.finished: list[tuple[int, int, float]] = []
        self.reserved: list[tuple[int, float]] = []  # (server, hours)
        self.validity_asked: list[tuple[int, float]] = []

    def start_job(self, ticket: Ticket, server: int, now: float) -> float | None:
        self.started.append((ticket.item, server, now))
        return self.work[ticket.item]

    def finish_job(self, ticket: Ticket, server: int, now: float) -> None:
        self.finished.append((ticket.item, server, now))

    def is_valid(self, ticket: Ticket, now: float) -> bool:
        self.validity_asked.append((ticket.item, now))
        return ticket.item not in self.invalid

    def on_reserved_work(self, server: int, hours: float) -> None:
        self.reserved.append((server, hours))

    def finish_times(self) -> dict[int, float]:
        return {item: t for item, _, t in self.finished}


def make_desk(
    recorder: Recorder,
    *on_duty: np.ndarray,
    reserved_share: float = 0.0,
    shift_end: str = "suspend",
):
    servers = [
        Server(on_duty=np.asarray(d, dtype=bool), reserved_share=reserved_share) for d in on_duty
    ]
    return ServiceDesk(
        servers=servers,
        start_job=recorder.start_job,
        finish_job=recorder.finish_job,
        is_valid=recorder.is_valid,
        on_reserved_work=recorder.on_reserved_work,
        shift_end=shift_end,
    )


def always(hours: int = 48) -> np.ndarray:
    return np.ones(hours, dtype=bool)


def ticket(item: int, arrival: float, key: tuple | None = None) -> Ticket:
    # Keys as the model builds them: (rank, arrival); suspended work uses rank -1.
    return Ticket(item=item, task=0, arrival=arrival, version=0, key=key or (1, arrival))


def run_hours(desk: ServiceDesk, first: int, last: int) -> None:
    for hour in range(first, last):
        desk.work(float(hour), float(hour + 1))


def assert_finishes(recorder: Recorder, expected: dict[int, float]) -> None:
    got = recorder.finish_times()
    assert got == pytest.approx(expected), f"finish times: expected {expected}, got {got}"


# --------------------------------------------------------------------------- service


def test_single_server_fixed_jobs_finish_back_to_back():
    rec = Recorder({0: 0.25, 1: 0.25, 2: 0.25})
    desk = make_desk(rec, always())
    for item in range(3):
        desk.submit(ticket(item, 0.0))
    run_hours(desk, 0, 1)
    assert_finishes(rec, {0: 0.25, 1: 0.5, 2: 0.75})
    assert [s for _, s, _ in rec.finished] == [0, 0, 0]


def test_idle_server_starts_a_job_at_its_exact_arrival_time():
    rec = Recorder({0: 0.3, 1: 0.2})
    desk = make_desk(rec, always())
    desk.submit(ticket(0, 0.4))
    desk.submit(ticket(1, 2.5))  # arrives in a later hour
    run_hours(desk, 0, 3)
    starts = {item: t for item, _, t in rec.started}
    assert starts == pytest.approx({0: 0.4, 1: 2.5}), f"start times: {starts}"
    assert_finishes(rec, {0: 0.7, 1: 2.7})


def test_job_longer_than_an_hour_runs_on_while_the_shift_goes_on():
    rec = Recorder({0: 1.5, 1: 0.25})
    desk = make_desk(rec, always())
    desk.submit(ticket(0, 0.0))
    desk.submit(ticket(1, 0.0))
    run_hours(desk, 0, 1)
    assert rec.finished == [], f"nothing can finish in hour 0, got {rec.finished}"
    assert [t.item for t in desk.in_service()] == [0], "job 0 should still be in service"
    run_hours(desk, 1, 2)
    assert_finishes(rec, {0: 1.5, 1: 1.75})
    assert len(rec.started) == 2, f"each job starts once, got starts {rec.started}"


def test_two_servers_share_the_queue():
    rec = Recorder({i: 0.5 for i in range(4)})
    desk = make_desk(rec, always(), always())
    for item in range(4):
        desk.submit(ticket(item, 0.0))
    run_hours(desk, 0, 1)
    # Two servers, four half-hour jobs: two finish at 0.5; the other two at 1.0, the end
    # of the hour, so their finish is handled when the next hour is worked.
    assert_finishes(rec, {0: 0.5, 1: 0.5})
    run_hours(desk, 1, 2)
    assert_finishes(rec, {0: 0.5, 1: 0.5, 2: 1.0, 3: 1.0})
    assert sorted(s for _, s, _ in rec.finished) == [0, 0, 1, 1], "each server did two jobs"


# --------------------------------------------------------------------------- shifts


def test_job_running_past_the_shift_is_suspended_and_resumes_with_its_remaining_work():
    # On duty in hours 0 and 2 only. The job starts at 0.5 with 1.25 h of work: 0.5 h
    # done by the end of hour 0, 0.75 h left, resumed at 2.0, finished at 2.75.
    on_duty = np.zeros(6, dtype=bool)
    on_duty[[0, 2]] = True
    rec = Recorder({0: 1.25})
    desk = make_desk(rec, on_duty)
    desk.submit(ticket(0, 0.5))
    run_hours(desk, 0, 2)
    assert rec.finished == [], f"the job cannot finish off duty, got {rec.finished}"
    assert desk.in_service() == [], "a suspended job is not in service"
    waiting = desk.waiting_tickets()
    assert [t.item for t in waiting] == [0], f"suspended job should wait, got {waiting}"
    assert waiting[0].work_left == pytest.approx(0.75), (
        f"remaining work: expected 0.75 h, got {waiting[0].work_left}"
    )
    run_hours(desk, 2, 3)
    assert_finishes(rec, {0: 2.75})
    assert len(rec.started) == 1, f"resuming must not call start_job again: {rec.started}"
    busy, _, duty = desk.reset_counters()
    assert (busy, duty) == pytest.approx((1.25, 2.0)), f"(busy, duty) = {(busy, duty)}"


def test_suspended_job_goes_before_tickets_that_were_waiting():
    on_duty = np.zeros(6, dtype=bool)
    on_duty[[0, 3]] = True
    rec = Recorder({0: 1.5, 1: 0.25})
    desk = make_desk(rec, on_duty)
    desk.submit(ticket(0, 0.0))
    desk.submit(ticket(1, 0.1, key=(0, 0.1)))  # arrives later, but with top rank
    run_hours(desk, 0, 4)
    # Job 0 started at 0.0 (job 1 had not arrived), was suspended at 1.0 with 0.5 h left,
    # and resumes first at 3.0; job 1 follows.
    assert_finishes(rec, {0: 3.5, 1: 3.75})


def test_off_duty_server_does_nothing_and_accrues_no_duty():
    on_duty = np.zeros(4, dtype=bool)
    on_duty[2] = True
    rec = Recorder({0: 0.25})
    desk = make_desk(rec, on_duty, reserved_share=0.5)
    desk.submit(ticket(0, 0.0))
    run_hours(desk, 0, 2)
    assert rec.started == [] and rec.reserved == [], (
        f"off duty: expected no work, got starts {rec.started}, reserved {rec.reserved}"
    )
    assert desk.reset_counters() == (0.0, 0.0, 0.0)
    run_hours(desk, 2, 3)
    # Reserved half hour first, then the job.
    assert_finishes(rec, {0: 2.75})


def test_with_finish_the_server_stays_on_to_finish_the_job_and_counts_the_overtime():
    # On duty in hours 0 and 2 only. The job starts at 0.5 with 1.25 h of work: it is
    # finished in overtime at 1.75, not suspended; the next ticket waits for hour 2.
    on_duty = np.zeros(6, dtype=bool)
    on_duty[[0, 2]] = True
    rec = Recorder({0: 1.25, 1: 0.25})
    desk = make_desk(rec, on_duty, shift_end="finish")
    desk.submit(ticket(0, 0.5))
    desk.submit(ticket(1, 0.6))
    run_hours(desk, 0, 1)
    assert [t.item for t in desk.in_service()] == [0], "the job stays with its server"
    overtime = desk.servers[0].overtime_hours
    run_hours(desk, 1, 2)
    assert_finishes(rec, {0: 1.75})
    assert desk.in_service() == [] and [t.item for t in desk.waiting_tickets()] == [1], (
        "off duty, the server takes no new work after finishing"
    )
    assert overtime == 0.0 and desk.servers[0].overtime_hours == pytest.approx(0.75)
    run_hours(desk, 2, 3)
    assert_finishes(rec, {0: 1.75, 1: 2.25})
    busy, _, duty = desk.reset_counters()
    # Busy: 1.25 + 0.25 h. Duty: hours 0 and 2, plus 0.75 h of overtime.
    assert (busy, duty) == pytest.approx((1.5, 2.75)), f"(busy, duty) = {(busy, duty)}"
    assert desk.servers[0].overtime_hours == 0.0, "reset_counters resets overtime too"


def test_with_finish_a_job_longer_than_the_off_duty_stretch_runs_on_into_the_next_shift():
    on_duty = np.zeros(6, dtype=bool)
    on_duty[[0, 2]] = True
    rec = Recorder({0: 2.5})
    desk = make_desk(rec, on_duty, shift_end="finish")
    desk.submit(ticket(0, 0.0))
    run_hours(desk, 0, 3)
    assert_finishes(rec, {0: 2.5})
    busy, _, duty = desk.reset_counters()
    assert (busy, duty) == pytest.approx((2.5, 3.0)), "hour 1 is all overtime"


def test_with_finish_a_job_ending_exactly_at_the_end_of_the_shift_costs_no_overtime():
    on_duty = np.zeros(4, dtype=bool)
    on_duty[0] = True
    rec = Recorder({0: 1.0})
    desk = make_desk(rec, on_duty, shift_end="finish")
    desk.submit(ticket(0, 0.0))
    run_hours(desk, 0, 2)
    assert_finishes(rec, {0: 1.0})
    assert desk.reset_counters() == pytest.approx((1.0, 0.0, 1.0))


def test_unknown_shift_end_is_refused():
    with pytest.raises(ValueError, match="shift_end must be one of"):
        make_desk(Recorder({}), always(), shift_end="overtime")


# --------------------------------------------------------------------------- queue order


def test_priority_keys_order_service():
    rec = Recorder({i: 0.1 for i in range(4)})
    desk = make_desk(rec, always())
    keys = {0: (2, 0.0), 1: (0, 0.0), 2: (1, 0.5), 3: (1, 0.0)}
    for item, key in keys.items():
        desk.submit(ticket(item, 0.0, key=key))
    run_hours(desk, 0, 1)
    order = [item for item, _, _ in rec.started]
    assert order == [1, 3, 2, 0], f"service order by key: expected [1, 3, 2, 0], got {order}"


def test_equal_keys_are_served_in_submission_order():
    rec = Recorder({i: 0.1 for i in range(5)})
    desk = make_desk(rec, always())
    for item in (3, 0, 4, 1, 2):
        desk.submit(ticket(item, 0.0, key=(1,)))
    run_hours(desk, 0, 1)
    order = [item for item, _, _ in rec.started]
    assert order == [3, 0, 4, 1, 2], f"ties should keep submission order, got {order}"


def test_a_ticket_waits_until_its_arrival_even_with_a_better_key():
    rec = Recorder({0: 0.25, 1: 0.25})
    desk = make_desk(rec, always())
    desk.submit(ticket(0, 0.0, key=(5,)))
    desk.submit(ticket(1, 0.1, key=(0,)))  # better key, but not there yet at 0.0
    run_hours(desk, 0, 1)
    assert [i for i, _, _ in rec.started] == [0, 1]
    assert_finishes(rec, {0: 0.25, 1: 0.5})


def test_stale_tickets_are_skipped_without_being_started():
    rec = Recorder({0: 0.2, 1: 0.2, 2: 0.2}, invalid={1})
    desk = make_desk(rec, always())
    for item in range(3):
        desk.submit(ticket(item, 0.0))
    run_hours(desk, 0, 1)
    started = [i for i, _, _ in rec.started]
    assert started == [0, 2], f"stale ticket 1 must not start; started {started}"
    assert_finishes(rec, {0: 0.2, 2: 0.4})
    assert (1, pytest.approx(0.2)) in rec.validity_asked, (
        f"validity of ticket 1 should be asked when it comes up at 0.2: {rec.validity_asked}"
    )


def test_start_job_returning_none_drops_the_ticket_and_frees_the_server_at_once():
    rec = Recorder({0: None, 1: 0.3})
    desk = make_desk(rec, always())
    desk.submit(ticket(0, 0.0))
    desk.submit(ticket(1, 0.0))
    run_hours(desk, 0, 2)
    assert_finishes(rec, {1: 0.3})
    assert desk.waiting_tickets() == [] and desk.in_service() == []


# --------------------------------------------------------------------------- reserved time


def test_reserved_share_is_spent_before_queue_work_and_reported():
    rec = Recorder({0: 0.5})
    desk = make_desk(rec, always(), reserved_share=0.25)
    desk.submit(ticket(0, 0.0))
    run_hours(desk, 0, 1)
    assert rec.reserved == [(0, pytest.approx(0.25))], f"reserved work: {rec.reserved}"
    assert rec.started == [(0, 0, pytest.approx(0.25))], f"starts: {rec.started}"
    assert_finishes(rec, {0: 0.75})
    busy, reserved, duty = desk.reset_counters()
    assert (busy, reserved, duty) == pytest.approx((0.5, 0.25, 1.0)), (
        f"(busy, reserved, duty): expected (0.5, 0.25, 1.0), got {(busy, reserved, duty)}"
    )


def test_reserved_time_owed_while_busy_is_spent_when_the_job_ends():
    # Hour 0: 0.25 h reserved, then a 1.5 h job until 1.75. Hour 1 adds 0.25 h of reserved
    # time, spent from 1.75 to 2.0; the second job starts in hour 2 after hour 2's share.
    rec = Recorder({0: 1.5, 1: 0.25})
    desk = make_desk(rec, always(), reserved_share=0.25)
    desk.submit(ticket(0, 0.0))
    desk.submit(ticket(1, 0.0))
    run_hours(desk, 0, 3)
    assert_finishes(rec, {0: 1.75, 1: 2.5})
    assert [h for _, h in rec.reserved] == pytest.approx([0.25, 0.25, 0.25])


def test_reset_counters_sums_servers_and_starts_again_from_zero():
    first = always(4)
    second = np.array([True, False, False, False])
    rec = Recorder({0: 0.5, 1: 0.5, 2: 0.75})
    desk = make_desk(rec, first, second, reserved_share=0.1)
    for item in range(3):
        desk.submit(ticket(item, 0.0))
    run_hours(desk, 0, 2)
    busy, reserved, duty = desk.reset_counters()
    # Duty: 2 h + 1 h. Reserved: 0.1 h per duty hour. Busy: all the work, 1.75 h.
    assert (busy, reserved, duty) == pytest.approx((1.75, 0.3, 3.0)), (
        f"(busy, reserved, duty): expected (1.75, 0.3, 3.0), got {(busy, reserved, duty)}"
    )
    assert desk.reset_counters() == (0.0, 0.0, 0.0), "counters should be zero after a reset"


# --------------------------------------------------------------------------- invariants


@st.composite
def shift_worlds(draw):
    """Servers with random on-duty hours (then a long covered stretch) and random jobs."""
    servers = draw(st.integers(1, 3))
    hours = 10
    patterns = [
        np.concatenate([draw(st.lists(st.booleans(), min_size=hours, max_size=hours)), [True] * 40])
        for _ in range(servers)
    ]
    jobs = draw(
        st.lists(st.tuples(st.floats(0.0, 9.5), st.floats(0.05, 3.0)), min_size=1, max_size=10)
    )
    return patterns, jobs


@settings(max_examples=150, deadline=None)
@given(world=shift_worlds(), shift_end=st.sampled_from(["suspend", "finish"]))
def test_work_is_conserved_and_finish_holds_no_job_over_off_duty_hours(world, shift_end):
    patterns, jobs = world
    rec = Recorder({item: work for item, (_, work) in enumerate(jobs)})
    desk = make_desk(rec, *patterns, shift_end=shift_end)
    for item, (arrival, _) in enumerate(jobs):
        desk.submit(ticket(item, arrival))
    busy = duty = overtime = 0.0
    suspended = set()
    horizon = len(patterns[0])
    for hour in range(horizon):
        desk.work(float(hour), float(hour + 1))
        suspended |= {t.item for t in desk.waiting_tickets() if t.work_left is not None}
        if hour + 1 < horizon:
            for server in desk.servers:
                if server.current is not None and not server.on_duty[hour + 1]:
                    assert shift_end == "finish", f"suspend: a job held past hour {hour}"
        overtime += sum(s.overtime_hours for s in desk.servers)
        b, _, d = desk.reset_counters()
        busy, duty = busy + b, duty + d
    on_duty_hours = float(sum(p.sum() for p in patterns))
    works = [work for _, work in jobs]
    assert sorted(i for i, _, _ in rec.finished) == list(range(len(jobs))), "each job once"
    assert busy == pytest.approx(sum(works)), "busy hours are the work done"
    assert duty == pytest.approx(on_duty_hours + overtime), "duty = shifts + overtime"
    assert busy <= duty + 1e-9
    assert len(rec.started) == len(jobs), "a job is started once (resuming is no start)"
    starts = {item: t for item, _, t in rec.started}
    server_of = {item: server for item, server, _ in rec.started}
    finishes = rec.finish_times()
    for item, (arrival, work) in enumerate(jobs):
        assert starts[item] >= arrival - 1e-12
        assert patterns[server_of[item]][int(starts[item])], (
            f"job {item} started by a server off duty at {starts[item]}"
        )
        if shift_end == "finish":
            assert finishes[item] - starts[item] == pytest.approx(work), (
                f"finish: job {item} should run without a break ({starts[item]} → "
                f"{finishes[item]}, work {work})"
            )
        else:
            assert finishes[item] - starts[item] >= work - 1e-9
    if shift_end == "finish":
        assert not suspended, f"finish: jobs {suspended} were suspended"
    else:
        assert overtime == 0.0, "suspend: no overtime"
