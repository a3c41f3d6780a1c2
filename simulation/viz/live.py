"""What the interactive page runs: levers, and a model built from them that an observer reads.

`Levers` are the settings a teacher moves (scenario, mechanism, staffing, appraisal,
population, network, run length, seed). `Levers.scenario_object()` loads the scenario
file and applies only the levers that differ from it, with `Scenario.with_overrides`,
so untouched levers leave the file exactly as it is.

`LiveModel` is the Mesa model SolaraViz steps: it holds one `GovernmentResponseModel`
(`live.simulation`), an `Observer`, and the network sample the page draws. One step of it
is `hours_per_step` hourly steps of the simulation (24: a day), each observed. It wraps the simulation rather than subclassing it because Mesa's
page reads `model.scenario` as its own kind of scenario object, while the simulation's
`scenario` is microgov's validated settings.

Needs Mesa, not solara.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import mesa

from simulation.accountability import RULES as ACCOUNTABILITY_RULES
from simulation.codes import HOURS_PER_DAY
from simulation.mechanisms import MECHANISM_PRESETS
from simulation.model import GovernmentResponseModel
from simulation.network import GENERATORS
from simulation.scenario import Scenario, bundled_scenario_dir, load_scenario
from simulation.viz.network import DEFAULT_SAMPLE, NetworkSample
from simulation.viz.observer import Observer

# Lever → dotted scenario field it sets (days and seed are run settings, not fields).
LEVER_FIELDS: dict[str, str] = {
    "mechanism": "mechanism.preset",
    "operators": "staffing.operators",
    "skill_mean": "staffing.skill_mean",
    "shifts": "staffing.shifts",
    "rule": "accountability.rule",
    "strength": "accountability.strength",
    "deadline_hours": "accountability.deadline_hours",
    "citizens": "population.citizens",
    "network": "network.kind",
}

MECHANISMS = tuple(MECHANISM_PRESETS)
SHIFTS = ("office_hours", "extended", "24x7")
RULES = tuple(ACCOUNTABILITY_RULES)  # the registry: a new rule shows up on the page
NETWORKS = tuple(GENERATORS)

# Levers kept when another scenario is chosen: the size and randomness of the run.
RUN_LEVERS = ("citizens", "days", "seed")


def bundled_scenarios() -> list[str]:
    """Names of the bundled scenarios, baseline first."""
    names = sorted(p.stem for p in bundled_scenario_dir().glob("*.toml"))
    return sorted(names, key=lambda name: name != "baseline")


def _get(scenario: Scenario, dotted: str) -> Any:
    value: Any = scenario
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


@dataclass(frozen=True)
class Levers:
    """The settings the page's controls move; `Levers.of("baseline")` reads a scenario's."""

    scenario: str = "baseline"
    mechanism: str = "release_only"
    operators: int = 2
    skill_mean: float = 0.5
    shifts: str = "office_hours"
    rule: str = "none"
    strength: float = 1.0
    deadline_hours: float = 48.0
    citizens: int = 10_000
    network: str = "heavy_tailed"
    days: int = 30
    seed: int = 1
    # With declared accounts, each account's operators: (account, operators) in order;
    # they replace the one `operators` lever, which the accounts' own would override.
    account_operators: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, scenario: str = "baseline", **changes: Any) -> Levers:
        """The levers of a scenario file (or bundled name), then `changes` on top."""
        loaded = load_scenario(scenario)
        values: dict[str, Any] = {name: _get(loaded, path) for name, path in LEVER_FIELDS.items()}
        if values["deadline_hours"] is None:
            values["deadline_hours"] = cls.deadline_hours
        values.update(scenario=str(scenario), days=loaded.run.days, seed=loaded.run.seed)
        values["account_operators"] = _account_operators(loaded)
        unknown = set(changes) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown lever(s): {', '.join(sorted(unknown))}")
        return replace(cls(**values), **changes)

    def with_account_operators(self, account: str, operators: int) -> Levers:
        """These levers with `account`'s operators set to `operators`."""
        known = dict(self.account_operators)
        if account not in known:
            raise KeyError(f"no account '{account}'; accounts: {', '.join(known) or 'none'}")
        known[account] = int(operators)
        return replace(self, account_operators=tuple(known.items()))

    def with_scenario(self, scenario: str) -> Levers:
        """Switch to another scenario: its settings, but this run's size, days and seed."""
        return Levers.of(scenario, **{name: getattr(self, name) for name in RUN_LEVERS})

    def overrides(self, base: Scenario | None = None) -> dict[str, Any]:
        """Dotted overrides of the levers that differ from the scenario file."""
        base = load_scenario(self.scenario) if base is None else base
        out: dict[str, Any] = {}
        for name, path in LEVER_FIELDS.items():
            value = getattr(self, name)
            if value != _get(base, path):
                out[path] = value
        own = dict(_account_operators(base))
        for account, operators in self.account_operators:
            if own.get(account) != operators:
                out[f"accounts.{account}.operators"] = operators
        if "network.kind" in out and base.network.kind == "edge_list":
            out["network.edge_list"] = None  # a generated graph instead of the file
        elif base.network.kind == "edge_list":
            out.pop("population.citizens", None)  # the file sets the citizens (and its size)
        if "accountability.deadline_hours" in out and base.accountability.deadline_working_days:
            out["accountability.deadline_working_days"] = None  # hours replace working days
        if "accountability.deadline_hours" in out and base.accountability.deadlines:
            out["accountability.deadlines"] = None  # one deadline in hours for every kind
        return out

    def scenario_object(self) -> Scenario:
        """The scenario file with the levers applied (`Scenario.with_overrides`)."""
        base = load_scenario(self.scenario)
        changes = self.overrides(base)
        scenario = base.with_overrides(changes) if changes else base
        return scenario

    def changed(self, other: Levers) -> dict[str, tuple[Any, Any]]:
        """Levers whose values differ from `other`: name → (other's, this one's)."""
        mine, theirs = asdict(self), asdict(other)
        return {k: (theirs[k], v) for k, v in mine.items() if theirs[k] != v}


