"""Shared fixtures: small, fast scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import Scenario
from simulation.codes import (
    ABANDONED,
    ANSWERED,
    EXPIRED,
    MENTION,
    NOT_RECEIVED,
    OPEN,
    PRIVATE,
    REFERRED,
    RUMOUR,
)


def small_scenario(**overrides) -> Scenario:
    """The default scenario shrunk to a fast size, with dotted overrides applied."""
    base = {"population.citizens": 2000, "run.days": 7}
    base.update(overrides)
    return Scenario().with_overrides(base)


@pytest.fixture
def small() -> Scenario:
    return small_scenario()


# --------------------------------------------------------------------------- statistics
# Helpers for the tests that compare the model with theory or with itself
# (test_theory, test_invariants, test_directional, test_reproducibility).


def mean_and_se(values) -> tuple[float, float]:
    """Mean of independent replications and its standard error (sample sd / sqrt(n))."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        raise ValueError("a standard error needs at least two replications")
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))


# --------------------------------------------------------------------------- item invariants

_RECEIVED_STATUSES = (OPEN, REFERRED, ANSWERED, ABANDONED, EXPIRED)


def item_problems(
    model, before: np.ndarray | None = None, before_follow_ups: np.ndarray | None = None
) -> list[str]:
    """Violations of the item conservation laws at this moment (empty when all hold).

    - every received row is exactly one of open, referred, answered, abandoned, and the
      received requests (rumours aside) equal the `received` counter summed over the days;
    - rows the government never saw are public vents or rumours, nothing addressed to it;
    - abandoned is final, and answered is final but for a follow-up: a row in `before`
      (statuses at an earlier step) that was abandoned (or expired) still is, and one that was
      answered still is unless its author followed it up since (`before_follow_ups`);
    - a reply time exists exactly for rows with a reply, and is >= 0; every answered row
      has a reply; an end time exists exactly for answered, abandoned and expired rows;
    - every need has one contact or more: its post, plus each follow-up and reminder
      (within their caps); rumours have none; no contact has more than one reply;
    - nobody waits past their patience unless an operator is on their item.
    """
    store = model.items
    status = store.view("status")
    problems: list[str] = []
    received = status != NOT_RECEIVED
    unknown = received & ~np.isin(status, _RECEIVED_STATUSES)
    if unknown.any():
        problems.append(f"rows {np.flatnonzero(unknown)[:5]} have unknown statuses")
    by_status = {code: int(np.count_nonzero(status == code)) for code in _RECEIVED_STATUSES}
    if sum(by_status.values()) != int(received.sum()):
        problems.append(
            f"open+referred+answered+abandoned = {sum(by_status.values())}, "
            f"received rows = {int(received.sum())}"
        )
    # The `received` counter counts requests; rumours pulled in by monitoring are not.
    requests = int(np.count_nonzero(received & (store.view("kind") != RUMOUR)))
    counted = float(np.sum(model.metrics.counts["received"]))
    if requests != counted:
        problems.append(f"received requests = {requests}, received counter = {counted:.0f}")
    channel = store.view("channel")
    unseen_addressed = ~received & np.isin(channel, (MENTION, PRIVATE))
    if unseen_addressed.any():
        problems.append(f"addressed rows {np.flatnonzero(unseen_addressed)[:5]} never received")
    follow_ups = store.view("follow_ups")
    if before is not None:
        old = before[: len(status)]
        now = status[: len(old)]
        if before_follow_ups is None:
            followed_up = np.zeros(len(old), dtype=bool)
        else:
            followed_up = follow_ups[: len(old)] > before_follow_ups[: len(old)]
        changed = np.isin(old, (ABANDONED, EXPIRED)) & (now != old)
        changed |= (old == ANSWERED) & (now != old) & ~followed_up
        if changed.any():
            problems.append(f"final rows {np.flatnonzero(changed)[:5]} changed status")
    reply_time = store.view("reply_time")
    answered = status == ANSWERED
    has_reply = ~np.isnan(reply_time)
    replies = store.view("replies")
    if (has_reply != (replies > 0)).any() or (answered & ~has_reply).any():
        problems.append(
            f"rows {np.flatnonzero((has_reply != (replies > 0)) | (answered & ~has_reply))[:5]}: "
            "reply time without a reply, or a reply (or an answer) without a reply time"
        )
    contacts = store.view("contacts").astype(np.int64)
    need = store.view("kind") != RUMOUR
    repeat = follow_ups.astype(np.int64) + store.view("reminders")
    reactions = model.scenario.reactions
    miscounted = need & ((contacts < 1) | (contacts != 1 + repeat) | (replies > contacts))
    miscounted |= ~need & (contacts != 0)
    miscounted |= (follow_ups > reactions.max_follow_ups) | (
        store.view("reminders") > reactions.max_reminders
    )
    if miscounted.any():
        problems.append(
            f"rows {np.flatnonzero(miscounted)[:5]}: contacts are not the post plus its "
            "follow-ups and reminders within their caps, or exceed the replies"
        )
    if (reply_time[has_reply] < 0).any():
        problems.append(f"negative reply times: {reply_time[has_reply & (reply_time < 0)][:5]}")
    ended = ~np.isnan(store.view("ended_at"))
    finished = answered | np.isin(status, (ABANDONED, EXPIRED))
    if (ended != finished).any():
        problems.append(f"rows {np.flatnonzero(ended != finished)[:5]}: end time mismatch")
    # Patience is honoured: after a whole step, nobody still waits past their patience
    # unless an operator is working on their item at that moment.
    waiting = np.isin(status, (OPEN, REFERRED)) & ~store.view("in_service")
    overdue = waiting & (store.view("expire_at") < model.hour)
    if overdue.any():
        problems.append(f"rows {np.flatnonzero(overdue)[:5]} wait past their patience")
    return problems
