"""Exploratory modelling: uncertainties, levers and outcomes declared in an exploration file.

An *exploration file* asks how well each policy does across many possible worlds, in
the manner of the EMA Workbench (Kwakkel 2017): the **uncertainties** are settings of
the environment and of behaviour that nobody controls (ranges or distributions), the
**levers** the options the government chooses between (policies), the **outcomes** the
metrics judged, each with the direction that is better::

    name = "closed_loop_discovery"
    description = "Under which environments does the closed loop fail to raise replies?"
    policies = ["baseline", "closed_loop"]   # scenarios, each played as one policy
    baseline = "baseline"                    # default: the first policy
    states = 48                              # states of the world (Latin hypercube)
    state_seed = 0
    replications = 2                         # seeds seed, seed+1, … in every state
    seed = 1
    days = 21

    [set]
    "population.citizens" = 5000

    [uncertainties]                          # dotted scenario keys
    "population.need_rate_per_day" = [0.005, 0.02]          # uniform [low, high]
    "channels.address_base" = { distribution = "triangular", low = 0.5, mode = 0.75, high = 0.95 }
    "diffusion.repost_probability" = { distribution = "normal", mean = 0.005, sd = 0.002, low = 0.002, high = 0.01 }

    [levers]                                 # optional: every combination is a policy
    "mandate.reply_norm" = [0.0, 1.25]

    [outcomes]
    response_rate = { direction = "maximise", threshold = 0.4 }   # threshold: satisficing
    p90_response_hours = { direction = "minimise" }

    [discovery]                              # defaults of `microgov discover`
    policy = "closed_loop"
    outcome = "response_rate"
    margin = 0.10                            # fails where it beats the baseline by less

Policies are the scenarios listed in `policies`, or the one `scenario`, each combined
with every combination of the `[levers]` values. Every policy runs in every state of the
world, `replications` times; replication i runs with seed `seed + i` in every state and
for every policy (common random numbers), so policies in a state are compared on the
same draws. Each policy is one sweep (`simulation.experiment.api.sweep`) over the same
`Points` design, stored in its own folder, so an interrupted exploration resumes and runs
on every executor a sweep runs on.

`microgov explore FILE` runs it and reports robustness (`simulation.experiment.robustness`);
`microgov discover DIR` finds where a policy fails (`simulation.experiment.discovery`).
Errors are `ExperimentFileError`s naming the file, the field and what is allowed.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import tomli_w
from pydantic import Field, ValidationError, field_validator, model_validator

from simulation.experiment.files import (
    ExperimentFileError,
    Outputs,
    _flatten,
    _is_number,
    _Section,
    check_parameters,
    check_scheduler,
    resolve_scenario_ref,
)
from simulation.format import is_metric, metric_name_problem
from simulation.scenario import Scenario, ScenarioError, did_you_mean, load_scenario
from simulation.scenario.errors import validation_error

DISTRIBUTIONS = ("uniform", "triangular", "normal")
DIRECTIONS = ("maximise", "minimise")
_SPELLINGS = {"maximize": "maximise", "minimize": "minimise", "max": "maximise", "min": "minimise"}
DISCOVERY_METHODS = ("prim", "cart")
RECORD_FILE = "exploration.toml"  # the file as it ran, in the output folder
POLICIES_DIR = "policies"  # one sweep store per policy under it


# --------------------------------------------------------------------------- schema


class Uncertainty(_Section):
    """A setting nobody controls, and how its values are drawn across states of the world.

    Written `[low, high]` (uniform) or as a table with a `distribution`.
    """

    distribution: Literal["uniform", "triangular", "normal"] = Field(
        "uniform",
        description="'uniform' over [low, high] (integers when both bounds are integers), "
        "'triangular' with its peak at `mode`, or 'normal' (mean, sd) truncated to "
        "[low, high].",
    )
    low: int | float = Field(description="Lowest value drawn [the setting's unit].")
    high: int | float = Field(description="Highest value drawn [the setting's unit].")
    mode: float | None = Field(None, description="Peak of a triangular distribution.")
    mean: float | None = Field(
        None, description="Mean of a normal distribution (before truncation)."
    )
    sd: float | None = Field(
        None, description="Standard deviation of a normal distribution (before truncation)."
    )

    @model_validator(mode="before")
    @classmethod
    def _numbers(cls, raw: Any) -> Any:
        if isinstance(raw, list | tuple):
            if len(raw) != 2:
                raise ValueError(f"give [low, high], two numbers (got {list(raw)!r})")
            raw = {"low": raw[0], "high": raw[1]}
        if not isinstance(raw, dict):
            raise ValueError(
                f"give [low, high] or a table such as {{ distribution = 'triangular', low = 0, "
                f"mode = 1, high = 2 }} (got {raw!r})"
            )
        for name in ("low", "high", "mode", "mean", "sd"):
            if name in raw and not _is_number(raw[name]):
                raise ValueError(f"{name}: give a finite number (got {raw[name]!r})")
        return raw

    @model_validator(mode="after")
    def _consistent(self) -> Uncertainty:
        if not self.low < self.high:
            raise ValueError(f"low: must be below high (got {self.low} ≥ {self.high})")
        needs = {"uniform": (), "triangular": ("mode",), "normal": ("mean", "sd")}[
            self.distribution
        ]
        for name in ("mode", "mean", "sd"):
            given = getattr(self, name) is not None
            if name in needs and not given:
                raise ValueError(f"{name}: a {self.distribution} distribution needs {name}")
            if name not in needs and given:
                allowed = ", ".join(("low", "high", *needs))
                raise ValueError(
                    f"{name}: not used by a {self.distribution} distribution (it takes {allowed})"
                )
        if self.mode is not None and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode: must lie in [low, high] = [{self.low}, {self.high}]")
        if self.sd is not None and self.sd <= 0:
            raise ValueError(f"sd: must be above 0 (got {self.sd})")
        return self

    @property
    def integer(self) -> bool:
        """Whether values are integers: a uniform range with integer bounds."""
        return (
            self.distribution == "uniform"
            and isinstance(self.low, int)
            and isinstance(self.high, int)
        )

    def from_unit(self, unit: np.ndarray) -> list[Any]:
        """Values at the quantiles `unit` (in [0, 1)): the inverse of the distribution."""
        from scipy import stats

        from simulation.experiment.designs import _scale

        unit = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
        if self.distribution == "uniform":
            return _scale(unit, self.low, self.high)
        low, high = float(self.low), float(self.high)
        if self.distribution == "triangular":
            assert self.mode is not None  # _consistent
            c = (self.mode - low) / (high - low)
            values = stats.triang.ppf(unit, c, loc=low, scale=high - low)
        else:
            assert self.mean is not None and self.sd is not None  # _consistent
            a, b = (low - self.mean) / self.sd, (high - self.mean) / self.sd
            values = stats.truncnorm.ppf(unit, a, b, loc=self.mean, scale=self.sd)
        return [float(v) for v in np.clip(values, low, high)]

    def describe(self) -> str:
        """`uniform 0.005–0.02`, `triangular 0.5–0.95, mode 0.75`, `normal …`."""
        text = f"{self.distribution} {self.low:g} to {self.high:g}"
        if self.distribution == "triangular":
            text += f", mode {self.mode:g}"
        if self.distribution == "normal":
            text += f", mean {self.mean:g}, sd {self.sd:g} (truncated)"
        return text


class Outcome(_Section):
    """A metric judged across states of the world, with the direction that is better."""

    direction: Literal["maximise", "minimise"] = Field(
        description="'maximise' (more is better) or 'minimise' (less is better)."
    )
    threshold: float | None = Field(
        None,
        description="Satisficing threshold [the metric's unit]: a policy meets it in a "
        "state when its mean there is at least this (maximise) or at most this (minimise).",
    )

    @field_validator("direction", mode="before")
    @classmethod
    def _spelling(cls, value: Any) -> Any:
        return _SPELLINGS.get(value, value) if isinstance(value, str) else value


class Discovery(_Section):
    """What `microgov discover` looks for, unless its options say otherwise."""

    policy: str | None = Field(
        None, description="The policy examined (default: the first that is not the baseline)."
    )
    outcome: str | None = Field(None, description="The outcome judged (default: the first).")
    margin: float = Field(
        0.0,
        description="A state is a case of interest where the policy beats the baseline by "
        "less than this, in the outcome's better direction [the metric's unit; shares: "
        "0.10 is 10 percentage points].",
    )
    method: Literal["prim", "cart"] = Field(
        "prim", description="'prim' (patient rule induction) or 'cart' (a classification tree)."
    )
    density: float = Field(
        0.8,
        gt=0,
        le=1,
        description="PRIM: the box reported is the one of highest coverage on the peeling "
        "trajectory whose density (share of cases of interest inside) reaches this.",
    )
    mass_min: float = Field(
        0.05, gt=0, lt=1, description="Smallest share of the states a box may hold."
    )
    peel_alpha: float = Field(
        0.05, gt=0, lt=1, description="PRIM: share of the states peeled off at each step."
    )
    boxes: int = Field(1, ge=1, le=10, description="PRIM: boxes to find, one after another.")


class Exploration(_Section):
    """Policies run across sampled states of the world, and the outcomes that judge them."""

    name: str = Field(description="Short name, used for the default output folder.")
    description: str = Field("", description="The question the exploration answers.")
    policies: list[str] | None = Field(
        None, description="Scenarios (bundled names or files), each played as one policy."
    )
    scenario: str | None = Field(
        None, description="The one scenario the [levers] vary (instead of `policies`)."
    )
    levers: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="Dotted scenario keys and the values the government may choose; every "
        "combination (with each of `policies`) is a policy.",
    )
    baseline: str | None = Field(
        None, description="The policy others are compared with (default: the first)."
    )
    uncertainties: dict[str, Uncertainty] = Field(
        description="Dotted scenario keys nobody controls: [low, high] or a distribution."
    )
    outcomes: dict[str, Outcome] = Field(
        description="Metrics judged (names from the glossary) and their direction."
    )
    states: int = Field(
        32,
        ge=2,
        description="States of the world drawn (a Latin hypercube over the uncertainties).",
    )
    state_seed: int = Field(0, ge=0, description="Seed of the states' sample [integer].")
    replications: int = Field(
        2, ge=1, description="Runs per policy and state, on seeds seed, seed+1, … (common)."
    )
    seed: int = Field(1, ge=0, description="First root seed [integer].")
    days: int | None = Field(
        None, ge=1, description="Days to simulate (default: each scenario's run.days)."
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        alias="set",
        description="Dotted overrides applied to every policy, as `--set` does.",
    )
    discovery: Discovery = Field(
        default_factory=Discovery, description="Defaults of `microgov discover`."
    )
    outputs: Outputs = Field(
        default_factory=Outputs, description="Where results go and in which format."
    )
    jobs: int | None = Field(None, ge=1, description="Local worker processes.")
    scheduler: str | None = Field(
        None,
        description="Dask scheduler address (tcp://host:8786), or 'serial', 'processes', "
        "'dask' (a local Dask cluster).",
    )

    @model_validator(mode="before")
    @classmethod
    def _flatten_tables(cls, raw: Any) -> Any:
        """`[set.population] citizens = 1` is `"population.citizens" = 1` (also levers)."""
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        for key in ("set", "overrides", "levers"):
            if isinstance(raw.get(key), dict):
                raw[key] = _flatten(raw[key])
        if isinstance(raw.get("uncertainties"), dict):
            raw["uncertainties"] = _flatten_uncertainties(raw["uncertainties"])
        return raw

    @model_validator(mode="after")
    def _consistent(self) -> Exploration:
        if (self.policies is None) == (self.scenario is None):
            raise ValueError(
                "policies: give either 'policies' (scenarios, each a policy) or 'scenario' "
                "with [levers] (every combination of their values a policy)"
            )
        if self.policies is not None:
            if not self.policies:
                raise ValueError("policies: list at least one scenario")
            if len(set(self.policies)) != len(self.policies):
                raise ValueError("policies: each scenario may be listed once")
        for key, values in self.levers.items():
            if not isinstance(values, list) or not values:
                raise ValueError(f"levers.{key}: list the values the government may choose")
            if len({repr(v) for v in values}) != len(values):
                raise ValueError(f"levers.{key}: each value may be listed once")
        n_policies = len(self.policies or [None]) * math.prod(len(v) for v in self.levers.values())
        if n_policies < 2:
            raise ValueError(
                "levers: an exploration compares at least two policies; list two or more "
                "'policies' or give a lever two values"
            )
        if not self.uncertainties:
            raise ValueError("uncertainties: name at least one scenario key nobody controls")
        both = sorted(set(self.uncertainties) & set(self.levers))
        if both:
            raise ValueError(
                f"levers.{both[0]}: is also an uncertainty; a setting is either chosen "
                "(a lever) or not (an uncertainty)"
            )
        if not self.outcomes:
            raise ValueError(
                'outcomes: name at least one metric, e.g. response_rate = { direction = "maximise" }'
            )
        for name in self.outcomes:
            problem = metric_name_problem(name)
            if problem:
                raise ValueError(f"outcomes.{name}: {problem}")
        if self.discovery.outcome is not None and self.discovery.outcome not in self.outcomes:
            raise ValueError(
                f"discovery.outcome: '{self.discovery.outcome}' is not one of the outcomes"
                f"{did_you_mean(self.discovery.outcome, self.outcomes)}; outcomes: "
                f"{', '.join(self.outcomes)}"
            )
        if self.jobs is not None and self.scheduler is not None:
            raise ValueError("jobs: give 'jobs' (local processes) or 'scheduler', not both")
        if self.scheduler is not None:
            check_scheduler(self.scheduler)
        return self

    # ------------------------------------------------------------------ what it is

    @property
    def n_policies(self) -> int:
        """How many policies: scenarios × combinations of lever values."""
        return len(self.policies or [None]) * math.prod(len(v) for v in self.levers.values())

    @property
    def directions(self) -> dict[str, str]:
        """Outcome → 'maximise' or 'minimise'."""
        return {name: outcome.direction for name, outcome in self.outcomes.items()}

    @property
    def thresholds(self) -> dict[str, float]:
        """Outcome → satisficing threshold, for the outcomes that state one."""
        return {
            name: outcome.threshold
            for name, outcome in self.outcomes.items()
            if outcome.threshold is not None
        }

    def executor(self) -> str | None:
        """The engine's executor: a scheduler, local processes for jobs > 1, else serial."""
        if self.scheduler is not None:
            return self.scheduler
        if self.jobs is not None and self.jobs > 1:
            return "processes"
        return None

    def to_toml(self) -> str:
        """The file's content as TOML text (unset fields left out)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for key in ("set", "levers"):
            if not data.get(key):
                data.pop(key, None)
        return tomli_w.dumps(data)


def _flatten_uncertainties(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables down to an uncertainty (a list, or a table with `low`) → dotted keys."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and not ({"low", "high", "distribution"} & set(value)):
            out.update(_flatten_uncertainties(value, dotted + "."))
        else:
            out[dotted] = value
    return out


# --------------------------------------------------------------------------- policies


@dataclass
class Policy:
    """One policy: a scenario with lever settings, ready to run (set, days, levers applied).

    `name` labels it in every table (the scenario's name, and the lever values when the
    file has levers); `ref` is the scenario as written in the file.
    """

    name: str
    ref: str
    levers: dict[str, Any]
    scenario: Scenario = field(repr=False)


def lever_label(levers: dict[str, Any]) -> str:
    """`reply_norm=1.25, preset=closed_loop`: each key's last part, unless two share it."""
    lasts = [key.rsplit(".", 1)[-1] for key in levers]
    parts = []
    for (key, value), last in zip(levers.items(), lasts, strict=True):
        shown = last if lasts.count(last) == 1 else key
        parts.append(f"{shown}={value:g}" if _is_number(value) else f"{shown}={value}")
    return ", ".join(parts)


