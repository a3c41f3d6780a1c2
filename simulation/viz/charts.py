"""Charts of a run as it goes: the page's time series and the day's numbers.

Matplotlib only (no solara), so the same charts appear in the interactive page and in
the tutorial notebooks: `dashboard_figure(observer)` draws the six panels of `PANELS`
from an `Observer` in one figure; `Dashboard` keeps them, in one figure or in one figure
each (the page), and brings them up to date after each Step; `day_table(observer)` gives
the current day's numbers as label → text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.codes import HOURS_PER_DAY

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from simulation.viz.observer import Observer

# Text sizes [pt]. The page shows its figures at their own size (100 dpi: 1 pt = 1.39 px),
# so the smallest text (legends, tick labels) comes out at 11.8 px.
TITLE_PT = 10.0
LABEL_PT = 9.0
TICK_PT = 8.5
LEGEND_PT = 8.5
# Headroom above the data when an axis grows, as a share of the data's span: an axis grows
# in steps, and so changes (making the page draw that chart whole again) only now and then.
HEADROOM = 0.5
# A chart alone in its figure (the page) has fixed margins [in] (left, right, bottom, top),
# room for a y label and tick labels of six characters (trust: 0.5535), rather than a
# layout engine: that would measure every text again at each whole redraw.
CHART_MARGINS = (0.72, 0.1, 0.28, 0.24)
XLABEL_MARGIN = 0.16  # more at the bottom for the "day" label of the bottom row


@dataclass(frozen=True)
class Series:
    """One line of a panel: a column of the observer's hourly or daily frame."""

    frame: str  # "hourly" (x: hours simulated, in days) or "daily" (x: the day's middle)
    column: str
    style: dict[str, Any]


@dataclass(frozen=True)
class PanelSpec:
    """What one panel shows and how its y axis behaves."""

    title: str
    ylabel: str
    series: tuple[Series, ...]
    fixed: tuple[float, float] | None = None  # y limits; None: fitted to the data, then grown
    floor: float | None = 0.0  # lowest y a fitted axis shows (counts and hours are >= 0)
    min_span: float = 2.0  # smallest y span a fitted axis shows
    shade_off_duty: bool = False  # grey bands over the hours no operator is on duty
    plain_numbers: bool = False  # y tick labels without an offset (trust: 0.5532, not +0.55)
    legend: bool = True  # a legend of the series


def _hourly(column: str, **style: Any) -> Series:
    return Series("hourly", column, style)


def _daily(column: str, **style: Any) -> Series:
    return Series("daily", column, style)


PANEL_SPECS = (
    PanelSpec(
        "operators' backlog",
        "items waiting",
        (
            _hourly("backlog_operators", color="#1f3b73", lw=1.2, label="operators"),
            _hourly("backlog_departments", color="#c77c02", lw=1.0, label="departments"),
        ),
        shade_off_duty=True,
    ),
    PanelSpec(
        "response time",
        "hours to first reply",
        (
            _daily("median_response_hours", marker="o", ms=3, color="#1f3b73", label="median"),
            _daily("p90_response_hours", marker="s", ms=3, ls="--", color="#b8342b", label="p90"),
        ),
    ),
    PanelSpec(
        "response rate",
        "share",
        (
            _hourly("response_rate_so_far", color="#2a7f62", lw=1.2, label="so far"),
            _daily(
                "replies_per_received",
                marker="o",
                ms=3,
                ls="",
                color="0.4",
                label="replies/received",
            ),
        ),
        fixed=(0.0, 1.05),
    ),
    PanelSpec(
        "one-sided replies",
        "share of replies",
        (_daily("one_sided_share", marker="o", ms=3, color="#8e44ad"),),
        fixed=(0.0, 1.05),
        legend=False,
    ),
    PanelSpec(
        "mean trust",
        "trust (0-1)",
        (_hourly("mean_trust", color="#2a7f62", lw=1.2),),
        floor=None,
        min_span=0.002,
        plain_numbers=True,
        legend=False,
    ),
    PanelSpec(
        "waiting for a reply",
        "items",
        (
            _hourly("waiting_items", color="0.3", lw=1.0, label="all requests"),
            _hourly("waiting_complaints", color="crimson", lw=1.2, label="complaints"),
        ),
    ),
)
PANELS = tuple(spec.title for spec in PANEL_SPECS)
# One colour per account in the panels of a matrix of accounts (colour-blind safe).
ACCOUNT_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000")


