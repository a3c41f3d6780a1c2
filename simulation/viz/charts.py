"""Charts of a run as it goes: the page's time series and the day's numbers.

Matplotlib only (no solara), so the same figures appear in the interactive page and in
the tutorial notebooks: `dashboard_figure(observer)` draws six small panels from an
`Observer`; `day_table(observer)` gives the current day's numbers as label → text.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from simulation.codes import HOURS_PER_DAY

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from simulation.viz.observer import Observer

PANELS = (
    "operators' backlog",
    "response time",
    "response rate",
    "one-sided replies",
    "mean trust",
    "waiting for a reply",
)


def dashboard_figure(observer: Observer, figsize: tuple[float, float] = (9.0, 6.4)) -> Figure:
    """Six panels over time, as a matplotlib Figure.

    Backlog (hourly, shifts shaded), response-time median and p90, response rate,
    one-sided share, mean trust, items and complaints waiting.
    """
    from matplotlib.figure import Figure

    hourly = observer.hourly_frame()
    daily = observer.daily_frame()
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(3, 2, sharex=True).ravel()
    x = hourly["hour"].to_numpy() / HOURS_PER_DAY
    day_mid = daily["day"].to_numpy() + 0.5

    ax = axes[0]
    _shade_duty(ax, hourly)
    ax.plot(x, hourly["backlog_operators"], color="#1f3b73", lw=1.2, label="operators")
    ax.plot(x, hourly["backlog_departments"], color="#c77c02", lw=1.0, label="departments")
    ax.set_ylabel("items waiting")
    _legend(ax)

    ax = axes[1]
    ax.plot(day_mid, daily["median_response_hours"], "o-", ms=3, color="#1f3b73", label="median")
    ax.plot(day_mid, daily["p90_response_hours"], "s--", ms=3, color="#b8342b", label="p90")
    ax.set_ylabel("hours to first reply")
    _legend(ax)

    ax = axes[2]
    ax.plot(x, hourly["response_rate_so_far"], color="#2a7f62", lw=1.2, label="so far")
    ax.plot(
        day_mid, daily["replies_per_received"], "o", ms=3, color="0.4", label="replies/received"
    )
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share")
    _legend(ax)

    ax = axes[3]
    ax.plot(day_mid, daily["one_sided_share"], "o-", ms=3, color="#8e44ad")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of replies")

    ax = axes[4]
    ax.plot(x, hourly["mean_trust"], color="#2a7f62", lw=1.2)
    ax.set_ylabel("trust (0-1)")
    ax.ticklabel_format(axis="y", useOffset=False)

    ax = axes[5]
    ax.plot(x, hourly["waiting_items"], color="0.3", lw=1.0, label="all requests")
    ax.plot(x, hourly["waiting_complaints"], color="crimson", lw=1.2, label="complaints")
    ax.set_ylabel("items")
    _legend(ax)

    for ax, title in zip(axes, PANELS, strict=True):
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.yaxis.label.set_size(8)
        ax.grid(alpha=0.3)
    for ax in axes[-2:]:
        ax.set_xlabel("day", fontsize=8)
    if not len(hourly):
        for ax in axes:
            ax.text(0.5, 0.5, "press Step or ▶", ha="center", va="center", transform=ax.transAxes)
    return fig


def _shade_duty(ax: Axes, hourly) -> None:
    """Grey bands where no operator is on duty."""
    if not len(hourly):
        return
    off = hourly["operators_on_duty"].to_numpy() == 0
    hours = hourly["hour"].to_numpy()
    edges = np.diff(np.concatenate([[False], off, [False]]).astype(int))
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        ax.axvspan(
            (hours[start] - 1) / HOURS_PER_DAY,
            hours[end - 1] / HOURS_PER_DAY,
            color="0.85",
            lw=0,
            zorder=0,
        )


def _legend(ax: Axes) -> None:
    ax.legend(fontsize=7, loc="upper left", frameon=False)


def _fmt(value: float, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "share":
        return f"{value:.0%}"
    if kind == "hours":
        return f"{value:.1f} h"
    if kind == "trust":
        return f"{value:.3f}"
    if kind == "signed":
        return f"{value:+.3f}"
    return f"{value:,.0f}"


def day_table(observer: Observer) -> list[tuple[str, str]]:
    """The current day's numbers as (label, formatted value) rows."""
    today = observer.today()
    day = int(today["day"])
    hour = int(today["hour_of_day"])
    return [
        ("day, hour", f"day {day}, up to {hour:02d}:00"),
        ("operators on duty", _fmt(today["operators_on_duty"], "count")),
        ("requests received today", _fmt(today["received"], "count")),
        ("replies today", _fmt(today["replies"], "count")),
        ("median response time (today's replies)", _fmt(today["median_response_hours"], "hours")),
        ("p90 response time (today's replies)", _fmt(today["p90_response_hours"], "hours")),
        ("one-sided share of today's replies", _fmt(today["one_sided_share"], "share")),
        ("response rate so far", _fmt(today["response_rate_so_far"], "share")),
        ("operators' backlog", _fmt(today["backlog_operators"], "count")),
        ("complaints waiting", _fmt(today["waiting_complaints"], "count")),
        ("mean trust", _fmt(today["mean_trust"], "trust")),
        ("trust change since start", _fmt(today["trust_change"], "signed")),
    ]


def day_table_markdown(observer: Observer) -> str:
    """`day_table` as a Markdown table."""
    rows = "\n".join(f"| {label} | {value} |" for label, value in day_table(observer))
    return "| today | |\n|---|---:|\n" + rows
