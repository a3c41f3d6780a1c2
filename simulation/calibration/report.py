"""What a calibration writes: the fitted scenario, the report with its figures, the history.

`write_outputs(result, out)` writes `fitted.toml` (a scenario that `extends` the base
and sets the fitted values, with a header saying data, distance, date and trials),
`report.md` (observed against simulated, the distance term by term, figures) and
`history.csv` (one row per trial). Figures are drawn with matplotlib's `Figure`
directly (no pyplot), imported only when drawing.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import tomli_w

from simulation.calibration.distance import TERM_LABELS
from simulation.calibration.records import MIN_REPLY_HOURS, QUANTILES
from simulation.codes import HOURS_PER_DAY, NEED_KINDS
from simulation.format import NOT_AVAILABLE, fixed, number, percent
from simulation.safe_write import OutputDir

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from simulation.calibration.search import CalibrationResult


def write_outputs(result: CalibrationResult, out: str | os.PathLike) -> dict[str, Path]:
    """Write fitted.toml, report.md, history.csv and the PNG figures into `out`.

    Each file is replaced atomically and only inside `out` (`simulation.safe_write`).
    """
    folder = OutputDir(out, source="--out").create()
    paths = {}
    if result.scenario_ref is None:
        paths["base"] = folder.write_text(
            "base.toml",
            "# The scenario the calibration started from (fully resolved).\n\n"
            + result.base.to_toml(),
        )
    paths["fitted"] = folder.write_text("fitted.toml", fitted_toml(result))
    paths["history"] = folder.write_frame("history.csv", result.history, "csv")
    paths.update(_write_figures(result, folder))
    paths["report"] = folder.path / "report.md"
    folder.write_text("report.md", report_markdown(result, paths))
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
    rows: list[tuple[str, float | None, float | None, str]] = [
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


def _write_figures(result: CalibrationResult, folder: OutputDir) -> dict[str, Path]:
    """PNG figures drawn with matplotlib's Figure directly (no pyplot: headless)."""
    paths = {}
    for name, draw in (
        ("reply_times", reply_time_figure),
        ("hourly_profile", hourly_profile_figure),
        ("summary", summary_figure),
        ("convergence", convergence_figure),
    ):
        paths[name] = folder.save_figure(f"{name}.png", draw(result), dpi=110)
    return paths


def reply_time_figure(result: CalibrationResult) -> Figure:
    """Observed and simulated reply times: their distributions (log hours) and quantiles [h]."""
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
    """Observed and simulated share of items by hour of day."""
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
    """Observed against simulated reply rate, one-sided share (if known) and items per day."""
    obs, sim = result.observed, result.simulated
    shares: list[tuple[str, float, float | None]] = [("reply rate", obs.reply_rate, sim.reply_rate)]
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
    """Each trial's distance D and the best so far, by trial number."""
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
