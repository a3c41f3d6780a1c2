"""Reading the files a user names: only regular files, and only up to a size cap.

Scenario and experiment files (and what they `extend`), edge lists and calibration
records are read through this module, never with a bare `open`. Each file is checked
before it is read and while it is read:

- it must be a **regular file**: a folder, a FIFO (which would block for ever), a device
  (`/dev/zero` never ends, `/dev/random` neither) or a socket is refused after an
  `os.stat`, before it is opened, and again on the opened descriptor (opened without
  blocking, so a FIFO swapped in between cannot hang the read);
- it must not be a **kernel pseudo-file** (`/proc`, `/sys`): those report a size of 0
  (or 4096) but produce text, e.g. `/proc/self/environ` the process's environment with
  its secrets. They are refused by their file system and, anywhere, by a reported size
  of 0 with content;
- it must be **within its size cap**, checked on the reported size and again while
  reading (at most cap + 1 bytes are ever read), because a file can grow while read.

The caps are per kind of file (`INPUT_KINDS`), each set by an environment variable in
bytes or with a unit (`MICROGOV_MAX_EDGE_LIST_BYTES=8GB`), or for one command by
`microgov --max-input edge_list=8GB …`. Errors are `ScenarioError`s (or the class a
caller gives) naming the file, the field that named it and the cap to raise.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

# The exception raised for a refused file: ScenarioError or any class built the same way,
# (source, field, message).
ErrorType = Callable[[str, "str | None", str], Exception]


@dataclass(frozen=True)
class InputKind:
    """A kind of input file and its size cap (default, and the variable that changes it)."""

    name: str  # the key of `--max-input name=SIZE`
    what: str  # for messages: "scenario or experiment file"
    variable: str  # environment variable holding the cap
    default_bytes: int

    def cap(self) -> int:
        """The cap in bytes: the environment variable's value, else the default."""
        text = os.environ.get(self.variable, "").strip()
        if not text:
            return self.default_bytes
        size = parse_size(text)
        if size is None:
            _refuse(
                self.variable,
                None,
                f"'{text}' is not a size; give bytes (1000000) or a number with a unit "
                "(500kB, 100MB, 2GB, 1GiB)",
            )
        return size


# Defaults, with why: each is far above what the kind of file holds in use, and low
# enough that a wrong path (a log, a data dump, a disk image) is refused, not parsed.
TOML = InputKind(
    # The largest bundled scenario is about 5 kB; a scenario with hourly rhythms and
    # dozens of departments stays below 100 kB.
    "toml",
    "scenario or experiment file",
    "MICROGOV_MAX_TOML_BYTES",
    1_000_000,
)
EDGE_LIST = InputKind(
    # About 100 million follows at ~20 bytes a line ("123456789,987654321\n"): a city
    # of 5 million accounts following 20 each. Loading holds 16 bytes per edge (1.6 GB
    # at the cap), so a larger graph needs a larger machine and a raised cap.
    "edge_list",
    "edge list",
    "MICROGOV_MAX_EDGE_LIST_BYTES",
    2_000_000_000,
)
RECORDS = InputKind(
    # About 1.5 million items at ~65 bytes a row: years of a busy account. The records
    # are parsed in memory (a few hundred bytes per row), so the cap also bounds that.
    "records",
    "calibration records (CSV)",
    "MICROGOV_MAX_RECORDS_BYTES",
    100_000_000,
)
INPUT_KINDS: dict[str, InputKind] = {kind.name: kind for kind in (TOML, EDGE_LIST, RECORDS)}

MAX_LINE_BYTES = 1 << 16  # a line of an edge list longer than this is not an edge

# The deepest legitimate nesting is 4 (design.parameters."key" = [...] in an experiment
# file); far deeper input is a mistake, or an attack on the recursive code that reads it.
MAX_NESTING = 16  # tables and arrays inside one another [levels]

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "m": 10**6,
    "mb": 10**6,
    "g": 10**9,
    "gb": 10**9,
    "t": 10**12,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str) -> int | None:
    """Bytes from `1000000`, `500kB`, `2GB`, `1.5 GiB` (decimal and binary units); else None."""
    match = _SIZE.match(text.replace("_", ""))
    if not match or match.group(2).lower() not in _UNITS:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def readable_size(size: int) -> str:
    """`1,000,000 bytes (1 MB)` for messages."""
    for unit, factor in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= factor:
            return f"{size:,} bytes ({size / factor:.3g} {unit})"
    return f"{size:,} bytes"


# --------------------------------------------------------------------------- nesting


def check_nesting(
    value: object,
    source: str,
    field: str | None = None,
    error: ErrorType | None = None,
) -> None:
    """Refuse tables (dicts) and arrays (lists) nested more than MAX_NESTING deep.

    Walks the value with a stack, not by recursion, so the check itself cannot overflow.
    """
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if depth >= MAX_NESTING:
            _refuse(source, field, too_deep(), error)
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children)


def too_deep() -> str:
    """The message for input nested too deeply."""
    return f"tables or arrays nested more than {MAX_NESTING} levels deep; not accepted"


# --------------------------------------------------------------------------- reading


