"""Calibration: fitting a scenario to an account's own records.

An analyst has their account's records — one row per citizen item with when it was
posted and when it first got a reply — and wants the model's free parameters set so
that the simulated account looks like theirs. This module:

1. reads and checks the records (`read_records`; the CSV format is below);
2. summarises them (`record_statistics`): reply rate, reply-time quantiles, hourly
   arrival profile, items per day and, when reply types are given, the one-sided share;
3. computes the same statistics from the model's item store for runs of the same
   length (`simulate_statistics`, `simulate_records`);
4. measures the mismatch (`distance`, a weighted sum of squared differences);
5. searches the parameters with Optuna's TPE sampler in a resumable SQLite study
   (`calibrate`) and writes the fitted scenario, a report with figures and the study's
   history (`write_outputs`); `microgov calibrate` is the command
   (`add_calibrate_command`).

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

**The distance** between observed (o) and simulated (s) statistics is

    D = Σ_t w_t · d_t²,   w_t = 1 / scale_t²

| term t | d_t | scale | weight |
|---|---|---|---|
| `reply_rate` | s − o | 0.05 (5 points) | 400 |
| `reply_time` | root mean square over the 25/50/75/90 % quantiles of log(1 + s_q) − log(1 + o_q), hours | log 1.25 (a factor 1.25) | ≈ 20 |
| `hourly_profile` | Hellinger distance of the 24 hourly shares | 0.10 | 100 |
| `items_per_day` | (s − o) / o | 0.10 (10 %) | 100 |
| `one_sided_share` | s − o (only if the data has `reply_type`) | 0.05 (5 points) | 400 |

Each scale is the size of mismatch an analyst would call clearly visible, and is near
the sampling noise of that statistic in a record of a few hundred items (the standard
error of a share of 0.35 from 200 items is 0.034; the Hellinger distance between a
sample of 300 items and the 24-hour profile it was drawn from is about 0.1; the number
of items a model run of 14 days at 1,000 citizens receives varies by about 13 % from
seed to seed). So one unit of D is "one statistic off by about its noise", and no
statistic dominates by its units. Reply times are compared on a log scale because they
are skewed and a factor matters more than hours; log(1 + hours) keeps replies within
minutes from dominating through their tiny logarithms. A statistic the simulation cannot produce (no replies, no items) counts at its
worst (reply times at the horizon, rate and shares at a difference of 1); a statistic
the data lacks is left out.

**Replications and common random numbers.** Every trial runs the same `replications`
seeds (`1000 · seed + 1 …`), so two parameter sets are compared on the same random
draws wherever they behave alike. The replications' items are pooled before the
statistics are computed (the item-weighted average of the replications' rates and
profiles; quantiles of the pooled replies are steadier than a mean of small-sample
quantiles).

This module is not imported by `import simulation`; Optuna, matplotlib and the model
are imported when used.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import tomli_w

from simulation.codes import HOURS_PER_DAY, NEED_KINDS
from simulation.format import NOT_AVAILABLE, fixed, number, percent
from simulation.scenario import (
    Scenario,
    ScenarioError,
    bundled_scenario_dir,
    did_you_mean,
    load_scenario,
    parse_overrides,
    resolve_scenario_path,
)
from simulation.seeds import replication_seeds

if TYPE_CHECKING:
    import optuna
    from matplotlib.figure import Figure

__all__ = [
    "DISTANCE_SCALES",
    "QUANTILES",
    "CalibrationResult",
    "DataError",
    "Parameter",
    "RecordStats",
    "Records",
    "add_calibrate_command",
    "calibrate",
    "distance",
    "parse_params",
    "read_records",
    "record_statistics",
    "simulate_records",
    "simulate_statistics",
    "write_outputs",
    "write_records",
]

QUANTILES = (0.25, 0.5, 0.75, 0.9)
REPLY_TYPES = ("substantive", "partial", "boilerplate")
ONE_SIDED = ("partial", "boilerplate")
REQUIRED_COLUMNS = ("created", "first_reply")
OPTIONAL_COLUMNS = ("kind", "reply_type")
DEFAULT_HORIZON_HOURS = 168.0
MIN_REPLY_HOURS = 1.0 / 60.0  # the reply-time figure's log axis starts at a minute

# Scale of each distance term: the difference that counts as one unit of distance
# (weight = 1 / scale²). See the module docstring for why these values.
DISTANCE_SCALES: dict[str, float] = {
    "reply_rate": 0.05,
    "reply_time": math.log(1.25),
    "hourly_profile": 0.10,
    "items_per_day": 0.10,
    "one_sided_share": 0.05,
}
TERM_LABELS = {
    "reply_rate": "reply rate (within the horizon)",
    "reply_time": "reply-time quantiles (log)",
    "hourly_profile": "hourly arrival profile (Hellinger)",
    "items_per_day": "items per day (relative)",
    "one_sided_share": "one-sided share of replies",
}
STUDY_NAME = "calibration"


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
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(source, None, "file not found") from None
    except IsADirectoryError:
        raise DataError(source, None, "is a folder, not a CSV file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(source, None, f"cannot read file: {exc}") from None
    return _records_from_text(text, source, days)


def _records_from_text(text: str, source: str, days: int | None) -> Records:
    header, header_line, rows, lines = _csv_rows(text, source)
    names = [name.strip().lower() for name in header]
    for i, name in enumerate(names):
        if name and name in names[:i]:
            raise DataError(source, f"line {header_line}", f"column '{name}' appears twice")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        found = ", ".join(repr(n) for n in names if n) or "none"
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
            lambda i: f"reply type '{reply_type[i]}' given, but first_reply is empty",
        )
    last_day = int(np.max(created) // HOURS_PER_DAY)
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
                f"cannot read '{raw[i]}' as {mode} like the first row's created "
                f"('{created_raw[0]}'); {_TIME_HINT}"
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
            source, negative, lines, "created", lambda i: f"negative hours ({created_raw[i]})"
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
            f"the reply ('{reply_raw[i]}') is before the item was created ('{created_raw[i]}')"
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
            f"unknown {column.name.replace('_', ' ')} '{column.values[i]}'"
            f"{did_you_mean(values[i], allowed)}; allowed: {', '.join(allowed)} (or empty)"
        ),
    )
    return values


def write_records(frame: pd.DataFrame, path: str | os.PathLike, comment: str = "") -> Path:
    """Write records (the output of `simulate_records`) as CSV, with `#` comment lines."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        frame.to_csv(handle, index=False, lineterminator="\n")
    return path


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


