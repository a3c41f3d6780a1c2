"""Writing outputs only where asked: inside the folder named, atomically, never through a link.

Every file microgov writes (tables, figures, reports, records, a sweep store's parts)
goes through `OutputDir`:

    folder = OutputDir("out/run", source="--out")
    folder.write_text("summary.json", text)
    with folder.open("daily.csv") as handle:     # a binary file object
        frame.to_csv(handle, index=False)

- Names are relative paths inside the folder, checked (`check_name`): no absolute
  names, no `..`, nothing that could step out of the folder.
- The folder itself may be a symbolic link (cluster scratch space often is); folders
  below it are created as real folders, and one that is a link is refused.
- A file is written to a new hidden temporary file in its own folder (created
  exclusively, not through any link), flushed and fsynced, then renamed over the
  destination with `os.replace`, and the folder is fsynced. A destination that is a
  symbolic link is replaced by the new file, never followed: its target is untouched.
  A killed process leaves the old file or the new one, never half of one.
- Failures are `OutputError`s (a `ScenarioError` naming the folder); a full disk or
  an exceeded quota (ENOSPC, EDQUOT) says so.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

from simulation.scenario.errors import ScenarioError

# Errors that mean the disk (or the user's quota on it) is full.
FULL_DISK_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
TEMPORARY_SUFFIX = ".tmp"


class OutputError(ScenarioError):
    """An output that cannot be written where asked; `source` is the output folder.

    `full_disk` is True when the cause is a full disk or an exceeded quota.
    """

    def __init__(self, source: str, field: str | None, message: str, full_disk: bool = False):
        super().__init__(source, field, message)
        self.full_disk = full_disk

    def __reduce__(self):
        return (type(self), (self.source, self.field, self.message, self.full_disk))


def is_full_disk(exc: BaseException) -> bool:
    """Whether an exception is a full disk or an exceeded quota."""
    return isinstance(exc, OSError) and exc.errno in FULL_DISK_ERRNOS


def is_temporary(name: str) -> bool:
    """Whether a file name is one of `OutputDir`'s temporary files (a killed writer's)."""
    return name.startswith(".") and name.endswith(TEMPORARY_SUFFIX)


def check_name(name: str) -> PurePosixPath:
    """An output's name as a relative path inside its folder; ValueError if it could leave it.

    Allowed: one or more plain components separated by '/'. Refused: empty names,
    absolute paths (also Windows drives), '.' and '..' components, backslashes and
    NUL characters.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"an output name must be a non-empty string (got {name!r})")
    if "\x00" in name or "\\" in name:
        raise ValueError(f"output name {name!r} has a NUL or a backslash")
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).drive:
        raise ValueError(f"output name {name!r} is absolute; give a name inside the folder")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(
            f"output name {name!r} has an empty, '.' or '..' part; give a name inside the folder"
        )
    return PurePosixPath(*parts)


def confined_folder(folder: str | os.PathLike, base: str | os.PathLike, source: str) -> Path:
    """`folder` resolved relative to `base`, refused (OutputError) unless it stays inside it.

    For output folders named in a file (an experiment's `outputs.dir`): such a folder
    lies in the file's folder. Links are followed before the check, so a link inside
    `base` cannot lead the outputs elsewhere either.
    """
    base_path = Path(base).resolve()
    target = (base_path / Path(folder)).resolve()
    if target != base_path and base_path not in target.parents:
        raise OutputError(
            source,
            None,
            f"'{os.fspath(folder)}' leads outside {base_path} (to {target}); an output "
            "folder named in a file must lie in that file's folder: give a relative path "
            "inside it, or name the folder on the command line with --out",
        )
    return target


