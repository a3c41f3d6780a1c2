"""The model itself, with every mechanism but one switched off, against theory (MODEL.md §8).

Each test builds its limit case from `Scenario()` with dotted overrides and runs the real
`GovernmentResponseModel`: the queues are the operators' desk, the cascades are rumour
events spreading through the model's diffusion phase. The formulas are implemented here
from scratch.

Tolerances come from replications, not from trial and error: each seed gives one
independent estimate (its own graph, arrivals and service times), the standard error (SE)
is the spread of those estimates / sqrt(seeds), and a test asserts that the mean is within
4 SE of theory. With the 6-8 seeds used here (Student t with 5-7 degrees of freedom) a
correct model fails such a check about once in 100-200 seed sets; the seeds are fixed, so
a test either passes or fails for good. Each test also asserts that the SE is small enough
for the comparison to mean something, so a noisy run cannot pass by being vague.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.optimize import brentq

from simulation import GovernmentResponseModel, Scenario
from simulation.agents.operator import TASK_NEW
from simulation.calendar import HOURS_PER_DAY
from simulation.posts import ABANDONED, ANSWERED, OPEN, REFERRED, RUMOUR
from simulation.scenario import WEEKDAYS
from tests.conftest import item_problems, mean_and_se

Z = 4.0  # allowed distance from theory, in standard errors of the replicated mean

# --------------------------------------------------------------------------- theory


def erlang_c(servers: int, arrival_rate: float, service_rate: float) -> tuple[float, float]:
    """M/M/c: (probability an arrival waits, mean wait in queue [hours])."""
    load = arrival_rate / service_rate
    rho = load / servers
    assert rho < 1, "Erlang C needs utilisation below 1"
    below = sum(load**k / math.factorial(k) for k in range(servers))
    top = load**servers / math.factorial(servers) / (1.0 - rho)
    p_wait = top / (below + top)
    return p_wait, p_wait / (servers * service_rate - arrival_rate)


def erlang_a(
    servers: int, arrival_rate: float, service_rate: float, abandon_rate: float
) -> dict[str, float]:
    """M/M/c+M (exponential patience) from its birth-death chain, solved numerically.

    State n = customers present; births at rate λ, deaths at min(n, c)·μ + max(n − c, 0)·θ.
    The chain is truncated where the stationary probabilities are below 1e-16.
    By PASTA an arrival waits with probability P(N ≥ c); by Little's law the mean time in
    queue of all arrivals is E[(N − c)+] / λ, and the abandonment rate is θ·E[(N − c)+].
    """
    probabilities = [1.0]
    n = 0
    while True:
        n += 1
        death = min(n, servers) * service_rate + max(n - servers, 0) * abandon_rate
        probabilities.append(probabilities[-1] * arrival_rate / death)
        if n > servers and probabilities[-1] < 1e-16 * sum(probabilities):
            break
    pi = np.array(probabilities) / sum(probabilities)
    states = np.arange(len(pi))
    queue = np.maximum(states - servers, 0)
    mean_queue = float(pi @ queue)
    return {
        "p_wait": float(pi[servers:].sum()),
        "p_abandon": abandon_rate * mean_queue / arrival_rate,
        "mean_wait": mean_queue / arrival_rate,
    }


def giant_component_share(mean_degree: float, transmissibility: float) -> float:
    """S solving S = 1 − exp(−k T S): bond percolation on an Erdős–Rényi graph."""
    c = mean_degree * transmissibility
    if c <= 1.0:
        return 0.0
    return brentq(lambda s: s - 1.0 + math.exp(-c * s), 1e-12, 1.0)


def test_formulas_reproduce_the_figures_in_model_md():
    p_wait, mean_wait = erlang_c(5, 1.5, 1 / 3)
    assert p_wait == pytest.approx(0.7625, abs=5e-5)
    assert mean_wait == pytest.approx(4.575, abs=5e-4)
    # Erlang A with patience so long nobody gives up is Erlang C.
    limit = erlang_a(5, 1.5, 1 / 3, 1e-9)
    assert limit["p_wait"] == pytest.approx(p_wait, rel=1e-6)
    assert limit["mean_wait"] == pytest.approx(mean_wait, rel=1e-5)
    assert giant_component_share(4, 0.5) == pytest.approx(0.7968, abs=5e-5)
    assert giant_component_share(4, 0.2) == 0.0


# --------------------------------------------------------------------------- queue mode


def queue_scenario(
    servers: int,
    arrivals_per_hour: float,
    service_rate: float,
    patience_hours: float | None = None,
    citizens: int = 200,
) -> Scenario:
    """The operators' desk as an M/M/c (or, with patience, M/M/c+M) queue.

    Needs arrive as a Poisson process (flat rhythm) and all reach the inbox (addressed,
    private: no cascades); all are consultations so easy and operators so skilled and
    motivated that every one gets a substantive reply (no partial, boilerplate, leave,
    referral or release work); handling is exponential with mean 60/μ minutes; operators
    work 24x7 in FIFO order; there is no appraisal.
    """
    overrides = {
        "population.citizens": citizens,
        "population.need_rate_per_day": arrivals_per_hour * HOURS_PER_DAY / citizens,
        "population.daily_rhythm": "flat",
        "population.kind_mix": {
            "consultation": 1.0,
            "request": 0.0,
            "complaint": 0.0,
            "suggestion": 0.0,
        },
        "population.complexity_mean": 1e-3,
        "population.patience_distribution": "none",
        "channels.address_base": 1.0,
        "channels.address_trust_slope": 0.0,
        "channels.non_follower_factor": 1.0,
        "channels.public_share": 0.0,
        "mechanism.preset": "reactive",
        "mechanism.reply_propensity": 5.0,
        "mechanism.release_time_share": 0.0,
        "mechanism.queue_discipline": "fifo",
        "staffing.operators": servers,
        "staffing.shifts": "24x7",
        "staffing.skill_mean": 1.0,
        "staffing.skill_sd": 0.0,
        "staffing.motivation": 10.0,
        "staffing.load_sensitivity": 0.0,
        "staffing.handling_minutes": 60.0 / service_rate,
        "staffing.handling_distribution": "exponential",
        "accountability.rule": "none",
        "network.kind": "random",
        "network.mean_following": 2.0,
    }
    if patience_hours is not None:
        overrides["population.patience_distribution"] = "exponential"
        overrides["population.patience_mean_hours"] = patience_hours
        overrides["reactions.escalation_probability"] = 0.0
    return Scenario().with_overrides(overrides)


@dataclass
class QueueRun:
    """Outcome of one replication, for the items of the measured cohort."""

    n: int
    p_wait: float  # share of the cohort that did not start service on arrival
    mean_wait: float  # mean time in queue (until service or abandonment) [hours]
    mean_reply_time: float  # mean of the model's own reply_time over answered items
    p_abandon: float
    substantive_share: float  # substantive replies / all replies (whole run)


def run_queue(scenario: Scenario, seed: int, days: int, warm_up_days: int = 1) -> QueueRun:
    """Run the model and measure the cohort that arrives after warm-up.

    The wait is read from the operators' desk: its `start_job` callback is wrapped to
    record, for each item's first service, start time − arrival time. (The item's
    `reply_time` is wait + handling time; it is checked separately against W + 1/μ.)
    Items arriving in the last day are left out so the cohort has time to finish.
    """
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    started: dict[int, float] = {}
    desk = model.operator_desk.desk
    start_job = desk.start_job

    def recording_start(ticket, server, now):
        if ticket.task == TASK_NEW and ticket.item not in started:
            started[ticket.item] = now - ticket.arrival
        return start_job(ticket, server, now)

    desk.start_job = recording_start
    model.run()

    store = model.items
    created = store.view("created")
    cohort = np.flatnonzero(
        (created >= warm_up_days * HOURS_PER_DAY) & (created < (days - 1) * HOURS_PER_DAY)
    )
    status = store.view("status")[cohort]
    assert np.isin(status, (ANSWERED, ABANDONED)).all(), "cohort items still waiting at the end"
    served = np.array([item in started for item in cohort.tolist()])
    waits = np.array([started.get(item, np.nan) for item in cohort.tolist()])
    abandoned = status == ABANDONED
    # Those who gave up waited until their patience ran out.
    waits[abandoned] = store.view("ended_at")[cohort][abandoned] - created[cohort][abandoned]
    assert not np.isnan(waits).any()
    assert (served | abandoned).all() and not (served & abandoned).any()
    summary = model.summary()
    replies = sum(summary[f"replies_{q}"] for q in ("substantive", "partial", "boilerplate"))
    answered = status == ANSWERED
    return QueueRun(
        n=len(cohort),
        p_wait=float(np.mean(waits > 0.0)),
        mean_wait=float(waits.mean()),
        mean_reply_time=float(store.view("reply_time")[cohort][answered].mean()),
        p_abandon=float(abandoned.mean()),
        substantive_share=summary["replies_substantive"] / replies,
    )


def assert_matches(name: str, estimates, theory: float, max_relative_se: float) -> str:
    mean, se = mean_and_se(estimates)
    report = (
        f"{name}: simulated {mean:.4f} ± {se:.4f} (SE, {len(estimates)} seeds), theory {theory:.4f}"
    )
    assert se <= max_relative_se * theory, (
        f"{report}: too noisy to test (SE > {max_relative_se:.0%})"
    )
    assert abs(mean - theory) <= Z * se, f"{report}: off by {(mean - theory) / se:+.1f} SE"
    print(report)  # shown with pytest -s or -rP
    return report


def test_operators_desk_is_an_erlang_c_queue():
    """c = 4 operators, λ = 5.6/h, μ = 2/h (30 min): utilisation 0.7, no one gives up."""
    c, lam, mu = 4, 5.6, 2.0
    p_wait, mean_wait = erlang_c(c, lam, mu)  # 0.4287, 0.1786 h
    runs = [run_queue(queue_scenario(c, lam, mu), seed, days=14) for seed in range(8)]
    for run in runs:
        assert run.substantive_share == 1.0, "an operator chose something but a substantive reply"
        assert run.p_abandon == 0.0
    assert_matches("P(wait > 0)", [r.p_wait for r in runs], p_wait, 0.05)
    assert_matches("mean wait [h]", [r.mean_wait for r in runs], mean_wait, 0.10)
    # The item's reply time is the wait plus an exponential handling time of mean 1/μ.
    assert_matches(
        "mean reply time [h]", [r.mean_reply_time for r in runs], mean_wait + 1 / mu, 0.05
    )


@pytest.mark.slow
def test_operators_desk_is_an_erlang_c_queue_at_utilisation_0_8():
    """c = 5, λ = 4/h, μ = 1/h: utilisation 0.8, where waiting is common and long."""
    c, lam, mu = 5, 4.0, 1.0
    p_wait, mean_wait = erlang_c(c, lam, mu)  # 0.5541, 0.5541 h
    runs = [
        run_queue(queue_scenario(c, lam, mu), seed, days=40, warm_up_days=2) for seed in range(8)
    ]
    assert_matches("P(wait > 0)", [r.p_wait for r in runs], p_wait, 0.05)
    assert_matches("mean wait [h]", [r.mean_wait for r in runs], mean_wait, 0.10)


def test_impatient_citizens_make_it_an_erlang_a_queue():
    """c = 4, λ = 4.4/h, μ = 1/h: overloaded (110%), kept stable by exponential patience
    of mean 2 h (θ = 0.5/h); nobody escalates, everyone who runs out of patience gives up."""
    c, lam, mu, patience = 4, 4.4, 1.0, 2.0
    theory = erlang_a(c, lam, mu, 1.0 / patience)
    runs = [
        run_queue(queue_scenario(c, lam, mu, patience_hours=patience), seed, days=14)
        for seed in range(8)
    ]
    for run in runs:
        assert run.substantive_share == 1.0
    assert_matches("P(abandon)", [r.p_abandon for r in runs], theory["p_abandon"], 0.05)
    assert_matches("P(wait > 0)", [r.p_wait for r in runs], theory["p_wait"], 0.05)
    assert_matches("mean time in queue [h]", [r.mean_wait for r in runs], theory["mean_wait"], 0.05)


# --------------------------------------------------------------------------- percolation


def rumour_scenario(
    citizens: int, mean_degree: float, transmissibility: float, posts: int, mutual: bool = True
):
    """Only rumours: an Erdős–Rényi graph (undirected: every follow mutual; or directed,
    each ordered pair an edge with probability k/(N-1)), rumours from random citizens,
    no needs, no releases, nobody following the government account, and enough repost
    generations per hour that every cascade finishes within the day."""
    return Scenario().with_overrides(
        {
            "population.citizens": citizens,
            "population.need_rate_per_day": 0.0,
            "population.follow_share": 0.0,
            "mechanism.preset": "reactive",
            "mechanism.release_time_share": 0.0,
            "network.kind": "random",
            "network.reciprocal": mutual,
            "network.mean_following": mean_degree,
            "diffusion.generations_per_hour": 50,
            "events": [
                {
                    "type": "rumour",
                    "topic": "pensions",
                    "day": 0,
                    "posts": posts,
                    "repost_probability": transmissibility,
                    "leaders_first": False,
                }
            ],
        }
    )


def rumour_cascade_sizes(scenario: Scenario, seed: int) -> tuple[np.ndarray, int]:
    """Accounts that posted or reposted each rumour, from the model's item store."""
    model = GovernmentResponseModel(scenario, seed=seed, days=1, create_citizen_agents=False)
    model.run()
    assert not model.diffusion.active, "a cascade was still spreading at the end of the day"
    rumours = model.items.view("kind") == RUMOUR
    sizes = 1 + model.items.view("reposts")[rumours].astype(np.int64)
    assert len(sizes) == scenario.events[0].posts
    assert sizes.max() == model.summary()["largest_cascade"]
    return sizes, model.graph.n_citizens


