"""The validation report (docs/validation.md) in smoke size, and the formulas it adds.

The report's checks run once, small (`run_validation("smoke")`), and the tests assert
that every check carries what the report promises — target, source, simulated value with
its confidence interval, replications, tolerance rule, pass/fail — that the report and
its figures render, and which checks pass: every check passes except those listed below
with the reason each does not. The strict, fast comparisons with theory are in
`tests/test_theory.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from simulation.cli import add_command
from simulation.scenario import bundled_scenario_dir
from simulation.validation import (
    GAMING,
    REMEDIES,
    SECTIONS,
    Check,
    Stats,
    ValidationResults,
    bound_check,
    configuration_model_edges,
    paired_check,
    run_validation,
    theory,
    theory_check,
    top_share,
    write_report,
)

# --------------------------------------------------------------------------- formulas


def test_configuration_model_giant_share_on_a_regular_graph():
    """3-regular graph: G0 = u³, G1 = u², so u = 1 − T + T·u² gives u = (1 − T)/T and
    S = 1 − ((1 − T)/T)³ above the threshold T_c = 1/(z − 1) = 1/2."""
    degrees = np.full(1000, 3)
    assert theory.percolation_threshold(degrees) == pytest.approx(0.5)
    for T in (0.3, 0.5):
        assert theory.configuration_model_giant_share(degrees, T) == 0.0
    for T in (0.6, 0.8, 1.0):
        expected = 1.0 - ((1.0 - T) / T) ** 3
        assert theory.configuration_model_giant_share(degrees, T) == pytest.approx(expected)


def test_configuration_model_giant_share_with_poisson_degrees_is_erdos_renyi():
    degrees = np.random.default_rng(1).poisson(4.0, size=400_000)
    for T in (0.2, 0.35, 0.5, 0.9):
        er = theory.giant_component_share(4.0, T)
        assert theory.configuration_model_giant_share(degrees, T) == pytest.approx(er, abs=2e-3)


def test_borel_tail_and_branching_mean_size():
    # P(size >= 2) is P(the root has at least one offspring) = 1 − e^(−m).
    assert theory.borel_tail(0.5, 2) == pytest.approx(1.0 - math.exp(-0.5))
    assert theory.borel_tail(1.0, 1) == 1.0
    # At the threshold the tail falls like sqrt(2 / (π n)).
    assert theory.borel_tail(1.0, 10_000) == pytest.approx(math.sqrt(2 / (math.pi * 1e4)), 0.01)
    assert theory.branching_mean_size(0.6) == pytest.approx(2.5)
    with pytest.raises(ValueError):
        theory.branching_mean_size(1.0)


def test_office_hours_chain_open_all_day_is_the_stationary_m_m_c_queue():
    """Open around the clock the periodic chain is stationary: L = Lq + λ/μ (Erlang C)."""
    curve = theory.office_hours_backlog_by_hour(2, 1.0, 2.0, (0, 24))
    p_wait, mean_wait = theory.erlang_c(2, 1.0, 2.0)
    assert curve == pytest.approx(np.full(24, 1.0 * mean_wait + 1.0 / 2.0), rel=1e-6)
    opening, closing = theory.office_hours_backlog(2, 1.0, 2.0, (9, 17))
    by_hour = theory.office_hours_backlog_by_hour(2, 1.0, 2.0, (9, 17))
    assert (opening, closing) == (by_hour[9], by_hour[17])
    # Closed, the backlog grows by λ per hour; open, it falls.
    assert np.diff(by_hour[:10]) == pytest.approx(np.ones(9))
    assert (np.diff(by_hour[9:18]) < 0).all()


def test_erlang_c_refuses_an_unstable_queue():
    with pytest.raises(ValueError, match="utilisation"):
        theory.erlang_c(2, 4.0, 2.0)


def test_configuration_model_edges_are_simple_and_heavy_tailed():
    edges, degrees = configuration_model_edges(3000, 2.5, 2, np.random.default_rng(3))
    assert (edges[:, 0] < edges[:, 1]).all(), "self-loops or unordered pairs"
    assert len(np.unique(edges, axis=0)) == len(edges), "repeated edges"
    assert degrees.sum() == 2 * len(edges)
    assert degrees.max() <= 2 * math.isqrt(3000)  # the cutoff, plus at most one parity stub
    assert degrees.max() > 10 * np.median(degrees)


# --------------------------------------------------------------------------- check rules


def test_check_rules():
    inside = theory_check("a", SECTIONS[0], "t", [1.0, 1.1, 0.9, 1.0], 1.0, "src")
    assert inside.passed and inside.ci_low < 1.0 < inside.ci_high
    assert not theory_check("b", SECTIONS[0], "t", [2.0, 2.1, 1.9], 1.0, "src").passed
    assert theory_check("c", SECTIONS[0], "t", [1.0], 1.0, "src").passed is None
    assert bound_check(
        "d", SECTIONS[3], "t", [0.33, 0.34, 0.32], low=0.28, high=0.4, source=""
    ).passed
    wide = bound_check("e", SECTIONS[3], "t", [0.3, 0.45, 0.2], low=0.28, high=0.4, source="")
    assert wide.passed is False
    up = paired_check("f", SECTIONS[4], "t", [1, 2, 3], [2, 3.1, 3.9], "up", "s")
    assert up.passed and up.value == pytest.approx(1.0) and up.reference == pytest.approx(2.0)
    assert not paired_check("g", SECTIONS[4], "t", [1, 2, 3], [2, 3.1, 3.9], "down", "s").passed
    # Seeds where a metric has no value (NaN) are left out of the pairs.
    gaps = paired_check("h", SECTIONS[4], "t", [1, np.nan, 3, 4], [2, 5, 4, 5.2], "up", "s")
    assert gaps.n == 3 and "left out" in gaps.detail
    assert Stats.of([]).n == 0
    assert top_share(np.array([0] * 95 + [1] * 5)) == 1.0
    assert top_share(np.ones(100)) == pytest.approx(0.05)


# --------------------------------------------------------------------------- which checks pass

# Checks that do not pass in the full report (docs/validation.md; 61 of 63 pass), with
# the outcome they have (False: fails; None: not decided) and why.
NOT_PASSING_IN_FULL = {
    # Not applicable: trust never averages neighbours' trust, so the model has no DeGroot
    # limit; the check only records that trust stays at its initial draw with every shock
    # off (docs/validation.md §3), and is never decided.
    "degroot": None,
    # Right direction (+9.0 h) but within noise: with one operator fewer needs are
    # answered at all, so the p90 of those answered moves little; CI [-0.7, 18.7] h.
    "directional_understaffed_p90_response_hours": False,
}

# Checks of the stored full report that the code no longer makes, and what replaced
# them, while docs/validation is not regenerated (none: it was regenerated with the code).
RETIRED_IN_FULL: set[str] = set()

# Checks that also do not pass in smoke size (2,000 citizens, 7 days from a Monday, 3
# seeds: PLANS["smoke"]), because that plan is too small to decide them. All pass in the
# full report.
NOT_PASSING_IN_SMOKE = {
    # Calibrated for the baseline's own size (10,000 citizens, 30 days). A 7-day run ends
    # on a Sunday with the last days' items still unanswered, so the share of contacts
    # replied to reads low: 0.24, CI [0.16, 0.33], below the range's 0.28.
    "reply_rate_baseline": False,
    # About 59 public posts per run, fewer than the top 5 % of citizens (100): in both arms
    # the top 5 % write every post, so the paired difference is exactly 0 and cannot be > 0.
    "posting_concentration_realised": False,
    # Too few cascades for their rare tail: the largest per run averages 8.7 over 3 runs
    # (the CI's lower bound must reach 10) and 1.4 % of them reach 10 (the limit is 1 %).
    "cascades_rare_large": False,
    # Right direction (−23 h), but two of the three closed_loop seeds answer no
    # two-department referral within 7 days (their desks also carry follow-ups and
    # reminders), which leaves 1 pair: no interval, so the check is not decided.
    "directional_joint_multi_department_median_hours": None,
    # Right direction (−24 % negative views), but over 3 seeds the CI includes 0.
    "directional_rumour_crisis_proactive_negative_impressions": False,
    # Near saturation (one server, ρ = 0.85) a 3-day mean wait varies enormously from
    # seed to seed and is biased low from an empty start: 2.2 h, CI [1.7, 2.7], against
    # 2.83 h. In the full plan (8 seeds, 20 days) the CI is wide and includes it.
    "erlang_c_wait_c1_rho0.85": False,
    # Three 3-day runs that happen to agree (0.163, 0.154, 0.162) give a narrow interval,
    # [0.148, 0.172], below 0.2007; over 12 seeds the 3-day mean is 0.188, and in the full
    # plan (8 seeds, 20 days) 0.202 [0.180, 0.223].
    "erlang_a_p_abandon_c4_lam4.4": False,
    # Right direction (−0.19), but over 3 seeds of 7 days the CI is [−0.57, 0.19]; in full
    # size (8 seeds, 10,000 citizens, 30 days) −0.13 [−0.18, −0.08].
    "directional_trained_operators_one_sided_share": False,
    # At 2,000 citizens two operators are not busy enough (utilisation ≈ 0.56 with two,
    # 0.64 with one) for the second one to shorten waits much; the 90th percentile of a
    # 7-day run is set by nights and the weekend, and it comes out lower with one operator
    # (44.8 h → 34.6 h). With 10,000 citizens, or in the full report, it is higher.
    "directional_understaffed_p90_response_hours": False,
    # Right direction (median 8.0 h -> 0.4 h), but in one of the three 7-day baseline runs
    # at 2,000 citizens the few replies come late, so over 3 seeds the CI of the paired
    # difference is [-23.6, 8.4] h; the full report gives -11.6 h [-12.1, -11.0].
    "directional_hotline_24x7_median_response_hours": False,
    # Right direction (partial share 0.45 → 0.54), CI over 3 seeds includes 0; the full
    # plan gives +0.16 [0.11, 0.21].
    "gaming_appraisal_satisfaction_partial_share": False,
    # Right direction (+6.5 pp), but three 7-day runs at 2,000 citizens have a few dozen
    # threatened requests each: the CI is far wider than the 5-12 pp band (the full plan
    # runs 32 seeds for it: +7.8 pp [6.6, 9.0]).
    "upward_pressure_threat": False,
    # The explicit upper level acts through its monthly rankings and reprimands: a 7-day
    # run has no appraisal yet, so no pressure from above, and three runs at 2,000
    # citizens have a few dozen threatened district requests each (-2.8 pp, CI [-54, +49]
    # pp). The full plan runs the scenario's 90 days at 10,000 citizens on 16 seeds.
    "upward_pressure_threat_supervised": False,
    # Right direction (+16.5 pp and +9.6 pp), CIs over 3 seeds include 0 now that
    # follow-ups and trust-dependent voicing add noise; both pass in the full plan.
    "directional_closed_loop_resolution_rate": False,
    "directional_trained_operators_resolution_rate": False,
    # In 7 days no request is still open at a 48 h deadline in either arm (0 against 0),
    # so there is no late reply to count; the full plan decides it.
    "gaming_appraisal_timeliness_48h_late_reply_rate": False,
    # Right direction (hard/easy reply ratio 0.85 → 1.18), CI over 3 seeds includes 0;
    # it passes in the full plan.
    "gaming_appraisal_satisfaction_hard_reply_ratio": False,
}


def _describe(c: Check) -> str:
    return (
        f"{c.id} ({c.title}): passed = {c.passed}, simulated {c.value} "
        f"[{c.ci_low}, {c.ci_high}] over {c.n}, target {c.target_text}; {c.detail}"
    )


def test_the_full_report_fails_only_the_known_checks():
    path = Path(__file__).resolve().parent.parent / "docs" / "validation" / "results.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["size"] == "full"
    outcomes = {c["id"]: c["passed"] for c in report["checks"]}
    not_passing = {i: p for i, p in outcomes.items() if p is not True}
    assert not_passing == NOT_PASSING_IN_FULL, (
        f"docs/validation/results.json: checks not passing {not_passing}, "
        f"expected {NOT_PASSING_IN_FULL}"
    )


@pytest.mark.slow  # the smoke validation they share takes about 12 s
def test_every_smoke_check_passes_except_the_known_ones(smoke):
    results, _ = smoke
    by_id = {c.id: c for c in results.checks}
    expected = {
        i: outcome
        for i, outcome in (NOT_PASSING_IN_FULL | NOT_PASSING_IN_SMOKE).items()
        if i not in RETIRED_IN_FULL
    }
    assert not RETIRED_IN_FULL & set(by_id), "a retired check is still made"
    unknown = sorted(set(expected) - set(by_id))
    assert not unknown, f"listed as not passing, but no such check in the smoke run: {unknown}"
    failing = [by_id[i] for i in by_id if by_id[i].passed is not True and i not in expected]
    assert not failing, "checks that should pass did not:\n" + "\n".join(map(_describe, failing))
    changed = [by_id[i] for i, outcome in expected.items() if by_id[i].passed is not outcome]
    assert not changed, (
        "checks listed as not passing have another outcome (if they pass now, take them "
        "off the list):\n"
        + "\n".join(f"expected {expected[c.id]}: {_describe(c)}" for c in changed)
    )


# --------------------------------------------------------------------------- smoke report


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> tuple[ValidationResults, Path]:
    out = tmp_path_factory.mktemp("validation")
    messages: list[str] = []
    results = run_validation("smoke", out / "validation", progress=messages.append)
    assert messages, "no progress was reported"
    report = write_report(results, out / "validation.md")
    return results, report


@pytest.mark.slow  # the smoke validation they share takes about 12 s
def test_every_check_states_target_source_value_interval_rule_and_outcome(smoke):
    results, _ = smoke
    checks = results.checks
    assert len({c.id for c in checks}) == len(checks), "check ids repeat"
    assert {c.section for c in checks} == set(SECTIONS)
    for c in checks:
        assert isinstance(c, Check)
        for name in ("title", "target_text", "source", "rule", "unit"):
            assert getattr(c, name), f"{c.id}: empty {name}"
        assert c.passed is None or type(c.passed) is bool, f"{c.id}: passed = {c.passed!r}"
        assert c.n >= 2 or c.passed is None, f"{c.id}: decided on {c.n} replication(s)"
        if c.id == "degroot" or c.id == "office_hours_backlog_curve":
            continue
        assert c.value is not None and math.isfinite(c.value), f"{c.id}: no simulated value"
        if c.passed is not None:
            assert c.ci_low is not None and c.ci_high is not None, f"{c.id}: no interval"
            assert c.ci_low <= c.value <= c.ci_high, f"{c.id}: value outside its interval"
            assert c.se is not None and c.se >= 0
    json.dumps(results.to_dict(), allow_nan=False)  # the structured results are plain data


@pytest.mark.slow  # the smoke validation they share takes about 12 s
def test_the_report_covers_the_requested_checks(smoke):
    results, _ = smoke
    ids = {c.id for c in results.checks}
    for prefix in (
        "erlang_c_pwait",
        "erlang_c_wait",
        "erlang_a_p_abandon",
        "office_hours_backlog_09",
        "office_hours_backlog_17",
        "er_mean_size",
        "er_threshold",
        "er_large_share",
        "cm_large_share",
        "cm_large_size",
        "reply_rate_baseline",
        "reply_rate_up_appraisal_response_rate",
        "posting_concentration_long_run",
        "cascades_tiny",
        "cascades_rare_large",
    ):
        assert any(i.startswith(prefix) for i in ids), f"no check {prefix}*"
    for _, treatment, metric, *_ in REMEDIES:
        assert f"directional_{treatment}_{metric}" in ids
        assert (bundled_scenario_dir() / f"{treatment}.toml").exists()
    for treatment, metric, *_ in GAMING:
        assert f"gaming_{treatment}_{metric}" in ids, f"no gaming check of {treatment}"
    degroot = next(c for c in results.checks if c.id == "degroot")
    assert degroot.passed is None and degroot.value == 0.0, "trust moved with every shock off"
    assert "no DeGroot limit" in results.notes["degroot"]


@pytest.mark.slow  # the smoke validation they share takes about 12 s
def test_the_smoke_report_renders_with_its_figures(smoke):
    results, report = smoke
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Validation report")
    assert "size **smoke**" in text
    counts = results.counts()
    assert f"**{counts['pass']} checks pass, {counts['fail']} fail" in text
    for c in results.checks:
        assert c.title.replace("|", "\\|") in text, f"{c.id} missing from the report"
    for c in results.failures:
        assert f"#{results.checks.index(c) + 1} " in text.split("## Failures")[1]
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == len(results.figures) >= 7
    for link in links:
        figure = report.parent / link
        assert figure.exists(), f"broken figure link {link}"
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert figure.stat().st_size < 200_000, f"{link} is large"


@pytest.mark.slow  # the smoke validation they share takes about 12 s
def test_validate_model_command_registers_and_runs(smoke, tmp_path, monkeypatch):
    results, _ = smoke
    parser = argparse.ArgumentParser(prog="microgov")
    sub = parser.add_subparsers(dest="command", required=True)
    add_command(sub, "validate-model")
    args = parser.parse_args(["validate-model", "--smoke", "--out", str(tmp_path)])
    assert args.smoke and args.out == tmp_path

    calls = []

    def fake_run(size, out_dir, progress=None):
        calls.append((size, Path(out_dir)))
        return results

    monkeypatch.setattr("simulation.validation.report.run_validation", fake_run)
    printed: list[str] = []

    class Console:
        def print(self, message, **_):
            printed.append(message)

    assert args.handler(args, Console()) == 0
    assert calls == [("smoke", tmp_path / "validation")]
    assert (tmp_path / "validation.md").exists()
    text = (tmp_path / "validation" / "results.json").read_text()

    def refuse(constant):
        raise ValueError(f"results.json is not strict JSON: {constant}")

    assert json.loads(text, parse_constant=refuse)["size"] == "smoke"
    assert any("validation.md" in line for line in printed)


@pytest.mark.slow  # the smoke validation they share takes about 12 s
@pytest.mark.parametrize(
    ("options", "size", "folder"),
    [([], "full", "out/validation"), (["--smoke"], "smoke", "out/validation-smoke")],
)
def test_validate_model_writes_under_out_by_default(
    smoke, tmp_path, monkeypatch, options, size, folder
):
    """Without --out the report goes to out/, never into the project's docs/; the report
    says how it was made, and names --out when written elsewhere."""
    results, _ = smoke
    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser(prog="microgov")
    sub = parser.add_subparsers(dest="command", required=True)
    add_command(sub, "validate-model")
    calls = []

    def fake_run(size, out_dir, progress=None):  # the smoke results, labelled as asked
        calls.append((size, Path(out_dir)))
        return dataclasses.replace(results, size=size)

    monkeypatch.setattr("simulation.validation.report.run_validation", fake_run)
    args = parser.parse_args(["validate-model", *options])
    assert args.handler(args, None) == 0
    assert calls == [(size, Path(folder) / "validation")]
    text = (tmp_path / folder / "validation.md").read_text(encoding="utf-8")
    assert (tmp_path / folder / "validation" / "results.json").exists()
    assert not (tmp_path / "docs").exists()
    assert f"Generated by `python -m simulation.validation{' --smoke' if options else ''}` " in text

    args = parser.parse_args(["validate-model", *options, "--out", "docs"])
    assert args.handler(args, None) == 0
    text = (tmp_path / "docs" / "validation.md").read_text(encoding="utf-8")
    assert f"python -m simulation.validation{' --smoke' if options else ''} --out docs`" in text
    assert "# this report, docs/validation.md" in text
