"""Every figure function drawn at its default size from tables of the engine's shapes.

The tables look like real results where it matters to a reader: ten scenarios with
long names, counts in the thousands, trust that moves by a thousandth, a grid value
stored as 0.30000000000000004, a Latin hypercube's raw floats. `gallery()` returns
name → Figure; `python -m tests.figure_gallery DIR` saves them as PNG to look at.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation.experiment import plots
from simulation.experiment.discovery import Box, Discovery

REMEDIES = (
    "all_remedies",
    "appraisal_response_rate",
    "appraisal_satisfaction",
    "appraisal_timeliness_48h",
    "closed_loop",
    "closed_loop_mandate",
    "joint",
    "proactive",
    "reply_mandate",
    "trained_operators",
)
BASELINE = "baseline"
# metric → (baseline mean, spread of a scenario's effect, replication sd)
COMPARED = {
    "response_rate": (0.36, 0.2, 0.03),
    "median_response_hours": (7.0, 5.0, 1.0),
    "p90_response_hours": (60.0, 20.0, 6.0),
    "one_sided_share": (0.4, 0.3, 0.02),
    "resolution_rate": (0.2, 0.3, 0.02),
    "satisfaction": (0.1, 0.4, 0.03),
    "mean_trust": (0.548, 0.006, 0.002),
    "negative_impressions": (5800.0, 1500.0, 600.0),
    "contacts": (1580.0, 300.0, 40.0),
}
REPLICATIONS = 5


def runs_table() -> pd.DataFrame:
    """One row per run: the baseline and ten remedies, five seeds each."""
    rng = np.random.default_rng(7)
    rows = []
    for number, scenario in enumerate((BASELINE, *REMEDIES)):
        effects = {
            m: (0 if number == 0 else rng.uniform(-1, 1) * e) for m, (_, e, _) in COMPARED.items()
        }
        for replication in range(REPLICATIONS):
            row = {
                "scenario": scenario,
                "scenario_hash": f"h{number}",
                "seed": 1 + replication,
                "replication": replication,
                "error": None,
            }
            for metric, (mean, _, sd) in COMPARED.items():
                value = mean + effects[metric] + rng.normal(0, sd)
                row[metric] = (
                    float(np.clip(value, 0, 1)) if metric.endswith(("rate", "share")) else value
                )
            rows.append(row)
    return pd.DataFrame(rows)


def comparison_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Differences from the baseline paired by seed, with normal-approximation intervals."""
    rows = []
    base = runs[runs["scenario"] == BASELINE].set_index("seed")
    for metric in COMPARED:
        for scenario, part in runs.groupby("scenario", sort=False):
            paired = part.set_index("seed")[metric] - base[metric]
            diff = np.nan if scenario == BASELINE else float(paired.mean())
            half = 2.8 * float(paired.std()) / np.sqrt(len(paired))
            rows.append(
                {
                    "scenario": scenario,
                    "metric": metric,
                    "n": len(part),
                    "mean": float(part[metric].mean()),
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "diff": diff,
                    "diff_ci_low": diff - half,
                    "diff_ci_high": diff + half,
                    "p_adjusted": np.nan if scenario == BASELINE else 0.01,
                    "significant": scenario != BASELINE and abs(diff) > half,
                }
            )
    return pd.DataFrame(rows)


def daily_table(
    scenarios=(BASELINE, "closed_loop", "reply_mandate"), days: int = 30
) -> pd.DataFrame:
    """One row per run-day: a baseline-like run's daily series, per scenario and seed."""
    rng = np.random.default_rng(3)
    rows = []
    for shift, scenario in enumerate(scenarios):
        for replication in range(3):
            for day in range(days):
                received = int(rng.poisson(1500))
                rows.append(
                    {
                        "scenario": scenario,
                        "seed": 1 + replication,
                        "replication": replication,
                        "day": day,
                        "received": received,
                        "first_replies": int(received * (0.35 + 0.1 * shift) * (day % 7 < 5)),
                        "backlog_operators": int(rng.poisson(400 + 30 * (day % 7))),
                        "backlog_departments": int(rng.poisson(1200)),
                        "mean_trust": 0.553
                        - 0.00033 * day
                        + 0.0001 * shift * day
                        + rng.normal(0, 0.0002),
                    }
                )
    return pd.DataFrame(rows)


