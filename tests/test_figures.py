"""Figures that fit their data: read at their default size, in their data's units.

- No two labels overlap and no number is in e-notation, in every figure function
  (`tests.figure_gallery`) and in the figures `run`, `compare` and `sweep` (grid and
  Latin hypercube) write; the check itself finds the crowded ticks of a forest panel.
- Sampled designs (Latin hypercube, Sobol, Morris, points) draw each metric against
  each parameter, not heatmaps; a grid keeps its heatmap with plain tick values.
- Differences of shares are in percentage points (`[pp]`, `+10`), shares in %.
- Counts read `1,580`.
- Level axes start at zero (trust: 0 to 1) unless the data would be a flat line; then
  the label says how much the axis spans.
- Every metric axis says which way is better, from `simulation.format.BETTER`.
- The sweep's summary is over design points, not pooled runs.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from rich.console import Console

from simulation import format as fmt
from simulation.cli import main
from simulation.experiment import plots
from simulation.experiment.reports import SweepReport, sweep_table
from tests import figure_gallery as gallery
from tests.figure_checks import all_text, overlapping_texts, problems, record_figures

TINY = ["--days", "2", "--set", "population.citizens=300"]
SIGNED_WHOLE = re.compile(r"^(0|[+−]\d[\d,]*(\.\d+)?)$")  # "+10", "−2.5", "0", "+1,500"


@pytest.fixture(scope="module")
def figures() -> dict[str, Figure]:
    return gallery.gallery()


def _ticks(axis) -> list[str]:
    return [t.label1.get_text() for t in axis._update_ticks() if t.label1.get_visible()]


# --------------------------------------------------------------------------- overlaps


@pytest.mark.parametrize("name", gallery.NAMES)
def test_every_figure_function_reads_at_its_default_size(figures, name):
    assert not problems(figures[name]), problems(figures[name])


def test_the_overlap_check_finds_crowded_ticks():
    """A forest panel as it was drawn before: differences of ±21 % with per-cent ticks
    (`PercentFormatter`) on a third of a 12.6-inch figure next to ten scenario names:
    every 10 % with one decimal, so −20.0% runs into −10.0%."""
    fig = Figure(figsize=(12.6, 6.3), layout="constrained")
    for ax in fig.subplots(1, 3):
        ax.set_yticks(range(len(gallery.REMEDIES)), gallery.REMEDIES)
        ax.plot([-0.21, 0.21], [0, 9])
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    found = overlapping_texts(fig)
    assert "axes 0 x tick '−20.0%' overlaps axes 0 x tick '−10.0%'" in found, found


@pytest.mark.slow  # about 20 s: a run, a comparison and two sweeps, tiny
def test_figures_the_commands_write_read_at_their_default_size(capsys, tmp_path, monkeypatch):
    saved = record_figures(monkeypatch)
    metrics = ["--metrics", "response_rate,mean_trust,negative_impressions,contacts"]
    commands = {
        "run": ["run", "baseline", *TINY],
        "compare": ["compare", "baseline", "closed_loop", "proactive", "-r", "2", *TINY, *metrics],
        "grid": [
            "sweep",
            "baseline",
            "--grid",
            "staffing.operators=1,2",
            "--grid",
            "staffing.training=0,0.1,0.3",
            *TINY,
            *metrics,
        ],
        "lhs": [
            "sweep",
            "baseline",
            "--lhs",
            "staffing.operators=1:4",
            "--lhs",
            "staffing.training=0:0.3",
            "--samples",
            "6",
            *TINY,
            *metrics,
        ],
    }
    found = {}
    for name, argv in commands.items():
        saved.clear()
        assert main([*argv, "--out", str(tmp_path / name)]) == 0, capsys.readouterr().err
        assert saved, f"{name} drew no figure"
        if name == "lhs":
            assert not any(n.startswith("heatmap") for n in saved), sorted(saved)
        for figure, fig in saved.items():
            found[f"{name}/{figure}"] = problems(fig)
    assert "run/daily.png" in found, "microgov run still writes daily.png"
    assert not any(found.values()), {name: p for name, p in found.items() if p}


# --------------------------------------------------------------------------- designs


def _report(runs: pd.DataFrame, kind: str, parameters: list[str], metrics: list[str]):
    results = SimpleNamespace(
        runs=runs,
        daily=pd.DataFrame({"day": [0], "point": [0]}),
        design=SimpleNamespace(kind=kind),
        parameters=parameters,
    )
    return SweepReport(results, metrics)


@pytest.mark.parametrize("kind", ["latin_hypercube", "sobol", "morris", "points"])
def test_sampled_designs_draw_each_metric_against_each_parameter(kind, tmp_path, monkeypatch):
    saved = record_figures(monkeypatch)
    runs = gallery.sampled_runs()
    parameters = ["staffing.operators", "staffing.training", "accountability.deadline_hours"]
    report = _report(runs, kind, parameters, ["response_rate", "negative_impressions"])
    monkeypatch.setattr(report, "sobol", lambda: None)  # the indices need a real design
    names = report.figures(tmp_path)
    assert names == [
        "partial_dependence_response_rate.png",
        "partial_dependence_negative_impressions.png",
    ]
    fig = saved["partial_dependence_response_rate.png"]
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 3, "a panel per parameter"
    for ax, name in zip(panels, parameters, strict=True):
        assert ax.get_xlabel().replace("\n", " ") == fmt.parameter_label(name)
        assert len(ax.collections[1].get_offsets()) == len(runs), "every run is a dot"
        line = ax.lines[0]
        assert 2 <= len(line.get_xdata()) <= plots.PD_BINS, "a line through binned means"
        for tick in _ticks(ax.xaxis):
            assert len(tick) <= 6, f"a raw float on the axis: {tick!r}"
    # The line is the mean of the runs in each bin: the first bin of operators (an
    # integer parameter with six values) is the runs at one operator.
    first = runs.loc[runs["staffing.operators"] == 1, "response_rate"].mean()
    assert panels[0].lines[0].get_ydata()[0] == pytest.approx(first)


def test_a_grid_keeps_its_heatmap_with_plain_values(tmp_path, monkeypatch):
    saved = record_figures(monkeypatch)
    runs = gallery.grid_runs()
    report = _report(runs, "grid", ["staffing.operators", "staffing.training"], ["mean_trust"])
    assert report.figures(tmp_path) == ["heatmap_mean_trust.png"]
    ax = saved["heatmap_mean_trust.png"].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.3", "0.2", "0.1", "0"], (
        "0.1 + 0.2 is written 0.3, not 0.30000000000000004"
    )


def test_the_sweep_summary_is_over_design_points():
    """Two points whose runs spread widely: the range is of the points' means."""
    runs = pd.DataFrame(
        {
            "point": [0, 0, 1, 1],
            "response_rate": [0.1, 0.5, 0.3, 0.7],
            "negative_impressions": [1000.0, 3000.0, 15000.0, 17000.0],
            "error": None,
        }
    )
    console = Console(width=160, record=True)
    console.print(sweep_table(runs, ["response_rate", "negative_impressions"]))
    text = console.export_text()
    row = next(line for line in text.splitlines() if line.startswith(" response_rate"))
    cells = row.split()
    assert cells[1:7] == ["share", "higher", "40.0%", "30.0%", "50.0%", "28.3"], cells
    assert "10.0%" not in row, "the lowest run is not the lowest point"
    assert "16,000" in text and "e+" not in text


