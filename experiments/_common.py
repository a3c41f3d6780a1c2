"""What the experiment scripts share: options, the output folder, number formats, the report.

Every script in this folder (thesis_remedies, staffing, accountability, shocks,
sensitivity) does the same around its own question:

    args = parse_args(argv, __doc__, FULL, SMOKE, add_options)
    exp = Experiment("staffing", args, title="…", question="…")
    results = sweep(exp.scenario("closed_loop"), design, **exp.run_options())
    exp.table(frame, "summary")             # CSV in the output folder
    exp.figure(plots.heatmap(…), "p90")     # PNG in the output folder
    exp.report.paragraph("…")               # Markdown, from the numbers
    exp.finish()                            # report.md with provenance and the file list

`FULL` and `SMOKE` are the script's defaults for its full run and for `--smoke` (a
tiny run the test suite does in seconds); an option given on the command line wins over
both. Output goes to `--out`, by default `out/experiments/<name>/` under the current
folder. Statistics and figures come from the engine (`simulation.experiment`,
`simulation.experiment.stats`, `simulation.experiment.plots`); this module only formats them.

Sentences in a report that interpret a result are chosen by the numbers: `verdict` is
`simulation.experiment.stats.decision` of a paired difference's adjusted interval (the
rule the comparison table and the forest plot use), and the wording follows it.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation import __version__, load_scenario
from simulation.experiment import plots as _plots
from simulation.experiment import stats
from simulation.experiment.store import MANIFEST, RunStore
from simulation.format import (
    axis_label,
    metric_difference_text,
    metric_text,
    metric_words,
    readable,
)
from simulation.safe_write import OutputDir
from simulation.scenario import Scenario
from simulation.seeds import replication_seeds

DEFAULT_OUT = Path("out") / "experiments"
METHOD = (
    "Means are given with 95 % Student t intervals over replications. Differences are "
    "paired by seed (common random numbers); each comparison table is one family: its "
    "intervals are paired t intervals at level 1 − 0.05/m, m the tests of the table "
    "(Bonferroni), so they hold together with 95 % confidence, and a difference is "
    "significant exactly when its interval excludes 0 (the same as the paired t test's "
    "p × m < 0.05), unless said otherwise. Coverage of these intervals: exact for normal "
    "differences, at or above 95 % for symmetric ones, 92–94 % for skewed ones at 5 to "
    "10 pairs (measured; `simulation.experiment.stats`); fewer than "
    f"{stats.MIN_PAIRS} pairs are not backed."
)

# --------------------------------------------------------------------------- options


def parse_args(
    argv: Sequence[str] | None,
    doc: str | None,
    full: Mapping[str, Any],
    smoke: Mapping[str, Any],
    add_options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """The script's options, with every option left unset taken from `full` or `smoke`.

    Common options: --smoke, --out, --replications, --days, --citizens, --seed, --jobs,
    --dask, --store, --progress/--no-progress. `add_options(parser)` adds the script's own; give them
    `default=None` and a value in both `full` and `smoke`.
    """
    lines = (doc or "").strip().splitlines()
    parser = argparse.ArgumentParser(
        description=lines[0] if lines else None,
        epilog="\n".join(lines[1:]).strip() or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny run (seconds), to check the script works"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default out/experiments/<name>)"
    )
    parser.add_argument("--replications", "-r", type=_positive, default=None, metavar="R")
    parser.add_argument("--days", type=_positive, default=None, help="days per run")
    parser.add_argument(
        "--citizens", type=_positive, default=None, help="citizens (default: the scenario's)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of replication 0")
    parser.add_argument(
        "--jobs", "-j", type=_positive, default=None, help="worker processes (default 1: serial)"
    )
    parser.add_argument(
        "--dask", action="store_true", help="run on a local Dask cluster of --jobs workers"
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep each sweep's runs in a store under DIR (one folder per sweep) and reuse "
        "them when the script runs again with the same design, so a rerun after a change "
        "of reporting only redraws; stores do not know the model's code: delete DIR after "
        "changing the model",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="progress on stderr (default): a bar on a terminal, else a line per 5 %% of the "
        "runs with the time elapsed and an estimate of what remains; --no-progress: none",
    )
    if add_options is not None:
        add_options(parser)
    args = parser.parse_args(list(argv) if argv is not None else None)
    defaults = {"replications": 2, "days": None, "citizens": None, "seed": 1, "jobs": 1}
    defaults.update(smoke if args.smoke else full)
    for key, value in defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    return args


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def float_list(text: str) -> list[float]:
    """An option value such as `0.3,0.5,0.7`."""
    return [float(v) for v in text.split(",") if v.strip()]


def int_list(text: str) -> list[int]:
    """An option value such as `1,2,3` or a range `1-6`."""
    if "-" in text and "," not in text:
        low, high = (int(v) for v in text.split("-", 1))
        return list(range(low, high + 1))
    return [int(v) for v in text.split(",") if v.strip()]


# --------------------------------------------------------------------------- experiment


class Experiment:
    """One run of an experiment script: its options, output folder, files and report."""

    def __init__(self, name: str, args: argparse.Namespace, title: str, question: str):
        self.name = name
        self.args = args
        self.out = Path(args.out) if args.out else DEFAULT_OUT / name
        self.folder = OutputDir(self.out, source="--out").create()
        self.report = Report(title)
        self.report.paragraph(question)
        self.files: list[tuple[str, str]] = []
        self.runs = 0
        self.reused = 0  # runs read back from --store rather than run now
        self.warned: list[str] = []
        self.method = METHOD
        # How many replications, in words, where a script's parts use different numbers
        # (None: args.replications for every scenario and design point).
        self.replications_text: str | None = None
        self.started = time.perf_counter()

    # ---------------------------------------------------------------- running

    def scenario(self, source: str | Scenario, /, **overrides: Any) -> Scenario:
        """A bundled scenario (or file) with --citizens and dotted `overrides` applied."""
        changes = dict(overrides)
        if self.args.citizens is not None:
            changes.setdefault("population.citizens", self.args.citizens)
        base = load_scenario(source) if not isinstance(source, Scenario) else source
        return base.with_overrides(changes) if changes else base

    def run_options(self) -> dict[str, Any]:
        """Keyword arguments for `run`, `compare` and `sweep`: size, seeds and executor."""
        jobs = self.args.jobs
        executor = "dask" if self.args.dask else "processes" if jobs > 1 else "serial"
        return {
            "replications": self.args.replications,
            "seed": self.args.seed,
            "days": self.args.days,
            "executor": executor,
            "jobs": jobs,
            "progress": self.args.progress,
        }

    def sweep_options(self, part: str) -> dict[str, Any]:
        """`run_options()` and, with --store, the store of this script's sweep `part`."""
        options = self.run_options()
        if self.args.store is not None:
            store = self.args.store / part
            if (store / MANIFEST).is_file():
                self.reused += len(RunStore(store).completed())
            options["store"] = store
        return options

    def counted(self, results: Any) -> Any:
        """Count the runs of `results` (Results, SweepResults or Comparison) for the report."""
        runs = getattr(getattr(results, "results", results), "runs", None)
        if runs is not None:
            self.runs += len(runs)
        return results

    def warn(self, note: str) -> None:
        """A warning the reader must see: one line on stderr and a note in the report."""
        if note in self.warned:
            return
        self.warned.append(note)
        print(f"{self.name}: note: {note}", file=sys.stderr)
        self.report.paragraph(f"*Note:* {note}.")

    def check_pairs(self, n_pairs: int, tests: int = 1) -> None:
        """Warn when paired comparisons rest on too few replications (`stats.too_few_pairs`)."""
        note = stats.too_few_pairs(n_pairs, tests)
        if note:
            self.warn(note)

    # ---------------------------------------------------------------- outputs

    def table(self, frame: pd.DataFrame, name: str, what: str = "") -> Path:
        """Write a table as CSV in the output folder."""
        path = self.folder.write_frame(f"{name}.csv", frame, "csv")
        self.files.append((path.name, what))
        return path

    def figure(self, fig: Figure, name: str, what: str = "") -> Path:
        """Save a figure as PNG in the output folder."""
        path = self.folder.save_figure(f"{name}.png", fig, dpi=_plots.DPI)
        self.files.append((path.name, what))
        return path

    def finish(self) -> Path:
        """Write report.md: the report, how it was made, and the files written."""
        seconds = time.perf_counter() - self.started
        args = self.args
        mode = "smoke (a tiny check, not results)" if args.smoke else "full"
        where = self.run_options()["executor"]
        if where != "serial":
            where += f", {args.jobs} workers"
        command = " ".join(
            ["python", f"experiments/{self.name}.py", *(shlex.quote(a) for a in args.argv)]
        )
        lines = [
            f"Mode: {mode}. Command: `{command}`.",
            (
                self.replications_text
                or f"{replications_text(args.replications, args.seed)} per scenario or design point"
            )
            + " (replication i of every variant runs with the same seed: common random "
            "numbers); "
            f"{_days(args.days)}; {_citizens(args.citizens)}.",
            f"{self.runs} runs ({where}) in {seconds:.0f} s"
            + (
                f" ({self.reused} of them read back from the stores of an earlier run "
                "of the same designs)"
                if self.reused
                else ""
            )
            + f"; microgov {__version__}, "
            f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
            self.method,
        ]
        self.report.section("How this was made", "\n".join(f"- {line}" for line in lines))
        listing = "\n".join(
            f"- [`{name}`]({name})" + (f" — {what}" if what else "") for name, what in self.files
        )
        self.report.section("Files", listing)
        path = self.folder.write_text("report.md", self.report.markdown())
        print(f"{self.name}: {self.runs} runs in {seconds:.1f} s; report: {path}")
        return path


