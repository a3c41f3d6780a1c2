"""Limit cases: the model with all but one mechanism switched off, and runs to measure it.

The scenario builders (`queue_scenario`, `feedback_queue_scenario`,
`office_hours_scenario`, `rumour_scenario`, `edge_list_rumour_scenario`) set up the
model so that one part of it has a textbook answer (`simulation.validation.theory`);
the run functions (`run_queue`, `run_contact_queue`, `backlog_by_hour`,
`rumour_cascade_sizes`, `run_scenario`) run the real model and read
off what theory predicts. They are shared by the validation report
(`simulation.validation.checks`), the fast, strict checks in `tests/test_theory.py` and
the golden outputs (`tests/golden/`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.codes import (
    ABANDONED,
    ANSWERED,
    HOURS_PER_DAY,
    MENTION,
    NOT_RECEIVED,
    OPEN,
    POST_NEGATIVE,
    POST_NEUTRAL,
    RUMOUR,
    TASK_NEW,
    VENT,
    WEEKDAYS,
)
from simulation.events import ItemReceived, PostStarted, Referred, Reopened, ServiceStarted
from simulation.items import ItemStore
from simulation.model import GovernmentResponseModel
from simulation.scenario import RumourEvent, Scenario


class LimitCaseError(AssertionError):
    """A limit-case run did not meet its own preconditions (the comparison would be void)."""


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
    work 24x7 in FIFO order; there is no appraisal and nobody follows up or reminds.
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
        "channels.voice_trust_slope": 0.0,  # every need voiced, whatever trust
        "channels.non_follower_factor": 1.0,
        "channels.public_share": 0.0,
        "mechanism.preset": "reactive",
        "staffing.reply_propensity": 5.0,
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
        "reactions.max_follow_ups": 0,
        "reactions.max_reminders": 0,
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

    The wait is the item's first service start minus its arrival in the inbox, from the
    item store. (The item's `reply_time` is wait + handling time; it is checked
    separately against W + 1/μ.)
    Items arriving in the last day are left out so the cohort has time to finish.
    """
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    model.run()

    store = model.items
    created = store.view("created")
    cohort = np.flatnonzero(
        (created >= warm_up_days * HOURS_PER_DAY) & (created < (days - 1) * HOURS_PER_DAY)
    )
    status = store.view("status")[cohort]
    if not np.isin(status, (ANSWERED, ABANDONED)).all():
        raise LimitCaseError("cohort items still waiting at the end")
    # Time in queue: from arrival in the inbox to the first service (NaN: never served).
    waits = store.view("service_started_at")[cohort] - store.view("received_at")[cohort]
    served = ~np.isnan(waits)
    abandoned = status == ABANDONED
    # Those who gave up waited until their patience ran out.
    waits[abandoned] = store.view("ended_at")[cohort][abandoned] - created[cohort][abandoned]
    if np.isnan(waits).any() or not (served | abandoned).all() or (served & abandoned).any():
        raise LimitCaseError("an item was both served and abandoned, or neither")
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


def hotline_scenario(
    servers: int,
    calls_per_hour: float,
    call_minutes: float,
    patience_minutes: float,
    self_service_share: float = 0.0,
    citizens: int | None = None,
) -> Scenario:
    """`queue_scenario` on one hotline account: its desk as M/M/c+M behind a voice menu.

    Calls arrive as a Poisson process at `calls_per_hour` (when the needs arise: no
    daytime call rhythm); the voice menu settles a share at once; the rest queue for
    `servers` agents (24x7, FIFO), whose calls last an exponential `call_minutes`, and
    hang up after an exponential `patience_minutes`.
    The queue is Erlang A at the rate of calls the menu does not settle. Citizens: by
    default enough that each calls at most five times a day (the schema's bound is 10).
    """
    if citizens is None:
        citizens = max(200, math.ceil(calls_per_hour * HOURS_PER_DAY / 5.0))
    scenario = queue_scenario(servers, calls_per_hour, 60.0 / call_minutes, citizens=citizens)
    return scenario.with_overrides(
        {
            "accounts": {
                "hotline_desk": {
                    "platform": "hotline",
                    "follow_share": 1.0,
                    "call_minutes": call_minutes,
                    "caller_patience_minutes": patience_minutes,
                    "self_service_share": self_service_share,
                    # Calls when the needs arise (Poisson at a constant rate), not on the
                    # hotline's daytime rhythm.
                    "call_rhythm": "needs",
                }
            }
        }
    )