@contextmanager
def open_input(
    path: str | os.PathLike,
    kind: InputKind,
    field: str | None = None,
    error: ErrorType | None = None,
) -> Iterator[CappedReader]:
    """A checked file, opened for reading bytes, that refuses to read past its cap.

    `field` names what pointed at the file (`network.edge_list`, `extends`); `error` is
    the ScenarioError subclass to raise (default ScenarioError).
    """
    source = str(path)
    cap = kind.cap()
    info = _stat(source, kind, cap, field, error)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(source, flags)
    except OSError as exc:
        _refuse(source, field, f"cannot read file: {exc.strerror or exc}", error)
    try:
        opened = os.fstat(descriptor)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (
            info.st_dev,
            info.st_ino,
        ):
            _refuse(source, field, "changed while it was opened; not read", error)
        os.set_blocking(descriptor, True)
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        yield CappedReader(handle, source, kind, cap, info.st_size, field, error)


def read_input_text(
    path: str | os.PathLike,
    kind: InputKind,
    field: str | None = None,
    error: ErrorType | None = None,
) -> str:
    """A checked file's whole text (UTF-8; a leading byte-order mark is dropped)."""
    with open_input(path, kind, field, error) as reader:
        data = reader.read_all()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        _refuse(
            str(path), field, f"line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x})", error
        )


def input_digest(path: str | os.PathLike, kind: InputKind) -> str:
    """SHA-256 of a checked file's bytes (hex), read in chunks."""
    digest = hashlib.sha256()
    with open_input(path, kind) as reader:
        for chunk in reader.chunks():
            digest.update(chunk)
    return digest.hexdigest()


def check_input(
    path: str | os.PathLike,
    kind: InputKind,
    field: str | None = None,
    error: ErrorType | None = None,
) -> None:
    """Refuse a path that is not a regular file within its cap (without opening it)."""
    _stat(str(path), kind, kind.cap(), field, error)


class CappedReader:
    """An opened input file whose reads stop with an error past the cap."""

    def __init__(
        self,
        handle: IO[bytes],
        source: str,
        kind: InputKind,
        cap: int,
        reported_size: int,
        field: str | None,
        error: ErrorType | None,
    ):
        self._handle = handle
        self.source, self.kind, self.cap = source, kind, cap
        self._reported_size = reported_size
        self._field, self._error = field, error
        self.bytes_read = 0

    def read_all(self) -> bytes:
        """Everything, at most the cap (one byte more is read to tell)."""
        data = self._handle.read(self.cap + 1)
        self._count(len(data))
        return data

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The file in chunks of `size` bytes."""
        while chunk := self._handle.read(min(size, self.cap + 1 - self.bytes_read)):
            self._count(len(chunk))
            yield chunk

    def lines(self, max_line: int = MAX_LINE_BYTES) -> Iterator[bytes]:
        """The file line by line (bytes, with the line end), none longer than `max_line`."""
        number = 0
        while line := self._handle.readline(max_line + 1):
            number += 1
            self._count(len(line))
            if len(line) > max_line and not line.endswith(b"\n"):
                self._fail(f"line {number} is longer than {max_line:,} bytes; not a line of text")
            yield line

    def _count(self, n: int) -> None:
        if n and self.bytes_read == 0 and self._reported_size == 0:
            self._fail(
                "reports a size of 0 bytes but has content: a kernel pseudo-file (such "
                "as /proc/…), not a regular file; copy what you mean into a file"
            )
        self.bytes_read += n
        if self.bytes_read > self.cap:
            self._fail(_over_cap(self.kind, self.cap, "grew past"))

    def _fail(self, message: str) -> NoReturn:
        _refuse(self.source, self._field, message, self._error)


def _stat(
    source: str,
    kind: InputKind,
    cap: int,
    field: str | None,
    error: ErrorType | None,
) -> os.stat_result:
    try:
        info = os.stat(source)
    except FileNotFoundError:
        _refuse(source, field, "file not found", error)
    except OSError as exc:
        _refuse(source, field, f"cannot read file: {exc.strerror or exc}", error)
    if stat.S_ISDIR(info.st_mode):
        _refuse(source, field, f"is a folder, not a file ({kind.what})", error)
    if not stat.S_ISREG(info.st_mode):
        _refuse(
            source,
            field,
            f"is a {_file_type(info.st_mode)}, not a regular file; only regular files are "
            "read (a FIFO would block, a device would never end)",
            error,
        )
    if info.st_dev in _pseudo_devices():
        _refuse(
            source,
            field,
            "is a kernel pseudo-file (/proc, /sys), not a regular file; copy what you mean "
            "into a file",
            error,
        )
    if info.st_size > cap:
        _refuse(source, field, _over_cap(kind, cap, f"is {readable_size(info.st_size)},"), error)
    return info


def _over_cap(kind: InputKind, cap: int, what: str) -> str:
    return (
        f"{what} more than the cap of {readable_size(cap)} for this kind of file "
        f"({kind.what}); to read it, "
        f"raise the cap: {kind.variable}=SIZE or microgov --max-input {kind.name}=SIZE"
    )


def _file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


_PSEUDO_ROOTS = ("/proc", "/sys")


def _pseudo_devices() -> set[int]:
    """Devices of the kernel's pseudo file systems mounted at /proc and /sys, if any."""
    devices = set()
    for root in _PSEUDO_ROOTS:
        if Path(root).is_dir():
            try:
                devices.add(os.stat(root).st_dev)
            except OSError:
                continue
    return devices


def _refuse(
    source: str,
    field: str | None,
    message: str,
    error: ErrorType | None = None,
) -> NoReturn:
    from simulation.scenario.errors import ScenarioError  # lazily: the schema imports network

    raise (error or ScenarioError)(source, field, message)
