"""Helpers for the tutorial notebooks (experiments/notebooks): small runs, readable tables.

The notebooks stay thin: each step of a lesson is one call here or in the package. These
need only the core dependencies (numpy, pandas, matplotlib), not solara.

- `small_scenario`: a bundled scenario shrunk to run in a second, with dotted overrides
- `run_observed`: run a model hour by hour with an `Observer` (hourly records)
- `items_table`: the posts with needs, with names instead of codes
- `explain`: summary metrics with their unit and meaning from the glossary
- `run_variants`, `plot_variants`: the same seeds through several variants, and a chart
- `reach_table`, `trust_by_outcome`: how far posts travel; what replies do to trust
- `queue_scenario`, `queue_wait`: the operators' desk alone, to compare with Erlang C
- `rule_scores`: what each appraisal rule makes an operator's options worth
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.accountability import RULES, Outlook, UnitRecord, make_rule
from simulation.codes import (
    ABANDONED,
    ANSWERED,
    CHANNEL_NAMES,
    HOURS_PER_DAY,
    KIND_NAMES,
    NOT_RECEIVED,
    QUALITY_NAMES,
    RUMOUR,
)
from simulation.metrics import METRICS, item_table
from simulation.model import GovernmentResponseModel
from simulation.runner import run_one
from simulation.scenario import AccountabilitySettings, Scenario, load_scenario
from simulation.validation.limits import queue_scenario as limit_queue_scenario
from simulation.viz.observer import Observer

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# The outcomes a lesson usually looks at first.
HEADLINE = (
    "response_rate",
    "median_response_hours",
    "p90_response_hours",
    "resolution_rate",
    "one_sided_share",
    "mean_trust",
)


def small_scenario(
    name: str = "baseline",
    citizens: int = 2000,
    days: int = 14,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Scenario:
    """A bundled scenario (or .toml file) at a teaching size, with overrides on top.

    `overrides` are dotted keys as for `microgov run --set`: a dict
    (`{"staffing.operators": 4}`) or strings (`["staffing.operators=4"]`).
    """
    size: dict[str, Any] = {"run.days": days}
    if load_scenario(name).network.kind != "edge_list":  # an edge list sets its citizens
        size["population.citizens"] = citizens
    if overrides is None:
        extra: dict[str, Any] | list[str] = {}
    elif isinstance(overrides, Mapping):
        extra = dict(overrides)
    else:
        extra = list(overrides)
    scenario = load_scenario(name, overrides=size)
    return scenario.with_overrides(extra) if extra else scenario


def run_observed(
    scenario: Scenario, seed: int | None = None, hours: int | None = None
) -> tuple[GovernmentResponseModel, Observer]:
    """Build a model and step it `hours` hours (default: the whole run), observing each."""
    model = GovernmentResponseModel(scenario, seed=seed)
    observer = Observer(model)
    total = model.days * HOURS_PER_DAY if hours is None else min(hours, model.days * HOURS_PER_DAY)
    for _ in range(total - model.hour):
        model.step()
    return model, observer


def items_table(model: GovernmentResponseModel, day: int | None = None) -> pd.DataFrame:
    """Every post with a need (and every rumour) so far, one row each, codes as names.

    Columns: created (hours), day, author, kind, topic, channel, status, received,
    reply_hours, quality, escalations, impressions, reposts. `day` keeps one day's posts.
    """
    full = item_table(model.items, model.scenario.topics, model.plans)
    table = pd.DataFrame(
        {
            "created": full["created"].round(2),
            "day": (full["created"] // HOURS_PER_DAY).astype(int),
            "author": full["author"],
            "kind": full["kind"].astype(str),
            "topic": full["topic"].astype(str),
            "channel": full["channel"].astype(str),
            "status": full["status"].astype(str).str.replace("_", " "),
            "received": full["received"].notna(),
            "reply_hours": full["reply_hours"].round(2),
            "quality": full["reply_quality"].astype(str),
            "escalations": full["escalations"],
            "impressions": full["impressions"],
            "reposts": full["reposts"],
        }
    )
    if day is not None:
        table = table[table["day"] == day].reset_index(drop=True)
    return table


def explain(summary: Mapping[str, float], metrics: Iterable[str] = HEADLINE) -> pd.DataFrame:
    """Metrics with their value, unit and meaning (from `simulation.metrics.METRICS`)."""
    rows = []
    for name in metrics:
        unit, meaning = METRICS.get(name, ("", ""))
        rows.append({"metric": name, "value": summary[name], "unit": unit, "meaning": meaning})
    return pd.DataFrame(rows).set_index("metric")


def run_variants(
    variants: Mapping[str, Scenario],
    seeds: Iterable[int] = (1, 2, 3),
    days: int | None = None,
    metrics: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Run every variant with every seed (the same seeds: common random numbers).

    Returns one row per (variant, seed) with the summary metrics (all, or `metrics`).
    """
    rows = []
    seeds = list(seeds)
    for label, scenario in variants.items():
        for seed in seeds:
            summary = run_one(scenario, seed=seed, days=days).summary
            if metrics is not None:
                summary = {m: summary[m] for m in metrics}
            rows.append({"variant": label, "seed": seed, **summary})
    return pd.DataFrame(rows)