def _account_operators(scenario: Scenario) -> tuple[tuple[str, int], ...]:
    """Each declared account's operators as resolved (its own, else `[staffing]`'s)."""
    return tuple(
        (name, account.staffing(scenario.staffing).operators)
        for name, account in scenario.accounts.items()
    )


def account_lever_note(scenario: Scenario) -> str:
    """What the scenario-wide levers do when the scenario declares accounts ("" if none).

    Operators have a slider per account; mechanism, skill and shifts are the
    scenario's, which apply to each account that does not set its own.
    """
    if not scenario.accounts:
        return ""
    keeps = {
        "mechanism": [n for n, a in scenario.accounts.items() if a.mechanism is not None],
        "skill": [n for n, a in scenario.accounts.items() if a.skill_mean is not None],
        "shifts": [n for n, a in scenario.accounts.items() if a.shifts is not None],
    }
    exceptions = "; ".join(
        f"{lever}: {', '.join(names)}" for lever, names in keeps.items() if names
    )
    return (
        "Accounts: one operators slider each. Mechanism, skill and shifts are the "
        "scenario's, for every account that does not set its own"
        + (f" (set their own — {exceptions})." if exceptions else " (here: every account).")
    )


class LiveModel(mesa.Model):
    """A GovernmentResponseModel built from levers, stepped hour by hour, with an observer.

    `step()` (Mesa's, what the page's Step button calls) runs `hours_per_step` hours of the
    simulation, observing each; `model.time` counts those steps. `run_hours(n)` runs n hours.

    - `simulation`: the GovernmentResponseModel (`simulation.hour`, `.population.trust`, …)
    - `observer`: hourly and daily records for the charts (`simulation.viz.observer`)
    - `network`: the drawn sample of the follower graph, laid out once (seeded)
    - `levers`: what it was built from; `lock`: held while stepping (views read under it)

    `levers` may also be anything with a `.value` holding Levers (a solara reactive
    variable): Mesa's Reset button then rebuilds the model from the current controls.
    """

    def __init__(
        self,
        levers: Any = None,
        sample_size: int = DEFAULT_SAMPLE,
        hours_per_step: int = HOURS_PER_DAY,
        create_citizen_agents: bool = True,
    ):
        if hours_per_step < 1:
            raise ValueError(f"hours_per_step must be at least 1, got {hours_per_step}")
        levers = getattr(levers, "value", levers)
        self.levers: Levers = Levers.of() if levers is None else levers
        super().__init__(rng=self.levers.seed)
        self.lock = threading.RLock()
        self.simulation = GovernmentResponseModel(
            self.levers.scenario_object(),
            seed=self.levers.seed,
            days=self.levers.days,
            create_citizen_agents=create_citizen_agents,
        )
        self.observer = Observer(self.simulation)
        self.sample_size = sample_size
        self.hours_per_step = int(hours_per_step)
        self.network = NetworkSample.of(self.simulation, sample_size)
        self.running = True

    @property
    def hours_total(self) -> int:
        """Hours in the whole run (days × 24)."""
        return self.simulation.days * HOURS_PER_DAY

    def step(self) -> None:
        """`hours_per_step` simulated hours; stops (running = False) at the end of the run."""
        self.run_hours(self.hours_per_step)

    def run_hours(self, hours: int) -> None:
        """Simulate `hours` hours, observing each (fewer if the run ends first)."""
        for _ in range(hours):
            if self.simulation.hour >= self.hours_total:
                break
            with self.lock:
                self.simulation.step()  # the observer records the hour as it ends
        self.running = self.simulation.hour < self.hours_total
