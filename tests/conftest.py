"""Shared fixtures: small, fast scenarios."""

from __future__ import annotations

import pytest

from simulation import Scenario


def small_scenario(**overrides) -> Scenario:
    """The default scenario shrunk to a fast size, with dotted overrides applied."""
    base = {"population.citizens": 2000, "run.days": 7}
    base.update(overrides)
    return Scenario().with_overrides(base)


@pytest.fixture
def small() -> Scenario:
    return small_scenario()
