"""Explorations: the file's schema, states of the world, regret, satisficing, discovery.

Regret and satisficing are checked on hand-made tables whose answers are worked out
by hand; the sampling against the distributions' own quantiles; PRIM and CART on
synthetic states whose failing region is known; and one tiny exploration (300 citizens,
2 days) end to end through the command line, explore then discover.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from simulation.cli import main
from simulation.experiment import discovery as sd
from simulation.experiment.designs import Points, design_from_dict
from simulation.experiment.explore import (
    Uncertainty,
    lever_label,
    load_exploration,
    parse_exploration,
    plan_exploration,
    sample_states,
)
from simulation.experiment.files import ExperimentFileError, load_experiment
from simulation.experiment.robustness import joint_satisficing, regret_table, robustness
from simulation.scenario import ScenarioError

# --------------------------------------------------------------------------- regret


def _runs(values: dict[tuple[str, int], list[float]], outcome: str = "y") -> pd.DataFrame:
    """{(policy, state): [value of replication 0, 1, …]} → one row per run."""
    rows = [
        {"policy": policy, "state": state, "replication": r, outcome: value}
        for (policy, state), reps in values.items()
        for r, value in enumerate(reps)
    ]
    return pd.DataFrame(rows)


# Three policies, two states, two replications. State 0: means a 0.5, b 0.7, c 0.6;
# state 1: a 0.8, b 0.4, c 0.8 (a and c tie; a is listed first).
TABLE = _runs(
    {
        ("a", 0): [0.4, 0.6],
        ("b", 0): [0.7, 0.7],
        ("c", 0): [0.5, 0.7],
        ("a", 1): [0.8, 0.8],
        ("b", 1): [0.3, 0.5],
        ("c", 1): [0.9, 0.7],
    }
)


def _row(table: pd.DataFrame, policy: str, state: int) -> pd.Series:
    return table[(table["policy"] == policy) & (table["state"] == state)].iloc[0]


def test_regret_is_the_shortfall_from_the_best_policy_in_each_state():
    table = regret_table(TABLE, {"y": "maximise"})
    assert len(table) == 6
    assert _row(table, "b", 0)["best_policy"] == "b"
    assert _row(table, "a", 0)["regret"] == pytest.approx(0.2)
    assert _row(table, "c", 0)["regret"] == pytest.approx(0.1)
    assert _row(table, "b", 0)["regret"] == 0.0
    assert _row(table, "a", 1)["best_policy"] == "a", "a tie goes to the policy listed first"
    assert _row(table, "b", 1)["regret"] == pytest.approx(0.4)
    assert _row(table, "c", 1)["regret"] == pytest.approx(0.0)
    assert (table["regret"] >= 0).all()


def test_regret_noise_is_the_standard_error_of_differences_paired_by_replication():
    table = regret_table(TABLE, {"y": "maximise"})
    # a in state 0: differences from b, replication by replication: 0.3 and 0.1.
    assert _row(table, "a", 0)["regret_se"] == pytest.approx(np.std([0.3, 0.1], ddof=1) / 2**0.5)
    # c in state 0: 0.2 and 0.0 — the same spread.
    assert _row(table, "c", 0)["regret_se"] == pytest.approx(0.1)
    assert _row(table, "b", 0)["regret_se"] == 0.0, "the best policy has no regret to be unsure of"


def test_minimising_turns_the_best_policy_and_the_sign_around():
    table = regret_table(TABLE, {"y": "minimise"})
    assert _row(table, "a", 0)["best_policy"] == "a"
    assert _row(table, "b", 0)["regret"] == pytest.approx(0.2)
    assert _row(table, "a", 1)["regret"] == pytest.approx(0.4)
    assert (table["regret"] >= 0).all()


def test_a_failed_run_is_left_out_of_the_mean_and_the_pairs():
    broken = TABLE.copy()
    broken.loc[
        (broken["policy"] == "a") & (broken["state"] == 0) & (broken["replication"] == 1), "y"
    ] = np.nan
    table = regret_table(broken, {"y": "maximise"})
    row = _row(table, "a", 0)
    assert row["n"] == 1 and row["value"] == pytest.approx(0.4)
    assert row["regret"] == pytest.approx(0.3)
    assert math.isnan(row["regret_se"]), "one pair gives no standard error"


def test_satisficing_compares_each_state_mean_with_the_threshold_in_its_direction():
    table = regret_table(TABLE, {"y": "maximise"}, {"y": 0.6})
    meets = {(r.policy, r.state): r.meets for r in table.itertuples()}
    assert meets == {
        ("a", 0): False,
        ("b", 0): True,
        ("c", 0): True,  # 0.6 meets "at least 0.6"
        ("a", 1): True,
        ("b", 1): False,
        ("c", 1): True,
    }
    low = regret_table(TABLE, {"y": "minimise"}, {"y": 0.6})
    assert _row(low, "a", 0)["meets"] and not _row(low, "b", 0)["meets"]
    assert regret_table(TABLE, {"y": "maximise"})["meets"].isna().all()


def test_robustness_summarises_regret_and_satisficing_over_states():
    directions, thresholds = {"y": "maximise"}, {"y": 0.6}
    summary = robustness(regret_table(TABLE, directions, thresholds), directions, thresholds)
    rows = summary.set_index("policy")
    assert rows.loc["a", "mean_regret"] == pytest.approx(0.1)  # 0.2 and 0
    assert rows.loc["b", "mean_regret"] == pytest.approx(0.2)  # 0 and 0.4
    assert rows.loc["b", "max_regret"] == pytest.approx(0.4)
    assert rows.loc["b", "p90_regret"] == pytest.approx(0.36)  # numpy's linear quantile
    assert rows.loc["a", "best_share"] == 0.5 and rows.loc["c", "best_share"] == 0.0
    assert rows.loc["c", "satisficing_share"] == 1.0
    assert rows.loc["a", "satisficing_share"] == 0.5
    wilson = scipy_stats.binomtest(1, 2).proportion_ci(0.95, method="wilson")
    assert rows.loc["a", "satisficing_ci_low"] == pytest.approx(wilson.low)
    assert rows.loc["a", "satisficing_ci_high"] == pytest.approx(wilson.high)
    # b's noise comes from the state where it is not best (state 1: pairs 0.5, 0.3).
    assert rows.loc["b", "replication_se"] == pytest.approx(0.1)
    assert math.isnan(robustness(regret_table(TABLE, directions), directions).iloc[0]["threshold"])


def test_joint_satisficing_needs_every_threshold_met_in_the_same_state():
    two = TABLE.assign(z=TABLE["y"])
    directions = {"y": "maximise", "z": "minimise"}
    table = regret_table(two, directions, {"y": 0.6, "z": 0.6})
    joint = joint_satisficing(table).set_index("policy")
    # y ≥ 0.6 and z ≤ 0.6 together: only a mean of exactly 0.6 (c in state 0).
    assert joint.loc["c", "satisficing_share"] == 0.5
    assert joint.loc["a", "satisficing_share"] == 0.0
    assert joint.loc["a", "outcomes"] == 2 and joint.loc["a", "states"] == 2


# --------------------------------------------------------------------------- states


def test_uniform_states_hit_every_stratum_once_and_are_seeded():
    uncertainty = Uncertainty.model_validate([0.0, 10.0])
    states = sample_states({"population.complexity_mean": uncertainty}, 20, seed=3)
    values = np.array([s["population.complexity_mean"] for s in states])
    assert sorted(np.floor(values / 0.5).astype(int)) == list(range(20))
    assert states == sample_states({"population.complexity_mean": uncertainty}, 20, seed=3)
    assert states != sample_states({"population.complexity_mean": uncertainty}, 20, seed=4)


def test_distributions_map_the_hypercube_through_their_quantiles():
    unit = np.array([0.0, 0.1, 0.5, 0.9, 0.999])
    triangular = Uncertainty.model_validate(
        {"distribution": "triangular", "low": 0.0, "mode": 0.25, "high": 1.0}
    )
    assert triangular.from_unit(unit) == pytest.approx(
        scipy_stats.triang.ppf(unit, 0.25, loc=0.0, scale=1.0)
    )
    normal = Uncertainty.model_validate(
        {"distribution": "normal", "mean": 0.5, "sd": 0.2, "low": 0.3, "high": 0.9}
    )
    values = normal.from_unit(unit)
    assert all(0.3 <= v <= 0.9 for v in values)
    assert values[2] == pytest.approx(scipy_stats.truncnorm.ppf(0.5, -1, 2, loc=0.5, scale=0.2))
    integers = Uncertainty.model_validate([1, 4])
    assert integers.integer and integers.from_unit(np.array([0.0, 0.3, 0.6, 0.99])) == [1, 2, 3, 4]


def test_points_design_round_trips_through_its_dict():
    design = Points(
        [
            {"staffing.operators": 2, "staffing.training": 0.1},
            {"staffing.operators": 3, "staffing.training": 0.0},
        ]
    )
    assert design_from_dict(design.to_dict()) == design and len(design) == 2
    with pytest.raises(ScenarioError, match="must name the keys"):
        Points([{"staffing.operators": 2}, {"staffing.training": 0.1}])


# --------------------------------------------------------------------------- the file

BASE = {
    "name": "t",
    "policies": ["baseline", "closed_loop"],
    "uncertainties": {"population.need_rate_per_day": [0.005, 0.02]},
    "outcomes": {"response_rate": {"direction": "maximise"}},
}


def _error(raw: dict, **change) -> ExperimentFileError:
    with pytest.raises(ExperimentFileError) as caught:
        plan_exploration(parse_exploration({**raw, **change}, "x.toml"), "x.toml")
    assert caught.value.source == "x.toml"
    return caught.value


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {
                "uncertainties": {
                    "population.need_rate_per_day": {"distribution": "beta", "low": 0, "high": 1}
                }
            },
            "uncertainties.population.need_rate_per_day.distribution",
            "'uniform', 'triangular' or 'normal'",
        ),
        (
            {
                "uncertainties": {
                    "population.need_rate_per_day": {
                        "distribution": "triangular",
                        "low": 0.005,
                        "high": 0.02,
                    }
                }
            },
            "uncertainties.population.need_rate_per_day.mode",
            "needs mode",
        ),
        (
            {
                "uncertainties": {
                    "population.need_rate_per_day": {
                        "distribution": "triangular",
                        "low": 0.005,
                        "mode": 0.5,
                        "high": 0.02,
                    }
                }
            },
            "uncertainties.population.need_rate_per_day.mode",
            "must lie in [low, high]",
        ),
        (
            {"uncertainties": {"population.need_rate_per_day": [0.02, 0.005]}},
            "uncertainties.population.need_rate_per_day.low",
            "must be below high",
        ),
        (
            {
                "uncertainties": {
                    "population.need_rate_per_day": {"low": 0.005, "high": 0.02, "sd": 1}
                }
            },
            "uncertainties.population.need_rate_per_day.sd",
            "not used by a uniform distribution",
        ),
        (
            {"outcomes": {"response_rat": {"direction": "maximise"}}},
            "outcomes.response_rat",
            "did you mean 'response_rate'",
        ),
        (
            {"outcomes": {"response_rate": {"direction": "up"}}},
            "outcomes.response_rate.direction",
            "'maximise' or 'minimise'",
        ),
        ({"policies": ["baseline"]}, "levers", "at least two policies"),
        ({"scenario": "baseline"}, "policies", "either 'policies'"),
        (
            {"uncertainties": {"population.need_rate_pr_day": [0.005, 0.02]}},
            "uncertainties.population.need_rate_pr_day",
            "did you mean 'need_rate_per_day'",
        ),
        (
            {"uncertainties": {"population.need_rate_per_day": [-1.0, 0.02]}},
            "uncertainties.population.need_rate_per_day",
            "greater than or equal",
        ),
        (
            {"uncertainties": {"staffing.operators": [1.5, 4.0]}},
            "uncertainties.staffing.operators",
            "integer",
        ),
        ({"discovery": {"policy": "closed_lop"}}, "discovery.policy", "did you mean 'closed_loop'"),
        ({"baseline": "nobody"}, "baseline", "not one of the policies"),
        ({"stats": 3}, "stats", "did you mean 'states'"),
    ],
)
def test_bad_exploration_files_name_the_field_and_what_is_allowed(change, field, words):
    error = _error(BASE, **change)
    assert error.field == field, str(error)
    assert words in error.message, str(error)


def test_a_lever_cannot_also_be_an_uncertainty():
    error = _error(
        {**BASE, "policies": None},
        scenario="baseline",
        levers={"population.need_rate_per_day": [0.01, 0.02]},
    )
    assert (
        error.field == "levers.population.need_rate_per_day"
        and "also an uncertainty" in error.message
    )


def test_levers_make_every_combination_a_policy_with_a_readable_name():
    raw = {**BASE, "scenario": "closed_loop", "policies": None}
    raw["levers"] = {"mandate": {"reply_norm": [0.0, 1.25]}, "staffing.operators": [2, 3]}
    plan = plan_exploration(parse_exploration(raw, "x.toml"), "x.toml")
    names = [p.name for p in plan.policies]
    assert names == [
        "reply_norm=0, operators=2",
        "reply_norm=0, operators=3",
        "reply_norm=1.25, operators=2",
        "reply_norm=1.25, operators=3",
    ]
    assert plan.baseline == names[0]
    assert plan.policies[3].scenario.mandate.reply_norm == 1.25
    assert plan.policies[3].scenario.staffing.operators == 3
    assert lever_label({"a.x": 1, "b.x": "y"}) == "a.x=1, b.x=y", "shared last parts stay whole"


def test_an_experiment_file_and_an_exploration_file_are_told_apart(tmp_path):
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        'scenario = "baseline"\n[design]\ntype = "grid"\nparameters = { "staffing.operators" = [1, 2] }\n'
    )
    with pytest.raises(ExperimentFileError, match="microgov experiment"):
        load_exploration(sweep)
    exploration = tmp_path / "explore.toml"
    exploration.write_text(
        'policies = ["baseline", "closed_loop"]\n[uncertainties]\n"population.need_rate_per_day" = [0.005, 0.02]\n'
        '[outcomes]\nresponse_rate = { direction = "maximise" }\n'
    )
    assert load_exploration(exploration).name == "explore"
    with pytest.raises(ExperimentFileError, match="microgov explore"):
        load_experiment(exploration)


def test_the_bundled_example_checks():
    path = (
        Path(__file__).resolve().parent.parent
        / "experiments"
        / "explorations"
        / "closed_loop_discovery.toml"
    )
    exploration = load_exploration(path)
    plan = plan_exploration(exploration, str(path), base_dir=path.parent)
    assert [p.name for p in plan.policies] == ["baseline", "closed_loop"]
    assert plan.runs == 2 * exploration.states * exploration.replications
    assert (
        exploration.discovery.margin == 0.10
        and exploration.directions["response_rate"] == "maximise"
    )


# --------------------------------------------------------------------------- discovery


def test_cases_of_interest_are_states_where_the_paired_gain_falls_short_of_the_margin():
    runs = _runs(
        {
            ("base", 0): [0.30, 0.32],
            ("remedy", 0): [0.45, 0.43],  # +0.15, +0.11: beats a 0.1 margin
            ("base", 1): [0.30, 0.30],
            ("remedy", 1): [0.35, 0.39],  # +0.05, +0.09: fails it
        },
        outcome="response_rate",
    ).assign(u=lambda t: t["state"] * 1.0)
    cases = sd.cases_of_interest(runs, ["u"], "remedy", "base", "response_rate", "maximise", 0.1)
    assert list(cases["case"]) == [False, True]
    assert cases["improvement"].tolist() == pytest.approx([0.13, 0.07])
    assert cases.loc[1, "improvement_se"] == pytest.approx(0.02)
    lower = sd.cases_of_interest(runs, ["u"], "remedy", "base", "response_rate", "minimise", -0.1)
    # Minimising, the remedy's rise is a loss: -0.13 falls short of -0.1, -0.07 does not.
    assert lower["improvement"].tolist() == pytest.approx([-0.13, -0.07])
    assert list(lower["case"]) == [True, False]


def _synthetic(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """States where the remedy fails exactly when a > 0.6 and b < 0.5."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n), "c": rng.uniform(0, 1, n)}
    )
    return x, ((x["a"] > 0.6) & (x["b"] < 0.5)).to_numpy()


