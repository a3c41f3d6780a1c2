"""Scenario discovery: where in the uncertainty space does a policy fail?

Given an exploration's outcomes (`simulation.experiment.explore`), `cases_of_interest`
marks each state of the world where a policy beats the baseline by less than a margin
(in the outcome's better direction, the mean of differences paired by replication).
`prim` and `cart` then describe those states as boxes — ranges of the uncertainties —
using the EMA Workbench's analysis module (`ema_workbench.analysis.prim` and `.cart`,
the optional `explore` extra):

- **PRIM** (Friedman & Fisher 1999; Bryant & Lempert 2010) peels the space step by step,
  each time removing the slice of states that most raises the share of cases of interest
  left inside. Its peeling trajectory trades *coverage* (the share of all cases of
  interest that lie in the box) against *density* (the share of the box's states that
  are cases of interest). The box reported is the one of highest coverage whose density
  reaches the target; each restricted uncertainty comes with its quasi-p-value (a
  one-sided binomial test of whether the restriction matters, Bryant & Lempert 2010).
- **CART** (Breiman et al. 1984) grows a classification tree (scikit-learn's, seeded);
  every leaf is a box, and the leaves where cases of interest are the majority are
  reported.

Coverage and density are measured on the states the boxes were found on: with a few
dozen states they flatter the boxes, so read restrictions with large quasi-p-values, or
resting on a handful of states, as hints.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
import pandas as pd

from simulation.scenario.errors import ScenarioError

EXTRA = "explore"
INSTALL_HINT = (
    f"scenario discovery needs the '{EXTRA}' extra (ema-workbench): "
    f"pip install -c constraints.txt -e '.[{EXTRA}]'"
)
CASE_COLUMNS = ["state", "pairs", "policy_value", "baseline_value", "improvement", "improvement_se"]


class MissingExtraError(ScenarioError):
    """An optional dependency is not installed; the message names the extra to install."""


def require_ema() -> tuple[ModuleType, ModuleType]:
    """`ema_workbench.analysis.prim` and `.cart`, or a MissingExtraError naming the extra."""
    try:
        with warnings.catch_warnings():
            # It warns that its optional parallel evaluators are missing; we use none.
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import cart, prim
    except ImportError as exc:
        raise MissingExtraError("ema_workbench", None, f"{INSTALL_HINT} ({exc})") from None
    return prim, cart


# --------------------------------------------------------------------------- cases


def cases_of_interest(
    outcomes: pd.DataFrame,
    uncertainties: list[str],
    policy: str,
    baseline: str,
    outcome: str,
    direction: str,
    margin: float,
) -> pd.DataFrame:
    """Per state: the policy's improvement over the baseline, and whether it falls short.

    Parameters:
        outcomes: one row per run (policy, state, replication, the uncertainties, metrics).
        uncertainties: the uncertainty columns, carried into the result.
        policy, baseline: the policy examined and the one it must beat.
        outcome, direction: the metric and its better direction ('maximise'/'minimise').
        margin: the improvement the policy should reach, in the metric's unit.

    Returns one row per state: state, the uncertainties, pairs (replications where both
    have a value), policy_value and baseline_value (their means over those pairs),
    improvement (mean of the paired differences, signed so that positive is better),
    improvement_se (its standard error; NaN with one pair) and case (True where the
    improvement is below the margin: the policy fails there). States without a pair
    are left out.
    """
    if direction not in ("maximise", "minimise"):
        raise ValueError(f"direction must be 'maximise' or 'minimise', got {direction!r}")
    sign = 1.0 if direction == "maximise" else -1.0
    known = set(outcomes["policy"])
    for name in (policy, baseline):
        if name not in known:
            raise ValueError(f"no runs of policy '{name}'; policies: {', '.join(sorted(known))}")
    wide = outcomes.pivot_table(
        index=["state", "replication"], columns="policy", values=outcome, aggfunc="first"
    )
    states = outcomes.drop_duplicates("state").set_index("state")[uncertainties]
    rows = []
    for state, runs in wide.groupby(level="state", sort=True):
        both = runs[[policy, baseline]].dropna()
        if both.empty:
            continue
        differences = sign * (both[policy] - both[baseline]).to_numpy()
        se = differences.std(ddof=1) / math.sqrt(len(differences)) if len(both) > 1 else math.nan
        rows.append(
            {
                "state": int(state),
                **states.loc[state].to_dict(),
                "pairs": len(both),
                "policy_value": float(both[policy].mean()),
                "baseline_value": float(both[baseline].mean()),
                "improvement": float(differences.mean()),
                "improvement_se": float(se),
            }
        )
    cases = pd.DataFrame(rows, columns=["state", *uncertainties, *CASE_COLUMNS[1:]])
    cases["case"] = cases["improvement"] < margin
    return cases


# --------------------------------------------------------------------------- boxes


@dataclass
class Box:
    """A box of the uncertainty space and how well it holds the cases of interest.

    Attributes:
        coverage: share of all cases of interest inside the box.
        density: share of the box's states that are cases of interest.
        mass: share of all states inside the box.
        states, cases: states inside, and cases of interest among them.
        limits: one row per restricted uncertainty, the smallest quasi-p-value first:
            uncertainty, low, high (the box),
            min, max (the range sampled), qp_low, qp_high (PRIM's quasi-p-values of the
            lower and upper restriction; NaN where that side is not restricted, or for
            CART).
        trajectory_index: PRIM: the box's step on the peeling trajectory.
    """

    coverage: float
    density: float
    mass: float
    states: int
    cases: int
    limits: pd.DataFrame
    trajectory_index: int | None = None


@dataclass
class Discovery:
    """Boxes found by PRIM or CART, with what they were found on.

    Attributes:
        method: 'prim' or 'cart'.
        boxes: the boxes reported, best first.
        trajectory: PRIM: every step of the first box's peeling trajectory (coverage,
            density, mass, res_dim, states, cases); CART: one row per leaf.
        cases: the number of cases of interest, and states: of states.
    """

    method: str
    boxes: list[Box]
    trajectory: pd.DataFrame
    cases: int
    states: int
    notes: list[str] = field(default_factory=list)

    def boxes_table(self) -> pd.DataFrame:
        """One row per (box, restricted uncertainty), with the box's statistics."""
        frames = []
        for number, box in enumerate(self.boxes, start=1):
            stats = {
                "box": number,
                "coverage": box.coverage,
                "density": box.density,
                "mass": box.mass,
                "states": box.states,
                "cases": box.cases,
            }
            limits = box.limits if len(box.limits) else pd.DataFrame([{"uncertainty": None}])
            frames.append(limits.assign(**stats))
        if not frames:
            return pd.DataFrame()
        table = pd.concat(frames, ignore_index=True)
        first = ["box", "coverage", "density", "mass", "states", "cases"]
        return table[[*first, *(c for c in table.columns if c not in first)]]


