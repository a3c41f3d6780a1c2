"""Experiment files: a comparison or a parameter sweep declared in TOML.

Like a NetLogo BehaviorSpace experiment, an experiment file says what to run, how
often and what to keep, so that an experiment is data that can be reviewed, versioned
and re-run (`microgov experiment FILE`). Two kinds:

A **comparison** runs several scenarios on the same seeds and tests each against a
baseline::

    name = "remedies"
    description = "Each remedy of the study against the status quo."
    scenarios = ["baseline", "closed_loop", "joint", "proactive"]
    baseline = "baseline"            # default: the first scenario
    replications = 10                # seeds seed, seed+1, …
    seed = 1
    days = 30                        # default: each scenario's run.days
    metrics = ["response_rate", "p90_response_hours", "mean_trust"]

    [set]                            # overrides applied to every scenario
    "population.citizens" = 5000

    [outputs]
    dir = "results"                  # inside this file's folder (default: out/<name>
                                     # where you run it; --out overrides both)
    figures = true
    format = "csv"                   # or "parquet"

A **sweep** runs one scenario over a design of parameter values::

    name = "staffing_grid"
    scenario = "baseline"
    replications = 3

    [design]
    type = "grid"                    # or "lhs" (Latin hypercube) or "sobol"
    parameters = { "staffing.operators" = [1, 2, 4], "staffing.training" = [0.0, 0.2] }
    # lhs / sobol: parameters = { "staffing.operators" = [1, 6] }  (low, high) and
    # samples = 64

`jobs = 2` runs on that many local processes; `scheduler = "dask"` with `jobs = 4` on a
local Dask cluster of four workers; `scheduler = "tcp://host:8786"` on a Dask cluster. A
Dask client runs what the scheduler sends back (it unpickles results), so a file cannot
choose where to connect by itself: a scheduler address in a file is refused unless the
caller trusts it (`load_experiment(..., scheduler=...)`, the command line's `--scheduler
ADDRESS` or `--allow-scheduler-from-file`). Scenario references are bundled names or
files relative to the experiment file. Everything is checked before anything runs: unknown keys (with "did you mean"),
metric names against the glossary, parameter keys and values against the scenario.
Errors are `ExperimentFileError`, a `ScenarioError`, naming the file and the field.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulation.experiment.designs import Grid, LatinHypercube, Sobol
from simulation.format import metric_name_problem
from simulation.scenario import (
    Scenario,
    ScenarioError,
    did_you_mean,
    load_scenario,
    parse_value,
)
from simulation.scenario.errors import validation_error
from simulation.scenario.load import read_toml
from simulation.scenario.schema import MAX_DAYS

DESIGN_TYPES = ("grid", "lhs", "sobol")
OUTPUT_FORMATS = ("csv", "parquet")
LOCAL_EXECUTORS = ("serial", "processes", "dask")
WORKER_POOLS = ("processes", "dask")  # local executors whose workers `jobs` counts
DEFAULT_REPLICATIONS = {"comparison": 10, "sweep": 1}
DESIGN_OPTIONS = {"grid": "--grid", "lhs": "--lhs", "sobol": "--sobol"}  # the CLI's names
# Keys of an exploration file (`simulation.experiment.explore`), which `microgov explore` runs.
EXPLORATION_KEYS = ("uncertainties", "levers", "outcomes", "policies")
# The most runs an experiment may plan unless it says otherwise (`max_runs`,
# `--max-runs`): about 3 hours of 10,000-citizen, 30-day runs on two cores, and a bound
# on a mistyped size (replications = 10**12) that would otherwise hang before any run.
MAX_RUNS = 10_000
MAX_JOBS = 1024  # local worker processes: far more than any machine's cores


class ExperimentFileError(ScenarioError):
    """An experiment (file or command-line options) that cannot be used.

    A `ScenarioError`, so whatever handles scenario errors handles these: `source` is
    the file or the option (`--grid`), `field` the dotted path, `message` what is wrong
    and what is allowed.
    """


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Design(_Section):
    """Which parameter values a sweep runs."""

    type: Literal["grid", "lhs", "sobol"] = Field(
        description="'grid' (every combination of listed values), 'lhs' (Latin hypercube "
        "sample of ranges) or 'sobol' (Saltelli sample for Sobol sensitivity indices)."
    )
    parameters: dict[str, list[Any]] = Field(
        description="Dotted scenario keys to vary: a list of values for 'grid', "
        "[low, high] for 'lhs' and 'sobol'."
    )
    samples: int | None = Field(
        None,
        ge=1,
        description="Points of an 'lhs' design; base sample size N of a 'sobol' design "
        "(N × (D + 2) runs for D parameters; a power of two is best).",
    )
    seed: int = Field(0, ge=0, description="Seed of the design's own sampling [integer].")

    @model_validator(mode="after")
    def _consistent(self) -> Design:
        if not self.parameters:
            raise ValueError("parameters: name at least one scenario key to vary")
        for key, values in self.parameters.items():
            if self.type == "grid":
                if not values:
                    raise ValueError(f"parameters.{key}: list at least one value")
            else:
                check_range(key, values)
        if self.type == "grid" and self.samples is not None:
            raise ValueError("samples: a grid runs every combination; 'samples' is for lhs/sobol")
        if self.type != "grid" and self.samples is None:
            raise ValueError(f"samples: a '{self.type}' design needs samples = N")
        return self

    def count(self) -> int:
        """Points of the design, computed without making them."""
        if self.type == "grid":
            return math.prod(len(values) for values in self.parameters.values())
        assert self.samples is not None  # _consistent requires samples for lhs and sobol
        if self.type == "sobol":
            return self.samples * (len(self.parameters) + 2)
        return self.samples

    def build(self) -> Grid | LatinHypercube | Sobol:
        """The engine's design object."""
        if self.type == "grid":
            return Grid(dict(self.parameters))
        ranges = {key: (values[0], values[1]) for key, values in self.parameters.items()}
        maker = LatinHypercube if self.type == "lhs" else Sobol
        assert self.samples is not None  # _consistent requires samples for lhs and sobol
        return maker(ranges, samples=self.samples, seed=self.seed)


