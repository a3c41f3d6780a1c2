"""Reports of experiments: a comparison's or a sweep's tables, figures and terminal output.

`ComparisonReport` and `SweepReport` take the engine's tables (just run, or read back
from a folder by `microgov analyze`), print them with rich — every value in its
metric's unit (`simulation.format`) — and write the tables (CSV or Parquet) and the
figures (`simulation.experiment.plots`, imported only when figures are drawn). A file
that cannot be written is a `ScenarioError` naming the folder.
"""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from simulation.experiment.stats import index_problem, interval_label, row_decision, table_family
from simulation.format import (
    COUNT_UNITS,
    MISSING,
    fixed,
    is_missing,
    markup_text,
    metric_better,
    metric_difference,
    metric_unit,
    metric_value,
    p_value,
    parameter_value,
    plain_text,
    readable,
    safe_text,
)
from simulation.safe_write import OutputDir

DISTRIBUTION_METRICS = ("response_rate", "median_response_hours", "one_sided_share", "mean_trust")
MAX_DISTRIBUTION_FIGURES = 4
DAILY_FIGURE_COLUMNS = ("mean_trust", "backlog_operators")


class ComparisonReport:
    """A comparison's tables, printed and written with its figures."""

    def __init__(
        self,
        runs,
        daily,
        table,
        baseline: str,
        order: list[str],
        metrics: list[str],
        notes: list[str] | None = None,
    ):
        self.runs, self.daily, self.table = runs, daily, table
        self.baseline, self.order = baseline, order
        if notes is None and table is not None and "n_pairs" in table:
            from simulation.experiment.api import comparison_notes

            notes = comparison_notes(table, baseline)
        self.notes = list(notes or [])
        self.markdown: str | None = None  # the engine's Markdown table, when just run
        present = set(table["metric"]) if table is not None else set()
        self.metrics = [m for m in metrics if m in present] or list(dict.fromkeys(table["metric"]))

    def print(self, out: Console) -> None:
        """Print the comparison table, how to read it, the notes and any failed runs."""
        out.print(comparison_table(self.table, self.baseline, self.metrics, self.order))
        n = (
            int(self.runs["replication"].nunique())
            if "replication" in self.runs
            else len(self.runs)
        )
        confidence, tests = table_family(self.table)
        alpha = f"{1 - confidence:.2g}"
        out.print(
            f"Mean over {n} replications per scenario (its t interval is in "
            "comparison.csv); difference: scenario minus baseline, the mean of differences "
            "paired by seed (pp: percentage points), with its paired t interval at level "
            f"1 − {alpha}/{tests}, so the {tests} intervals of the table hold together with "
            f"{confidence:.0%} confidence (Bonferroni); p: the paired t test's p × {tests}; "
            f"* significant: the interval excludes 0, the same as p < {alpha}.",
            style="dim",
        )
        for note in self.notes:
            out.print(f"Note: {safe_text(note)}", style="yellow", markup=False, soft_wrap=True)
        failed = _failed_runs(self.runs)
        if failed:
            out.print(f"{failed} run(s) failed: see the 'error' column of runs", style="yellow")

    def write(self, out_dir: Path, fmt: str, figures: bool, tables: bool = True) -> list[str]:
        """Write the tables (with `tables`) and the figures (with `figures`) to `out_dir`.

        Returns the names of the files written.
        """
        written = []
        if tables:
            for name, frame in (
                ("runs", self.runs),
                ("daily", self.daily),
                ("comparison", self.table),
            ):
                written.append(write_frame(frame, out_dir, name, fmt))
            if self.markdown:
                write_text(out_dir / "comparison.md", self.markdown + "\n")
                written.append("comparison.md")
        if figures:
            written += self.figures(out_dir)
        return written

    def figures(self, out_dir: Path) -> list[str]:
        """Draw and save the forest plot, distributions and daily series; returns file names."""
        from simulation.experiment import plots

        others = [s for s in self.order if s != self.baseline]
        made = []
        made.append(
            _save(
                plots.forest(self.table, self.metrics, baseline=self.baseline, order=others),
                out_dir / "forest.png",
            )
        )
        wanted = [m for m in DISTRIBUTION_METRICS if m in self.metrics] or self.metrics
        for metric in wanted[:MAX_DISTRIBUTION_FIGURES]:
            if metric in self.runs.columns:
                fig = plots.distribution(self.runs, metric, order=self.order)
                made.append(_save(fig, out_dir / f"distribution_{metric}.png"))
        if self.daily is not None:
            for column in DAILY_FIGURE_COLUMNS:
                if column in self.daily.columns:
                    fig = plots.daily_series(self.daily, column, order=self.order)
                    made.append(_save(fig, out_dir / f"daily_{column}.png"))
        return made


