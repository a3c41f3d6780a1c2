"""The experiment scripts in experiments/ run end to end in their --smoke mode.

Each script is imported and its `main(argv)` called in this process (no fresh
interpreter to start), with --smoke and an output folder in tmp_path. The test checks
that it returns 0 and writes its report, tables and figures, and that the report holds
numbers generated from the results (per cent values, intervals) and says it is a smoke
run.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.figure_checks import problems, record_figures

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"

# script → (tables, figures) it must write in --smoke mode
OUTPUTS = {
    "thesis_remedies": (
        ["comparison", "interaction", "runs", "daily"],
        ["forest", "daily_mean_trust", "daily_backlog_operators", "daily_backlog_departments"],
    ),
    "staffing": (
        ["summary", "runs", "saturation"],
        ["heatmap_p90_response_hours", "heatmap_mean_trust"],
    ),
    "accountability": (
        ["comparison", "summary", "runs"],
        ["tradeoff", "forest", "heatmap_response_rate", "heatmap_boilerplate_share"],
    ),
    "shocks": (
        ["comparison", "window_comparison", "windows", "runs", "daily"],
        [
            f"{shock}_{series}"
            for shock in ("pension_policy_shock", "rumour_crisis")
            for series in ("backlog_operators", "p90_response_hours", "negative_impressions")
        ]
        + ["rumour_crisis_mean_trust"],
    ),
    "upward_pressure": (
        ["calibration", "runs"],
        ["heatmap_response_rate", "heatmap_threat_effect"],
    ),
    "supervision_pressure": (
        ["calibration", "effects", "question", "question_runs"],
        ["threat_effect", "forest"],
    ),
    "sensitivity": (
        [
            "indices",
            "runs",
            "screening",
            "screening_runs",
            "supervision_screening",
            "supervision_screening_runs",
            "conclusions",
        ],
        [
            "sensitivity_response_rate",
            "sensitivity_mean_trust",
            "sensitivity_p90_response_hours",
        ],
    ),
}


def load(name: str):
    if str(EXPERIMENTS) not in sys.path:
        sys.path.insert(0, str(EXPERIMENTS))
    return importlib.import_module(name)


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_smoke_mode_writes_report_tables_and_figures(name, tmp_path, capsys, monkeypatch):
    script = load(name)
    out = tmp_path / name
    drawn = record_figures(monkeypatch)
    assert script.main(["--smoke", "--out", str(out)]) == 0
    # Smoke runs are tiny: points of different variants coincide, and so do the
    # labels at them; labels at data points are checked on realistic data in
    # test_figures. Ticks, axis labels, titles and legends are checked here.
    found = {figure: problems(fig, annotations=False) for figure, fig in drawn.items()}
    assert not any(found.values()), {figure: p for figure, p in found.items() if p}
    if name == "upward_pressure":  # the threat's effect: a gap of reply rates, in pp
        heat = drawn["heatmap_threat_effect.png"]
        cells = [t.get_text() for t in heat.axes[0].texts]
        assert cells and all(re.match(r"^[+-]\d+\.\d$", c) for c in cells), cells
        assert heat.axes[1].get_ylabel() == "threat effect [pp]"
        rates = [t.get_text() for t in drawn["heatmap_response_rate.png"].axes[0].texts]
        assert rates and all(re.match(r"^\d+%$", c) for c in rates), rates
    assert "report" in capsys.readouterr().out

    report = (out / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# "), report[:200]
    assert "Mode: smoke" in report
    # Numbers from the results: intervals in brackets and per cent values or decimals.
    assert re.search(r"\[[-+–]?\d[\d.,]*\S*( \w+)?, [-+–]?\d", report), "no interval in report"
    assert len(re.findall(r"\d+\.\d+", report)) >= 10, "report holds few numbers"

    tables, figures = OUTPUTS[name]
    for table in tables:
        path = out / f"{table}.csv"
        assert path.exists(), f"{name}: {table}.csv not written"
        assert len(pd.read_csv(path)) > 0, f"{name}: {table}.csv is empty"
        assert f"({table}.csv)" in report, f"{name}: report does not list {table}.csv"
    for figure in figures:
        path = out / f"{figure}.png"
        assert path.exists() and path.stat().st_size > 1000, f"{name}: {figure}.png missing"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_options_override_smoke_defaults(tmp_path):
    """An option given on the command line wins over the --smoke default."""
    common = load("_common")
    args = common.parse_args(
        ["--smoke", "--replications", "3", "--out", str(tmp_path)],
        "doc",
        full={"replications": 10, "days": 30},
        smoke={"replications": 2, "days": 2},
    )
    assert (args.replications, args.days, args.seed, args.jobs) == (3, 2, 1, 1)
    args = common.parse_args([], "doc", full={"replications": 10, "days": 30}, smoke={})
    assert (args.replications, args.days, args.smoke) == (10, 30, False)


def test_verdict_wording_follows_sign_and_significance():
    common = load("_common")
    row = {
        "scenario": "x",
        "metric": "response_rate",
        "diff": 0.12,
        "diff_ci_low": 0.05,
        "diff_ci_high": 0.2,
        "p_adjusted": 0.01,
        "significant": True,
    }
    assert common.verdict(row) == "higher"
    assert "borne out" in common.claim_sentence(row, "higher", "claim")
    assert "contradicted" in common.claim_sentence(row, "lower", "claim")
    quiet = {**row, "diff_ci_low": -0.01, "significant": False, "p_adjusted": 0.4}
    assert common.verdict(quiet) == "unclear"
    # The wording reads the interval shown, whatever a stale column says.
    assert common.verdict({**row, "significant": False}) == "higher"
    assert "not shown" in common.claim_sentence(quiet, "higher", "claim")
    assert common.difference("response_rate", 0.12, 0.05, 0.2) == "+12.0 pp [+5.0 pp, +20.0 pp]"


def test_store_reuses_the_runs_of_an_earlier_run(tmp_path, capsys):
    """With --store a second run reads every sweep run back and writes the same tables."""
    script = load("staffing")
    store = tmp_path / "store"
    first, second = tmp_path / "first", tmp_path / "second"
    assert script.main(["--smoke", "--store", str(store), "--out", str(first)]) == 0
    assert (store / "grid" / "manifest.json").is_file()
    assert "read back" not in (first / "report.md").read_text(encoding="utf-8")
    assert script.main(["--smoke", "--store", str(store), "--out", str(second)]) == 0
    runs = len(pd.read_csv(first / "runs.csv"))
    assert f"({runs} of them read back from the stores" in (second / "report.md").read_text(
        encoding="utf-8"
    )
    pd.testing.assert_frame_equal(pd.read_csv(first / "runs.csv"), pd.read_csv(second / "runs.csv"))
