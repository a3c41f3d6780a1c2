"""A sweep's results on disk, written run by run, so an interrupted sweep resumes.

Layout of a store directory:

    manifest.json                     what sweep this is (see below)
    scenario.toml                     the base scenario, fully resolved
    .lock                             held (flock) by the one process writing the store
    runs/p000003-r0001.parquet        one row: design point 3, replication 1, finished
    runs/p000004-r0000.failed.parquet one row: a run that raised (its error, no metrics)
    daily/p000003-r0001.parquet       the daily series of a finished run
    items/p000003-r0001.parquet       its item table (only a sweep that keeps items)
    quarantine/<time>/…               damaged or foreign parts set aside on resuming

Every part is written to a hidden temporary file in its folder, fsynced and renamed
into place (`os.replace`, atomic; `simulation.safe_write`), so a killed process leaves
whole parts or none; leftover temporary files are removed when the store is next
opened. A finished run writes its daily (and item) part first and its runs part last:
the runs part is the mark of a finished run.

Each part carries, in its Parquet metadata, the run it belongs to, what it is (runs,
daily, items) and the sweep's identity, and Parquet page checksums. Reading a part
checks all of this, so a part copied under another run's name, a part of another
sweep, or a truncated or garbled file is never taken for a run's results. Opening the
store to resume checks every part; those that fail are moved to `quarantine/` and
their runs are done again (`RunStore.set_aside` says which).

The manifest records the base scenario's hash, the design (and its points), the number
of replications, the root seed and the days. Opening a store with the same sweep
resumes it: finished runs are skipped, failed and missing runs are done. Opening it with
a different sweep raises `StoreMismatchError` saying what differs. One process writes
to a store at a time: `RunStore.open` takes an exclusive lock on the store's `.lock`
file (released by `close`, or by the system when the process dies) and a second writer
gets `StoreLockedError`. A full disk is `StoreFullError`; an unreadable manifest
`StoreManifestError`; a damaged part found when reading `StoreDamagedError`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from simulation import __version__
from simulation.format import json_text
from simulation.safe_write import OutputDir, OutputError, is_temporary
from simulation.scenario.errors import ScenarioError

RunKey = tuple[int, int]  # (variant or design point index, replication): one run

MANIFEST = "manifest.json"
SCENARIO_FILE = "scenario.toml"
LOCK_FILE = ".lock"
RUNS_DIR = "runs"
DAILY_DIR = "daily"
ITEMS_DIR = "items"
QUARANTINE_DIR = "quarantine"
# 2: parts carry their run, kind and sweep in their metadata, with page checksums.
# Stores of format 1 (parts without metadata) are still read and resumed.
FORMAT = 2
# Manifest fields that make two sweeps the same sweep.
# ("items": true only in a sweep that keeps item tables, so older stores still match.)
IDENTITY = ("scenario_hash", "design", "points", "replications", "seed", "days", "items")
OPTIONAL_IDENTITY = ("items",)
PART_METADATA = b"microgov.part"  # key of a part's own record in its Parquet metadata

_PART = re.compile(r"^p(\d+)-r(\d+)(\.failed)?\.parquet$")


class StoreMismatchError(ValueError):
    """The store holds results of another sweep than the one asked for."""


class StoreError(ScenarioError):
    """A store that cannot be used as it is; `source` is the store (or its file)."""


class StoreLockedError(StoreError):
    """Another process is writing to the store."""


class StoreFullError(StoreError):
    """The disk (or the quota) holding the store is full."""


class StoreManifestError(StoreError, ValueError):
    """The store's manifest is missing, not JSON, or not a manifest."""


class StoreDamagedError(StoreError):
    """A part of the store is damaged or belongs to another run or sweep."""