class Outputs(_Section):
    """Where and how results are written."""

    dir: str | None = Field(
        None,
        description="Output folder, relative to the experiment file's folder and inside it "
        "(a path leading elsewhere is refused; name such a folder with --out). Default: "
        "out/<name> in the current directory.",
    )
    figures: bool = Field(True, description="Also write figures (PNG).")
    format: Literal["csv", "parquet"] = Field("csv", description="Format of the tables.")
    items: bool = Field(
        False,
        description="Also keep every run's item table (one row per item): items.<format> "
        "for a comparison, the store's items/ folder and items.<format> for a sweep.",
    )


class Experiment(_Section):
    """A comparison of scenarios or a sweep of one scenario's parameters."""

    name: str = Field(description="Short name, used for the default output folder.")
    description: str = Field("", description="The question the experiment answers.")
    scenarios: list[str] | None = Field(
        None, description="Scenarios to compare (bundled names or files): a comparison."
    )
    scenario: str | None = Field(None, description="The one scenario a sweep varies.")
    baseline: str | None = Field(
        None, description="Scenario the others are compared with (default: the first)."
    )
    replications: int | None = Field(
        None,
        ge=1,
        description="Runs per scenario or design point, on seeds seed, seed+1, … "
        "(default 10 for a comparison, 1 for a sweep).",
    )
    seed: int = Field(1, ge=0, description="First root seed [integer].")
    days: int | None = Field(
        None,
        ge=1,
        le=MAX_DAYS,
        description="Days to simulate (default: each scenario's run.days).",
    )
    metrics: list[str] | None = Field(
        None, description="Metrics to summarise, test and plot (default: key metrics)."
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        alias="set",
        description="Dotted overrides applied to every scenario, as `--set` does.",
    )
    design: Design | None = Field(None, description="The design of a sweep.")
    outputs: Outputs = Field(
        default_factory=Outputs, description="Where results go and in which format."
    )
    jobs: int | None = Field(
        None,
        ge=1,
        le=MAX_JOBS,
        description="Local worker processes, at most 1024; with scheduler 'dask', the workers "
        "of the local Dask cluster (default: one per CPU).",
    )
    max_runs: int | None = Field(
        None,
        ge=1,
        description=f"Most runs the experiment may plan (default {MAX_RUNS:,}); a larger "
        "plan is refused before anything runs.",
    )
    scheduler: str | None = Field(
        None,
        description="Dask scheduler address (tcp://host:8786), or 'serial', 'processes', "
        "'dask' (a local Dask cluster of `jobs` workers).",
    )

    @model_validator(mode="before")
    @classmethod
    def _flatten_tables(cls, raw: Any) -> Any:
        """`[set.population] citizens = 1` is `"population.citizens" = 1` (also in design)."""
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        for key in ("set", "overrides"):
            if isinstance(raw.get(key), dict):
                raw[key] = _flatten(raw[key])
        design = raw.get("design")
        if isinstance(design, dict) and isinstance(design.get("parameters"), dict):
            raw["design"] = {**design, "parameters": _flatten(design["parameters"])}
        return raw

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        if self.scenarios is not None and self.scenario is not None:
            raise ValueError(
                "scenarios: give either 'scenarios' (a comparison) or 'scenario' with a "
                "[design] (a sweep), not both"
            )
        if self.design is not None:
            if self.scenario is None:
                raise ValueError(
                    "scenario: a sweep ([design]) varies one scenario; "
                    'write scenario = "baseline" (or a file)'
                )
            if self.baseline is not None:
                raise ValueError("baseline: a sweep has no baseline; it is for comparisons")
        else:
            if self.scenario is not None:
                raise ValueError(
                    "design: a single scenario needs a [design] to sweep; "
                    "to compare scenarios, list them in 'scenarios'"
                )
            if self.scenarios is None:
                raise ValueError(
                    "scenarios: list the scenarios to compare, or give 'scenario' and a "
                    "[design] for a sweep"
                )
            if len(self.scenarios) < 2:
                raise ValueError("scenarios: a comparison needs at least two scenarios")
            if len(set(self.scenarios)) != len(self.scenarios):
                raise ValueError("scenarios: each scenario may be listed once")
        if self.metrics is not None:
            self.metrics = check_metrics(self.metrics)
        self._check_size()
        # A scheduler at an address has its own workers; `jobs` counts a local pool's.
        if self.jobs is not None and self.scheduler not in (None, *WORKER_POOLS):
            raise ValueError(
                f"jobs: {self.jobs} workers are for a local pool ({' or '.join(WORKER_POOLS)}"
                f"); '{self.scheduler}' is not one: give 'jobs' or that scheduler, not both"
            )
        if self.scheduler is not None:
            check_scheduler(self.scheduler)
        return self

    def _check_size(self) -> None:
        """Refuse a plan of more runs than `max_runs`, counted without making it."""
        cap = self.max_runs or MAX_RUNS
        runs, what = self.plan_size()
        if runs > cap:
            raise ValueError(
                f"max_runs: the plan has {runs:,} runs ({what}), more than the cap of "
                f"{cap:,}; plan fewer runs, or allow more with max_runs = N (--max-runs N)"
            )

    def plan_size(self) -> tuple[int, str]:
        """Runs the experiment plans, and how (`4 scenarios × 10 replications`)."""
        reps = self.n_replications
        replications = f"{reps:,} replication{'s' * (reps != 1)}"
        if self.design is not None:
            points = self.design.count()
            return points * reps, f"{points:,} design points × {replications}"
        scenarios = len(self.scenarios or [])
        return scenarios * reps, f"{scenarios} scenarios × {replications}"

    # ------------------------------------------------------------------ what it is

    @property
    def kind(self) -> Literal["comparison", "sweep"]:
        """A sweep if the file has a [design], else a comparison."""
        return "sweep" if self.design is not None else "comparison"

    @property
    def n_replications(self) -> int:
        """Runs per scenario or point: `replications`, else 10 (comparison) or 1 (sweep)."""
        return self.replications or DEFAULT_REPLICATIONS[self.kind]

    def baseline_index(self, scenarios: list[Scenario] | None = None) -> int | None:
        """Position of the baseline among the scenarios (the first unless one is named).

        `baseline` may be a scenario as listed or, given the loaded `scenarios`, a
        scenario's name (`baseline = "baseline"` for `"../scenarios/baseline.toml"`).
        """
        if self.kind != "comparison":
            return None
        if self.baseline is None:
            return 0
        assert self.scenarios is not None  # _consistent: a comparison lists its scenarios
        if self.baseline in self.scenarios:
            return self.scenarios.index(self.baseline)
        names = [s.name for s in scenarios or []]
        if self.baseline in names:
            return names.index(self.baseline)
        return None

    def scenario_refs(self) -> list[str]:
        """The scenario references as written."""
        if self.scenarios is not None:
            return list(self.scenarios)
        assert self.scenario is not None  # _consistent: without scenarios, a sweep names one
        return [self.scenario]

    def executor(self) -> str | None:
        """The engine's executor: a scheduler, local processes for jobs > 1, else serial."""
        if self.scheduler is not None:
            return self.scheduler
        if self.jobs is not None and self.jobs > 1:
            return "processes"
        return None

    # ------------------------------------------------------------------ writing

    def to_dict(self) -> dict[str, Any]:
        """The file's content as a TOML-ready dict (unset fields left out)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if not data.get("set"):
            data.pop("set", None)
        return data

    def to_toml(self) -> str:
        """The file's content as TOML text (see `to_dict`)."""
        return tomli_w.dumps(self.to_dict())


