"""The same experiment gives identical tables on every executor (simulation/experiment/executors.py).

Kept small for a shared 2-core machine: two workers, four short runs, one of which fails.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing

import pandas as pd
import pytest

from simulation import Grid, sweep
from simulation.experiment.api import SweepResults
from simulation.experiment.executors import MAX_BATCH, RunTask, batches, describe_executor
from tests.experiment_support import edge_list_scenario, failing_design, tiny


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    return failing_design(tmp_path_factory.mktemp("edges"))


@pytest.fixture(scope="module")
def serial(design):
    return sweep(edge_list_scenario(), design, replications=2, executor="serial")


def assert_same(results, expected) -> None:
    pd.testing.assert_frame_equal(results.runs, expected.runs)
    pd.testing.assert_frame_equal(results.daily, expected.daily)


def test_serial_results_include_the_failed_point(serial):
    assert serial.runs["error"].notna().tolist() == [False, False, True, True]


def test_local_processes_give_identical_results(serial, design):
    results = sweep(edge_list_scenario(), design, replications=2, executor="processes", jobs=2)
    assert_same(results, serial)
    assert multiprocessing.active_children() == [], "worker processes left running"
    # executor=None with several jobs also means local processes.
    assert describe_executor(None, 2) == "processes"
    assert describe_executor(None, None) == describe_executor(None, 1) == "serial"


def test_a_dask_local_cluster_gives_identical_results(serial, design):
    pytest.importorskip("distributed")
    results = sweep(edge_list_scenario(), design, replications=2, executor="dask", jobs=2)
    assert_same(results, serial)
    assert multiprocessing.active_children() == [], "the Dask cluster was not closed"


def test_a_dask_client_and_a_scheduler_address_give_identical_results(serial, design):
    """A client passed in, and a scheduler address; an in-process cluster keeps this quick."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert_same(sweep(edge_list_scenario(), design, replications=2, executor=client), serial)
        assert client.status == "running", "a client passed in must be left open"
        by_address = sweep(
            edge_list_scenario(), design, replications=2, executor=cluster.scheduler_address
        )
        assert_same(by_address, serial)
    assert multiprocessing.active_children() == []


def test_any_concurrent_futures_executor_gives_identical_results(serial, design):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = sweep(edge_list_scenario(), design, replications=2, executor=pool)
        assert_same(results, serial)
        assert pool.submit(int, "3").result() == 3, "an executor passed in is left open"


def test_unknown_executors_and_bad_jobs_are_refused():
    with pytest.raises(ValueError, match="unknown executor 'threads'"):
        describe_executor("threads", None)
    with pytest.raises(TypeError, match="executor must be"):
        describe_executor(42, None)
    with pytest.raises(ValueError, match="jobs"):
        describe_executor("processes", 0)


def test_import_simulation_does_not_import_dask():
    import subprocess
    import sys

    code = (
        "import sys, simulation, simulation.experiment.api, simulation.experiment.executors;"
        "from simulation import run, compare, sweep, Grid, Sobol;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dask', 'distributed', 'solara', 'jupyter', 'SALib'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, f"heavy modules imported: {done.stdout} {done.stderr}"


# A common-random-numbers sweep: both points share each replication's seed, so with the
# graph cache the second point of a seed takes the first one's graph.
CRN_DESIGN = Grid({"staffing.operators": [1, 2]})


@pytest.fixture(scope="module")
def crn_uncached(tmp_path_factory):
    store = tmp_path_factory.mktemp("crn") / "serial"
    return sweep(tiny(), CRN_DESIGN, replications=2, store=store, graph_cache=False)


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_stored_results_are_identical_with_the_graph_cache_on_each_executor(
    executor, crn_uncached, tmp_path
):
    results = sweep(
        tiny(), CRN_DESIGN, replications=2, executor=executor, jobs=2, store=tmp_path / "s"
    )
    assert_same(results, crn_uncached)
    assert_same(SweepResults.load(tmp_path / "s"), crn_uncached)


@pytest.mark.slow
def test_stored_results_are_identical_with_the_graph_cache_on_dask(crn_uncached, tmp_path):
    pytest.importorskip("distributed")
    for graph_cache in (True, False):
        store = tmp_path / f"dask-{graph_cache}"
        results = sweep(
            tiny(),
            CRN_DESIGN,
            replications=2,
            executor="dask",
            jobs=2,
            store=store,
            graph_cache=graph_cache,
        )
        assert_same(results, crn_uncached)
    assert multiprocessing.active_children() == []


def test_runs_of_one_seed_are_batched_together():
    tasks = [RunTask((p, r), tiny(), seed=1 + r) for p in range(5) for r in range(3)]
    work = batches(tasks, workers=2)
    assert sorted(t.key for batch in work for t in batch) == sorted(t.key for t in tasks)
    assert all(len({t.seed for t in batch}) == 1 for batch in work), "a batch mixes seeds"
    assert len(work) >= 2 * 2 - 1, "too few batches to keep two workers busy to the end"
    assert max(len(batch) for batch in batches(tasks * 10, workers=1)) == MAX_BATCH
