"""Every numeric setting at its bounds: accepted there and the run ends; refused beyond.

The fields come from the pydantic schema (`tests/schema_fields.py`), so a new field is
covered without being listed. At each bound (or just inside an open one) the scenario
must load and a tiny run (200 citizens, 2 days, every remedy, a rumour and a burst)
must finish within a watchdog; just beyond it, and at NaN and inf, loading must fail
with a ScenarioError naming the file, the field and what is allowed. Size settings
are not run at their upper bound: `population.citizens` meets the memory guard; a
ten-year `run.days` and 10,000 operators (about a minute for two days), of the
scenario or of an account, are only validated.
"""

from __future__ import annotations

import math
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest

from simulation import resources
from simulation.runner import run_one
from simulation.scenario import ScenarioError, load_scenario
from tests.schema_fields import (
    NumericField,
    non_finite_numbers,
    numeric_fields,
    set_path,
    tiny_raw,
    write_scenario,
)

FIELDS = numeric_fields()
WATCHDOG_SECONDS = 60  # a tiny run takes well under a second; a hang fails here
TYPICAL_MACHINE_BYTES = 8e9  # the memory guard is tested as on an 8 GB machine
# An event must start within the run its file sets, so its day's schema maximum is
# refused in a 2-day file (the check of the horizon, tested here too).
REFUSED_AT_UPPER_BOUND = {"events[0].day", "events[1].start_day"}


class Hang(Exception):
    """The watchdog's alarm: the case did not finish in time."""


@contextmanager
def watchdog(seconds: int):
    def alarm(signum, frame):
        raise Hang(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _load(field: NumericField, value, folder: Path):
    return load_scenario(write_scenario(set_path(tiny_raw(), field, value), folder))


def _cases(which: str):
    for field in FIELDS:
        for value in getattr(field, which)():
            yield pytest.param(field, value, id=f"{field.dotted}={value!r}")


def test_the_schema_walk_finds_every_kind_of_field():
    found = {f.dotted for f in FIELDS}
    for expected in (
        "run.days",
        "population.citizens",
        "population.daily_rhythm[0]",
        "population.kind_mix.request",
        "departments.pensions.processing_hours",
        "accountability.deadlines.consultation.hours",
        "events[0].day",
        "events[1].multiplier",
        "mechanism.release_time_share",
        "accounts.weibo_city.follow_share",
        "accounts.weibo_city.mechanism.release_time_share",
    ):
        assert expected in found, expected
    assert len(FIELDS) > 100


def test_every_float_field_has_an_upper_bound():
    """No float without a maximum (trust_half_life_days: a checked maximum, or inf)."""
    unbounded = [
        f.dotted
        for f in FIELDS
        if f.kind is float and f.high is None and f.key != "reactions.trust_half_life_days"
    ]
    assert not unbounded, unbounded


@pytest.mark.slow
@pytest.mark.parametrize(("field", "value"), list(_cases("inside")))
def test_a_value_at_its_bound_loads_and_runs(field: NumericField, value, tmp_path, monkeypatch):
    is_upper = value == field.inside()[-1] and field.high is not None
    if is_upper and field.dotted in REFUSED_AT_UPPER_BOUND:
        with pytest.raises(ScenarioError) as info:
            _load(field, value, tmp_path)
        assert info.value.field == field.dotted, info.value
        return
    with watchdog(WATCHDOG_SECONDS):
        scenario = _load(field, value, tmp_path)
        assert not non_finite_numbers(scenario.to_dict())
        if is_upper and field.dotted == "population.citizens":
            monkeypatch.setattr(
                resources, "available_bytes", lambda: (TYPICAL_MACHINE_BYTES, "test")
            )
            with pytest.raises(resources.ResourceError) as refused:
                resources.check_memory([scenario], source="case.toml")
            assert "GB" in refused.value.message and "--force" in refused.value.message
            return
        if is_upper and field.dotted in (
            "run.days",
            "staffing.operators",
            "accounts.weibo_city.operators",
        ):
            assert resources.estimate_run_seconds(scenario) > 0
            return
        result = run_one(scenario, seed=1)
    assert result.summary["needs"] >= 0


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("limits")


@pytest.mark.parametrize("field", [f for f in FIELDS if f.outside()], ids=lambda f: f.dotted)
def test_a_value_beyond_its_bound_is_refused_naming_the_field(field: NumericField, folder):
    for value in field.outside():
        with pytest.raises(ScenarioError) as info:
            _load(field, value, folder)
        error = info.value
        assert error.source.endswith("case.toml"), error
        assert error.field is not None and error.field.startswith(field.dotted), (value, error)
        assert any(word in error.message for word in ("than", "allowed", "must")), error


@pytest.mark.parametrize("field", [f for f in FIELDS if f.kind is float], ids=lambda f: f.dotted)
def test_nan_and_inf_are_refused(field: NumericField, folder):
    for value in (math.nan, math.inf, -math.inf):
        if field.key == "reactions.trust_half_life_days" and value == math.inf:
            assert _load(field, value, folder).reactions.trust_half_life_days == math.inf
            continue
        with pytest.raises(ScenarioError) as info:
            _load(field, value, folder)
        assert info.value.field is not None and info.value.field.startswith(field.dotted)


def test_the_memory_guard_names_estimate_and_available_memory(monkeypatch):
    monkeypatch.setattr(resources, "available_bytes", lambda: (4e9, "MemAvailable"))
    scenario = load_scenario("baseline", {"population.citizens": 20_000_000})
    with pytest.raises(resources.ResourceError) as info:
        resources.check_memory([scenario], source="baseline.toml")
    message = info.value.message
    assert "20,000,000 citizens" in message and "4.0 GB available" in message
    assert f"{resources.estimate_run_bytes(scenario) / 1e9:,.1f} GB" in message
    assert resources.check_memory([scenario], source="x", force=True) > 4e9
    small = load_scenario("baseline", {"population.citizens": 1000})
    assert resources.check_memory([small], source="x") < 4e9
    with pytest.raises(resources.ResourceError, match="runs at once"):
        resources.check_memory([small], source="--jobs", parallel=100)