def plot_variants(
    table: pd.DataFrame,
    metrics: Iterable[str] = HEADLINE,
    columns: int = 3,
    title: str | None = None,
) -> Figure:
    """One panel per metric: each variant's mean as a bar, each seed as a dot."""
    from matplotlib.figure import Figure

    metrics = list(metrics)
    rows = -(-len(metrics) // columns)
    fig = Figure(figsize=(3.3 * columns, 2.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    order = list(dict.fromkeys(table["variant"]))
    x = np.arange(len(order))
    for ax, metric in zip(axes, metrics, strict=False):
        means = table.groupby("variant", sort=False)[metric].mean().reindex(order)
        ax.bar(x, means.to_numpy(), color="#9ab7d3", edgecolor="#1f3b73")
        for i, label in enumerate(order):
            values = table.loc[table["variant"] == label, metric].to_numpy(dtype=float)
            ax.plot(np.full(len(values), i), values, "o", color="#1f3b73", ms=3)
        unit = METRICS.get(metric, ("", ""))[0]
        ax.set_title(f"{metric} [{unit}]" if unit else metric, fontsize=9)
        ax.set_xticks(x, order, rotation=30, ha="right", fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def reach_table(model: GovernmentResponseModel) -> pd.DataFrame:
    """Public posts with needs (@-mentions and vents): who wrote them and how far they went.

    Columns: kind, channel, author_followers, opinion_leader, impressions, reposts,
    escalations, answered.
    """
    items = model.items
    channel = items.view("channel")
    public = (channel == CHANNEL_NAMES.index("mention")) | (channel == CHANNEL_NAMES.index("vent"))
    public &= items.view("kind") != RUMOUR
    author = items.view("author")[public]
    return pd.DataFrame(
        {
            "kind": [KIND_NAMES[k] for k in items.view("kind")[public]],
            "channel": [CHANNEL_NAMES[c] for c in channel[public]],
            "author_followers": model.graph.follower_counts[author],
            "opinion_leader": model.population.is_leader[author],
            "impressions": items.view("impressions")[public],
            "reposts": items.view("reposts")[public],
            "escalations": items.view("escalations")[public],
            "answered": items.view("status")[public] == ANSWERED,
        }
    )


def trust_by_outcome(model: GovernmentResponseModel, initial_trust: np.ndarray) -> pd.DataFrame:
    """Change in trust of citizens by what happened to the one request they made.

    Only citizens with exactly one received request count (so one outcome explains their
    change). Outcomes: substantive, partial, boilerplate (replies), gave up, still waiting;
    `everyone else` is the citizens without a received request, for comparison.
    Returns outcome, citizens, mean_change.
    """
    items = model.items
    status = items.view("status")
    received = (status != NOT_RECEIVED) & (items.view("kind") != RUMOUR)
    authors = items.view("author")[received]
    ids, counts = np.unique(authors, return_counts=True)
    single = set(ids[counts == 1].tolist())
    rows: dict[str, list[int]] = {}
    for item in np.flatnonzero(received).tolist():
        author = int(items.author[item])
        if author not in single:
            continue
        if status[item] == ANSWERED:
            outcome = QUALITY_NAMES[int(items.quality[item])]
        elif status[item] == ABANDONED:
            outcome = "gave up"
        else:
            outcome = "still waiting"
        rows.setdefault(outcome, []).append(author)
    change = model.population.trust - initial_trust
    others = np.ones(model.population.n, dtype=bool)
    others[np.unique(authors)] = False
    order = ["substantive", "partial", "boilerplate", "still waiting", "gave up"]
    table = [
        {"outcome": o, "citizens": len(rows[o]), "mean_change": float(change[rows[o]].mean())}
        for o in order
        if o in rows
    ]
    table.append(
        {
            "outcome": "everyone else",
            "citizens": int(others.sum()),
            "mean_change": float(change[others].mean()),
        }
    )
    return pd.DataFrame(table)


def queue_scenario(
    servers: int, utilisation: float, handling_minutes: float = 20.0, citizens: int = 200
) -> Scenario:
    """The operators' desk as an M/M/c queue at a given utilisation (ρ = λ / (c μ)).

    Everything else is switched off (`simulation.validation.limits.queue_scenario`):
    needs arrive around the clock as a Poisson process, all reach the inbox privately
    (no cascades), all are easy consultations that skilled, motivated operators answer
    substantively, first come first served, 24x7, with exponential handling of mean
    `handling_minutes`; nobody gives up.
    """
    service_rate = 60.0 / handling_minutes  # per hour
    arrivals_per_hour = utilisation * servers * service_rate
    scenario = limit_queue_scenario(servers, arrivals_per_hour, service_rate, citizens=citizens)
    return scenario.with_overrides({"name": f"queue_c{servers}_rho{utilisation:g}"})


def queue_wait(scenario: Scenario, seed: int = 1, days: int = 14, warm_up_days: int = 1) -> float:
    """Mean wait in the queue [hours] of the items that arrived after warm-up.

    The wait is from an item's arrival in the inbox to the start of its first service,
    read from the run's item table; the last day's arrivals are left out so that they
    have time to be served.
    """
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    model.run()
    items = item_table(model.items, scenario.topics)
    created = items["created"]
    cohort = (created >= warm_up_days * HOURS_PER_DAY) & (created < (days - 1) * HOURS_PER_DAY)
    return float(items.loc[cohort & items["service_started"].notna(), "queue_wait_hours"].mean())


# An operator's options on one complaint, 20 hours before a 48-hour deadline: what the
# citizen would get, how soon, and how satisfied they would be (the reactions' defaults:
# substantive 1.0, partial 0.2, boilerplate -0.4, giving up -1.0; 30 % of closed requests
# rated; a citizen left waiting gives up with probability 0.7, else escalates).
OPTIONS = {
    "answer it properly (reply in 6 h)": Outlook(True, 6.0, 20.0, 1.0, 0.3),
    "partial answer (reply in 3 h)": Outlook(True, 3.0, 20.0, 0.2, 0.3),
    "boilerplate brush-off (reply now)": Outlook(True, 0.0, 20.0, -0.4, 0.3),
    "refer to a department (reply in 40 h)": Outlook(True, 40.0, 20.0, 0.8, 0.3),
    "leave it (citizen may give up)": Outlook(False, float("inf"), 20.0, -1.0, 0.3, 0.7),
}
# The operator's record so far this period: 10 items taken, 6 replied (4 on time), five
# ratings averaging 0.3.
RECORD = UnitRecord(handled=10, replied=6, on_time=4, rating_sum=1.5, ratings=5)


def rule_scores(
    options: Mapping[str, Outlook] | None = None, record: UnitRecord | None = None
) -> pd.DataFrame:
    """What each appraisal rule makes each option (rows) worth — before the time it costs.

    The worth is the expected change of the operator's period score given its record so
    far, per item handled (`Rule.item_score`); operators weigh it, times their appraisal
    pressure, against the quality of the outcome and the time each option takes
    (`simulation/agents/operator.py`). The satisfaction rule appears with each survey:
    the call-back survey of every closed request (the default) and replies only.
    """
    options = OPTIONS if options is None else options
    record = RECORD if record is None else record
    columns = {rule: AccountabilitySettings(rule=rule) for rule in RULES if rule != "satisfaction"}
    columns["satisfaction"] = AccountabilitySettings(rule="satisfaction")
    columns["satisfaction (replies only)"] = AccountabilitySettings(
        rule="satisfaction", satisfaction_survey="replies"
    )
    table = {
        name: [make_rule(settings).item_score(record, o) for o in options.values()]
        for name, settings in columns.items()
    }
    return pd.DataFrame(table, index=list(options)).round(2)