# --------------------------------------------------------------------------- checks


def check_metrics(metrics: list[str] | str, source: str | None = None) -> list[str]:
    """Metric names (a list or "a,b,c") checked against the glossary, with a hint."""
    names = [m.strip() for m in metrics.split(",")] if isinstance(metrics, str) else metrics
    names = [m for m in names if m]
    if not names:
        raise _error(source, "metrics", "name at least one metric")
    for name in names:
        problem = metric_name_problem(name)
        if problem:
            raise _error(source, "metrics", problem)
    if len(set(names)) != len(names):
        raise _error(source, "metrics", "each metric may be listed once")
    return list(names)


def _error(source: str | None, field: str, message: str) -> Exception:
    """An ExperimentFileError for options; a ValueError inside pydantic validation."""
    if source is None:
        return ValueError(f"{field}: {message}")
    return ExperimentFileError(source, None, message)


def check_scheduler(address: str, source: str | None = None) -> str:
    """A scheduler address (`scheme://…`) or a local executor name, returned as given.

    Raises an ExperimentFileError naming `source` (a ValueError without one) otherwise.
    """
    if address in LOCAL_EXECUTORS or "://" in address:
        return address
    raise _error(
        source,
        "scheduler",
        f"'{address}' is neither a scheduler address such as tcp://10.0.0.5:8786 nor one "
        f"of {', '.join(LOCAL_EXECUTORS)}",
    )