def build_policies(
    exploration: Exploration, source: str, base_dir: Path | None = None
) -> list[Policy]:
    """Every policy of the exploration, loaded and checked (levers against the scenario)."""
    overrides = dict(exploration.overrides)
    if exploration.days is not None:
        overrides["run.days"] = exploration.days
    refs = exploration.policies if exploration.policies is not None else [exploration.scenario]
    combos = [
        dict(zip(exploration.levers, values, strict=True))
        for values in product(*exploration.levers.values())
    ]
    policies = []
    for index, ref in enumerate(refs):
        assert ref is not None  # _consistent: policies or scenario
        where = "scenario" if exploration.policies is None else f"policies[{index}]"
        scenario = _load(ref, overrides, source, where, base_dir)
        if exploration.levers:
            check_parameters(scenario, exploration.levers, source, field="levers")
        for combo in combos:
            variant = scenario.with_overrides(combo) if combo else scenario
            if combo and exploration.policies is None:
                name = lever_label(combo)
            elif combo:
                name = f"{scenario.name} {lever_label(combo)}"
            else:
                name = scenario.name
            policies.append(Policy(name, ref, combo, variant.with_overrides({"name": name})))
    names = [p.name for p in policies]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ExperimentFileError(
            source,
            "policies",
            f"two policies are named '{duplicates[0]}'; results are told apart by name, so "
            "give each scenario file its own name",
        )
    return policies


