"""A sweep's results on disk, written run by run, so an interrupted sweep resumes.

Layout of a store directory:

    manifest.json                     what sweep this is (see below)
    scenario.toml                     the base scenario, fully resolved
    runs/p000003-r0001.parquet        one row: design point 3, replication 1, finished
    runs/p000004-r0000.failed.parquet one row: a run that raised (its error, no metrics)
    daily/p000003-r0001.parquet       the daily series of a finished run
    items/p000003-r0001.parquet       its item table (only a sweep that keeps items)

Every part is written to a hidden temporary name in its folder and renamed into place
(`os.replace`, atomic), so a killed process leaves whole parts or none; leftover
temporary files are removed when the store is next opened. A finished run writes its
daily (and item) part first and its runs part last: the runs part is the mark of a
finished run.

The manifest records the base scenario's hash, the design (and its points), the number
of replications, the root seed and the days. Opening a store with the same sweep
resumes it: finished runs are skipped, failed and missing runs are done. Opening it with
a different sweep raises `StoreMismatchError` saying what differs. One process writes
to a store at a time.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from simulation import __version__
from simulation.format import json_text

RunKey = tuple[int, int]  # (variant or design point index, replication): one run

MANIFEST = "manifest.json"
SCENARIO_FILE = "scenario.toml"
RUNS_DIR = "runs"
DAILY_DIR = "daily"
ITEMS_DIR = "items"
FORMAT = 1
# Manifest fields that make two sweeps the same sweep.
# ("items": true only in a sweep that keeps item tables, so older stores still match.)
IDENTITY = ("scenario_hash", "design", "points", "replications", "seed", "days", "items")
OPTIONAL_IDENTITY = ("items",)

_PART = re.compile(r"^p(\d+)-r(\d+)(\.failed)?\.parquet$")


class StoreMismatchError(ValueError):
    """The store holds results of another sweep than the one asked for."""


class RunStore:
    """A store directory of one sweep; see the module docstring for its layout.

    Use `RunStore.open(path, manifest)` to create or resume, `RunStore(path)` to read.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.runs_dir = self.path / RUNS_DIR
        self.daily_dir = self.path / DAILY_DIR
        self.items_dir = self.path / ITEMS_DIR

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls, path: str | os.PathLike, manifest: Mapping[str, Any], scenario_toml: str = ""
    ) -> RunStore:
        """Create a store for this sweep, or reopen the store of the same sweep.

        Parameters:
            path: the store directory (created if missing).
            manifest: the sweep's identity (at least the IDENTITY fields) and any
                descriptive fields (scenario name, parameters…); JSON-safe.
            scenario_toml: the base scenario as TOML, saved next to the manifest.

        Raises StoreMismatchError if the directory holds another sweep, and
        FileExistsError if it is a non-empty directory that is not a store.
        """
        store = cls(path)
        wanted = _json_roundtrip(dict(manifest))
        missing = [k for k in IDENTITY if k not in wanted and k not in OPTIONAL_IDENTITY]
        if missing:
            raise ValueError(f"a store manifest needs {', '.join(missing)}")
        manifest_path = store.path / MANIFEST
        if manifest_path.exists():
            stored = store.manifest()
            differences = _differences(stored, wanted)
            if differences:
                raise StoreMismatchError(
                    f"{store.path} holds the results of a different sweep "
                    f"({'; '.join(differences)}). Use another store directory for this "
                    f"sweep, or delete {store.path} to start it again."
                )
        else:
            if store.path.exists() and not store.path.is_dir():
                raise FileExistsError(f"{store.path} is a file, not a store directory")
            if store.path.exists() and any(store.path.iterdir()):
                raise FileExistsError(
                    f"{store.path} is not empty and has no {MANIFEST}: not a microgov store; "
                    "give an empty or new directory"
                )
            store.path.mkdir(parents=True, exist_ok=True)
            record = {
                "format": FORMAT,
                "kind": "sweep",
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "version": __version__,
                **wanted,
            }
            _write_text_atomic(manifest_path, json_text(record))
            if scenario_toml:
                _write_text_atomic(store.path / SCENARIO_FILE, scenario_toml)
        store.runs_dir.mkdir(exist_ok=True)
        store.daily_dir.mkdir(exist_ok=True)
        store._remove_leftovers()
        return store

    def manifest(self) -> dict[str, Any]:
        """The manifest as stored."""
        path = self.path / MANIFEST
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"{self.path} is not a microgov store: no {MANIFEST}") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from None

    # ------------------------------------------------------------------ status

    def completed(self) -> set[RunKey]:
        """Keys (point, replication) of runs that finished."""
        return {key for key, failed in self._parts() if not failed}

    def failed(self) -> set[RunKey]:
        """Keys of runs whose last attempt raised (and that have not finished since)."""
        done = self.completed()
        return {key for key, failed in self._parts() if failed and key not in done}

    # ------------------------------------------------------------------ writing

    def write(
        self, key: RunKey, runs: pa.Table, daily: pa.Table | None, items: pa.Table | None = None
    ) -> None:
        """Store one run: its daily (and item) part, if it finished, then its runs part.

        A run with a daily series is a finished run; one without is a failed run,
        recorded in a `.failed` part that a later success replaces.
        """
        name = _part_name(key)
        if daily is not None:
            _write_table_atomic(self.daily_dir / name, daily)
            if items is not None:
                self.items_dir.mkdir(exist_ok=True)
                _write_table_atomic(self.items_dir / name, items)
            _write_table_atomic(self.runs_dir / name, runs)
            (self.runs_dir / _part_name(key, failed=True)).unlink(missing_ok=True)
        else:
            _write_table_atomic(self.runs_dir / _part_name(key, failed=True), runs)

    # ------------------------------------------------------------------ reading

    def read(self) -> tuple[list[tuple[RunKey, pa.Table]], list[tuple[RunKey, pa.Table]]]:
        """Every stored run's runs row and every finished run's daily series, by key."""
        done = self.completed()
        runs: dict[RunKey, pa.Table] = {}
        daily: dict[RunKey, pa.Table] = {}
        for key, failed in self._parts():
            if failed and key in done:
                continue
            runs[key] = _read_table(self.runs_dir / _part_name(key, failed))
            if not failed:
                daily[key] = _read_table(self.daily_dir / _part_name(key))
        return sorted(runs.items()), sorted(daily.items())

    def read_items(self) -> list[tuple[RunKey, pa.Table]]:
        """The item tables of finished runs that kept them, by key."""
        done = self.completed()
        found = []
        for key in sorted(done):
            path = self.items_dir / _part_name(key)
            if path.exists():
                found.append((key, _read_table(path)))
        return found

    # ------------------------------------------------------------------ internals

    def _parts(self) -> list[tuple[RunKey, bool]]:
        if not self.runs_dir.is_dir():
            return []
        parts = []
        for entry in os.scandir(self.runs_dir):
            match = _PART.match(entry.name)
            if match:
                key = (int(match.group(1)), int(match.group(2)))
                parts.append((key, bool(match.group(3))))
        return sorted(parts)

    def _remove_leftovers(self) -> None:
        """Temporary files of a writer that was killed, and daily parts without a run."""
        done = self.completed()
        folders = [f for f in (self.runs_dir, self.daily_dir, self.items_dir) if f.is_dir()]
        for folder in folders:
            for entry in os.scandir(folder):
                if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                    os.unlink(entry.path)
        for folder in folders[1:]:
            for entry in os.scandir(folder):
                match = _PART.match(entry.name)
                if match and (int(match.group(1)), int(match.group(2))) not in done:
                    os.unlink(entry.path)


def _part_name(key: RunKey, failed: bool = False) -> str:
    point, replication = key
    return f"p{point:06d}-r{replication:04d}{'.failed' if failed else ''}.parquet"


def _write_table_atomic(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _read_table(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise OSError(f"cannot read store part {path}: {exc}") from None


def _json_roundtrip(value: Any) -> Any:
    """The value as it reads back from JSON (tuples become lists), for comparisons."""
    return json.loads(json_text(value))


def _differences(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    out = []
    for key in IDENTITY:
        old, new = stored.get(key), wanted.get(key)
        if old == new:
            continue
        if key == "points" and stored.get("design") == wanted.get("design"):
            out.append("the same design now gives other points (another SciPy or SALib?)")
        elif key == "points":
            continue  # the design differs, which is said already
        elif key == "design":
            out.append(f"design: stored {_short(old)}, now {_short(new)}")
        else:
            out.append(f"{key}: stored {old!r}, now {new!r}")
    return out


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