@pytest.mark.parametrize("mutual", [True, False], ids=["undirected", "directed"])
def test_rumours_percolate_like_an_erdos_renyi_graph(mutual: bool):
    """k = 4, T = 0.5: S = 0.7968 is both the chance that a rumour becomes large and the
    share of the population a large one reaches. On the directed graph (mean out- and
    in-degree k) the giant in- and out-components both have that share, so the same S
    holds for both."""
    k, T = 4.0, 0.5
    S = giant_component_share(k, T)
    large_share, large_size = [], []
    for seed in range(6):
        sizes, n = rumour_cascade_sizes(rumour_scenario(3000, k, T, 150, mutual), seed)
        large = sizes > 0.1 * n
        # A phase transition: cascades are either a few accounts or most of the graph.
        assert ((sizes < 0.02 * n) | (sizes > 0.6 * n)).all(), f"mid-size cascades: {sizes}"
        large_share.append(large.mean())
        large_size.append(sizes[large].mean() / n)
    assert_matches("share of rumours that become large", large_share, S, 0.05)
    assert_matches("size of large rumours / N", large_size, S, 0.02)


def test_rumours_stay_small_below_the_percolation_threshold():
    """k = 4, T = 0.15 < 1/k: no giant cascade; a rumour's mean size is that of a
    branching process with Poisson(kT) offspring, 1 / (1 − kT) = 2.5."""
    k, T = 4.0, 0.15
    mean_size = []
    for seed in range(6):
        sizes, n = rumour_cascade_sizes(rumour_scenario(3000, k, T, posts=400), seed)
        assert sizes.max() < 0.05 * n, f"largest cascade {sizes.max()} of {n} below threshold"
        mean_size.append(sizes.mean())
    assert_matches("mean rumour cascade size", mean_size, 1.0 / (1.0 - k * T), 0.05)


