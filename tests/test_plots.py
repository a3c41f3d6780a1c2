"""Figures: each one builds from a small hand-made table of the engine's shapes.

The tables mimic `Results.runs` (one row per run), `Results.daily` (one row per
run-day), `Comparison.table` and `sobol_indices(...)`, so these tests need no runs.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from simulation.experiment import plots
from simulation.format import metric_label, parameter_label

SCENARIOS = ("proactive", "baseline", "closed_loop")  # deliberately not sorted


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for shift, scenario in enumerate(SCENARIOS):
        for replication in range(4):
            rows.append(
                {
                    "scenario": scenario,
                    "scenario_hash": f"h{shift}",
                    "seed": 1 + replication,
                    "version": "0.1.0",
                    "replication": replication,
                    "response_rate": 0.3 + 0.1 * shift + rng.normal(0, 0.02),
                    "p90_response_hours": 60 - 10 * shift + rng.normal(0, 3),
                    "error": None,
                }
            )
    rows.append({**rows[0], "replication": 9, "response_rate": 5.0, "error": "boom"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for shift, scenario in enumerate(SCENARIOS):
        for replication in range(3):
            for day in range(5):
                rows.append(
                    {
                        "scenario": scenario,
                        "seed": 1 + replication,
                        "replication": replication,
                        "day": day,
                        "mean_trust": 0.55
                        - 0.01 * day
                        + 0.005 * shift * day
                        + rng.normal(0, 0.002),
                        "p90_response_hours": np.nan if day == 0 else 20.0 + rng.normal(0, 1),
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rows = []
    for metric, scale in (("response_rate", 0.1), ("p90_response_hours", -12.0)):
        for scenario in SCENARIOS:
            base = scenario == "baseline"
            diff = np.nan if base else scale * (2 if scenario == "closed_loop" else 0.1)
            rows.append(
                {
                    "scenario": scenario,
                    "metric": metric,
                    "n": 4,
                    "mean": 1.0,
                    "ci_low": 0.9,
                    "ci_high": 1.1,
                    "diff": diff,
                    "diff_ci_low": diff - abs(scale) * 0.5,
                    "diff_ci_high": diff + abs(scale) * 0.5,
                    "p_value": np.nan if base else (0.001 if scenario == "closed_loop" else 0.6),
                    "p_adjusted": np.nan if base else (0.002 if scenario == "closed_loop" else 0.6),
                    "significant": False if base else scenario == "closed_loop",
                }
            )
    return pd.DataFrame(rows)


def _saved(path) -> None:
    assert path.is_file(), f"{path} was not written"
    assert path.stat().st_size > 5000, f"{path} is only {path.stat().st_size} bytes"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"


def _texts(fig: Figure) -> str:
    parts = [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]
    return " | ".join(p for p in parts if p)


def test_daily_series(daily, tmp_path):
    path = tmp_path / "sub" / "trust.png"
    fig = plots.daily_series(daily, "mean_trust", path=path)
    _saved(path)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == sorted(SCENARIOS), "one sorted line each"
    assert ax.get_ylabel().startswith("mean trust [0-1], ↑ better"), ax.get_ylabel()
    assert ax.get_xlabel() == "day"
    assert "95% CI over 3 runs each" in ax.get_title(), ax.get_title()
    assert len(ax.collections) == len(SCENARIOS), "a confidence band per scenario"
    means = daily[daily["scenario"] == "baseline"].groupby("day")["mean_trust"].mean()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), means.to_numpy())


def test_daily_series_by_parameter_and_missing_days(daily, tmp_path):
    frame = daily.assign(**{"staffing.operators": daily["replication"] + 1})
    fig = plots.daily_series(
        frame, "p90_response_hours", by="staffing.operators", path=tmp_path / "p90.png"
    )
    _saved(tmp_path / "p90.png")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["1", "2", "3"]
    assert ax.get_ylabel() == "p90 response hours [hours], ↓ better"
    assert ax.get_legend().get_title().get_text() == "staffing.operators [people]"
    assert len(ax.lines[0].get_xdata()) == 4, "day 0 has no value and is not drawn"


def test_distribution(runs, tmp_path):
    path = tmp_path / "rate.png"
    fig = plots.distribution(runs, "response_rate", path=path)
    _saved(path)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == sorted(SCENARIOS), labels
    assert ax.get_xlabel() == "response rate [%], better →"
    assert "%" in ax.get_xticklabels()[1].get_text(), "shares are shown as per cent"
    assert "12 runs" in ax.get_title(), "the run with an error is left out"
    assert ax.get_xlim()[1] < 1.0, "the failed run's value is not drawn"


def test_distribution_given_order(runs, tmp_path):
    order = ["baseline", "proactive", "closed_loop"]
    fig = plots.distribution(runs, "p90_response_hours", order=order, path=tmp_path / "p.png")
    _saved(tmp_path / "p.png")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == order


def test_forest(table, tmp_path):
    path = tmp_path / "forest.png"
    fig = plots.forest(table, baseline="baseline", path=path)
    _saved(path)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["response rate", "p90 response hours"]
    labels = [t.get_text() for t in visible[0].get_yticklabels()]
    assert labels == ["closed_loop", "proactive"], "the baseline has no row"
    assert visible[1].get_yticklabels() == [], "panels of a row share the first one's names"
    assert visible[0].get_xlabel() == "difference [pp], better →"
    assert visible[1].get_xlabel() == "difference [hours], ← better"
    assert "Difference from 'baseline'" in fig.get_suptitle()
    texts = _texts(fig)
    assert "significant" in texts and "not significant" in texts, "the legend explains marks"
    # Significant: filled red marker; not significant: hollow.
    markers = [line for line in visible[0].lines if line.get_marker() == "o"]
    faces = {line.get_ydata()[0]: line.get_markerfacecolor() for line in markers}
    assert faces[1] in ("white", (1.0, 1.0, 1.0, 1.0)), faces


def test_forest_one_metric(table, tmp_path):
    fig = plots.forest(table, "p90_response_hours", path=tmp_path / "one.png")
    _saved(tmp_path / "one.png")
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 1
    with pytest.raises(ValueError, match="no rows for metric trust"):
        plots.forest(table, "trust")


def test_heatmap_grid(tmp_path):
    rows = [
        {
            "staffing.operators": ops,
            "staffing.training": training,
            "p90_response_hours": 100 / ops - 50 * training + rep,
        }
        for ops in (4, 1, 2)
        for training in (0.0, 0.2)
        for rep in (0, 1)
    ]
    path = tmp_path / "heat.png"
    fig = plots.heatmap(
        pd.DataFrame(rows), "staffing.operators", "staffing.training", "p90_response_hours",
        path=path,
    )  # fmt: skip
    _saved(path)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.2", "0"], "small values below"
    assert ax.get_xlabel() == "staffing.operators [people]"
    assert ax.get_ylabel() == "staffing.training [skill units]"
    cells = [t.get_text() for t in ax.texts]
    assert "100.5" in cells, f"the cell (1 operator, no training) holds mean 100.5 → {cells}"


def test_heatmap_bins_continuous_designs(tmp_path):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "staffing.operators": rng.uniform(1, 6, 120),
            "accountability.deadline_hours": rng.uniform(12, 96, 120),
        }
    )
    frame["response_rate"] = 0.1 * frame["staffing.operators"] / 6
    fig = plots.heatmap(
        frame,
        "staffing.operators",
        "accountability.deadline_hours",
        "response_rate",
        bins=5,
        path=tmp_path / "lhs.png",
    )
    _saved(tmp_path / "lhs.png")
    ax = fig.axes[0]
    assert len(ax.get_xticklabels()) == 5 and len(ax.get_yticklabels()) == 5
    assert ax.get_ylabel() == "accountability.deadline_hours [hours]"


def test_sensitivity(tmp_path):
    indices = pd.DataFrame(
        {
            "parameter": ["staffing.training", "staffing.operators", "accountability.strength"],
            "S1": [0.2, 0.6, -0.01],
            "S1_conf": [0.04, 0.05, 0.02],
            "ST": [0.3, 0.7, 0.02],
            "ST_conf": [0.05, 0.06, 0.01],
        }
    )
    path = tmp_path / "sobol.png"
    fig = plots.sensitivity(indices, metric="mean_trust", path=path)
    _saved(path)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "staffing.operators [people]", "most influential on top"
    assert labels[0].startswith("accountability.strength")
    assert ax.get_title() == "Sensitivity of mean trust [0-1]"
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {
        "first order S1",
        "total ST",
        "outside [0, 1]: not a share",
    }


def test_missing_column_is_a_clear_error(runs):
    with pytest.raises(ValueError, match="no column trust"):
        plots.distribution(runs, "trust")


def test_labels_have_units():
    assert metric_label("median_response_hours") == "median response hours [hours]"
    assert metric_label("replies_per_received") == "replies per received [ratio]"
    assert parameter_label("staffing.operators") == "staffing.operators [people]"
    assert parameter_label("no.such") == "no.such"


@pytest.mark.slow  # 6.2-10.4 s: fresh interpreters importing matplotlib
def test_plots_are_not_imported_by_the_package_and_default_headless():
    code = (
        "import sys, simulation, simulation.cli\n"
        "assert 'simulation.experiment.plots' not in sys.modules\n"
        "assert 'matplotlib' not in sys.modules, 'import simulation loads matplotlib'\n"
        "import simulation.experiment.plots, matplotlib\n"
        "print(matplotlib.get_backend())\n"
    )
    # Without a backend: Agg. With one the user chose (as Jupyter does through
    # MPLBACKEND): that one. Both interpreters start at once, to save time.
    headless = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    processes = {
        expected: subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for expected, env in (("agg", headless), ("svg", {**headless, "MPLBACKEND": "svg"}))
    }
    for expected, process in processes.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.strip().lower() == expected, f"backend {out.strip()!r}, expected {expected}"


def test_many_groups_get_distinct_colours():
    """Eleven scenarios in one figure: no two share a colour (the colour-blind palette
    has ten, so an eleventh line would repeat the first)."""
    from simulation.experiment.plots import PALETTE_SIZE, colours

    for n in (1, PALETTE_SIZE, PALETTE_SIZE + 1, 20):
        assert len(set(colours(n))) == n, n


def test_many_daily_lines_can_be_told_apart(daily, tmp_path):
    """Eleven scenarios in one daily figure: any two lines differ in colour by a clear
    margin or in line style, so the first (the baseline) and the last are not two
    shades of one hue as evenly spaced hues would make them."""
    from matplotlib.colors import to_rgb

    from simulation.experiment.plots import PALETTE_SIZE, daily_series

    names = [f"variant_{i:02d}" for i in range(PALETTE_SIZE + 1)]
    base = daily[daily["scenario"] == daily["scenario"].iloc[0]]
    many = pd.concat([base.assign(scenario=name) for name in names], ignore_index=True)
    fig = daily_series(many, "mean_trust", order=names, path=tmp_path / "many.png")
    lines = [line for line in fig.axes[0].lines if line.get_label() in names]
    assert [line.get_label() for line in lines] == names
    for i, a in enumerate(lines):
        for b in lines[i + 1 :]:
            gap = np.abs(np.subtract(to_rgb(a.get_color()), to_rgb(b.get_color()))).max()
            assert gap > 0.15 or a.get_linestyle() != b.get_linestyle(), (
                a.get_label(),
                b.get_label(),
            )