def _model_records(model) -> pd.DataFrame:
    """The received requests of a model that has run, in the records' form (hours)."""
    from simulation.codes import KIND_NAMES, NOT_RECEIVED, QUALITY_NAMES, RUMOUR

    store = model.items
    requests = (store.view("status") != NOT_RECEIVED) & (store.view("kind") != RUMOUR)
    created = store.view("created")[requests]
    reply_time = store.view("reply_time")[requests]
    kind = store.view("kind")[requests]
    quality = store.view("quality")[requests]
    order = np.argsort(created, kind="stable")
    return pd.DataFrame(
        {
            "created": created[order],
            "kind": pd.Series([KIND_NAMES[k] for k in kind[order]], dtype=object),
            "first_reply": created[order] + reply_time[order],
            "reply_type": pd.Series(
                [QUALITY_NAMES.get(int(q)) for q in quality[order]], dtype=object
            ),
        }
    )


def _run_records(scenario: Scenario, seed: int, days: int) -> pd.DataFrame:
    from simulation.model import GovernmentResponseModel

    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    model.run()
    return _model_records(model)


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


def trial_seeds(seed: int, replications: int) -> list[int]:
    """The seeds every trial runs (common random numbers): 1000 · seed + 1 … + R.

    Spaced by 1000 per root seed, so fits with neighbouring `--seed`s share no runs.
    """
    return replication_seeds(1000 * int(seed), replications, offset=1)


# --------------------------------------------------------------------------- distance


@dataclass
class Term:
    """One distance term: its difference d, weight w = 1/scale² and contribution w·d²."""

    name: str
    difference: float
    weight: float

    @property
    def contribution(self) -> float:
        return self.weight * self.difference**2


@dataclass
class Distance:
    total: float
    terms: dict[str, Term]


def _hellinger(p: np.ndarray, q: np.ndarray) -> float:
    if np.isnan(p).any() or np.isnan(q).any():
        return 1.0
    return float(math.sqrt(max(0.0, 1.0 - float(np.sum(np.sqrt(p * q))))))


def distance(
    observed: RecordStats,
    simulated: RecordStats,
    scales: Mapping[str, float] | None = None,
) -> Distance:
    """D = Σ_t (d_t / scale_t)² over the statistics the data has (module docstring).

    `scales` replaces some of DISTANCE_SCALES; a scale of `inf` (weight 0) drops a term.
    """
    scale = {**DISTANCE_SCALES, **(scales or {})}
    unknown = set(scale) - set(DISTANCE_SCALES)
    if unknown:
        raise ValueError(
            f"unknown distance terms {sorted(unknown)}; known: {', '.join(DISTANCE_SCALES)}"
        )
    terms: dict[str, Term] = {}

    def add(name: str, difference: float) -> None:
        s = scale[name]
        weight = 0.0 if math.isinf(s) else 1.0 / s**2
        terms[name] = Term(name, float(difference), weight)

    if math.isfinite(observed.reply_rate):
        sim = simulated.reply_rate
        add("reply_rate", sim - observed.reply_rate if math.isfinite(sim) else 1.0)
    if observed.replied:
        squares = []
        for q, obs in observed.quantiles.items():
            sim = simulated.quantiles.get(q, float("nan"))
            if not math.isfinite(sim):
                sim = observed.horizon_hours  # no simulated replies: as if all at the horizon
            squares.append((math.log1p(sim) - math.log1p(obs)) ** 2)
        add("reply_time", math.sqrt(sum(squares) / len(squares)))
    if observed.items:
        add("hourly_profile", _hellinger(observed.hourly, simulated.hourly))
        add(
            "items_per_day",
            (simulated.items_per_day - observed.items_per_day) / observed.items_per_day,
        )
    if observed.one_sided_share is not None and math.isfinite(observed.one_sided_share):
        sim = simulated.one_sided_share
        ok = sim is not None and math.isfinite(sim)
        add("one_sided_share", sim - observed.one_sided_share if ok else 1.0)
    return Distance(sum(t.contribution for t in terms.values()), terms)


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Parameter:
    """A scenario setting to fit (dotted key), its bounds and its value in the base."""

    key: str
    low: float
    high: float
    integer: bool = False
    log: bool = False
    base_value: float | None = None

    def suggest(self, trial: optuna.Trial) -> float | int:
        if self.integer:
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.key, self.low, self.high, log=self.log)

    def bounds_text(self) -> str:
        fmt = (lambda x: f"{int(x)}") if self.integer else (lambda x: f"{x:g}")
        return f"{fmt(self.low)}–{fmt(self.high)}" + (" (log)" if self.log else "")


