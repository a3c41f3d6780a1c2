"""How a matrix of accounts is seen: per-account metrics, long tables, names, list and show.

A run of the bundled `weibo_and_wechat` (two accounts, one per platform) is checked
against its own overall outputs: counts of the accounts add up to the whole run's, the
long table's columns are the wide daily series' columns, the nested summary repeats the
flat keys. One-account scenarios keep their outputs exactly (the golden set, and here
their summary.json and files).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario, run_one
from simulation.accounts import describe_accounts, unit_names
from simulation.cli import main
from simulation.format import (
    ALL_UNITS,
    METRICS,
    PLATFORM_DAILY_METRICS,
    SCENARIO_WIDE_METRICS,
    UNIT_DAILY_METRICS,
    UNIT_SERIES_COLUMNS,
    UNIT_SUMMARY_METRICS,
    is_metric,
    json_record,
    json_text,
    metric_name_problem,
    unit_metric,
)

DAYS = 6
ACCOUNTS = ("weibo_city", "wechat_city")
PLATFORMS = ("weibo", "wechat")
# Counts of the long table that every received item adds to exactly one account; the
# whole run's impressions and cascades also include posts of no account (vents never
# received, replies), so they are not among them.
ADDITIVE = [
    c
    for c in UNIT_SERIES_COLUMNS
    if c
    not in {
        "impressions",
        "negative_impressions",
        "largest_cascade",
        "replies_per_received",
        "replies_per_contact",
        "one_sided_share",
        "median_response_hours",
        "p90_response_hours",
        "satisfaction",
        "operator_utilisation",
    }
]


@pytest.fixture(scope="module")
def matrix_run():
    return run_one(load_scenario("weibo_and_wechat"), seed=3, days=DAYS)


@pytest.fixture(scope="module")
def one_account_run():
    return run_one(load_scenario("baseline"), seed=3, days=2)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- which metrics


def test_every_glossary_metric_is_per_account_or_scenario_wide_not_both():
    per_unit = set(UNIT_SUMMARY_METRICS) & set(METRICS)
    wide = set(SCENARIO_WIDE_METRICS)
    assert not per_unit & wide, per_unit & wide
    assert per_unit | wide == set(METRICS), set(METRICS) - per_unit - wide
    assert len(UNIT_SUMMARY_METRICS) == len(set(UNIT_SUMMARY_METRICS))
    assert set(UNIT_DAILY_METRICS) <= set(UNIT_SERIES_COLUMNS)


def test_per_account_counts_add_up_to_the_whole_run(matrix_run):
    summary = matrix_run.summary
    for metric in (
        "received",
        "contacts",
        "follow_ups",
        "reminders",
        "releases",
        "rumours_clarified",
        "staff_hours",
        "open_at_end",
        "backlog_operators",
        "received_complaint",
        "received_via_private",
        "received_via_mention",
        "replies_substantive",
        "replies_partial",
        "replies_boilerplate",
    ):
        parts = [summary[unit_metric(metric, a)] for a in ACCOUNTS]
        whole = summary[metric]
        if metric == "staff_hours":  # the departments' hours are nobody's account's
            whole -= matrix_run.daily["department_duty_hours"].sum()
        assert sum(parts) == pytest.approx(whole), metric
        for account, platform in zip(ACCOUNTS, PLATFORMS, strict=True):  # one each
            assert summary[unit_metric(metric, platform)] == summary[unit_metric(metric, account)]
    # WeChat contacts are private: none is an @-mention
    assert summary["received_via_mention@wechat_city"] == 0
    assert summary["received_via_mention@weibo_city"] > 0
    # rates of an account are of its own requests
    n = summary["received@wechat_city"]
    assert summary["contacts_per_need@wechat_city"] == pytest.approx(
        summary["contacts@wechat_city"] / n
    )
    assert 0 <= summary["failure_demand@weibo_city"] <= 1
    assert summary["largest_cascade"] >= max(
        summary[unit_metric("largest_cascade", a)] for a in ACCOUNTS
    )


# --------------------------------------------------------------------------- long table


def test_long_daily_table_has_a_row_per_unit_and_day(matrix_run):
    long = matrix_run.daily_accounts
    assert long is not None
    columns = [*UNIT_SERIES_COLUMNS, *PLATFORM_DAILY_METRICS]  # the platform rules' last
    assert list(long.columns[-len(columns) :]) == columns
    assert {"scenario", "seed", "day", "account", "platform"} <= set(long.columns)
    pairs = list(dict.fromkeys(zip(long["account"], long["platform"], strict=True)))
    assert pairs == [
        (ALL_UNITS, ALL_UNITS),
        ("weibo_city", "weibo"),
        ("wechat_city", "wechat"),
        (ALL_UNITS, "weibo"),
        (ALL_UNITS, "wechat"),
    ]
    assert len(long) == len(pairs) * DAYS
    whole = long[long["platform"] == ALL_UNITS].reset_index(drop=True)
    daily = matrix_run.daily
    for column in UNIT_SERIES_COLUMNS:  # the whole run's rows are the daily series
        np.testing.assert_array_equal(whole[column], daily[column], err_msg=column)
    for account in ACCOUNTS:  # the wide daily columns are the long table's
        rows = long[long["account"] == account].reset_index(drop=True)
        for metric in UNIT_DAILY_METRICS:
            np.testing.assert_array_equal(
                rows[metric], daily[unit_metric(metric, account)], err_msg=metric
            )
    accounts = long[long["account"] != ALL_UNITS]
    summed = accounts.groupby("day")[ADDITIVE].sum().reset_index(drop=True)
    for column in ADDITIVE:
        np.testing.assert_allclose(summed[column], whole[column], err_msg=column)
    backlog = accounts.groupby("day")["backlog_operators"].sum().to_numpy()
    np.testing.assert_array_equal(backlog, whole["backlog_operators"])


def test_a_matrix_run_writes_the_long_table_and_nests_its_summary(matrix_run, tmp_path):
    written = matrix_run.write(tmp_path / "csv")
    assert written["daily_accounts"].name == "daily_accounts.csv"
    back = pd.read_csv(written["daily_accounts"])
    assert len(back) == len(matrix_run.daily_accounts)
    assert set(back["account"]) == {ALL_UNITS, *ACCOUNTS}
    summary = json.loads(written["summary"].read_text(encoding="utf-8"))
    assert list(summary["accounts"]) == list(ACCOUNTS)
    assert list(summary["platforms"]) == list(PLATFORMS)
    for group in ("accounts", "platforms"):
        for unit, metrics in summary[group].items():
            assert set(metrics) == set(UNIT_SUMMARY_METRICS)
            for metric, value in metrics.items():
                assert value == summary[unit_metric(metric, unit)], (unit, metric)
    parquet = pytest.importorskip("pyarrow")
    assert parquet
    written = matrix_run.write(tmp_path / "parquet", series_format="parquet")
    assert pd.read_parquet(written["daily_accounts"]).shape == matrix_run.daily_accounts.shape


def test_a_one_account_run_writes_what_it_always_did(one_account_run, tmp_path):
    assert one_account_run.daily_accounts is None
    assert not any("@" in name for name in one_account_run.summary)
    written = one_account_run.write(tmp_path)
    assert set(written) == {"summary", "daily", "items"}
    expected = json_text(json_record(one_account_run.summary_record()))
    assert written["summary"].read_text(encoding="utf-8") == expected


def test_daily_figure_has_a_backlog_panel_per_account_only_with_accounts(
    matrix_run, one_account_run
):
    one = one_account_run.plot()
    assert len(one.axes) == 3
    figure = matrix_run.plot()
    assert len(figure.axes) == 4
    panel = figure.axes[2]
    assert "Each account's" in panel.get_title(loc="left")
    assert [t.get_text() for t in panel.get_legend().get_texts()] == list(ACCOUNTS)
    assert "[items]" in panel.get_ylabel()
    for line, account in zip(panel.lines, ACCOUNTS, strict=True):
        expected = matrix_run.daily[unit_metric("backlog_operators", account)]
        np.testing.assert_array_equal(line.get_ydata(), expected)


# --------------------------------------------------------------------------- naming rule


UNITS = {"baseline": [], "weibo_and_wechat": ["weibo_city", "wechat_city", "weibo", "wechat"]}


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("reply_rate@wechat_city", "did you mean 'response_rate@wechat_city'?"),
        ("response_rate@wechat_cty", "did you mean 'wechat_city'?"),
        ("response_rate@hotline", "weibo_city, wechat_city, weibo, wechat"),
        ("mean_trust@wechat_city", "government as a whole"),
        ("backlog_departments@weibo", "shared by every account"),
    ],
)
def test_a_wrong_per_account_name_is_refused_saying_what_is_allowed(name, says):
    problem = metric_name_problem(name, UNITS)
    assert says in problem, problem
    assert not is_metric(name) or "@" in name


def test_a_per_account_name_needs_a_scenario_with_accounts():
    problem = metric_name_problem("response_rate@weibo", {"baseline": []})
    assert "no scenario here declares accounts" in problem
    assert "<metric>@<account>" in problem
    assert metric_name_problem("response_rate@wechat_city", UNITS) == ""
    assert metric_name_problem("response_rate", UNITS) == ""


def test_unit_names_are_the_accounts_then_their_platforms():
    assert unit_names(load_scenario("baseline")) == []
    assert unit_names(load_scenario("weibo_and_wechat")) == [*ACCOUNTS, *PLATFORMS]


TINY = ["--days", "2", "--set", "population.citizens=300"]


def test_a_comparison_over_a_per_account_metric(capsys, tmp_path):
    from simulation.experiment import compare

    comparison = compare(
        ["baseline", "weibo_and_wechat"],
        replications=2,
        days=2,
        metrics=["response_rate", "response_rate@wechat_city"],
    )
    rows = comparison.table.set_index(["scenario", "metric"])
    assert ("weibo_and_wechat", "response_rate@wechat_city") in rows.index
    with pytest.raises(ValueError, match="did you mean 'wechat_city'"):
        compare(["baseline", "weibo_and_wechat"], days=1, metrics=["response_rate@wechat_cty"])

    out_dir = tmp_path / "cmp"
    argv = ["compare", "baseline", "weibo_and_wechat", *TINY, "-r", "2"]
    code, out, err = run_cli(
        capsys, *argv, "--metrics", "response_rate@wechat_city", "--out", out_dir
    )
    assert code == 0, err
    table = pd.read_csv(out_dir / "comparison.csv")
    assert "response_rate@wechat_city" in set(table["metric"])
    code, out, err = run_cli(
        capsys, *argv, "--metrics", "reply_rate@wechat_city", "--out", tmp_path / "bad"
    )
    assert code == 2 and "did you mean 'response_rate@wechat_city'?" in err, err
    assert not (tmp_path / "bad").exists(), "refused before any run"


def test_a_sweep_over_a_per_account_metric(capsys, tmp_path):
    out_dir = tmp_path / "sweep"
    argv = ["sweep", "weibo_and_wechat", "--grid", "accounts.wechat_city.operators=1,3", *TINY]
    code, out, err = run_cli(
        capsys, *argv, "--metrics", "response_rate@wechat_city", "--out", out_dir
    )
    assert code == 0, err
    runs = pd.read_csv(out_dir / "runs.csv")
    assert sorted(runs["accounts.wechat_city.operators"]) == [1, 3]
    assert runs["response_rate@wechat_city"].notna().all()
    code, _, err = run_cli(
        capsys, *argv, "--metrics", "response_rate@wechat_cty", "--out", tmp_path / "bad"
    )
    assert code == 2, err
    assert "did you mean 'wechat_city'?" in err and "weibo_city, wechat_city" in err, err


# --------------------------------------------------------------------------- list, show, run


def test_describe_accounts_says_each_accounts_staffing():
    one = describe_accounts(load_scenario("baseline"))
    assert [row["account"] for row in one] == ["government (implicit)"]
    assert one[0]["operators"] == "2" and one[0]["platform"] == "weibo"
    two = describe_accounts(load_scenario("weibo_and_wechat"))
    assert [(r["account"], r["platform"], r["operators"]) for r in two] == [
        ("weibo_city", "weibo", "1"),
        ("wechat_city", "wechat", "1"),
    ]
    changed = load_scenario("weibo_and_wechat", ["accounts.wechat_city.operators=4"])
    assert describe_accounts(changed)[1]["operators"] == "4"


def test_list_and_show_show_each_account(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    assert "wechat_city" in out and "(one account)" in out
    code, out, _ = run_cli(capsys, "show", "weibo_and_wechat")
    assert code == 0
    assert "# 2 accounts:" in out
    assert "#   wechat_city: wechat, city level, follow share 0.3, 1 operator × office hours" in out
    code, out, _ = run_cli(capsys, "show", "baseline")
    assert "# one account (implicit" in out and "#   government: weibo" in out


def test_run_prints_a_table_by_account(capsys, tmp_path):
    code, out, err = run_cli(capsys, "run", "weibo_and_wechat", *TINY, "--out", tmp_path)
    assert code == 0, err
    assert "by account and platform" in out
    header = next(line for line in out.splitlines() if "by account and platform" in line)
    assert header.split()[4:8] == [*ACCOUNTS, *PLATFORMS]
    assert "response_rate@" not in out, "per-account metrics are columns, not rows"
    assert (tmp_path / "daily_accounts.csv").is_file()


def test_an_exploration_names_per_account_outcomes_of_its_policies():
    from simulation.experiment.explore import parse_exploration, plan_exploration
    from simulation.experiment.files import ExperimentFileError

    raw = {
        "name": "x",
        "policies": ["baseline", "weibo_and_wechat"],
        "uncertainties": {"population.need_rate_per_day": [0.005, 0.02]},
        "outcomes": {"response_rate@wechat_city": {"direction": "maximise"}},
    }
    plan = plan_exploration(parse_exploration(raw, "x.toml"), "x.toml")
    assert [p.name for p in plan.policies] == ["baseline", "weibo_and_wechat"]
    wrong = {**raw, "outcomes": {"response_rate@wechat_cty": {"direction": "maximise"}}}
    with pytest.raises(ExperimentFileError) as caught:
        plan_exploration(parse_exploration(wrong, "x.toml"), "x.toml")
    assert caught.value.field == "outcomes.response_rate@wechat_cty"
    assert "did you mean 'wechat_city'?" in caught.value.message
    with pytest.raises(ExperimentFileError, match="did you mean 'response_rate@wechat_city'"):
        bad = {**raw, "outcomes": {"reply_rate@wechat_city": {"direction": "maximise"}}}
        parse_exploration(bad, "x.toml")


def test_supervision_metrics_are_named_by_the_same_rule():
    units = {"hierarchy": ["city_hall", "district_a", "weibo"]}
    assert metric_name_problem("complaints@district_a", units) == ""
    assert is_metric("complaints@district_a") and not is_metric("complaints")
    assert "per supervised account only" in metric_name_problem("complaints", units)
    assert "did you mean 'district_a'?" in metric_name_problem("complaints@district_b", units)
