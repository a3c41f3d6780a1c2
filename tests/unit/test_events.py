"""The event bus on its own: actions asked for while an event is published wait for it."""

from __future__ import annotations

from simulation.events import EventBus, HourEnded, NeedsArose


def test_an_action_asked_for_during_a_publish_runs_after_every_subscriber():
    bus = EventBus()
    log: list[str] = []

    def first(event: NeedsArose) -> None:
        log.append("first")
        bus.after_current(lambda: log.append("after"))
        bus.publish(HourEnded(event.hour))  # nested: the action waits for the outer event

    bus.subscribe(NeedsArose, first)
    bus.subscribe(NeedsArose, lambda event: log.append("second"))
    bus.subscribe(HourEnded, lambda event: log.append("nested"))
    bus.publish(NeedsArose(0, 1))
    assert log == ["first", "nested", "second", "after"]


def test_an_action_asked_for_outside_a_publish_runs_at_once():
    bus = EventBus()
    log: list[int] = []
    bus.after_current(lambda: log.append(1))
    assert log == [1]
    bus.publish(HourEnded(0))  # nothing left over to run
    assert log == [1]
