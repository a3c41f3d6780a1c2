"""Sweeps written to a store: layout, resume after a kill, refusal of another sweep."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import simulation.experiment.executors
import simulation.experiment.store
import simulation.runner
from simulation import Grid, LatinHypercube, SweepResults, sweep
from simulation.experiment.store import (
    RunStore,
    StoreDamagedError,
    StoreFullError,
    StoreLockedError,
    StoreManifestError,
    StoreMismatchError,
)
from tests.experiment_support import tiny

REPO = Path(__file__).resolve().parent.parent
DESIGN = Grid({"staffing.operators": [1, 2, 3, 4]})


def assert_same(results, expected) -> None:
    pd.testing.assert_frame_equal(results.runs, expected.runs)
    pd.testing.assert_frame_equal(results.daily, expected.daily)


def count_runs(monkeypatch, fail_seed: int | None = None) -> list[int]:
    """Replace run_one in the serial path by a counting wrapper (optionally failing)."""
    calls: list[int] = []
    real = simulation.runner.run_one

    def counted(scenario, seed=None, days=None, progress=None, graph_cache=None):
        calls.append(seed)
        if seed == fail_seed:
            raise RuntimeError(f"seed {seed} fails")
        return real(scenario, seed=seed, days=days, graph_cache=graph_cache)

    monkeypatch.setattr(simulation.experiment.executors, "run_one", counted)
    return calls


def test_a_stored_sweep_has_its_layout_and_loads_as_the_same_results(tmp_path):
    store = tmp_path / "store"
    results = sweep(tiny(), DESIGN, replications=2, store=store)
    manifest = json.loads((store / "manifest.json").read_text())
    assert manifest["replications"] == 2 and manifest["seed"] == 1
    assert manifest["design"] == DESIGN.to_dict()
    assert manifest["scenario_hash"] == tiny().content_hash()
    assert (store / "scenario.toml").exists()
    names = sorted(p.name for p in (store / "runs").iterdir())
    assert names[0] == "p000000-r0000.parquet" and len(names) == 8
    assert len(list((store / "daily").iterdir())) == 8
    assert results.store == store and results.complete
    assert_same(results, sweep(tiny(), DESIGN, replications=2))
    assert_same(SweepResults.load(store), results)
    assert SweepResults.load(store).design == DESIGN


def test_re_running_a_finished_sweep_runs_nothing(tmp_path, monkeypatch):
    store = tmp_path / "store"
    first = sweep(tiny(), DESIGN, replications=2, store=store)
    calls = count_runs(monkeypatch)
    again = sweep(tiny(), DESIGN, replications=2, store=store)
    assert calls == []
    assert_same(again, first)


def test_a_different_sweep_on_the_same_store_is_refused(tmp_path):
    store = tmp_path / "store"
    sweep(tiny(), DESIGN, replications=1, store=store)
    with pytest.raises(StoreMismatchError, match="replications: stored 1, now 2"):
        sweep(tiny(), DESIGN, replications=2, store=store)
    with pytest.raises(StoreMismatchError, match="seed: stored 1, now 7"):
        sweep(tiny(), DESIGN, replications=1, seed=7, store=store)
    with pytest.raises(StoreMismatchError, match="design: stored"):
        sweep(tiny(), Grid({"staffing.operators": [1, 2]}), replications=1, store=store)
    with pytest.raises(StoreMismatchError, match="scenario_hash"):
        sweep(tiny(**{"population.citizens": 600}), DESIGN, replications=1, store=store)
    with pytest.raises(StoreMismatchError, match="delete"):
        sweep(tiny(), LatinHypercube({"staffing.training": (0.0, 0.2)}, 2), store=store)
    other = tmp_path / "not_a_store"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a microgov store"):
        sweep(tiny(), DESIGN, store=other)


def test_failed_runs_are_recorded_and_retried_on_the_next_run(tmp_path, monkeypatch):
    store = tmp_path / "store"
    count_runs(monkeypatch, fail_seed=2)
    first = sweep(tiny(), DESIGN, replications=2, store=store)
    assert first.runs["error"].notna().tolist() == [False, True] * 4
    assert first.runs["error"].dropna().eq("RuntimeError: seed 2 fails").all()
    assert len(list((store / "runs").glob("*.failed.parquet"))) == 4
    assert len(list((store / "daily").iterdir())) == 4
    calls = count_runs(monkeypatch)
    second = sweep(tiny(), DESIGN, replications=2, store=store)
    assert calls == [2, 2, 2, 2], "only the failed runs are redone"
    assert second.runs["error"].isna().all()
    assert not list((store / "runs").glob("*.failed.parquet"))
    assert_same(second, sweep(tiny(), DESIGN, replications=2))


SCRIPT = textwrap.dedent(
    """
    import sys
    import time

    import simulation.experiment.executors as executors
    from simulation import Grid, sweep
    from tests.experiment_support import tiny

    real = executors.run_one

    def slow(*args, **kwargs):  # slow enough to be killed part way through
        time.sleep(0.3)
        return real(*args, **kwargs)

    executors.run_one = slow
    sweep(tiny(), Grid({"staffing.operators": [1, 2, 3, 4]}), replications=3, store=sys.argv[1])
    """
)


def test_a_killed_sweep_resumes_and_matches_an_uninterrupted_one(tmp_path, monkeypatch):
    store = tmp_path / "store"
    script = tmp_path / "interrupted_sweep.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, str(script), str(store)], cwd=REPO, env=env)
    runs_dir = store / "runs"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if runs_dir.is_dir() and len(list(runs_dir.glob("p*.parquet"))) >= 3:
                break
            time.sleep(0.05)
        # A second writer while the first holds the lock: refused, naming the first.
        with pytest.raises(StoreLockedError, match=rf"{store}: .*process {process.pid} on"):
            sweep(tiny(), DESIGN, replications=3, store=store)
        assert process.poll() is None, "the first writer must go on undisturbed"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the sweep finished before it was killed"
    stored = sorted(p.name for p in runs_dir.glob("p*.parquet"))
    assert 3 <= len(stored) < 12, stored
    # What a kill between two renames or during a write leaves behind.
    (runs_dir / stored[-1]).unlink()  # a daily part whose runs part never came
    (runs_dir / f".{stored[0]}.999.tmp").write_bytes(b"half a parquet file")
    assert (store / "daily" / stored[-1]).exists()
    damaged = store / "daily" / stored[1]  # and a finished run whose daily part is cut short
    damaged.write_bytes(damaged.read_bytes()[:100])

    calls = count_runs(monkeypatch)
    resumed = sweep(tiny(), DESIGN, replications=3, store=store)  # the lock died with it
    assert len(calls) == 12 - (len(stored) - 2), "finished runs must not be redone"
    assert "set aside" in resumed.notes[0] and (store / "quarantine").is_dir()
    keys = list(zip(resumed.runs["point"], resumed.runs["replication"], strict=True))
    assert sorted(keys) == [(p, r) for p in range(4) for r in range(3)], "each run once"
    assert not [p.name for p in runs_dir.iterdir() if p.name.startswith(".")]
    assert_same(resumed, sweep(tiny(), DESIGN, replications=3))


# --------------------------------------------------------------------------- damaged stores

SMALL = Grid({"staffing.operators": [1, 2, 3]})  # 3 points × 2 replications: 6 quick runs


def _csv_bytes(results) -> tuple[bytes, bytes]:
    """The runs and daily tables as a sweep writes them (CSV bytes)."""
    return (
        results.runs.to_csv(index=False).encode(),
        results.daily.to_csv(index=False).encode(),
    )


@pytest.fixture(scope="module")
def uninterrupted():
    return sweep(tiny(), SMALL, replications=2)


def _truncate(path: Path, _: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path: Path, _: Path) -> None:
    path.write_bytes(b"not a parquet file at all" * 40)


def _flip_a_byte(path: Path, _: Path) -> None:
    """One byte of a data page changed: the file's structure is whole, a value is not."""
    column = pq.ParquetFile(path).metadata.row_group(0).column(0)
    last_byte_of_its_pages = column.data_page_offset + column.total_compressed_size - 1
    data = bytearray(path.read_bytes())
    data[last_byte_of_its_pages] ^= 0xFF
    path.write_bytes(bytes(data))


