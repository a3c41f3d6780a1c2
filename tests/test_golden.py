"""Golden outputs: a fresh run gives exactly what was recorded in `tests/golden/data/`.

Every bundled scenario (seeds 1 and 2, 14 days), a variant for each network generator,
queue discipline, appraisal rule, patience distribution and deadline kind, and the
queue and cascade limit cases the validation uses. Values are compared exactly (NaN
equals null, an integer equals the same float), floats to within the last few bits
that numpy's CPU-specific kernels round differently (`FLOAT_MARGIN`); provenance is
left out. A change that
moves them on purpose regenerates the set (`python -m tests.golden.regenerate`) in the
same commit and says there what moved and why.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.golden import cases as golden

CASES = golden.cases()
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("case", sorted(CASES))
def test_fresh_run_matches_the_golden_set(case: str) -> None:
    assert golden.path_of(case).exists(), f"no golden record for {case}: regenerate the set"
    moved = golden.differences(golden.load(case), CASES[case]())
    installed, recorded = golden.versions(), golden.recorded_versions()
    if installed != recorded:
        moved.append(f"(recorded with {recorded}, installed {installed})")
    assert not moved, f"{case} moved:\n  " + "\n  ".join(moved)


def test_every_recorded_case_is_still_a_case() -> None:
    recorded = {p.stem for p in golden.DATA.glob("*.json") if not p.stem.startswith("_")}
    assert recorded == set(CASES), (
        f"recorded but not run: {sorted(recorded - set(CASES))}; "
        f"run but not recorded: {sorted(set(CASES) - recorded)}"
    )


def test_constraints_pin_what_the_golden_set_was_recorded_with() -> None:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if match:
            pins[match[1].lower()] = match[2]
    recorded = golden.recorded_versions()
    for package in golden.PINNED:
        assert pins.get(package.lower()) == recorded[package], (
            f"constraints.txt pins {package} {pins.get(package.lower())}, "
            f"the golden set was recorded with {recorded[package]}"
        )


def test_the_comparison_can_fail() -> None:
    recorded = {"summary": {"a": 1, "b": None}, "daily": {"x": [1.0, 2.0]}}
    assert (
        golden.differences(recorded, {"summary": {"a": 1.0, "b": None}, "daily": {"x": [1, 2]}})
        == []
    )
    # The last bits a CPU-specific kernel rounds differently do not count; anything more does.
    assert (
        golden.differences(
            recorded, {"summary": {"a": 1.0000000000000004, "b": None}, "daily": {"x": [1.0, 2.0]}}
        )
        == []
    )
    assert golden.differences(
        recorded, {"summary": {"a": 1.000000000001, "b": None}, "daily": {"x": [1.0, 2.0]}}
    )
    assert golden.differences(
        recorded, {"summary": {"a": 1, "b": None}, "daily": {"x": [1.0, 2.0 + 1e-12]}}
    )
    assert golden.differences(recorded, {"summary": {"a": 1, "b": 0.0}, "daily": {"x": [1.0, 2.0]}})
    assert golden.differences(recorded, {"summary": {"a": 1}, "daily": {"x": [1.0, 2.0]}})
    assert golden.differences(recorded, {"summary": {"a": 1, "b": None}, "daily": {"x": [1.0]}})