@pytest.mark.slow  # importing ema_workbench (statsmodels, scikit-learn): 4-30 s here
def test_prim_finds_the_known_failing_region():
    x, y = _synthetic()
    found = sd.prim(x, y, density=0.9)
    assert len(found.boxes) == 1
    box = found.boxes[0]
    assert box.density >= 0.9 and box.coverage >= 0.8
    limits = box.limits.set_index("uncertainty")
    assert set(limits.index) == {"a", "b"}, "c plays no part and is not restricted"
    assert limits.loc["a", "low"] == pytest.approx(0.6, abs=0.05)
    assert limits.loc["b", "high"] == pytest.approx(0.5, abs=0.05)
    assert limits.loc["a", "qp_low"] < 0.01 and math.isnan(limits.loc["a", "qp_high"])
    steps = found.trajectory
    assert steps["coverage"].iloc[0] == 1.0 and steps["density"].iloc[0] == pytest.approx(y.mean())
    assert (
        steps["density"].is_monotonic_increasing
        or steps["density"].iloc[-1] > steps["density"].iloc[0]
    )


@pytest.mark.slow  # importing ema_workbench (statsmodels, scikit-learn): 4-30 s here
def test_cart_leaves_with_a_majority_of_cases_cover_the_region():
    x, y = _synthetic()
    found = sd.cart(x, y, mass_min=0.05)
    assert found.boxes and all(b.density > 0.5 for b in found.boxes)
    assert sum(b.coverage for b in found.boxes) >= 0.9
    assert found.trajectory["states"].sum() == len(x), "the leaves partition the states"
    again = sd.cart(x, y, mass_min=0.05)
    assert again.boxes_table().equals(found.boxes_table()), "seeded: the same boxes"


