"""Measure what a run costs in memory and time, to set `simulation.resources`' coefficients.

Usage:
    python experiments/resource_costs.py                  # the sizes below (a few minutes)
    python experiments/resource_costs.py --quick          # 10k and 100k citizens only

Each case runs the baseline scenario in a fresh subprocess (`run_one`, as `microgov run`
does: the follower graph, Mesa's citizen agents, the run and its results) and reports
that process's peak resident set (`ru_maxrss`) and wall time. A least-squares fit of

    peak bytes = base + per_citizen · citizens + per_agent · agents + per_edge · edges
                 + per_need · needs

over the cases gives the memory coefficients (edges = citizens × mean_following, needs =
citizens × need_rate_per_day × days, the run's expected needs, agents = the citizens
made registered Mesa agents: all of them up to `EAGER_CITIZEN_LIMIT`, none above, where
they are views made on demand); run time is fitted as
seconds = per_follow · edges (building) + per_citizen_day · citizens × days. The
cases vary citizens, mean_following and days separately so the terms can be told apart.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

CASES = [  # (citizens, mean_following, days)
    (10_000, 20.0, 2),
    (10_000, 20.0, 30),
    (100_000, 20.0, 2),
    (100_000, 60.0, 2),
    (100_000, 20.0, 30),
    (300_000, 20.0, 2),
    (1_000_000, 20.0, 2),
    (1_000_000, 20.0, 10),
]
QUICK = [case for case in CASES if case[0] <= 100_000]

CHILD = """
import json, resource, sys, time
citizens, following, days = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
from simulation.scenario import load_scenario
from simulation.runner import run_one
scenario = load_scenario("baseline", {"population.citizens": citizens,
                                      "network.mean_following": following})
started = time.perf_counter()
result = run_one(scenario, seed=1, days=days)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
print(json.dumps({"peak_bytes": peak, "seconds": seconds,
                  "needs": float(result.summary["needs"])}))
"""


def measure(citizens: int, following: float, days: int) -> dict:
    """Peak RSS [bytes], wall time [s] and needs of one run in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(citizens), str(following), str(days)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Measure the cases, print them and the fitted coefficients."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k citizens only")
    args = parser.parse_args(argv)
    rows = []
    for citizens, following, days in QUICK if args.quick else CASES:
        figures = measure(citizens, following, days)
        expected_needs = citizens * 0.01 * days
        rows.append((citizens, citizens * following, expected_needs, days, figures))
        print(
            f"{citizens:>9,} citizens  following {following:>4.0f}  {days:>2} days: "
            f"peak {figures['peak_bytes'] / 2**20:8.1f} MiB  {figures['seconds']:7.1f} s  "
            f"{figures['needs']:,.0f} needs",
            flush=True,
        )
    from simulation.agents.citizen import EAGER_CITIZEN_LIMIT

    design = np.array(
        [[1.0, c, c if c <= EAGER_CITIZEN_LIMIT else 0, e, n] for c, e, n, _, _ in rows]
    )
    peaks = np.array([f["peak_bytes"] for *_, f in rows], dtype=float)
    coef, *_ = np.linalg.lstsq(design, peaks, rcond=None)
    print(
        "memory fit [bytes]: base {:.0f}, per citizen {:.1f}, per registered agent {:.1f}, "
        "per edge {:.1f}, per need {:.1f}".format(*coef)
    )
    worst = max(f["peak_bytes"] / (design[i] @ coef) for i, (*_, f) in enumerate(rows))
    print(f"largest measured / fitted: {worst:.3f}")
    times = np.array([[e, c * d] for c, e, _, d, _ in rows], dtype=float)
    seconds = np.array([f["seconds"] for *_, f in rows])
    tcoef, *_ = np.linalg.lstsq(times, seconds, rcond=None)
    print("time fit [s]: per follow (building) {:.3g}, per citizen-day {:.3g}".format(*tcoef))
    ratios = seconds / (times @ tcoef)
    print(f"measured / fitted time: {ratios.min():.2f} to {ratios.max():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
