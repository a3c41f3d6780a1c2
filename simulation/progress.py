"""Progress of long work on stderr: a rich bar on a terminal, plain lines anywhere else.

    with progress_tracker(total=1216, description="sweep", unit="runs") as tracker:
        for task in tasks:
            ...
            tracker.advance(ok=True)

On a terminal the tracker is a rich progress bar (done/total, elapsed, time remaining).
Where stderr is not a terminal (a pipe, a log file, a batch job, CI) a bar cannot be
drawn, so the tracker writes a plain line each time another `LINE_PERCENT` % of the
work is done, and at the end:

    sweep: 122/1,216 runs (10%), elapsed 0:31, eta 4:38

Only stderr is written, so results printed on stdout (tables, `show`'s TOML) stay clean.
This module imports rich only when a bar is drawn.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from simulation.format import markup_text, safe_text

LINE_PERCENT = 5  # where stderr is not a terminal: one line per this share of the work [%]


class Tracker:
    """Counts work done: `advance(ok)` for one more unit, `update(completed)` to set it."""

    def __init__(self, total: int):
        self.total = total
        self.completed = 0
        self.failed = 0

    def advance(self, ok: bool = True) -> None:
        """One more unit done (`ok` false: it failed, and is counted as failed)."""
        if not ok:
            self.failed += 1
        self.update(self.completed + 1)

    def update(self, completed: int) -> None:
        """`completed` units are done."""
        self.completed = completed
        self._show()

    def _show(self) -> None:
        """Show the count (nothing here: a tracker that is switched off)."""


class PlainLines(Tracker):
    """A line on `stream` per `LINE_PERCENT` % of the work, with elapsed time and an ETA."""

    def __init__(
        self,
        total: int,
        description: str,
        unit: str,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(total)
        self.description, self.unit, self.stream, self.clock = description, unit, stream, clock
        self.started = clock()
        self.every = max(1, math.ceil(total * LINE_PERCENT / 100))
        self.next_line = self.every

    def _show(self) -> None:
        if self.completed < min(self.next_line, self.total):
            return
        self.next_line = (self.completed // self.every + 1) * self.every
        self.stream.write(self.line() + "\n")
        self.stream.flush()

    def line(self) -> str:
        """`sweep: 122/1,216 runs (10%), 1 failed, elapsed 0:31, eta 4:38`."""
        elapsed = self.clock() - self.started
        share = self.completed / self.total if self.total else 1.0
        text = f"{self.description}: {self.completed:,}/{self.total:,} {self.unit} ({share:.0%})"
        if self.failed:
            text += f", {self.failed:,} failed"
        text += f", elapsed {clock_time(elapsed)}"
        if 0 < self.completed < self.total:
            remaining = elapsed / self.completed * (self.total - self.completed)
            text += f", eta {clock_time(remaining)}"
        return text


class Bar(Tracker):
    """A rich progress bar (for a terminal)."""

    def __init__(self, total: int, description: str, progress, task_id):
        super().__init__(total)
        self.description, self.progress, self.task_id = description, progress, task_id

    def _show(self) -> None:
        failed = f" ({self.failed} failed)" if self.failed else ""
        self.progress.update(
            self.task_id, completed=self.completed, description=self.description + failed
        )


def clock_time(seconds: float) -> str:
    """Seconds as `m:ss`, or `h:mm:ss` from an hour on."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal (as rich sees it: FORCE_COLOR and TTY_COMPATIBLE count)."""
    from rich.console import Console

    return Console(stderr=True).is_terminal


@contextmanager
def progress_tracker(
    total: int,
    description: str,
    unit: str = "runs",
    *,
    enabled: bool = True,
    transient: bool = False,
    stream: TextIO | None = None,
) -> Iterator[Tracker]:
    """A tracker of `total` units of work on stderr: a bar on a terminal, else plain lines.

    Parameters:
        total: units of work (runs, days).
        description: what is being done, first on the bar or line.
        unit: the units' name in the plain lines ("runs", "days").
        enabled: false gives a tracker that shows nothing (as does nothing to do).
        transient: the bar disappears when done (plain lines stay, being a log).
        stream: where plain lines go (default: stderr, whether a terminal or not; a
            stream given here always gets plain lines).
    """
    if not enabled or total <= 0:
        yield Tracker(total)
        return
    if stream is not None or not stderr_is_terminal():
        # A scenario's name is user text: its control characters shown as escapes.
        yield PlainLines(total, safe_text(description), unit, stream or sys.stderr)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True, emoji=False),
        transient=transient,
    ) as bar:
        label = markup_text(description)  # a scenario's name: its text, not markup
        yield Bar(total, label, bar, bar.add_task(label, total=total))
