"""Executors: where the runs of an experiment happen — in this process, local processes, Dask.

Every run is the pure function `run_one(scenario, seed=seed, days=days)`, wrapped by
`execute` so that a run that raises becomes an outcome with its error text instead of
stopping the experiment, and so that the worker makes the run's result tables
(`TaskOutcome`: Arrow tables, small to send back). `run_tasks` hands a list of
`RunTask`s to an executor and calls back, in this process, with each outcome as it
completes; callers put the outcomes in order by their key, never by completion order,
so every executor gives identical tables.

How the work is shared out (so that a run pays no cost it could share):

- tasks go in batches (`batches`), the runs of one seed together, at most MAX_BATCH a
  batch: a worker does a batch's runs one after another, and the design points of a
  seed take its follower graph from the worker's cache (`simulation.graph_cache`,
  unless `RunTask.graph_cache` is False) instead of building it again;
- local processes are forked from a fork server that imported the model once, so a
  worker starts with its imports done; one pool serves the whole experiment;
- a LocalCluster's workers import the model when the cluster starts
  (`start_local_cluster`), each distinct scenario is sent to the cluster once
  (scattered), and batches name it instead of carrying it.

Executors (the `executor` argument of `run`, `compare` and `sweep`):

- `None`: in this process when `jobs` is None or 1, else local processes;
- `"serial"`: in this process, one run after another;
- `"processes"`: a `concurrent.futures.ProcessPoolExecutor` with `jobs` workers (default:
  the number of CPUs), forked from a fork server that imports the model once ("spawn"
  where there is no fork server, on Windows);
- `"dask"`: a `distributed.LocalCluster` with `jobs` single-threaded worker processes,
  started for the experiment and closed afterwards;
- a `distributed.Client`: its cluster (left open);
- a scheduler address such as `"tcp://host:8786"`: a client connected to it for the
  experiment;
- any `concurrent.futures.Executor` instance (left open).

Dask is imported only on the Dask path (`import simulation` never imports it); it comes
with the `cluster` extra (`pip install 'microgov[cluster]'`), and without it the Dask
path says so (`dask_missing`) instead of failing on the import. A Dask client runs what
its scheduler sends back, so connect only to schedulers of clusters you control. Local
processes and Dask start fresh interpreters that import the script that started them:
a script using them must guard its top level with `if __name__ == "__main__":`.
A worker process that dies (rather than a run that raises) stops the experiment; with a
store, what finished is kept and re-running resumes.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib.util
import math
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from simulation.experiment.store import RunKey
from simulation.experiment.tables import item_tables, run_tables
from simulation.graph_cache import WORKER_GRAPHS
from simulation.progress import progress_tracker
from simulation.runner import RunResult, run_one
from simulation.scenario import Scenario

EXECUTOR_NAMES = ("serial", "processes", "dask")
DASK_EXTRA = "cluster"  # the optional dependency group (pyproject.toml) that brings Dask
# Runs a worker is handed at a time, at most: enough to share a seed's graph and to
# make a task's overhead (a few ms on Dask) small beside its runs, few enough that an
# interrupted sweep loses little and progress moves often.
MAX_BATCH = 8
BATCHES_PER_WORKER = 4  # batches per worker at least, when there are runs enough (balance)


@dataclass(frozen=True)
class RunTask:
    """One run to do: `run_one(scenario, seed=seed, days=days)`, identified by `key`.

    `keep_items`: bring the run's item table back (it is dropped otherwise, so sweeps
    do not ship tables they will not keep between processes). `labels`: the columns
    its tables carry after the replication (for sweeps the point and its parameter
    values; `simulation.experiment.tables.run_tables`). `graph_cache`: take the
    follower graph from the worker's cache of graphs (`simulation.graph_cache`); the
    outcome is the same either way.
    """

    key: RunKey
    scenario: Scenario
    seed: int
    days: int | None = None
    keep_items: bool = False
    labels: Mapping[str, Any] | None = None
    graph_cache: bool = True


@dataclass
class TaskOutcome:
    """A run's tables, made in the worker (`simulation.experiment.tables`).

    `runs` is its one-row runs table, `daily` its daily series (None for a run that
    raised), `items` its item table (None unless kept), `error` what it raised.
    """

    key: RunKey
    runs: pa.Table
    daily: pa.Table | None
    items: pa.Table | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the run finished."""
        return self.error is None


