"""Experimental designs for sweeps: which scenario settings to vary, and to which values.

A design maps dotted scenario keys (`"staffing.operators"`, the keys of `--set`) to
values and produces a list of design points, each a dict `{key: value}` applied to a
scenario with `Scenario.with_overrides`:

- `Grid` — every combination of given levels (full factorial);
- `LatinHypercube` — `samples` points spread evenly over ranges (`scipy.stats.qmc`);
- `Sobol` — Saltelli's extension of the Sobol' sequence from SALib, N·(D+2) points,
  in the order `SALib.analyze.sobol.analyze` expects (see `api.sobol_indices`);
- `Morris` — r one-at-a-time trajectories of D+1 points each (SALib), for screening
  many factors cheaply (see `api.morris_indices`).
- `Points` — points listed one by one (e.g. states of the world sampled from
  distributions by `simulation.experiment.explore`).

Keys are checked against the scenario schema when the design is made (an unknown key
raises `ScenarioError` with a did-you-mean hint), bounds when they are given, and every
point's values by applying them to the scenario before any run starts
(`apply_points`). Points are plain Python values (int, float, str…), so a design can be
written to a store's JSON manifest and read back (`Design.to_dict`, `design_from_dict`).

Sampled ranges: when both bounds are integers the parameter is an integer drawn
uniformly from lo..hi inclusive (the unit interval is cut into hi − lo + 1 equal
parts); otherwise it is a float in [lo, hi).
"""

from __future__ import annotations

import itertools
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel

from simulation.scenario import Scenario, ScenarioError, did_you_mean

SOURCE = "design"

# Keys a design may not vary: the experiment's seed and replication set the run's seed.
_FORBIDDEN_KEYS = {
    "run.seed": "the seed of each run is the experiment's seed + replication; "
    "vary it with `replications` and `seed`, not in the design",
}


class Design:
    """Base of every design: named parameters and a list of points.

    Subclasses set `kind` and implement `points()` and `to_dict()`.
    """

    kind: ClassVar[str] = ""
    parameters: list[str]

    def points(self) -> list[dict[str, Any]]:
        """The design points in a fixed order, each `{dotted key: value}`."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description from which `design_from_dict` rebuilds the design."""
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.points())

    def check(self, scenario: Scenario) -> None:
        """Check the keys against `scenario` itself (e.g. department names).

        Raises ScenarioError naming the key. Values are checked by `apply_points`.
        """
        for key in self.parameters:
            check_key(key, scenario)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "kind")
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Design) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


