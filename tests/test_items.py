"""The item lifecycle and the item table.

- Only `simulation/items.py` writes an item's columns: no other module of the package
  assigns to a column of the store (a static check over the source).
- The item table has a row per item and the documented columns, and agrees with the
  run's summary: statuses, replies by quality, queue waits never negative, a reply never
  before its service started, the responsible unit named exactly for answered items.
- The events a run publishes count what the summary counts.
- Every reply is judged exactly once, before a follow-up re-opens its item, while the
  operator who replied is still the item's operator on record.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from simulation import GovernmentResponseModel, run_one
from simulation.events import Abandoned, Event, Judged, Referred, Reopened, Replied, ServiceStarted
from simulation.items import COLUMNS, ItemStore
from simulation.metrics import ITEM_COLUMNS
from tests.conftest import small_scenario

PACKAGE = Path(__file__).resolve().parent.parent / "simulation"


def test_only_the_lifecycle_writes_item_columns() -> None:
    columns = "|".join(COLUMNS)
    write = re.compile(
        rf"\b(?:store|items|self\.items|model\.items|self\.store)\.({columns})\[[^\]\n]*\]\s*"
        r"(?:[-+*/]?=)(?!=)"
    )
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "items.py":
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if write.search(line):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not offenders, "item columns written outside items.py:\n" + "\n".join(offenders)


def test_the_static_check_would_see_a_write() -> None:
    columns = "|".join(COLUMNS)
    write = re.compile(
        rf"\b(?:store|items|self\.items|model\.items|self\.store)\.({columns})\[[^\]\n]*\]\s*"
        r"(?:[-+*/]?=)(?!=)"
    )
    assert write.search("        store.status[item] = OPEN")
    assert write.search("items.escalations[i] += 1")
    assert not write.search("if store.status[item] == OPEN:")


def test_store_columns_are_declared_for_the_type_checker() -> None:
    declared = set(ItemStore.__annotations__) - {"size"}
    assert declared == set(COLUMNS), (
        f"declared but not stored: {sorted(declared - set(COLUMNS))}; "
        f"stored but not declared: {sorted(set(COLUMNS) - declared)}"
    )


@pytest.fixture(scope="module")
def closed_loop_run():
    scenario = small_scenario(**{"mechanism.preset": "closed_loop", "population.citizens": 4000})
    return run_one(scenario, seed=3, days=6)


def test_item_table_has_a_row_per_item_and_the_documented_columns(closed_loop_run) -> None:
    items = closed_loop_run.items
    assert list(items.columns) == list(ITEM_COLUMNS)
    assert len(items) > 100, f"only {len(items)} items in six days"
    assert (items["item"].to_numpy() == np.arange(len(items))).all()


def test_item_table_agrees_with_the_summary(closed_loop_run) -> None:
    summary, items = closed_loop_run.summary, closed_loop_run.items
    requests = items[items["received"].notna() & (items["kind"] != "rumour")]
    assert len(requests) == summary["received"]
    answered = requests["replies"] > 0  # the need got a reply (it may be open again)
    assert answered.mean() == pytest.approx(summary["response_rate"], abs=1e-12)
    assert (requests["status"] == "answered").sum() <= answered.sum()
    replies = 0.0
    for quality in ("substantive", "partial", "boilerplate"):
        # reply_quality is the first reply's; the summary counts every reply.
        first = int((requests["reply_quality"] == quality).sum())
        assert first <= summary[f"replies_{quality}"], f"{quality}: {first} first replies"
        replies += summary[f"replies_{quality}"]
    assert requests["replies"].sum() == replies
    assert requests["contacts"].sum() == summary["contacts"]
    assert requests["replies"].sum() / requests["contacts"].sum() == pytest.approx(
        summary["contact_response_rate"], abs=1e-12
    )
    assert requests["follow_ups"].sum() == summary["follow_ups"]
    assert requests["reminders"].sum() == summary["reminders"]
    assert summary["follow_ups"] + summary["reminders"] > 0, "nobody came back in a closed loop"
    assert (requests["status"] == "abandoned").mean() == pytest.approx(
        summary["abandonment_rate"], abs=1e-12
    )
    replied = requests[answered]
    assert np.median(replied["reply_hours"]) == pytest.approx(summary["median_response_hours"])


def test_item_table_times_are_ordered(closed_loop_run) -> None:
    items = closed_loop_run.items
    served = items[items["service_started"].notna()]
    assert (served["queue_wait_hours"] >= 0).all(), "service before arrival"
    assert (served["received"] >= served["created"]).all()
    replied = items[items["first_reply"].notna()]
    started = replied["service_started"]
    assert started.notna().all(), "a reply without any service"
    assert (replied["first_reply"] >= started).all(), "a reply before its first service"
    assert (replied["reply_hours"] >= replied["queue_wait_hours"]).all()


def test_responsible_unit_is_named_exactly_for_answered_items(closed_loop_run) -> None:
    items = closed_loop_run.items
    named = items["responsible_unit"].astype(str) != ""
    answered = items["status"] == "answered"
    assert (named == answered).all()
    units = set(items.loc[named, "responsible_unit"].astype(str))
    assert any(u.startswith("department ") for u in units), units
    assert any(u.startswith("operator ") for u in units), units


def test_events_count_what_the_summary_counts() -> None:
    scenario = small_scenario(**{"mechanism.preset": "closed_loop"})
    model = GovernmentResponseModel(scenario, seed=4, days=4, create_citizen_agents=False)
    seen: dict[type, int] = {}
    model.events.subscribe(Event, lambda e: seen.__setitem__(type(e), seen.get(type(e), 0) + 1))
    first_services = []
    model.events.subscribe(ServiceStarted, lambda e: e.first and first_services.append(e.item))
    first_referrals = []
    model.events.subscribe(Referred, lambda e: e.first and first_referrals.append(e.item))
    model.run()
    summary = model.summary()
    replies = sum(summary[f"replies_{q}"] for q in ("substantive", "partial", "boilerplate"))
    assert seen.get(Replied, 0) == replies
    abandoned = summary["abandonment_rate"] * summary["received"]
    assert seen.get(Abandoned, 0) == pytest.approx(abandoned)
    referred = float(model.metrics.counts["referrals"].sum())
    assert seen.get(Referred, 0) == referred, (seen.get(Referred, 0), referred)
    assert first_referrals, "a closed loop over four days referred nothing"
    assert len(first_referrals) == pytest.approx(summary["referral_rate"] * summary["received"])
    assert len(first_services) == len(set(first_services)), "an item served 'first' twice"
    assert len(first_services) == int(np.isfinite(model.items.view("service_started_at")).sum())


def test_subscribers_do_not_change_the_run() -> None:
    scenario = small_scenario(**{"mechanism.preset": "proactive"})
    plain = run_one(scenario, seed=2, days=3)
    model = GovernmentResponseModel(scenario, seed=2, days=3)
    heard = []
    model.events.subscribe(Event, heard.append)
    model.run()
    assert heard, "no event was published"
    watched = model.summary()
    assert watched.keys() == plain.summary.keys()
    moved = {
        k: (plain.summary[k], v)
        for k, v in watched.items()
        if not (v == plain.summary[k] or (v != v and plain.summary[k] != plain.summary[k]))
    }
    assert not moved, f"subscribers changed the run: {moved}"


def test_every_reply_is_judged_once_and_before_its_item_reopens() -> None:
    scenario = small_scenario(
        **{
            "mechanism.preset": "closed_loop",
            "reactions.follow_up_qualities": ["boilerplate", "partial", "substantive"],
            "reactions.follow_up_base": 0.5,
            "reactions.follow_up_delay_hours": 0.2,  # often within the hour of the reply
            "reactions.max_follow_ups": 3,
            "reactions.rating_probability": 1.0,
        }
    )
    model = GovernmentResponseModel(scenario, seed=5, days=4, create_citizen_agents=False)
    replied_by: dict[int, int] = {}
    judged: list[int] = []
    wrong: list[tuple[int, int, int]] = []
    same_hour: list[int] = []

    def on_replied(event: Replied) -> None:
        assert event.item not in replied_by, f"item {event.item} replied to again unjudged"
        replied_by[event.item] = event.operator

    def on_judged(event: Judged) -> None:
        for item in event.items.tolist():
            operator = replied_by.pop(item)
            judged.append(item)
            if int(model.items.operator[item]) != operator:
                wrong.append((item, operator, int(model.items.operator[item])))

    def on_reopened(event: Reopened) -> None:
        assert event.item not in replied_by, f"item {event.item} re-opened before judged"
        if event.time < model.hour + 1:
            same_hour.append(event.item)

    model.events.subscribe(Replied, on_replied)
    model.events.subscribe(Judged, on_judged)
    model.events.subscribe(Reopened, on_reopened)
    model.run()
    summary = model.summary()
    replies = sum(summary[f"replies_{q}"] for q in ("substantive", "partial", "boilerplate"))
    assert len(judged) == replies and not replied_by
    assert not wrong, f"ratings credited to another operator than the replier: {wrong[:5]}"
    assert same_hour, "no follow-up re-opened its item within the hour of its reply"