@dataclass
class HotlineRun:
    """Outcome of one replication of `hotline_scenario`, for the calls of the window."""

    calls: int  # calls that arrived in the measured window
    self_service_share: float  # of those, settled by the voice menu
    queued: int  # the rest, queued for an agent
    p_wait: float  # share of queued calls not answered on arrival
    p_abandon: float  # share of queued calls whose caller hung up
    mean_wait: float  # mean time in queue of queued calls, to an agent or hang-up [hours]


def run_hotline(scenario: Scenario, seed: int, days: int, warm_up_hours: float = 2.0) -> HotlineRun:
    """Run the model and measure the calls that arrive after warm-up, from the item store.

    Calls of the last hour are left out so that every measured one is over.
    """
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    model.run()
    store = model.items
    created = store.view("created")
    cohort = np.flatnonzero((created >= warm_up_hours) & (created < days * HOURS_PER_DAY - 1.0))
    status = store.view("status")[cohort]
    if not np.isin(status, (ANSWERED, ABANDONED)).all():
        raise LimitCaseError("calls of the window still waiting at the end")
    menu = store.view("self_served")[cohort]
    queued = cohort[~menu]
    waits = store.view("service_started_at")[queued] - store.view("received_at")[queued]
    hung_up = store.view("status")[queued] == ABANDONED
    waits[hung_up] = store.view("ended_at")[queued][hung_up] - created[queued][hung_up]
    if np.isnan(waits).any():
        raise LimitCaseError("a queued call was neither answered nor hung up")
    return HotlineRun(
        calls=len(cohort),
        self_service_share=float(menu.mean()),
        queued=len(queued),
        p_wait=float(np.mean(waits > 0.0)),
        p_abandon=float(hung_up.mean()),
        mean_wait=float(waits.mean()),
    )


def feedback_queue_scenario(
    servers: int,
    arrivals_per_hour: float,
    service_rate: float,
    feedback: float,
    citizens: int = 200,
) -> Scenario:
    """`queue_scenario` with immediate Bernoulli feedback of probability `feedback`.

    Every reply, whatever its quality and however satisfied its author, is followed up
    at once (no delay) with probability `feedback`, independently, up to 50 times per
    need: each served contact comes straight back into the inbox with that probability.
    """
    return queue_scenario(
        servers, arrivals_per_hour, service_rate, citizens=citizens
    ).with_overrides(
        {
            "reactions.follow_up_qualities": ["boilerplate", "partial", "substantive"],
            "reactions.follow_up_base": feedback,
            "reactions.follow_up_dissatisfaction_weight": 0.0,
            "reactions.follow_up_impatience_weight": 0.0,
            "reactions.follow_up_delay_hours": 0.0,
            "reactions.max_follow_ups": 50,
        }
    )


@dataclass
class ContactQueueRun:
    """Outcome of one replication, per contact (a need's post and each follow-up)."""

    contacts: int  # contacts that arrived in the measured window
    p_wait: float  # share of those contacts not served on arrival
    mean_wait: float  # their mean time in queue [hours]
    contacts_per_need: float  # mean contacts of the needs posted in the window
    substantive_share: float  # substantive replies / all replies (whole run)