def _copy_other_run(path: Path, _: Path) -> None:
    """Another run's part copied under this run's name (a duplicate and a missing run)."""
    other = path.with_name("p000000-r0000.parquet")
    path.write_bytes(other.read_bytes())


def _foreign_part(path: Path, elsewhere: Path) -> None:
    """The same run's part from another sweep's store (another seed)."""
    path.write_bytes((elsewhere / path.parent.name / path.name).read_bytes())


DAMAGES = {
    "truncated runs part": ("runs", _truncate),
    "garbage daily part": ("daily", _garbage),
    "one byte changed in a daily part": ("daily", _flip_a_byte),
    "another run's part under this name": ("runs", _copy_other_run),
    "another run's daily part under this name": ("daily", _copy_other_run),
    "a part of another sweep": ("runs", _foreign_part),
}


@pytest.fixture(scope="module")
def other_sweep_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("other") / "store"
    sweep(tiny(), SMALL, replications=2, seed=9, store=store)
    return store


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_a_damaged_part_is_set_aside_and_run_again(
    tmp_path, monkeypatch, damage, uninterrupted, other_sweep_store
):
    store = tmp_path / "store"
    sweep(tiny(), SMALL, replications=2, store=store)
    folder, harm = DAMAGES[damage]
    victim = store / folder / "p000002-r0001.parquet"
    harm(victim, other_sweep_store)

    with pytest.raises(StoreDamagedError, match=r"p000002-r0001\.parquet.*--resume"):
        SweepResults.load(store)  # read as it is: refused, never taken for a run

    calls = count_runs(monkeypatch)
    resumed = sweep(tiny(), SMALL, replications=2, store=store)
    assert calls == [2], "only the damaged run (seed 2: replication 1) is done again"
    assert len(resumed.notes) == 1 and "1 run(s) set aside in" in resumed.notes[0]
    quarantined = list((store / "quarantine").rglob("*.parquet"))
    assert {p.name for p in quarantined} == {"p000002-r0001.parquet"}
    assert {p.parent.name for p in quarantined} == {"runs", "daily"}, "the whole run is moved"
    assert _csv_bytes(resumed) == _csv_bytes(uninterrupted), "byte-identical to an unbroken sweep"
    assert _csv_bytes(SweepResults.load(store)) == _csv_bytes(uninterrupted)
    assert sweep(tiny(), SMALL, replications=2, store=store).notes == [], "repaired for good"