def _load(
    ref: str, overrides: dict[str, Any], source: str, where: str, base_dir: Path | None
) -> Scenario:
    try:
        return load_scenario(resolve_scenario_ref(ref, base_dir), overrides)
    except ScenarioError as exc:
        if exc.source == "--set":
            raise ExperimentFileError(
                source, f"set.{exc.field}" if exc.field else "set", exc.message
            ) from None
        detail = f"{exc.source}: {exc.field}" if exc.field else exc.source
        raise ExperimentFileError(source, where, f"{detail}: {exc.message}") from None


def baseline_name(exploration: Exploration, policies: list[Policy]) -> str:
    """The baseline policy's name: `baseline` if it names one (or its scenario), else the first."""
    names = [p.name for p in policies]
    if exploration.baseline is None:
        return names[0]
    if exploration.baseline in names:
        return exploration.baseline
    refs = [p.ref for p in policies]
    if exploration.baseline in refs and refs.count(exploration.baseline) == 1:
        return names[refs.index(exploration.baseline)]
    raise ValueError(
        f"'{exploration.baseline}' is not one of the policies"
        f"{did_you_mean(exploration.baseline, names)}; policies: {', '.join(names)}"
    )


# --------------------------------------------------------------------------- states


def sample_states(
    uncertainties: dict[str, Uncertainty], states: int, seed: int = 0
) -> list[dict[str, Any]]:
    """`states` states of the world: a Latin hypercube mapped through each distribution.

    The unit hypercube is the one `LatinHypercube` draws (scipy's qmc, seeded by `seed`),
    so each uncertainty's range is cut into `states` strata of equal probability and
    each stratum is hit once.
    """
    from simulation.experiment.designs import LatinHypercube

    keys = list(uncertainties)
    unit = LatinHypercube({key: (0.0, 1.0) for key in keys}, samples=states, seed=seed)
    sample = unit.unit_sample()
    columns = [uncertainties[key].from_unit(sample[:, j]) for j, key in enumerate(keys)]
    return [{key: columns[j][i] for j, key in enumerate(keys)} for i in range(states)]


