"""What a run costs: memory and time estimated before the world is built, and the guard.

A run's peak memory grows with its citizens, their follows (the graph's edges) and the
items they post; a run too large for the machine fails only after a long build, with
an allocation traceback. `check_memory` refuses such a run at once, naming the
estimate and the memory available, unless the user insists (`--force`).

**The coefficients and their measurement** (`experiments/resource_costs.py`, the
baseline scenario through `run_one` in a fresh process each, peak resident set from
`ru_maxrss`, on the project's 2-core, 23 GB machine with Python 3.12 and Mesa 3.5,
shared with other jobs at a load average of about 10):

| citizens | mean following | days | peak | wall time |
|---:|---:|---:|---:|---:|
| 10,000 | 20 | 2 | 174 MiB | 0.7 s |
| 10,000 | 20 | 30 | 174 MiB | 3.4 s |
| 100,000 | 20 | 2 | 226 MiB | 3.0 s |
| 100,000 | 60 | 2 | 320 MiB | 13.4 s |
| 100,000 | 20 | 30 | 226 MiB | 12.4 s |
| 300,000 | 20 | 2 | 299 MiB | 3.8 s |
| 1,000,000 | 20 | 2 | 496 MiB | 11.8 s |
| 1,000,000 | 20 | 10 | 496 MiB | 19.4 s |

The peak is the larger of two moments, not a sum: building the follower graph (its
edge arrays, int32, and their int64 sort keys: about 17 B a follow, and the
generator's per-citizen tables), and the run after it (the graph's 4 B a follow, the
citizens' arrays and daily temporaries, the items). A million citizens peak while
building, however many days they run. The build's bytes per follow are the arrays'
own sizes; the others are read off the table (the base from the smallest runs, the
build's per-citizen part from 300,000 and a million citizens, a registered Mesa agent
from `experiments/benchmark.py --section build`). Against the table the estimate
below (before its safety factor) is between 5 % under and 10 % over every case. The
bytes per need are the earlier fit's (683 B, an item's row, its posts and exposures),
kept on the safe side: in these runs the items never reached the build's peak.
Run time is only a rough estimate: the fit seconds = per follow · edges + per
citizen-day · citizens × days gives 0.56 µs and 1.07 µs, within a factor of 0.9 to 8
of the cases (the spreading of posts grows faster than linearly with the mean
following, and the machine was loaded).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from simulation.scenario import Scenario, ScenarioError

# Memory of one run (see the module docstring for the measurement).
BASE_BYTES = 180e6  # the interpreter, numpy, pandas, Mesa and the model's fixed tables
BUILD_BYTES_PER_EDGE = 17.0  # while building: int32 edge ends and their int64 sort key
BUILD_BYTES_PER_CITIZEN = 50.0  # while building: the generator's weights and tables
BYTES_PER_CITIZEN = 150.0  # after building: citizens' arrays, graph offsets, temporaries
BYTES_PER_EDGE = 4.1  # after building: one follow in the CSR follower lists (int32)
BYTES_PER_AGENT = 330.0  # a registered Mesa agent (citizens made eagerly)
BYTES_PER_NEED = 683.2  # one need's item row, its posts and exposures
MEMORY_SAFETY_FACTOR = 1.25  # the estimate is within 5 % under to 10 % over; a margin

# Run time of one run, a rough estimate (see the module docstring).
SECONDS_PER_EDGE = 0.56e-6  # building the follower graph and the agents
SECONDS_PER_CITIZEN_DAY = 1.07e-6  # simulating one citizen for one day

FORCE_HINT = "--force"  # how a user insists on running anyway


class ResourceError(ScenarioError):
    """A run or an experiment too large for this machine (refused before it starts)."""


@dataclass(frozen=True)
class RunSize:
    """What a run's cost grows with."""

    citizens: int
    edges: float
    needs: float


def run_size(scenario: Scenario, days: int | None = None) -> RunSize:
    """Citizens, follows and expected needs of a run of `scenario` for `days` days."""
    days = scenario.run.days if days is None else days
    citizens = scenario.population.citizens
    edges = citizens * scenario.network.mean_following
    if scenario.network.kind == "edge_list" and scenario.network.edge_list:
        lines = _count_lines(Path(scenario.network.edge_list))
        citizens = lines  # at most two new ids a line; follower lists have far fewer
        edges = lines * (2 if scenario.network.edge_list_direction == "undirected" else 1)
    needs = citizens * scenario.population.need_rate_per_day * days
    return RunSize(citizens, float(edges), float(needs))


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return 0


def estimate_run_bytes(scenario: Scenario, days: int | None = None) -> float:
    """Estimated peak memory of one run [bytes], on the safe side."""
    from simulation.agents.citizen import EAGER_CITIZEN_LIMIT

    size = run_size(scenario, days)
    building = BUILD_BYTES_PER_EDGE * size.edges + BUILD_BYTES_PER_CITIZEN * size.citizens
    running = (
        BYTES_PER_CITIZEN * size.citizens
        + BYTES_PER_EDGE * size.edges
        + BYTES_PER_NEED * size.needs
    )
    agents = BYTES_PER_AGENT * size.citizens if size.citizens <= EAGER_CITIZEN_LIMIT else 0.0
    return (BASE_BYTES + agents + max(building, running)) * MEMORY_SAFETY_FACTOR


