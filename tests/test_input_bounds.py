"""Inputs that used to hang, crash or be silently ignored, each refused or made to work.

The reliability cases one by one: tiny task times, NaN and inf, rhythms, Beta
parameters, overnight shifts, misspelt department names, events outside the run,
oversized worlds (the memory guard), oversized experiment plans (the run cap) and
calibration records spanning millennia.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from simulation import resources
from simulation.calendar import Calendar
from simulation.calibration.records import DataError, read_records
from simulation.cli import main
from simulation.experiment.files import MAX_RUNS, ExperimentFileError, load_experiment
from simulation.runner import run_one
from simulation.scenario import ScenarioError, load_scenario

TINY = {"population.citizens": 300, "run.days": 1}


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("staffing.release_minutes", 0.01, "greater than or equal to 5"),
        ("staffing.release_minutes", 5e-324, "greater than or equal to 5"),
        ("staffing.handling_minutes", float("inf"), "finite number"),
        ("population.complexity_concentration", 1e-300, "greater than or equal to 0.1"),
        ("staffing.choice_temperature", 5e-324, "greater than or equal to 0.01"),
        ("events", [{"type": "rumour", "topic": "pensions", "day": float("inf")}], "finite"),
    ],
)
def test_values_that_hung_or_crashed_are_refused_naming_the_option(key, value, expected):
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {**TINY, key: value})
    assert info.value.source == "--set"
    assert info.value.field.startswith(key), info.value
    assert expected in info.value.message


@pytest.mark.parametrize("bad", [float("nan"), 1e308, -1.0])
def test_a_bad_rhythm_weight_is_refused_at_its_place(bad):
    weights = [1.0] * 24
    weights[5] = bad
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {"population.daily_rhythm": weights})
    assert info.value.field == "population.daily_rhythm[5]", info.value


def test_the_smallest_allowed_release_time_runs_quickly():
    scenario = load_scenario("baseline", {**TINY, "staffing.release_minutes": 5.0})
    started = time.perf_counter()
    run_one(scenario, seed=1)
    assert time.perf_counter() - started < 10.0


# --------------------------------------------------------------------------- shifts


def test_an_overnight_extended_shift_covers_the_night():
    scenario = load_scenario(
        "baseline",
        {
            "staffing.shifts": "extended",
            "staffing.extended_hours_start": 22,
            "staffing.extended_hours_end": 6,
        },
    )
    on_duty = Calendar(scenario, 2).shift_pattern("extended", (22, 6))
    hours_of_day = np.flatnonzero(on_duty[:24])
    assert list(hours_of_day) == [0, 1, 2, 3, 4, 5, 22, 23]
    day_shift = Calendar(scenario, 2).shift_pattern("extended", (8, 22))
    assert list(np.flatnonzero(day_shift[:24])) == list(range(8, 22))


def test_operators_on_an_overnight_shift_reply():
    scenario = load_scenario(
        "baseline",
        {
            **TINY,
            "run.days": 2,
            "population.citizens": 2000,
            "staffing.shifts": "extended",
            "staffing.extended_hours_start": 22,
            "staffing.extended_hours_end": 6,
            "staffing.reply_propensity": 2.0,
            "mechanism.release_time_share": 0.0,
        },
    )
    assert run_one(scenario, seed=1).summary["response_rate"] > 0


def test_an_extended_shift_of_no_hours_is_refused():
    with pytest.raises(ScenarioError, match="overnight shift") as info:
        load_scenario(
            "baseline",
            {
                "staffing.shifts": "extended",
                "staffing.extended_hours_start": 9,
                "staffing.extended_hours_end": 9,
            },
        )
    assert info.value.field == "staffing.extended_hours_end"


# --------------------------------------------------------------------------- departments


def test_a_misspelt_department_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text('extends = "baseline"\n[departments.pensoins]\nstaff = 4\n', "utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.source == str(path)
    assert info.value.field == "departments.pensoins"
    assert "did you mean 'pensions'?" in info.value.message
    assert "population.topic_mix" in info.value.message


def test_a_misspelt_department_in_set_is_blamed_on_the_option():
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", ["departments.employmnt.staff=3"])
    assert info.value.source == "--set"
    assert "did you mean 'employment'?" in info.value.message


def test_a_topic_mix_of_its_own_gives_exactly_its_departments(tmp_path):
    path = tmp_path / "own.toml"
    path.write_text(
        "[population]\ntopic_mix = { health = 0.7, housing = 0.3 }\n"
        "[departments.health]\nstaff = 3\n[departments.housing]\nstaff = 1\n",
        "utf-8",
    )
    scenario = load_scenario(path)
    assert list(scenario.departments) == ["health", "housing"]
    assert scenario.departments["health"].staff == 3


# --------------------------------------------------------------------------- events


def test_an_event_after_the_files_own_run_is_refused(tmp_path):
    path = tmp_path / "late.toml"
    path.write_text(
        'extends = "baseline"\n[run]\ndays = 30\n'
        '[[events]]\ntype = "rumour"\ntopic = "pensions"\nday = 40\n',
        "utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.source == str(path)
    assert info.value.field == "events[0].day"
    assert "0 ≤ day < 30" in info.value.message


def test_days_shortening_a_run_past_its_events_warns(capsys, tmp_path):
    code, out, err = run_cli(
        capsys,
        "run",
        "rumour_crisis",
        "--days",
        "2",
        "--set",
        "population.citizens=300",
        "-q",
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 0
    assert "microgov run: warning: events[0].day = 3.875 is after the end of the 2-day run" in err


# --------------------------------------------------------------------------- memory


def test_the_memory_guard_refuses_a_run_and_force_is_offered(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "available_bytes", lambda: (2e9, "MemAvailable"))
    code, _, err = run_cli(
        capsys,
        "run",
        "baseline",
        "--set",
        "population.citizens=20000000",
        "--days",
        "1",
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 2
    assert "population.citizens" in err and "2.0 GB available" in err and "--force" in err
    assert not (tmp_path / "out" / "summary.json").exists()


def test_the_memory_guard_counts_parallel_jobs(capsys, tmp_path, monkeypatch):
    per_run = resources.estimate_run_bytes(load_scenario("baseline", TINY))
    monkeypatch.setattr(resources, "available_bytes", lambda: (3.5 * per_run, "cgroup"))
    argv = [
        "compare",
        "baseline",
        "closed_loop",
        "-r",
        "2",
        "--days",
        "1",
        "--set",
        "population.citizens=300",
        "--out",
        str(tmp_path / "c"),
        "-q",
        "--no-figures",
    ]
    code, _, err = run_cli(capsys, *argv, "--jobs", "4")
    assert code == 2 and err.startswith("microgov compare: error: --jobs"), err
    assert "4 runs at once" in err
    code, _, err = run_cli(capsys, *argv, "--jobs", "2")
    assert code == 0, err


def test_available_memory_is_read_from_this_machine():
    figure = resources.available_bytes()
    assert figure is None or figure[0] > 0


# --------------------------------------------------------------------------- plans


def _experiment(tmp_path, body: str):
    path = tmp_path / "plan.toml"
    path.write_text(f'name = "plan"\n{body}', "utf-8")
    return path


def test_a_huge_grid_is_refused_without_being_made(tmp_path):
    levels = ", ".join(
        f'"staffing.{key}" = [{", ".join(str(v) for v in range(1, 11))}]'
        for key in ("operators", "max_reminders", "max_follow_ups", "max_escalations", "training")
    )
    path = _experiment(
        tmp_path,
        f'scenario = "baseline"\n[design]\ntype = "grid"\nparameters = {{ {levels} }}\n',
    )
    started = time.perf_counter()
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(path)
    assert time.perf_counter() - started < 5
    assert info.value.field == "max_runs"
    assert "100,000 design points" in info.value.message and f"{MAX_RUNS:,}" in info.value.message


def test_huge_replications_are_refused_and_the_cap_can_be_raised(tmp_path):
    path = _experiment(
        tmp_path, 'scenarios = ["baseline", "closed_loop"]\nreplications = 1000000000000\n'
    )
    with pytest.raises(ExperimentFileError, match="2,000,000,000,000 runs"):
        load_experiment(path)
    small = _experiment(tmp_path, 'scenarios = ["baseline", "closed_loop"]\nreplications = 6000\n')
    with pytest.raises(ExperimentFileError):
        load_experiment(small)
    assert load_experiment(small, max_runs=12_000).n_replications == 6000


def test_check_prints_runs_time_and_memory(capsys, tmp_path):
    path = _experiment(
        tmp_path,
        'scenario = "baseline"\nreplications = 2\n[set]\n"population.citizens" = 500\n'
        '[design]\ntype = "grid"\nparameters = { "staffing.operators" = [1, 2, 3] }\n',
    )
    code, out, _ = run_cli(capsys, "experiment", str(path), "--check")
    assert code == 0
    assert "6 runs" in out
    assert "estimated: run time about" in out and "peak memory about" in out


def test_sweep_options_are_capped_too(capsys, tmp_path):
    code, _, err = run_cli(
        capsys,
        "sweep",
        "baseline",
        "--grid",
        "staffing.operators=1,2",
        "-r",
        "10000",
        "--out",
        str(tmp_path / "s"),
    )
    assert code == 2 and "--max-runs" in err and "20,000 runs" in err


# --------------------------------------------------------------------------- records


def test_a_record_dated_in_the_far_future_is_refused(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text(
        "created,first_reply\n2024-01-01T09:00,2024-01-01T10:00\n9999-12-31T09:00,\n", "utf-8"
    )
    with pytest.raises(DataError) as info:
        read_records(path)
    assert "line 3" in info.value.field and "at most 3,650 days" in info.value.message
    with pytest.raises(DataError, match="from 1 to 3,650 days"):
        read_records(path, days=10**9)


@pytest.mark.parametrize("spread", [3.7e-249, 5e-324])
def test_a_tiny_skill_spread_is_no_spread(spread):
    """Found by fuzzing: sd² underflowed to 0 and the Beta parameters divided by it."""
    scenario = load_scenario("baseline", {**TINY, "staffing.skill_sd": spread})
    assert run_one(scenario, seed=1).summary["needs"] >= 0