class Grid(Design):
    """Full factorial: every combination of the given levels.

    Parameters:
        levels: `{dotted key: [value, …]}`; the first key varies slowest. Values may be
            anything the scenario field accepts (numbers, strings, booleans, lists).

    `Grid({"staffing.operators": [1, 2, 4], "accountability.rule": ["none",
    "timeliness"]})` has 6 points.
    """

    kind = "grid"

    def __init__(self, levels: Mapping[str, Sequence[Any]]):
        if not isinstance(levels, Mapping) or not levels:
            raise ScenarioError(
                SOURCE,
                None,
                "a Grid needs {dotted key: [values]}, e.g. {'staffing.operators': [1, 2, 4]}",
            )
        self.levels: dict[str, list[Any]] = {}
        for key, values in levels.items():
            check_key(key)
            if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
                raise ScenarioError(SOURCE, key, f"levels must be a list of values, got {values!r}")
            if len(values) == 0:
                raise ScenarioError(SOURCE, key, "needs at least one level")
            self.levels[key] = [_plain(v) for v in values]
        _check_distinct(list(self.levels))
        self.parameters = list(self.levels)

    def points(self) -> list[dict[str, Any]]:
        """Every combination of the levels, the first key varying slowest."""
        keys = self.parameters
        return [
            dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(self.levels[k] for k in keys))
        ]

    def __len__(self) -> int:
        return math.prod(len(v) for v in self.levels.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description: the kind and the levels of each key."""
        return {"kind": self.kind, "levels": {k: list(v) for k, v in self.levels.items()}}


class _Sampled(Design):
    """A design sampling the unit hypercube and scaling it to ranges."""

    def __init__(self, ranges: Mapping[str, tuple[float, float]], samples: int, seed: int = 0):
        if not isinstance(ranges, Mapping) or not ranges:
            raise ScenarioError(
                SOURCE,
                None,
                f"a {type(self).__name__} needs {{dotted key: (low, high)}}, e.g. "
                "{'staffing.skill_mean': (0.3, 0.8)}",
            )
        if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 1:
            raise ScenarioError(
                SOURCE, None, f"samples must be a positive integer, got {samples!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ScenarioError(SOURCE, None, f"seed must be a non-negative integer, got {seed!r}")
        self.ranges: dict[str, tuple[float, float]] = {}
        for key, bounds in ranges.items():
            check_key(key)
            self.ranges[key] = _check_bounds(key, bounds)
        _check_distinct(list(self.ranges))
        self.parameters = list(self.ranges)
        self.samples = int(samples)
        self.seed = int(seed)
        self._points: list[dict[str, Any]] | None = None

    def unit_sample(self) -> np.ndarray:
        """Points in the unit hypercube, one row per point, one column per parameter."""
        raise NotImplementedError

    def points(self) -> list[dict[str, Any]]:
        if self._points is None:
            unit = np.clip(self.unit_sample(), 0.0, 1.0)
            columns = [
                _scale(unit[:, j], *self.ranges[key]) for j, key in enumerate(self.parameters)
            ]
            self._points = [
                {key: columns[j][i] for j, key in enumerate(self.parameters)}
                for i in range(len(unit))
            ]
        return [dict(p) for p in self._points]

    def check(self, scenario: Scenario) -> None:
        super().check(scenario)
        for key, (low, high) in self.ranges.items():
            for name, value in (("lower", low), ("upper", high)):
                try:
                    scenario.with_overrides({key: value})
                except ScenarioError as exc:
                    hint = ""
                    if "integer" in exc.message and not (
                        isinstance(low, int) and isinstance(high, int)
                    ):
                        hint = "; give integer bounds to sample integers"
                    raise ScenarioError(
                        SOURCE, key, f"{name} bound {value!r}: {exc.message}{hint}"
                    ) from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "samples": self.samples,
            "seed": self.seed,
        }


class LatinHypercube(_Sampled):
    """Latin hypercube sample: each range cut into `samples` strata, each stratum hit once.

    Parameters:
        ranges: `{dotted key: (low, high)}` with low < high; integer bounds give
            integer values (lo..hi inclusive), other bounds floats in [lo, hi).
        samples: number of points.
        seed: seed of the sample (`scipy.stats.qmc.LatinHypercube`).
    """

    kind = "latin_hypercube"

    def unit_sample(self) -> np.ndarray:
        """The Latin hypercube in the unit cube, `samples` rows (scipy's qmc, seeded by `seed`)."""
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=len(self.parameters), rng=self.seed).random(self.samples)

    def __len__(self) -> int:
        return self.samples


class Sobol(_Sampled):
    """Saltelli sample for Sobol' sensitivity indices (SALib, first and total order).

    Parameters:
        ranges: `{dotted key: (low, high)}`, as for `LatinHypercube`.
        samples: N, the base sample size; the design has N·(D+2) points for D
            parameters. SALib recommends a power of 2.
        seed: seed of the scrambled Sobol' sequence.

    The points are in SALib's order (`SALib.sample.sobol.sample` with
    `calc_second_order=False`), so `sobol_indices` can pass the outputs straight to
    `SALib.analyze.sobol.analyze`.
    """

    kind = "sobol"

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem definition (names and bounds)."""
        return {
            "num_vars": len(self.parameters),
            "names": list(self.parameters),
            "bounds": [list(self.ranges[k]) for k in self.parameters],
        }

    def unit_sample(self) -> np.ndarray:
        """SALib's Saltelli sample of the unit cube: N·(D+2) rows, first and total order only."""
        from SALib.sample import sobol as saltelli

        unit_problem = {
            "num_vars": len(self.parameters),
            "names": list(self.parameters),
            "bounds": [[0.0, 1.0]] * len(self.parameters),
        }
        return saltelli.sample(unit_problem, self.samples, calc_second_order=False, seed=self.seed)

    def __len__(self) -> int:
        return self.samples * (len(self.parameters) + 2)


class Morris(_Sampled):
    """Morris one-at-a-time trajectories for screening (SALib), r·(D+1) points.

    Parameters:
        ranges: `{dotted key: (low, high)}` with float bounds (a trajectory's steps must
            be exact, which rounding to integers would break).
        samples: r, the number of trajectories; the design has r·(D+1) points.
        seed: seed of the trajectories.

    Each trajectory moves one parameter at a time by 2/3 of its range on a 4-level grid
    (SALib's `morris.sample` with `num_levels=4`), so r·(D+1) runs give r elementary
    effects per parameter, however many parameters there are. The points are in
    SALib's order, so `morris_indices` can pass the outputs to `SALib.analyze.morris`.
    """

    kind = "morris"
    levels = 4

    def __init__(self, ranges: Mapping[str, tuple[float, float]], samples: int, seed: int = 0):
        super().__init__(ranges, samples, seed)
        integer = [k for k, (lo, hi) in self.ranges.items() if isinstance(lo, int)]
        if integer:
            raise ScenarioError(
                SOURCE,
                integer[0],
                "a Morris design needs float bounds (e.g. 1.0, not 1): its steps must be "
                "exact, which rounding to integers breaks",
            )

    @property
    def unit_problem(self) -> dict[str, Any]:
        """The SALib problem over the unit cube: effects are per full range of a factor."""
        return {
            "num_vars": len(self.parameters),
            "names": list(self.parameters),
            "bounds": [[0.0, 1.0]] * len(self.parameters),
        }

    def unit_sample(self) -> np.ndarray:
        """SALib's Morris trajectories in the unit cube: r·(D+1) rows."""
        from SALib.sample import morris

        return morris.sample(
            self.unit_problem, self.samples, num_levels=self.levels, seed=self.seed
        )

    def __len__(self) -> int:
        return self.samples * (len(self.parameters) + 1)


class Points(Design):
    """Points given one by one, each `{dotted key: value}` over the same keys.

    Parameters:
        points: the design points, in order; every point names the same keys. Values
            are plain values (numbers, strings, booleans, lists) as for `Grid`.

    For samples made elsewhere, such as the states of the world an exploration draws
    from its uncertainties' distributions (`simulation.experiment.explore`).
    """

    kind = "points"

    def __init__(self, points: Sequence[Mapping[str, Any]]):
        if isinstance(points, str | bytes | Mapping) or not isinstance(points, Sequence):
            raise ScenarioError(SOURCE, None, f"Points needs a list of points, got {points!r}")
        if len(points) == 0:
            raise ScenarioError(SOURCE, None, "Points needs at least one point")
        keys = list(points[0]) if isinstance(points[0], Mapping) else []
        if not keys:
            raise ScenarioError(SOURCE, None, "each point is a non-empty {dotted key: value}")
        for index, point in enumerate(points):
            if not isinstance(point, Mapping) or list(point) != keys:
                raise ScenarioError(
                    SOURCE, None, f"point {index} must name the keys {keys} in that order"
                )
        for key in keys:
            check_key(key)
        _check_distinct(keys)
        self.parameters = keys
        self._points = [{key: _plain(point[key]) for key in keys} for point in points]

    def points(self) -> list[dict[str, Any]]:
        """The points as given."""
        return [dict(p) for p in self._points]

    def __len__(self) -> int:
        return len(self._points)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description: the kind and the points."""
        return {"kind": self.kind, "points": self.points()}


DESIGNS: dict[str, type[Design]] = {
    d.kind: d for d in (Grid, LatinHypercube, Sobol, Morris, Points)
}


def design_from_dict(data: Mapping[str, Any]) -> Design:
    """Rebuild a design from `Design.to_dict()` (e.g. read from a store's manifest)."""
    kind = data.get("kind")
    if kind == "grid":
        return Grid(data["levels"])
    if kind in ("latin_hypercube", "sobol", "morris"):
        ranges = {k: tuple(v) for k, v in data["ranges"].items()}
        sampled = {"latin_hypercube": LatinHypercube, "sobol": Sobol, "morris": Morris}[kind]
        return sampled(ranges, samples=data["samples"], seed=data["seed"])
    if kind == "points":
        return Points(data["points"])
    raise ValueError(f"unknown design kind {kind!r}; known: {', '.join(DESIGNS)}")


def apply_points(scenario: Scenario, points: Sequence[Mapping[str, Any]]) -> list[Scenario]:
    """The scenario with each point's values applied, all validated before anything runs.

    Raises ScenarioError naming the key, the value and the design point.
    """
    variants = []
    for index, point in enumerate(points):
        try:
            variants.append(scenario.with_overrides(dict(point)))
        except ScenarioError as exc:
            raise ScenarioError(
                SOURCE, exc.field, f"{exc.message} (design point {index}: {dict(point)})"
            ) from None
    return variants


# --------------------------------------------------------------------------- key checks


def check_key(key: str, scenario: Scenario | None = None) -> None:
    """Check that a dotted key names a setting of the scenario schema.

    Without `scenario` the key is checked against the schema (any name is accepted where
    the schema has a table of names, such as `departments.<name>`); with it, such names
    must exist in that scenario. Raises ScenarioError with a did-you-mean hint.
    """
    if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
        raise ScenarioError(
            SOURCE, str(key), "a design key is a dotted path such as 'staffing.operators'"
        )
    if key in _FORBIDDEN_KEYS:
        raise ScenarioError(SOURCE, key, _FORBIDDEN_KEYS[key])
    parts = key.split(".")
    node: Any = Scenario
    value: Any = scenario
    for depth, part in enumerate(parts):
        where = ".".join(parts[:depth]) or "the top level"
        if _is_model(node):
            fields = node.model_fields
            if part not in fields:
                allowed = sorted(fields)
                raise ScenarioError(
                    SOURCE,
                    key,
                    f"unknown key '{part}'{did_you_mean(part, allowed)}; allowed in "
                    f"{where}: {', '.join(allowed)}",
                )
            node = _unwrap(fields[part].annotation)
            value = getattr(value, part) if value is not None else None
        elif typing.get_origin(node) is dict:
            if value is not None and part not in value:
                names = sorted(value)
                raise ScenarioError(
                    SOURCE,
                    key,
                    f"no '{part}' in {where}{did_you_mean(part, names)}; the scenario has: "
                    f"{', '.join(names)}",
                )
            node = _unwrap(typing.get_args(node)[1])
            value = value[part] if value is not None else None
        else:
            raise ScenarioError(
                SOURCE, key, f"'{'.'.join(parts[:depth])}' is a single setting, not a section"
            )
    if _is_model(node):
        allowed = sorted(node.model_fields)
        raise ScenarioError(
            SOURCE, key, f"is a section; name one of its settings: {', '.join(allowed)}"
        )


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _unwrap(annotation: Any) -> Any:
    """`X | None` → X, when X is a section or a table; anything else unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _check_distinct(keys: list[str]) -> None:
    for a, b in itertools.permutations(keys, 2):
        if b.startswith(a + "."):
            raise ScenarioError(SOURCE, b, f"is inside '{a}', which the design also varies")


def _check_bounds(key: str, bounds: Any) -> tuple[float, float]:
    if (
        isinstance(bounds, str | bytes)
        or not isinstance(bounds, Sequence | np.ndarray)
        or (len(bounds) != 2)
    ):
        raise ScenarioError(SOURCE, key, f"needs (low, high) bounds, got {bounds!r}")
    low, high = (_plain(b) for b in bounds)
    for name, value in (("lower", low), ("upper", high)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ScenarioError(SOURCE, key, f"{name} bound must be a finite number, got {value!r}")
    if not low < high:
        raise ScenarioError(SOURCE, key, f"lower bound {low!r} must be below upper bound {high!r}")
    return (low, high)


def _scale(unit: np.ndarray, low: float, high: float) -> list[Any]:
    """Unit-interval values scaled to [low, high): integers when both bounds are integers."""
    if isinstance(low, int) and isinstance(high, int):
        ints = low + np.floor(unit * (high - low + 1)).astype(np.int64)
        return [int(v) for v in np.minimum(ints, high)]
    values = low + unit * (high - low)
    return [float(v) for v in np.minimum(values, high)]


def _plain(value: Any) -> Any:
    """Numpy scalars → Python scalars, tuples → lists (JSON- and TOML-safe values)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | np.ndarray):
        return [_plain(v) for v in value]
    return value