def replications_text(replications: int, seed: int) -> str:
    """'10 replications (seeds 1–10)': the seeds a script, or a part of it, runs."""
    seeds = replication_seeds(seed, replications)
    if replications == 1:
        return f"1 replication (seed {seeds[0]})"
    return f"{replications} replications (seeds {seeds[0]}–{seeds[-1]})"


def _days(days: int | None) -> str:
    return f"{days} days per run" if days else "the scenario's days per run (run.days)"


def _citizens(citizens: int | None) -> str:
    return f"{citizens:,} citizens" if citizens else "the scenario's citizens"


# --------------------------------------------------------------------------- report


class Report:
    """A Markdown report built from blocks."""

    def __init__(self, title: str):
        self.title = title
        self.blocks: list[str] = []

    def section(self, heading: str, body: str = "") -> None:
        self.blocks.append(f"## {heading}" + (f"\n\n{body}" if body else ""))

    def subsection(self, heading: str) -> None:
        self.blocks.append(f"### {heading}")

    def paragraph(self, text: str) -> None:
        self.blocks.append(text)

    def bullets(self, items: Sequence[str]) -> None:
        if items:
            self.blocks.append("\n".join(f"- {item}" for item in items))

    def table(self, frame: pd.DataFrame) -> None:
        self.blocks.append(markdown_table(frame))

    def image(self, path: Path, alt: str) -> None:
        self.blocks.append(f"![{alt}]({Path(path).name})")

    def markdown(self) -> str:
        return f"# {self.title}\n\n" + "\n\n".join(self.blocks) + "\n"


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame of already formatted cells as a Markdown table (numbers right-aligned)."""
    header = [str(c) for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    align = [
        "---:" if pd.api.types.is_numeric_dtype(frame[c]) or _looks_numeric(frame[c]) else "---"
        for c in frame.columns
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):  # thousands whole (15,800), never 1.58e+04
        return "–" if math.isnan(value) else readable(value)
    return str(value).replace("|", "\\|")


def _looks_numeric(column: pd.Series) -> bool:
    text = column.astype(str).str.strip()
    return bool(len(text)) and bool(text.str.match(r"^[–+\-−]?[\d.,]").all())


# --------------------------------------------------------------------------- numbers
# Values and differences in a metric's unit come from simulation.format (metric_text,
# metric_difference_text); these put them together with their intervals.


def estimate(metric: str, mean: float, low: float, high: float) -> str:
    """`35.0% [31.2%, 38.9%]`."""
    return f"{metric_text(metric, mean)} [{metric_text(metric, low)}, {metric_text(metric, high)}]"


def difference(metric: str, diff: float, low: float, high: float) -> str:
    """`+38.4 pp [+30.1 pp, +45.2 pp]`."""
    text = metric_difference_text
    return f"{text(metric, diff)} [{text(metric, low)}, {text(metric, high)}]"


def verdict(row: Mapping[str, Any]) -> str:
    """'higher', 'lower' (the adjusted interval lies above or below 0) or 'unclear':
    `stats.decision`, the one rule of the tables and figures."""
    return stats.row_decision(row)


def diff_text(row: Mapping[str, Any]) -> str:
    """A comparison row's difference with its interval, starred when significant."""
    text = difference(row["metric"], row["diff"], row["diff_ci_low"], row["diff_ci_high"])
    return text + (" *" if verdict(row) != "unclear" else "")