def _limits(
    box_lims: pd.DataFrame, box_init: pd.DataFrame, qp: dict[str, list[float]] | None
) -> pd.DataFrame:
    rows = []
    for column in box_init.columns:
        low, high = box_lims[column].iloc[0], box_lims[column].iloc[1]
        full_low, full_high = box_init[column].iloc[0], box_init[column].iloc[1]
        if low == full_low and high == full_high:
            continue
        quasi = (qp or {}).get(column, [-1.0, -1.0])
        rows.append(
            {
                "uncertainty": column,
                "low": float(low),
                "high": float(high),
                "min": float(full_low),
                "max": float(full_high),
                "qp_low": float(quasi[0]) if quasi[0] >= 0 else math.nan,
                "qp_high": float(quasi[1]) if quasi[1] >= 0 else math.nan,
            }
        )
    columns = ["uncertainty", "low", "high", "min", "max", "qp_low", "qp_high"]
    # The restriction that matters most (smallest quasi-p-value) first.
    rows.sort(key=lambda r: min(np.nan_to_num([r["qp_low"], r["qp_high"]], nan=1.0)))
    return pd.DataFrame(rows, columns=columns)


def _check_input(x: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=bool)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y {len(y)} values")
    if len(x) < 4:
        raise ValueError(f"scenario discovery needs at least 4 states (got {len(x)})")
    return y


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    density: float = 0.8,
    mass_min: float = 0.05,
    peel_alpha: float = 0.05,
    boxes: int = 1,
) -> Discovery:
    """PRIM boxes around the cases of interest `y` in the uncertainty space `x`.

    Parameters:
        x: one row per state, one numeric column per uncertainty.
        y: True for a case of interest.
        density: the box reported on each peeling trajectory is the one of highest
            coverage whose density reaches this (the densest if none does).
        mass_min, peel_alpha: PRIM's smallest box (share of states) and peeling step.
        boxes: boxes to find one after another, each on the states outside the earlier
            ones (fewer if no cases of interest are left).
    """
    prim_module, _ = require_ema()
    y = _check_input(x, y)
    x = x.reset_index(drop=True).astype(float)
    n_cases = int(y.sum())
    notes = []
    if n_cases == 0:
        notes.append("there are no cases of interest: the policy meets the margin everywhere")
        return Discovery("prim", [], pd.DataFrame(), 0, len(x), notes)
    if n_cases == len(y):
        notes.append("every state is a case of interest: no box can tell them apart")
    algorithm = prim_module.Prim(x, y.astype(int), peel_alpha=peel_alpha, mass_min=mass_min)
    found: list[Box] = []
    trajectory = pd.DataFrame()
    outside = np.ones(len(y), dtype=bool)  # states in no box found so far
    for _ in range(boxes):
        if not y[outside].any():
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' future warnings inside the library
            candidate = algorithm.find_box()
        if candidate is None:
            break
        steps = candidate.peeling_trajectory.reset_index(drop=True)
        good = steps.index[steps["density"] >= density - 1e-12]
        index = (
            int(steps.loc[good, "coverage"].idxmax())
            if len(good)
            else int(steps["density"].idxmax())
        )
        if not len(good):
            notes.append(
                f"box {len(found) + 1}: no box on the peeling trajectory reaches density "
                f"{density:g}; the densest ({steps.loc[index, 'density']:.2f}) is reported"
            )
        candidate.select(index)
        outside[candidate.yi] = False
        step = steps.loc[index]
        found.append(
            Box(
                coverage=float(step["coverage"]),
                density=float(step["density"]),
                mass=float(step["mass"]),
                states=int(step["n"]),
                cases=int(step["k"]),
                limits=_limits(
                    candidate.box_lims[index], algorithm.box_init, candidate.p_values[index]
                ),
                trajectory_index=index,
            )
        )
        if trajectory.empty:
            trajectory = steps.rename(columns={"n": "states", "k": "cases"})[
                ["coverage", "density", "mass", "res_dim", "states", "cases"]
            ]
    return Discovery("prim", found, trajectory, n_cases, len(x), notes)