def check_range(key: str, values: Any, source: str | None = None) -> tuple[float, float]:
    """A [low, high] pair of numbers with low < high."""
    field = f"parameters.{key}"
    if (
        not isinstance(values, list | tuple)
        or len(values) != 2
        or not all(_is_number(v) for v in values)
    ):
        raise _error(source, field, f"give [low, high], two numbers (got {values!r})")
    low, high = values
    if not low < high:
        raise _error(source, field, f"low must be below high (got {low} ≥ {high})")
    return low, high


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def check_parameters(
    scenario: Scenario, parameters: dict[str, list[Any]], source: str, field: str | None = None
) -> None:
    """Every swept key exists in the scenario and every value (or bound) is allowed there.

    Each value is applied to the scenario as a dotted override and validated, so a
    misspelt key gets the scenario's "did you mean" and a value out of range its limit.
    """
    for key, values in parameters.items():
        where = f"{field}.{key}" if field else key
        if key in ("name", "description") or key.startswith("run.seed"):
            raise ExperimentFileError(
                source, where, "cannot be swept (seeds come from 'seed' and 'replications')"
            )
        for value in values:
            try:
                scenario.with_overrides({key: value})
            except ScenarioError as exc:
                detail = exc.message
                if exc.field and exc.field != key:
                    detail = f"{exc.field}: {detail}"
                raise ExperimentFileError(source, where, detail) from None


# --------------------------------------------------------------------------- loading


def resolve_scenario_ref(ref: str, base_dir: Path | None) -> str:
    """A file next to the experiment file, else the reference as given (a bundled name)."""
    if base_dir is None:
        return ref
    candidate = Path(ref)
    if not candidate.is_absolute() and (base_dir / candidate).exists():
        return str(base_dir / candidate)
    return ref