def direction_sentence(
    table: pd.DataFrame, metric: str, baseline: str, label: str | None = None
) -> str:
    """Which scenarios differ significantly from the baseline on a metric, and which way.

    Built from a comparison table (`Comparison.table`): every scenario but the baseline
    falls in one group by `verdict`; each is named with its difference and interval.
    """
    rows = table[(table["metric"] == metric) & (table["scenario"] != baseline)]
    groups: dict[str, list[str]] = {"higher": [], "lower": [], "unclear": []}
    for row in rows.to_dict("records"):
        groups[verdict(row)].append(
            f"{row['scenario']} "
            f"({difference(metric, row['diff'], row['diff_ci_low'], row['diff_ci_high'])})"
        )
    base = table[(table["metric"] == metric) & (table["scenario"] == baseline)]
    base_text = (
        f" ({baseline}: {estimate(metric, *base.iloc[0][['mean', 'ci_low', 'ci_high']])})"
        if len(base)
        else ""
    )
    parts = []
    if groups["higher"]:
        parts.append("significantly higher with " + "; ".join(groups["higher"]))
    if groups["lower"]:
        parts.append("significantly lower with " + "; ".join(groups["lower"]))
    if groups["unclear"]:
        parts.append("no significant difference with " + "; ".join(groups["unclear"]))
    name = label or metric_words(metric)
    text = ". ".join(parts[:1] + [p[0].upper() + p[1:] for p in parts[1:]])
    return f"**{name}**{base_text}: {text}."


