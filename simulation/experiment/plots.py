"""Figures of experiment results, drawn from the tidy tables the engine writes.

Each function takes a plain DataFrame (not an engine object), so it can be fed a table
read back from CSV or Parquet, and returns a matplotlib Figure:

    run_daily(result.daily)                         one run: requests, backlog, trust per day
    daily_series(results.daily, "mean_trust")       mean per day, 95 % band, by scenario
    distribution(results.runs, "response_rate")     one box and the runs per scenario
    forest(comparison.table)                        differences from the baseline, with CIs
    heatmap(sweep.runs, "staffing.operators", "staffing.training", "p90_response_hours")
    partial_dependence(sweep.runs, ["staffing.operators", …], "mean_trust")  sampled designs
    sensitivity(sobol_indices(sweep, "mean_trust")) Sobol S1 and ST with their intervals
    regret(regret_table(outcomes, directions))      each policy's regret across states
    tradeoff(discovery)                             PRIM's peeling trajectory (or CART's leaves)
    box_limits(discovery, cases, uncertainties)     a box's ranges, and the states around it

`path=` also saves the figure (PNG, or any format matplotlib knows by the suffix). The
figures are not registered with pyplot, so a loop over many of them does not pile up
open windows or memory; in Jupyter the returned Figure shows inline, in a script save it.
Axis labels carry each metric's unit and each swept parameter's unit and say which way
is better (`simulation.format.axis_label`, from `format.BETTER`); differences of shares
are in percentage points (`+10`), shares in %, counts and parameter values plain
(`1,580`, `0.3`: `PlainTicks`, never e-notation or an offset). A level axis follows one
rule, `level_range`: from zero (trust from 0 to 1), or zoomed to the data when they
would draw a flat line, and then its label says how much the axis spans. Confidence
bands are Student t intervals (`simulation.experiment.stats`).

This module is not imported by `import simulation`; it imports matplotlib and seaborn.
"""

from __future__ import annotations

import math
import os
import textwrap
import warnings
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.rcsetup  # already imported by matplotlib; named for the sentinel below

# Headless by default: pick the non-interactive Agg backend only when nobody chose one
# (no MPLBACKEND, no matplotlib.use(), pyplot not yet set up). Jupyter sets its inline
# backend through MPLBACKEND, so notebooks keep theirs.
if (
    "MPLBACKEND" not in os.environ
    and matplotlib.rcParams._get("backend") is matplotlib.rcsetup._auto_backend_sentinel
):
    matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.ticker import Formatter, MaxNLocator  # noqa: E402

from simulation.experiment.stats import (  # noqa: E402
    SOBOL_MIN_SAMPLES,
    index_problem,
    interval_label,
    row_decision,
    t_half_width,
    table_family,
)
from simulation.format import (  # noqa: E402
    ALL_UNITS,
    COUNT_UNITS,
    SCORE_UNITS,
    SIGNED_METRICS,
    axis_label,
    better_mark,
    fixed,
    metric_difference,
    metric_label,
    metric_unit,
    metric_value,
    metric_words,
    p_value,
    parameter_label,
    parameter_value,
    percent,
    readable,
)

__all__ = [
    "run_daily",
    "daily_series",
    "bin_levels",
    "box_limits",
    "distribution",
    "forest",
    "heatmap",
    "interval_name",
    "level_axis",
    "partial_dependence",
    "regret",
    "sensitivity",
    "tradeoff",
]

DPI = 150
PALETTE = "colorblind"
PALETTE_SIZE = 10  # distinct colours in PALETTE; beyond it a colour would repeat


def colours(n: int) -> list:
    """`n` distinct colours: the colour-blind palette, or evenly spaced hues beyond it."""
    n = max(n, 1)
    return sns.color_palette(PALETTE if n <= PALETTE_SIZE else "husl", n)


LINE_STYLES = ("-", "--", ":", "-.")  # one per round through the palette
LINE_MARKERS = ("o", "s", "^", "D")