def account_panels(accounts: list[str]) -> tuple[PanelSpec, ...]:
    """The panels of a scenario that declares accounts: each one's backlog and reply rate.

    One line per account (its name in the legend), hour by hour from the observer's
    `backlog_operators@<account>` and `response_rate_so_far@<account>`; none without
    declared accounts.
    """
    if not accounts:
        return ()
    colours = [ACCOUNT_COLOURS[i % len(ACCOUNT_COLOURS)] for i in range(len(accounts))]
    return (
        PanelSpec(
            "backlog by account",
            "items waiting",
            tuple(
                _hourly(f"backlog_operators@{name}", color=colour, lw=1.2, label=name)
                for name, colour in zip(accounts, colours, strict=True)
            ),
        ),
        PanelSpec(
            "response rate by account",
            "share so far",
            tuple(
                _hourly(f"response_rate_so_far@{name}", color=colour, lw=1.2, label=name)
                for name, colour in zip(accounts, colours, strict=True)
            ),
            fixed=(0.0, 1.05),
        ),
    )


def dashboard_figure(observer: Observer, figsize: tuple[float, float] | None = None) -> Figure:
    """Six panels over time, as a matplotlib Figure (eight with declared accounts).

    Backlog (hourly, shifts shaded), response-time median and p90, response rate,
    one-sided share, mean trust, items and complaints waiting; and for a matrix of
    accounts each account's backlog and response rate so far (`account_panels`).
    """
    dashboard = Dashboard(observer, figsize=figsize)
    dashboard.update()
    return dashboard.figures[0]


class Chart:
    """One panel of `PANEL_SPECS` drawn on `ax`; `update(hourly, daily)` brings it up to date.

    With `days` the x axis spans the whole run (the page: one sees how far the run has
    come); without it, the days observed. A fitted y axis fits `start` (where the data
    begin: by default the spec's floor) or else the first data, and after that only
    grows, with headroom, so that the axis, its ticks and labels stay as they are between
    most updates and only the `moving` artists (lines, the off-duty bands, the note on an
    empty chart) change.
    """

    def __init__(
        self,
        ax: Axes,
        spec: PanelSpec,
        days: int | None = None,
        xlabel: bool = True,
        start: float | None = None,
    ):
        from matplotlib.collections import PolyCollection

        self.ax, self.spec, self.days = ax, spec, days
        self.off_duty = None
        if spec.shade_off_duty:
            self.off_duty = PolyCollection(
                [],
                facecolors="0.85",
                edgecolors="none",
                linewidths=0,
                zorder=0,
                transform=ax.get_xaxis_transform(),
            )
            ax.add_collection(self.off_duty)
        self.lines = [ax.plot([], [], **series.style)[0] for series in spec.series]
        if spec.fixed is not None:
            ax.set_ylim(*spec.fixed)
        if spec.plain_numbers:
            ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_title(spec.title, fontsize=TITLE_PT)
        ax.set_ylabel(spec.ylabel, fontsize=LABEL_PT)
        if xlabel:
            ax.set_xlabel("day", fontsize=LABEL_PT)
        ax.tick_params(labelsize=TICK_PT)
        ax.grid(alpha=0.3)
        if spec.legend:
            ax.legend(fontsize=LEGEND_PT, loc="upper left", frameon=False)
        self.note = ax.text(
            0.5,
            0.5,
            "press Step or ▶",
            ha="center",
            va="center",
            fontsize=LABEL_PT,
            transform=ax.transAxes,
        )
        ax.set_xlim(0, max(days or 1, 1))
        self._fitted = False
        if spec.fixed is None:
            # fitted to where the data start (the floor, unless given), so that the first
            # data need not change the axis
            first = spec.floor if start is None else start
            if first is not None:
                self._fit(np.array([first]))

    @property
    def moving(self) -> list:
        """The artists that change from one update to the next (and the legend over them)."""
        shading = [] if self.off_duty is None else [self.off_duty]
        legend = self.ax.get_legend()
        return [*shading, *self.lines, self.note, *([legend] if legend else [])]

    def limits(self) -> tuple:
        """The axes' limits: while they stay, so do the axes, ticks and labels."""
        return (*self.ax.get_xlim(), *self.ax.get_ylim())

    def update(self, hourly: pd.DataFrame, daily: pd.DataFrame) -> None:
        """Show the observer's frames: hourly rows at hours/24, daily rows at mid-day."""
        x = {
            "hourly": hourly["hour"].to_numpy() / HOURS_PER_DAY,
            "daily": daily["day"].to_numpy() + 0.5,
        }
        frames = {"hourly": hourly, "daily": daily}
        for line, series in zip(self.lines, self.spec.series, strict=True):
            line.set_data(x[series.frame], frames[series.frame][series.column].to_numpy())
        if self.off_duty is not None:
            self.off_duty.set_verts(_off_duty_spans(hourly))
        self.note.set_visible(not len(hourly))
        if self.days is None:
            right = max(1.0, float(x["hourly"].max()) if len(hourly) else 1.0)
            self.ax.set_xlim(0.0, right)
        if self.spec.fixed is None:
            self._fit(np.concatenate([line.get_ydata() for line in self.lines]))

    def _fit(self, values: np.ndarray) -> None:
        from matplotlib.ticker import MaxNLocator

        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        if not len(values):
            return
        low, high = float(values.min()), float(values.max())
        if self._fitted:
            bottom, top = self.ax.get_ylim()
            if bottom <= low and high <= top:
                return
            low, high = min(low, bottom), max(high, top)
        span = max(high - low, self.spec.min_span)
        low, high = low - HEADROOM * span, high + HEADROOM * span  # the floor cuts the first
        if self.spec.floor is not None:
            low = max(low, self.spec.floor)
        ticks = MaxNLocator(5).tick_values(low, high)
        self.ax.set_ylim(float(ticks[0]), float(ticks[-1]))
        self._fitted = True