class SweepReport:
    """A sweep's results, summarised, written and plotted by its design."""

    def __init__(self, results, metrics: list[str]):
        self.results = results
        self.runs = results.runs
        self.daily = results.daily
        self.design = results.design
        self.parameters = [p for p in results.parameters if p in self.runs.columns]
        self.metrics = [m for m in metrics if m in self.runs.columns]
        self.kind = getattr(self.design, "kind", "")
        self._indices = None
        self._sobol_problems: list[str] = []

    def sobol(self):
        """Sobol indices of every metric (a table with a metric column), for Sobol designs."""
        if self.kind != "sobol":
            return None
        if self._indices is None:
            import pandas as pd

            from simulation.experiment.api import sobol_indices

            frames = []
            ok = self.runs[self.runs["error"].isna()] if "error" in self.runs else self.runs
            for metric in self.metrics:
                values = ok[metric].dropna()
                if len(values) and values.nunique() == 1:
                    self._sobol_problems.append(
                        f"{metric}: it is the same ({values.iloc[0]:g}) at every point, so "
                        "there is no variance to apportion"
                    )
                    continue
                try:
                    frame = sobol_indices(self.results, metric)
                except ValueError as exc:  # e.g. a metric without values, a sweep not finished
                    self._sobol_problems.append(f"{metric}: {exc}")
                    continue
                frames.append(frame.assign(metric=metric))
            self._indices = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return self._indices

    def sobol_warnings(self) -> list[str]:
        """`api.sobol_warnings` of every metric's indices: small N said once, then per metric."""
        from simulation.experiment.api import sobol_warnings

        indices = self.sobol()
        if indices is None or indices.empty:
            return []
        samples = getattr(self.design, "samples", None)
        lines = sobol_warnings(indices.iloc[:0], samples)
        for metric, frame in indices.groupby("metric", sort=False):
            lines += sobol_warnings(frame, None, str(metric))
        return lines

    def print(self, out: Console) -> None:
        """Print the sweep's size, whether it is finished, its metrics and any Sobol indices.

        A grid of at most 40 points also gets a table of the metrics' means by point.
        """
        points = len(self.design) if self.design is not None else "?"
        failed = _failed_runs(self.runs)
        out.print(
            f"{len(self.runs)} runs over {points} design points ({self.kind}: "
            f"{safe_text(', '.join(self.parameters))})" + (f"; {failed} failed" if failed else ""),
            markup=False,
        )
        expected = getattr(self.results, "expected_runs", None)
        if expected and len(self.runs) < expected:
            out.print(
                f"the sweep is not finished: {len(self.runs)} of {expected} runs; continue it "
                "with the same command and --resume",
                style="yellow",
            )
        out.print(sweep_table(self.runs, self.metrics))
        if self.kind == "grid" and "point" in self.runs and self.runs["point"].nunique() <= 40:
            for table in points_tables(self.runs, self.parameters, self.metrics, out.width):
                out.print(table)
        indices = self.sobol()
        if indices is not None and not indices.empty:
            out.print(sobol_table(indices))
            for line in self.sobol_warnings():
                out.print(
                    f"Warning: {safe_text(line)}", style="yellow", markup=False, soft_wrap=True
                )
        for problem in self._sobol_problems:
            out.print(f"no Sobol indices for {safe_text(problem)}", style="yellow", markup=False)

    def write(self, out_dir: Path, fmt: str, figures: bool, tables: bool = True) -> list[str]:
        """Write the tables (with `tables`), the Sobol indices and the figures to `out_dir`.

        Returns the names of the files written.
        """
        written = []
        if tables:
            written.append(write_frame(self.runs, out_dir, "runs", fmt))
            written.append(write_frame(self.daily, out_dir, "daily", fmt))
        indices = self.sobol()
        if indices is not None and not indices.empty:
            written.append(write_frame(indices, out_dir, "sobol_indices", "csv"))
        if figures:
            written += self.figures(out_dir)
        return written

    def figures(self, out_dir: Path) -> list[str]:
        """Draw and save the figures the design calls for; returns the file names.

        A grid: heatmaps over its first two parameters (the others averaged over), or,
        with one parameter, distributions by its values and daily series. A sampled
        design (Latin hypercube, Sobol, Morris, listed points), whose points fill no
        grid: each metric against each parameter (`plots.partial_dependence`), and for
        Sobol also the sensitivity bars.
        """
        from simulation.experiment import plots

        made = []
        indices = self.sobol()
        if indices is not None:
            for metric, frame in indices.groupby("metric", sort=False) if not indices.empty else ():
                samples = getattr(self.design, "samples", None)
                fig = plots.sensitivity(frame, metric=metric, samples=samples)
                made.append(_save(fig, out_dir / f"sensitivity_{metric}.png"))
        if self.kind != "grid":
            if self.parameters:
                for metric in self.metrics:
                    fig = plots.partial_dependence(self.runs, self.parameters, metric)
                    made.append(_save(fig, out_dir / f"partial_dependence_{metric}.png"))
            return made
        if len(self.parameters) >= 2:
            x, y = self.parameters[:2]
            rest = self.parameters[2:]
            note = f" (mean over {', '.join(rest)})" if rest else ""
            for metric in self.metrics:
                title = f"{metric.replace('_', ' ').capitalize()}: mean per cell{note}"
                fig = plots.heatmap(self.runs, x, y, metric, title=title)
                made.append(_save(fig, out_dir / f"heatmap_{metric}.png"))
            return made
        by = self.parameters[0] if self.parameters else "scenario"
        for metric in self.metrics[:MAX_DISTRIBUTION_FIGURES]:
            fig = plots.distribution(self.runs, metric, by=by)
            made.append(_save(fig, out_dir / f"distribution_{metric}.png"))
        if by in self.daily.columns:
            for column in DAILY_FIGURE_COLUMNS:
                if column in self.daily.columns:
                    fig = plots.daily_series(self.daily, column, by=by)
                    made.append(_save(fig, out_dir / f"daily_{column}.png"))
        return made