def run_contact_queue(
    scenario: Scenario, seed: int, days: int, warm_up_days: int = 1
) -> ContactQueueRun:
    """Run the model and measure every contact that joins the inbox after warm-up.

    A contact's wait is from its arrival in the inbox (the post, or the follow-up) to
    the start of its service, from the model's events. Contacts and needs of the last
    day are left out so that every measured one has been served.
    """
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    arrivals: list[float] = []
    services: list[tuple[float, float]] = []  # (arrival, start of service)
    model.events.subscribe(ItemReceived, lambda e: arrivals.append(e.time))
    model.events.subscribe(Reopened, lambda e: arrivals.append(e.time))

    def served(event: ServiceStarted) -> None:
        if event.task == TASK_NEW:
            services.append((event.queued_at, event.time))

    model.events.subscribe(ServiceStarted, served)
    model.run()

    start, end = warm_up_days * HOURS_PER_DAY, (days - 1) * HOURS_PER_DAY
    arrived = np.asarray(arrivals)
    queued, started = np.asarray(services).T
    window = (queued >= start) & (queued < end)
    contacts = int(np.count_nonzero((arrived >= start) & (arrived < end)))
    if contacts != int(window.sum()):
        raise LimitCaseError("a contact of the window was served twice or never")
    waits = started[window] - queued[window]
    store = model.items
    created = store.view("created")
    cohort = (created >= start) & (created < end)
    if not (store.view("status")[cohort] == ANSWERED).all():
        raise LimitCaseError("a need of the window was still waiting at the end")
    summary = model.summary()
    replies = sum(summary[f"replies_{q}"] for q in ("substantive", "partial", "boilerplate"))
    return ContactQueueRun(
        contacts=contacts,
        p_wait=float(np.mean(waits > 0.0)),
        mean_wait=float(waits.mean()),
        contacts_per_need=float(store.view("contacts")[cohort].mean()),
        substantive_share=summary["replies_substantive"] / replies,
    )


def office_hours_scenario(
    servers: int = 2,
    arrivals_per_hour: float = 1.0,
    service_rate: float = 2.0,
    open_hours: tuple[int, int] = (9, 17),
) -> Scenario:
    """The M/M/c queue of `queue_scenario`, served only in office hours.

    Operators are on duty only in office hours (every day of the week); arrivals
    continue around the clock.
    """
    return queue_scenario(servers, arrivals_per_hour, service_rate).with_overrides(
        {
            "staffing.shifts": "office_hours",
            "calendar.working_weekdays": list(WEEKDAYS),
            "calendar.office_hours_start": open_hours[0],
            "calendar.office_hours_end": open_hours[1],
        }
    )


def backlog_by_hour(scenario: Scenario, seed: int, days: int, warm_up_days: int) -> np.ndarray:
    """Mean number of open items (waiting or in service) at each clock hour 00:00…23:00.

    Sampled after every step from the end of the warm-up: the count after the step that
    ends at h:00 is the backlog at h:00. Each entry is the mean over the run's days.
    """
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    sums = np.zeros(HOURS_PER_DAY)
    counts = np.zeros(HOURS_PER_DAY)
    while model.hour < days * HOURS_PER_DAY:
        model.step()
        if model.hour >= warm_up_days * HOURS_PER_DAY:
            hour = model.hour % HOURS_PER_DAY
            sums[hour] += np.count_nonzero(model.items.view("status") == OPEN)
            counts[hour] += 1
    with np.errstate(invalid="ignore"):
        return sums / counts


def rumour_scenario(
    citizens: int, mean_degree: float, transmissibility: float, posts: int, mutual: bool = True
) -> Scenario:
    """Only rumours, spreading on an Erdős–Rényi graph.

    The graph is undirected (every follow mutual) or directed (each ordered pair an edge
    with probability k/(N-1)). Rumours start from random citizens; there are no needs,
    no releases, nobody follows the government account, and there are enough repost
    generations per hour that every cascade finishes within the day.
    """
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
            "events": [_rumour_event(posts, transmissibility)],
        }
    )


def edge_list_rumour_scenario(edge_list: str | Path, transmissibility: float, posts: int):
    """`rumour_scenario` on an undirected graph read from an edge-list file."""
    return Scenario().with_overrides(
        {
            "population.need_rate_per_day": 0.0,
            "population.follow_share": 0.0,
            "mechanism.preset": "reactive",
            "mechanism.release_time_share": 0.0,
            "network.kind": "edge_list",
            "network.edge_list": str(Path(edge_list).resolve()),
            "network.edge_list_direction": "undirected",
            "diffusion.generations_per_hour": 50,
            "events": [_rumour_event(posts, transmissibility)],
        }
    )