# --------------------------------------------------------------------------- loading


@dataclass
class Plan:
    """An exploration checked and ready: its policies, baseline and states of the world."""

    exploration: Exploration
    policies: list[Policy]
    baseline: str
    states: list[dict[str, Any]]

    @property
    def runs(self) -> int:
        """Runs in all: policies × states × replications."""
        return len(self.policies) * len(self.states) * self.exploration.replications


def load_exploration(path: str | os.PathLike) -> Exploration:
    """Read and validate an exploration file (scenarios are loaded by `plan_exploration`)."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise ExperimentFileError(source, None, "file not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentFileError(source, None, f"invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentFileError(source, None, f"cannot read file: {exc}") from None
    raw.setdefault("name", path.stem)
    if "design" in raw or "scenarios" in raw:
        raise ExperimentFileError(
            source,
            "design" if "design" in raw else "scenarios",
            "this is an experiment file (a comparison or sweep): run it with "
            "`microgov experiment`; an exploration declares [uncertainties], [outcomes] "
            "and 'policies' or [levers]",
        )
    return parse_exploration(raw, source)


def parse_exploration(raw: dict[str, Any], source: str) -> Exploration:
    """Validate an exploration file's content (no scenario is loaded)."""
    try:
        return Exploration.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(exc, source, Exploration, ExperimentFileError) from None