def _failed_runs(runs) -> int:
    if "error" not in runs.columns:
        return 0
    errors = runs["error"]
    return int((errors.notna() & (errors.astype(str) != "")).sum())


def write_frame(frame, out_dir: Path, name: str, fmt: str) -> str:
    """Write a table as out_dir/name.fmt (csv or parquet); returns the file name."""
    return OutputDir(out_dir).write_frame(f"{name}.{fmt}", frame, fmt).name


def _save(fig, path: Path) -> str:
    return OutputDir(path.parent).save_figure(path.name, fig, dpi=150).name


def comparison_table(table, baseline: str, metrics: list[str], order: list[str]) -> Table:
    """Each metric: the baseline's mean, then each scenario's mean and its difference.

    The means' own intervals are in comparison.csv; the table keeps to what is compared.
    """
    result = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    result.add_column("metric", no_wrap=True)
    result.add_column("scenario", no_wrap=True)
    result.add_column("mean", justify="right", no_wrap=True)
    result.add_column("difference", justify="right", no_wrap=True)
    result.add_column(
        interval_label(*table_family(table)).replace(" (", " CI\n("),
        justify="right",
        style="dim",
        no_wrap=True,
    )
    result.add_column("p\n(Bonferroni)", justify="right", no_wrap=True)
    positions = {name: i for i, name in enumerate(order)}
    for index, metric in enumerate(metrics):
        rows = table[table["metric"] == metric]
        rows = rows.assign(_pos=rows["scenario"].map(positions)).sort_values("_pos")
        unit = metric_unit(metric)
        if index:
            result.add_row(*[""] * 6)
        first = True
        for _, row in rows.iterrows():
            label = f"{metric} [dim]({unit})[/]" if first and unit else (metric if first else "")
            first = False
            mean = metric_value(metric, row["mean"], unit)
            if row["scenario"] == baseline:
                name = f"{markup_text(row['scenario'])} [dim](baseline)[/]"
                result.add_row(label, name, mean, "", "", "")
                continue
            significant = row_decision(row) != "unclear"
            diff = metric_difference(metric, row["diff"], unit)
            diff_ci = _difference_interval(metric, row.get("diff_ci_low"), row.get("diff_ci_high"))
            p_text = p_value(row.get("p_adjusted"))
            if significant:
                diff, p_text = f"[bold]{diff}[/]", f"[bold]{p_text} *[/]"
            result.add_row(label, plain_text(row["scenario"]), mean, diff, diff_ci, p_text)
    return result


def _difference_interval(metric: str, low, high) -> str:
    if is_missing(low) or is_missing(high):
        return ""
    return f"[{metric_difference(metric, low)}, {metric_difference(metric, high)}]"