# --------------------------------------------------------------------------- units


def test_differences_of_shares_are_in_percentage_points(figures):
    forest = figures["forest"]
    panel = next(ax for ax in forest.axes if ax.get_title() == "response rate")
    assert panel.get_xlabel() == "difference [pp], better →"
    ticks = _ticks(panel.xaxis)
    assert ticks and all(SIGNED_WHOLE.match(t) for t in ticks), ticks
    assert "+20" in ticks, ticks  # the gallery's response-rate differences reach ±20 pp
    heat = figures["heatmap_difference"]
    cells = [t.get_text() for t in heat.axes[0].texts]
    assert cells and all(re.match(r"^[+-]\d+\.\d$", c) for c in cells), cells
    assert "[pp]" in heat.axes[1].get_ylabel(), heat.axes[1].get_ylabel()
    regret = figures["regret"].axes[0]
    assert "[pp]" in regret.get_xlabel() and "%" not in "".join(_ticks(regret.xaxis))


def test_shares_are_in_per_cent(figures):
    heat = figures["heatmap_grid"]
    cells = [t.get_text() for t in heat.axes[0].texts]
    assert cells and all(re.match(r"^\d+%$", c) for c in cells), cells
    assert all(t.endswith("%") for t in _ticks(heat.axes[1].yaxis))
    assert heat.axes[1].get_ylabel() == "response rate [%], ↑ better"