def claim_sentence(
    row: Mapping[str, Any] | None, expected: str, claim: str, tests: int | None = None
) -> str:
    """Whether a measured difference bears out an expected direction, worded by the numbers.

    Parameters:
        row: the comparison row (scenario vs baseline on one metric), or None if missing.
        expected: 'higher' or 'lower', the direction the claim predicts.
        claim: what is claimed, e.g. "a response process raises the response rate".
        tests: the number of tests the Bonferroni adjustment ran over (for the wording).
    """
    if row is None or pd.isna(row.get("diff", math.nan)):
        return f"{claim}: not measured (no values)."
    measured = diff_text(row).rstrip(" *")
    found = verdict(row)
    over = f" over {tests} tests" if tests else ""
    if found == expected:
        return f"{claim}: **borne out** — {measured}, its simultaneous interval{over} excludes 0."
    if found == "unclear":
        return (
            f"{claim}: **not shown** — {measured}, its simultaneous interval{over} includes 0 "
            f"(p_adj = {row['p_adjusted']:.2g})."
        )
    return f"{claim}: **contradicted** — {measured}, significant in the other direction."


def comparison_cells(table: pd.DataFrame, metrics: Sequence[str], baseline: str) -> pd.DataFrame:
    """One row per scenario, one column per metric: mean [CI] for the baseline, else the
    difference from it [CI] (starred when significant)."""
    rows = []
    for scenario in pd.unique(table["scenario"]):
        row: dict[str, str] = {"scenario": scenario}
        for metric in metrics:
            match = table[(table["scenario"] == scenario) & (table["metric"] == metric)]
            if match.empty:
                row[metric] = "–"
                continue
            r = match.iloc[0].to_dict()
            if scenario == baseline:
                row[metric] = estimate(metric, r["mean"], r["ci_low"], r["ci_high"])
            else:
                row[metric] = diff_text(r)
        rows.append(row)
    return pd.DataFrame(rows)


