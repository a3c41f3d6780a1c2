"""Robustness of policies across states of the world: regret and satisficing.

The tables here take the outcomes of an exploration (`simulation.experiment.explore`):
one row per run with columns `policy`, `state`, `replication` and the outcome metrics.
A run that failed has NaN metrics (its `error` column says why) and is left out.

- **Regret** (Savage 1951; as in the EMA Workbench): in each state, a policy's regret on
  an outcome is how far its mean over the replications falls short of the best policy's
  mean there, in the outcome's better direction (best − value when maximising, value −
  best when minimising), so it is 0 for the best policy and never negative. Its noise
  is the standard error of the mean of the paired differences from the best policy,
  replication by replication (replication i of every policy in a state runs on the same
  seed, so the pairs share their random draws).
- **Satisficing** (Simon; Starr's domain criterion): the share of states in which a
  policy's mean meets the outcome's threshold (at least it when maximising, at most it
  when minimising), with a Wilson interval.

Both rank policies by the states they are drawn over: the states are a sample of the
uncertainty space, and `robustness` gives the interval of a policy's mean regret over
them (a bootstrap over states). Choosing the best policy by noisy means makes regret
lean upward where policies are close: two identical policies each show a regret of
about 0.4 replication standard errors on average, so a mean regret within the
`replication_se` column is not told apart from noise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from simulation.experiment import stats

REGRET_COLUMNS = [
    "outcome",
    "policy",
    "state",
    "n",
    "value",
    "best_policy",
    "best_value",
    "regret",
    "regret_se",
    "meets",
]
ROBUSTNESS_COLUMNS = [
    "outcome",
    "direction",
    "policy",
    "states",
    "mean_value",
    "mean_regret",
    "regret_ci_low",
    "regret_ci_high",
    "median_regret",
    "p90_regret",
    "max_regret",
    "replication_se",
    "best_share",
    "threshold",
    "satisficing_share",
    "satisficing_ci_low",
    "satisficing_ci_high",
]


def _sign(direction: str) -> float:
    if direction not in ("maximise", "minimise"):
        raise ValueError(f"direction must be 'maximise' or 'minimise', got {direction!r}")
    return 1.0 if direction == "maximise" else -1.0


def regret_table(
    outcomes: pd.DataFrame,
    directions: dict[str, str],
    thresholds: dict[str, float] | None = None,
    order: list[str] | None = None,
) -> pd.DataFrame:
    """Each policy's regret in each state, on each outcome.

    Parameters:
        outcomes: one row per run: policy, state, replication and the outcome columns.
        directions: outcome → 'maximise' or 'minimise'.
        thresholds: outcome → satisficing threshold (outcomes not named get `meets` NaN).
        order: policies in the order of the table (default: as they appear).

    Returns one row per (outcome, policy, state): n (replications with a value), value
    (their mean), best_policy and best_value (the best mean in that state; ties go to
    the policy listed first), regret (≥ 0), regret_se (standard error of the paired
    differences from the best policy; 0 for the best, NaN with fewer than two pairs)
    and meets (whether value meets the threshold; NaN without one or without a value).
    """
    thresholds = thresholds or {}
    policies = order or list(dict.fromkeys(outcomes["policy"]))
    rows = []
    for outcome, direction in directions.items():
        sign = _sign(direction)
        wide = outcomes.pivot_table(
            index=["state", "replication"], columns="policy", values=outcome, aggfunc="first"
        ).reindex(columns=policies)
        for state, runs in wide.groupby(level="state", sort=True):
            means = runs.mean(skipna=True)
            counts = runs.notna().sum()
            signed = sign * means
            best = signed.idxmax() if signed.notna().any() else None
            for policy in policies:
                value = float(means[policy])
                row = {
                    "outcome": outcome,
                    "policy": policy,
                    "state": int(state),
                    "n": int(counts[policy]),
                    "value": value,
                    "best_policy": best,
                    "best_value": float(means[best]) if best is not None else math.nan,
                    "regret": math.nan,
                    "regret_se": math.nan,
                    "meets": math.nan,
                }
                if best is not None and not math.isnan(value):
                    row["regret"] = float(sign * (means[best] - value))
                    if policy == best:
                        row["regret_se"] = 0.0
                    else:
                        pairs = (sign * (runs[best] - runs[policy])).dropna().to_numpy()
                        if len(pairs) >= 2:
                            row["regret_se"] = float(pairs.std(ddof=1) / math.sqrt(len(pairs)))
                if outcome in thresholds and not math.isnan(value):
                    row["meets"] = bool(sign * (value - thresholds[outcome]) >= 0)
                rows.append(row)
    return pd.DataFrame(rows, columns=REGRET_COLUMNS)


def robustness(
    regret: pd.DataFrame,
    directions: dict[str, str],
    thresholds: dict[str, float] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per outcome and policy: regret over the states, and the satisficing share.

    Parameters:
        regret: a `regret_table`.
        directions, thresholds: as for `regret_table`.
        confidence: level of the intervals.

    Returns one row per (outcome, policy): states (with a value), mean_value, mean_regret
    and its bootstrap interval over states (regret_ci_low, regret_ci_high),
    median_regret, p90_regret, max_regret, replication_se (root mean square of the
    regret_se of the states where the policy is not best: the replication noise of one
    state's regret; NaN where it is best everywhere), best_share (share
    of states where the policy is best), threshold, satisficing_share (share of states
    that meet it) and its Wilson interval.
    """
    thresholds = thresholds or {}
    rows = []
    for (outcome, policy), group in regret.groupby(["outcome", "policy"], sort=False):
        values = stats.finite(group["regret"])
        low, high = stats.bootstrap_ci(values, confidence)
        ses = stats.finite(group.loc[group["best_policy"] != policy, "regret_se"])
        row = {
            "outcome": outcome,
            "direction": directions[outcome],
            "policy": policy,
            "states": len(values),
            "mean_value": float(np.nanmean(group["value"])) if len(values) else math.nan,
            "mean_regret": float(values.mean()) if len(values) else math.nan,
            "regret_ci_low": low,
            "regret_ci_high": high,
            "median_regret": float(np.median(values)) if len(values) else math.nan,
            "p90_regret": float(np.quantile(values, 0.9)) if len(values) else math.nan,
            "max_regret": float(values.max()) if len(values) else math.nan,
            "replication_se": float(np.sqrt(np.mean(ses**2))) if len(ses) else math.nan,
            "best_share": float((group["best_policy"] == policy).mean()),
            "threshold": thresholds.get(outcome, math.nan),
            "satisficing_share": math.nan,
            "satisficing_ci_low": math.nan,
            "satisficing_ci_high": math.nan,
        }
        if outcome in thresholds:
            judged = group["meets"].dropna().astype(bool)
            row.update(_share(int(judged.sum()), len(judged), confidence))
        rows.append(row)
    return pd.DataFrame(rows, columns=ROBUSTNESS_COLUMNS)