def execute(task: RunTask) -> TaskOutcome:
    """Run one task and make its tables; an exception becomes its `error` ("Type: message")."""
    graphs = WORKER_GRAPHS if task.graph_cache else None
    try:
        result = run_one(task.scenario, seed=task.seed, days=task.days, graph_cache=graphs)
    except Exception as exc:  # a failing run is recorded, not fatal
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        result = RunResult.failure(task.key, text or type(exc).__name__)
    replication = task.key[1]
    runs, daily = run_tables(result, task.scenario, task.seed, replication, task.labels)
    items = item_tables(result, replication, task.labels) if task.keep_items else None
    return TaskOutcome(task.key, runs, daily, items, result.error)


def execute_batch(tasks: Sequence[RunTask]) -> list[TaskOutcome]:
    """Run tasks one after another in this worker (they share its graph cache)."""
    return [execute(task) for task in tasks]


def batches(tasks: Sequence[RunTask], workers: int) -> list[list[RunTask]]:
    """The tasks in batches for `workers` workers, runs of one seed together.

    Grouped by seed, so the design points of a common-random-numbers sweep that share a
    seed go to one worker and reuse its graph; each group cut into batches of at most
    MAX_BATCH runs, and at least BATCHES_PER_WORKER batches a worker where there are
    runs enough, so that no worker is left with a long batch at the end.
    """
    size = max(1, min(MAX_BATCH, math.ceil(len(tasks) / (workers * BATCHES_PER_WORKER))))
    by_seed: dict[int, list[RunTask]] = {}
    for task in tasks:
        by_seed.setdefault(task.seed, []).append(task)
    return [
        group[i : i + size]
        for _, group in sorted(by_seed.items())
        for i in range(0, len(group), size)
    ]


def describe_executor(executor: str | object | None, jobs: int | None) -> str:
    """The executor that `run_tasks` will use, as a name ("serial", "processes", "dask")."""
    _check_jobs(jobs)
    if executor is None:
        return "serial" if jobs in (None, 1) else "processes"
    if isinstance(executor, str):
        if executor in EXECUTOR_NAMES:
            return executor
        if "://" in executor:
            return "dask"
        raise ValueError(
            f"unknown executor {executor!r}; use 'serial', 'processes', 'dask', a "
            "distributed.Client, a scheduler address such as 'tcp://host:8786', or a "
            "concurrent.futures.Executor"
        )
    if isinstance(executor, concurrent.futures.Executor):
        return "processes"
    if _is_dask_client(executor):
        return "dask"
    raise TypeError(
        f"executor must be a name, a scheduler address, a distributed.Client or a "
        f"concurrent.futures.Executor, got {type(executor).__name__}"
    )


def run_tasks(
    tasks: Sequence[RunTask],
    on_outcome: Callable[[TaskOutcome], None],
    executor: str | object | None = None,
    jobs: int | None = None,
    progress: bool = False,
    description: str = "runs",
) -> None:
    """Do every task on the chosen executor, calling `on_outcome` here as each completes.

    Parameters:
        tasks: the runs to do.
        on_outcome: called in this process with each outcome, in completion order.
        executor, jobs: see the module docstring.
        progress: show progress on stderr (`simulation.progress`): a bar counting runs
            on a terminal, else a plain line per few per cent, with elapsed time and ETA.
        description: what the bar or line says first.

    Parallel executors get the tasks in batches (`batches`): a worker does a batch's
    runs one after another, with its imports done and its graph cache warm, and sends
    back their tables (`TaskOutcome`) together.
    """
    kind = describe_executor(executor, jobs)
    with progress_tracker(len(tasks), description, "runs", enabled=progress) as tracker:

        def done(outcomes: list[TaskOutcome]) -> None:
            for outcome in outcomes:
                on_outcome(outcome)
                tracker.advance(outcome.ok)

        if not tasks:
            return
        try:
            if kind == "serial":  # in seed order, each outcome handed over as it ends
                for batch in batches(tasks, 1):
                    for task in batch:
                        done([execute(task)])
            elif kind == "processes":
                _run_processes(tasks, done, executor, jobs)
            else:
                _run_dask(tasks, done, executor, jobs)
        finally:
            WORKER_GRAPHS.clear()  # this process keeps no graphs after the experiment


Done = Callable[[list[TaskOutcome]], None]


# --------------------------------------------------------------------------- local processes


def _run_processes(
    tasks: Sequence[RunTask], done: Done, executor: object | None, jobs: int | None
) -> None:
    if isinstance(executor, concurrent.futures.Executor):
        workers = jobs or os.cpu_count() or 1
        _drain_futures(executor, batches(tasks, workers), done, window=_window(workers))
        return
    work = batches(tasks, min(jobs or os.cpu_count() or 1, len(tasks)))
    workers = min(jobs or os.cpu_count() or 1, len(work))
    context = _process_context()
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        _drain_futures(pool, work, done, window=_window(workers))


