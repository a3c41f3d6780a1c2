"""Experiment files: the bundled ones load, files round-trip, bad files say what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.experiment.files import (
    Experiment,
    ExperimentFileError,
    check_metrics,
    load_experiment,
    parse_grid_options,
    parse_range_options,
)
from simulation.scenario import ScenarioError, load_scenario

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*.toml")), ids=lambda p: p.stem)
def test_bundled_experiments_load(path):
    experiment = load_experiment(path)
    assert experiment.name == path.stem, "a bundled experiment is named after its file"
    assert experiment.description, "a bundled experiment says what it asks"
    assert path.read_text().startswith("#"), "a bundled experiment explains itself"


def test_bundled_examples_cover_both_kinds():
    kinds = {load_experiment(p).kind for p in EXPERIMENTS.glob("*.toml")}
    assert kinds == {"comparison", "sweep"}


def _write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


COMPARISON = """
name = "cmp"
description = "two scenarios"
scenarios = ["baseline", "mine.toml"]
baseline = "mine.toml"
replications = 3
seed = 5
days = 2
metrics = ["response_rate", "mean_trust"]
jobs = 2

[set.population]
citizens = 300

[outputs]
dir = "results/cmp"
figures = false
format = "parquet"
"""

SWEEP = """
name = "sweep"
scenario = "baseline"

[set]
"population.citizens" = 300