def test_counts_are_whole_numbers_with_separators(figures):
    forest = figures["forest"]
    panel = next(ax for ax in forest.axes if ax.get_title() == "negative impressions")
    ticks = _ticks(panel.xaxis)
    assert "+2,000" in ticks, ticks
    assert panel.xaxis.get_offset_text().get_text() == "", "no ×10³ above the axis"
    cells = [t.get_text() for t in figures["heatmap_counts"].axes[0].texts]
    assert "8,975" in cells, cells
    run = figures["run_daily"].axes[0]
    assert "1,500" in _ticks(run.yaxis), _ticks(run.yaxis)
    assert "e+" not in all_text(figures["distribution_negative_impressions"])


def test_plain_ticks_write_what_a_reader_expects():
    ticks = plots.PlainTicks()
    assert ticks.format_ticks([0, 500, 1000, 1500]) == ["0", "500", "1,000", "1,500"]
    assert ticks.format_ticks([0.25, 0.5, 0.75]) == ["0.25", "0.50", "0.75"]
    assert plots.PlainTicks(100, signed=True).format_ticks([-0.1, 0, 0.1]) == ["−10", "0", "+10"]
    assert plots.PlainTicks(100, "%").format_ticks([0.0, 0.125]) == ["0.0%", "12.5%"]
    assert plots.PlainTicks().format_ticks([1e-17, 0.001]) == ["0.000", "0.001"]


# --------------------------------------------------------------------------- axes


def _trust_run(low: float, high: float) -> pd.DataFrame:
    daily = gallery.daily_table(scenarios=("baseline",))
    one = daily[daily["replication"] == 0].copy()
    one["mean_trust"] = np.linspace(high, low, len(one))
    return one


def test_a_trust_axis_spans_zero_to_one_unless_the_series_would_be_flat():
    wide = plots.run_daily(_trust_run(0.3, 0.7)).axes[2]
    assert wide.get_ylim() == (0.0, 1.0)
    assert "zoomed" not in wide.get_ylabel()
    narrow = plots.run_daily(_trust_run(0.543, 0.553)).axes[2]
    low, high = narrow.get_ylim()
    assert high - low < 0.02, "a drift of 0.01 in 30 days is drawn where it can be seen"
    assert f"zoomed: the axis spans {high - low:.3f} of 0 to 1" in " ".join(
        narrow.get_ylabel().split()
    )


def test_share_and_count_axes_start_at_zero(figures):
    assert figures["distribution_response_rate"].axes[0].get_xlim()[0] == 0.0
    assert figures["daily_series_backlog"].axes[0].get_ylim()[0] == 0.0
    panels = figures["partial_dependence"].axes
    assert panels[0].get_ylim()[0] == 0.0 and panels[0].get_ylim()[1] <= 1.0


def test_the_zoom_rule():
    assert plots.level_range("response_rate", [0.3, 0.5]) == ((0.0, 0.525), False)
    assert plots.level_range("response_rate", [0.30, 0.31]) == (None, True)
    assert plots.level_range("response_rate", [0.5, 0.99]) == ((0.0, 1.0), False), "≤ 100%"
    assert plots.level_range("mean_trust", [0.2, 0.9]) == ((0.0, 1.0), False)
    assert plots.level_range("satisfaction", [-0.5, 0.5]) == ((-1.0, 1.0), False)
    assert plots.level_range("trust_change", [-0.001, 0.001]) == (None, False), "a change"
    assert plots.level_range("mean_trust", [0.55, 0.55]) == ((0.0, 1.0), False), "flat is flat"
    assert plots.zoom_note("response_rate", 0.012) == "zoomed: the axis spans 1.2 pp"
    assert plots.zoom_note("mean_trust", 6.62e-05) == "zoomed: the axis spans 0.000066 of 0 to 1"