# --------------------------------------------------------------------------- conservation


def test_every_received_item_is_in_exactly_one_status_at_every_step():
    """Every mechanism on at once (monitoring, referral, joint handling, appraisal,
    escalation, bursts, rumours), checked after every hour."""
    scenario = Scenario().with_overrides(
        {
            "population.citizens": 2000,
            "population.need_rate_per_day": 0.05,
            "population.patience_mean_hours": 12.0,
            "mechanism.preset": "proactive",
            "mechanism.monitoring_threshold_impressions": 50,
            "accountability.rule": "timeliness",
            "accountability.period_days": 1,
            "staffing.operators": 2,
            "events": [
                {
                    "type": "burst",
                    "topic": "pensions",
                    "start_day": 1,
                    "duration_days": 2,
                    "multiplier": 5.0,
                },
                {
                    "type": "rumour",
                    "topic": "employment",
                    "day": 0.5,
                    "posts": 5,
                    "repost_probability": 0.1,
                },
            ],
        }
    )
    model = GovernmentResponseModel(scenario, seed=11, days=6, create_citizen_agents=False)
    before = None
    seen: set[int] = set()
    while model.hour < model.days * HOURS_PER_DAY:
        model.step()
        problems = item_problems(model, before)
        assert not problems, f"after hour {model.hour}: " + "; ".join(problems)
        before = model.items.view("status").copy()
        seen.update(np.unique(before).tolist())
    # The run went through every status and both routes into the inbox.
    assert {OPEN, REFERRED, ANSWERED, ABANDONED} <= seen, f"statuses seen: {seen}"
    summary = model.summary()
    assert summary["received_via_monitoring"] > 0 and summary["escalation_rate"] > 0
    assert summary["rumours_clarified"] > 0