[design]
type = "sobol"
samples = 8
seed = 3
parameters = { "staffing.training" = [0.0, 0.3], accountability.strength = [0, 2] }
"""


def test_comparison_fields_and_defaults(tmp_path):
    _write(tmp_path, 'extends = "baseline.toml"\nname = "mine"\n', "mine.toml")
    experiment = load_experiment(_write(tmp_path, COMPARISON))
    assert experiment.kind == "comparison"
    assert experiment.baseline_index() == 1
    assert experiment.overrides == {"population.citizens": 300}, "tables flatten to dotted keys"
    assert experiment.outputs.format == "parquet" and experiment.outputs.figures is False
    assert experiment.executor() == "processes" and experiment.n_replications == 3


def test_sweep_fields_and_defaults(tmp_path):
    experiment = load_experiment(_write(tmp_path, SWEEP))
    assert experiment.kind == "sweep" and experiment.n_replications == 1
    assert experiment.design.parameters == {
        "staffing.training": [0.0, 0.3],
        "accountability.strength": [0, 2],
    }
    assert experiment.executor() is None, "serial unless jobs or a scheduler are given"
    assert experiment.outputs.dir is None and experiment.outputs.figures is True


@pytest.mark.parametrize("text", [COMPARISON, SWEEP], ids=["comparison", "sweep"])
def test_round_trip(tmp_path, text):
    _write(tmp_path, 'extends = "baseline.toml"\nname = "mine"\n', "mine.toml")
    first = load_experiment(_write(tmp_path, text))
    again = load_experiment(_write(tmp_path, first.to_toml(), "again.toml"))
    assert again == first, f"{first.to_toml()}\n≠\n{again.to_toml()}"


def test_scenarios_get_set_and_days(tmp_path):
    from simulation.experiment.files import load_scenarios

    _write(tmp_path, 'extends = "baseline.toml"\nname = "mine"\n', "mine.toml")
    experiment = load_experiment(_write(tmp_path, COMPARISON))
    scenarios = load_scenarios(experiment, "exp.toml", tmp_path)
    assert [s.name for s in scenarios] == ["baseline", "mine"]
    expected = load_scenario("baseline", {"population.citizens": 300, "run.days": 2})
    assert scenarios[0].content_hash() == expected.content_hash()


BAD = [
    (
        'scenarios = ["baseline", "closed_loop"]\nreplicatons = 3\n',
        ["replicatons", "did you mean 'replications'?"],
    ),
    ('scenarios = ["baseline", "closed_lop"]\n', ["scenarios[1]", "did you mean 'closed_loop'?"]),
    (
        'scenarios = ["baseline", "closed_loop"]\nmetrics = ["mean_trst"]\n',
        ["metrics", "unknown metric 'mean_trst'", "did you mean 'mean_trust'?"],
    ),
    (
        'scenarios = ["baseline", "closed_loop"]\nbaseline = "closed"\n',
        ["baseline", "did you mean 'closed_loop'?"],
    ),
    ('scenarios = ["baseline"]\n', ["at least two scenarios"]),
    ('scenario = "baseline"\n', ["design", "needs a [design]"]),
    ('name = "x"\n', ["scenarios", "list the scenarios"]),
    (
        'scenario = "baseline"\n[design]\ntype = "lhs"\nsamples = 4\n'
        'parameters = { "staffing.training" = [0.3, 0.1] }\n',
        ["design.parameters.staffing.training", "low must be below high"],
    ),
    (
        'scenario = "baseline"\n[design]\ntype = "sobol"\n'
        'parameters = { "staffing.training" = [0.0, 0.3] }\n',
        ["design.samples", "needs samples"],
    ),
    (
        'scenario = "baseline"\n[design]\ntype = "grid"\nsamples = 3\n'
        'parameters = { "staffing.operators" = [1] }\n',
        ["design.samples", "every combination"],
    ),
    (
        'scenario = "baseline"\n[design]\ntype = "grid"\n'
        'parameters = { "staffing.operatorz" = [1, 2] }\n',
        ["design.parameters.staffing.operatorz", "did you mean 'operators'?"],
    ),
    (
        'scenario = "baseline"\n[design]\ntype = "grid"\n'
        'parameters = { "staffing.operators" = [1, -2] }\n',
        ["design.parameters.staffing.operators", "greater than or equal to 0", "-2"],
    ),
    (
        'scenario = "baseline"\n[design]\ntype = "grd"\nparameters = { "staffing.operators" = [1] }\n',
        ["design.type", "'grid', 'lhs' or 'sobol'"],
    ),
    (
        'scenario = "baseline"\n[design]\ntype = "grid"\nparameters = { "run.seed" = [1, 2] }\n',
        ["design.parameters.run.seed", "cannot be swept"],
    ),
    (
        'scenarios = ["baseline", "closed_loop"]\n[set]\n"population.citizenz" = 300\n',
        ["set.population.citizenz", "did you mean 'citizens'?"],
    ),
    (
        'scenarios = ["baseline", "closed_loop"]\n[outputs]\nfromat = "csv"\n',
        ["outputs.fromat", "did you mean 'format'?"],
    ),
    (
        'scenarios = ["baseline", "closed_loop"]\n[outputs]\nformat = "xlsx"\n',
        ["outputs.format", "'csv' or 'parquet'"],
    ),
    (
        'scenarios = ["baseline", "closed_loop"]\njobs = 2\nscheduler = "tcp://h:8786"\n',
        ["jobs", "not both"],
    ),
    ('scenarios = ["baseline", "closed_loop"]\nscheduler = "cluster"\n', ["scheduler", "tcp://"]),
    ('scenarios = ["baseline", "closed_loop"]\nreplications = 0\n', ["replications", "got 0"]),
    ("scenarios = [\n", ["invalid TOML"]),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_files_name_file_field_and_fix(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(path)
    message = str(info.value)
    assert isinstance(info.value, ScenarioError), "handled like a scenario error"
    assert message.startswith(str(path)), f"the message names the file: {message}"
    for part in expected:
        assert part in message, f"{message!r} lacks {part!r}"


def test_missing_file(tmp_path):
    with pytest.raises(ExperimentFileError, match="file not found"):
        load_experiment(tmp_path / "nope.toml")


def test_bad_scenario_file_is_named(tmp_path):
    _write(tmp_path, 'extends = "baseline.toml"\n[staffing]\noperators = "x"\n', "mine.toml")
    path = _write(tmp_path, 'scenarios = ["baseline", "mine.toml"]\n')
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(path)
    message = str(info.value)
    assert "scenarios[1]" in message and "mine.toml" in message
    assert "staffing.operators" in message, message


def test_command_line_options():
    assert parse_grid_options(["staffing.operators=1,2,4", "staffing.shifts=office,24x7"]) == {
        "staffing.operators": [1, 2, 4],
        "staffing.shifts": ["office", "24x7"],
    }
    assert parse_range_options(["staffing.training=0:0.3"], "--lhs") == {
        "staffing.training": [0, 0.3]
    }
    assert check_metrics("response_rate, mean_trust") == ["response_rate", "mean_trust"]
    for call, expected in (
        (lambda: parse_grid_options(["staffing.operators"]), "expected key=values"),
        (lambda: parse_grid_options(["a=1", "a=2"]), "given twice"),
        (lambda: parse_range_options(["k=1:x"], "--lhs"), "two numbers"),
        (lambda: parse_range_options(["k=1"], "--sobol"), "low:high"),
        (lambda: parse_range_options(["k=2:1"], "--lhs"), "low must be below high"),
        (lambda: check_metrics("response_rte", "--metrics"), "did you mean 'response_rate'?"),
    ):
        with pytest.raises(ExperimentFileError, match=expected):
            call()


def test_schema_documents_every_field():
    from simulation.experiment.files import Design, Outputs

    for model in (Experiment, Design, Outputs):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


def test_baseline_by_scenario_name(tmp_path):
    from simulation.experiment.files import load_scenarios

    _write(tmp_path, 'extends = "baseline.toml"\nname = "mine"\n', "mine.toml")
    path = _write(tmp_path, 'scenarios = ["baseline", "mine.toml"]\nbaseline = "mine"\n')
    experiment = load_experiment(path)
    scenarios = load_scenarios(experiment, str(path), tmp_path)
    assert experiment.baseline_index(scenarios) == 1, "a file's scenario named by its name"