# --------------------------------------------------------------------------- better


def test_every_better_direction_is_of_a_known_metric():
    known = set(fmt.METRICS) | set(fmt.MATRIX_METRICS) | set(fmt.DAILY_UNITS)
    assert set(fmt.BETTER) <= known, set(fmt.BETTER) - known
    assert set(fmt.BETTER.values()) <= {"higher", "lower"}
    assert fmt.better_mark("response_rate") == "↑ better"
    assert fmt.better_mark("p90_response_hours", axis="x") == "← better"
    assert fmt.better_mark("contacts") == "", "demand has no better direction"
    assert fmt.better_mark("response_rate@wechat_city") == "↑ better", "an account's metric too"


def test_every_metric_axis_says_which_way_is_better(figures):
    labels = {
        "run_daily trust": figures["run_daily"].axes[2].get_ylabel(),
        "run_daily backlog": figures["run_daily"].axes[1].get_ylabel(),
        "daily_series": figures["daily_series_mean_trust"].axes[0].get_ylabel(),
        "distribution": figures["distribution_negative_impressions"].axes[0].get_xlabel(),
        "heatmap": figures["heatmap_counts"].axes[1].get_ylabel(),
        "partial_dependence": figures["partial_dependence_trust"].axes[0].get_ylabel(),
        "regret": figures["regret"].axes[1].get_xlabel(),
    }
    for name, label in labels.items():
        assert "better" in label, f"{name}: {label!r}"
    forest = {ax.get_title(): ax.get_xlabel() for ax in figures["forest"].axes}
    assert forest["p90 response hours"].endswith("← better")
    assert forest["mean trust"].endswith("better →")
    assert "better" not in forest["contacts"], "no direction for demand"
    run = figures["run_daily"].axes[0].get_ylabel()
    assert "better" not in run, "requests received have no better direction"


# --------------------------------------------------------------------------- scripts


def test_markdown_cells_of_scripts_never_use_e_notation():
    from tests.test_experiment_scripts import load

    common = load("_common")
    frame = pd.DataFrame({"impressions": [15800.0, 0.31234]})
    assert common.markdown_table(frame).splitlines()[2:] == ["| 15,800 |", "| 0.3123 |"]


def test_validation_log_axes_of_counts_read_as_plain_numbers():
    from simulation.validation.figures import plain_log_ticks

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([0.3, 1.0], [2.0, 30.0])
    ax.set_yscale("log")
    plain_log_ticks(ax.yaxis)
    FigureCanvasAgg(fig).draw()
    labels = [t.get_text() for t in ax.yaxis.get_ticklabels(which="both") if t.get_text()]
    assert "10" in labels and "20" in labels, labels
    assert not any("×" in t or "^" in t or "e" in t for t in labels), labels


def test_the_comparison_markdown_writes_counts_whole():
    from simulation.experiment.api import Comparison

    table = gallery.comparison_table(gallery.runs_table()).assign(p_value=0.01)
    results = SimpleNamespace(replications=gallery.REPLICATIONS, seed=1)
    text = Comparison(results, gallery.BASELINE, table).to_markdown()  # type: ignore[arg-type]
    row = next(line for line in text.splitlines() if line.startswith("| contacts"))
    assert re.search(r"\| 1,5\d\d \[", row), row
    assert "e+" not in text, [line for line in text.splitlines() if "e+" in line]


def test_a_legend_of_many_series_sits_beside_the_lines_not_over_them():
    daily = gallery.daily_table()
    many = pd.concat(
        [daily.assign(scenario=daily["scenario"] + f"_{copy}") for copy in range(2)],
        ignore_index=True,
    )
    assert many["scenario"].nunique() > plots.LEGEND_INSIDE_MAX
    for frame, beside in ((daily, False), (many, True)):
        fig = plots.daily_series(frame, "mean_trust")
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.canvas.draw()
        ax = fig.axes[0]
        legend = ax.get_legend().get_window_extent(renderer)
        assert (legend.x0 >= ax.get_window_extent(renderer).x1) == beside
