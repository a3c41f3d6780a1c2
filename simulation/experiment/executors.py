"""Executors: where the runs of an experiment happen — in this process, local processes, Dask.

Every run is the pure function `run_one(scenario, seed=seed, days=days)`, wrapped by
`execute` so that a run that raises becomes an outcome with its error text instead of
stopping the experiment. `run_tasks` hands a list of `RunTask`s to an executor and
calls back, in this process, with each `RunResult` as it completes; callers put the
outcomes in order by their key, never by completion order, so every executor gives
identical tables.

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
import importlib.util
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from simulation.experiment.store import RunKey
from simulation.progress import progress_tracker
from simulation.runner import RunResult, run_one
from simulation.scenario import Scenario

EXECUTOR_NAMES = ("serial", "processes", "dask")
DASK_EXTRA = "cluster"  # the optional dependency group (pyproject.toml) that brings Dask


@dataclass(frozen=True)
class RunTask:
    """One run to do: `run_one(scenario, seed=seed, days=days)`, identified by `key`.

    `keep_items`: bring the run's item table back (it is dropped otherwise, so sweeps
    do not ship tables they will not keep between processes).
    """

    key: RunKey
    scenario: Scenario
    seed: int
    days: int | None = None
    keep_items: bool = False


def execute(task: RunTask) -> RunResult:
    """Run one task; an exception becomes the result's `error` ("Type: message")."""
    try:
        result = run_one(task.scenario, seed=task.seed, days=task.days)
    except Exception as exc:  # a failing run is recorded, not fatal
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return RunResult.failure(task.key, text or type(exc).__name__)
    result.key = task.key
    result.summary = {name: float(value) for name, value in result.summary.items()}
    if not task.keep_items:
        result.items = None
    result.daily_accounts = None  # experiments keep the daily series' <metric>@<unit> columns
    return result


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
    on_outcome: Callable[[RunResult], None],
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
    """
    kind = describe_executor(executor, jobs)
    with progress_tracker(len(tasks), description, "runs", enabled=progress) as tracker:

        def done(outcome: RunResult) -> None:
            on_outcome(outcome)
            tracker.advance(outcome.ok)

        if not tasks:
            return
        if kind == "serial":
            for task in tasks:
                done(execute(task))
        elif kind == "processes":
            _run_processes(tasks, done, executor, jobs)
        else:
            _run_dask(tasks, done, executor, jobs)


# --------------------------------------------------------------------------- local processes


def _run_processes(
    tasks: Sequence[RunTask],
    done: Callable[[RunResult], None],
    executor: object | None,
    jobs: int | None,
) -> None:
    if isinstance(executor, concurrent.futures.Executor):
        _drain_futures(executor, tasks, done, window=_window(jobs or os.cpu_count() or 1))
        return
    workers = min(jobs or os.cpu_count() or 1, len(tasks))
    context = _process_context()
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        _drain_futures(pool, tasks, done, window=_window(workers))


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
    pool: concurrent.futures.Executor,
    tasks: Sequence[RunTask],
    done: Callable[[RunResult], None],
    window: int,
) -> None:
    """Keep at most `window` tasks in flight; hand each outcome over as it completes."""
    queue = iter(tasks)
    pending = {pool.submit(execute, task) for task in _take(queue, window)}
    while pending:
        finished, pending = concurrent.futures.wait(
            pending, return_when=concurrent.futures.FIRST_COMPLETED
        )
        for future in finished:
            done(future.result())
        pending |= {pool.submit(execute, task) for task in _take(queue, len(finished))}


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


def _run_dask(
    tasks: Sequence[RunTask],
    done: Callable[[RunResult], None],
    executor: object | None,
    jobs: int | None,
) -> None:
    missing = dask_missing()
    if missing:
        raise ModuleNotFoundError(missing, name="distributed")
    from distributed import Client, LocalCluster, as_completed

    owned: list[Any] = []
    try:
        if executor == "dask":
            cluster = LocalCluster(
                n_workers=min(jobs or os.cpu_count() or 1, len(tasks)),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,  # logging.ERROR: no worker chatter on the console
            )
            owned.append(cluster)
            client = Client(cluster)
            owned.append(client)
        elif isinstance(executor, str):
            client = Client(executor)
            owned.append(client)
        else:
            assert isinstance(executor, Client)  # describe_executor said it is one
            client = executor
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        queue = iter(tasks)
        futures = as_completed(
            [client.submit(execute, task, pure=False) for task in _take(queue, _window(workers))]
        )
        for future in futures:
            outcome = future.result()
            future.release()
            done(outcome)
            for task in _take(queue, 1):
                futures.add(client.submit(execute, task, pure=False))
    finally:
        for thing in reversed(owned):
            thing.close()


def _is_dask_client(executor: object) -> bool:
    cls = type(executor)
    return cls.__module__.split(".")[0] == "distributed" and cls.__name__ == "Client"


# --------------------------------------------------------------------------- helpers


def _take(iterator: Iterator[RunTask], n: int) -> Iterable[RunTask]:
    for _ in range(n):
        try:
            yield next(iterator)
        except StopIteration:
            return


def _window(workers: int) -> int:
    """Tasks kept in flight: enough to keep every worker busy, few enough to stay small."""
    return max(2, 2 * workers)


def _check_jobs(jobs: int | None) -> None:
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a positive integer or None, got {jobs!r}")