def _numeric_leaves(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_numeric_leaves(value, dotted + "."))
        elif not isinstance(value, list):
            out[dotted] = value
    return out


def parse_params(
    scenario: Scenario,
    params: Mapping[str, Sequence[Any]] | Sequence[str],
) -> list[Parameter]:
    """Check the parameters to fit: known numeric keys, ordered bounds, both allowed.

    `params` is `{"population.need_rate_per_day": (0.005, 0.05)}` (a third element
    "log" searches on a log scale) or command-line items `"key=lo:hi"` / `"key=lo:hi:log"`.
    Raises ScenarioError with a did-you-mean hint.
    """
    if isinstance(params, Mapping):
        items = [(str(k), tuple(v)) for k, v in params.items()]
    else:
        items = [_parse_param_text(text) for text in params]
    if not items:
        raise ScenarioError("--params", None, "name at least one parameter, e.g. key=lo:hi")
    leaves = _numeric_leaves(scenario.to_dict())
    numeric = sorted(
        k
        for k, v in leaves.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and not k.startswith("run.")
    )
    parameters = []
    seen = set()
    for key, bounds in items:
        if key in seen:
            raise ScenarioError("--params", key, "given twice")
        seen.add(key)
        if key not in leaves or key.startswith("run."):
            hint = did_you_mean(key, numeric)
            if key.startswith("run."):
                message = "run settings are not model parameters; the record sets the length"
            else:
                message = f"not a scenario setting{hint}"
            raise ScenarioError("--params", key, message)
        current = leaves[key]
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ScenarioError(
                "--params",
                key,
                f"is a {type(current).__name__} setting ({current!r}); only numbers can be fitted",
            )
        if len(bounds) not in (2, 3) or (len(bounds) == 3 and bounds[2] != "log"):
            raise ScenarioError(
                "--params", key, f"expected (low, high) or (low, high, 'log'), got {bounds!r}"
            )
        integer = isinstance(current, int)
        low, high = _bound(bounds[0], key, integer), _bound(bounds[1], key, integer)
        if not low < high:
            raise ScenarioError("--params", key, f"low bound {low:g} must be below high {high:g}")
        log = len(bounds) == 3
        if log and low <= 0:
            raise ScenarioError(
                "--params", key, f"a log scale needs a positive low bound ({low:g})"
            )
        for which, value in (("low", low), ("high", high)):
            try:
                scenario.with_overrides({key: value})
            except ScenarioError as exc:
                raise ScenarioError(
                    "--params", key, f"{which} bound {value:g} is not allowed: {exc.message}"
                ) from None
        parameters.append(Parameter(key, low, high, integer, log, float(current)))
    return parameters


