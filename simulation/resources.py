"""What a run costs: memory and time estimated before the world is built, and the guard.

A run's peak memory grows with its citizens, their follows (the graph's edges) and the
items they post; a run too large for the machine fails only after a long build, with
an allocation traceback. `check_memory` refuses such a run at once, naming the
estimate and the memory available, unless the user insists (`--force`).

**The coefficients and their measurement** (`experiments/resource_costs.py`, the
baseline scenario through `run_one` in a fresh process each, peak resident set from
`ru_maxrss`, on the project's 2-core, 23 GB machine with Python 3.12 and Mesa 3.5):

| citizens | mean following | days | peak | wall time |
|---:|---:|---:|---:|---:|
| 10,000 | 20 | 2 | 202 MiB | 0.7 s |
| 10,000 | 20 | 30 | 203 MiB | 3.0 s |
| 100,000 | 20 | 2 | 306 MiB | 4.3 s |
| 100,000 | 60 | 2 | 446 MiB | 33.0 s |
| 100,000 | 20 | 30 | 308 MiB | 11.6 s |
| 1,000,000 | 20 | 2 | 1,077 MiB | 28.5 s |

A least-squares fit of peak bytes = base + per citizen · citizens + per edge · edges +
per need · needs gives 211 MB, 81 B, 41 B and 683 B, within 6 % of every case. A check
beyond the fitted sizes, 3,000,000 citizens for 2 days, peaked at 2,854 MiB against
2,831 MiB fitted (1 % above; 246 s on the busy machine). The
estimate multiplies it by `MEMORY_SAFETY_FACTOR` to stay on the safe side. Run time is
only a rough estimate (the spreading of posts grows faster than linearly with the mean
following): the fit seconds = per follow · edges + per citizen-day · citizens × days
gives 1.6 µs and 1.8 µs, within a factor of 0.8 to 3.5 of the cases.

The fit predates the faster graph build and the citizens made on demand above
200,000 (`simulation.agents.citizen.EAGER_CITIZEN_LIMIT`), which both lower the peak:
building a million citizens now peaks at 803 MB (1,359 MB before), so above that size
the estimate errs further on the safe side. A build that runs out of memory anyway
raises `out_of_memory`'s error, not numpy's allocation traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from simulation.scenario import Scenario, ScenarioError

# Memory of one run (see the module docstring for the measurement).
BASE_BYTES = 211e6  # the interpreter, numpy, pandas, Mesa and the model's fixed tables
BYTES_PER_CITIZEN = 81.4  # citizens' arrays and agents
BYTES_PER_EDGE = 41.2  # one follow in the graph (both directions of lookup)
BYTES_PER_NEED = 683.2  # one need's item row, its posts and exposures
MEMORY_SAFETY_FACTOR = 1.25  # the fit is within 6 %; a margin for other scenarios

# Run time of one run, a rough estimate (see the module docstring).
SECONDS_PER_EDGE = 1.61e-6  # building the follower graph and the agents
SECONDS_PER_CITIZEN_DAY = 1.77e-6  # simulating one citizen for one day

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
    size = run_size(scenario, days)
    fitted = (
        BASE_BYTES
        + BYTES_PER_CITIZEN * size.citizens
        + BYTES_PER_EDGE * size.edges
        + BYTES_PER_NEED * size.needs
    )
    return fitted * MEMORY_SAFETY_FACTOR


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