def _rumour_event(posts: int, transmissibility: float) -> dict:
    return {
        "type": "rumour",
        "topic": "pensions",
        "day": 0,
        "posts": posts,
        "repost_probability": transmissibility,
        "leaders_first": False,
    }


def rumour_cascade_sizes(scenario: Scenario, seed: int) -> tuple[np.ndarray, int]:
    """Accounts that posted or reposted each rumour, from the model's item store."""
    model = GovernmentResponseModel(scenario, seed=seed, days=1, create_citizen_agents=False)
    model.run()
    if model.diffusion.active:
        raise LimitCaseError("a cascade was still spreading at the end of the day")
    rumours = model.items.view("kind") == RUMOUR
    sizes = 1 + model.items.view("reposts")[rumours].astype(np.int64)
    event = scenario.events[0]
    assert isinstance(event, RumourEvent)  # rumour_scenario builds one rumour event
    if len(sizes) != event.posts:
        raise LimitCaseError(f"{len(sizes)} rumours seeded, expected {event.posts}")
    if sizes.max() != model.summary()["largest_cascade"]:
        raise LimitCaseError("the item store and largest_cascade disagree")
    return sizes, model.graph.n_citizens


def configuration_model_edges(
    n: int, exponent: float, min_degree: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """An erased configuration model with a power-law degree sequence.

    Degrees are drawn from p_k ∝ k^(−exponent) on [min_degree, ⌊√n⌋] (the structural
    cutoff, which keeps self-loops and multi-edges few); stubs are paired uniformly at
    random and self-loops and repeated edges are erased. Returns the undirected edges
    (a < b) and the realised degree of every node (zero for a node left without edges).
    """
    k = np.arange(min_degree, int(math.isqrt(n)) + 1)
    p = k ** (-exponent)
    degrees = rng.choice(k, size=n, p=p / p.sum())
    if degrees.sum() % 2:
        degrees[rng.integers(n)] += 1
    stubs = rng.permutation(np.repeat(np.arange(n), degrees))
    a, b = stubs[0::2], stubs[1::2]
    keep = a != b
    a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    edges = np.unique(a.astype(np.int64) * n + b)
    a, b = np.divmod(edges, n)
    realised = np.bincount(np.concatenate([a, b]), minlength=n)
    return np.column_stack([a, b]), realised


@dataclass
class ScenarioRun:
    """One run of a bundled scenario with what the summary does not hold."""

    summary: dict[str, float]
    multi_department_median_hours: float  # referred two-department items, answered
    multi_department_answered: float  # share of referred two-department items answered
    ratings: int  # replies that were rated (the sample behind `satisfaction`)
    # Reply rate of the harder half of requests (complexity at or above the run's median)
    # over that of the easier half: below 1 when hard requests are left more.
    hard_reply_ratio: float = math.nan
    # Share of the requests still open at their deadline that got a reply after it.
    late_reply_rate: float = math.nan
    # Reply rates (per need: any reply) of received requests whose authors stated a threat
    # to complain to upper levels, and of the others (NaN when there are none).
    threat_reply_rate: float = math.nan
    no_threat_reply_rate: float = math.nan
    # The same over the requests to the accounts that name a supervisor (the explicit
    # upper level's units; NaN in a scenario without one).
    supervised_threat_reply_rate: float = math.nan
    supervised_no_threat_reply_rate: float = math.nan
    public_posts_by_author: np.ndarray | None = None
    activity: np.ndarray | None = None
    cascade_sizes: np.ndarray | None = None


def _requests_answered(store: ItemStore) -> tuple[np.ndarray, np.ndarray]:
    status = store.view("status")
    requests = (status != NOT_RECEIVED) & (store.view("kind") != RUMOUR)
    return requests, requests & (status == ANSWERED)


def hard_reply_ratio(store: ItemStore) -> float:
    """Reply rate of the harder half of received requests over the easier half's.

    Halves split at the median complexity of the run's received requests; cream-skimming
    (leaving the requests that cannot be answered well) pushes the ratio down.
    """
    requests, answered = _requests_answered(store)
    if not requests.any():
        return math.nan
    complexity = store.view("complexity")
    hard = requests & (complexity >= np.median(complexity[requests]))
    easy = requests & ~hard
    if not hard.any() or not easy.any() or not answered[easy].any():
        return math.nan
    return float(answered[hard].mean() / answered[easy].mean())


def threat_reply_rates(
    store: ItemStore, accounts: Sequence[int] | None = None
) -> tuple[float, float]:
    """Share of received requests that got a reply, with a stated threat and without.

    The field experiment's measure (Chen, Pan & Xu 2016): whether a request got any
    reply, follow-ups included, compared between identical requests that do and do not
    say the author will complain to upper levels. `accounts`: only the requests to
    these accounts (indices); None: every request.
    """
    status = store.view("status")
    requests = (status != NOT_RECEIVED) & (store.view("kind") != RUMOUR)
    if accounts is not None:
        requests &= np.isin(store.view("account"), list(accounts))
    replied = store.view("replies") > 0
    threat = store.view("threat")
    rates = []
    for group in (requests & threat, requests & ~threat):
        rates.append(float(replied[group].mean()) if group.any() else math.nan)
    return rates[0], rates[1]


def late_reply_rate(store: ItemStore, now: float) -> float:
    """Share of received requests still open at their deadline that got a reply after it.

    Open at the deadline: neither answered nor given up by then, the deadline before
    `now` (the end of the run).
    """
    requests, answered = _requests_answered(store)
    deadline = store.view("deadline")
    closed_in_time = store.view("ended_at") <= deadline  # NaN (still open): False
    missed = requests & (deadline < now) & ~closed_in_time
    return float(answered[missed].mean()) if missed.any() else math.nan


def run_scenario(scenario: Scenario, seed: int, days: int, record: bool = False) -> ScenarioRun:
    """Run a scenario; with `record`, keep posts per author and citizens' cascade sizes."""
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    referred: set[int] = set()
    model.events.subscribe(Referred, lambda event: referred.add(event.item))
    cascades = []
    if record:

        def citizens_posts(event: PostStarted) -> None:
            if event.cascade.post_type in (POST_NEGATIVE, POST_NEUTRAL):
                cascades.append(event.cascade)

        model.events.subscribe(PostStarted, citizens_posts)
    model.run()

    store = model.items
    multi = np.zeros(len(store), dtype=bool)
    if referred:
        ids = np.fromiter(referred, dtype=np.int64)
        multi[ids] = store.view("second_topic")[ids] >= 0
    answered = multi & (store.view("status") == ANSWERED)
    reply = store.view("reply_time")[answered]
    run = ScenarioRun(
        summary=model.summary(),
        multi_department_median_hours=float(np.median(reply)) if len(reply) else math.nan,
        multi_department_answered=float(answered.sum() / multi.sum()) if multi.any() else math.nan,
        ratings=int(store.view("rated").sum()),
        hard_reply_ratio=hard_reply_ratio(store),
        late_reply_rate=late_reply_rate(store, float(model.hour)),
    )
    run.threat_reply_rate, run.no_threat_reply_rate = threat_reply_rates(store)
    if model.supervision is not None:
        run.supervised_threat_reply_rate, run.supervised_no_threat_reply_rate = threat_reply_rates(
            store, sorted(model.supervision.units)
        )
    if record:
        public = np.isin(store.view("channel"), (MENTION, VENT)) & (store.view("kind") != RUMOUR)
        run.public_posts_by_author = np.bincount(
            store.view("author")[public], minlength=model.graph.n_citizens
        )
        run.activity = model.population.activity.copy()
        run.cascade_sizes = np.array([c.size for c in cascades], dtype=np.int64)
    return run