def grid_runs() -> pd.DataFrame:
    """A grid sweep's runs: operators × training (one level stored as float noise)."""
    rng = np.random.default_rng(4)
    rows = []
    for point, (operators, training) in enumerate(
        (o, t) for o in (1, 2, 4, 8) for t in (0.0, 0.1, 0.2, 0.1 + 0.2)
    ):
        for replication in range(2):
            rows.append(
                {
                    "point": point,
                    "replication": replication,
                    "staffing.operators": operators,
                    "staffing.training": training,
                    "response_rate": min(
                        1.0, 0.2 + 0.08 * operators + training + rng.normal(0, 0.02)
                    ),
                    "negative_impressions": 9000.0 / operators + rng.normal(0, 100),
                    "mean_trust": 0.548 + 0.0005 * operators + rng.normal(0, 0.0003),
                    "error": None,
                }
            )
    return pd.DataFrame(rows)


def sampled_runs(points: int = 48) -> pd.DataFrame:
    """A Latin hypercube's runs: three parameters drawn as raw floats, one run a point."""
    rng = np.random.default_rng(5)
    operators = rng.integers(1, 7, points)
    training = rng.uniform(0, 0.3, points)
    deadline = rng.uniform(12, 96, points)
    return pd.DataFrame(
        {
            "point": range(points),
            "replication": 0,
            "staffing.operators": operators,
            "staffing.training": training,
            "accountability.deadline_hours": deadline,
            "response_rate": np.clip(
                0.2 + 0.06 * operators + training + rng.normal(0, 0.04, points), 0, 1
            ),
            "negative_impressions": 9000.0 / operators + rng.normal(0, 300, points),
            "mean_trust": 0.548 + 0.0004 * operators + rng.normal(0, 0.0004, points),
            "error": None,
        }
    )


def sobol_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parameter": [
                "staffing.operators",
                "staffing.training",
                "accountability.deadline_hours",
            ],
            "S1": [0.62, 0.2, -0.01],
            "S1_conf": [0.1, 0.08, 0.03],
            "ST": [0.7, 0.3, 0.02],
            "ST_conf": [0.12, 0.1, 0.02],
        }
    )


def sobol_table_warned() -> pd.DataFrame:
    """Like the sensitivity report's: 28 long parameter names, many wide intervals."""
    rng = np.random.default_rng(9)
    names = [f"reactions.follow_up_dissatisfaction_weight_{i}" for i in range(28)]
    first = rng.normal(0.02, 0.05, len(names))
    first[0] = 1.15  # an estimate beyond 1, with its interval
    return pd.DataFrame(
        {
            "parameter": names,
            "S1": first,
            "S1_conf": rng.uniform(0.02, 0.3, len(names)),
            "ST": np.abs(first) + rng.uniform(0.0, 0.2, len(names)),
            "ST_conf": rng.uniform(0.02, 0.4, len(names)),
        }
    )


def regret_frame() -> pd.DataFrame:
    rng = np.random.default_rng(6)
    rows = []
    for outcome, scale in (("response_rate", 0.05), ("negative_impressions", 900.0)):
        for policy in ("baseline", "closed_loop", "reply_mandate", "all_remedies"):
            for state in range(12):
                regret = 0.0 if policy == "all_remedies" else abs(rng.normal(scale, scale / 2))
                rows.append(
                    {
                        "outcome": outcome,
                        "policy": policy,
                        "state": state,
                        "regret": regret,
                        "regret_se": scale / 5,
                    }
                )
    return pd.DataFrame(rows)


def discovery() -> tuple[Discovery, pd.DataFrame, list[str]]:
    rng = np.random.default_rng(8)
    names = ["population.citizens", "population.patience_mean_hours", "staffing.training"]
    cases = pd.DataFrame(
        {
            "population.citizens": rng.uniform(1000, 20000, 60),
            "population.patience_mean_hours": rng.uniform(6, 72, 60),
            "staffing.training": rng.uniform(0, 0.3, 60),
        }
    )
    cases["case"] = (cases["population.citizens"] > 12000) & (cases["staffing.training"] < 0.15)
    limits = pd.DataFrame(
        [
            {"uncertainty": "population.citizens", "low": 12034.5678, "high": 19987.1234,
             "min": 1000.0, "max": 20000.0, "qp_low": 0.00001, "qp_high": np.nan},
            {"uncertainty": "staffing.training", "low": 0.0, "high": 0.1498765,
             "min": 0.0, "max": 0.3, "qp_low": np.nan, "qp_high": 0.0234},
        ]
    )  # fmt: skip
    box = Box(coverage=0.8, density=0.9, mass=0.2, states=12, cases=11, limits=limits)
    trajectory = pd.DataFrame(
        {
            "coverage": np.linspace(1, 0.5, 8),
            "density": np.linspace(0.25, 0.95, 8),
            "mass": np.linspace(1, 0.1, 8),
            "res_dim": [0, 1, 1, 1, 2, 2, 2, 3],
        }
    )
    found = Discovery("prim", [box], trajectory, int(cases["case"].sum()), len(cases))
    return found, cases, names


