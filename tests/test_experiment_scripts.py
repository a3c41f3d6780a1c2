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
    "staffing_allocation": (
        ["arms", "comparison", "comparison_accounts", "best", "runs"],
        ["forest", "forest_accounts"],
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


# Scripts whose smoke run takes over ten seconds (five arms of a three-account matrix).
SLOW = {"staffing_allocation"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in OUTPUTS]
)
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

    if name == "staffing_allocation":  # each outcome's answer is worded by best.csv
        check_best_claims(script, out, report)

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


def check_best_claims(script, out: Path, report: str) -> None:
    """Every outcome of best.csv has its sentence in the report, naming its best arm, and
    the sentence's verdict follows the row's numbers (helps, told apart or not)."""
    best = pd.read_csv(out / "best.csv")
    comparison = pd.concat(
        [pd.read_csv(out / "comparison.csv"), pd.read_csv(out / "comparison_accounts.csv")]
    )
    uncompared = [m for m in dict.fromkeys(comparison["metric"]) if m not in set(best["metric"])]
    if uncompared:  # too few paired values to name a best arm: said so, not left out
        assert script.not_compared_sentence(uncompared) in report
    assert len(best) + len(uncompared) == comparison["metric"].nunique()
    for row in best.to_dict("records"):
        sentence = script.best_sentence(row)
        assert sentence in report, sentence
        assert f"`{row['best']}`" in sentence
        rows = comparison[
            (comparison["metric"] == row["metric"]) & (comparison["scenario"] != "baseline")
        ]
        gains = [script.improvement(row["metric"], d) for d in rows["diff"]]
        assert script.improvement(row["metric"], row["best_diff"]) == max(gains)
        if "helps most" in sentence:
            assert ("not told apart" in sentence) == (not row["told_apart"])


def test_best_arm_wording_follows_the_numbers():
    """The answer names the arm with the largest gain in the better direction and says
    whether it is told apart from the runner-up by the paired interval."""
    script = load("staffing_allocation")
    row = {
        "metric": "p90_response_hours",
        "best": "departments",
        "best_diff": -20.0,
        "best_diff_ci_low": -30.0,
        "best_diff_ci_high": -10.0,
        "best_decision": "lower",
        "runner_up": "hotline_12333",
        "runner_up_diff": -5.0,
        "best_minus_runner_up": -15.0,
        "gap_ci_low": -25.0,
        "gap_ci_high": -5.0,
        "told_apart": True,
    }
    assert "`departments` helps most" in script.best_sentence(row)
    assert "told apart from the runner-up `hotline_12333`" in script.best_sentence(row)
    near = {**row, "gap_ci_high": 3.0, "told_apart": False}
    assert "not told apart" in script.best_sentence(near)
    quiet = {**row, "best_decision": "unclear", "best_diff_ci_high": 2.0}
    assert "no arm changes it" in script.best_sentence(quiet)
    assert script.improvement("p90_response_hours@weibo_city", -2.0) == 2.0
    assert script.improvement("response_rate", -0.1) == -0.1


def test_staffing_arms_add_the_same_people_in_each_desks_steps():
    """Ten real people at scale 1/10 are one model person: one seat on an office-hours
    account, the one hotline seat (84 h a week, the nearest whole seat), one member of
    staff for the most loaded department; an even split only where each desk gets a step."""
    script = load("staffing_allocation")
    base = script.scaled(script.load_scenario(script.SCENARIO), 10, "closed_loop", None)
    assert base.population.citizens == 200_000
    assert base.departments["pensions"].staff == 20
    assert base.accounts["hotline_12333"].operators == 20
    found, note = script.arms(base, people=1, days=14)
    by_name = {arm.name: arm for arm in found}
    assert list(by_name) == [
        "baseline",
        "weibo_city",
        "wechat_city",
        "hotline_12333",
        "departments",
    ]
    start = by_name["baseline"].values
    changed = {
        name: {k: v - start[k] for k, v in arm.values.items() if v != start[k]}
        for name, arm in by_name.items()
    }
    assert changed["weibo_city"] == {"accounts.weibo_city.operators": 1}
    assert changed["hotline_12333"] == {"accounts.hotline_12333.operators": 1}
    assert changed["departments"] == {"departments.pensions.staff": 1}  # topic share 0.35
    assert by_name["weibo_city"].week_hours == 40 and by_name["hotline_12333"].week_hours == 84
    assert by_name["weibo_city"].hours == 80  # two weeks of office hours
    assert "no even-split arm" in note
    found, note = script.arms(base, people=8, days=14)
    split = next(arm for arm in found if arm.name == script.EVEN_SPLIT)
    added = {k: v - start[k] for k, v in split.values.items() if v != start[k]}
    assert added["accounts.weibo_city.operators"] == 2
    assert added["accounts.hotline_12333.operators"] == 1
    assert sum(v for k, v in added.items() if k.startswith("departments.")) == 2
    departments = next(arm for arm in found if arm.name == script.DEPARTMENTS)
    given = {k: v - start[k] for k, v in departments.values.items() if v != start[k]}
    assert sum(given.values()) == 8 and given["departments.pensions.staff"] >= 2


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
