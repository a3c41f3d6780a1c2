"""One decision, one voice: a comparison's table, forest plot and wording agree.

A comparison is built from constructed runs (no simulation), so the test knows which
differences are clear, which only look clear before the adjustment, and which are noise.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from simulation.experiment import plots, stats
from simulation.experiment.api import Comparison, Results
from simulation.experiment.reports import ComparisonReport, comparison_table

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
METRICS = ["response_rate", "mean_trust"]


def _common():
    if str(EXPERIMENTS) not in sys.path:
        sys.path.insert(0, str(EXPERIMENTS))
    return importlib.import_module("_common")


def constructed_runs(replications: int) -> pd.DataFrame:
    """A baseline and three variants on common seeds.

    clear: +0.30 on response_rate with a little noise (significant after any adjustment);
    borderline: +0.017 with noise such that the unadjusted 95 % interval excludes 0 but
    the simultaneous one over the table's 6 tests does not; same: the baseline itself.
    """
    rng = np.random.default_rng(11)
    base_rate = rng.normal(0.40, 0.05, replications)
    base_trust = rng.normal(0.55, 0.02, replications)
    noise = np.array([0.012, -0.010, 0.011, -0.009, 0.010, -0.012, 0.009, -0.011, 0.01, -0.01])
    arms = {
        "baseline": (base_rate, base_trust),
        "clear": (base_rate + 0.30 + rng.normal(0, 0.01, replications), base_trust + 0.05),
        "borderline": (base_rate + 0.017 + noise[:replications], base_trust - 0.001),
        "same": (base_rate, base_trust),
    }
    rows = []
    for name, (rate, trust) in arms.items():
        for i in range(replications):
            rows.append(
                {
                    "scenario": name,
                    "scenario_hash": "-",
                    "seed": 1 + i,
                    "version": "-",
                    "replication": i,
                    "response_rate": rate[i],
                    "mean_trust": trust[i],
                    "error": None,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return Comparison.of(Results(constructed_runs(6), pd.DataFrame(), 6, 1), "baseline", METRICS)


def _row(comparison: Comparison, scenario: str, metric: str) -> pd.Series:
    return comparison.table.set_index(["scenario", "metric"]).loc[(scenario, metric)]


def test_the_table_rests_on_one_adjusted_decision(comparison):
    table = comparison.table
    tested = table[table["scenario"] != "baseline"]
    assert (tested["tests"] == 6).all() and np.allclose(tested["interval_level"], 1 - 0.05 / 6)
    for row in tested.to_dict("records"):
        excludes = row["diff_ci_low"] > 0 or row["diff_ci_high"] < 0
        assert row["significant"] == excludes == (row["p_adjusted"] < 0.05), row
    assert _row(comparison, "clear", "response_rate")["significant"]
    assert not _row(comparison, "same", "response_rate")["significant"]
    borderline = _row(comparison, "borderline", "response_rate")
    alone = stats.paired_difference(
        *(
            constructed_runs(6).query("scenario == @name")["response_rate"].to_numpy()
            for name in ("borderline", "baseline")
        )
    )
    assert alone["diff_ci_low"] > 0, "unadjusted, the borderline difference looks clear"
    assert borderline["diff_ci_low"] < 0 < borderline["diff_ci_high"], "adjusted, it is not"
    assert not borderline["significant"]


def test_forest_colours_follow_the_tables_decision(comparison):
    fig = plots.forest(
        comparison.table, METRICS, baseline="baseline", order=["clear", "borderline", "same"]
    )
    panels = [ax for ax in fig.axes if ax.get_visible()]
    for ax, metric in zip(panels, METRICS, strict=True):
        markers = [line for line in ax.lines if line.get_marker() == "o"]
        for y, scenario in enumerate(["clear", "borderline", "same"]):
            (marker,) = [m for m in markers if m.get_ydata()[0] == y]
            filled = marker.get_markerfacecolor() not in ("white", (1.0, 1.0, 1.0, 1.0))
            assert filled == bool(_row(comparison, scenario, metric)["significant"]), (
                metric,
                scenario,
            )
    assert "95 % simultaneous interval (Bonferroni, m = 6)" in fig.get_suptitle()


def test_the_printed_table_and_the_wording_say_the_same(comparison):
    console = Console(record=True, width=200)
    console.print(
        comparison_table(
            comparison.table, "baseline", METRICS, ["baseline", "clear", "borderline", "same"]
        )
    )
    printed = console.export_text()
    starred = [line for line in printed.splitlines() if line.rstrip().endswith("*")]
    assert len(starred) == int(comparison.table["significant"].sum())
    assert all("clear" in line or line.startswith(" ") for line in starred)
    assert "95 % simultaneous CI" in printed and "(Bonferroni, m = 6)" in printed
    common = _common()
    sentence = common.direction_sentence(comparison.table, "response_rate", "baseline")
    assert "significantly higher with clear" in sentence
    assert "no significant difference with borderline" in sentence.lower()
    # The interval named next to "no significant difference" includes 0.
    borderline_text = sentence.split("borderline (")[1].split(")")[0]
    low = borderline_text.split("[")[1].split(",")[0]
    assert low.startswith("-") or low.startswith("−"), borderline_text


def test_too_few_replications_are_named_in_one_line_by_api_report_and_scripts(capsys, tmp_path):
    few = Comparison.of(Results(constructed_runs(3), pd.DataFrame(), 3, 1), "baseline", METRICS)
    enough = Comparison.of(
        Results(constructed_runs(10), pd.DataFrame(), 10, 1), "baseline", METRICS
    )
    assert len(few.notes) == 1 and "run at least 5 replications" in few.notes[0]
    assert enough.notes == []
    assert few.notes[0] in str(few) and "Note:" not in str(enough)
    # The report finds the same note from the table alone (as `microgov analyze` does).
    console = Console(record=True, width=200)
    report = ComparisonReport(
        few.results.runs,
        None,
        few.table,
        "baseline",
        ["baseline", "clear", "borderline", "same"],
        METRICS,
    )
    report.print(console)
    assert console.export_text().count("run at least 5 replications") == 1
    console = Console(record=True, width=200)
    ComparisonReport(
        enough.results.runs, None, enough.table, "baseline", ["baseline"], METRICS
    ).print(console)
    assert "run at least" not in console.export_text()
    # An experiment script warns on stderr and in its report.
    common = _common()
    args = common.parse_args(["--out", str(tmp_path / "x")], "doc", {"replications": 3}, {})
    exp = common.Experiment("check", args, title="t", question="q")
    for note in few.notes:
        exp.warn(note)
    exp.check_pairs(3, 6)  # the same sentence is not repeated
    exp.check_pairs(10, 6)
    err = capsys.readouterr().err
    assert err.count("run at least 5 replications") == 1
    assert exp.report.markdown().count("run at least 5 replications") == 1


# ----------------------------------------------------------------- sensitivity indices

SOBOL_NAMES = ["population.follow_share", "staffing.skill_mean", "staffing.training"]


def _sobol_results(samples: int, noise: float):
    """A Sobol sweep of y = x0 + 2 x1 + x2 (+ noise) on [0, 1]³: every index well above 0
    (S1 = ST = 1/6, 4/6, 1/6), built without running the model."""
    from simulation.experiment import Sobol, SweepResults

    design = Sobol({name: (0.0, 1.0) for name in SOBOL_NAMES}, samples=samples, seed=3)
    points = design.points()
    x = np.array([[p[n] for n in SOBOL_NAMES] for p in points])
    rng = np.random.default_rng(5)
    runs = pd.DataFrame(
        {
            "scenario": "linear",
            "scenario_hash": "-",
            "seed": 1,
            "version": "-",
            "replication": 0,
            "point": range(len(points)),
            **{n: x[:, j] for j, n in enumerate(SOBOL_NAMES)},
            "response_rate": x[:, 0] + 2 * x[:, 1] + x[:, 2] + rng.normal(0, noise, len(x)),
            "error": None,
        }
    )
    return SweepResults(runs, pd.DataFrame(), design=design, replications=1, seed=1)


def test_sobol_warnings_appear_at_n_8_and_not_at_a_large_n_with_tight_intervals():
    from simulation.experiment.api import sobol_indices, sobol_warnings

    small = sobol_indices(_sobol_results(8, noise=0.5), "response_rate")
    lines = sobol_warnings(small, 8, "response_rate")
    assert lines and "N = 8" in lines[0] and "--samples 512" in lines[0]
    assert (small["S1_warning"] != "").any() or (small["ST_warning"] != "").any()
    assert len(lines) == 2 and "cannot be read as shares of variance" in lines[1]
    large = sobol_indices(_sobol_results(1024, noise=0.0), "response_rate")
    assert (large["S1_conf"] < large["S1"]).all(), "tight intervals at N = 1024"
    assert sobol_warnings(large, 1024, "response_rate") == []
    assert (large["S1_warning"] == "").all() and (large["ST_warning"] == "").all()


def test_the_index_rule():
    assert stats.index_problem(-0.87, 2.66) == "interval wider than the value"
    assert stats.index_problem(1.45, 0.3) == "outside [0, 1] beyond its interval"
    assert stats.index_problem(-0.3, 0.2) == "outside [0, 1] beyond its interval"
    assert stats.index_problem(0.01, 0.03) == "", "a tight interval around 0: negligible"
    assert stats.index_problem(0.4, 0.1) == ""
    assert stats.index_problem(0.4, np.nan) == "no interval"
    morris = {"bounds": (0.0, np.inf), "negligible": 0.0}
    assert stats.index_problem(0.02, 0.03, **morris) == "interval wider than the value"
    assert stats.index_problem(0.2, 0.03, **morris) == ""


def test_sweep_report_prints_the_sobol_warning_only_when_it_applies():
    from simulation.experiment.reports import SweepReport

    for samples, noise, warned in ((8, 0.5, True), (1024, 0.0, False)):
        console = Console(record=True, width=200)
        SweepReport(_sobol_results(samples, noise), ["response_rate"]).print(console)
        text = console.export_text()
        assert ("Warning:" in text) == warned, (samples, text)
        rows = [line for line in text.splitlines() if "staffing.skill_mean  " in line]
        assert (" !" in rows[0]) == warned, rows
        assert ("! unreliable" in text) == warned, "the mark is explained where it is used"


def _hatched(fig) -> int:
    return sum(1 for patch in fig.axes[0].patches if patch.get_hatch())


def test_the_sensitivity_chart_hatches_and_notes_unreliable_indices():
    shaky = pd.DataFrame(
        {
            "parameter": SOBOL_NAMES,
            "S1": [-0.87, 0.05, 1.45],
            "S1_conf": [2.66, 0.02, 0.30],
            "ST": [1.41, 0.06, 0.90],
            "ST_conf": [5.65, 0.03, 0.20],
        }
    )
    fig = plots.sensitivity(shaky, metric="operator_utilisation", samples=8)
    assert _hatched(fig) == 3, "S1 and ST of the first, S1 of the third"
    (note,) = [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("Warning:")]
    assert note.startswith("Warning:") and "N = 8" in note and "hatched: 3" in note
    assert "cut at its edge" in note, "error bars beyond the axis are said to be cut"
    low, high = fig.axes[0].get_xlim()
    assert low < -0.87 and high > 1.45, "no estimate is clipped"
    tight = pd.DataFrame(
        {
            "parameter": SOBOL_NAMES[:2],
            "S1": [0.3, 0.6],
            "S1_conf": [0.03, 0.04],
            "ST": [0.32, 0.62],
            "ST_conf": [0.02, 0.03],
        }
    )
    fig = plots.sensitivity(tight, samples=1024)
    assert _hatched(fig) == 0 and not fig.axes[0].texts


def test_morris_warnings_name_mu_star_that_cannot_be_told_from_zero():
    from simulation.experiment.api import morris_warnings

    measures = pd.DataFrame(
        {
            "parameter": ["a", "b", "c"],
            "mu_star": [0.30, 0.02, 0.0],
            "mu_star_conf": [0.05, 0.04, 0.0],
            "mu": [0.3, 0.0, 0.0],
            "sigma": [0.1, 0.05, 0.0],
        }
    )
    (line,) = morris_warnings(measures, "response_rate")
    assert line.startswith("1 of 3 Morris mu* of response_rate") and "b 0.02 ± 0.04" in line
    assert morris_warnings(measures.iloc[[0, 2]]) == []