def plan_exploration(exploration: Exploration, source: str, base_dir: Path | None = None) -> Plan:
    """Load the policies, check the uncertainties against each and draw the states.

    Every uncertainty's bounds (and a float inside them, for distributions that draw
    floats) are applied to every policy's scenario first, so a misspelt key or a range
    the setting does not allow is refused before anything runs.
    """
    policies = build_policies(exploration, source, base_dir)
    try:
        baseline = baseline_name(exploration, policies)
    except ValueError as exc:
        raise ExperimentFileError(source, "baseline", str(exc)) from None
    discovery = exploration.discovery
    if discovery.policy is not None:
        names = [p.name for p in policies]
        if discovery.policy not in names:
            raise ExperimentFileError(
                source,
                "discovery.policy",
                f"'{discovery.policy}' is not one of the policies"
                f"{did_you_mean(discovery.policy, names)}; policies: {', '.join(names)}",
            )
    from simulation.accounts import unit_names

    units = {p.name: unit_names(p.scenario) for p in policies}
    for name in exploration.outcomes:
        problem = metric_name_problem(name, units)
        if problem:
            raise ExperimentFileError(source, f"outcomes.{name}", problem)
    for policy in policies:
        for key, uncertainty in exploration.uncertainties.items():
            probes = [uncertainty.low, uncertainty.high]
            if not uncertainty.integer:
                probes.append((uncertainty.low + uncertainty.high) / 2)
            check_parameters(policy.scenario, {key: probes}, source, field="uncertainties")
    states = sample_states(exploration.uncertainties, exploration.states, exploration.state_seed)
    return Plan(exploration, policies, baseline, states)


