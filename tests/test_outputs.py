"""Outputs that other tools can read: strict JSON, the run's figure, progress, whole tables.

- every JSON file the command writes parses with a strict parser (no NaN), with counts
  as integers and undefined values as null;
- `microgov run` writes daily.png, the figure `RunResult.plot()` returns;
- progress on stderr is a plain line per few per cent where stderr is not a terminal;
- a local Dask cluster takes its worker count from --jobs;
- the table of a sweep's points leaves no metric out, however narrow the terminal.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from simulation import load_scenario, run_one
from simulation.cli import main
from simulation.experiment import plots
from simulation.experiment.reports import points_tables
from simulation.format import COUNT_UNITS, METRICS, json_record, json_text, metric_unit
from simulation.progress import LINE_PERCENT, PlainLines, clock_time, progress_tracker

TINY = ["--days", "2", "--set", "population.citizens=300"]


def strict_json(text: str):
    """Parse JSON as the standard has it: NaN, Infinity and -Infinity are errors."""

    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


# --------------------------------------------------------------------------- strict JSON


def test_strict_parser_refuses_what_python_writes_by_default():
    with pytest.raises(ValueError, match="NaN"):
        strict_json(json.dumps({"x": float("nan")}))


def test_json_text_writes_null_for_undefined_and_refuses_the_unwritable():
    text = json_text({"a": float("nan"), "b": [float("inf"), np.float64(0.5)], "c": np.int64(3)})
    assert strict_json(text) == {"a": None, "b": [None, 0.5], "c": 3}
    with pytest.raises(TypeError):
        json_text({"a": object()})


def test_json_record_writes_counts_as_integers_and_other_values_as_they_are():
    record = json_record(
        {"seed": 3, "received": 5853.0, "response_rate": 0.25, "appraisal_score": math.nan}
    )
    assert record == {"seed": 3, "received": 5853, "response_rate": 0.25, "appraisal_score": None}
    assert isinstance(record["received"], int) and isinstance(record["response_rate"], float)


def test_every_json_the_command_writes_is_strict_with_integer_counts(capsys, tmp_path):
    run_dir, sweep_dir, compare_dir = tmp_path / "run", tmp_path / "sweep", tmp_path / "cmp"
    # The baseline's appraisal rule is none: its appraisal_score is undefined.
    assert main(["run", "baseline", *TINY, "--quiet", "--no-figures", "--out", str(run_dir)]) == 0
    sweep = ["sweep", "baseline", "--grid", "staffing.operators=1,2", *TINY, "--no-figures"]
    assert main([*sweep, "--quiet", "--out", str(sweep_dir)]) == 0
    compare = ["compare", "baseline", "closed_loop", "-r", "2", *TINY, "--no-figures"]
    assert main([*compare, "--quiet", "--out", str(compare_dir)]) == 0
    capsys.readouterr()
    written = sorted(tmp_path.rglob("*.json"))
    assert {p.name for p in written} >= {"summary.json", "manifest.json"}, written
    for path in written:
        strict_json(path.read_text(encoding="utf-8"))  # raises on NaN or Infinity

    summary = strict_json((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["appraisal_score"] is None, "an undefined metric is null"
    counts = [name for name in summary if metric_unit(name) in COUNT_UNITS]
    assert {"needs", "received", "contacts", "impressions", "backlog_operators"} <= set(counts)
    for name in counts:
        assert type(summary[name]) is int, f"{name} = {summary[name]!r} is a count"
    for name in ("seed", "days", "citizens"):
        assert type(summary[name]) is int, name
    assert isinstance(summary["response_rate"], float)
    assert set(METRICS) <= set(summary), "every metric of the glossary is in summary.json"


# --------------------------------------------------------------------------- the run's figure


def test_run_writes_the_daily_figure_unless_told_not_to(capsys, tmp_path):
    assert main(["run", "baseline", *TINY, "--quiet", "--out", str(tmp_path / "a")]) == 0
    figure = tmp_path / "a" / "daily.png"
    assert figure.stat().st_size > 20_000, "daily.png is nearly empty"
    from matplotlib.image import imread

    height, width = imread(figure).shape[:2]
    assert (width, height) == (1200, 1200), "readable at its default size (8 × 8 in at 150 dpi)"
    assert "daily.png" in capsys.readouterr().out
    assert main(["run", "baseline", *TINY, "-q", "--no-figures", "--out", str(tmp_path / "b")]) == 0
    assert not (tmp_path / "b" / "daily.png").exists()
    assert "daily.png" not in capsys.readouterr().out


def test_result_plot_draws_the_daily_series_with_units():
    result = run_one(load_scenario("baseline", ["population.citizens=500"]), seed=1, days=3)
    fig = result.plot()
    axes = fig.axes
    assert len(axes) == 3
    labels = [ax.get_ylabel() for ax in axes]
    assert labels[:2] == ["per day [count]", "waiting [items], ↓ better"], labels
    assert labels[2].startswith("mean trust [0-1], ↑ better"), labels
    assert axes[-1].get_xlabel() == "day of the run"
    drawn = [line.get_label() for line in axes[0].get_lines()]
    assert drawn == ["received", "first replies"]
    np.testing.assert_array_equal(axes[0].get_lines()[0].get_ydata(), result.daily["received"])
    np.testing.assert_array_equal(axes[2].get_lines()[0].get_ydata(), result.daily["mean_trust"])
    assert "baseline" in fig.get_suptitle() and "3 days" in fig.get_suptitle()


def test_count_axes_read_as_whole_numbers_with_separators():
    days = np.arange(10)
    daily = pd.DataFrame(
        {
            "day": days,
            "received": 1500 + 120 * days,
            "first_replies": 1200 + 100 * days,
            "backlog_operators": 40_000 + 2_000 * days,
            "backlog_departments": 0,
            "mean_trust": 0.5,
        }
    )
    fig = plots.run_daily(daily)
    for ax in fig.axes[:2]:
        formatter = ax.yaxis.get_major_formatter()
        ticks = [formatter(value, i) for i, value in enumerate(ax.get_yticks())]
        assert any("," in tick for tick in ticks), ticks
        assert not any("e" in tick for tick in ticks), ticks
    assert plots.PlainTicks().format_ticks([1580.0, 2.5]) == ["1,580.0", "2.5"]
    assert plots.PlainTicks()(1580.0) == "1,580"


# --------------------------------------------------------------------------- progress


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_progress_writes_a_line_per_few_percent_with_elapsed_and_eta():
    clock, stream = FakeClock(), io.StringIO()
    tracker = PlainLines(200, "sweep-baseline", "runs", stream, clock)
    for done in range(200):
        clock.now += 3.0
        tracker.advance(ok=done != 7)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 100 // LINE_PERCENT, "a line per 5 % of the runs"
    assert lines[0] == "sweep-baseline: 10/200 runs (5%), 1 failed, elapsed 0:30, eta 9:30"
    assert lines[-1] == "sweep-baseline: 200/200 runs (100%), 1 failed, elapsed 10:00"
    # Jumps (a run that reports days) still give one line per mark passed, and the end.
    stream = io.StringIO()
    tracker = PlainLines(7, "run", "days", stream, FakeClock())
    for day in (3, 7):
        tracker.update(day)
    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == ["run: 3/7 days", "run: 7/7 days"]
    assert clock_time(3725) == "1:02:05" and clock_time(59.6) == "1:00"


def test_progress_tracker_switched_off_or_empty_writes_nothing(capsys):
    for enabled, total in ((False, 10), (True, 0)):
        with progress_tracker(total, "x", enabled=enabled) as tracker:
            tracker.advance()
    assert capsys.readouterr().err == ""


def test_experiment_commands_log_progress_where_stderr_is_not_a_terminal(capsys, tmp_path):
    argv = ["compare", "baseline", "closed_loop", "-r", "2", *TINY, "--no-figures"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines[-1].startswith("2 scenarios: 4/4 runs (100%), elapsed "), lines
    assert len(lines) == 4 and all(", elapsed " in line for line in lines)
    assert "runs (" not in captured.out, "progress stays off stdout"
    assert main([*argv, "--quiet", "--out", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().err == ""


def test_experiment_scripts_show_progress_by_default():
    from experiments._common import parse_args

    assert parse_args([], None, {}, {}).progress is True
    assert parse_args(["--no-progress"], None, {}, {}).progress is False


# --------------------------------------------------------------------------- a local Dask cluster


def test_scheduler_dask_with_jobs_starts_a_cluster_of_that_many_workers(
    capsys, tmp_path, monkeypatch
):
    distributed = pytest.importorskip("distributed")
    started = []

    class Recorded(Exception):
        pass

    def cluster(**options):
        started.append(options)
        raise Recorded  # no need to start it: the options are what is tested

    monkeypatch.setattr(distributed, "LocalCluster", cluster)
    argv = ["compare", "baseline", "closed_loop", "-r", "2", *TINY, "--no-figures"]
    with pytest.raises(Recorded):
        main([*argv, "--scheduler", "dask", "--jobs", "3", "--out", str(tmp_path / "a")])
    assert "on a local Dask cluster of 3 workers" in capsys.readouterr().out
    assert started[0]["n_workers"] == 3 and started[0]["threads_per_worker"] == 1
    # An experiment file's local Dask cluster keeps its scheduler when --jobs is given.
    file = tmp_path / "exp.toml"
    file.write_text(
        'name = "e"\nscenarios = ["baseline", "closed_loop"]\nreplications = 4\n'
        'scheduler = "dask"\ndays = 2\n[set]\n"population.citizens" = 300\n',
        encoding="utf-8",
    )
    with pytest.raises(Recorded):
        main(["experiment", str(file), "--jobs", "2", "--out", str(tmp_path / "b")])
    assert started[1]["n_workers"] == 2


def test_jobs_with_a_scheduler_address_is_refused_naming_the_option(capsys, tmp_path):
    argv = ["compare", "baseline", "closed_loop", *TINY, "--out", str(tmp_path)]
    assert main([*argv, "--scheduler", "tcp://127.0.0.1:8786", "--jobs", "2"]) == 2
    err = capsys.readouterr().err
    assert "--jobs" in err and "not both" in err, err


# --------------------------------------------------------------------------- whole tables


def _point_runs(metrics: list[str]) -> pd.DataFrame:
    rows = []
    for point, operators in enumerate((1, 2, 4)):
        row = {"point": point, "staffing.operators": operators, "error": None}
        row.update({m: 0.1 * (i + 1) * operators for i, m in enumerate(metrics)})
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_points_tables_show_every_metric_at_any_width(width):
    metrics = [
        "response_rate",
        "median_response_hours",
        "p90_response_hours",
        "one_sided_share",
        "mean_trust",
        "satisfaction",
        "escalation_rate",
        "abandonment_rate",
    ]
    tables = points_tables(_point_runs(metrics), ["staffing.operators"], metrics, width)
    shown = [str(c.header) for table in tables for c in table.columns]
    assert [m for m in shown if m in metrics] == metrics, "each metric once, in order"
    assert all(str(table.columns[0].header) == "staffing.operators" for table in tables)
    console = Console(width=width, record=True, file=io.StringIO())
    for table in tables:
        console.print(table)
    text = console.export_text()
    for metric in metrics:
        assert metric in text, f"{metric} is cut at width {width}"
    if width < 120:
        assert len(tables) > 1 and "1 of " in str(tables[0].title)


def test_sweep_prints_all_its_metrics(capsys, tmp_path):
    metrics = (
        "response_rate,median_response_hours,p90_response_hours,one_sided_share,mean_trust,"
        "satisfaction"
    )
    argv = ["sweep", "baseline", "--grid", "staffing.operators=1,2", *TINY, "--no-figures"]
    assert main([*argv, "--metrics", metrics, "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    block = out[out.index("Mean per design point") :]
    for metric in metrics.split(","):
        assert metric in block, f"the points table leaves out {metric}"


def test_a_sweep_resumes_from_its_strict_manifest(capsys, tmp_path):
    """The manifest written as strict JSON still identifies the same sweep on --resume."""
    argv = ["sweep", "baseline", "--grid", "staffing.operators=1,2", *TINY, "--no-figures", "-q"]
    out_dir = Path(tmp_path / "s")
    assert main([*argv, "--out", str(out_dir)]) == 0
    assert main([*argv, "--resume", "--out", str(out_dir)]) == 0
    capsys.readouterr()
