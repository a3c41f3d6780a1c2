"""Fuzzing the scenario loader and `--set`: a clean refusal or a finished run, never a crash.

Hypothesis builds scenarios from the tiny base (`tests/schema_fields.py`: 200
citizens, every remedy, a rumour and a burst) with a few settings changed: values at
and around each field's bounds, and junk (NaN, inf, huge and negative numbers, wrong
types, unknown and misspelt keys, misspelt department names). Each case must end in
a `ScenarioError` naming where it is wrong (`microgov run`: exit code 2 and one
message), or load with every number finite and run a day to its end within a
watchdog. A traceback, a hang or an accepted NaN or inf fails.

`make test` runs `FUZZ_EXAMPLES` cases per test (250 each, 500 in all); `make fuzz`
ten times as many (MICROGOV_FUZZ_EXAMPLES=2500).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from simulation import resources
from simulation.cli import main
from simulation.runner import run_one
from simulation.scenario import Scenario, ScenarioError, load_scenario
from simulation.scenario.schema import MIN_RELEASE_MINUTES
from tests.schema_fields import (
    NumericField,
    non_finite_numbers,
    numeric_fields,
    tiny_raw,
    write_scenario,
)
from tests.test_limits import WATCHDOG_SECONDS, watchdog

FUZZ_EXAMPLES = int(os.environ.get("MICROGOV_FUZZ_EXAMPLES", "250"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIELDS = numeric_fields()
# The memory the fuzzed runs may use: larger worlds (citizens up to 20 million) meet
# the memory guard, as they would on a machine with this much free, instead of running.
MEMORY_BUDGET_BYTES = 0.5e9
# Other settings, with the words they take (a misspelling of one is junk).
WORDS: dict[str, list[Any]] = {
    "staffing.shifts": ["office_hours", "extended", "24x7", "extendd"],
    "staffing.shift_end": ["suspend", "finish"],
    "staffing.handling_distribution": ["exponential", "lognormal"],
    "population.patience_distribution": ["exponential", "lognormal", "none"],
    "population.daily_rhythm": ["weibo", "flat", "webo"],
    "mechanism.preset": ["release_only", "reactive", "closed_loop", "joint", "proactive"],
    "mechanism.coordination": ["silo", "joint"],
    "mechanism.referral": [True, False],
    "accountability.rule": ["none", "timeliness", "satisfaction", "response_rate", "timelyness"],
    "network.kind": ["heavy_tailed", "small_world", "random", "barabasi_albert", "edge_list"],
    "run.start_weekday": ["monday", "sunday", "Monday"],
    "calendar.working_weekdays": [["monday"], [], ["funday"]],
}
DEPARTMENTS = ["pensions", "medical_insurance", "employment", "labour_inspection"]


# --------------------------------------------------------------------------- strategies


def _misspellings(word: str) -> list[str]:
    """The word with one letter dropped, doubled, or swapped with the next."""
    out = {word[:i] + word[i + 1 :] for i in range(len(word))}
    out |= {word[:i] + word[i] + word[i:] for i in range(len(word))}
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    out.discard(word)
    return sorted(out - {""}) or [word + "x"]


def _misspell(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from(_misspellings(word))


def _set_key(field: NumericField) -> str:
    """The dotted key `--set` gives a field (a list is set whole)."""
    return ".".join(str(p) for p in field.path if not isinstance(p, int))


JUNK = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -1, 0, 2**63 - 1]),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.booleans(),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30),
    st.dictionaries(st.text(max_size=6), st.integers(-5, 5), max_size=3),
)


def _near_bounds(field: NumericField, valid: bool = False) -> st.SearchStrategy[Any]:
    """Values at, just inside and just beyond the bounds, or anywhere inside them."""
    edges = field.inside() if valid else field.inside() + field.outside()
    if field.kind is int:
        low = int(field.low) if field.low is not None else -(2**31)
        high = int(field.high) if field.high is not None else 2**31
        inside = st.integers(low, high)
    else:
        inside = st.floats(
            min_value=field.low,
            max_value=field.high,
            exclude_min=field.low_open,
            exclude_max=field.high_open,
            allow_nan=False,
            allow_infinity=False,
        )
    value = st.one_of(st.sampled_from(edges), inside) if edges else inside
    if field.container == "list":
        length = 24 if "daily" in field.key else 7 if "weekly" in field.key else 1
        return st.lists(value, min_size=max(1, length - 1), max_size=length + 1)
    return value


def _key_of(field: NumericField) -> str:
    return _set_key(field) if field.container == "list" else field.dotted


def _numeric_change(field: NumericField) -> st.SearchStrategy[tuple[str, Any]]:
    return st.tuples(st.just(_key_of(field)), st.one_of(_near_bounds(field), JUNK))


# --set cannot index a list, so events are left to the limits test (by dotted name).
_NUMERIC = {f.dotted: f for f in FIELDS if "events" not in f.key}


def changes() -> st.SearchStrategy[tuple[str, Any]]:
    """One (dotted key, value): a number near its bounds or junk, a word, a wrong key."""
    numeric = st.sampled_from(sorted(_NUMERIC)).map(_NUMERIC.get).flatmap(_numeric_change)
    words = st.sampled_from(sorted(WORDS)).flatmap(
        lambda key: st.tuples(st.just(key), st.one_of(st.sampled_from(WORDS[key]), JUNK))
    )
    misspelt_key = (
        st.sampled_from(sorted(_NUMERIC))
        .map(_NUMERIC.get)
        .flatmap(
            lambda f: st.tuples(
                st.tuples(_misspell(str(f.path[-1])), st.just(f)).map(
                    lambda pair: ".".join([*(str(p) for p in pair[1].path[:-1]), pair[0]])
                ),
                _near_bounds(f),
            )
        )
    )
    department = st.tuples(
        st.sampled_from(DEPARTMENTS).flatmap(_misspell).map(lambda d: f"departments.{d}.staff"),
        st.integers(0, 5),
    )
    unknown = st.tuples(
        st.sampled_from(
            ["population", "staffing", "nonsense", "run", "departments.pensions"]
        ).flatmap(lambda s: st.text("abcxyz_", min_size=1, max_size=6).map(lambda k: f"{s}.{k}")),
        JUNK,
    )
    valid = (
        st.sampled_from(sorted(_NUMERIC))
        .map(_NUMERIC.get)
        .flatmap(lambda f: st.tuples(st.just(_key_of(f)), _near_bounds(f, valid=True)))
    )
    # Allowed values half the time, so that many cases load and run.
    return st.one_of(valid, valid, valid, valid, numeric, words, misspelt_key, department, unknown)


SCENARIO_CHANGES = st.lists(changes(), min_size=1, max_size=3)


# --------------------------------------------------------------------------- checks


def _assign(raw: dict, key: str, value: Any) -> None:
    node = raw
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _check_loaded(scenario: Scenario) -> None:
    """A scenario that loaded holds finite numbers only and runs a day to its end.

    A world larger than the memory budget must be refused by the memory guard instead.
    """
    assert not non_finite_numbers(scenario.to_dict()), non_finite_numbers(scenario.to_dict())
    assert scenario.staffing.release_minutes >= MIN_RELEASE_MINUTES
    if resources.estimate_run_bytes(scenario, days=1) > MEMORY_BUDGET_BYTES:
        with pytest.raises(resources.ResourceError):
            resources.check_memory([scenario], days=1, source="fuzz.toml")
        event("refused by the memory guard")
        return
    with watchdog(WATCHDOG_SECONDS):
        result = run_one(scenario, seed=1, days=1)
    assert result.summary["needs"] >= 0


@pytest.fixture(scope="module")
def folder() -> Path:
    with tempfile.TemporaryDirectory(prefix="fuzz") as name:
        yield Path(name)


@pytest.fixture(scope="module", autouse=True)
def memory_budget():
    """This module's runs may use `MEMORY_BUDGET_BYTES` (the guard reads it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(resources, "available_bytes", lambda: (MEMORY_BUDGET_BYTES, "test"))
        yield