def estimate_run_seconds(scenario: Scenario, days: int | None = None) -> float:
    """Rough run time of one run on one core [s] (building and simulating)."""
    days = scenario.run.days if days is None else days
    size = run_size(scenario, days)
    return SECONDS_PER_EDGE * size.edges + SECONDS_PER_CITIZEN_DAY * size.citizens * days


# --------------------------------------------------------------------------- available


def available_bytes() -> tuple[float, str] | None:
    """Memory a new run can use [bytes] and where that figure comes from.

    The smaller of the kernel's MemAvailable and what the process's cgroup still allows
    (cgroup v2 memory.max − memory.current, or v1 memory.limit_in_bytes − usage); None
    where neither can be read.
    """
    figures = []
    meminfo = _mem_available()
    if meminfo is not None:
        figures.append((meminfo, "MemAvailable in /proc/meminfo"))
    cgroup = _cgroup_room()
    if cgroup is not None:
        figures.append(cgroup)
    return min(figures) if figures else None


def _mem_available() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_room() -> tuple[float, str] | None:
    for folder in _cgroup_folders():
        for limit_name, usage_name in (
            ("memory.max", "memory.current"),  # v2
            ("memory.limit_in_bytes", "memory.usage_in_bytes"),  # v1
        ):
            limit = _read_number(folder / limit_name)
            if limit is None or limit >= 2**60:  # "max", or v1's "no limit"
                continue
            usage = _read_number(folder / usage_name) or 0.0
            return max(0.0, limit - usage), f"cgroup limit {folder / limit_name}"
    return None


def _cgroup_folders() -> list[Path]:
    """The process's own cgroup folders (v2 unified, v1 memory), then the roots."""
    root = Path("/sys/fs/cgroup")
    folders = []
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controllers == "":
                folders.append(root / path.lstrip("/"))
            elif "memory" in controllers.split(","):
                folders.append(root / "memory" / path.lstrip("/"))
    except (OSError, ValueError):
        pass
    return [*folders, root, root / "memory"]


def _read_number(path: Path) -> float | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    try:
        return float(text)
    except ValueError:
        return None  # "max": no limit


# --------------------------------------------------------------------------- the guard


def gigabytes(n_bytes: float) -> str:
    """Bytes as GB with one decimal (two below 1 GB)."""
    value = n_bytes / 1e9
    return f"{value:.2f} GB" if value < 1 else f"{value:,.1f} GB"


def check_memory(
    scenarios: list[Scenario],
    *,
    days: int | None = None,
    parallel: int = 1,
    source: str,
    field: str | None = "population.citizens",
    force: bool = False,
) -> float:
    """Refuse runs whose estimated memory exceeds what is available; return the estimate.

    `parallel` runs at once (local worker processes) each take the estimate of the
    largest scenario. `source` names the input blamed (a file, or an option). With
    `force` the check only returns the estimate. Raises ResourceError naming the
    estimate, the memory available and how to go on.
    """
    per_run = max(estimate_run_bytes(s, days) for s in scenarios)
    total = per_run * max(1, parallel)
    if force:
        return total
    room = available_bytes()
    if room is None or total <= room[0]:
        return total
    largest = max(scenarios, key=lambda s: estimate_run_bytes(s, days))
    size = run_size(largest, days)
    runs = f"{parallel} runs at once × {gigabytes(per_run)}" if parallel > 1 else "one run"
    raise ResourceError(
        source,
        field,
        f"a run of {size.citizens:,} citizens ({size.edges:,.0f} follows) needs an estimated "
        f"{gigabytes(total)} of memory ({runs}), more than the {gigabytes(room[0])} available "
        f"({room[1]}); use fewer citizens"
        + (" or fewer jobs" if parallel > 1 else "")
        + f", or {FORCE_HINT} to run anyway",
    )


def out_of_memory(scenario: Scenario, days: int | None = None) -> ResourceError:
    """The error for a world that ran out of memory while being built.

    Names the citizens and follows, the run's estimated memory and what the machine
    had available when the build failed, instead of numpy's allocation traceback.
    """
    size = run_size(scenario, days)
    room = available_bytes()
    available = f"{gigabytes(room[0])} available ({room[1]})" if room else "memory unknown"
    return ResourceError(
        scenario.name,
        "population.citizens",
        f"building {size.citizens:,} citizens ({size.edges:,.0f} follows) ran out of memory: "
        f"a run of them needs an estimated {gigabytes(estimate_run_bytes(scenario, days))} "
        f"and the machine has {available}; use fewer citizens or a smaller "
        "network.mean_following",
    )


def cpu_count() -> int:
    """Processors this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
