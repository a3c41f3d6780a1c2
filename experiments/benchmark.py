"""Speed and memory of microgov, against Mesa's own VirusOnNetwork in the same run.

Usage:
    python experiments/benchmark.py                 # the full table (several minutes)
    python experiments/benchmark.py --quick         # small sizes, for a smoke check
    python experiments/benchmark.py --sizes 10000 100000 --scenarios baseline

Every case runs in a fresh subprocess, so wall time includes building the world
(network, Mesa agents) and peak memory is that process's own maximum resident set.
Figures are medians over `--repeats` processes. The reference is Mesa's bundled
VirusOnNetwork example, its agents and `step` as shipped, on a seeded
`fast_gnp_random_graph` with our mean degree and `layout=None` (its shipped
constructor draws an unseeded O(n²) graph and a spring layout that takes minutes at
10k nodes); only its stepping is timed. The ratio printed is our simulated
citizen-hours per second over its agent-steps per second at the same population.

Targets on a 2-core machine: 10k citizens × 90 days under 5 s; 100k × 30 days under
30 s; 1M × 30 days under 8 GB peak memory; ratio ≥ 20× at 100k citizens.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

MEAN_DEGREE_DEFAULT = 20.0


def child_microgov(scenario: str, citizens: int, days: int, seed: int) -> dict:
    """Run one scenario in this process and return its figures."""
    import resource

    from simulation import GovernmentResponseModel, load_scenario

    start = time.perf_counter()
    loaded = load_scenario(scenario, overrides={"population.citizens": citizens})
    model = GovernmentResponseModel(loaded, seed=seed, days=days)
    built = time.perf_counter()
    model.run()
    done = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "wall_s": done - start,
        "build_s": built - start,
        "step_s": done - built,
        "peak_mb": peak_kb / 1024.0,
        "citizen_hours_per_s": citizens * days * 24 / (done - start),
        "items": len(model.items),
        "mean_degree": model.graph.mean_citizen_followers(),
    }


def child_virus(nodes: int, mean_degree: float, steps: int, seed: int) -> dict:
    """Mesa's VirusOnNetwork, agents and step as shipped, on a seeded graph; time steps."""
    import resource

    import networkx as nx
    from mesa.discrete_space import Network
    from mesa.examples.basic.virus_on_network import model as virus_module

    class SeededNetworkx:
        """networkx as the example sees it, with its graph generator seeded and fast."""

        def __getattr__(self, name):
            return getattr(nx, name)

        @staticmethod
        def erdos_renyi_graph(n, p):
            return nx.fast_gnp_random_graph(n, p, seed=seed)

    virus_module.nx = SeededNetworkx()
    virus_module.Network = lambda graph, **kw: Network(graph, layout=None, **kw)
    start = time.perf_counter()
    model = virus_module.VirusOnNetwork(
        num_nodes=nodes, avg_node_degree=mean_degree, initial_outbreak_size=10, rng=seed
    )
    built = time.perf_counter()
    for _ in range(steps):
        model.step()
    done = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "build_s": built - start,
        "step_s": done - built,
        "peak_mb": peak_kb / 1024.0,
        "agent_steps_per_s": nodes * steps / (done - built),
    }


def run_child(args: list[str], timeout: float) -> dict:
    """Run this script as a child process and parse its JSON line."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--scenarios", nargs="+", default=["baseline", "proactive"])
    parser.add_argument("--repeats", type=int, default=3, help="processes per case (median)")
    parser.add_argument("--virus-steps", type=int, default=100)
    parser.add_argument("--virus-sizes", type=int, nargs="+", default=None)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        if kind == "microgov":
            result = child_microgov(rest[0], int(rest[1]), int(rest[2]), int(rest[3]))
        else:
            result = child_virus(int(rest[0]), float(rest[1]), int(rest[2]), int(rest[3]))
        print(json.dumps(result))
        return 0

    if args.quick:
        args.sizes, args.repeats, args.virus_steps = [2_000], 1, 20
    virus_sizes = args.virus_sizes or [s for s in args.sizes if s <= 100_000]

    print(f"python {sys.version.split()[0]}; repeats {args.repeats} (medians)\n")
    cases = [(s, 90) for s in args.sizes if s <= 10_000] + [(s, args.days) for s in args.sizes]
    results: dict[tuple[str, int, int], dict] = {}
    header = f"{'scenario':<12}{'citizens':>10}{'days':>6}{'wall s':>9}{'build s':>9}"
    header += f"{'peak MB':>9}{'cit-h/s':>12}{'items':>9}"
    print(header)
    for scenario in args.scenarios:
        for citizens, days in cases:
            repeats = 1 if citizens >= 1_000_000 else args.repeats
            runs = [
                run_child(["microgov", scenario, str(citizens), str(days), str(seed)], 3600)
                for seed in range(1, repeats + 1)
            ]
            r = median_of(runs)
            results[(scenario, citizens, days)] = r
            print(
                f"{scenario:<12}{citizens:>10,}{days:>6}{r['wall_s']:>9.2f}{r['build_s']:>9.2f}"
                f"{r['peak_mb']:>9.0f}{r['citizen_hours_per_s']:>12.3g}{r['items']:>9.0f}"
            )

    print("\nMesa VirusOnNetwork (as shipped, seeded fast G(n,p), layout=None), stepping only:")
    print(f"{'nodes':>10}{'degree':>8}{'steps':>7}{'step s':>9}{'agent-steps/s':>15}{'ratio':>9}")
    reference_scenario = args.scenarios[0]
    for nodes in virus_sizes:
        ours = results.get((reference_scenario, nodes, args.days))
        degree = ours["mean_degree"] if ours else MEAN_DEGREE_DEFAULT
        runs = [
            run_child(
                ["virus", str(nodes), f"{degree:.4f}", str(args.virus_steps), str(seed)], 7200
            )
            for seed in range(1, min(args.repeats, 2) + 1)
        ]
        v = median_of(runs)
        ratio = ours["citizen_hours_per_s"] / v["agent_steps_per_s"] if ours else float("nan")
        print(
            f"{nodes:>10,}{degree:>8.1f}{args.virus_steps:>7}{v['step_s']:>9.2f}"
            f"{v['agent_steps_per_s']:>15.3g}{ratio:>8.1f}x"
        )
    print(
        "\nratio = microgov citizen-hours/s (whole run, build included) "
        f"/ VirusOnNetwork agent-steps/s (stepping only), scenario '{reference_scenario}'"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