def cart(x: pd.DataFrame, y: np.ndarray, *, mass_min: float = 0.05, seed: int = 0) -> Discovery:
    """CART leaves as boxes; those where cases of interest are the majority are reported.

    Parameters:
        x, y: as for `prim`.
        mass_min: smallest leaf, as a share of the states.
        seed: seed of the tree (scikit-learn breaks ties between equally good splits at
            random).
    """
    _, cart_module = require_ema()
    from sklearn.tree import DecisionTreeClassifier

    y = _check_input(x, y)
    x = x.reset_index(drop=True).astype(float)
    n_cases = int(y.sum())
    notes = []
    if n_cases == 0:
        notes.append("there are no cases of interest: the policy meets the margin everywhere")
        return Discovery("cart", [], pd.DataFrame(), 0, len(x), notes)
    algorithm = cart_module.CART(x, y.astype(int), mass_min=mass_min)
    # The library's build_tree, with the tree seeded so that the boxes are reproducible.
    min_leaf = max(1, int(mass_min * len(x)))
    algorithm.clf = DecisionTreeClassifier(min_samples_leaf=min_leaf, random_state=seed)
    algorithm.clf.fit(x.to_numpy(), y.astype(int))
    box_init = pd.DataFrame({c: [x[c].min(), x[c].max()] for c in x.columns})
    leaves = []
    for limits in algorithm.boxes:
        inside = np.ones(len(x), dtype=bool)
        for column in x.columns:
            inside &= (x[column] >= limits[column].iloc[0]) & (x[column] <= limits[column].iloc[1])
        states, cases = int(inside.sum()), int(y[inside].sum())
        leaves.append(
            Box(
                coverage=cases / n_cases,
                density=cases / states if states else math.nan,
                mass=states / len(x),
                states=states,
                cases=cases,
                limits=_limits(limits, box_init, None),
            )
        )
    trajectory = pd.DataFrame(
        [
            {
                "coverage": leaf.coverage,
                "density": leaf.density,
                "mass": leaf.mass,
                "res_dim": len(leaf.limits),
                "states": leaf.states,
                "cases": leaf.cases,
            }
            for leaf in leaves
        ]
    )
    reported = sorted(
        (leaf for leaf in leaves if leaf.density > 0.5), key=lambda b: (-b.coverage, -b.density)
    )
    if not reported:
        notes.append("no leaf of the tree holds a majority of cases of interest")
    return Discovery("cart", reported, trajectory, n_cases, len(x), notes)