def joint_satisficing(regret: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per policy: the share of states meeting every outcome's threshold at once.

    Only outcomes with a threshold count (rows whose `meets` is not NaN); a state is
    judged when it has a value on every one of them. Returns policy, states, outcomes
    (how many thresholds), satisficing_share and its Wilson interval.
    """
    judged = regret[regret["meets"].notna()]
    columns = ["policy", "states", "outcomes", "satisficing_share"]
    columns += ["satisficing_ci_low", "satisficing_ci_high"]
    if judged.empty:
        return pd.DataFrame(columns=columns)
    n_outcomes = judged["outcome"].nunique()
    rows = []
    for policy, group in judged.groupby("policy", sort=False):
        per_state = group.groupby("state")["meets"].agg(["count", lambda m: bool(m.all())])
        complete = per_state[per_state["count"] == n_outcomes]
        met = int(complete.iloc[:, 1].sum())
        rows.append(
            {
                "policy": policy,
                "states": len(complete),
                "outcomes": n_outcomes,
                **_share(met, len(complete), confidence),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _share(successes: int, n: int, confidence: float) -> dict[str, float]:
    """A share and its Wilson interval (NaN without observations)."""
    if n == 0:
        return {
            "satisficing_share": math.nan,
            "satisficing_ci_low": math.nan,
            "satisficing_ci_high": math.nan,
        }
    interval = scipy_stats.binomtest(successes, n).proportion_ci(confidence, method="wilson")
    return {
        "satisficing_share": successes / n,
        "satisficing_ci_low": float(interval.low),
        "satisficing_ci_high": float(interval.high),
    }