def office_hours_backlog(
    servers: int, arrivals_per_hour: float, service_rate: float, open_hours: tuple[int, int]
) -> tuple[float, float]:
    """Exact periodic mean backlog at opening and at closing time.

    Arrivals all day, service only while open: a birth–death chain whose generator
    switches at opening and closing. The distribution at closing time is the fixed
    point of exp(Q_closed · night) · exp(Q_open · day); truncated far above any backlog
    the chain reaches (its mass there is negligible).
    """
    opens, closes = open_hours
    day, night, size = closes - opens, 24 - (closes - opens), 200

    def generator(serving: bool) -> np.ndarray:
        q = np.zeros((size + 1, size + 1))
        n = np.arange(size + 1)
        q[n[:-1], n[:-1] + 1] = arrivals_per_hour
        if serving:
            q[n[1:], n[1:] - 1] = np.minimum(n[1:], servers) * service_rate
        q[n, n] = -q.sum(axis=1)
        return q

    overnight = expm(generator(False) * night)
    one_day = overnight @ expm(generator(True) * day)
    values, vectors = np.linalg.eig(one_day.T)
    at_closing = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
    at_closing /= at_closing.sum()
    at_opening = at_closing @ overnight
    n = np.arange(size + 1)
    return float(at_opening @ n), float(at_closing @ n)