def line_looks(n: int) -> list[tuple[tuple[float, float, float], str, str]]:
    """(colour, line style, marker) for `n` lines that a reader can tell apart.

    Up to the palette's ten, each line has its own colour-blind-safe colour. Beyond
    it the colours come round again with another line style and marker, rather than
    as evenly spaced hues: eleven hues put the first and the last (often the baseline
    and the last variant) within a shade of each other.
    """
    palette = sns.color_palette(PALETTE, PALETTE_SIZE)
    return [
        (
            palette[i % PALETTE_SIZE],
            LINE_STYLES[(i // PALETTE_SIZE) % len(LINE_STYLES)],
            LINE_MARKERS[(i // PALETTE_SIZE) % len(LINE_MARKERS)],
        )
        for i in range(max(n, 1))
    ]


SIGNIFICANT_COLOUR = "#c0392b"
NOT_SIGNIFICANT_COLOUR = "#7f8c8d"
WARNING_COLOUR = "#a04000"  # notes that an estimate shown is not to be trusted
LEGEND_INSIDE_MAX = 4  # series in a legend drawn inside the axes; more go beside them
FOREST_TICKS = 4  # at most this many ticks on a difference axis, so their labels fit
FOREST_MIN_WIDTH = 6.4  # inches
MAX_ANNOTATED_CELLS = 150  # heatmaps with more cells than this show colours only
MAX_HEATMAP_LEVELS = 12  # a parameter with more distinct values is binned (LHS, Sobol)
HEATMAP_BINS = 8

# --------------------------------------------------------------------------- labels


class PlainTicks(Formatter):
    """Tick labels as plain numbers: `1,580` (never `1.58e+03` or an offset), `0.25`.

    `scale` multiplies each value first (100 for a share in % or pp), `suffix` follows it
    (`%`), `signed` writes `+` on positive ones (differences). All ticks of an axis get
    the same number of decimals, the fewest that tell them apart.
    """

    def __init__(self, scale: float = 1.0, suffix: str = "", signed: bool = False):
        self.scale, self.suffix, self.signed = scale, suffix, signed

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self._text(x, _decimals([x * self.scale]))

    def format_ticks(self, values) -> list[str]:
        decimals = _decimals([v * self.scale for v in values])
        return [self._text(v, decimals) for v in values]

    def _text(self, x: float, decimals: int) -> str:
        value = x * self.scale
        if abs(value) < 0.5 * 10.0**-decimals:
            value = 0.0  # no "-0" or "+0"
        plus = "+" if self.signed and value > 0 else ""
        text = f"{value:,.{decimals}f}".replace("-", "\N{MINUS SIGN}")
        return f"{plus}{text}{self.suffix}"


def _decimals(values: Sequence[float], most: int = 6) -> int:
    """The fewest decimals that write every value exactly (to `most`)."""
    for decimals in range(most + 1):
        step = 10.0**decimals
        if all(abs(v * step - round(v * step)) < 1e-6 * max(1.0, abs(v * step)) for v in values):
            return decimals
    return most


def format_axis(axis, name: str, *, difference: bool = False) -> None:
    """Ticks in the metric's unit: shares in % (differences in pp: `+10`), counts whole.

    No tick is in e-notation or carries an offset; counts get no ticks between whole
    numbers.
    """
    unit = metric_unit(name)
    if unit == "share":
        axis.set_major_formatter(PlainTicks(100, "" if difference else "%", signed=difference))
    else:
        axis.set_major_formatter(PlainTicks(signed=difference))
    if unit in COUNT_UNITS:
        locator = axis.get_major_locator()
        if isinstance(locator, MaxNLocator):  # no ticks between whole things
            locator.set_params(integer=True)


def _parameter_axis(axis) -> None:
    """A swept parameter's ticks: plain numbers (`0.25`, `10,000`), not raw floats."""
    axis.set_major_formatter(PlainTicks())


# A level axis (a metric's value, not a difference) starts at the metric's natural
# bottom (0 for shares, counts and hours; 0-1 scores span 0 to 1, -1 to 1 scores their
# whole range). Only when the data would fill less than ZOOM_BELOW of that span is the
# axis zoomed to the data, and then its label says how much the axis spans, so a
# change of 0.0005 on a zoomed axis is not mistaken for a large one.
ZOOM_BELOW = 0.1
NATURAL_RANGES = {"share": (0.0, None), "0-1": (0.0, 1.0), "-1 to 1": (-1.0, 1.0)}
ZERO_BASED_UNITS = (*COUNT_UNITS, "hours", "ratio")


def natural_range(name: str) -> tuple[float, float | None] | None:
    """The range a metric's level axis starts from: (bottom, top or None), or None."""
    unit = metric_unit(name)
    if name in SIGNED_METRICS and unit not in ("-1 to 1",):
        return None  # a change (trust_change): its sign is the news, no natural bottom
    if unit in NATURAL_RANGES:
        return NATURAL_RANGES[unit]
    if unit in ZERO_BASED_UNITS:
        return (0.0, None)
    return None


def level_range(name: str, values) -> tuple[tuple[float, float] | None, bool]:
    """(the range to draw a level axis over, or None to fit the data; zoomed or not).

    The natural range when the data fill at least ZOOM_BELOW of it (or are all one
    value); None and zoomed when they fill less; None, not zoomed, for a metric with
    no natural range or data outside it.
    """
    data = np.asarray(pd.Series(values, dtype=float).dropna())
    data = data[np.isfinite(data)]
    natural = natural_range(name)
    if natural is None or not len(data):
        return None, False
    bottom, top = natural
    low, high = float(data.min()), float(data.max())
    if low < bottom or (top is not None and high > top):
        return None, False
    if top is None:  # from zero to a little above the data (a share: at most 100%)
        top = high * 1.05 if high > bottom else bottom + 1.0
        top = min(top, 1.0) if metric_unit(name) == "share" and high <= 1.0 else top
    if high - low >= ZOOM_BELOW * (top - bottom) or high == low:
        return (bottom, top), False
    return None, True


def zoom_note(name: str, span: float) -> str:
    """`zoomed: the axis spans 0.010 of 0 to 1`: what a zoomed axis covers."""
    natural = natural_range(name)
    of = f" of {readable(natural[0])} to {readable(natural[1])}" if natural and natural[1] else ""
    return f"zoomed: the axis spans {_span_text(name, span)}{of}"


def level_axis(ax, which: str, name: str, values) -> str:
    """Set a level axis by the one rule above; returns the zoom note ("" if not zoomed).

    `values` are every value drawn on the axis (points, band edges). The note (e.g.
    "zoomed: the axis spans 0.010 of 0 to 1") goes into the axis label (`with_note`).
    """
    limits, zoomed = level_range(name, values)
    get, set_ = (ax.get_ylim, ax.set_ylim) if which == "y" else (ax.get_xlim, ax.set_xlim)
    if limits is not None:
        set_(*limits)
    if not zoomed:
        return ""
    start, stop = get()
    return zoom_note(name, abs(stop - start))


def _span_text(name: str, span: float) -> str:
    unit = metric_unit(name)
    if unit == "share":
        return f"{_two_digits(100 * span)} pp"
    if unit == "hours":
        return f"{_two_digits(span)} h"
    return _two_digits(span)


def _two_digits(value: float) -> str:
    """Two significant digits as a plain number: `0.000066`, `1.2`, `1,580`."""
    if value == 0 or not math.isfinite(value):
        return readable(value)
    decimals = max(0, 1 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


NOTE_WIDTH = 26  # characters per line of a note under an axis label


def with_note(label: str, note: str) -> str:
    """`label` with `note` in brackets below it, the note wrapped to the label's width.

    On one line a zoom note makes the label taller than a short panel, reaching beside
    the panel above.
    """
    if not note:
        return label
    width = max(NOTE_WIDTH, max(len(line) for line in label.splitlines()))
    return f"{label}\n" + textwrap.fill(f"({note})", width)


# --------------------------------------------------------------------------- helpers


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns))
        raise ValueError(f"{what}: the table has no column {', '.join(missing)} (it has: {have})")


def _ok_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of runs that finished (an `error` column, if present, is empty)."""
    if "error" in frame.columns:
        return frame[frame["error"].isna() | (frame["error"] == "")]
    return frame


def _order(values: pd.Series, order: Sequence | None = None) -> list:
    """Categories in a stable order: as given, else numbers ascending, else by name."""
    present = list(pd.unique(values.dropna()))
    if order is not None:
        return [v for v in order if v in present] + [v for v in present if v not in order]
    try:
        return sorted(present)
    except TypeError:
        return sorted(present, key=str)


def _finish(fig: Figure, path: str | os.PathLike | None) -> Figure:
    if path is not None:
        from simulation.safe_write import OutputDir

        target = Path(path)
        OutputDir(target.parent).save_figure(target.name, fig, dpi=DPI)
    return fig


def _boxes_and_runs(ax, data: pd.DataFrame, x: str, y: str, order: list) -> None:
    """A pale box per group along `y` and every row as a dark dot over it."""
    with warnings.catch_warnings():  # seaborn 0.13 passes vert= to matplotlib 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        sns.boxplot(
            data=data,
            x=x,
            y=y,
            order=order,
            ax=ax,
            hue=y,
            hue_order=order,
            palette=colours(len(order)),
            legend=False,
            width=0.6,
            fliersize=0,
            boxprops={"alpha": 0.45},
        )
    sns.stripplot(
        data=data, x=x, y=y, order=order, ax=ax, color="0.2", size=4, alpha=0.7, jitter=0.15
    )


def _empty_note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


# --------------------------------------------------------------------------- figures


# The panels of one run's daily figure: the columns each draws, its title and its axis
# label (the first column's unit and better direction are the panel's).
RUN_DAILY_PANELS = (
    (("received", "first_replies"), "Requests received and answered per day", "per day [count]"),
    (
        ("backlog_operators", "backlog_departments"),
        "Backlog at the end of the day",
        "waiting [items], " + better_mark("backlog_operators"),
    ),
    (
        ("mean_trust",),
        "Citizens' mean trust at the end of the day",
        axis_label("mean_trust"),
    ),
)
RUN_DAILY_LABELS = {
    "received": "received",
    "first_replies": "first replies",
    "backlog_operators": "waiting for an operator",
    "backlog_departments": "at departments",
    "mean_trust": "mean trust",
}


def run_daily(
    daily: pd.DataFrame,
    *,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    accounts: pd.DataFrame | None = None,
) -> Figure:
    """The daily series of one run: requests and first replies, backlogs, trust.

    `daily` is a run's daily table (`RunResult.daily`, or daily.csv read back): one row
    per day. Three panels over the days: requests received and first replies per day
    [count], items waiting for operators and at departments at the end of each day
    [items], and citizens' mean trust [0-1]. `accounts`, the long table of a scenario
    that declares accounts (`RunResult.daily_accounts`, daily_accounts.csv), adds a
    fourth: each account's operators' backlog at the end of each day, one line per
    account. Each axis follows `level_axis`: from zero (trust: 0 to 1), zoomed only when
    the series would be a flat line, and then labelled with what the axis spans. Labels
    say which way is better.
    This is the figure `microgov run` writes as daily.png and `RunResult.plot()` returns.
    """
    needed = ["day", *(c for columns, _, _ in RUN_DAILY_PANELS for c in columns)]
    _require(daily, needed, "run_daily")
    by_account = _account_backlogs(accounts)
    panels = len(RUN_DAILY_PANELS) + (1 if by_account else 0)
    fig = Figure(figsize=(8, 8 / 3 * panels), layout="constrained")
    axes = list(fig.subplots(panels, 1, sharex=True))
    days = daily["day"].to_numpy()
    if by_account:  # below the backlog of all accounts together
        _account_backlog_panel(axes.pop(2), by_account)
    for ax, (columns, panel_title, label) in zip(axes, RUN_DAILY_PANELS, strict=True):
        for colour, column in zip(colours(len(columns)), columns, strict=False):
            values = daily[column].to_numpy(dtype=float)
            ax.plot(
                days, values, color=colour, lw=2, marker="o", ms=3, label=RUN_DAILY_LABELS[column]
            )
        ax.set_title(panel_title, loc="left", fontsize="medium")
        drawn = daily[list(columns)].to_numpy(dtype=float).ravel()
        ax.set_ylabel(with_note(label, level_axis(ax, "y", columns[0], drawn)))
        format_axis(ax.yaxis, columns[0])
        ax.legend(frameon=False, loc="best", fontsize="small")
        sns.despine(ax=ax)
    axes[-1].set_xlabel("day of the run")
    locator = axes[-1].xaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):
        locator.set_params(integer=True)
    fig.suptitle(title or _run_title(daily))
    return _finish(fig, path)


def _account_backlog_panel(ax, by_account: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """One line per account: its operators' backlog at the end of each day [items]."""
    for colour, (name, (x, values)) in zip(
        colours(len(by_account)), by_account.items(), strict=False
    ):
        ax.plot(x, values, color=colour, lw=2, marker="o", ms=3, label=_category(name))
    title = "Each account's operators' backlog at the end of the day"
    ax.set_title(title, loc="left", fontsize="medium")
    drawn = np.concatenate([values for _, values in by_account.values()])
    label = "waiting [items], " + better_mark("backlog_operators")
    ax.set_ylabel(with_note(label, level_axis(ax, "y", "backlog_operators", drawn)))
    format_axis(ax.yaxis, "backlog_operators")
    ax.legend(frameon=False, loc="best", fontsize="small", title="account")
    sns.despine(ax=ax)


def _account_backlogs(accounts: pd.DataFrame | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Account name → (days, operators' backlog) from a long daily table (none: {})."""
    if accounts is None or not len(accounts):
        return {}
    _require(accounts, ["day", "account", "platform", "backlog_operators"], "run_daily")
    rows = accounts[accounts["account"].astype(str) != ALL_UNITS]
    return {
        str(name): (
            group["day"].to_numpy(),
            group["backlog_operators"].to_numpy(dtype=float),
        )
        for name, group in rows.groupby(rows["account"].astype(str), sort=False)
    }


def _run_title(daily: pd.DataFrame) -> str:
    """`baseline, seed 1, 30 days` from the provenance columns of a run's daily table."""
    parts = []
    if "scenario" in daily.columns and len(daily):
        parts.append(str(daily["scenario"].iloc[0]))
    if "seed" in daily.columns and len(daily):
        parts.append(f"seed {daily['seed'].iloc[0]}")
    parts.append(f"{len(daily)} day{'s' * (len(daily) != 1)}")
    return "Daily series: " + ", ".join(parts)


def daily_series(
    daily: pd.DataFrame,
    metric: str,
    by: str = "scenario",
    *,
    confidence: float = 0.95,
    order: Sequence | None = None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Mean of a daily column per day, one line per `by` value, with a confidence band.

    `daily` has one row per run-day (columns `day`, `by`, `metric`). The band is the
    t interval of the mean across the runs (replications) of that day; days where a run
    has no value (a ratio with nothing to divide) count only the runs that have one.
    The y axis follows `level_axis` (from zero, or zoomed with its span in the label).
    """
    _require(daily, ["day", by, metric], "daily_series")
    data = _ok_runs(daily)
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    groups = _order(data[by], order)
    drawn: list[float] = []
    for (colour, style, marker), group in zip(line_looks(len(groups)), groups, strict=False):
        part = data.loc[data[by] == group, ["day", metric]]
        agg = part.groupby("day")[metric].agg(["mean", "std", "count"]).reset_index()
        agg = agg[agg["count"] > 0]  # days on which no run has a value are gaps
        if agg.empty:
            continue
        half = t_half_width(agg["std"].fillna(0).to_numpy(), agg["count"].to_numpy(), confidence)
        ax.plot(
            agg["day"],
            agg["mean"],
            color=colour,
            ls=style,
            lw=2,
            marker=marker,
            ms=3,
            label=_category(group),
        )
        low, high = agg["mean"] - half, agg["mean"] + half
        if (part[metric].dropna() >= 0).all():  # a t band of counts stops at zero
            low = low.clip(lower=0)
        ax.fill_between(agg["day"], low, high, color=colour, alpha=0.2, lw=0)
        drawn += [*low, *high, *agg["mean"]]
    if not ax.lines:
        _empty_note(ax, f"no values of {metric}")
    ax.set_xlabel("day")
    ax.set_ylabel(with_note(axis_label(metric), level_axis(ax, "y", metric, drawn)))
    format_axis(ax.yaxis, metric)
    locator = ax.xaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # matplotlib's default AutoLocator is one
        locator.set_params(integer=True)
    runs = _runs_per_group(data, by)
    ax.set_title(
        title
        or f"{metric.replace('_', ' ').capitalize()} per day "
        f"(mean and {confidence:.0%} CI over {runs})"
    )
    if ax.lines:
        if data[by].nunique() > LEGEND_INSIDE_MAX:  # many lines: "best" still covers some
            ax.legend(
                title=_legend_title(by), frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1)
            )
        else:
            ax.legend(title=_legend_title(by), frameon=False, loc="best")
    sns.despine(ax=ax)
    return _finish(fig, path)


def _runs_per_group(data: pd.DataFrame, by: str) -> str:
    keys = [c for c in ("scenario", "scenario_hash", "seed", "replication") if c in data.columns]
    if not keys:
        return "runs"
    counts = data.drop_duplicates([*keys, by]).groupby(by).size()
    if counts.empty:
        return "runs"
    low, high = int(counts.min()), int(counts.max())
    runs = f"{low}" if low == high else f"{low}-{high}"
    return f"{runs} run{'s' if high != 1 else ''} each"


def _category(value) -> str:
    """A group's label: a scenario's name, or a swept value written plainly (`0.3`)."""
    return parameter_value(value) if not isinstance(value, str) else value


def _legend_title(by: str) -> str:
    return parameter_label(by) if "." in by else by


def distribution(
    runs: pd.DataFrame,
    metric: str,
    by: str = "scenario",
    *,
    order: Sequence | None = None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """A metric across runs: a box (median, quartiles) and every run as a dot, per `by`.

    `runs` has one row per run. Categories are listed top to bottom in `order`, or
    sorted (numbers ascending, names alphabetically). Runs with an error are left out.
    """
    _require(runs, [by, metric], "distribution")
    data = _ok_runs(runs)[[by, metric]].dropna()
    data = data.assign(**{by: data[by].map(_category)}) if not data.empty else data
    groups = [_category(g) for g in _order(_ok_runs(runs)[by], order)]
    height = max(2.8, 0.55 * len(groups) + 1.6)
    fig = Figure(figsize=(8, height), layout="constrained")
    ax = fig.add_subplot()
    if data.empty:
        _empty_note(ax, f"no values of {metric}")
    else:
        present = [g for g in groups if g in set(data[by])]
        _boxes_and_runs(ax, data, metric, by, present)
        means = data.groupby(by)[metric].mean()
        ax.scatter(
            [means[g] for g in present],
            range(len(present)),
            marker="D",
            s=36,
            color="white",
            edgecolor="black",
            zorder=5,
            label="mean",
        )
        ax.legend(frameon=False, loc="best")
    note = level_axis(ax, "x", metric, data[metric]) if not data.empty else ""
    ax.set_xlabel(with_note(axis_label(metric, axis="x"), note))
    ax.set_ylabel(_legend_title(by))
    format_axis(ax.xaxis, metric)
    n = len(data)
    ax.set_title(
        title or f"{metric.replace('_', ' ').capitalize()} across runs ({n} run{'s' * (n != 1)})"
    )
    sns.despine(ax=ax)
    return _finish(fig, path)


def forest(
    table: pd.DataFrame,
    metric: str | Sequence[str] | None = None,
    *,
    baseline: str | None = None,
    order: Sequence | None = None,
    columns: int = 3,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Differences from the baseline with their confidence intervals, one panel per metric.

    `table` is a comparison table (columns scenario, metric, diff, diff_ci_low,
    diff_ci_high and, if present, tests and interval_level). Rows without a difference
    (the baseline itself) are left out. The intervals drawn are the table's: in a
    `Comparison.table` simultaneous intervals (Bonferroni over its m tests), named in
    the title. A filled red dot marks a difference whose interval excludes 0
    (`stats.decision`, the rule the table and the wording use); grey hollow ones are
    not. `metric` picks one metric or a list of them (default: every metric, in table
    order).
    """
    _require(table, ["scenario", "metric", "diff", "diff_ci_low", "diff_ci_high"], "forest")
    data = table.copy()
    if baseline is not None:
        data = data[data["scenario"] != baseline]
    data = data[data["diff"].notna()]
    if metric is None:
        metrics = list(pd.unique(data["metric"])) or list(pd.unique(table["metric"]))
    else:
        metrics = [metric] if isinstance(metric, str) else list(metric)
        unknown = [m for m in metrics if m not in set(table["metric"])]
        if unknown:
            have = ", ".join(map(str, pd.unique(table["metric"])))
            raise ValueError(f"forest: no rows for metric {', '.join(unknown)} (table has: {have})")
    scenarios = _order(data["scenario"], order)
    if not metrics:
        metrics = ["(none)"]
    columns = max(1, min(columns, len(metrics)))
    rows = math.ceil(len(metrics) / columns)
    panel_height = 0.45 * max(len(scenarios), 1) + 1.3
    width = max(4.2 * columns, FOREST_MIN_WIDTH)  # room for the title above one panel
    fig = Figure(figsize=(width, panel_height * rows + 0.8), layout="constrained")
    # Panels of a row share the scenarios' axis: only the first names them, so the
    # others keep their width for the differences and their tick labels.
    axes = fig.subplots(rows, columns, squeeze=False, sharey=True)
    for ax in axes.flat[len(metrics) :]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, metrics, strict=False):
        _forest_panel(ax, data[data["metric"] == name], name, scenarios)
    for ax in axes[:, 1:].flat:
        ax.tick_params(axis="y", labelleft=False, length=0)
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="-",
            color=SIGNIFICANT_COLOUR,
            label="significant: interval excludes 0",
        ),
        Line2D(
            [],
            [],
            marker="o",
            ls="-",
            color=NOT_SIGNIFICANT_COLOUR,
            markerfacecolor="white",
            label="not significant: interval includes 0",
        ),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    against = f"'{baseline}'" if baseline else "the baseline"
    fig.suptitle(title or f"Difference from {against}: mean and {interval_name(table)}")
    return _finish(fig, path)


def interval_name(table: pd.DataFrame) -> str:
    """How the forest plot names a table's intervals.

    '95 % simultaneous interval (Bonferroni, m = 12)', or 'confidence interval' for a
    table that does not say how its intervals were adjusted.
    """
    if "tests" in table and "interval_level" in table and table["tests"].notna().any():
        label = interval_label(*table_family(table))
        return label.replace("simultaneous", "simultaneous interval")
    return "confidence interval"


def _forest_panel(ax, rows: pd.DataFrame, name: str, scenarios: list) -> None:
    positions = {s: i for i, s in enumerate(scenarios)}
    for _, row in rows.iterrows():
        y = positions[row["scenario"]]
        significant = row_decision(row) != "unclear"
        colour = SIGNIFICANT_COLOUR if significant else NOT_SIGNIFICANT_COLOUR
        low, high = row["diff_ci_low"], row["diff_ci_high"]
        if pd.notna(low) and pd.notna(high):
            ax.plot([low, high], [y, y], color=colour, lw=2, solid_capstyle="butt")
        ax.plot(
            [row["diff"]],
            [y],
            marker="o",
            ms=7,
            color=colour,
            markerfacecolor=colour if significant else "white",
            markeredgewidth=1.5,
            zorder=3,
        )
    ax.axvline(0, color="0.15", lw=1.2, ls="--", zorder=1)
    ax.set_yticks(range(len(scenarios)), [str(s) for s in scenarios])
    ax.set_ylim(len(scenarios) - 0.5, -0.5)
    ax.set_title(metric_words(name), fontsize="medium")
    ax.set_xlabel(axis_label(name, axis="x", difference=True))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=FOREST_TICKS, steps=[1, 2, 2.5, 5, 10]))
    format_axis(ax.xaxis, name, difference=True)
    if rows.empty:
        _empty_note(ax, "no differences")
    ax.grid(axis="x", color="0.92")
    sns.despine(ax=ax, left=True)


def heatmap(
    runs: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    *,
    bins: int = HEATMAP_BINS,
    cmap: str | None = None,
    unit: str | None = None,
    difference: bool = False,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Mean of a metric over two swept parameters (x across, y up), for a grid.

    `runs` has one row per run with a column for each parameter. A grid sweep's values
    become the cells (its values written plainly, `0.3`); a parameter with many distinct
    values is cut into `bins` equal intervals labelled by their midpoints, though a
    sampled design reads better as `partial_dependence`. Cells show the mean over the
    runs in them in the metric's unit (shares in %, counts whole: `1,580`); `unit`
    names the unit of a quantity outside the glossary, and `difference` marks a
    difference (of shares: in percentage points, `+3.1`), coloured from blue to red
    around zero. `cmap` replaces the colours (viridis for a level).
    """
    _require(runs, [x, y, metric], "heatmap")
    if x == y:
        raise ValueError(f"heatmap: x and y are both '{x}'; choose two different parameters")
    unit = metric_unit(metric) if unit is None else unit
    data = _ok_runs(runs)[[x, y, metric]].copy()
    data[x] = bin_levels(data[x], bins)
    data[y] = bin_levels(data[y], bins)
    table = data.pivot_table(index=y, columns=x, values=metric, aggfunc="mean", observed=False)
    table = table.sort_index(ascending=False).sort_index(axis=1)
    cells = table.size
    fig = Figure(
        figsize=(max(5.5, 0.8 * table.shape[1] + 3.5), max(4.0, 0.55 * table.shape[0] + 2.2)),
        layout="constrained",
    )
    ax = fig.add_subplot()
    if table.empty or table.isna().all().all():
        _empty_note(ax, f"no values of {metric}")
    else:
        limits, zoomed = (None, False) if difference else level_range(metric, table.stack())
        note = zoom_note(metric, float(np.nanmax(table) - np.nanmin(table))) if zoomed else ""
        texts = table.map(lambda v: _cell_text(metric, v, unit, difference, zoomed))
        label = axis_label(metric, difference=difference, unit=unit, words=metric_words(metric))
        sns.heatmap(
            table,
            ax=ax,
            cmap=cmap or ("vlag" if difference else "viridis"),
            center=0.0 if difference else None,
            vmin=limits[0] if limits else None,
            vmax=limits[1] if limits else None,
            annot=texts.to_numpy() if cells <= MAX_ANNOTATED_CELLS else False,
            fmt="",
            linewidths=0.5,
            linecolor="white",
            xticklabels=[parameter_value(v) for v in table.columns],
            yticklabels=[parameter_value(v) for v in table.index],
            cbar_kws={"label": with_note(label, note)},
        )
        colorbar = ax.collections[0].colorbar
        assert colorbar is not None  # sns.heatmap draws one (cbar=True by default)
        if unit == "share":
            colorbar.ax.yaxis.set_major_formatter(
                PlainTicks(100, "" if difference else "%", signed=difference)
            )
        else:
            colorbar.ax.yaxis.set_major_formatter(PlainTicks(signed=difference))
    ax.set_xlabel(parameter_label(x))
    ax.set_ylabel(parameter_label(y))
    ax.tick_params(axis="x", labelrotation=0)
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_title(
        title or f"{metric.replace('_', ' ').capitalize()}: mean over the runs in each cell"
    )
    return _finish(fig, path)


def _cell_text(metric: str, value: float, unit: str, difference: bool, zoomed: bool) -> str:
    """A heatmap cell: the mean in the metric's unit, compact (`34%`, `+3.1`, `1,580`).

    On a zoomed colour scale a score gets a fourth decimal, so cells of different
    colours do not read the same.
    """
    if pd.isna(value):
        return ""
    if unit == "share":
        return fixed(100 * value, 1, sign=True) if difference else percent(value, 0)
    if difference:
        return metric_difference(metric, value, unit)
    if zoomed and unit in SCORE_UNITS:
        return fixed(value, 4)
    return metric_value(metric, value, unit)


def bin_levels(values: pd.Series, bins: int) -> pd.Series:
    """Grid values as they are; many distinct numbers cut into labelled intervals."""
    if values.nunique() <= MAX_HEATMAP_LEVELS or not pd.api.types.is_numeric_dtype(values):
        return values
    cut = pd.cut(values, bins=bins)
    midpoints = {interval: float(f"{interval.mid:.3g}") for interval in cut.cat.categories}
    return cut.map(midpoints).astype(float)


PD_BINS = 6  # bins of a sampled parameter whose runs' mean the line joins
PD_COLUMNS = 3


def partial_dependence(
    runs: pd.DataFrame,
    parameters: Sequence[str],
    metric: str,
    *,
    bins: int = PD_BINS,
    confidence: float = 0.95,
    columns: int = PD_COLUMNS,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """A metric against each swept parameter: every run a dot, a line through binned means.

    For a sampled design (Latin hypercube, Sobol, Morris, listed points), whose points
    fill no grid: one small panel per parameter, all on the metric's one axis. The line
    joins the mean of the runs in each of `bins` bins of equal count along the parameter
    (a parameter with that few values: at each value), with its t interval as a band;
    the other parameters vary across the runs of a bin, so the line is the parameter's
    effect averaged over them. A parameter that is not a number gets one column per value.
    """
    names = list(parameters)
    _require(runs, [*names, metric], "partial_dependence")
    if not names:
        raise ValueError("partial_dependence: name at least one parameter")
    data = _ok_runs(runs)
    data = data[data[metric].notna()]
    columns = max(1, min(columns, len(names)))
    rows = math.ceil(len(names) / columns)
    fig = Figure(figsize=(3.7 * columns, 3.1 * rows + 0.7), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False, sharey=True)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    dots = colours(1)[0]
    drawn: list[float] = list(data[metric])
    for ax, name in zip(axes.flat, names, strict=False):
        part = data[[name, metric]].dropna()
        if part.empty:
            _empty_note(ax, f"no values of {metric}")
        else:
            x, numeric = _positions(part[name])
            means = _binned_means(x, part[metric].to_numpy(dtype=float), bins, confidence)
            ax.fill_between(
                means["x"], means["low"], means["high"], color="0.55", alpha=0.25, lw=0,
                label=f"{confidence:.0%} CI of a bin's mean",
            )  # fmt: skip
            ax.scatter(x, part[metric], s=16, color=dots, alpha=0.6, lw=0, label="one run")
            ax.plot(means["x"], means["mean"], color="black", lw=1.8, marker="o", ms=3,
                    label="mean of the runs in a bin")  # fmt: skip
            drawn += [*means["low"], *means["high"]]
            if numeric:
                _parameter_axis(ax.xaxis)
                whole = bool(np.all(np.equal(np.mod(x, 1), 0)))
                ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=whole))
            else:
                labels = _order(part[name])
                ax.set_xticks(range(len(labels)), [_category(v) for v in labels])
        ax.set_xlabel(_wrapped(parameter_label(name)))
        ax.grid(color="0.92")
        sns.despine(ax=ax)
    note = level_axis(axes[0, 0], "y", metric, drawn)
    for ax in axes[:, 0]:
        ax.set_ylabel(with_note(axis_label(metric), note))
        format_axis(ax.yaxis, metric)
    for ax in axes[:, 1:].flat:
        ax.tick_params(axis="y", labelleft=False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    n = len(data)
    fig.suptitle(
        title
        or f"{metric.replace('_', ' ').capitalize()} against each swept parameter "
        f"({n} run{'s' * (n != 1)})"
    )
    return _finish(fig, path)


def _positions(values: pd.Series) -> tuple[np.ndarray, bool]:
    """(x positions, numeric?): numbers as they are, other values as 0, 1, … in order."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float), True
    order = {v: i for i, v in enumerate(_order(values))}
    return values.map(order).to_numpy(dtype=float), False


def _binned_means(x: np.ndarray, y: np.ndarray, bins: int, confidence: float) -> pd.DataFrame:
    """Mean x, mean y and the t interval of y in bins of equal count along x."""
    frame = pd.DataFrame({"x": x, "y": y})
    if frame["x"].nunique() <= bins:
        frame["bin"] = frame["x"]
    else:
        frame["bin"] = pd.qcut(frame["x"], bins, labels=False, duplicates="drop")
    agg = frame.groupby("bin").agg(
        x=("x", "mean"), mean=("y", "mean"), std=("y", "std"), count=("y", "size")
    )
    half = t_half_width(agg["std"].fillna(0).to_numpy(), agg["count"].to_numpy(), confidence)
    return agg.assign(low=agg["mean"] - half, high=agg["mean"] + half).sort_values("x")


def _wrapped(label: str, width: int = 30) -> str:
    """A long axis label on two lines, broken before its unit."""
    if len(label) <= width or " [" not in label:
        return label
    key, _, unit = label.partition(" [")
    return f"{key}\n[{unit}"


def sensitivity(
    indices: pd.DataFrame,
    *,
    metric: str | None = None,
    samples: int | None = None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Sobol first-order (S1) and total (ST) indices per parameter, with their intervals.

    `indices` has the columns parameter, S1, S1_conf, ST, ST_conf (as from
    `sobol_indices`); `samples`, the design's base sample N, if known. Parameters are
    sorted by ST, the most influential on top. ST − S1 is what a parameter does through
    interactions with the others.

    Nothing is clipped. An index that cannot be read as a share of variance
    (`stats.index_problem`: its interval is wider than its value, or it lies outside
    [0, 1] beyond its interval) is drawn hatched and pale; the regions outside [0, 1],
    where no share of variance can lie, are shaded; and a note in the panel says what is
    unreliable (also when N is below `stats.SOBOL_MIN_SAMPLES`). Error bars that reach
    beyond the axis are cut at its edge, and the note says so.
    """
    _require(indices, ["parameter", "S1", "ST"], "sensitivity")
    data = indices.sort_values("ST", ascending=True, na_position="first").reset_index(drop=True)
    n = len(data)
    fig = Figure(figsize=(8.5, max(3.4, 0.42 * n + 2.4)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n)
    height = 0.38
    pair = colours(2)
    estimates = data[["S1", "ST"]].to_numpy(dtype=float)
    finite_estimates = estimates[np.isfinite(estimates)]
    low = min(0.0, float(finite_estimates.min()) if finite_estimates.size else 0.0) - 0.1
    high = max(1.0, float(finite_estimates.max()) if finite_estimates.size else 1.0) + 0.1
    flagged, cut = 0, False
    for offset, column, colour, label in (
        (height / 2, "S1", pair[0], "first order S1"),
        (-height / 2, "ST", pair[1], "total ST"),
    ):
        conf = data[f"{column}_conf"] if f"{column}_conf" in data else pd.Series(np.nan, data.index)
        problems = [index_problem(v, c) for v, c in zip(data[column], conf, strict=True)]
        for i, (value, half, problem) in enumerate(zip(data[column], conf, problems, strict=True)):
            unreliable = problem not in ("", "no interval")
            flagged += unreliable
            ax.barh(
                y[i] + offset,
                value,
                height=height,
                color=colour,
                alpha=0.35 if unreliable else 1.0,
                hatch="///" if unreliable else None,
                edgecolor="0.3" if unreliable else colour,
                label=label if i == 0 else None,
            )
            if pd.notna(half) and pd.notna(value):
                left, right = max(value - half, low), min(value + half, high)
                cut = cut or left > value - half or right < value + half
                ax.plot([left, right], [y[i] + offset] * 2, color="0.25", lw=1)
    ax.axvspan(low, 0.0, color="0.9", zorder=0)
    ax.axvspan(1.0, high, color="0.9", zorder=0)
    ax.set_xlim(low, high)
    ax.set_yticks(y, [parameter_label(p) for p in data["parameter"]])
    ax.axvline(0, color="0.3", lw=1)
    ax.set_xlabel("Sobol index (share of the output's variance, 0 to 1)")
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Rectangle((0, 0), 1, 1, color="0.9", label="outside [0, 1]: not a share"))
    ax.legend(handles=handles, frameon=False, loc="lower right", fontsize="small")
    notes = []
    if samples is not None and samples < SOBOL_MIN_SAMPLES:
        notes.append(f"N = {samples} base samples (< {SOBOL_MIN_SAMPLES}): rough estimates")
    if flagged:
        notes.append(
            f"hatched: {flagged} unreliable (interval wider than the value or outside [0, 1])"
        )
    if cut:
        notes.append("error bars beyond the axis are cut at its edge")
    if notes:  # under the axis label, centred on the figure: long tick labels leave the
        # axes narrow and off-centre, so a note centred on them would run off the edge
        ax.annotate(
            "Warning: " + "\n".join(notes),
            xy=(0.5, 0.0),
            xycoords=("figure fraction", "axes fraction"),
            xytext=(0, -36),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize="small",
            color=WARNING_COLOUR,
        )
    of = f" of {metric_label(metric)}" if metric else ""
    ax.set_title(title or f"Sensitivity{of}")
    if n == 0:
        _empty_note(ax, "no parameters")
    sns.despine(ax=ax)
    return _finish(fig, path)


# --------------------------------------------------------------------------- exploration


def regret(
    table: pd.DataFrame,
    outcomes: Sequence[str] | None = None,
    *,
    order: Sequence | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Each policy's regret across the states of the world, one panel per outcome.

    `table` is a `robustness.regret_table`. Each policy gets a box (median, quartiles)
    and one dot per state; the dashed line is the replication noise of one state's
    regret (root mean square of the states' standard errors, over every policy but the
    best): regrets below it are not told apart from noise.
    """
    _require(table, ["outcome", "policy", "state", "regret", "regret_se"], "regret")
    names = list(outcomes or dict.fromkeys(table["outcome"]))
    policies = [
        str(p) for p in _order(table["policy"], order or list(dict.fromkeys(table["policy"])))
    ]
    height = max(2.8, 0.55 * len(policies) + 1.6)
    fig = Figure(figsize=(5.2 * len(names), height), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names, strict=True):
        data = table[(table["outcome"] == name) & table["regret"].notna()]
        data = data.assign(policy=data["policy"].astype(str))
        if data.empty:
            _empty_note(ax, f"no values of {name}")
            continue
        _boxes_and_runs(ax, data, "regret", "policy", policies)
        noise = data.loc[data["regret"] > 0, "regret_se"].dropna()
        if len(noise):
            level = float(np.sqrt(np.mean(noise**2)))
            ax.axvline(level, color="0.3", linestyle="--", linewidth=1)
            ax.text(
                level,
                0.98,
                " replication noise",
                transform=ax.get_xaxis_transform(),
                va="top",
                ha="left",
                fontsize=8,
                color="0.3",
            )
        unit = metric_unit(name)  # a regret is a difference: shares in percentage points
        shown = "pp" if unit == "share" else unit
        words = f"regret on {name.replace('_', ' ')}" + (f" [{shown}]" if shown else "")
        ax.set_xlabel(f"{words}, ← better")  # a regret is never better large
        ax.xaxis.set_major_formatter(PlainTicks(100) if unit == "share" else PlainTicks())
        ax.set_xlim(left=0)
        ax.set_ylabel("policy" if ax is axes[0] else "")
        n_states = data["state"].nunique()
        ax.set_title(f"{name.replace('_', ' ').capitalize()}: regret in {n_states} states")
        sns.despine(ax=ax)
    return _finish(fig, path)


def tradeoff(
    discovery, *, title: str | None = None, path: str | os.PathLike | None = None
) -> Figure:
    """Coverage against density along PRIM's peeling trajectory (or of CART's leaves).

    `discovery` is a `simulation.experiment.discovery.Discovery`. Colour is the number of
    restricted uncertainties; the boxes reported are ringed and numbered.
    """
    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    steps = discovery.trajectory
    if steps.empty:
        _empty_note(ax, "no cases of interest")
    else:
        dims = steps["res_dim"].astype(int)
        palette = sns.color_palette("viridis", int(dims.max()) + 1)
        for count in sorted(dims.unique()):
            chosen = steps[dims == count]
            ax.scatter(
                chosen["coverage"],
                chosen["density"],
                color=palette[count],
                s=28,
                label=f"{count} restricted",
                zorder=3,
            )
        if discovery.method == "prim":
            ax.plot(steps["coverage"], steps["density"], color="0.75", linewidth=1, zorder=2)
        for number, box in enumerate(discovery.boxes, start=1):
            ax.scatter(
                [box.coverage],
                [box.density],
                s=150,
                facecolor="none",
                edgecolor="#c0392b",
                linewidth=1.6,
                zorder=4,
            )
            ax.annotate(
                f"box {number}",
                (box.coverage, box.density),
                textcoords="offset points",
                xytext=(8, -12),
                color="#c0392b",
                fontsize=9,
            )
        ax.legend(frameon=False, loc="center left", fontsize=8, title="uncertainties")
    base = discovery.cases / discovery.states if discovery.states else math.nan
    ax.axhline(base, color="0.5", linestyle=":", linewidth=1)
    ax.text(
        0.01,
        base,
        "share of cases in all states",
        va="bottom",
        ha="left",
        fontsize=8,
        color="0.4",
        transform=ax.get_yaxis_transform(),
    )
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.xaxis.set_major_formatter(PlainTicks(100, "%"))
    ax.yaxis.set_major_formatter(PlainTicks(100, "%"))
    ax.set_xlabel("coverage: share of all cases of interest inside the box, better →")
    ax.set_ylabel("density: share of the box that are cases, ↑ better")
    what = "peeling trajectory" if discovery.method == "prim" else "tree leaves"
    ax.set_title(title or f"{discovery.method.upper()} {what}: coverage against density")
    sns.despine(ax=ax)
    return _finish(fig, path)


def box_limits(
    discovery,
    cases: pd.DataFrame,
    uncertainties: Sequence[str],
    *,
    box: int = 1,
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """A box's limits on each uncertainty, and the states seen on its two main restrictions.

    Left: one bar per uncertainty over its sampled range (0 to 1), the box's range
    filled, its limits written at the ends (restricted uncertainties first, with their
    quasi-p-values). Right: every state on the first two restricted uncertainties
    (cases of interest filled), with the box drawn; with one restriction, against the
    first other uncertainty.
    """
    fig = Figure(figsize=(11, max(3.2, 0.5 * len(uncertainties) + 1.8)), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1.1, 1])
    if not discovery.boxes:
        _empty_note(left, "no box")
        _empty_note(right, "no box")
        return _finish(fig, path)
    chosen = discovery.boxes[box - 1]
    limits = chosen.limits.set_index("uncertainty")
    restricted = list(limits.index)
    names = restricted + [u for u in uncertainties if u not in restricted]
    for row, name in enumerate(names):
        full_low, full_high = float(cases[name].min()), float(cases[name].max())
        span = full_high - full_low or 1.0
        low, high = (
            (limits.loc[name, "low"], limits.loc[name, "high"])
            if name in limits.index
            else (full_low, full_high)
        )
        y = len(names) - 1 - row
        left.plot([0, 1], [y, y], color="0.85", linewidth=8, solid_capstyle="butt")
        a, b = (low - full_low) / span, (high - full_low) / span
        colour = "#c0392b" if name in limits.index else "0.6"
        left.plot([a, b], [y, y], color=colour, linewidth=8, solid_capstyle="butt")
        narrow = b - a < 0.15  # a narrow box: its two limits written outwards, not on top
        left.text(a, y + 0.28, parameter_value(low), ha="right" if narrow else "center", fontsize=8)
        left.text(b, y + 0.28, parameter_value(high), ha="left" if narrow else "center", fontsize=8)
        label = name
        if name in limits.index:
            qps = [limits.loc[name, c] for c in ("qp_low", "qp_high")]
            shown = [p_value(q) for q in qps if not (isinstance(q, float) and math.isnan(q))]
            if shown:
                label += f"\n(qp {', '.join(shown)})"
        left.text(-0.03, y, label, ha="right", va="center", fontsize=8)
    left.set_xlim(-0.02, 1.02)
    left.set_ylim(-0.7, len(names) - 0.3)
    left.axis("off")
    left.set_title(
        f"Box {box}: coverage {chosen.coverage:.0%}, density {chosen.density:.0%}, "
        f"{chosen.states} of {discovery.states} states",
        fontsize=10,
    )
    pair = (restricted + [u for u in uncertainties if u not in restricted])[:2]
    if len(pair) < 2:
        _empty_note(right, "one uncertainty only")
    else:
        xname, yname = pair
        hit = cases["case"].astype(bool)
        right.scatter(
            cases.loc[~hit, xname],
            cases.loc[~hit, yname],
            s=30,
            facecolor="none",
            edgecolor="0.35",
            label="policy meets the margin",
        )
        right.scatter(
            cases.loc[hit, xname],
            cases.loc[hit, yname],
            s=30,
            color="#c0392b",
            label="case of interest (fails)",
        )
        x0, x1 = (
            (limits.loc[xname, "low"], limits.loc[xname, "high"])
            if xname in limits.index
            else (cases[xname].min(), cases[xname].max())
        )
        y0, y1 = (
            (limits.loc[yname, "low"], limits.loc[yname, "high"])
            if yname in limits.index
            else (cases[yname].min(), cases[yname].max())
        )
        right.add_patch(
            Rectangle(
                (x0, y0),
                x1 - x0,
                y1 - y0,
                fill=False,
                edgecolor="#c0392b",
                linestyle="--",
                linewidth=1.4,
            )
        )
        right.set_xlabel(parameter_label(xname))
        right.set_ylabel(parameter_label(yname))
        for axis in (right.xaxis, right.yaxis):
            _parameter_axis(axis)
            axis.set_major_locator(MaxNLocator(nbins=5))
        right.legend(  # below the axes: the states fill the panel
            frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2
        )
        right.set_title("States of the world and the box", fontsize=10)
        sns.despine(ax=right)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)
