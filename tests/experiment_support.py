"""Helpers for the experiment tests: tiny scenarios and a design point whose run fails."""

from __future__ import annotations

from pathlib import Path

from simulation.experiment.designs import Grid
from simulation.scenario import Scenario

EXAMPLE_EDGES = Path(__file__).resolve().parent.parent / "scenarios" / "data" / "example_edges.csv"


def tiny(**overrides) -> Scenario:
    """The default scenario at 500 citizens and 2 days: a run takes a few hundredths of a second."""
    return Scenario().with_overrides(
        {"population.citizens": 500, "run.days": 2, "name": "tiny", **overrides}
    )


def edge_list_scenario() -> Scenario:
    """A tiny scenario on the bundled example follower graph (400 accounts, so 400 citizens)."""
    return tiny(
        **{
            "network.kind": "edge_list",
            "network.edge_list": str(EXAMPLE_EDGES),
            "population.citizens": 400,  # the file's node count (any other is refused)
        }
    )


def failing_design(tmp_path: Path) -> Grid:
    """Two points over network.edge_list; the second names a file without edges.

    Both values pass scenario validation (the file exists), but building the model for
    the second raises ScenarioError("edge list has no edges") when the run starts: a
    run that fails in the model on every executor, without monkeypatching.
    """
    empty = tmp_path / "no_edges.csv"
    empty.write_text("# an edge list without edges\n", encoding="utf-8")
    return Grid({"network.edge_list": [str(EXAMPLE_EDGES), str(empty)]})