class RunStore:
    """A store directory of one sweep; see the module docstring for its layout.

    Use `RunStore.open(path, manifest)` to create or resume (it locks the store until
    `close`; also a context manager), `RunStore(path)` to read.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.runs_dir = self.path / RUNS_DIR
        self.daily_dir = self.path / DAILY_DIR
        self.items_dir = self.path / ITEMS_DIR
        self.set_aside: list[Path] = []  # parts moved to quarantine/ when opened
        self.set_aside_runs: list[RunKey] = []  # the runs they belonged to (done again)
        self.notes: list[str] = []  # what opening the store did or could not do
        self._lock: IO[str] | None = None
        self._folder = OutputDir(self.path)
        self._sweep_id: str | None = None
        self._format_number: int | None = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

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

        Raises StoreMismatchError if the directory holds another sweep, FileExistsError
        if it is a non-empty directory that is not a store, StoreLockedError if another
        process is writing to it, StoreManifestError if its manifest cannot be read.
        Damaged or foreign parts are set aside (`set_aside`) and their runs redone.
        """
        store = cls(path)
        wanted = _json_roundtrip(dict(manifest))
        missing = [k for k in IDENTITY if k not in wanted and k not in OPTIONAL_IDENTITY]
        if missing:
            raise ValueError(f"a store manifest needs {', '.join(missing)}")
        if store.path.exists() and not store.path.is_dir():
            raise FileExistsError(f"{store.path} is a file, not a store directory")
        try:
            store._folder.create()
            store._acquire_lock()
            store._open_locked(wanted, scenario_toml)
        except BaseException:
            store.close()
            raise
        return store

    def _open_locked(self, wanted: dict[str, Any], scenario_toml: str) -> None:
        manifest_path = self.path / MANIFEST
        if manifest_path.exists() or manifest_path.is_symlink():
            stored = self.manifest()
            differences = _differences(stored, wanted)
            if differences:
                raise StoreMismatchError(
                    f"{self.path} holds the results of a different sweep "
                    f"({'; '.join(differences)}). Use another store directory for this "
                    f"sweep, or delete {self.path} to start it again."
                )
        else:
            if any(entry.name != LOCK_FILE for entry in os.scandir(self.path)):
                raise FileExistsError(
                    f"{self.path} is not empty and has no {MANIFEST}: not a microgov store; "
                    "give an empty or new directory"
                )
            record = {
                "format": FORMAT,
                "kind": "sweep",
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "version": __version__,
                **wanted,
            }
            self._write(lambda: self._folder.write_text(MANIFEST, _manifest_text(record)))
            if scenario_toml:
                self._write(lambda: self._folder.write_text(SCENARIO_FILE, scenario_toml))
        self.runs_dir.mkdir(exist_ok=True)
        self.daily_dir.mkdir(exist_ok=True)
        self._remove_temporaries()
        self._set_aside_bad_parts()
        self._remove_orphans()

    def close(self) -> None:
        """Release the store's lock (a store only read was never locked)."""
        if self._lock is not None:
            with contextlib.suppress(OSError):
                import fcntl

                fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def manifest(self) -> dict[str, Any]:
        """The manifest as stored, checked (StoreManifestError names what is wrong)."""
        path = self.path / MANIFEST
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise StoreManifestError(
                str(self.path), None, f"not a microgov store: no {MANIFEST}"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreManifestError(str(path), None, f"cannot be read: {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StoreManifestError(str(path), None, f"is not valid JSON: {exc}") from None
        _check_manifest(data, path)
        return data

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
        if daily is not None:
            self._write_part(DAILY_DIR, key, daily)
            if items is not None:
                self._write_part(ITEMS_DIR, key, items)
            self._write_part(RUNS_DIR, key, runs)
            (self.runs_dir / _part_name(key, failed=True)).unlink(missing_ok=True)
        else:
            self._write_part(RUNS_DIR, key, runs, failed=True)

    # ------------------------------------------------------------------ reading

    def read(self) -> tuple[list[tuple[RunKey, pa.Table]], list[tuple[RunKey, pa.Table]]]:
        """Every stored run's runs row and every finished run's daily series, by key.

        Raises StoreDamagedError for a part that is damaged or not the run it is named for.
        """
        done = self.completed()
        runs: dict[RunKey, pa.Table] = {}
        daily: dict[RunKey, pa.Table] = {}
        for key, failed in self._parts():
            if failed and key in done:
                continue
            runs[key] = self._read_part(RUNS_DIR, key, failed)
            if not failed:
                daily[key] = self._read_part(DAILY_DIR, key)
        return sorted(runs.items()), sorted(daily.items())

    def read_items(self) -> list[tuple[RunKey, pa.Table]]:
        """The item tables of finished runs that kept them, by key."""
        done = self.completed()
        found = []
        for key in sorted(done):
            if (self.items_dir / _part_name(key)).exists():
                found.append((key, self._read_part(ITEMS_DIR, key)))
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

    def _acquire_lock(self) -> None:
        """Take the store's lock, or raise StoreLockedError naming the process holding it."""
        try:
            import fcntl
        except ImportError:  # no flock (Windows): one writer at a time is up to the user
            self.notes.append("this system cannot lock the store: run one sweep at a time")
            return
        path = self.path / LOCK_FILE
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            handle = os.fdopen(os.open(path, flags, 0o666), "r+", encoding="utf-8")
        except OSError as exc:
            raise StoreError(str(self.path), None, f"cannot open its lock file: {exc}") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                holder = _read_holder(handle)
                handle.close()
                raise StoreLockedError(
                    str(self.path),
                    None,
                    f"another sweep is writing to this store ({holder}); wait for it to "
                    "finish or stop it, or use another store directory",
                ) from None
            handle.close()
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                self.notes.append(
                    f"the file system of {self.path} cannot lock files: run one sweep at "
                    "a time on this store"
                )
                return
            raise StoreError(str(self.path), None, f"cannot lock the store: {exc}") from None
        self._lock = handle
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with contextlib.suppress(OSError):  # who holds the lock is only for messages
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(record) + "\n")
            handle.flush()

    def _write(self, write: Any) -> Any:
        """Do a write into the store; a full disk becomes StoreFullError naming the store."""
        try:
            return write()
        except OutputError as exc:
            if exc.full_disk:
                raise StoreFullError(
                    str(self.path),
                    None,
                    f"the disk is full: {exc.message}. Finished runs are kept; free some "
                    "space (or use a store on another disk), then run the same sweep again "
                    "(--resume) to continue",
                ) from None
            raise

    def _write_part(self, kind: str, key: RunKey, table: pa.Table, failed: bool = False) -> None:
        name = f"{kind}/{_part_name(key, failed)}"
        record = {"run": _part_name(key), "kind": kind, "sweep": self._identity()}
        metadata = dict(table.schema.metadata or {})
        metadata[PART_METADATA] = json.dumps(record, sort_keys=True).encode()
        tagged = table.replace_schema_metadata(metadata)

        def write() -> None:
            with self._folder.open(name) as handle:
                pq.write_table(tagged, handle, write_page_checksum=True)

        if kind == ITEMS_DIR:
            self.items_dir.mkdir(exist_ok=True)
        self._write(write)

    def _read_part(self, kind: str, key: RunKey, failed: bool = False) -> pa.Table:
        path = self.path / kind / _part_name(key, failed)
        problem, table = self._check_part(path, kind, key)
        if problem is not None:
            raise StoreDamagedError(
                str(path),
                None,
                f"{problem}; resuming the sweep (the same command with --resume) sets "
                "damaged parts aside and runs them again",
            )
        assert table is not None
        return table

    def _check_part(self, path: Path, kind: str, key: RunKey) -> tuple[str | None, pa.Table | None]:
        """(What is wrong with a part, None) or (None, its table without our metadata)."""
        if path.is_symlink() or not path.is_file():
            return "missing or not a regular file", None
        try:
            table = pq.read_table(path, page_checksum_verification=True)
        except (OSError, pa.ArrowException) as exc:
            return f"cannot be read as Parquet ({' '.join(str(exc).split())})", None
        metadata = dict(table.schema.metadata or {})
        raw = metadata.pop(PART_METADATA, None)
        expected = {"run": _part_name(key), "kind": kind, "sweep": self._identity()}
        if raw is None:
            if self._format() >= 2:
                return "has no record of its run (not written by this store)", None
        else:
            try:
                record = json.loads(raw)
            except ValueError:
                return "its record of its run is not JSON", None
            if not isinstance(record, dict):
                return "its record of its run is not a JSON object", None
            for field, value in expected.items():
                if record.get(field) != value:
                    return f"holds {field} {record.get(field)!r}, not {value!r}", None
        if kind == RUNS_DIR:
            problem = _check_key_columns(table, key)
            if problem is not None:
                return problem, None
        return None, table.replace_schema_metadata(metadata or None)

    def _identity(self) -> str:
        """A short hash of the sweep's identity (manifest fields that make the sweep)."""
        if self._sweep_id is None:
            manifest = self.manifest()
            identity = {k: manifest.get(k) for k in IDENTITY}
            text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
            self._sweep_id = hashlib.sha256(text.encode()).hexdigest()[:16]
        return self._sweep_id

    def _format(self) -> int:
        # Read once: every part checked asks, and a large sweep's manifest lists its
        # every point (re-reading it per part made reading a store quadratic).
        if self._format_number is None:
            self._format_number = int(self.manifest().get("format", 1))
        return self._format_number

    def _set_aside_bad_parts(self) -> None:
        """Move damaged or foreign parts to quarantine/<time>/ so that their runs are redone."""
        bad: dict[RunKey, list[Path]] = {}
        for key, failed in self._parts():
            kinds = [RUNS_DIR]
            if not failed:
                kinds.append(DAILY_DIR)
                if (self.items_dir / _part_name(key)).exists():
                    kinds.append(ITEMS_DIR)
            for kind in kinds:
                path = self.path / kind / _part_name(key, failed and kind == RUNS_DIR)
                problem, _ = self._check_part(path, kind, key)
                if problem is not None:
                    bad.setdefault(key, []).append(path)
            if key in bad and not failed:  # the run is done again: set aside all its parts
                bad[key] = sorted(_existing(self.path, key) | set(bad[key]))
        if not bad:
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        target = self.path / QUARANTINE_DIR / stamp
        for key in sorted(bad):
            for path in sorted(set(bad[key])):
                if not (path.exists() or path.is_symlink()):
                    continue
                destination = target / path.parent.name / path.name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), str(destination))
                self.set_aside.append(destination)
        self.set_aside_runs = sorted(bad)
        self.notes.append(
            f"{len(self.set_aside)} damaged or foreign part(s) of {len(bad)} run(s) set "
            f"aside in {target}; those runs are done again"
        )

    def _remove_temporaries(self) -> None:
        """Temporary files of a writer that was killed (no other writer holds the lock)."""
        for folder in (self.path, self.runs_dir, self.daily_dir, self.items_dir):
            if folder.is_dir():
                for entry in os.scandir(folder):
                    if is_temporary(entry.name):
                        os.unlink(entry.path)

    def _remove_orphans(self) -> None:
        """Daily and item parts of runs that have no runs part (killed between renames)."""
        done = self.completed()
        for folder in (self.daily_dir, self.items_dir):
            if folder.is_dir():
                for entry in os.scandir(folder):
                    match = _PART.match(entry.name)
                    if match and (int(match.group(1)), int(match.group(2))) not in done:
                        os.unlink(entry.path)


