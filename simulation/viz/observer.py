"""An observer that reads a running model hour by hour, for live charts and tutorials.

The model itself records daily counters (`model.metrics`); what it does not keep is how
things looked at each hour (the operators' backlog rises and falls within a day) or
running totals such as the response rate so far. `Observer` subscribes to the model's
end-of-hour event and reads them then — it only reads, so the run is untouched — and
`daily_frame()` joins them to the model's daily series for the days completed.

Needs only numpy and pandas (no solara): usable in any notebook or script.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.codes import (
    ANSWERED,
    COMPLAINT,
    HOURS_PER_DAY,
    NOT_RECEIVED,
    OPEN,
    REFERRED,
    RUMOUR,
)
from simulation.events import HourEnded
from simulation.format import unit_metric

if TYPE_CHECKING:
    from simulation.model import GovernmentResponseModel

# Columns of the hourly record, in order.
HOURLY_COLUMNS = (
    "hour",
    "day",
    "hour_of_day",
    "operators_on_duty",
    "backlog_operators",
    "backlog_departments",
    "waiting_items",
    "waiting_complaints",
    "response_rate_so_far",
    "mean_trust",
)

# Daily columns the charts and the day table use (from the model's daily series, plus
# the observer's end-of-day values).
DAILY_COLUMNS = (
    "day",
    "received",
    "replies",
    "median_response_hours",
    "p90_response_hours",
    "replies_per_received",
    "response_rate_so_far",
    "one_sided_share",
    "backlog_operators",
    "backlog_departments",
    "waiting_complaints",
    "mean_trust",
    "operator_utilisation",
)


def waiting_mask(model: GovernmentResponseModel, kind: int | None = None) -> np.ndarray:
    """Items the government has received and not yet answered (open or referred)."""
    items = model.items
    status = items.view("status")
    mask = (status == OPEN) | (status == REFERRED)
    if kind is not None:
        mask &= items.view("kind") == kind
    return mask


def response_rate_so_far(model: GovernmentResponseModel) -> float:
    """Share of the requests received so far that got any reply (the summary's definition)."""
    items = model.items
    status = items.view("status")
    requests = (status != NOT_RECEIVED) & (items.view("kind") != RUMOUR)
    n = int(np.count_nonzero(requests))
    if not n:
        return float("nan")
    return float(np.count_nonzero(requests & (status == ANSWERED))) / n


def _requests(model: GovernmentResponseModel) -> tuple[np.ndarray, np.ndarray]:
    """(received requests, the account of each item) as masks and codes over the items."""
    items = model.items
    status = items.view("status")
    requests = (status != NOT_RECEIVED) & (items.view("kind") != RUMOUR)
    return requests, items.view("account")


def received_by_account(model: GovernmentResponseModel) -> list[int]:
    """Requests each account has received so far, in the order of `model.accounts`."""
    requests, account = _requests(model)
    counts = np.bincount(account[requests].astype(np.int64), minlength=len(model.accounts))
    return [int(c) for c in counts[: len(model.accounts)]]


def response_rates_by_account(model: GovernmentResponseModel) -> list[float]:
    """`response_rate_so_far` of each account, over the requests that went to it."""
    requests, account = _requests(model)
    answered = requests & (model.items.view("status") == ANSWERED)
    k = len(model.accounts)
    n = np.bincount(account[requests].astype(np.int64), minlength=k)[:k]
    done = np.bincount(account[answered].astype(np.int64), minlength=k)[:k]
    return [float(d) / float(m) if m else float("nan") for d, m in zip(done, n, strict=True)]


class Observer:
    """Records a model's state at the end of each hour it runs from now on.

    `hourly_frame()`: one row per observed hour (backlogs, items waiting, response rate so
    far, mean trust). `daily_frame()`: the model's daily series for completed days, with
    the observer's end-of-day values. Observing is cheap (a few array counts per hour).
    """

    def __init__(self, model: GovernmentResponseModel):
        self.model = model
        self._rows: list[tuple] = []
        # Each declared account's backlog and response rate so far, hour by hour
        # (`backlog_operators@<account>`, `response_rate_so_far@<account>` columns).
        self.accounts = (
            [account.name for account in model.accounts] if model.scenario.accounts else []
        )
        self._account_rows: list[tuple[float, ...]] = []
        self.initial_trust = model.population.trust.copy()  # each citizen's, at the start
        self._initial_trust = float(self.initial_trust.mean())
        model.events.subscribe(HourEnded, self._on_hour_ended)

    def __len__(self) -> int:
        return len(self._rows)

    def _on_hour_ended(self, event: HourEnded) -> None:
        self.observe(event.hour + 1)

    def observe(self, hour: int | None = None) -> None:
        """Record the model as it is at the start of `hour` (default: now).

        Called at the end of every hour by the model; once per hour (repeats are ignored).
        """
        model = self.model
        hour = model.hour if hour is None else hour
        if self._rows and self._rows[-1][0] == hour:
            return
        last = hour - 1  # the hour just simulated
        on_duty = sum(
            1
            for op in model.operators
            if 0 <= last < len(op.server.on_duty) and op.server.on_duty[last]
        )
        self._rows.append(
            (
                hour,
                last // HOURS_PER_DAY,
                last % HOURS_PER_DAY,
                on_duty,
                model.operator_backlog(float(hour)),
                sum(d.backlog(float(hour)) for d in model.departments),
                int(np.count_nonzero(waiting_mask(model))),
                int(np.count_nonzero(waiting_mask(model, COMPLAINT))),
                response_rate_so_far(model),
                float(model.population.trust.mean()),
            )
        )
        if self.accounts:
            rates = response_rates_by_account(model)
            backlogs = [float(a.desk.backlog(float(hour))) for a in model.accounts]
            self._account_rows.append((*backlogs, *rates))

    def hourly_frame(self) -> pd.DataFrame:
        """One row per observed hour; `hour` is the number of hours simulated.

        With declared accounts, also each account's `backlog_operators@<account>` and
        `response_rate_so_far@<account>`.
        """
        frame = pd.DataFrame(self._rows, columns=list(HOURLY_COLUMNS))
        if self.accounts:
            columns = [
                *(unit_metric("backlog_operators", name) for name in self.accounts),
                *(unit_metric("response_rate_so_far", name) for name in self.accounts),
            ]
            by_account = pd.DataFrame(self._account_rows, columns=columns, dtype=float)
            frame = pd.concat([frame, by_account], axis=1)
        return frame

    def account_table(self) -> list[dict[str, str]]:
        """Each account as the page shows it: what it is and how it stands now.

        `simulation.accounts.describe_accounts` (platform, level, follower share,
        operators, shifts, mechanism, departments) with its backlog now, the requests
        it received so far and its response rate so far.
        """
        from simulation.accounts import describe_accounts

        model = self.model
        now = float(model.hour)
        rates = response_rates_by_account(model)
        received = received_by_account(model)
        rows = []
        for facts, account, rate, count in zip(
            describe_accounts(model.scenario), model.accounts, rates, received, strict=True
        ):
            rows.append(
                {
                    **facts,
                    "backlog now": f"{account.desk.backlog(now):,}",
                    "received so far": f"{count:,}",
                    "response rate so far": "–" if np.isnan(rate) else f"{rate:.0%}",
                }
            )
        return rows

    def daily_frame(self) -> pd.DataFrame:
        """One row per completed day: the model's daily series and the observer's values.

        `response_rate_so_far` and `waiting_complaints` are as they stood at the end of the
        day (NaN for days the observer did not see end).
        """
        model = self.model
        days_done = min(model.hour // HOURS_PER_DAY, model.days)
        frame = model.metrics.daily_frame().iloc[:days_done].reset_index(drop=True)
        # the rows recorded at the end of a day (the page asks after every Step: no
        # hourly frame, no join)
        hour, rate, complaints = (
            HOURLY_COLUMNS.index(c) for c in ("hour", "response_rate_so_far", "waiting_complaints")
        )
        ends = [row for row in self._rows if row[hour] % HOURS_PER_DAY == 0]
        ends = [row for row in ends if 0 < row[hour] <= days_done * HOURS_PER_DAY]
        days = [row[hour] // HOURS_PER_DAY - 1 for row in ends]
        for column, index in (("response_rate_so_far", rate), ("waiting_complaints", complaints)):
            # aligned on the day: NaN for a day whose end was not seen
            values = [row[index] for row in ends]
            frame[column] = pd.Series(values, index=days, dtype=None if values else float)
        for column in DAILY_COLUMNS:
            if column not in frame:
                frame[column] = np.nan
        return frame

    def today(self) -> dict[str, float]:
        """The current day so far: counts of the day and the latest hourly values."""
        model = self.model
        day = max(0, (model.hour - 1) // HOURS_PER_DAY) if model.hour else 0
        counts = model.metrics.counts
        replies_today = model.metrics.reply_hours[day] if day < model.days else []
        received = float(counts["received"][day]) if day < model.days else 0.0
        replies = float(counts["replies"][day]) if day < model.days else 0.0
        one_sided = (
            float(counts["replies_boilerplate"][day] + counts["replies_partial"][day])
            if day < model.days
            else 0.0
        )
        latest = self._rows[-1] if self._rows else None
        mean_trust = float(model.population.trust.mean())
        return {
            "day": float(day),
            "hour_of_day": float(model.hour - day * HOURS_PER_DAY),
            "received": received,
            "replies": replies,
            "median_response_hours": (
                float(np.median(replies_today)) if replies_today else float("nan")
            ),
            "p90_response_hours": (
                float(np.quantile(replies_today, 0.9)) if replies_today else float("nan")
            ),
            "one_sided_share": one_sided / replies if replies else float("nan"),
            "backlog_operators": float(model.operator_backlog(float(model.hour))),
            "waiting_complaints": float(np.count_nonzero(waiting_mask(model, COMPLAINT))),
            "response_rate_so_far": response_rate_so_far(model),
            "mean_trust": mean_trust,
            "trust_change": mean_trust - self._initial_trust,
            "operators_on_duty": float(latest[3]) if latest else 0.0,
        }