def load_experiment(
    path: str | os.PathLike,
    *,
    scheduler: str | None = None,
    allow_scheduler_from_file: bool = False,
    max_runs: int | None = None,
) -> Experiment:
    """Read, validate and check an experiment file, and the scenarios it names.

    `scheduler`: where the caller runs it (an address or a local executor name); it
    replaces the file's `scheduler` and `jobs`. A scheduler address written in the file
    is refused unless `allow_scheduler_from_file` (see `check_file_scheduler`).
    `max_runs` replaces the file's own cap on the number of runs (`--max-runs`).
    """
    path = Path(path)
    source = str(path)
    raw = read_toml(path, error=ExperimentFileError)
    raw.setdefault("name", path.stem)
    exploring = [key for key in EXPLORATION_KEYS if key in raw]
    if exploring:
        raise ExperimentFileError(
            source,
            exploring[0],
            "this is an exploration file (policies across states of the world): run it "
            "with `microgov explore`",
        )
    if max_runs is not None:
        raw["max_runs"] = max_runs
    experiment = parse_experiment(raw, source)
    if scheduler is not None:
        check_scheduler(scheduler, "--scheduler")
        experiment = experiment.model_copy(update={"scheduler": scheduler, "jobs": None})
    else:
        check_file_scheduler(experiment, source, allow_scheduler_from_file)
    check_experiment(experiment, source, base_dir=path.parent)
    return experiment


def is_remote_scheduler(address: str | None) -> bool:
    """Whether an executor names a Dask scheduler to connect to (not a local executor)."""
    return address is not None and address not in LOCAL_EXECUTORS


def check_file_scheduler(experiment: Experiment, source: str, allowed: bool = False) -> None:
    """Refuse a scheduler address that comes from the file alone.

    Connecting to a Dask scheduler means running what it sends back (Dask unpickles
    results), so a file someone else wrote must not choose one: the user names the
    same address on the command line (`--scheduler`), or says the file is trusted
    (`--allow-scheduler-from-file`).
    """
    if allowed or not is_remote_scheduler(experiment.scheduler):
        return
    raise ExperimentFileError(
        source,
        "scheduler",
        f"'{experiment.scheduler}': a scheduler address in an experiment file is used only "
        "when you confirm it, because a Dask client runs what the scheduler sends back: "
        f"pass --scheduler {experiment.scheduler} (connect only to clusters you control), "
        "or --allow-scheduler-from-file if you trust the file",
    )


def parse_experiment(raw: dict[str, Any], source: str) -> Experiment:
    """Validate the file's content (no scenario is loaded)."""
    try:
        return Experiment.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(exc, source, Experiment, ExperimentFileError) from None


def check_experiment(
    experiment: Experiment,
    source: str,
    base_dir: Path | None = None,
    *,
    from_options: bool = False,
) -> list[Scenario]:
    """Load the experiment's scenarios (with `set` and `days`) and check the rest.

    Checks the baseline against the scenarios and every swept key and value against the
    sweep's scenario. `from_options`: the experiment came from command-line options, so
    errors name the option (`--baseline`, `--grid`) and a scenario's own error is
    passed on as it is (as `microgov run` reports it).
    """
    scenarios = load_scenarios(experiment, source, base_dir, wrap=not from_options)
    names = [s.name for s in scenarios]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ExperimentFileError(
            "SCENARIO" if from_options else source,
            None if from_options else "scenarios",
            f"two scenarios are named '{duplicates[0]}'; results are told apart by name, "
            "so give each file its own name",
        )
    if experiment.kind == "comparison" and experiment.baseline_index(scenarios) is None:
        assert experiment.scenarios is not None  # _consistent: a comparison lists them
        choices = list(dict.fromkeys([*experiment.scenarios, *names]))
        raise ExperimentFileError(
            "--baseline" if from_options else source,
            None if from_options else "baseline",
            f"'{experiment.baseline}' is not one of the scenarios"
            f"{did_you_mean(experiment.baseline, choices)}; scenarios: {', '.join(choices)}",
        )
    _check_unit_metrics(experiment, scenarios, source, from_options)
    if experiment.design is not None:
        if from_options:
            check_parameters(
                scenarios[0], experiment.design.parameters, DESIGN_OPTIONS[experiment.design.type]
            )
        else:
            check_parameters(
                scenarios[0], experiment.design.parameters, source, field="design.parameters"
            )
    return scenarios