# --------------------------------------------------------------------------- running


def policy_store(out_dir: Path, index: int) -> Path:
    """The sweep store of the index-th policy (`policies/00`, `policies/01`, …)."""
    return Path(out_dir) / POLICIES_DIR / f"{index:02d}"


def run_plan(
    plan: Plan,
    out_dir: Path,
    *,
    executor: str | object | None = None,
    jobs: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run every policy in every state (one stored sweep per policy); returns the outcomes.

    Each policy's sweep is stored in `policy_store(out_dir, i)`: running the same plan
    again skips the runs already there (resume); another plan in the same folder is
    refused (`StoreMismatchError`).
    """
    from simulation.experiment.api import sweep
    from simulation.experiment.designs import Points

    design = Points(plan.states)
    exploration = plan.exploration
    for index, policy in enumerate(plan.policies):
        sweep(
            policy.scenario,
            design,
            replications=exploration.replications,
            seed=exploration.seed,
            days=exploration.days,
            executor=executor,
            jobs=jobs,
            store=policy_store(out_dir, index),
            progress=progress,
        )
    return read_outcomes(out_dir, [p.name for p in plan.policies], list(exploration.uncertainties))


def read_outcomes(out_dir: Path, policies: list[str], uncertainties: list[str]) -> pd.DataFrame:
    """The runs of every policy's store, one row per run.

    Columns: policy, state, replication, seed, the uncertainties, every metric, error.
    """
    from simulation.experiment.api import SweepResults

    frames = []
    for index, name in enumerate(policies):
        store = policy_store(out_dir, index)
        if not store.is_dir():
            raise FileNotFoundError(f"{store}: no runs of policy '{name}'")
        runs = SweepResults.load(store).runs
        runs = runs.rename(columns={"point": "state"}).assign(policy=name)
        frames.append(runs)
    outcomes = pd.concat(frames, ignore_index=True)
    metrics = [c for c in outcomes.columns if is_metric(c)]
    leading = ["policy", "state", "replication", "seed", *uncertainties]
    return outcomes[[*leading, *metrics, "error"]]


def policies_table(plan: Plan) -> pd.DataFrame:
    """One row per policy: its name, scenario as written, store folder and lever values."""
    rows = []
    for index, policy in enumerate(plan.policies):
        rows.append(
            {
                "policy": policy.name,
                "scenario": policy.ref,
                "baseline": policy.name == plan.baseline,
                "store": str(Path(POLICIES_DIR) / f"{index:02d}"),
                **policy.levers,
            }
        )
    return pd.DataFrame(rows)


def states_table(plan: Plan) -> pd.DataFrame:
    """One row per state of the world: its index and each uncertainty's value."""
    return pd.DataFrame([{"state": i, **state} for i, state in enumerate(plan.states)])