@pytest.mark.slow  # importing ema_workbench (statsmodels, scikit-learn): 4-30 s here
def test_no_cases_of_interest_gives_no_box_and_says_why():
    x, _ = _synthetic(40)
    found = sd.prim(x, np.zeros(40, dtype=bool))
    assert found.boxes == [] and "no cases of interest" in found.notes[0]


def test_a_missing_library_names_the_extra_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ema(name, *args, **kwargs):
        if name.startswith("ema_workbench"):
            raise ImportError("No module named 'ema_workbench'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ema)
    with pytest.raises(sd.MissingExtraError, match=r"'explore' extra .*\.\[explore\]"):
        sd.require_ema()


# --------------------------------------------------------------------------- end to end


TINY_FILE = """\
name = "tiny"
policies = ["baseline", "closed_loop"]
states = 5
replications = 2
days = 2

[set]
"population.citizens" = 300

[uncertainties]
"population.need_rate_per_day" = [0.005, 0.02]
"channels.address_base" = { distribution = "triangular", low = 0.5, mode = 0.75, high = 0.95 }

[outcomes]
response_rate = { direction = "maximise", threshold = 0.3 }
p90_response_hours = { direction = "minimise" }

[discovery]
margin = 1.5  # more than any share can gain: every state is a case
"""


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_explore_then_discover_end_to_end(tmp_path, capsys):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_FILE)
    out_dir = tmp_path / "out"
    code, out, err = _cli(capsys, "explore", path, "--out", out_dir)
    assert code == 0, err
    assert "regret" in out and "closed_loop" in out and "meets threshold" in out
    outcomes = pd.read_csv(out_dir / "outcomes.csv")
    assert len(outcomes) == 2 * 5 * 2
    seeds = outcomes.pivot_table(index=["state", "replication"], columns="policy", values="seed")
    assert (seeds["baseline"] == seeds["closed_loop"]).all(), "common random numbers"
    assert sorted(outcomes["seed"].unique()) == [1, 2]
    states = pd.read_csv(out_dir / "states.csv")
    assert len(states) == 5 and states["channels.address_base"].between(0.5, 0.95).all()
    merged = outcomes.merge(states, on="state", suffixes=("", "_state"))
    assert np.allclose(
        merged["population.need_rate_per_day"], merged["population.need_rate_per_day_state"]
    )
    summary = pd.read_csv(out_dir / "robustness.csv")
    assert set(summary["outcome"]) == {"response_rate", "p90_response_hours"}
    assert (summary["mean_regret"] >= 0).all()
    assert "## Robustness" in (out_dir / "report.md").read_text()
    assert (out_dir / "regret.png").stat().st_size > 5000
    record = tomllib.loads((out_dir / "exploration.toml").read_text())
    assert record["baseline"] == "baseline" and record["outputs"]["dir"] == str(out_dir.resolve())

    code, _, err = _cli(capsys, "explore", path, "--out", out_dir)
    assert code == 2 and "--resume" in err, "an exploration's folder is continued only on request"
    code, out, err = _cli(capsys, "explore", path, "--out", out_dir, "--resume", "--no-figures")
    assert code == 0, err

    code, out, err = _cli(capsys, "discover", out_dir)
    assert code == 0, err
    assert "Where does 'closed_loop' fail to beat 'baseline' by 150.0 pp" in out
    cases = pd.read_csv(out_dir / "cases.csv")
    assert len(cases) == 5 and cases["case"].all(), "no share gains 150 pp: every state fails"
    assert (out_dir / "discovery-prim.md").is_file()
    assert (out_dir / "discovery-prim-tradeoff.png").stat().st_size > 5000
    code, out, err = _cli(capsys, "discover", out_dir, "--method", "cart", "--margin", "-1")
    assert code == 0, err
    assert "no cases of interest" in out
    code, _, err = _cli(capsys, "discover", out_dir, "--policy", "closed_lop")
    assert code == 2 and "did you mean 'closed_loop'" in err