def _check_unit_metrics(
    experiment: Experiment, scenarios: list[Scenario], source: str, from_options: bool
) -> None:
    """Each `<metric>@<unit>` metric names an account or platform of a scenario run here."""
    if not experiment.metrics:
        return
    from simulation.accounts import unit_names

    units = {s.name: unit_names(s) for s in scenarios}
    for name in experiment.metrics:
        problem = metric_name_problem(name, units)
        if problem:
            raise ExperimentFileError(
                "--metrics" if from_options else source,
                None if from_options else "metrics",
                problem,
            )


def load_scenarios(
    experiment: Experiment, source: str, base_dir: Path | None = None, *, wrap: bool = True
) -> list[Scenario]:
    """The experiment's scenarios, resolved, with `set` and `days` applied.

    `wrap`: a scenario's error is reported as the experiment file's (naming the entry
    in `scenarios` or the `set` table); otherwise it is raised as it is.
    """
    overrides = dict(experiment.overrides)
    if experiment.days is not None:
        overrides["run.days"] = experiment.days  # in the hash, as `microgov run --days`
    scenarios = []
    for index, ref in enumerate(experiment.scenario_refs()):
        field = "scenario" if experiment.scenario is not None else f"scenarios[{index}]"
        try:
            scenarios.append(load_scenario(resolve_scenario_ref(ref, base_dir), overrides))
        except ScenarioError as exc:
            if (
                exc.source == "--set"
                and exc.field == "run.days"
                and experiment.days is not None
                and "run.days" not in experiment.overrides
            ):  # run.days came from the experiment's `days` (or --days)
                raise ExperimentFileError(
                    source if wrap else "--days", "days" if wrap else None, exc.message
                ) from None
            if not wrap:
                raise
            if exc.source == "--set":  # an override in the file's [set] table
                raise ExperimentFileError(
                    source, f"set.{exc.field}" if exc.field else "set", exc.message
                ) from None
            where = f"{exc.source}: {exc.field}" if exc.field else exc.source
            raise ExperimentFileError(source, field, f"{where}: {exc.message}") from None
    return scenarios


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


# --------------------------------------------------------------------------- options


def parse_grid_options(options: list[str], source: str = "--grid") -> dict[str, list[Any]]:
    """`["staffing.operators=1,2,4", …]` → `{"staffing.operators": [1, 2, 4], …}`."""
    parameters: dict[str, list[Any]] = {}
    for text in options:
        key, values_text = _split_option(text, source, "staffing.operators=1,2,4")
        values = [parse_value(v.strip()) for v in values_text.split(",") if v.strip()]
        if not values:
            raise ExperimentFileError(source, key, "list at least one value: key=v1,v2,…")
        if key in parameters:
            raise ExperimentFileError(source, key, "given twice")
        parameters[key] = values
    return parameters


def parse_range_options(options: list[str], source: str) -> dict[str, list[float]]:
    """`["staffing.training=0:0.3", …]` → `{"staffing.training": [0.0, 0.3], …}`."""
    parameters: dict[str, list[float]] = {}
    for text in options:
        key, bounds = _split_option(text, source, "staffing.training=0:0.3")
        parts = bounds.split(":")
        values = [parse_value(p.strip()) for p in parts]
        if len(parts) != 2 or not all(_is_number(v) for v in values):
            raise ExperimentFileError(
                source, key, f"expected key=low:high with two numbers (got '{bounds}')"
            )
        if not values[0] < values[1]:
            raise ExperimentFileError(
                source, key, f"low must be below high (got {values[0]} ≥ {values[1]})"
            )
        if key in parameters:
            raise ExperimentFileError(source, key, "given twice")
        parameters[key] = values
    return parameters


def _split_option(text: str, source: str, example: str) -> tuple[str, str]:
    key, sep, rest = text.partition("=")
    if not sep or not key.strip() or not rest.strip():
        raise ExperimentFileError(
            source, None, f"expected key=values, e.g. {example} (got '{text}')"
        )
    return key.strip(), rest.strip()