@pytest.mark.slow
@FUZZ
@given(SCENARIO_CHANGES)
def test_fuzzed_scenario_files_load_cleanly_or_are_refused(folder, changed):
    raw = tiny_raw()
    for key, value in changed:
        _assign(raw, key, value)
    try:
        text = tomli_w.dumps(raw)
    except (TypeError, ValueError):  # not writable as TOML: not a scenario file
        event("not TOML")
        return
    path = folder / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        assert exc.source == str(path) and exc.message, exc
        event("refused")
        return
    event("ran")
    _check_loaded(scenario)


def _toml_text(value: Any) -> str:
    """A value as `--set` takes it: TOML where it can be written, else the raw text."""
    if isinstance(value, str):
        return value  # bare text (a string, or junk TOML)
    try:
        return tomli_w.dumps({"v": value}).partition("=")[2].strip()
    except (TypeError, ValueError):
        return repr(value)


@pytest.mark.slow
@FUZZ
@given(SCENARIO_CHANGES)
def test_fuzzed_set_options_run_or_exit_with_one_message(folder, changed):
    base = write_scenario(tiny_raw(), folder, "base.toml")
    argv = ["run", str(base), "--days", "1", "-q", "--out", str(folder / "out")]
    for key, value in changed:
        argv += ["--set", f"{key}={_toml_text(value)}"]
    out, err = io.StringIO(), io.StringIO()
    with (
        watchdog(WATCHDOG_SECONDS),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(argv)
    if code == 2:
        message = err.getvalue()
        assert message.startswith("microgov run: error: "), message
        assert "Traceback" not in message
        event("refused")
        return
    assert code == 0, (code, err.getvalue())
    event("ran")
    overrides = [argv[i + 1] for i, word in enumerate(argv) if word == "--set"]
    scenario = load_scenario(base, overrides=[*overrides, "run.days=1"])  # as --days 1 does
    assert not non_finite_numbers(scenario.to_dict())
