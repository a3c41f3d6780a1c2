"""An account's records: reading, checking, their statistics; the same from model runs.

**The records** (CSV, UTF-8, one row per citizen item; lines starting with `#` are
comments; other columns are ignored):

| column | required | meaning |
|---|---|---|
| `created` | yes | when the item was posted: an ISO timestamp (`2024-03-04T09:15`) or hours since midnight at the start of the record (`9.25`) |
| `first_reply` | yes (may be empty) | when the account first replied, in the same form; empty if it never did |
| `kind` | no | `consultation`, `request`, `complaint` or `suggestion` (may be empty) |
| `reply_type` | no | `substantive`, `partial` or `boilerplate` (only for replied items) |

Day 0 of the record starts at midnight of the first item's date (timestamps) or at
hour 0 (hours); the record lasts until the end of the day of the last item, unless a
length is given. Timestamps keep the local clock time they are written in (for the
hour of day); with UTC offsets, reply times are computed across offsets.

**Censoring.** An item posted shortly before the record ends may be answered after it:
its reply is unseen in the data, and does not exist in a simulated run of the same
length. Both sides are therefore compared like with like over a *follow-up horizon* H
(default: 7 days, at most half the record): the reply rate is the share of items posted
at least H hours before the end that got a first reply within H hours, and the
reply-time quantiles are those of the replies within H of the same items.

`records_from_items` turns a run's item table into records; `simulate_records` and
`simulate_statistics` run the model for the same length as a record.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.codes import HOURS_PER_DAY, NEED_KINDS
from simulation.format import excerpt
from simulation.inputs import RECORDS, read_input_text
from simulation.safe_write import OutputDir
from simulation.scenario import Scenario, ScenarioError, did_you_mean, load_scenario
from simulation.scenario.schema import MAX_DAYS

QUANTILES = (0.25, 0.5, 0.75, 0.9)
REPLY_TYPES = ("substantive", "partial", "boilerplate")
ONE_SIDED = ("partial", "boilerplate")
REQUIRED_COLUMNS = ("created", "first_reply")
OPTIONAL_COLUMNS = ("kind", "reply_type")
DEFAULT_HORIZON_HOURS = 168.0
MIN_REPLY_HOURS = 1.0 / 60.0  # the reply-time figure's log axis starts at a minute


class DataError(ScenarioError):
    """Records that cannot be used: the file, where in it (line, row, column) and why."""


# --------------------------------------------------------------------------- records


@dataclass
class Records:
    """An account's records, checked, with times in hours from midnight of day 0.

    `frame` has the columns `created` and `first_reply` (hours, NaN if never replied),
    `kind` and `reply_type` (strings, None when not given).
    """

    frame: pd.DataFrame
    days: int
    source: str
    start: dt.datetime | None = None  # midnight of day 0, when the file has timestamps
    has_kind: bool = False
    has_reply_type: bool = False

    @property
    def start_weekday(self) -> str | None:
        """Weekday of day 0 (from timestamps), else None."""
        if self.start is None:
            return None
        return self.start.strftime("%A").lower()

    def fingerprint(self) -> str:
        """Hash of the records' content and length (to recognise a study's data)."""
        digest = hashlib.sha256()
        digest.update(f"{self.days}|{self.start}|".encode())
        digest.update(pd.util.hash_pandas_object(self.frame, index=False).values.tobytes())
        return digest.hexdigest()[:16]


@dataclass
class _Column:
    name: str
    values: list[str]


def read_records(
    data: str | os.PathLike | pd.DataFrame | Records, days: int | None = None
) -> Records:
    """Read and check records from a CSV file (or a DataFrame in the same format).

    Raises DataError naming the file, the line and row, and the column: missing
    columns, unreadable times, replies before creation, unknown kinds or reply types.
    `days` fixes the length of the record (default: to the end of the last item's day).
    """
    if days is not None and not 1 <= days <= MAX_DAYS:
        source = data.source if isinstance(data, Records) else str(data)
        raise DataError(
            source, None, f"the record must last from 1 to {MAX_DAYS:,} days (got {days})"
        )
    if isinstance(data, Records):
        if days is None or days == data.days:
            return data
        if days < 1 or (data.frame["created"] >= days * HOURS_PER_DAY).any():
            raise DataError(data.source, None, f"has items after a record of {days} days")
        return dataclasses.replace(data, days=int(days))
    if isinstance(data, pd.DataFrame):
        text = data.to_csv(index=False)
        return _records_from_text(text, "<DataFrame>", days)
    path = Path(data)
    # A regular file within the records' cap (simulation.inputs), UTF-8 with or without BOM.
    text = read_input_text(path, RECORDS, error=DataError)
    return _records_from_text(text, str(path), days)


def _records_from_text(text: str, source: str, days: int | None) -> Records:
    header, header_line, rows, lines = _csv_rows(text, source)
    names = [name.strip().lower() for name in header]
    for i, name in enumerate(names):
        if name and name in names[:i]:
            raise DataError(source, f"line {header_line}", f"column {excerpt(name)} appears twice")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        found = ", ".join(excerpt(n) for n in names[:20] if n) or "none"
        hints = "".join(did_you_mean(c, names) for c in missing)
        raise DataError(
            source,
            f"line {header_line} (header)",
            f"missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(c) for c in missing)}{hints}; columns found: {found}. "
            f"Needed: created, first_reply; optional: kind, reply_type",
        )
    if not rows:
        raise DataError(source, None, "no items: the file has a header but no rows")
    width = len(header)
    for row, (fields, line) in enumerate(zip(rows, lines, strict=True), start=1):
        if len(fields) != width:
            raise DataError(
                source,
                f"line {line} (row {row})",
                f"{len(fields)} fields, but the header has {width}",
            )
    columns = {
        name: _Column(name, [fields[i].strip() for fields in rows])
        for i, name in enumerate(names)
        if name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    }
    created, first_reply, start = _parse_times(columns, lines, source)
    kind = _parse_labels(columns.get("kind"), NEED_KINDS, lines, source)
    reply_type = _parse_labels(columns.get("reply_type"), REPLY_TYPES, lines, source)
    if reply_type is not None:
        bad = [i for i, t in enumerate(reply_type) if t is not None and np.isnan(first_reply[i])]
        _raise_rows(
            source,
            bad,
            lines,
            "reply_type",
            lambda i: f"reply type {excerpt(reply_type[i])} given, but first_reply is empty",
        )
    last_day = int(np.max(created) // HOURS_PER_DAY)
    if last_day >= MAX_DAYS:  # the fit simulates as many days as the record has
        late = [i for i in range(len(created)) if created[i] >= MAX_DAYS * HOURS_PER_DAY]
        _raise_rows(
            source,
            late,
            lines,
            "created",
            lambda i: (
                f"posted on day {int(created[i] // 24):,} of the record, but a record "
                f"may last at most {MAX_DAYS:,} days (ten years, the longest run); check the "
                "date, or split the record"
            ),
        )
    if days is None:
        days = last_day + 1
    elif days < 1:
        raise DataError(source, None, f"the record must last at least 1 day (got {days})")
    elif last_day >= days:
        late = [i for i in range(len(created)) if created[i] >= days * HOURS_PER_DAY]
        _raise_rows(
            source,
            late,
            lines,
            "created",
            lambda i: f"posted on day {int(created[i] // 24)}, after the record's {days} days",
        )
    frame = pd.DataFrame(
        {
            "created": created,
            "kind": pd.Series(kind if kind is not None else [None] * len(created), dtype=object),
            "first_reply": first_reply,
            "reply_type": pd.Series(
                reply_type if reply_type is not None else [None] * len(created), dtype=object
            ),
        }
    )
    return Records(
        frame=frame,
        days=int(days),
        source=source,
        start=start,
        has_kind=kind is not None,
        has_reply_type=reply_type is not None,
    )


def _csv_rows(text: str, source: str) -> tuple[list[str], int, list[list[str]], list[int]]:
    """Header, its line number, data rows and each row's (last) line number."""
    physical = text.splitlines()
    current = [0]

    def data_lines():
        for line_number, line in enumerate(physical, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            current[0] = line_number
            yield line

    reader = csv.reader(data_lines())
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(source, None, "empty file: expected a header line") from None
    except csv.Error as exc:
        raise DataError(source, f"line {current[0]}", f"not CSV: {exc}") from None
    header_line = current[0]
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for fields in reader:
            rows.append(fields)
            lines.append(current[0])
    except csv.Error as exc:
        raise DataError(source, f"line {current[0]}", f"not CSV: {exc}") from None
    return header, header_line, rows, lines


def _raise_rows(
    source: str, bad: list[int], lines: list[int], column: str, message: Callable[[int], str]
) -> None:
    """Raise a DataError for the first bad row, saying how many more there are."""
    if not bad:
        return
    first = bad[0]
    text = message(first)
    if len(bad) > 1:
        more = ", ".join(str(lines[i]) for i in bad[1:4])
        etc = ", …" if len(bad) > 4 else ""
        text += f" ({len(bad) - 1} more row{'s' if len(bad) > 2 else ''}: line {more}{etc})"
    raise DataError(source, f"line {lines[first]} (row {first + 1}), column '{column}'", text)


_TIME_HINT = (
    "expected an ISO timestamp such as 2024-03-04T09:15 or 2024-03-04 09:15:00, "
    "or hours since the start of the record such as 9.25"
)


def _parse_times(
    columns: dict[str, _Column], lines: list[int], source: str
) -> tuple[np.ndarray, np.ndarray, dt.datetime | None]:
    created_raw = columns["created"].values
    reply_raw = columns["first_reply"].values
    empty = [i for i, v in enumerate(created_raw) if not v]
    _raise_rows(source, empty, lines, "created", lambda i: "empty: every item needs a time")
    hours_mode = _as_hours(created_raw[0]) is not None
    mode = "hours" if hours_mode else "a timestamp"
    n = len(created_raw)

    def parse(raw: list[str], column: str, allow_empty: bool) -> list[Any]:
        out: list[Any] = [None] * n
        bad = []
        for i, value in enumerate(raw):
            if not value:
                if not allow_empty:
                    bad.append(i)
                continue
            parsed = _as_hours(value) if hours_mode else _as_timestamp(value)
            if parsed is None:
                bad.append(i)
            out[i] = parsed
        _raise_rows(
            source,
            bad,
            lines,
            column,
            lambda i: (
                f"cannot read {excerpt(raw[i])} as {mode} like the first row's created "
                f"({excerpt(created_raw[0])}); {_TIME_HINT}"
            ),
        )
        return out

    created_values = parse(created_raw, "created", allow_empty=False)
    reply_values = parse(reply_raw, "first_reply", allow_empty=True)
    start = None
    if hours_mode:
        created = np.array(created_values, dtype=float)
        negative = [i for i in range(n) if created[i] < 0]
        _raise_rows(
            source,
            negative,
            lines,
            "created",
            lambda i: f"negative hours ({excerpt(created_raw[i])})",
        )
        first_reply = np.array([np.nan if v is None else v for v in reply_values], dtype=float)
    else:
        aware = [v.tzinfo is not None for v in created_values + reply_values if v is not None]
        if any(aware) and not all(aware):
            mixed = [
                i
                for i in range(n)
                if (created_values[i].tzinfo is not None) != aware[0]
                or (
                    reply_values[i] is not None and (reply_values[i].tzinfo is not None) != aware[0]
                )
            ]
            _raise_rows(
                source,
                mixed,
                lines,
                "created",
                lambda i: (
                    "timestamps with and without a UTC offset are mixed in the file; "
                    "give every time with an offset or none"
                ),
            )
        wall = [v.replace(tzinfo=None) for v in created_values]
        start = dt.datetime.combine(min(wall).date(), dt.time())
        created = np.array([(w - start).total_seconds() / 3600.0 for w in wall])
        first_reply = np.array(
            [
                np.nan if r is None else created[i] + (r - created_values[i]).total_seconds() / 3600
                for i, r in enumerate(reply_values)
            ]
        )
    with np.errstate(invalid="ignore"):
        early = np.flatnonzero(first_reply < created).tolist()
    _raise_rows(
        source,
        early,
        lines,
        "first_reply",
        lambda i: (
            f"the reply ({excerpt(reply_raw[i])}) is before the item was created "
            f"({excerpt(created_raw[i])})"
        ),
    )
    return created, first_reply, start


def _as_hours(value: str) -> float | None:
    try:
        hours = float(value)
    except ValueError:
        return None
    return hours if math.isfinite(hours) else None


def _as_timestamp(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _parse_labels(
    column: _Column | None, allowed: tuple[str, ...], lines: list[int], source: str
) -> list[str | None] | None:
    if column is None:
        return None
    values = [v.lower() or None for v in column.values]
    bad = [i for i, v in enumerate(values) if v is not None and v not in allowed]
    _raise_rows(
        source,
        bad,
        lines,
        column.name,
        lambda i: (
            f"unknown {column.name.replace('_', ' ')} {excerpt(column.values[i])}"
            f"{did_you_mean(values[i], allowed)}; allowed: {', '.join(allowed)} (or empty)"
        ),
    )
    return values


def write_records(frame: pd.DataFrame, path: str | os.PathLike, comment: str = "") -> Path:
    """Write records (the output of `simulate_records`) as CSV, with `#` comment lines."""
    path = Path(path)
    header = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
    text = header + frame.to_csv(index=False, lineterminator="\n")
    return OutputDir(path.parent).write_text(path.name, text)


# --------------------------------------------------------------------------- statistics


@dataclass
class RecordStats:
    """The statistics the fit compares, from records or pooled simulated runs."""

    items: int
    days: float  # record days (× runs, for pooled simulations)
    horizon_hours: float
    eligible: int  # items posted at least `horizon_hours` before the end
    replied: int  # of those, replied within the horizon
    reply_rate: float  # replied / eligible (NaN without eligible items)
    quantiles: dict[float, float]  # reply-time quantiles [hours], NaN without replies
    hourly: np.ndarray  # share of items by hour of day (24, sums to 1; NaN without items)
    one_sided_share: float | None  # partial + boilerplate among typed replies; None if unknown
    kind_shares: dict[str, float] = field(default_factory=dict)
    reply_hours: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    @property
    def items_per_day(self) -> float:
        """Items a day over the records' days (NaN for no days)."""
        return self.items / self.days if self.days else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dict (NaN as None)."""

        def clean(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else float(x)

        return {
            "items": self.items,
            "days": self.days,
            "items_per_day": clean(self.items_per_day),
            "horizon_hours": self.horizon_hours,
            "eligible": self.eligible,
            "replied": self.replied,
            "reply_rate": clean(self.reply_rate),
            "quantiles": {f"{q:g}": clean(v) for q, v in self.quantiles.items()},
            "hourly": [clean(x) for x in self.hourly],
            "one_sided_share": clean(self.one_sided_share),
            "kind_shares": {k: clean(v) for k, v in self.kind_shares.items()},
        }


def default_horizon_hours(days: int) -> float:
    """Follow-up horizon: 7 days, but at most half the record."""
    return min(DEFAULT_HORIZON_HOURS, days * HOURS_PER_DAY / 2.0)


def record_statistics(
    frame: pd.DataFrame,
    days: int,
    horizon_hours: float | None = None,
    runs: int = 1,
    with_one_sided: bool = True,
) -> RecordStats:
    """Statistics of records (`created`/`first_reply` in hours from midnight of day 0).

    `runs` > 1 means `frame` pools that many runs of `days` days each; every run must
    then carry its items' `created` in its own hours (a `run` column is not needed: the
    statistics are per item). Censoring: see the module docstring.
    """
    horizon = default_horizon_hours(days) if horizon_hours is None else float(horizon_hours)
    created = frame["created"].to_numpy(dtype=float)
    first_reply = frame["first_reply"].to_numpy(dtype=float)
    reply_time = first_reply - created
    end = days * HOURS_PER_DAY
    eligible = created <= end - horizon
    with np.errstate(invalid="ignore"):
        replied = eligible & (reply_time <= horizon)
    n_eligible, n_replied = int(eligible.sum()), int(replied.sum())
    hours = reply_time[replied]
    quantiles = {q: float(np.quantile(hours, q)) if n_replied else float("nan") for q in QUANTILES}
    n = len(created)
    if n:
        counts = np.bincount((np.floor(created).astype(int)) % HOURS_PER_DAY, minlength=24)
        hourly = counts / n
    else:
        hourly = np.full(HOURS_PER_DAY, np.nan)
    one_sided: float | None = None
    if with_one_sided and "reply_type" in frame:
        types = frame["reply_type"].to_numpy(dtype=object)[replied]
        typed = np.array([t is not None and t == t for t in types], dtype=bool)  # t == t: not NaN
        one_sided = float(np.isin(types[typed], ONE_SIDED).mean()) if typed.any() else math.nan
    kind_shares: dict[str, float] = {}
    if "kind" in frame and n:
        kinds = frame["kind"].dropna()
        if len(kinds):
            kind_shares = {k: float((kinds == k).mean()) for k in NEED_KINDS}
    return RecordStats(
        items=n,
        days=float(days * runs),
        horizon_hours=horizon,
        eligible=n_eligible,
        replied=n_replied,
        reply_rate=n_replied / n_eligible if n_eligible else float("nan"),
        quantiles=quantiles,
        hourly=hourly,
        one_sided_share=one_sided,
        kind_shares=kind_shares,
        reply_hours=hours,
    )


# --------------------------------------------------------------------------- simulation


def records_from_items(items: pd.DataFrame) -> pd.DataFrame:
    """The received requests of a run's item table, in the records' form (hours)."""
    requests = items[items["received"].notna() & (items["kind"] != "rumour")]
    order = np.argsort(requests["created"].to_numpy(), kind="stable")
    chosen = requests.iloc[order]
    quality = chosen["reply_quality"].astype(str)
    return pd.DataFrame(
        {
            "created": chosen["created"].to_numpy(),
            "kind": pd.Series(chosen["kind"].astype(str).to_numpy(), dtype=object),
            "first_reply": chosen["first_reply"].to_numpy(),
            "reply_type": pd.Series(quality.where(quality != "", None).to_numpy(), dtype=object),
        }
    )


def _run_records(scenario: Scenario, seed: int, days: int) -> pd.DataFrame:
    from simulation.metrics import item_table
    from simulation.model import GovernmentResponseModel

    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    model.run()
    return records_from_items(item_table(model.items, scenario.topics))


def simulate_records(
    scenario: Scenario | str | os.PathLike,
    seed: int,
    days: int,
    start: str | dt.date | dt.datetime | None = None,
) -> pd.DataFrame:
    """Records of one model run in the CSV format: one row per received request.

    Times are hours since the start of the run, or ISO timestamps from midnight of
    `start` when it is given (the scenario's `run.start_weekday` should then be
    `start`'s weekday). Items never replied have an empty `first_reply`; replies
    after the end of the run do not exist, as in a record extracted at that moment.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    records = _run_records(scenario, seed, days)
    created = records["created"].round(4)
    first_reply = records["first_reply"].round(4)
    if start is not None:
        if isinstance(start, str):
            start = dt.datetime.fromisoformat(start)
        origin = dt.datetime.combine(
            start.date() if isinstance(start, dt.datetime) else start, dt.time()
        )

        def stamp(hours: float) -> str:
            if not math.isfinite(hours):
                return ""
            return (origin + dt.timedelta(hours=hours)).isoformat(timespec="seconds")

        created = created.map(stamp)
        first_reply = first_reply.map(stamp)
    return pd.DataFrame(
        {
            "created": created,
            "kind": records["kind"],
            "first_reply": first_reply,
            "reply_type": records["reply_type"],
        }
    )


def simulate_statistics(
    scenario: Scenario,
    seeds: Sequence[int],
    days: int,
    horizon_hours: float | None = None,
) -> tuple[RecordStats, pd.DataFrame]:
    """The statistics of runs with the given seeds, their items pooled; and the items."""
    frames = []
    for run, seed in enumerate(seeds):
        frame = _run_records(scenario, int(seed), days)
        frame["run"] = run
        frames.append(frame)
    pooled = pd.concat(frames, ignore_index=True)
    stats = record_statistics(pooled, days, horizon_hours, runs=len(seeds))
    return stats, pooled