def sweep_table(runs, metrics: list[str]) -> Table:
    """Each metric over the design points: its mean, and the lowest and highest point.

    A point's value is the mean of its runs (replications), so the range is the design's
    and not the replications' noise, which is shown apart (the standard deviation of
    runs within a point, averaged over the points that have several). `better` is the
    metric's better direction (`simulation.format.BETTER`). Without a `point` column
    every run is its own point.
    """
    ok = runs[runs["error"].isna()] if "error" in runs.columns else runs
    keys = ok["point"] if "point" in ok.columns else ok.index.to_series()
    table = Table(
        title="Over the design points (a point: the mean of its runs)",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("metric")
    table.add_column("unit", style="dim")
    table.add_column("better", style="dim")
    for column in ("mean", "lowest point", "highest point", "sd within a point"):
        table.add_column(column, justify="right")
    for metric in metrics:
        unit = metric_unit(metric)
        better = metric_better(metric) or MISSING
        values = ok[metric].dropna() if metric in ok.columns else None
        if values is None or len(values) == 0:
            table.add_row(metric, unit, better, "n/a", "n/a", "n/a", "n/a")
            continue
        grouped = values.groupby(keys[values.index], sort=True)
        means = grouped.mean()
        spread = grouped.std().dropna()
        table.add_row(
            metric,
            unit,
            better,
            *(metric_value(metric, v, unit) for v in (values.mean(), means.min(), means.max())),
            _spread_text(metric, spread.mean()) if len(spread) else "n/a",
        )
    return table


def _spread_text(metric: str, value: float) -> str:
    """A standard deviation in the metric's unit: shares in percentage points, unsigned."""
    unit = metric_unit(metric)
    if unit == "share":
        return f"{fixed(100 * value, 1)} pp"
    if unit in COUNT_UNITS or unit == "hours":
        return metric_value(metric, value, unit)
    return readable(value, 2)


def points_tables(runs, parameters: list[str], metrics: list[str], width: int = 120) -> list[Table]:
    """Mean of each metric at each design point (a grid's cells), in design order.

    Every metric is shown: as many as fit in `width` columns go in the first table, the
    rest follow in further tables, each again with the parameters' columns.
    """
    ok = runs[runs["error"].isna()] if "error" in runs.columns else runs
    means = ok.groupby("point", sort=True)[metrics].mean()
    first = runs.groupby("point", sort=True)[parameters].first()
    settings = {name: [parameter_value(v) for v in first[name]] for name in parameters}
    values = {
        metric: [
            metric_value(metric, means.loc[point, metric]) if point in means.index else "n/a"
            for point in first.index
        ]
        for metric in metrics
    }
    room = width - sum(_column_width(name, cells) for name, cells in settings.items())
    blocks: list[list[str]] = [[]]
    left = room
    for metric in metrics:
        needed = _column_width(metric, values[metric])
        if blocks[-1] and needed > left:
            blocks.append([])
            left = room
        blocks[-1].append(metric)
        left -= needed
    tables = []
    for number, block in enumerate(blocks):
        title = "Mean per design point"
        if len(blocks) > 1:
            title += f" ({number + 1} of {len(blocks)}: {len(block)} of {len(metrics)} metrics)"
        table = Table(title=title, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
        for name in parameters:
            table.add_column(plain_text(name), justify="right", style="cyan", no_wrap=True)
        for metric in block:
            table.add_column(metric, justify="right", no_wrap=True)
        for row in range(len(first.index)):
            table.add_row(
                *(plain_text(settings[name][row]) for name in parameters),
                *(values[metric][row] for metric in block),
            )
        tables.append(table)
    return tables


def _column_width(header: str, cells: list[str]) -> int:
    """Columns a table column takes: its widest text, padding and the gap to the next."""
    return max([len(header), *(len(cell) for cell in cells)]) + 3


def sobol_table(indices) -> Table:
    """The Sobol indices table: S1 and ST with their confidence half-widths, by metric.

    An index that cannot be read as a share of variance (`stats.index_problem`) is
    marked `!`, as the caption says.
    """
    table = Table(title="Sobol indices", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("metric", "parameter", "S1", "± conf", "ST", "± conf"):
        table.add_column(column, justify="left" if column in ("metric", "parameter") else "right")
    previous = None
    marked = False
    for _, row in indices.iterrows():
        metric = row["metric"] if row["metric"] != previous else ""
        previous = row["metric"]
        cells = []
        for order in ("S1", "ST"):
            flag = index_problem(row.get(order), row.get(f"{order}_conf"))
            mark = " !" if flag and flag != "no interval" else ""
            marked = marked or bool(mark)
            cells += [fixed(row.get(order), 3, missing="n/a") + mark]
            cells += [fixed(row.get(f"{order}_conf"), 3, missing="n/a")]
        table.add_row(metric, plain_text(row["parameter"]), *cells)
    if marked:
        table.caption = "! unreliable: interval wider than the value, or outside [0, 1] beyond it"
    return table


def write_text(path: Path, text: str) -> None:
    """Write a text file (atomically, see `simulation.safe_write`); a failure names the folder."""
    OutputDir(path.parent).write_text(path.name, text)