NAMES = (
    "run_daily",
    "daily_series_mean_trust",
    "daily_series_backlog",
    "distribution_response_rate",
    "distribution_negative_impressions",
    "distribution_by_parameter",
    "forest",
    "forest_one",
    "heatmap_grid",
    "heatmap_counts",
    "heatmap_trust",
    "heatmap_difference",
    "partial_dependence",
    "partial_dependence_counts",
    "partial_dependence_trust",
    "sensitivity",
    "sensitivity_warned",
    "regret",
    "tradeoff",
    "box_limits",
    "experiments_tradeoff",
)


def gallery() -> dict[str, Figure]:
    """name → every figure function's figure, at its default size."""
    runs = runs_table()
    table = comparison_table(runs)
    daily = daily_table()
    grid = grid_runs()
    sampled = sampled_runs()
    found, cases, names = discovery()
    one_run = daily[(daily["scenario"] == BASELINE) & (daily["replication"] == 0)]
    figures = {
        "run_daily": plots.run_daily(one_run),
        "daily_series_mean_trust": plots.daily_series(daily, "mean_trust"),
        "daily_series_backlog": plots.daily_series(daily, "backlog_operators"),
        "distribution_response_rate": plots.distribution(runs, "response_rate"),
        "distribution_negative_impressions": plots.distribution(runs, "negative_impressions"),
        "distribution_by_parameter": plots.distribution(
            grid, "response_rate", by="staffing.training"
        ),
        "forest": plots.forest(table, baseline=BASELINE),
        "forest_one": plots.forest(table, "contacts", baseline=BASELINE),
        "heatmap_grid": plots.heatmap(
            grid, "staffing.operators", "staffing.training", "response_rate"
        ),
        "heatmap_counts": plots.heatmap(
            grid, "staffing.operators", "staffing.training", "negative_impressions"
        ),
        "heatmap_trust": plots.heatmap(
            grid, "staffing.operators", "staffing.training", "mean_trust"
        ),
        "heatmap_difference": plots.heatmap(
            grid.assign(gap=grid["response_rate"] - 0.5),
            "staffing.operators",
            "staffing.training",
            "gap",
            unit="share",
            difference=True,
        ),
        "partial_dependence": plots.partial_dependence(
            sampled,
            ["staffing.operators", "staffing.training", "accountability.deadline_hours"],
            "response_rate",
        ),
        "partial_dependence_counts": plots.partial_dependence(
            sampled, ["staffing.operators", "staffing.training"], "negative_impressions"
        ),
        "partial_dependence_trust": plots.partial_dependence(
            sampled,
            ["staffing.operators", "staffing.training", "accountability.deadline_hours"],
            "mean_trust",
        ),
        "sensitivity": plots.sensitivity(sobol_table(), metric="response_rate"),
        "sensitivity_warned": plots.sensitivity(
            sobol_table_warned(), metric="mean_trust", samples=128
        ),
        "regret": plots.regret(regret_frame()),
        "tradeoff": plots.tradeoff(found),
        "box_limits": plots.box_limits(found, cases, names),
        "experiments_tradeoff": _scripts_tradeoff(runs),
    }
    assert tuple(figures) == NAMES
    return figures


def _scripts_tradeoff(runs: pd.DataFrame) -> Figure:
    """The experiment scripts' own figure: two metrics against each other, per variant."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))
    import _common

    points = []
    shown = runs[runs["scenario"].isin([BASELINE, "closed_loop", "reply_mandate", "joint"])]
    for scenario, part in shown.groupby("scenario", sort=False):
        x, y = part["response_rate"], part["negative_impressions"]
        points.append(
            _common.Point(
                group="remedies" if scenario != BASELINE else BASELINE,
                label=scenario,
                x=x.mean(),
                x_low=x.mean() - 2 * x.sem(),
                x_high=x.mean() + 2 * x.sem(),
                y=y.mean(),
                y_low=y.mean() - 2 * y.sem(),
                y_high=y.mean() + 2 * y.sem(),
            )
        )
    return _common.tradeoff(
        points, "response_rate", "negative_impressions", "Reply rate against exposure"
    )


if __name__ == "__main__":  # pragma: no cover - a tool to look at the figures
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/gallery")
    out.mkdir(parents=True, exist_ok=True)
    for name, fig in gallery().items():
        fig.savefig(out / f"{name}.png", dpi=plots.DPI)
        print(out / f"{name}.png")