def test_a_store_of_format_1_without_part_records_still_resumes(tmp_path, uninterrupted):
    store = tmp_path / "store"
    sweep(tiny(), SMALL, replications=2, store=store)
    for path in [*(store / "runs").iterdir(), *(store / "daily").iterdir()]:
        table = pq.read_table(path)
        pq.write_table(table.replace_schema_metadata(None), path)  # as format 1 wrote them
    manifest = json.loads((store / "manifest.json").read_text())
    (store / "manifest.json").write_text(json.dumps({**manifest, "format": 1}))
    resumed = sweep(tiny(), SMALL, replications=2, store=store)
    assert resumed.notes == []
    assert _csv_bytes(resumed) == _csv_bytes(uninterrupted)


# --------------------------------------------------------------------------- one writer


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path):
    store = tmp_path / "store"
    manifest = {k: None for k in ("scenario_hash", "design", "points", "replications", "seed")}
    manifest.update(scenario_hash="x", design={}, points=[], replications=1, seed=1, days=None)
    with RunStore.open(store, manifest) as first:
        (first.runs_dir / ".p000000-r0000.parquet.123-ab.tmp").write_bytes(b"in flight")
        with pytest.raises(StoreLockedError, match=rf"{store}.*process {os.getpid()} on"):
            RunStore.open(store, manifest)
        assert (first.runs_dir / ".p000000-r0000.parquet.123-ab.tmp").exists(), (
            "the refused writer must not touch the first one's files"
        )
    RunStore.open(store, manifest).close()  # released by close


# --------------------------------------------------------------------------- manifests


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"format": 2, "design": {}}', "missing field"),
        (None, "replications: expected an integer of at least 1"),
        (None, "format: 99 is newer"),
    ],
)
def test_an_invalid_manifest_is_a_clean_error_naming_the_file(tmp_path, content, expected):
    store = tmp_path / "store"
    sweep(tiny(), SMALL, replications=1, store=store)
    path = store / "manifest.json"
    if content is None:
        manifest = json.loads(path.read_text())
        bad = {"replications": "two"} if "replications" in expected else {"format": 99}
        content = json.dumps({**manifest, **bad})
    path.write_text(content)
    with pytest.raises(StoreManifestError, match=rf"{path}: {expected}"):
        sweep(tiny(), SMALL, replications=1, store=store)
    with pytest.raises(StoreManifestError, match=expected):
        SweepResults.load(store)


# --------------------------------------------------------------------------- full disk, fsync


def test_a_full_disk_is_reported_as_such_and_the_sweep_resumes_after(
    tmp_path, monkeypatch, uninterrupted
):
    store = tmp_path / "store"
    real = pq.write_table
    written: list[int] = []

    def fills_up(table, where, **kwargs):
        if len(written) >= 5:  # the disk fills up part way through the sweep
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(1)
        return real(table, where, **kwargs)

    monkeypatch.setattr(simulation.experiment.store.pq, "write_table", fills_up)
    with pytest.raises(StoreFullError, match=rf"{store}: the disk is full.*--resume") as caught:
        sweep(tiny(), SMALL, replications=2, store=store)
    assert "No space left on device" in str(caught.value)
    assert not [p for p in store.rglob(".*.tmp")], "no temporary file left behind"
    monkeypatch.setattr(simulation.experiment.store.pq, "write_table", real)
    assert len(RunStore(store).completed()) == 2, "the runs finished before are kept"
    assert _csv_bytes(sweep(tiny(), SMALL, replications=2, store=store)) == _csv_bytes(
        uninterrupted
    )


def test_a_quota_exceeded_is_a_full_disk_too(tmp_path, monkeypatch):
    def over_quota(*args, **kwargs):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr(simulation.experiment.store.pq, "write_table", over_quota)
    with pytest.raises(StoreFullError, match="the disk quota is exceeded"):
        sweep(tiny(), SMALL, replications=1, store=tmp_path / "store")


def test_parts_are_fsynced_with_their_folder_around_the_rename(tmp_path, monkeypatch):
    store = tmp_path / "store"
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):
        events.append("fsync-folder" if os.path.isdir(f"/proc/self/fd/{descriptor}") else "fsync")
        return real_fsync(descriptor)

    def replace(source, target):
        events.append("replace")
        return real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    sweep(tiny(), Grid({"staffing.operators": [1]}), replications=1, store=store)
    # manifest, scenario, daily part, runs part: each fsync → replace → fsync of the folder
    assert events == ["fsync", "replace", "fsync-folder"] * 4
