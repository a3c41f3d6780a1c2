"""The experiment commands: compare, sweep, analyze, experiment.

Tiny runs (300 citizens, 2 days) in this process through `main([...])`; one test runs
the console script to prove a bad sweep exits with code 2 and no traceback, and that the
quick commands do not load the engine, matplotlib or dask.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main

TINY = ["--days", "2", "--set", "population.citizens=300"]
MICROGOV = Path(sys.executable).with_name("microgov")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _pngs(folder: Path) -> set[str]:
    names = set()
    for path in folder.glob("*.png"):
        assert path.stat().st_size > 5000, f"{path} is nearly empty"
        names.add(path.name)
    return names


# --------------------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> tuple[Path, int, str, str]:
    """One comparison (listed baseline second), shared by the tests that read it."""
    out_dir = tmp_path_factory.mktemp("cmp") / "res"
    argv = ["compare", "closed_loop", "baseline", "--baseline", "baseline", "-r", "2", *TINY]
    argv += ["--metrics", "response_rate,mean_trust", "--out", str(out_dir)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return out_dir, code, out.getvalue(), err.getvalue()


def test_compare_prints_table_and_writes_tables_and_figures(compared):
    out_dir, code, out, err = compared
    assert code == 0, err
    assert "Traceback" not in err
    for text in ("response_rate", "mean_trust", "baseline (baseline)", "closed_loop", "Bonferroni"):
        assert text in out, f"the printed comparison lacks {text!r}"
    assert f"to {out_dir}" in out, "the command says where results went"
    notes = [line for line in out.splitlines() if "run at least 5 replications" in line]
    assert len(notes) == 1 and notes[0].startswith("Note: 2 paired"), "2 pairs: one line"
    runs = pd.read_csv(out_dir / "runs.csv")
    assert len(runs) == 4 and set(runs["scenario"]) == {"baseline", "closed_loop"}
    assert list(runs["scenario"]) == ["baseline"] * 2 + ["closed_loop"] * 2, "baseline first"
    assert list(runs[runs["scenario"] == "baseline"]["seed"]) == [1, 2], "common seeds"
    daily = pd.read_csv(out_dir / "daily.csv")
    assert len(daily) == 4 * 2 and set(daily["day"]) == {0, 1}
    table = pd.read_csv(out_dir / "comparison.csv")
    assert set(table["metric"]) == {"response_rate", "mean_trust"}
    assert {"diff", "diff_ci_low", "diff_ci_high", "p_adjusted", "significant"} <= set(table)
    assert (out_dir / "comparison.md").read_text().startswith("Compared with 'baseline'")
    assert _pngs(out_dir) == {
        "forest.png",
        "distribution_response_rate.png",
        "distribution_mean_trust.png",
        "daily_mean_trust.png",
        "daily_backlog_operators.png",
    }
    record = tomllib.loads((out_dir / "experiment.toml").read_text())
    assert record["scenarios"] == ["closed_loop", "baseline"] and record["baseline"] == "baseline"
    assert record["set"] == {"population.citizens": 300} and record["days"] == 2


def test_analyze_a_comparison(capsys, compared):
    out_dir = compared[0]
    for figure in out_dir.glob("*.png"):
        figure.unlink()
    code, out, err = run_cli(capsys, "analyze", out_dir, "--metrics", "mean_trust")
    assert code == 0, err
    assert "mean_trust" in out and "response_rate" not in out, "only the metric asked for"
    assert "baseline (baseline)" in out
    assert "forest.png" in _pngs(out_dir) and "distribution_mean_trust.png" in _pngs(out_dir)


def test_record_reruns_to_the_same_numbers(capsys, compared, tmp_path):
    out_dir = compared[0]
    again = tmp_path / "again"
    record = out_dir / "experiment.toml"
    code, _, err = run_cli(capsys, "experiment", record, "--out", again, "-q", "--no-figures")
    assert code == 0, err
    first = pd.read_csv(out_dir / "runs.csv")
    second = pd.read_csv(again / "runs.csv")
    pd.testing.assert_frame_equal(first, second)


# --------------------------------------------------------------------------- sweep

GRID = ["--grid", "staffing.operators=1,3", "--grid", "staffing.training=0,0.3"]


def test_sweep_grid_resume_and_refusals(capsys, tmp_path):
    out_dir = tmp_path / "grid"
    argv = ["sweep", "closed_loop", *GRID, *TINY, "--metrics", "response_rate", "--out", out_dir]
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    out = " ".join(out.split())  # undo line wrapping
    assert "4 points × 1 replication = 4 runs" in out
    assert "Mean per design point" in out and f"microgov analyze {out_dir}" in out
    runs = pd.read_csv(out_dir / "runs.csv")
    assert len(runs) == 4
    assert sorted(runs["staffing.operators"].unique()) == [1, 3]
    assert (out_dir / "manifest.json").is_file(), "the output folder is the sweep's store"
    assert _pngs(out_dir) == {"heatmap_response_rate.png"}

    # Again without --resume: refused, pointing at --resume.
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and "--resume" in err and "already holds" in err and out == ""
    # With --resume: nothing left to run, the same results.
    code, out, err = run_cli(capsys, *argv, "--resume", "-q")
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(out_dir / "runs.csv"), runs)
    # Another sweep in the same folder: refused, saying what differs.
    other = ["sweep", "closed_loop", "--grid", "staffing.operators=1,2", *TINY]
    code, _, err = run_cli(capsys, *other, "--out", out_dir, "--resume")
    assert code == 2 and "different sweep" in err and "Traceback" not in err, err

    code, out, err = run_cli(capsys, "analyze", out_dir, "--no-figures")
    assert code == 0, err
    assert "4 runs over 4 design points" in out and "response_rate" in out


def test_sweep_sobol_and_analyze(capsys, tmp_path):
    out_dir = tmp_path / "sobol"
    code, out, err = run_cli(
        capsys,
        "sweep",
        "closed_loop",
        "--sobol",
        "staffing.operators=1:4",
        "--sobol",
        "staffing.training=0:0.3",
        "--samples",
        "4",
        *TINY,
        "--metrics",
        "operator_utilisation",
        "--out",
        out_dir,
    )
    assert code == 0, err
    assert "16 runs" in out and "Sobol indices" in out
    indices = pd.read_csv(out_dir / "sobol_indices.csv")
    assert list(indices.columns) == [
        "parameter",
        "S1",
        "S1_conf",
        "ST",
        "ST_conf",
        "S1_warning",
        "ST_warning",
        "metric",
    ]
    warned = [line for line in out.splitlines() if line.startswith("Warning: Sobol indices")]
    assert len(warned) == 1 and "N = 4" in warned[0] and "--samples 512" in warned[0]
    assert set(indices["parameter"]) == {"staffing.operators", "staffing.training"}
    figures = {
        "sensitivity_operator_utilisation.png",
        "partial_dependence_operator_utilisation.png",
    }
    assert _pngs(out_dir) == figures, "a sampled design: no heatmap"

    for figure in figures:
        (out_dir / figure).unlink()
    code, out, err = run_cli(capsys, "analyze", out_dir)
    assert code == 0, err
    assert "Sobol indices" in out and "staffing.training" in out
    assert "Warning: Sobol indices rest on N = 4" in out, "analyze warns as the sweep did"
    assert _pngs(out_dir) == figures


# --------------------------------------------------------------------------- experiment files


def test_experiment_files_comparison_and_sweep(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("mine.toml").write_text(
        'extends = "baseline.toml"\nname = "mine"\n[staffing]\noperators = 4\n'
    )
    Path("cmp.toml").write_text(
        'name = "cmp"\nscenarios = ["baseline", "mine.toml"]\nreplications = 2\ndays = 2\n'
        'metrics = ["response_rate"]\n[set]\n"population.citizens" = 300\n'
        '[outputs]\nfigures = false\nformat = "parquet"\n'
    )
    code, out, err = run_cli(capsys, "experiment", "cmp.toml", "-q")
    assert code == 0, err
    folder = tmp_path / "out" / "cmp"
    assert {p.name for p in folder.iterdir()} == {
        "experiment.toml",
        "runs.parquet",
        "daily.parquet",
        "comparison.parquet",
        "comparison.md",
    }
    assert set(pd.read_parquet(folder / "runs.parquet")["scenario"]) == {"baseline", "mine"}

    Path("grid.toml").write_text(
        'name = "grid"\nscenario = "mine.toml"\ndays = 2\nmetrics = ["response_rate"]\n'
        '[set]\n"population.citizens" = 300\n'
        '[design]\ntype = "grid"\nparameters = { "staffing.training" = [0.0, 0.2] }\n'
        '[outputs]\ndir = "results/grid"\n'
    )
    code, out, err = run_cli(capsys, "experiment", "grid.toml", "--check")
    assert code == 0, err
    assert "2 points × 1 replication" in out and "2 runs" in out
    assert not Path("results").exists(), "--check runs nothing"
    code, out, err = run_cli(capsys, "experiment", "grid.toml")
    assert code == 0, err
    assert len(pd.read_csv("results/grid/runs.csv")) == 2
    assert _pngs(Path("results/grid")) == {
        "distribution_response_rate.png",
        "daily_mean_trust.png",
        "daily_backlog_operators.png",
    }


def test_bundled_experiment_files_check(capsys):
    root = Path(__file__).resolve().parent.parent / "experiments"
    for path in sorted(root.glob("*.toml")):
        code, out, err = run_cli(capsys, "experiment", path, "--check")
        assert code == 0, err
        assert out.startswith("OK"), out


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["sweep", "baseline", "--grid", "staffing.operators", "--out", "X"], ["key=values"]),
        (
            ["sweep", "baseline", "--grid", "staffing.operatorz=1,2", "--out", "X"],
            ["--grid", "staffing.operatorz", "did you mean 'operators'?"],
        ),
        (
            ["sweep", "baseline", "--grid", "staffing.operators=1,-2", "--out", "X"],
            ["--grid", "staffing.operators", "greater than or equal to 0"],
        ),
        (
            ["sweep", "baseline", "--lhs", "staffing.training=0.3:0.1", "--samples", "4"]
            + ["--out", "X"],
            ["--lhs", "low must be below high"],
        ),
        (
            ["sweep", "baseline", "--sobol", "staffing.training=0:0.3", "--out", "X"],
            ["--sobol", "--samples"],
        ),
        (
            ["sweep", "baseline", "--sobol", "staffing.training=0:x", "--samples", "4"]
            + ["--out", "X"],
            ["--sobol", "two numbers"],
        ),
        (
            ["sweep", "baseline", "--grid", "staffing.operators=1", "--lhs", "a=0:1"]
            + ["--out", "X"],
            ["one kind of design"],
        ),
        (["sweep", "baseline", "--out", "X"], ["design", "--grid"]),
        (
            ["sweep", "baseline", "--grid", "run.seed=1,2", "--out", "X"],
            ["run.seed", "cannot be swept"],
        ),
        (
            ["compare", "baseline", "closed_lop"],
            ["closed_lop", "did you mean 'closed_loop'?"],
        ),
        (["compare", "baseline"], ["SCENARIO", "at least two"]),
        (
            ["compare", "baseline", "closed_loop", "--baseline", "closed"],
            ["--baseline", "did you mean 'closed_loop'?"],
        ),
        (
            ["compare", "baseline", "closed_loop", "--metrics", "response_rte"],
            ["--metrics", "did you mean 'response_rate'?"],
        ),
        (
            ["compare", "baseline", "closed_loop", "--set", "staffing.operatorz=2"],
            ["--set", "did you mean 'operators'?"],
        ),
        (["compare", "baseline", "closed_loop", "--days", "0"], ["--days", "at least 1"]),
        (
            ["compare", "baseline", "closed_loop", "--scheduler", "cluster"],
            ["--scheduler", "tcp://"],
        ),
        (["analyze", "no/such/folder"], ["no such folder"]),
        (["experiment", "no/such.toml"], ["no/such.toml", "file not found"]),
    ],
)
def test_bad_input_gives_one_message_and_code_2(capsys, tmp_path, monkeypatch, argv, expected):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, *argv)
    assert code == 2, (code, out, err)
    assert "Traceback" not in err
    assert err.startswith(f"microgov {argv[0]}: error: "), err
    assert len(err.strip().splitlines()) == 1, f"one message: {err!r}"
    for part in expected:
        assert part in err, f"stderr {err!r} lacks {part!r}"
    assert not (tmp_path / "X").exists(), "nothing is written for bad input"


def test_folders_that_cannot_be_used(capsys, tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    code, _, err = run_cli(capsys, "sweep", "baseline", *GRID, "--out", tmp_path / "other")
    assert code == 2 and "no sweep" in err and "new or empty folder" in err
    code, _, err = run_cli(capsys, "analyze", tmp_path / "other")
    assert code == 2 and "no results found" in err

    bad = tmp_path / "bad.toml"
    bad.write_text('scenarios = ["baseline", "closed_loop"]\nreplicatons = 2\n')
    code, _, err = run_cli(capsys, "experiment", bad)
    assert code == 2 and str(bad) in err and "did you mean 'replications'?" in err


# --------------------------------------------------------------------------- help, script


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["compare", "sweep", "analyze", "experiment"]),
        (["compare"], ["SCENARIO", "--baseline", "--replications", "--metrics", "--out"]),
        (["sweep"], ["--grid", "--lhs", "--sobol", "--samples", "--resume", "--scheduler"]),
        (["analyze"], ["DIR", "heatmap", "Sobol"]),
        (["experiment"], ["FILE", "--check", "--resume"]),
    ],
)
def test_help_is_useful(capsys, argv, expected):
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for part in expected:
        assert part in out, f"'microgov {' '.join(argv)} --help' lacks {part!r}"


def test_console_script_bad_sweep_and_light_imports(tmp_path):
    code = (
        "import sys\n"
        "from simulation.cli import build_parser\n"
        "build_parser().parse_args(['list'])\n"
        "heavy = [m for m in ('simulation.experiment.api', 'simulation.experiment.plots', 'matplotlib',\n"
        "         'seaborn', 'dask', 'distributed', 'SALib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    bad_sweep = [str(MICROGOV), "sweep", "baseline", "--grid", "staffing.operatorz=1,2"]
    # Both interpreters start at once, to save time.
    failed, light = (
        subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
        )
        for argv in ([*bad_sweep, "--out", "x"], [sys.executable, "-c", code])
    )
    _, failed_err = failed.communicate(timeout=120)
    _, light_err = light.communicate(timeout=120)
    assert failed.returncode == 2
    assert "Traceback" not in failed_err
    assert "did you mean 'operators'?" in failed_err
    assert light.returncode == 0, light_err