class OutputDir:
    """The folder a user named for outputs; files are written into it by checked names.

    `source` names what chose the folder (an option such as `--out`, or a file), for
    messages; by default the folder itself.
    """

    def __init__(self, path: str | os.PathLike, source: str | None = None):
        self.path = Path(path)
        self.source = source if source is not None else str(self.path)

    def __repr__(self) -> str:
        return f"OutputDir({str(self.path)!r})"

    def create(self) -> OutputDir:
        """Create the folder (and its parents) if missing; returns itself."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise self._error(f"{self.path} exists and is not a folder") from None
        except OSError as exc:
            raise self._error(f"cannot create folder {self.path}: {_reason(exc)}", exc) from None
        return self

    def file(self, name: str) -> Path:
        """The path of output `name`, its folders created (real folders, not links)."""
        try:
            parts = check_name(name).parts
        except ValueError as exc:
            raise self._error(str(exc)) from None
        self.create()
        folder = self.path
        for part in parts[:-1]:
            folder = folder / part
            if folder.is_symlink():
                raise self._error(
                    f"cannot write {name}: {folder} is a symbolic link; outputs go only "
                    f"into real folders inside {self.path}"
                )
            try:
                folder.mkdir(exist_ok=True)
            except FileExistsError:
                raise self._error(f"cannot write {name}: {folder} is not a folder") from None
            except OSError as exc:
                raise self._error(f"cannot create folder {folder}: {_reason(exc)}", exc) from None
        return folder / parts[-1]

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A binary file to write output `name` into; it replaces the old file on success.

        The data goes to a new temporary file in the same folder, which is fsynced and
        renamed over `name` when the block ends without an exception (and removed if it
        raises). A link at `name` is replaced, not followed.
        """
        path = self.file(name)
        temporary = path.with_name(
            f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{TEMPORARY_SUFFIX}"
        )
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        flags |= getattr(os, "O_BINARY", 0)
        try:
            descriptor = os.open(temporary, flags, 0o666)
        except OSError as exc:
            raise self._error(f"cannot write {name}: {_reason(exc)}", exc) from None
        try:
            with os.fdopen(descriptor, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            if path.is_dir() and not path.is_symlink():
                raise IsADirectoryError(errno.EISDIR, "a folder has that name", str(path))
            os.replace(temporary, path)
        except BaseException as exc:
            temporary.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise self._error(f"cannot write {name}: {_reason(exc)}", exc) from None
            raise
        try:
            _fsync_folder(path.parent)
        except OSError as exc:
            raise self._error(f"cannot write {name}: {_reason(exc)}", exc) from None

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Write `data` as output `name`; returns its path."""
        with self.open(name) as handle:
            handle.write(data)
        return self.path / name

    def write_text(self, name: str, text: str) -> Path:
        """Write `text` (UTF-8) as output `name`; returns its path."""
        return self.write_bytes(name, text.encode("utf-8"))

    def write_frame(self, name: str, frame: Any, fmt: str) -> Path:
        """Write a pandas DataFrame as CSV or Parquet (without its index); returns its path."""
        with self.open(name) as handle:
            if fmt == "parquet":
                frame.to_parquet(handle, index=False)
            elif fmt == "csv":
                frame.to_csv(handle, index=False)
            else:
                raise ValueError(f"unknown table format '{fmt}'; use 'csv' or 'parquet'")
        return self.path / name

    def save_figure(self, name: str, fig: Any, dpi: float) -> Path:
        """Save a matplotlib figure as PNG; returns its path."""
        with self.open(name) as handle:
            fig.savefig(handle, format="png", dpi=dpi)
        return self.path / name

    def _error(self, message: str, exc: OSError | None = None) -> OutputError:
        return OutputError(
            self.source, None, message, full_disk=exc is not None and is_full_disk(exc)
        )


def _reason(exc: OSError) -> str:
    if is_full_disk(exc):
        what = "the disk is full" if exc.errno == errno.ENOSPC else "the disk quota is exceeded"
        return f"{what} ({exc.strerror}); free some space and run again"
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link"
    return exc.strerror or str(exc)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where the system can open folders)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError as exc:  # some file systems cannot fsync a folder
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(descriptor)