def _process_context() -> multiprocessing.context.BaseContext:
    """A fork server that has imported the model once, where there is one; else spawn.

    Workers forked from the server start in a fraction of a second instead of importing
    numpy, pandas and Mesa each; unlike plain fork, the server has no threads of ours.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def _drain_futures(
    pool: concurrent.futures.Executor, work: list[list[RunTask]], done: Done, window: int
) -> None:
    """Keep at most `window` batches in flight; hand each batch's outcomes over as it ends."""
    queue = iter(work)
    pending = {pool.submit(execute_batch, batch) for batch in _take(queue, window)}
    while pending:
        finished, pending = concurrent.futures.wait(
            pending, return_when=concurrent.futures.FIRST_COMPLETED
        )
        for future in finished:
            done(future.result())
        pending |= {pool.submit(execute_batch, batch) for batch in _take(queue, len(finished))}


# --------------------------------------------------------------------------- Dask


def dask_missing() -> str | None:
    """What to install when Dask's `distributed` is not there (else None)."""
    try:
        found = importlib.util.find_spec("distributed") is not None
    except (ImportError, ValueError):
        found = False
    if found:
        return None
    return (
        "running on Dask needs the 'distributed' package, which is not installed: "
        f"pip install 'microgov[{DASK_EXTRA}]'"
    )


def start_local_cluster(workers: int) -> tuple[Any, Any]:
    """A `distributed.LocalCluster` of `workers` single-threaded processes, and its client.

    Its workers have imported the model (`warm_worker`) before this returns, so the
    first runs do not pay for it. Close the client, then the cluster.
    """
    missing = dask_missing()
    if missing:
        raise ModuleNotFoundError(missing, name="distributed")
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,  # logging.ERROR: no worker chatter on the console
    )
    try:
        client = Client(cluster)
        client.run(warm_worker)
    except BaseException:
        cluster.close()
        raise
    return cluster, client


def warm_worker() -> int:
    """Import the model and the result tables in this worker (once; later calls are free)."""
    import simulation.experiment.executors  # noqa: F401  (the runner, model, tables)

    return os.getpid()


def _run_dask(
    tasks: Sequence[RunTask], done: Done, executor: object | None, jobs: int | None
) -> None:
    missing = dask_missing()
    if missing:
        raise ModuleNotFoundError(missing, name="distributed")
    from distributed import Client, as_completed

    owned: list[Any] = []
    try:
        if executor == "dask":
            cluster, client = start_local_cluster(min(jobs or os.cpu_count() or 1, len(tasks)))
            owned.extend([cluster, client])
        elif isinstance(executor, str):
            client = Client(executor)
            owned.append(client)
        else:
            assert isinstance(executor, Client)  # describe_executor said it is one
            client = executor
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        # Each scenario goes to the cluster once; batches name it by its future.
        distinct = list({id(task.scenario): task.scenario for task in tasks}.values())
        shared = dict(zip(map(id, distinct), client.scatter(distinct, hash=False), strict=True))

        def submit(batch: list[RunTask]) -> Any:
            specs = [_without_scenario(task) for task in batch]
            scenarios = [shared[id(task.scenario)] for task in batch]
            return client.submit(_execute_shared, specs, scenarios, pure=False)

        queue = iter(batches(tasks, workers))
        futures = as_completed([submit(batch) for batch in _take(queue, _window(workers))])
        for future in futures:
            outcomes = future.result()
            future.release()
            done(outcomes)
            for batch in _take(queue, 1):
                futures.add(submit(batch))
    finally:
        for thing in reversed(owned):
            thing.close()


def _without_scenario(task: RunTask) -> dict[str, Any]:
    """A task's fields but its scenario (sent to the cluster once, apart)."""
    return {f.name: getattr(task, f.name) for f in dataclasses.fields(task) if f.name != "scenario"}


def _execute_shared(specs: list[dict[str, Any]], scenarios: list[Scenario]) -> list[TaskOutcome]:
    """`execute_batch` of tasks sent without their scenarios, which came scattered."""
    tasks = [
        RunTask(scenario=scenario, **spec) for spec, scenario in zip(specs, scenarios, strict=True)
    ]
    return execute_batch(tasks)


def _is_dask_client(executor: object) -> bool:
    cls = type(executor)
    return cls.__module__.split(".")[0] == "distributed" and cls.__name__ == "Client"


# --------------------------------------------------------------------------- helpers


def _take(iterator: Iterator[Any], n: int) -> Iterable[Any]:
    for _ in range(n):
        try:
            yield next(iterator)
        except StopIteration:
            return


def _window(workers: int) -> int:
    """Batches kept in flight: enough to keep every worker busy, few enough to stay small."""
    return max(2, 2 * workers)


def _check_jobs(jobs: int | None) -> None:
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a positive integer or None, got {jobs!r}")