def summary_cells(summary: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """`Results.summary()` as one row per group, one `mean [CI]` column per metric."""
    frame = summary.assign(
        cell=[
            estimate(m, mean, low, high)
            for m, mean, low, high in summary[["metric", "mean", "ci_low", "ci_high"]].itertuples(
                index=False
            )
        ]
    )
    wide = frame.pivot_table(index=list(by), columns="metric", values="cell", aggfunc="first")
    metrics = list(pd.unique(summary["metric"]))
    return wide.reindex(columns=metrics).reset_index()


def tests_in(table: pd.DataFrame) -> int:
    """How many tests a comparison table's Bonferroni adjustment ran over (its m)."""
    return stats.table_family(table)[1]


# --------------------------------------------------------------------------- figures


@dataclass
class Point:
    """One labelled point with intervals on both axes, for `tradeoff`."""

    group: str
    label: str
    x: float
    x_low: float
    x_high: float
    y: float
    y_low: float
    y_high: float


def tradeoff(points: Sequence[Point], x: str, y: str, title: str, legend: str = "") -> Figure:
    """Two metrics against each other, one point per variant with both intervals.

    Points of a group are joined in the order given (e.g. by increasing strength) and
    coloured by group; each is annotated with its label.
    """
    fig = Figure(figsize=(7.5, 5.5), layout="constrained")
    ax = fig.add_subplot()
    groups = list(dict.fromkeys(p.group for p in points))
    import seaborn as sns

    colours = dict(zip(groups, sns.color_palette(_plots.PALETTE, len(groups)), strict=True))
    for group in groups:
        members = [p for p in points if p.group == group]
        xs = np.array([p.x for p in members])
        ys = np.array([p.y for p in members])
        xerr = np.array([[p.x - p.x_low, p.x_high - p.x] for p in members]).T
        yerr = np.array([[p.y - p.y_low, p.y_high - p.y] for p in members]).T
        ax.errorbar(
            xs,
            ys,
            xerr=np.nan_to_num(xerr),
            yerr=np.nan_to_num(yerr),
            color=colours[group],
            marker="o",
            ms=6,
            lw=1.2,
            capsize=2,
            label=group,
        )
        for p in members:
            ax.annotate(
                p.label, (p.x, p.y), textcoords="offset points", xytext=(5, 4), fontsize="small"
            )
    values = {
        which: [v for p in points for v in (getattr(p, which), getattr(p, f"{which}_low"),
                                            getattr(p, f"{which}_high"))]
        for which in ("x", "y")
    }  # fmt: skip
    for which, metric, axis in (("x", x, ax.xaxis), ("y", y, ax.yaxis)):
        note = _plots.level_axis(ax, which, metric, values[which])
        axis.set_label_text(_plots.with_note(axis_label(metric, axis=which), note))
        _plots.format_axis(axis, metric)
    ax.legend(title=legend or None, frameon=False, loc="best")
    ax.set_title(title)
    ax.grid(color="0.92")
    return fig


def environment() -> str:
    """CPU count and load, for reports of timings."""
    try:
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        load = "unknown"
    return f"{os.cpu_count()} CPUs, load average {load}"
