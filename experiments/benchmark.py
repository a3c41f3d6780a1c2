"""Speed and memory of microgov, against Mesa's own VirusOnNetwork in the same run.

Usage:
    python experiments/benchmark.py                 # every section (several minutes)
    python experiments/benchmark.py --quick         # small sizes, for a smoke check
    python experiments/benchmark.py --sizes 10000 100000 --scenarios baseline
    python experiments/benchmark.py --section hotloop --profile 25  # against a numpy loop
    python experiments/benchmark.py --section cost             # cost against events
    python experiments/benchmark.py --section sweeps           # sweep throughput only
    python experiments/benchmark.py --section sweeps --sweep-runs 32
    python experiments/benchmark.py --section against --against /tmp/old   # vs another checkout
    python experiments/benchmark.py --section page             # the page's Step, server side
    python experiments/benchmark.py --section page --against /tmp/old

Every case runs in a fresh subprocess, so wall time includes building the world
(network, Mesa agents) and peak memory is that process's own maximum resident set.
Figures are medians over `--repeats` processes. The reference is Mesa's bundled
VirusOnNetwork example, its agents and `step` as shipped, on a seeded
`fast_gnp_random_graph` with our mean degree and `layout=None` (its shipped
constructor draws an unseeded O(n²) graph and a spring layout that takes minutes at
10k nodes); only its stepping is timed. The ratio printed is our simulated
citizen-hours per second over its agent-steps per second at the same population.

Targets on a 2-core, 24 GB machine: 10k citizens × 90 days under 5 s; 100k × 30 days
under 30 s; 1M × 30 days under 8 GB peak memory; ratio ≥ 20× at 100k citizens; 10M × 30
days under 5 minutes and 12 GB, 1M × 365 days under 90 s and 2 GB, building 1M under
5 s (`city`, `build`); the whole model at ≥ 80 % of the plain hot loop's citizen-hours
per second at 100k (`hotloop`); 2 processes ≥ 1.8× serial and a 2-worker Dask cluster
≥ 1.7× (`sweeps`).

Sections (`--section`, default all): `runs` is the table above, the matrix of accounts
(`shanghai_12333_matrix`, `--matrix-sizes`) against one account tuned to as many
contacts, and the VirusOnNetwork reference; `city` runs 10 million citizens for 30
days and a million for a year (`--city-cases`) against their targets; `hotloop` times
the whole model against two bare numpy loops of its hot path (`experiments/hotloop.py`:
needs, cascades, trust nudges; plain, and event-driven as the model is) at the model's
own rates, alternating in one process, and prints the time of
each of the model's phases (`--profile N`: its N costliest functions); `cost` varies
the population at a fixed number of contacts and the contacts at a fixed population
(`--cost-sizes`, `--cost-factors`, `--cost-reference`, `--cost-days`) and fits the
hourly loop's time to posts and exposures, and what is left of it to idle citizens,
with building and the per-day snapshots apart; `build` builds the world alone at `--build-sizes` (default 100,000 and
1,000,000 citizens) in fresh processes and prints the seconds of each phase (the
follower graph's generator, CSR arrays and opinion leaders, the population's arrays,
the other parts, staff), the bytes per citizen of the population's and the graph's
arrays, the peak while building, and the time and bytes per citizen of the registered
Mesa agents of the eager mode, made apart after the build; `sweeps` is experiment
throughput; `scaling` a Dask LocalCluster's throughput over several worker counts;
`page` is the interactive page's Step.

The sweeps section first shows where one sweep run's time goes, each step timed on its
own in a fresh process (the imports a worker does once, the variant's validation, the
graph, the rest of the build, stepping, the result tables, sending the task and its
outcome, the store's write). Then it runs one sweep (`simulation.experiment.sweep`, a
grid over staffing.operators × replications; by default the baseline scenario at
10,000 citizens for 30 days, 16 runs) on each executor in this process — serial, local
processes (`--sweep-workers`, default 2) and a Dask LocalCluster with as many
single-threaded workers, started once — `--sweep-repeats` times (default 3) in turn,
each repeat with new seeds, and after each repeat the capacity check: one run in a fresh
process alone, then as many at once as there are workers; on a shared machine it says
how much parallel speed there was to be had. It prints the medians: runs per second,
the ratio to serial (of the same repeat), and that ratio over the capacity. The process
pool's sweep includes starting and stopping its pool, as a user's sweep does; the
Dask sweeps run on the started cluster, whose start (with its workers' imports) is
timed apart, as are the fork server's first start and a no-op task's cost on the
cluster. The runs tables must be identical on every executor. Then the store's
overhead: the same small sweep (`--store-citizens`, `--store-days`, `--store-runs`) run
serially with and without `store=`, in alternating order, `--store-repeats` times; the
median of the repeats' differences, per run.

The scaling section starts a LocalCluster of each of `--scaling-workers` (default 1, 2,
4, 8) workers in turn and times a sweep on it (`--scaling-citizens`, default 10,000;
`--scaling-days`, default 7; `--scaling-runs`, default 32) beside a serial one: start-up,
runs per second, speed-up and the no-op task's overhead. Beyond the machine's cores the
cluster is oversubscribed, and the table says so.

The page section (`--page-citizens`, default 2,000; `--page-days`, default 30) builds the
interactive page (`simulation.viz.make_page`) in a fresh process without a browser, as
its server holds it, and clicks Step once per simulated day: each click's time is what
the server does for it (the model's 24 hours, the redrawn network and charts, the day's
table, the widgets' update), wall and CPU. The same run's model stepped alone is timed
beside it. Target: every Step under 0.5 s. With `--against DIR` the other checkout's page
is timed too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEAN_DEGREE_DEFAULT = 20.0


def child_microgov(
    scenario: str, citizens: int, days: int, seed: int, need_rate: float | None = None
) -> dict:
    """Run one scenario in this process and return its figures.

    `need_rate` overrides `population.need_rate_per_day` (None: the scenario's own).
    """
    import resource

    from simulation import GovernmentResponseModel, load_scenario

    start = time.perf_counter()
    overrides: dict[str, object] = {"population.citizens": citizens}
    if need_rate is not None:
        overrides["population.need_rate_per_day"] = need_rate
    loaded = load_scenario(scenario, overrides=overrides)
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
        "contacts": float(model.items.view("contacts").sum()),
        "mean_degree": model.graph.mean_citizen_followers(),
    }


def _resident_bytes() -> int:
    """This process's resident set now [bytes] (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def child_build(scenario: str, citizens: int, seed: int) -> dict:
    """Build one model in this process: time per phase and memory per citizen.

    The model is built with citizens on demand (no Mesa objects), then the registered
    agents of the eager mode are made apart, so their time and bytes are their own.
    """
    import resource

    import numpy as np

    from simulation import GovernmentResponseModel, load_scenario
    from simulation.agents.citizen import Citizens

    loaded = load_scenario(scenario, overrides={"population.citizens": citizens})
    start = time.perf_counter()
    model = GovernmentResponseModel(loaded, seed=seed, create_citizen_agents=False)
    built = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    population = sum(
        a.nbytes
        for a in vars(model.population).values()
        if isinstance(a, np.ndarray) and len(a) >= citizens
    )
    graph = model.graph.indptr.nbytes + model.graph.followers.nbytes + model.graph.is_leader.nbytes
    before = _resident_bytes()
    t0 = time.perf_counter()
    agents = Citizens(model, model.population, model.graph, model.items, eager=True)
    eager_s = time.perf_counter() - t0
    agent_bytes = _resident_bytes() - before
    assert len(agents) == citizens
    return {
        "build_s": built,
        **{f"phase {k}": v for k, v in model.build_seconds.items()},
        "eager_agents_s": eager_s,
        "peak_build_mb": peak / 2**20,
        "population_b": population / citizens,
        "graph_b": graph / citizens,
        "agent_b": agent_bytes / citizens,
        "edges": model.graph.n_edges,
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


def child_page(citizens: int, days: int) -> dict:
    """Click the page's Step once per day in this process; time each click and the model."""
    import ipyvuetify
    import solara

    from simulation.viz import make_page
    from simulation.viz.live import Levers, LiveModel

    start = time.perf_counter()
    page = make_page("baseline", citizens=citizens, days=days)
    _, rendered = solara.render(solara.AppLayout(children=[page]), handle_error=False)
    built = time.perf_counter() - start
    step = rendered.find(ipyvuetify.Btn, children=["Step"]).widget
    wall, cpu = [], []
    for _ in range(days):
        t0, c0 = time.perf_counter(), time.process_time()
        step.click()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    hours = page.kwargs["model"].value.simulation.hour
    live = LiveModel(Levers.of("baseline", citizens=citizens, days=days))
    model_only = []
    for _ in range(days):
        t0 = time.perf_counter()
        live.step()
        model_only.append(time.perf_counter() - t0)
    return {"build_s": built, "wall": wall, "cpu": cpu, "model": model_only, "hours": hours}


def run_child(args: list[str], timeout: float, package_root: str | None = None) -> dict:
    """Run this script as a child process and parse its JSON line.

    With `package_root`, the child imports `simulation` from that checkout instead.
    """
    env = None
    if package_root is not None:
        env = {**os.environ, "PYTHONPATH": str(Path(package_root).resolve())}
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


# --------------------------------------------------------------------------- sweeps


def _sweep_case(citizens: int, days: int, runs: int, scenario: str):
    """The scenario and design of a sweep of `runs` runs (2 operator levels x runs/2 seeds)."""
    from simulation import load_scenario
    from simulation.experiment.designs import Grid

    loaded = load_scenario(scenario, overrides={"population.citizens": citizens})
    design = Grid({"staffing.operators": [1, 2]})
    replications = max(1, runs // len(design))
    return loaded, design, replications, days


def _timed_sweep(case, executor, jobs, store=None, seed=1, graph_cache=True):
    from simulation.experiment import sweep

    scenario, design, replications, days = case
    start = time.perf_counter()
    results = sweep(
        scenario,
        design,
        replications=replications,
        seed=seed,
        days=days,
        executor=executor,
        jobs=jobs,
        store=store,
        graph_cache=graph_cache,
    )
    return time.perf_counter() - start, results


def parallel_capacity(scenario: str, citizens: int, days: int, workers: int) -> float:
    """What `workers` simultaneous processes get: one run alone, then `workers` at once.

    Returns workers x (time alone) / (mean time when run together): `workers` on an idle
    machine with as many free cores, less when the cores are shared or contended. Each
    process times its run only (its imports are done before the clock starts).
    """
    case = ["microgov", scenario, str(citizens), str(days), "1"]
    alone = run_child(case, 3600)["wall_s"]
    command = [sys.executable, __file__, "--child", *case]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    together = [json.loads(p.communicate()[0].strip().splitlines()[-1])["wall_s"] for p in procs]
    return workers * alone / statistics.mean(together)


def child_profile(scenario: str, citizens: int, days: int) -> dict:
    """Where one sweep run's time goes, in a fresh process: each step timed on its own."""
    import pickle

    t0 = time.perf_counter()
    import simulation.experiment.executors as executors  # what a worker imports

    imported = time.perf_counter() - t0
    from simulation import load_scenario
    from simulation.experiment.designs import Grid, apply_points
    from simulation.experiment.store import RunStore
    from simulation.experiment.tables import run_tables
    from simulation.model import GovernmentResponseModel
    from simulation.runner import result_of

    base = load_scenario(scenario, overrides={"population.citizens": citizens})
    t0 = time.perf_counter()
    (variant,) = apply_points(base, Grid({"staffing.operators": [2]}).points())
    validated = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = GovernmentResponseModel(variant, seed=1, days=days)
    built = time.perf_counter() - t0
    graph = model.build_seconds["graph"]
    t0 = time.perf_counter()
    model.run()
    stepped = time.perf_counter() - t0
    # The steps below are timed the second time: the first in a process also pays for
    # pyarrow's and the store's own set-up, once a worker.
    labels = {"point": 0, "staffing.operators": 2}
    for _ in range(2):
        t0 = time.perf_counter()
        result = result_of(model)
        runs, daily = run_tables(result, variant, 1, 0, labels)
        tabled = time.perf_counter() - t0
    task = executors.RunTask((0, 0), variant, 1, days, labels=labels)
    outcome = executors.TaskOutcome((0, 0), runs, daily)
    for _ in range(2):
        t0 = time.perf_counter()
        pickle.loads(pickle.dumps(task))
        pickle.loads(pickle.dumps(outcome))
        sent = time.perf_counter() - t0
    scratch = Path(tempfile.mkdtemp(prefix="microgov-bench-profile-"))
    manifest = {"scenario_hash": "x", "design": {}, "points": [{}, {}], "replications": 1}
    try:
        with RunStore.open(scratch / "s", {**manifest, "seed": 1, "days": days}) as store:
            for point in range(2):
                t0 = time.perf_counter()
                store.write((point, 0), runs, daily)
                stored = time.perf_counter() - t0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "import (once a worker)": imported,
        "scenario validation": validated,
        "graph build": graph,
        "agents and the rest of the build": built - graph,
        "stepping": stepped,
        "result tables": tabled,
        "transfer (pickle both ways)": sent,
        "store write": stored,
    }


def _dask_overhead_per_task(client, tasks: int = 200) -> float:
    """Seconds a no-op task costs on a started cluster, submitted as sweeps submit batches."""
    from distributed import as_completed

    start = time.perf_counter()
    for future in as_completed([client.submit(int, i, pure=False) for i in range(tasks)]):
        future.result()
    return (time.perf_counter() - start) / tasks


def sweep_section(args: argparse.Namespace) -> None:
    """Sweep throughput per executor against the same run's capacity, and the store's cost."""
    from simulation.experiment.executors import start_local_cluster

    workers = args.sweep_workers
    repeats = args.sweep_repeats
    case = _sweep_case(args.sweep_citizens, args.sweep_days, args.sweep_runs, args.sweep_scenario)
    runs = len(case[1]) * case[2]
    print(
        f"\nSweep throughput: '{args.sweep_scenario}', {args.sweep_citizens:,} citizens, "
        f"{args.sweep_days} days, {runs} runs (staffing.operators 1, 2 x {case[2]} seeds); "
        f"{os.cpu_count()} CPUs, load average before: {_load()}"
    )
    profile = run_child(
        ["profile", args.sweep_scenario, str(args.sweep_citizens), str(args.sweep_days)], 3600
    )
    total = sum(v for k, v in profile.items() if not k.startswith("import"))
    print("where a run's time goes (one run in a fresh process):")
    for key, value in profile.items():
        share = "" if key.startswith("import") else f"{value / total:>7.1%}"
        print(f"  {key:<36}{value * 1000:>9.1f} ms{share}")

    # First uses, apart: the fork server's start (it imports the model once), and a
    # LocalCluster's start with its workers importing the model.
    tiny = _sweep_case(10, 1, 2, args.sweep_scenario)
    fork_server, _ = _timed_sweep(tiny, "processes", workers)
    t0 = time.perf_counter()
    cluster, client = start_local_cluster(workers)
    dask_startup = time.perf_counter() - t0
    walls: dict[str, list[float]] = {"serial": [], "processes": [], "dask": []}
    capacity, same = [], True
    try:
        for repeat in range(repeats):
            seed = 1 + 1000 * repeat  # new seeds each repeat: no cache is warm from the last
            tables = {}
            for label, executor in (("serial", "serial"), ("processes", "processes")):
                wall, results = _timed_sweep(case, executor, workers, seed=seed)
                walls[label].append(wall)
                tables[label] = results.runs
            wall, results = _timed_sweep(case, client, workers, seed=seed)
            walls["dask"].append(wall)
            tables["dask"] = results.runs
            metrics = [c for c in tables["serial"].columns if c != "version"]
            same &= all(tables["serial"][metrics].equals(t[metrics]) for t in tables.values())
            capacity.append(
                parallel_capacity(
                    args.sweep_scenario, args.sweep_citizens, args.sweep_days, workers
                )
            )
        overhead = _dask_overhead_per_task(client)
    finally:
        client.close()
        cluster.close()
    cap = statistics.median(capacity)
    serial = walls["serial"]
    print(
        f"\nmedians of {repeats} repeats (each repeat: serial, processes, Dask, then the "
        "capacity check, in turn)"
    )
    print(
        f"{'executor':<11}{'workers':>8}{'runs':>6}{'wall s':>9}{'runs/s':>9}"
        f"{'vs serial':>11}{'of capacity':>13}"
    )
    for label, times in walls.items():
        jobs = 1 if label == "serial" else workers
        ratio = statistics.median(s / w for s, w in zip(serial, times, strict=True))
        of_capacity = f"{ratio / cap:>12.0%}" if label != "serial" else f"{'':>12}"
        print(
            f"{label:<11}{jobs:>8}{runs:>6}{statistics.median(times):>9.1f}"
            f"{runs / statistics.median(times):>9.2f}{ratio:>10.2f}x{of_capacity}"
        )
    print(
        f"capacity check: {workers} bare processes each doing one run at once got "
        f"{cap:.2f}x one alone (median of {repeats}: "
        f"{', '.join(f'{c:.2f}' for c in capacity)}), the most a {workers}-worker executor "
        "could get on this machine just now; 'of capacity' is vs serial / capacity"
    )
    print(
        "vs serial: median over the repeats of serial wall / this wall in the same repeat; "
        "processes: the whole sweep() call, its pool's start and stop included; Dask: "
        "sweeps on a started LocalCluster"
    )
    print(
        f"start-up, apart: the fork server's first start {fork_server:.1f} s (once per "
        f"Python process); a LocalCluster of {workers} workers, started and its workers' "
        f"imports done, {dask_startup:.1f} s; a task on it costs {overhead * 1000:.1f} ms "
        "(no-op tasks; a sweep sends one task per batch of runs)"
    )
    print(f"identical runs tables on every executor: {'yes' if same else 'NO'}")
    _store_overhead(args, statistics.median(serial) / runs)


def _store_overhead(args: argparse.Namespace, serial_run_s: float) -> None:
    """The same small serial sweep with and without a store, alternating: cost per run."""
    store_case = _sweep_case(
        args.store_citizens, args.store_days, args.store_runs, args.sweep_scenario
    )
    store_runs = len(store_case[1]) * store_case[2]
    without, with_store = [], []
    scratch = Path(tempfile.mkdtemp(prefix="microgov-bench-store-"))
    try:
        for repeat in range(args.store_repeats):
            # Alternate which goes first, so a drift in machine load favours neither.
            order = (False, True) if repeat % 2 == 0 else (True, False)
            for stored in order:
                target = scratch / f"s{repeat}" if stored else None
                wall, _ = _timed_sweep(store_case, "serial", 1, store=target)
                (with_store if stored else without).append(wall)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    per_run = [(w - p) / store_runs * 1000 for w, p in zip(with_store, without, strict=True)]
    plain_ms = statistics.median(without) / store_runs * 1000
    overhead = statistics.median(per_run)
    print(
        f"\nStore overhead: the same serial sweep ('{args.sweep_scenario}', "
        f"{args.store_citizens:,} citizens, {args.store_days} days, {store_runs} runs) "
        f"without and with store=, {args.store_repeats} repeats in alternating order:"
    )
    print(
        f"a run takes {plain_ms:.0f} ms without a store; the store adds "
        f"{overhead:+.1f} ms per run (median of the repeats' differences; range "
        f"{min(per_run):+.1f} to {max(per_run):+.1f} ms), "
        f"{overhead / (serial_run_s * 1000):+.1%} of a serial run of the throughput sweep"
    )
    print(
        "(writing each run as Parquet parts by atomic rename, the manifest, and reading "
        "the store back into SweepResults at the end; short runs keep the timing noise "
        "small, and the store's work per run hardly depends on the run's length: its "
        "daily part has one row per day)"
    )


# --------------------------------------------------------------------------- scaling


def scaling_section(args: argparse.Namespace) -> None:
    """Throughput of a started LocalCluster over 1, 2, 4, 8 workers, and a task's overhead."""
    from simulation.experiment.executors import start_local_cluster

    case = _sweep_case(
        args.scaling_citizens, args.scaling_days, args.scaling_runs, args.sweep_scenario
    )
    runs = len(case[1]) * case[2]
    cpus = os.cpu_count() or 1
    print(
        f"\nDask LocalCluster scaling: '{args.sweep_scenario}', {args.scaling_citizens:,} "
        f"citizens, {args.scaling_days} days, {runs} runs a sweep; {cpus} CPUs, load "
        f"average before: {_load()}"
    )
    serial, _ = _timed_sweep(case, "serial", 1)
    print(f"serial: {serial:.1f} s, {runs / serial:.2f} runs/s")
    print(
        f"{'workers':>8}{'start-up s':>12}{'wall s':>9}{'runs/s':>9}{'vs serial':>11}"
        f"{'per worker':>12}{'task overhead ms':>18}"
    )
    for workers in args.scaling_workers:
        t0 = time.perf_counter()
        cluster, client = start_local_cluster(workers)
        startup = time.perf_counter() - t0
        try:
            wall, _ = _timed_sweep(case, client, workers, seed=1 + 1000 * workers)
            overhead = _dask_overhead_per_task(client)
        finally:
            client.close()
            cluster.close()
        note = "  oversubscribed" if workers > cpus else ""
        print(
            f"{workers:>8}{startup:>12.1f}{wall:>9.1f}{runs / wall:>9.2f}{serial / wall:>10.2f}x"
            f"{serial / wall / workers:>11.0%}{overhead * 1000:>18.1f}{note}"
        )
    print(
        f"beyond {cpus} workers the cluster is oversubscribed ({cpus} cores): more workers "
        "than cores share them, so throughput cannot rise past the cores' and each worker "
        "gets less; the curve then measures the cost of oversubscription (the scheduler, "
        "memory, switching), not what more machines would give. Task overhead: no-op tasks "
        "on the started cluster, wall per task"
    )


# --------------------------------------------------------------------------- page


def page_section(args: argparse.Namespace) -> None:
    """The interactive page's Step, as its server handles it, without a browser."""
    citizens, days = args.page_citizens, args.page_days
    checkouts = [("this", None)]
    if args.against:
        checkouts.append(("other", str(Path(args.against).resolve())))
    print(
        f"\nThe page's Step: 'baseline', {citizens:,} citizens, one click per day for {days} "
        f"days ({os.cpu_count()} CPUs, load average before: {_load()})"
    )
    print(
        f"{'checkout':<10}{'median s':>10}{'p90 s':>8}{'max s':>8}{'CPU med s':>11}"
        f"{'over 0.5 s':>12}{'model alone med s':>19}{'page built s':>14}"
    )
    for label, root in checkouts:
        r = run_child(["page", str(citizens), str(days)], 3600, package_root=root)
        assert r["hours"] == days * 24, f"{label}: the clicks ran {r['hours']} hours"
        wall = sorted(r["wall"])
        p90 = wall[int(0.9 * (len(wall) - 1))]
        over = sum(w >= 0.5 for w in wall)
        print(
            f"{label:<10}{statistics.median(wall):>10.3f}{p90:>8.3f}{wall[-1]:>8.3f}"
            f"{statistics.median(r['cpu']):>11.3f}{over:>9}/{len(wall):<2}"
            f"{statistics.median(r['model']):>19.3f}{r['build_s']:>14.1f}"
        )
    print(
        "a click: Mesa's Step button on the page built as its server holds it (the model's "
        "24 hours, the redrawn figures, the day's table, the widgets' update); model alone: "
        "the same run's LiveModel.step without the page"
    )


def _city_case(text: str) -> tuple[int, int]:
    """'10000000x30' → (10000000, 30)."""
    citizens, _, days = text.partition("x")
    try:
        return int(citizens), int(days)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected CITIZENSxDAYS, e.g. 1000000x365"
        ) from None


def _load() -> str:
    try:
        return ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


# The sections `all` runs, in order (`against` runs only when asked for).
SECTIONS = ("runs", "city", "hotloop", "cost", "build", "sweeps", "scaling", "page")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument(
        "--section",
        choices=["all", *SECTIONS, "against"],
        default="all",
        help="runs: single-run speed and memory and the Mesa reference; city: a city "
        "of 10 million for 30 days and a year of a million, against their targets; hotloop: the "
        "model against a bare numpy loop of its hot path; cost: time against events and "
        "idle citizens, fitted; build: building "
        "the world, time per phase and memory per citizen; sweeps: sweep "
        "throughput per executor and the store's overhead; scaling: a Dask LocalCluster "
        "over --scaling-workers; page: the interactive page's "
        "Step (needs the viz extra); against: this checkout's single runs against "
        "another's, alternating (--against; not part of all) (default: all)",
    )
    parser.add_argument(
        "--against",
        metavar="DIR",
        help="another checkout of the project (e.g. `git worktree add /tmp/old <rev>`): "
        "with --section against, time the same runs with its package and print the ratio; "
        "with --section page, time its page too",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--city-cases",
        type=_city_case,
        nargs="+",
        default=list(CITY_TARGETS),
        metavar="CITIZENSxDAYS",
        help="city section's cases (default 10000000x30 1000000x365)",
    )
    parser.add_argument("--scenarios", nargs="+", default=["baseline", "proactive"])
    parser.add_argument("--repeats", type=int, default=3, help="processes per case (median)")
    parser.add_argument("--virus-steps", type=int, default=100)
    parser.add_argument("--virus-sizes", type=int, nargs="+", default=None)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--sweep-scenario", default="baseline")
    parser.add_argument("--sweep-citizens", type=int, default=10_000)
    parser.add_argument("--sweep-days", type=int, default=30)
    parser.add_argument("--sweep-runs", type=int, default=16, help="runs per sweep (even)")
    parser.add_argument("--sweep-workers", type=int, default=2, help="processes and Dask workers")
    parser.add_argument("--sweep-repeats", type=int, default=3, help="sweeps per executor (median)")
    parser.add_argument("--scaling-citizens", type=int, default=10_000)
    parser.add_argument("--scaling-days", type=int, default=7)
    parser.add_argument("--scaling-runs", type=int, default=32, help="runs per sweep (even)")
    parser.add_argument("--scaling-workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--store-citizens", type=int, default=500)
    parser.add_argument("--store-days", type=int, default=3)
    parser.add_argument("--store-runs", type=int, default=40)
    parser.add_argument("--store-repeats", type=int, default=5)
    parser.add_argument(
        "--build-sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="build section"
    )
    parser.add_argument(
        "--hotloop-citizens", type=int, default=100_000, help="hotloop section's population"
    )
    parser.add_argument(
        "--profile", type=int, default=0, help="hotloop: print the N costliest functions"
    )
    parser.add_argument(
        "--cost-sizes",
        type=int,
        nargs="+",
        default=[25_000, 50_000, 100_000, 200_000, 400_000],
        help="cost section: populations at a fixed number of contacts",
    )
    parser.add_argument(
        "--cost-factors",
        type=float,
        nargs="+",
        default=[0.5, 1.0, 2.0, 4.0],
        help="cost section: need-rate multipliers at the reference population",
    )
    parser.add_argument(
        "--cost-reference",
        type=int,
        default=100_000,
        help="cost section: the population whose contacts are held fixed",
    )
    parser.add_argument("--cost-days", type=int, default=10, help="cost section: days per run")
    parser.add_argument(
        "--matrix-sizes",
        type=int,
        nargs="*",
        default=[100_000, 1_000_000],
        help="runs section: populations of the matrix scenario's rows (none: skip them)",
    )
    parser.add_argument("--page-citizens", type=int, default=2_000)
    parser.add_argument("--page-days", type=int, default=30)
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        if kind == "microgov":
            rate = float(rest[4]) if len(rest) > 4 else None
            result = child_microgov(rest[0], int(rest[1]), int(rest[2]), int(rest[3]), rate)
        elif kind == "build":
            result = child_build(rest[0], int(rest[1]), int(rest[2]))
        elif kind == "page":
            result = child_page(int(rest[0]), int(rest[1]))
        elif kind == "cost":
            result = child_cost(rest[0], int(rest[1]), int(rest[2]), float(rest[3]), int(rest[4]))
        elif kind == "hotloop":
            result = child_hotloop(rest[0], int(rest[1]), int(rest[2]), int(rest[3]), int(rest[4]))
        elif kind == "profile":
            result = child_profile(rest[0], int(rest[1]), int(rest[2]))
        else:
            result = child_virus(int(rest[0]), float(rest[1]), int(rest[2]), int(rest[3]))
        print(json.dumps(result))
        return 0

    if args.quick:
        args.sizes, args.repeats, args.virus_steps = [2_000], 1, 20
        args.sweep_citizens, args.sweep_days, args.sweep_runs = 2_000, 7, 4
        args.scaling_citizens, args.scaling_runs, args.scaling_workers = 2_000, 8, [1, 2]
        args.store_runs, args.store_repeats = 10, 2
        args.page_days = 7
        args.build_sizes = [20_000]
        args.hotloop_citizens = 2_000
        args.matrix_sizes = [2_000]
        args.city_cases = [(20_000, 7), (2_000, 30)]
        args.cost_sizes, args.cost_factors, args.cost_reference = [2_000, 4_000], [2.0], 2_000
        args.cost_days = 3
    sections = {
        "runs": runs_section,
        "city": city_section,
        "hotloop": hotloop_section,
        "cost": cost_section,
        "build": build_section,
        "sweeps": sweep_section,
        "scaling": scaling_section,
        "page": page_section,
    }
    for name in SECTIONS:  # `all` runs them in this order
        if args.section in ("all", name):
            sections[name](args)
    if args.section == "against":
        if not args.against:
            parser.error("--section against needs --against DIR")
        against_section(args)
    return 0


# The whole-city cases and their targets on this 2-core, 24 GB machine: (citizens, days,
# wall-time limit [s], peak-memory limit [MB]).
CITY_TARGETS = {(10_000_000, 30): (300.0, 12_000.0), (1_000_000, 365): (90.0, 2_000.0)}


def city_section(args: argparse.Namespace) -> None:
    """A city of 10 million for 30 days and a year of a million: one fresh process each."""
    scenario = args.scenarios[0]
    print(
        f"\nWhole cities: '{scenario}', one fresh process a case (building included); "
        f"load average before: {_load()}"
    )
    print(
        f"{'citizens':>12}{'days':>6}{'wall s':>9}{'build s':>9}{'peak MB':>9}"
        f"{'cit-h/s':>11}{'items':>10}  target"
    )
    for citizens, days in args.city_cases:
        r = run_child(["microgov", scenario, str(citizens), str(days), "1"], 3600)
        limits = CITY_TARGETS.get((citizens, days))
        target = ""
        if limits is not None:
            met = r["wall_s"] < limits[0] and r["peak_mb"] < limits[1]
            target = (
                f"under {limits[0]:.0f} s and {limits[1]:,.0f} MB: {'met' if met else 'NOT met'}"
            )
        print(
            f"{citizens:>12,}{days:>6}{r['wall_s']:>9.1f}{r['build_s']:>9.2f}"
            f"{r['peak_mb']:>9,.0f}{r['citizen_hours_per_s']:>11.3g}{r['items']:>10,.0f}  {target}"
        )
    print("load average after:", _load())


def against_section(args: argparse.Namespace) -> None:
    """The same single runs with this checkout and another, alternating, in one session.

    Alternating the two in turn spreads the machine's other load over both alike; the
    ratio of the medians (this / other) is what to read, not either time alone.
    """
    other = str(Path(args.against).resolve())
    print(f"this checkout against {other}; {args.repeats} runs each, alternating (medians)\n")
    header = f"{'scenario':<12}{'citizens':>10}{'days':>6}{'this s':>9}{'other s':>9}{'ratio':>8}"
    print(header + f"{'this MB':>9}{'other MB':>9}")
    for scenario in args.scenarios:
        for citizens in args.sizes:
            case = ["microgov", scenario, str(citizens), str(args.days), "1"]
            mine, theirs = [], []
            for _ in range(args.repeats):
                mine.append(run_child(case, 3600))
                theirs.append(run_child(case, 3600, package_root=other))
            a, b = median_of(mine), median_of(theirs)
            if a["items"] != b["items"]:
                print(f"  note: the two made {a['items']:.0f} and {b['items']:.0f} items")
            print(
                f"{scenario:<12}{citizens:>10,}{args.days:>6}{a['wall_s']:>9.2f}"
                f"{b['wall_s']:>9.2f}{a['wall_s'] / b['wall_s']:>8.3f}"
                f"{a['peak_mb']:>9.0f}{b['peak_mb']:>9.0f}"
            )


def build_section(args: argparse.Namespace) -> None:
    """Building the world in fresh processes: seconds per phase and bytes per citizen."""
    scenario = args.scenarios[0]
    print(f"\nbuilding '{scenario}' (citizens on demand; medians of {args.repeats} processes)")
    print("load average before:", _load())
    for citizens in args.build_sizes:
        runs = [
            run_child(["build", scenario, str(citizens), str(seed)], 3600)
            for seed in range(1, args.repeats + 1)
        ]
        r = median_of(runs)
        print(f"\n{citizens:,} citizens, {r['edges']:,.0f} follows: build {r['build_s']:.2f} s")
        for key, value in r.items():
            if key.startswith("phase "):
                phase = key.removeprefix("phase ").replace("graph: ", "  ")  # graph's parts
                print(f"  {phase:<22}{value:>8.2f} s {value / r['build_s']:>6.0%}")
        print(
            f"  registered Mesa agents (eager mode, made apart) {r['eager_agents_s']:.2f} s, "
            f"{r['agent_b']:.0f} B/citizen"
        )
        print(
            f"  arrays: population {r['population_b']:.0f} B/citizen, follower graph "
            f"{r['graph_b']:.0f} B/citizen; peak while building {r['peak_build_mb']:,.0f} MB "
            f"({r['peak_build_mb'] * 2**20 / citizens:.0f} B/citizen)"
        )
    print("load average after:", _load())


MATRIX = "shanghai_12333_matrix"


def matrix_rows(args: argparse.Namespace) -> None:
    """The matrix of accounts against one account with as many contacts, in fresh processes.

    The single account is `args.scenarios[0]` with its need rate set so that its
    contacts (posts of needs, follow-ups and reminders) match the matrix's: a pilot of
    both at the smallest size (7 days, the same need rate) gives the contacts per need
    of each, and the single account's rate is the matrix's times their ratio.
    """
    from simulation import load_scenario

    single = args.scenarios[0]
    rate = load_scenario(MATRIX).population.need_rate_per_day
    pilot = [str(min(args.matrix_sizes)), "7", "1", f"{rate:.6g}"]
    ratio = (
        run_child(["microgov", MATRIX, *pilot], 3600)["contacts"]
        / run_child(["microgov", single, *pilot], 3600)["contacts"]
    )
    tuned = rate * ratio
    print(
        f"\nthe matrix ('{MATRIX}', {args.days} days) against '{single}' with its need rate "
        f"set to {tuned:.4g} a day (the matrix's {rate:.4g} x {ratio:.3f}, its contacts per "
        "need against the single account's) for as many contacts"
    )
    print(
        f"{'scenario':<24}{'citizens':>10}{'wall s':>9}{'build s':>9}{'peak MB':>9}"
        f"{'contacts':>10}{'ms/contact':>12}{'matrix/single':>15}{'per contact':>14}"
    )
    for citizens in args.matrix_sizes:
        repeats = 1 if citizens >= 1_000_000 else args.repeats
        found = {}
        for scenario, need in ((MATRIX, rate), (single, tuned)):
            runs = []
            for seed in range(1, repeats + 1):
                case = ["microgov", scenario, str(citizens), str(args.days), str(seed)]
                runs.append(run_child([*case, f"{need:.6g}"], 3600))
            found[scenario] = median_of(runs)
        for scenario in (MATRIX, single):
            r = found[scenario]
            m, o = found[MATRIX], found[single]
            per_contact = (m["wall_s"] / m["contacts"]) / (o["wall_s"] / o["contacts"])
            ratio_text = (
                f"{m['wall_s'] / o['wall_s']:>14.2f}x{per_contact:>13.2f}x"
                if scenario == MATRIX
                else ""
            )
            print(
                f"{scenario:<24}{citizens:>10,}{r['wall_s']:>9.2f}{r['build_s']:>9.2f}"
                f"{r['peak_mb']:>9.0f}{r['contacts']:>10.0f}"
                f"{r['wall_s'] / r['contacts'] * 1000:>12.3f}{ratio_text}"
            )


def runs_section(args: argparse.Namespace) -> None:
    """Single runs in fresh processes, and Mesa's VirusOnNetwork for reference."""
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

    if args.matrix_sizes:
        matrix_rows(args)

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


# --------------------------------------------------------------------------- hot loop


def _time_phases(model) -> dict[str, float]:
    """Wrap the model's phases so each one's wall time adds up in the returned dict."""
    from simulation.model import STEP_PHASES

    seconds = dict.fromkeys(STEP_PHASES, 0.0)
    for name in STEP_PHASES:
        phase = getattr(model, name)

        def timed(t: int, phase=phase, name=name) -> None:
            start = time.perf_counter()
            phase(t)
            seconds[name] += time.perf_counter() - start

        setattr(model, name, timed)  # an instance attribute: step() calls it
    return seconds


def child_hotloop(scenario: str, citizens: int, days: int, repeats: int, profile: int) -> dict:
    """The whole model against the bare numpy hot loop at the model's own rates.

    A first run of the model (seed 1) measures the rates (`hotloop.RateProbe`) and the
    wall time of each phase, and lends the reference its follower graph and citizens;
    then the model (built afresh, nothing subscribed) and the reference alternate
    `repeats` times. With `profile` > 0 the first run is also profiled (cProfile) and
    its `profile` costliest functions are returned.
    """
    import cProfile
    import io
    import math
    import pstats

    import hotloop

    from simulation import GovernmentResponseModel, load_scenario
    from simulation.codes import HOURS_PER_DAY

    loaded = load_scenario(scenario, overrides={"population.citizens": citizens})
    hours = days * HOURS_PER_DAY
    probed = GovernmentResponseModel(loaded, seed=1, days=days)
    probe = hotloop.RateProbe(probed)
    phases = _time_phases(probed)
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    probed.run()
    if profiler is not None:
        profiler.disable()
    probed_s = time.perf_counter() - start
    rates = probe.rates()
    graph, population = probed.graph, probed.population
    half_life = loaded.reactions.trust_half_life_days * HOURS_PER_DAY
    drift = math.log(2.0) / half_life if math.isfinite(half_life) and half_life > 0 else 0.0

    world = hotloop.HotLoopWorld(
        graph.indptr,
        graph.followers,
        graph.n_citizens,
        population.activity,
        population.rhythm,
        population.initial_trust,
        drift,
    )

    def reference(probability: float, hours: int, plain: bool = False) -> dict[str, float]:
        loop = hotloop.plain_hot_loop if plain else hotloop.hot_loop
        return loop(world, rates, probability, hours, seed=1)

    # Calibrated on whole runs of the event-driven loop (a fraction of a second each):
    # a post's exposures are heavy-tailed, so a short run would miss the mean.
    probability = hotloop.calibrate(lambda p: reference(p, hours), rates)
    model_runs, reference_runs, plain_runs = [], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        model = GovernmentResponseModel(loaded, seed=1, days=days)
        built = time.perf_counter()
        model.run()
        done = time.perf_counter()
        model_runs.append(
            {"wall_s": done - start, "build_s": built - start, "step_s": done - built}
        )
        del model
        reference_runs.append(reference(probability, hours))
        plain_runs.append(reference(probability, hours, plain=True))
    top: list[str] = []
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(profile)
        top = [line for line in text.getvalue().splitlines() if line.strip()][-profile:]
    return {
        "model": median_of(model_runs),
        "reference": median_of(reference_runs),
        "plain": median_of(plain_runs),
        "rates": vars(rates),
        "probability": probability,
        "phases": phases,
        "probed_s": probed_s,
        "profile": top,
    }


def hotloop_section(args: argparse.Namespace) -> None:
    """The whole model's citizen-hours per second against the bare numpy hot loop's."""
    scenario = args.scenarios[0]
    citizens, days = args.hotloop_citizens, args.days
    print(
        f"\nThe model against a bare numpy hot loop (experiments/hotloop.py): '{scenario}', "
        f"{citizens:,} citizens, {days} days, medians of {args.repeats} alternating runs in "
        f"one process; load average before: {_load()}"
    )
    r = run_child(
        ["hotloop", scenario, str(citizens), str(days), str(args.repeats), str(args.profile)],
        7200,
    )
    rates, model, ref, plain = r["rates"], r["model"], r["reference"], r["plain"]
    hours = days * 24
    print(
        f"rates of the model's run: {rates['needs_per_hour']:.1f} needs/h, "
        f"{rates['posts_per_need']:.3f} posts per need "
        f"({rates['posts_per_need'] * rates['needs_per_hour']:.1f} posts/h, "
        f"{rates['account_share']:.1%} by the account), "
        f"{rates['exposures_per_post']:.0f} exposures/post, "
        f"{rates['reposts_per_exposure']:.4f} reposts/exposure, "
        f"{rates['affecting_share']:.0%} of citizens' posts and "
        f"{rates['account_affecting_share']:.0%} of the account's move trust"
    )
    print(
        f"the reference's own: {ref['needs'] / hours:.1f} needs/h, {ref['posts'] / hours:.1f} "
        f"posts/h, {ref['exposures'] / max(ref['posts'], 1):.0f} exposures/post, "
        f"{ref['reposts'] / max(ref['exposures'], 1):.4f} reposts/exposure "
        f"(base repost probability {r['probability']:.4f}), {ref['nudges'] / hours:,.0f} "
        "trust nudges/h"
    )
    print(
        f"the plain loop's: {plain['needs'] / hours:.1f} needs/h, "
        f"{plain['posts'] / hours:.1f} posts/h, "
        f"{plain['exposures'] / max(plain['posts'], 1):.0f} exposures/post, "
        f"{plain['nudges'] / hours:,.0f} trust nudges/h"
    )
    per = citizens * hours
    print(f"{'':<34}{'seconds':>9}{'cit-h/s':>12}{'of plain':>10}{'of event-driven':>17}")
    rows = [
        ("plain numpy hot loop", plain["seconds"]),
        ("event-driven numpy hot loop", ref["seconds"]),
        ("model, stepping only", model["step_s"]),
        ("model, whole run (build included)", model["wall_s"]),
    ]
    for label, seconds in rows:
        print(
            f"{label:<34}{seconds:>9.2f}{per / seconds:>12.3g}"
            f"{plain['seconds'] / seconds:>9.0%}{ref['seconds'] / seconds:>16.1%}"
        )
    print(
        "plain: the loop as first written (every citizen draws its needs and drifts in trust "
        "every hour; each post spreads on its own); event-driven: the hour's needs as one "
        "Poisson count, trust's drift folded in lazily and every cascade advanced in one "
        "vectorised pass, as the model does (experiments/hotloop.py)"
    )
    total = sum(r["phases"].values())
    print(f"\nwhere the model's time goes (its first run, {r['probed_s']:.2f} s of stepping):")
    for name, seconds in sorted(r["phases"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:<18}{seconds:>7.2f} s {seconds / r['probed_s']:>6.1%}")
    print(f"  {'between phases':<18}{r['probed_s'] - total:>7.2f} s")
    if r["profile"]:
        print("\ncostliest functions of that run (cProfile, own time):")
        for line in r["profile"]:
            print("  " + line)


# --------------------------------------------------------------------------- cost


def child_cost(scenario: str, citizens: int, days: int, need_factor: float, seed: int) -> dict:
    """One run with its need rate scaled by `need_factor`: build, hourly loop, snapshots.

    The snapshots are the `collect` phase (the end of each day's whole-population
    stocks: trust's mean and spread, the item counts); the hourly loop is the rest of
    stepping. Events are the posts started and the exposures they made.
    """
    import hotloop

    from simulation import GovernmentResponseModel, load_scenario

    rate = load_scenario(scenario).population.need_rate_per_day * need_factor
    loaded = load_scenario(
        scenario,
        overrides={"population.citizens": citizens, "population.need_rate_per_day": rate},
    )
    start = time.perf_counter()
    model = GovernmentResponseModel(loaded, seed=seed, days=days)
    built = time.perf_counter()
    probe = hotloop.RateProbe(model)
    phases = _time_phases(model)
    model.run()
    done = time.perf_counter()
    return {
        "build_s": built - start,
        "step_s": done - built,
        "snapshot_s": phases["collect"],
        "hourly_s": done - built - phases["collect"],
        "needs": probe.needs,
        "posts": probe.posts,
        "exposures": probe.exposures,
    }


def _fit(columns: list[list[float]], y: list[float]) -> tuple[list[float], float]:
    """Least squares y = c0 + c1 x1 + c2 x2 + ...: ([c0, c1, ...], R²)."""
    import numpy as np

    ys = np.asarray(y, dtype=float)
    design = np.column_stack([np.ones(len(ys)), *(np.asarray(c, dtype=float) for c in columns)])
    coefficients = np.linalg.lstsq(design, ys, rcond=None)[0]
    residual = ys - design @ coefficients
    spread = float(((ys - ys.mean()) ** 2).sum())
    r2 = 1.0 - float((residual**2).sum()) / spread if spread > 0 else float("nan")
    return [float(c) for c in coefficients], r2


def cost_section(args: argparse.Namespace) -> None:
    """Cost follows events: population at fixed contacts, contacts at fixed population."""
    scenario, days = args.scenarios[0], args.cost_days
    reference = args.cost_reference
    print(
        f"\nCost against events and idle citizens: '{scenario}', {days} days, fresh processes "
        f"(medians of {args.repeats}); load average before: {_load()}"
    )
    print(
        f"(a) the population grows at a fixed number of contacts (the need rate scaled by "
        f"{reference:,} / citizens); (b) the contacts grow at {reference:,} citizens"
    )
    cases = [("a", n, reference / n) for n in args.cost_sizes]
    cases += [
        ("b", reference, f)
        for f in args.cost_factors
        if f != 1.0 or reference not in args.cost_sizes
    ]
    header = f"{'set':<4}{'citizens':>10}{'need x':>8}{'posts':>8}{'exposures':>11}"
    print(header + f"{'build s':>9}{'hourly s':>10}{'snapshots s':>13}")
    rows = []
    for label, citizens, factor in cases:
        runs = [
            run_child(
                ["cost", scenario, str(citizens), str(days), f"{factor:.6g}", str(seed)], 3600
            )
            for seed in range(1, args.repeats + 1)
        ]
        r = median_of(runs)
        rows.append((label, citizens, factor, r))
        print(
            f"{label:<4}{citizens:>10,}{factor:>8.3g}{r['posts']:>8.0f}{r['exposures']:>11,.0f}"
            f"{r['build_s']:>9.2f}{r['hourly_s']:>10.2f}{r['snapshot_s']:>13.3f}"
        )
    hours = days * 24
    posts = [r["posts"] for *_, r in rows]
    exposures = [r["exposures"] for *_, r in rows]
    hourly = [r["hourly_s"] for *_, r in rows]
    (a, b_post, b_exposure), r2 = _fit([posts, exposures], hourly)
    (a1, b1), r21 = _fit([[p + e for p, e in zip(posts, exposures, strict=True)]], hourly)
    print(
        f"\nhourly loop against events, every run: {a:.2f} s + {b_post * 1e6:.0f} µs per post "
        f"+ {b_exposure * 1e6:.3f} µs per exposure, R² {r2:.3f} (one slope for posts and "
        f"exposures alike: {a1:.2f} s + {b1 * 1e6:.2f} µs per event, R² {r21:.3f}; a post "
        "brings its item's whole handling with it)"
    )
    fixed = [(n, r) for label, n, _, r in rows if label == "a"]
    if len(fixed) >= 2:
        sizes = [n for n, _ in fixed]
        beyond = [
            r["hourly_s"] - a - b_post * r["posts"] - b_exposure * r["exposures"] for _, r in fixed
        ]
        (_, per_citizen), r2_idle = _fit([sizes], beyond)
        loop = statistics.median(r["hourly_s"] for _, r in fixed)
        print(
            "the hourly loop beyond its events, against idle citizens (set a): "
            f"{per_citizen * 1e9 / hours:+.3f} ns per citizen-hour (R² {r2_idle:.2f}), "
            f"{per_citizen * (max(sizes) - min(sizes)) / loop:+.1%} of the loop's median time "
            f"from {min(sizes):,} to {max(sizes):,} citizens"
        )
        (_, build), r2_build = _fit([sizes], [r["build_s"] for _, r in fixed])
        (_, snapshot), r2_snapshot = _fit([sizes], [r["snapshot_s"] for _, r in fixed])
        print(
            f"apart: building {build * 1e6:.2f} µs per citizen (R² {r2_build:.3f}); the "
            f"per-day snapshots {snapshot * 1e9 / days:.1f} ns per citizen per day "
            f"(R² {r2_snapshot:.3f})"
        )


if __name__ == "__main__":
    raise SystemExit(main())