class Dashboard:
    """The charts of `PANEL_SPECS` (and `account_panels`) for an observer, kept up to date.

    In one figure of `figsize` [in] (rows of 2; default 9 × 2.13 per row), or with
    `panel_size` [in] in one figure per chart (`figures`, in the order of `specs`),
    which the page redraws one by one. `days` fixes the x axes to the whole run (see
    `Chart`).
    """

    def __init__(
        self,
        observer: Observer,
        figsize: tuple[float, float] | None = None,
        days: int | None = None,
        panel_size: tuple[float, float] | None = None,
    ):
        from matplotlib.figure import Figure

        self.observer = observer
        self.specs = (*PANEL_SPECS, *account_panels(observer.accounts))
        rows = math.ceil(len(self.specs) / 2)
        bottom_row = {len(self.specs) - 2, len(self.specs) - 1}
        starts = {"mean_trust": float(observer.initial_trust.mean())}
        if panel_size is None:
            figure = Figure(figsize=figsize or (9.0, 6.4 / 3 * rows), layout="constrained")
            axes = figure.subplots(rows, 2, sharex=True).ravel()
            self.figures = [figure]
        else:
            self.figures = [Figure(figsize=panel_size) for _ in self.specs]
            width, height = panel_size
            left, right, bottom, top = CHART_MARGINS
            axes = []
            for i, figure in enumerate(self.figures):
                low = bottom + (XLABEL_MARGIN if i in bottom_row else 0.0)
                figure.subplots_adjust(
                    left=left / width,
                    right=1 - right / width,
                    bottom=low / height,
                    top=1 - top / height,
                )
                axes.append(figure.add_subplot())
        self.charts = [
            Chart(ax, spec, days, xlabel=i in bottom_row, start=starts.get(spec.series[0].column))
            for i, (ax, spec) in enumerate(zip(axes, self.specs, strict=False))
        ]

    def update(self) -> None:
        """Read the observer again and bring every chart up to date."""
        hourly = self.observer.hourly_frame()
        daily = self.observer.daily_frame()
        for chart in self.charts:
            chart.update(hourly, daily)


def _off_duty_spans(hourly: pd.DataFrame) -> list[np.ndarray]:
    """Rectangles (x in days, y in axes fractions) over the hours no operator was on duty."""
    if not len(hourly):
        return []
    off = hourly["operators_on_duty"].to_numpy() == 0
    hours = hourly["hour"].to_numpy()
    edges = np.diff(np.concatenate([[False], off, [False]]).astype(int))
    spans = []
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        left, right = (hours[start] - 1) / HOURS_PER_DAY, hours[end - 1] / HOURS_PER_DAY
        spans.append(np.array([[left, 0.0], [right, 0.0], [right, 1.0], [left, 1.0]]))
    return spans


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