def test_office_hours_backlog_follows_the_time_of_day_markov_chain():
    """Operators who work 09-17 every day, arrivals around the clock (λ = 1/h, c = 2,
    μ = 2/h): the backlog at opening and at closing time matches the periodic solution
    of the time-inhomogeneous chain (17.31 and 1.31). This checks that work running
    past closing time is suspended and resumed, not lost or finished off the clock.
    Each replication's daily samples are averaged after two warm-up days; the test
    compares the mean over replications with theory within Z standard errors.
    """
    opening, closing = office_hours_backlog(2, 1.0, 2.0, (9, 17))
    assert opening == pytest.approx(17.31, abs=0.01)
    assert closing == pytest.approx(1.31, abs=0.01)
    scenario = queue_scenario(servers=2, arrivals_per_hour=1.0, service_rate=2.0).with_overrides(
        {
            "staffing.shifts": "office_hours",
            "calendar.working_weekdays": list(WEEKDAYS),
            "calendar.office_hours_start": 9,
            "calendar.office_hours_end": 17,
        }
    )
    days, warm_up = 60, 2
    at_opening, at_closing = [], []
    for seed in range(1, 7):
        model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
        samples = {9: [], 17: []}
        while model.hour < days * HOURS_PER_DAY:
            model.step()
            hour = model.hour % HOURS_PER_DAY
            if hour in samples and model.hour >= warm_up * HOURS_PER_DAY:
                status = model.items.view("status")
                samples[hour].append(int(np.count_nonzero(status == OPEN)))
        at_opening.append(np.mean(samples[9]))
        at_closing.append(np.mean(samples[17]))
    assert_matches("backlog at 09:00", at_opening, opening, max_relative_se=0.05)
    assert_matches("backlog at 17:00", at_closing, closing, max_relative_se=0.15)