def _existing(root: Path, key: RunKey) -> set[Path]:
    """Every part of a finished run that is there."""
    name = _part_name(key)
    paths = (root / RUNS_DIR / name, root / DAILY_DIR / name, root / ITEMS_DIR / name)
    return {p for p in paths if p.exists() or p.is_symlink()}


def _check_key_columns(table: pa.Table, key: RunKey) -> str | None:
    """A runs part is one row whose point and replication are its key."""
    if table.num_rows != 1:
        return f"has {table.num_rows} rows, not the one row of a run"
    for column, value in zip(("point", "replication"), key, strict=True):
        if column in table.column_names and table.column(column)[0].as_py() != value:
            return f"is the run with {column} {table.column(column)[0].as_py()}, not {value}"
    return None


def _read_holder(handle: IO[str]) -> str:
    """Who holds the lock, as its file says (written by the holder)."""
    try:
        handle.seek(0)
        holder = json.loads(handle.read() or "{}")
        return f"process {int(holder['pid'])} on {holder['host']} since {holder['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "process unknown"


def _manifest_text(record: Mapping[str, Any]) -> str:
    """The manifest as strict JSON (a NaN left over raises instead of writing `NaN`)."""
    return json_text(record)


def _check_manifest(data: Any, path: Path) -> None:
    """A manifest is a JSON object with the identity fields of a sweep, of a known format."""

    def bad(message: str) -> StoreManifestError:
        return StoreManifestError(str(path), None, message)

    if not isinstance(data, dict):
        raise bad(f"is not a JSON object (found {type(data).__name__}); not a microgov manifest")
    fmt = data.get("format", 1)
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 1:
        raise bad(f"format: expected a positive integer, found {fmt!r}")
    if fmt > FORMAT:
        raise bad(
            f"format: {fmt} is newer than this microgov ({__version__}) reads ({FORMAT}); "
            "upgrade microgov"
        )
    missing = [k for k in IDENTITY if k not in data and k not in OPTIONAL_IDENTITY]
    if missing:
        raise bad(f"missing field(s) {', '.join(missing)}")
    checks = {
        "scenario_hash": (lambda v: isinstance(v, str), "a string"),
        "design": (lambda v: isinstance(v, dict), "an object"),
        "points": (
            lambda v: isinstance(v, list) and all(isinstance(p, dict) for p in v),
            "a list of objects",
        ),
        "replications": (lambda v: _is_int(v) and v >= 1, "an integer of at least 1"),
        "seed": (lambda v: _is_int(v) and v >= 0, "an integer of at least 0"),
        "days": (lambda v: v is None or (_is_int(v) and v >= 1), "null or an integer >= 1"),
        "items": (lambda v: isinstance(v, bool), "true or false"),
    }
    for field, (ok, allowed) in checks.items():
        if field in data and not ok(data[field]):
            raise bad(f"{field}: expected {allowed}, found {_short(data[field], 80)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _part_name(key: RunKey, failed: bool = False) -> str:
    point, replication = key
    return f"p{point:06d}-r{replication:04d}{'.failed' if failed else ''}.parquet"


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