def _bound(value: Any, key: str, integer: bool) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ScenarioError("--params", key, f"bound {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ScenarioError("--params", key, f"bound {value!r} must be finite")
    if integer and number != int(number):
        raise ScenarioError("--params", key, f"is a whole number; bound {value!r} is not")
    return int(number) if integer else number


def _parse_param_text(text: str) -> tuple[str, tuple[str, ...]]:
    key, sep, rest = text.partition("=")
    parts = rest.split(":")
    if not sep or not key.strip() or len(parts) not in (2, 3):
        raise ScenarioError(
            "--params",
            text,
            "expected KEY=LOW:HIGH (or KEY=LOW:HIGH:log), e.g. staffing.handling_minutes=5:60",
        )
    return key.strip(), tuple(p.strip() for p in parts)


def _round_value(value: float, integer: bool) -> float | int:
    """A fitted value as written to fitted.toml: integers as such, floats to 4 digits."""
    if integer:
        return int(round(value))
    return float(f"{value:.4g}")


# --------------------------------------------------------------------------- calibrate


@dataclass
class CalibrationResult:
    """What a calibration found, with everything needed to write its outputs."""

    parameters: list[Parameter]
    fitted_values: dict[str, float | int]  # rounded as in fitted.toml
    distance: Distance  # of the fitted values (re-run)
    best_trial_distance: float  # the study's best trial (unrounded values)
    observed: RecordStats
    simulated: RecordStats
    records: Records
    base: Scenario
    fitted: Scenario
    history: pd.DataFrame
    trials: int  # completed trials in the study
    trials_run: int  # of which run by this call
    replications: int
    seed: int
    seeds: list[int]
    study_path: Path | None
    scenario_ref: str | None  # what fitted.toml extends (None: the base is written out)
    base_overrides: dict[str, Any]
    simulated_items: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    seconds: float = 0.0
    base_distance: float | None = None  # trial 0, the base scenario's values, if run


def calibrate(
    scenario: Scenario | str | os.PathLike,
    data: str | os.PathLike | pd.DataFrame | Records,
    params: Mapping[str, Sequence[Any]] | Sequence[str],
    trials: int = 50,
    replications: int = 3,
    seed: int = 1,
    study_path: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    days: int | None = None,
    horizon_hours: float | None = None,
    scales: Mapping[str, float] | None = None,
    progress: Callable[[int, int, float, float], None] | None = None,
) -> CalibrationResult:
    """Fit `params` of `scenario` to the records in `data`; see the module docstring.

    - `scenario`: a Scenario, a scenario file or a bundled name; `overrides` are dotted
      settings applied to it first (and written to fitted.toml with the fitted values).
    - `params`: `{"key": (low, high)}` or `(low, high, "log")`; integer settings stay
      integers.
    - `trials`: total completed trials wanted in the study; a resumed study runs only
      the missing ones. `replications` seeds per trial, the same in every trial.
    - `study_path`: the SQLite file (or a folder for `study.db`); default
      `out/study.db` when `out` is given, else an in-memory study (not resumable).
    - `out`: when given, the outputs are written there (`write_outputs`).
    - `progress(done, total, distance, best)` is called after each trial.

    Raises ScenarioError (DataError for the records) for anything that cannot be used.
    """
    started = time.perf_counter()
    if trials < 1:
        raise ScenarioError("--trials", None, f"must be at least 1 (got {trials})")
    if replications < 1:
        raise ScenarioError("--replications", None, f"must be at least 1 (got {replications})")
    if seed < 0:
        raise ScenarioError("--seed", None, f"must be 0 or more (got {seed})")
    base, scenario_ref, base_overrides = _base_scenario(scenario, overrides)
    records = read_records(data, days)
    if records.start_weekday and records.start_weekday != base.run.start_weekday:
        base = base.with_overrides({"run.start_weekday": records.start_weekday})
        base_overrides["run.start_weekday"] = records.start_weekday
    parameters = parse_params(base, params)
    horizon = default_horizon_hours(records.days) if horizon_hours is None else horizon_hours
    if not 0 < horizon < records.days * HOURS_PER_DAY:
        raise ScenarioError(
            "--horizon-hours",
            None,
            f"must be above 0 and below the record's {records.days * 24} hours (got {horizon:g})",
        )
    observed = record_statistics(records.frame, records.days, horizon)
    if not observed.eligible:
        raise DataError(
            records.source,
            None,
            f"no item was posted {horizon:g} hours or more before the record ends, so no "
            "reply rate can be measured; give a shorter --horizon-hours",
        )
    if out is not None and study_path is None:
        study_path = Path(out) / "study.db"
    study_file = _study_file(study_path)
    seeds = trial_seeds(seed, replications)
    distance(observed, observed, scales)  # refuse unknown scale names before any run

    import optuna

    settings = {
        "data": records.fingerprint(),
        "days": records.days,
        "scenario_hash": base.content_hash(),
        "parameters": [[p.key, p.low, p.high, p.integer, p.log] for p in parameters],
        "replications": replications,
        "seed": seed,
        "horizon_hours": horizon,
        "scales": {**DISTANCE_SCALES, **(scales or {})},
    }
    with _quiet_optuna():
        study = _open_study(study_file, settings)
    if not study.trials:
        # The first trial is the base scenario's own values (when inside the bounds): the
        # distance before calibration, for the report.
        start = {p.key: p.base_value for p in parameters}
        if all(p.low <= p.base_value <= p.high for p in parameters):
            study.enqueue_trial(
                {
                    p.key: int(v) if p.integer else v
                    for p, v in zip(parameters, start.values(), strict=True)
                }
            )
    complete = _completed(study)
    remaining = max(0, trials - len(complete))
    # A resumed study reseeds its sampler by the trials it holds, so a resumed run does
    # not repeat the first run's random start-up points.
    study.sampler = optuna.samplers.TPESampler(
        seed=seed + len(study.trials),
        n_startup_trials=max(3, min(10, trials // 3)),
        multivariate=True,
    )

    def objective(trial: optuna.Trial) -> float:
        values = {p.key: p.suggest(trial) for p in parameters}
        try:
            candidate = base.with_overrides(values)
        except ScenarioError as exc:  # e.g. a combination another field forbids
            trial.set_user_attr("error", str(exc))
            return float("nan")
        stats, _ = simulate_statistics(candidate, seeds, records.days, horizon)
        result = distance(observed, stats, scales)
        trial.set_user_attr("statistics", stats.to_dict())
        trial.set_user_attr("terms", {k: t.contribution for k, t in result.terms.items()})
        return result.total

    callbacks = []
    if progress is not None:
        total = len(complete) + remaining

        def report(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            done = len(_completed(study))
            best = min((t.value for t in _completed(study)), default=float("nan"))
            progress(done, total, trial.value if trial.value is not None else math.nan, best)

        callbacks.append(report)
    if remaining:
        with _quiet_optuna():
            study.optimize(objective, n_trials=remaining, callbacks=callbacks)
    complete = _completed(study)
    if not complete:
        errors = {t.user_attrs.get("error") for t in study.trials if t.user_attrs.get("error")}
        raise ScenarioError(
            "--params", None, "no trial could run: " + "; ".join(sorted(e for e in errors if e))
        )
    best = study.best_trial
    fitted_values = {p.key: _round_value(best.params[p.key], p.integer) for p in parameters}
    fitted = base.with_overrides(
        {
            **fitted_values,
            "name": f"{base.name}_fitted",
            "description": _description(base, records, parameters),
        }
    )
    simulated, items = simulate_statistics(fitted, seeds, records.days, horizon)
    result = CalibrationResult(
        parameters=parameters,
        fitted_values=fitted_values,
        distance=distance(observed, simulated, scales),
        best_trial_distance=float(best.value),
        observed=observed,
        simulated=simulated,
        records=records,
        base=base,
        fitted=fitted,
        history=_history(study, parameters),
        trials=len(complete),
        trials_run=remaining,
        replications=replications,
        seed=seed,
        seeds=seeds,
        study_path=study_file,
        scenario_ref=scenario_ref,
        base_overrides=base_overrides,
        simulated_items=items,
    )
    result.seconds = time.perf_counter() - started
    first = study.trials[0]
    if first.system_attrs.get("fixed_params") is not None and first.value is not None:
        result.base_distance = float(first.value)
    if out is not None:
        write_outputs(result, out)
    return result


def _base_scenario(
    scenario: Scenario | str | os.PathLike, overrides: Mapping[str, Any] | Sequence[str] | None
) -> tuple[Scenario, str | None, dict[str, Any]]:
    """The base scenario, the reference fitted.toml extends, and the overrides as a dict."""
    items = dict(parse_overrides(overrides)) if overrides else {}
    if isinstance(scenario, Scenario):
        base = scenario.with_overrides(items) if items else scenario
        return base, None, items
    path = resolve_scenario_path(scenario)
    base = load_scenario(scenario, overrides=items or None)
    resolved = path.resolve()
    bundled = bundled_scenario_dir().resolve()
    ref = resolved.name if resolved.parent == bundled else str(resolved)
    return base, ref, items


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna's per-trial log lines off for a while (the progress callback reports)."""
    import optuna

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)


def _study_file(study_path: str | os.PathLike | None) -> Path | None:
    if study_path is None:
        return None
    path = Path(study_path)
    if path.suffix != ".db":
        path = path / "study.db"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError("--out", None, f"cannot create folder {path.parent}: {exc}") from None
    return path


def _open_study(study_file: Path | None, settings: dict[str, Any]) -> optuna.Study:
    """Create or resume the study; refuse to resume one made for other settings."""
    import optuna
    from optuna.trial import TrialState

    storage = None
    if study_file is not None:
        storage = optuna.storages.RDBStorage(f"sqlite:///{study_file}")
    study = optuna.create_study(
        study_name=STUDY_NAME, storage=storage, direction="minimize", load_if_exists=True
    )
    stored = study.user_attrs.get("settings")
    if stored is None:
        study.set_user_attr("settings", json.loads(json.dumps(settings)))
    else:
        mismatched = [k for k, v in json.loads(json.dumps(settings)).items() if stored.get(k) != v]
        if mismatched:
            raise ScenarioError(
                str(study_file),
                None,
                "this study was made for other settings ("
                + ", ".join(_SETTING_NAMES.get(k, k) for k in mismatched)
                + " differ); choose another --out, or delete the study file to start afresh",
            )
    if storage is not None:
        # Trials left running by a calibration that was stopped will never finish.
        study_id = storage.get_study_id_from_name(STUDY_NAME)
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
            storage.set_trial_state_values(trial_id, TrialState.FAIL)
    return study


_SETTING_NAMES = {
    "data": "the records",
    "days": "the record's length",
    "scenario_hash": "the scenario",
    "parameters": "the parameters or their bounds",
    "replications": "--replications",
    "seed": "--seed",
    "horizon_hours": "--horizon-hours",
    "scales": "the distance scales",
}


def _completed(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def _history(study: optuna.Study, parameters: list[Parameter]) -> pd.DataFrame:
    """One row per finished trial: number, state, parameters, distance, best so far."""
    from optuna.trial import TrialState

    rows = []
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.RUNNING:
            continue
        row: dict[str, Any] = {"trial": trial.number, "state": trial.state.name.lower()}
        for p in parameters:
            row[p.key] = trial.params.get(p.key, np.nan)
        row["distance"] = trial.value if trial.state == TrialState.COMPLETE else np.nan
        for name in DISTANCE_SCALES:
            row[f"term_{name}"] = trial.user_attrs.get("terms", {}).get(name, np.nan)
        rows.append(row)
    history = pd.DataFrame(rows)
    if len(history):
        history["best_so_far"] = history["distance"].cummin()
        history = history.dropna(axis=1, how="all")
    return history


# --------------------------------------------------------------------------- outputs


def write_outputs(result: CalibrationResult, out: str | os.PathLike) -> dict[str, Path]:
    """Write fitted.toml, report.md, history.csv and the PNG figures into `out`."""
    out_dir = Path(out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = {"fitted": out_dir / "fitted.toml"}
        if result.scenario_ref is None:
            paths["base"] = out_dir / "base.toml"
            paths["base"].write_text(
                "# The scenario the calibration started from (fully resolved).\n\n"
                + result.base.to_toml(),
                encoding="utf-8",
            )
        paths["fitted"].write_text(fitted_toml(result), encoding="utf-8")
        paths["history"] = out_dir / "history.csv"
        result.history.to_csv(paths["history"], index=False)
        paths.update(_write_figures(result, out_dir))
        paths["report"] = out_dir / "report.md"
        paths["report"].write_text(report_markdown(result, paths), encoding="utf-8")
    except OSError as exc:
        raise ScenarioError("--out", None, f"cannot write to {out_dir}: {exc}") from None
    return paths


def _nest(dotted: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in dotted.items():
        node = nested
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return nested


def fitted_toml(result: CalibrationResult) -> str:
    """The fitted scenario file: extends the base and sets the fitted values."""
    records = result.records
    today = dt.date.today().isoformat()
    start = (
        f"from {records.start.date().isoformat()} ({records.start_weekday})"
        if records.start
        else "in hours from its start"
    )
    extends = result.scenario_ref or "base.toml"
    lines = [
        f"# Fitted by `microgov calibrate` on {today} (microgov {_version()}).",
        f"# Data: {records.source} — {result.observed.items} items over {records.days} days "
        f"{start}.",
        f"# Distance: {result.distance.total:.4g} for these values (best trial "
        f"{result.best_trial_distance:.4g}), best of {result.trials} trials, "
        f"{result.replications} replication(s) each (seeds {_seed_text(result.seeds)}).",
        "# Fitted parameters (search bounds):",
    ]
    for p in result.parameters:
        lines.append(f"#   {p.key} = {result.fitted_values[p.key]}  ({p.bounds_text()})")
    if result.base_overrides:
        lines.append(
            "# Also set (the calibration's base): "
            + ", ".join(f"{k} = {v!r}" for k, v in result.base_overrides.items())
        )
    lines.append(
        f"# Reproduce the fit's runs: microgov run fitted.toml --days {records.days} "
        f"--seed {result.seeds[0]}"
    )
    body = {
        "extends": extends,
        "name": result.fitted.name,
        "description": result.fitted.description,
    }
    settings = _nest({**result.base_overrides, **result.fitted_values})
    return "\n".join(lines) + "\n\n" + tomli_w.dumps({**body, **settings})


def _description(base: Scenario, records: Records, parameters: list[Parameter]) -> str:
    keys = ", ".join(p.key for p in parameters)
    return f"{base.name} fitted to {Path(records.source).name} ({keys})."


def _seed_text(seeds: Sequence[int]) -> str:
    return f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])


def _version() -> str:
    from simulation import __version__

    return __version__


def _statistic(value: float | None, kind: str = "g") -> str:
    """A statistic of the report's tables: a share, hours, or a number ("g")."""
    if kind == "share":
        return percent(value, missing=NOT_AVAILABLE)
    if kind == "hours":
        return fixed(value, 1, missing=NOT_AVAILABLE)
    return number(value, missing=NOT_AVAILABLE)


def statistics_table(result: CalibrationResult) -> pd.DataFrame:
    """Observed against simulated, one row per statistic (for the report)."""
    obs, sim = result.observed, result.simulated
    rows = [
        ("items per day", obs.items_per_day, sim.items_per_day, "g"),
        (f"reply rate within {obs.horizon_hours:g} h", obs.reply_rate, sim.reply_rate, "share"),
    ]
    for q in QUANTILES:
        rows.append(
            (f"reply time, {q:.0%} quantile [h]", obs.quantiles[q], sim.quantiles[q], "hours")
        )
    if obs.one_sided_share is not None:
        rows.append(
            ("one-sided share of replies", obs.one_sided_share, sim.one_sided_share, "share")
        )
    if obs.kind_shares:
        for kind in NEED_KINDS:
            rows.append(
                (f"share of {kind}s", obs.kind_shares.get(kind), sim.kind_shares.get(kind), "share")
            )
    return pd.DataFrame(rows, columns=["statistic", "observed", "simulated", "format"])


def report_markdown(result: CalibrationResult, paths: Mapping[str, Path]) -> str:
    """The fit report: what was fitted to what, how well, with tables and figures."""
    records, obs = result.records, result.observed
    start = (
        f"{records.start.date().isoformat()} ({records.start_weekday})"
        if records.start
        else "hour 0 (times given in hours)"
    )
    lines = [
        f"# Calibration of `{result.base.name}` to `{Path(records.source).name}`",
        "",
        f"- data: `{records.source}`: {obs.items} items over {records.days} days from {start}",
        f"- follow-up horizon: {obs.horizon_hours:g} h ({obs.eligible} items posted at least "
        f"that long before the end; {obs.replied} of them replied within it)",
        f"- trials: {result.trials} ({result.trials_run} run now), {result.replications} "
        f"replication(s) per trial with seeds {_seed_text(result.seeds)} (the same in every "
        f"trial), Optuna TPE sampler seeded with {result.seed}",
        f"- distance of the fitted values: **{result.distance.total:.4g}** "
        f"(best trial {result.best_trial_distance:.4g}; values rounded to 4 digits)"
        + (
            f"; of the base scenario's values (trial 0): {result.base_distance:.4g}"
            if result.base_distance is not None
            else ""
        ),
        f"- fitted scenario: `{paths['fitted'].name}` (extends `{result.scenario_ref or 'base.toml'}`)",
        f"- written {dt.datetime.now().isoformat(timespec='seconds')}, run time "
        f"{result.seconds:.0f} s",
        "",
        "## Fitted parameters",
        "",
        "| parameter | search bounds | base value | fitted |",
        "|---|---|---|---|",
    ]
    for p in result.parameters:
        lines.append(
            f"| `{p.key}` | {p.bounds_text()} | {_statistic(p.base_value)} | "
            f"**{result.fitted_values[p.key]}** |"
        )
    near = [
        p.key
        for p in result.parameters
        if min(abs(result.fitted_values[p.key] - p.low), abs(result.fitted_values[p.key] - p.high))
        < 0.02 * (p.high - p.low)
    ]
    if near:
        lines += [
            "",
            f"Fitted at the edge of its bounds: {', '.join(f'`{k}`' for k in near)}. The best "
            "value may lie outside them: widen the bounds and calibrate again.",
        ]
    lines += [
        "",
        "## Observed against simulated",
        "",
        f"Simulated: the fitted scenario over {records.days} days, the {result.replications} "
        "replications' items pooled.",
        "",
        "| statistic | observed | simulated |",
        "|---|---|---|",
    ]
    for row in statistics_table(result).itertuples():
        lines.append(
            f"| {row.statistic} | {_statistic(row.observed, row.format)} | "
            f"{_statistic(row.simulated, row.format)} |"
        )
    lines += [
        "",
        "## Distance",
        "",
        "D = Σ (difference / scale)²; one unit is one statistic off by about its sampling "
        "noise in a record of a few hundred items.",
        "",
        "| term | difference | scale | contribution |",
        "|---|---|---|---|",
    ]
    for name, term in result.distance.terms.items():
        scale = 1 / math.sqrt(term.weight) if term.weight else math.inf
        lines.append(
            f"| {TERM_LABELS[name]} | {term.difference:+.3f} | {scale:.3g} | "
            f"{term.contribution:.3g} |"
        )
    lines.append(f"| **total** | | | **{result.distance.total:.4g}** |")
    figures = [
        ("reply_times", "Reply times: distribution of the replies within the horizon"),
        ("hourly_profile", "Hourly arrival profile"),
        ("summary", "Reply rate, one-sided share and volume"),
        ("convergence", "Convergence of the search"),
    ]
    lines += ["", "## Figures", ""]
    for key, title in figures:
        if key in paths:
            lines += [f"### {title}", "", f"![{title}]({paths[key].name})", ""]
    lines += [
        "## Reading this fit",
        "",
        "- A small distance says the model *can* reproduce these statistics with these "
        "values, not that the values are the only ones that can: parameters that act on "
        "the same statistic trade off. Compare the trials with a distance close to the "
        f"best in `{paths['history'].name}` to see how tightly each value is pinned down.",
        "- Everything not fitted keeps the base scenario's value; if the simulated hourly "
        "profile differs from the observed one, set `population.daily_rhythm` to the 24 "
        "observed shares (below) rather than fitting around it.",
        "- Replications and trials are few when the run was quick; more of both give a "
        "steadier fit (`--replications`, `--trials`; a stopped calibration resumes).",
        "",
        "Observed hourly shares (for `population.daily_rhythm`):",
        "",
        "```toml",
        "daily_rhythm = [" + ", ".join(f"{x:.4f}" for x in obs.hourly) + "]",
        "```",
        "",
    ]
    return "\n".join(lines)


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


OBSERVED_COLOUR = "#333333"
SIMULATED_COLOUR = "#d95f02"


def _write_figures(result: CalibrationResult, out_dir: Path) -> dict[str, Path]:
    """PNG figures drawn with matplotlib's Figure directly (no pyplot: headless)."""
    paths = {}
    for name, draw in (
        ("reply_times", reply_time_figure),
        ("hourly_profile", hourly_profile_figure),
        ("summary", summary_figure),
        ("convergence", convergence_figure),
    ):
        fig = draw(result)
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=110)
        paths[name] = path
    return paths


def reply_time_figure(result: CalibrationResult) -> Figure:
    obs, sim = result.observed, result.simulated
    fig = _new_figure(9, 3.6)
    ecdf, quant = fig.subplots(1, 2)
    for stats, label, colour in (
        (obs, "observed", OBSERVED_COLOUR),
        (sim, "simulated", SIMULATED_COLOUR),
    ):
        hours = np.sort(np.maximum(stats.reply_hours, MIN_REPLY_HOURS))
        if len(hours):
            share = np.arange(1, len(hours) + 1) / len(hours)
            ecdf.step(
                hours, share, where="post", label=f"{label} ({len(hours)} replies)", color=colour
            )
    ecdf.set_xscale("log")
    ecdf.set_xlabel("hours from post to first reply (log scale)")
    ecdf.set_ylabel("share of replies within the horizon")
    ecdf.set_title("Reply-time distribution")
    ecdf.legend(loc="lower right", fontsize=8)
    x = np.arange(len(QUANTILES))
    width = 0.38
    quant.bar(
        x - width / 2,
        [obs.quantiles[q] for q in QUANTILES],
        width,
        label="observed",
        color=OBSERVED_COLOUR,
    )
    quant.bar(
        x + width / 2,
        [sim.quantiles[q] for q in QUANTILES],
        width,
        label="simulated",
        color=SIMULATED_COLOUR,
    )
    quant.set_xticks(x, [f"{q:.0%}" for q in QUANTILES])
    quant.set_xlabel("quantile")
    quant.set_ylabel("hours")
    quant.set_title("Reply-time quantiles")
    quant.legend(fontsize=8)
    return fig


def hourly_profile_figure(result: CalibrationResult) -> Figure:
    obs, sim = result.observed, result.simulated
    fig = _new_figure(8, 3.4)
    ax = fig.subplots()
    hours = np.arange(HOURS_PER_DAY)
    ax.bar(hours, obs.hourly, color="#bbbbbb", edgecolor=OBSERVED_COLOUR, label="observed")
    ax.plot(hours, sim.hourly, marker="o", color=SIMULATED_COLOUR, label="simulated")
    ax.set_xticks(hours[::2])
    ax.set_xlabel("hour of day")
    ax.set_ylabel("share of items")
    ax.set_title("Hourly arrival profile")
    ax.legend(fontsize=8)
    return fig


def summary_figure(result: CalibrationResult) -> Figure:
    obs, sim = result.observed, result.simulated
    shares = [("reply rate", obs.reply_rate, sim.reply_rate)]
    if obs.one_sided_share is not None:
        shares.append(("one-sided share", obs.one_sided_share, sim.one_sided_share))
    fig = _new_figure(7.5, 3.2)
    left, right = fig.subplots(1, 2, width_ratios=[len(shares), 1])
    x = np.arange(len(shares))
    width = 0.38
    left.bar(x - width / 2, [s[1] for s in shares], width, color=OBSERVED_COLOUR, label="observed")
    left.bar(
        x + width / 2,
        [np.nan if s[2] is None else s[2] for s in shares],
        width,
        color=SIMULATED_COLOUR,
        label="simulated",
    )
    left.set_xticks(x, [s[0] for s in shares])
    left.set_ylim(0, 1)
    left.set_ylabel("share")
    left.legend(fontsize=8)
    right.bar(
        [0, 1], [obs.items_per_day, sim.items_per_day], color=[OBSERVED_COLOUR, SIMULATED_COLOUR]
    )
    right.set_xticks([0, 1], ["observed", "simulated"])
    right.set_ylabel("items per day")
    fig.suptitle(f"Reply rate within {obs.horizon_hours:g} h, reply quality and volume")
    return fig


def convergence_figure(result: CalibrationResult) -> Figure:
    history = result.history
    fig = _new_figure(7, 3.2)
    ax = fig.subplots()
    done = history.dropna(subset=["distance"]) if len(history) else history
    if len(done):
        ax.scatter(done["trial"], done["distance"], s=12, color="#999999", label="trial")
        ax.step(
            done["trial"],
            done["best_so_far"],
            where="post",
            color=SIMULATED_COLOUR,
            label="best so far",
        )
        if (done["distance"] > 0).all():
            ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("distance D")
    ax.set_title("Convergence of the search")
    ax.legend(fontsize=8)
    return fig


# --------------------------------------------------------------------------- command

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # stopped with Ctrl-C (128 + SIGINT)


def add_calibrate_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `microgov calibrate` on the `microgov` command's subparsers."""
    parser = subparsers.add_parser(
        "calibrate",
        help="fit scenario parameters to an account's own records",
        description="Fit parameters of SCENARIO to an account's records (DATA.csv: one row "
        "per citizen item with columns created, first_reply and optionally kind, reply_type) "
        "by matching reply rate, reply-time quantiles, hourly arrival profile and volume. "
        "Writes fitted.toml (a scenario extending SCENARIO with the fitted values), "
        "report.md with figures, history.csv and study.db (resumable: run the same command "
        "again with more --trials to continue).",
        epilog="example:\n  microgov calibrate baseline my_account.csv "
        "--params population.need_rate_per_day=0.002:0.05 "
        "--params mechanism.reply_propensity=-2:1 --trials 60 --out out/fit\n\n"
        "Exit codes: 0 success, 2 a scenario, data file or argument that cannot be used.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="a .toml file or a bundled name")
    parser.add_argument("data", metavar="DATA.csv", type=Path, help="the account's records")
    parser.add_argument(
        "--params",
        action="extend",
        nargs="+",
        required=True,
        metavar="KEY=LOW:HIGH",
        help="a dotted scenario setting and its search bounds, e.g. "
        "staffing.handling_minutes=5:60; add :log for a log scale (repeatable)",
    )
    parser.add_argument("--trials", type=int, default=50, help="trials in the study (default 50)")
    parser.add_argument(
        "--replications", type=int, default=3, help="seeds per trial, the same in all (default 3)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="root seed of sampler and runs (default 1)"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a base setting before fitting, e.g. population.citizens=5000 "
        "(repeatable; written to fitted.toml too)",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=None,
        help="length of the record in days (default: from the data)",
    )
    parser.add_argument(
        "--horizon-hours",
        type=float,
        default=None,
        help="follow-up horizon for reply rate and times (default: 168, at most half the record)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only where results went")
    parser.set_defaults(handler=cmd_calibrate)
    return parser


def cmd_calibrate(args: argparse.Namespace, out=None) -> int:
    """Run `microgov calibrate`; a bad input prints one message and returns 2."""
    import sys

    from rich.console import Console

    console = out if out is not None else Console(file=sys.stdout, highlight=False)
    err = Console(file=sys.stderr, highlight=False, soft_wrap=True)
    progress_line = None
    if not args.quiet:

        def progress_line(done: int, total: int, value: float, best: float) -> None:
            if done == total or done % max(1, total // 10) == 0:
                console.print(
                    f"trial {done}/{total}: distance {value:.4g}, best {best:.4g}", markup=False
                )

    try:
        result = calibrate(
            args.scenario,
            args.data,
            params=args.params,
            trials=args.trials,
            replications=args.replications,
            seed=args.seed,
            out=args.out,
            overrides=args.overrides,
            days=args.days,
            horizon_hours=args.horizon_hours,
            progress=progress_line,
        )
    except ScenarioError as exc:
        err.print(f"microgov calibrate: error: {exc}", markup=False)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err.print(
            f"microgov calibrate: stopped; finished trials are kept in {args.out / 'study.db'}: "
            "run the same command again to continue",
            markup=False,
        )
        return EXIT_INTERRUPTED
    if not args.quiet:
        for p in result.parameters:
            console.print(
                f"{p.key} = {result.fitted_values[p.key]}  (bounds {p.bounds_text()})",
                markup=False,
            )
        console.print(
            f"distance {result.distance.total:.4g} after {result.trials} trials "
            f"({result.trials_run} run now) in {result.seconds:.0f} s",
            markup=False,
        )
    console.print(
        f"wrote fitted.toml, report.md, history.csv and figures to {args.out}",
        markup=False,
        soft_wrap=True,
    )
    return EXIT_OK
