"""Service desks: an exact continuous-time multi-server queue, advanced hour by hour.

Operators and each department are *desks*: a set of servers with on-duty hours taking
tickets from a priority queue. Within an hour the desk is simulated event by event in
continuous time (arrivals carry exact timestamps, servers become free at exact times),
so with Poisson arrivals, exponential work and FIFO it *is* an M/M/c queue and
reproduces Erlang C, and with impatient tickets Erlang A (MODEL.md §8). Cost is
O(tickets · log queue) per hour, independent of the population size.

What happens to a job still running when its server's shift ends is the desk's
`shift_end`:
- "suspend": the job goes back to the head of the queue with its remaining work, and
  work resumes in the next covered hour (by whichever server is free first); with
  exponential work that is the same process as the time-of-day Markov chain;
- "finish": the server stays on after the shift until the job is done, then stops;
  those overtime hours count as duty hours (and as busy hours), so no job is left
  half-done over the off-duty hours.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(slots=True)
class Ticket:
    """One piece of work for a desk: an item, what to do with it, and queue bookkeeping."""

    item: int
    task: int  # what the desk is asked to do (the desk's owner defines the codes)
    arrival: float  # when it joined the queue [hours]
    version: int  # the item's version when queued; stale tickets are skipped
    key: tuple = ()  # priority key; smaller is served first
    work_left: float | None = None  # set when a started job was suspended [hours]
    data: Any = None  # what the desk's owner keeps with the ticket (its choice, a quality)
    started_at: float = float("nan")  # start of the current service segment


@dataclass(slots=True)
class Server:
    """One member of staff at a desk."""

    on_duty: np.ndarray  # bool per hour of the horizon
    reserved_share: float = 0.0  # share of each on-duty hour reserved for other work
    free_at: float = 0.0
    current: Ticket | None = None
    reserved_debt: float = 0.0
    busy_hours: float = 0.0  # queue work done, since last reset [hours]
    reserved_hours: float = 0.0  # reserved (other) work done, since last reset [hours]
    duty_hours: float = 0.0  # hours on duty, overtime included, since last reset
    overtime_hours: float = 0.0  # hours worked off duty finishing a job, since last reset


StartJob = Callable[[Ticket, int, float], float | None]
FinishJob = Callable[[Ticket, int, float], None]
IsValid = Callable[[Ticket, float], bool]
SHIFT_ENDS = ("suspend", "finish")


@dataclass
class ServiceDesk:
    """A multi-server queue whose servers work on-duty hours."""

    servers: list[Server]
    start_job: StartJob  # (ticket, server index, now) -> work hours, or None to drop
    finish_job: FinishJob  # (ticket, server index, finish time)
    is_valid: IsValid  # may this ticket still be served at time `now`?
    on_reserved_work: Callable[[int, float], None] | None = None  # (server, hours done)
    shift_end: str = "suspend"  # a job running at the end of a shift: see the module doc
    _waiting: list = field(default_factory=list)
    _arrivals: list = field(default_factory=list)
    _seq: itertools.count = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        if self.shift_end not in SHIFT_ENDS:
            raise ValueError(f"shift_end must be one of {SHIFT_ENDS}, got {self.shift_end!r}")

    def submit(self, ticket: Ticket) -> None:
        """Queue a ticket; it becomes available at `ticket.arrival`."""
        heapq.heappush(self._arrivals, (ticket.arrival, next(self._seq), ticket))

    def waiting_tickets(self) -> list[Ticket]:
        """Tickets queued or yet to arrive (stale ones included; filter with `is_valid`)."""
        return [entry[-1] for entry in self._waiting] + [entry[-1] for entry in self._arrivals]

    def in_service(self) -> list[Ticket]:
        """Tickets being worked on now."""
        return [s.current for s in self.servers if s.current is not None]

    def work(self, t0: float, t1: float) -> None:
        """Serve tickets during the hour [t0, t1)."""
        hour = int(t0)
        events: list[tuple[float, int, int]] = []
        for index, server in enumerate(self.servers):
            if not server.on_duty[hour]:
                if server.current is not None:  # overtime: finishing the job in hand
                    server.current.started_at = max(server.current.started_at, t0)
                    heapq.heappush(events, (server.free_at, next(self._seq), index))
                continue
            server.duty_hours += t1 - t0
            server.reserved_debt += server.reserved_share * (t1 - t0)
            if server.current is not None:
                server.current.started_at = max(server.current.started_at, t0)
            server.free_at = max(server.free_at, t0)
            heapq.heappush(events, (server.free_at, next(self._seq), index))

        while events:
            now, _, index = heapq.heappop(events)
            server = self.servers[index]
            job = server.current
            on_duty = bool(server.on_duty[hour])
            if job is not None:
                if now >= t1:
                    self._carry_over(server, job, now, t0, t1, hour)
                    continue
                server.busy_hours += now - job.started_at
                if not on_duty:
                    overtime = now - job.started_at
                    server.overtime_hours += overtime
                    server.duty_hours += overtime
                server.current = None
                self.finish_job(job, index, now)
            if now >= t1 or not on_duty:
                continue
            if server.reserved_debt > 1e-12:
                spent = min(server.reserved_debt, t1 - now)
                server.reserved_debt -= spent
                server.reserved_hours += spent
                if self.on_reserved_work is not None:
                    self.on_reserved_work(index, spent)
                server.free_at = now + spent
                heapq.heappush(events, (server.free_at, next(self._seq), index))
                continue
            self._admit_arrivals(now)
            ticket = self._next_valid(now)
            if ticket is None:
                if self._arrivals and self._arrivals[0][0] < t1:
                    server.free_at = max(now, self._arrivals[0][0])
                    heapq.heappush(events, (server.free_at, next(self._seq), index))
                else:
                    server.free_at = t1
                continue
            work: float | None
            if ticket.work_left is not None:
                work = ticket.work_left
                ticket.work_left = None
            else:
                work = self.start_job(ticket, index, now)
                if work is None:
                    server.free_at = now
                    heapq.heappush(events, (now, next(self._seq), index))
                    continue
            ticket.started_at = now
            server.current = ticket
            server.free_at = now + work
            heapq.heappush(events, (server.free_at, next(self._seq), index))

    def _carry_over(
        self, server: Server, job: Ticket, finish: float, t0: float, t1: float, hour: int
    ) -> None:
        """A job running past the hour: keep it, or suspend it at the end of the shift.

        The job stays with its server if the shift goes on, or if the server stays on to
        finish it (shift_end "finish").
        """
        worked = t1 - max(job.started_at, t0)
        server.busy_hours += worked
        if not server.on_duty[hour]:  # already overtime
            server.overtime_hours += worked
            server.duty_hours += worked
        job.started_at = t1
        next_hour = hour + 1
        if next_hour < len(server.on_duty) and server.on_duty[next_hour]:
            return
        if self.shift_end == "finish":
            return
        job.work_left = (finish - t1) * 1.0
        server.current = None
        server.free_at = t1
        # Suspended work goes to the head of the queue: key (-1, …) sorts first.
        heapq.heappush(self._waiting, ((-1, job.arrival), next(self._seq), job))

    def _admit_arrivals(self, now: float) -> None:
        arrivals = self._arrivals
        while arrivals and arrivals[0][0] <= now:
            _, _, ticket = heapq.heappop(arrivals)
            heapq.heappush(self._waiting, (ticket.key, next(self._seq), ticket))

    def _next_valid(self, now: float) -> Ticket | None:
        waiting = self._waiting
        while waiting:
            _, _, ticket = heapq.heappop(waiting)
            if ticket.work_left is not None or self.is_valid(ticket, now):
                return ticket
        return None

    def reset_counters(self) -> tuple[float, float, float]:
        """(busy, reserved, duty) hours since the last reset, summed over servers.

        Duty hours include overtime (`Server.overtime_hours`, reset here too).
        """
        busy = sum(s.busy_hours for s in self.servers)
        reserved = sum(s.reserved_hours for s in self.servers)
        duty = sum(s.duty_hours for s in self.servers)
        for s in self.servers:
            s.busy_hours = s.reserved_hours = s.duty_hours = s.overtime_hours = 0.0
        return busy, reserved, duty
