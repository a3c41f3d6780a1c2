"""Closed-form and numerical results the model must reproduce in its limits (MODEL.md §8).

Each function is written from its textbook formula, independently of the model's code,
so the validation (`simulation.validation`, `tests/test_theory.py`) compares two
separate implementations:

- `erlang_c`: the M/M/c queue (operators 24x7, FIFO, exponential handling, nobody leaves);
- `erlang_c_with_feedback`: the M/M/c queue whose served customers come straight back
  with probability p (immediate Bernoulli feedback): Erlang C at the rate λ / (1 − p);
- `erlang_a`: M/M/c+M, the same with exponential patience, from its birth-death chain;
- `office_hours_backlog`, `office_hours_backlog_by_hour`: servers on duty only in office
  hours, arrivals around the clock — the periodic solution of the time-of-day chain;
- `giant_component_share`: bond percolation on an Erdős–Rényi graph, S = 1 − exp(−kTS);
- `configuration_model_giant_share`: bond percolation on a configuration-model graph
  with a given degree sequence, by generating functions (Newman, Strogatz & Watts 2001;
  Newman 2002): u = 1 − T + T·G1(u), S = 1 − G0(u);
- `branching_mean_size`, `borel_tail`: cascades below and at the threshold, as a
  Galton–Watson process with Poisson(kT) offspring.

Only numpy and scipy are needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.linalg import expm
from scipy.optimize import brentq
from scipy.special import gammaln

HOURS_PER_DAY = 24

__all__ = [
    "borel_tail",
    "branching_mean_size",
    "configuration_model_giant_share",
    "degree_distribution",
    "erlang_a",
    "erlang_c",
    "erlang_c_with_feedback",
    "giant_component_share",
    "office_hours_backlog",
    "office_hours_backlog_by_hour",
    "percolation_threshold",
]

# --------------------------------------------------------------------------- queues


def erlang_c(servers: int, arrival_rate: float, service_rate: float) -> tuple[float, float]:
    """M/M/c: (probability an arrival waits, mean wait in queue [hours]).

    With load a = λ/μ and utilisation ρ = a/c < 1:
    P(wait) = [a^c / c! / (1 − ρ)] / [Σ_{k<c} a^k / k! + a^c / c! / (1 − ρ)],
    mean wait W_q = P(wait) / (cμ − λ).
    """
    load = arrival_rate / service_rate
    rho = load / servers
    if not rho < 1:
        raise ValueError(f"Erlang C needs utilisation below 1, got {rho:.3f}")
    below = sum(load**k / math.factorial(k) for k in range(servers))
    top = load**servers / math.factorial(servers) / (1.0 - rho)
    p_wait = top / (below + top)
    return p_wait, p_wait / (servers * service_rate - arrival_rate)


def erlang_c_with_feedback(
    servers: int, arrival_rate: float, service_rate: float, feedback: float
) -> tuple[float, float]:
    """M/M/c with immediate Bernoulli feedback: (P(a contact waits), mean wait per contact).

    Each service ends with the customer rejoining the back of the queue with probability
    p, independently. The number present is then a birth–death chain with births λ and
    deaths min(n, c)·μ·(1 − p), whose stationary law is that of M/M/c at the total
    contact rate λ / (1 − p); by the arrival theorem of open Jackson networks every
    contact, fed back or new, sees that law, and by Little's law the mean wait per
    contact is that of M/M/c too. A need makes 1 / (1 − p) contacts on average
    (geometric). E.g. Gross & Harris, Fundamentals of Queueing Theory, §4.1 (Jackson
    networks, feedback).
    """
    if not 0.0 <= feedback < 1.0:
        raise ValueError(f"feedback probability must be in [0, 1), got {feedback}")
    return erlang_c(servers, arrival_rate / (1.0 - feedback), service_rate)


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


def office_hours_backlog_by_hour(
    servers: int,
    arrivals_per_hour: float,
    service_rate: float,
    open_hours: tuple[int, int],
    size: int = 200,
) -> np.ndarray:
    """Exact periodic mean backlog (customers present) at each clock hour 00:00…23:00.

    Arrivals all day at rate λ, service by c servers at rate μ each only in the hours
    [opens, closes): a birth–death chain whose generator switches at opening and closing.
    Its hour-to-hour transition matrices are exp(Q_open) and exp(Q_closed); the
    distribution at midnight is the fixed point of the product of the 24 of them, and is
    carried forward hour by hour. Truncated at `size` customers, far above any backlog the
    chain reaches (its mass there is negligible).
    """
    opens, closes = open_hours
    n = np.arange(size + 1)

    def generator(serving: bool) -> np.ndarray:
        q = np.zeros((size + 1, size + 1))
        q[n[:-1], n[:-1] + 1] = arrivals_per_hour
        if serving:
            q[n[1:], n[1:] - 1] = np.minimum(n[1:], servers) * service_rate
        q[n, n] = -q.sum(axis=1)
        return q

    step = {True: expm(generator(True)), False: expm(generator(False))}
    hourly = [step[opens <= hour < closes] for hour in range(HOURS_PER_DAY)]
    one_day = np.eye(size + 1)
    for matrix in hourly:
        one_day = one_day @ matrix
    values, vectors = np.linalg.eig(one_day.T)
    at_midnight = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
    at_midnight /= at_midnight.sum()
    means = np.empty(HOURS_PER_DAY)
    distribution = at_midnight
    for hour in range(HOURS_PER_DAY):
        means[hour] = distribution @ n
        distribution = distribution @ hourly[hour]
    return means


def office_hours_backlog(
    servers: int, arrivals_per_hour: float, service_rate: float, open_hours: tuple[int, int]
) -> tuple[float, float]:
    """Exact periodic mean backlog at opening and at closing time (see the by-hour curve)."""
    curve = office_hours_backlog_by_hour(servers, arrivals_per_hour, service_rate, open_hours)
    opens, closes = open_hours
    return float(curve[opens % HOURS_PER_DAY]), float(curve[closes % HOURS_PER_DAY])


# --------------------------------------------------------------------------- percolation


def giant_component_share(mean_degree: float, transmissibility: float) -> float:
    """S solving S = 1 − exp(−k T S): bond percolation on an Erdős–Rényi graph."""
    c = mean_degree * transmissibility
    if c <= 1.0:
        return 0.0
    return brentq(lambda s: s - 1.0 + math.exp(-c * s), 1e-12, 1.0)


def branching_mean_size(offspring_mean: float) -> float:
    """Mean total size 1 / (1 − m) of a subcritical Galton–Watson cascade (root included)."""
    if not offspring_mean < 1.0:
        raise ValueError(
            f"the mean size is finite only below the threshold, got m = {offspring_mean}"
        )
    return 1.0 / (1.0 - offspring_mean)


def borel_tail(offspring_mean: float, size: int) -> float:
    """P(total size ≥ size) of a Galton–Watson cascade with Poisson(m) offspring, m ≤ 1.

    The total size has the Borel distribution P(n) = e^(−mn) (mn)^(n−1) / n!.
    At m = 1 the tail falls only as n^(−1/2): at the threshold large cascades are rare but
    not absent on a finite graph.
    """
    if size <= 1:
        return 1.0
    n = np.arange(1, size)
    log_p = -offspring_mean * n + (n - 1) * np.log(offspring_mean * n) - gammaln(n + 1)
    return float(max(0.0, 1.0 - np.exp(log_p).sum()))


def degree_distribution(degrees: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, p_k) of a degree sequence, over the degrees that occur."""
    values, counts = np.unique(np.asarray(degrees, dtype=np.int64), return_counts=True)
    return values, counts / counts.sum()


def percolation_threshold(degrees: Sequence[int] | np.ndarray) -> float:
    """T_c = <k> / (<k²> − <k>) of a configuration-model graph (Molloy–Reed, Newman 2002)."""
    k, p = degree_distribution(degrees)
    m1, m2 = float(k @ p), float((k * k) @ p)
    return m1 / (m2 - m1) if m2 > m1 else math.inf


def configuration_model_giant_share(
    degrees: Sequence[int] | np.ndarray, transmissibility: float
) -> float:
    """Giant-cluster share S of bond percolation on a configuration model.

    Percolation with transmissibility T on a configuration model with this degree
    sequence (Newman, Strogatz & Watts 2001; Newman 2002).

    With G0(x) = Σ p_k x^k and G1(x) = G0'(x) / G0'(1) = Σ k p_k x^(k−1) / <k>, u is the
    smallest root in [0, 1] of u = 1 − T + T·G1(u) (the probability that an edge does not
    lead to the giant cluster) and S = 1 − G0(u). S is both the expected share of nodes in
    the giant cluster and the probability that a cascade from a random node becomes giant.
    """
    k, p = degree_distribution(degrees)
    T = float(transmissibility)
    mean = float(k @ p)
    if mean == 0.0 or T <= 0.0:
        return 0.0
    excess = k * p / mean  # q_{k-1}: degree distribution at the end of an edge, shifted

    edge = k > 0  # degree-0 nodes are at the end of no edge

    def g1(u: float) -> float:
        return float(excess[edge] @ np.power(u, k[edge] - 1))

    def g0(u: float) -> float:
        return float(p @ np.power(u, k))

    # Supercritical iff T · G1'(1) > 1, with G1'(1) = (<k²> − <k>) / <k>.
    if T * float(excess @ (k - 1)) <= 1.0:
        return 0.0

    def gap(u: float) -> float:
        return 1.0 - T + T * g1(u) - u

    upper = 1.0 - 1e-1
    while gap(upper) >= 0.0:  # f(u) − u is negative just below the trivial root u = 1
        upper = 1.0 - (1.0 - upper) / 10.0
        if 1.0 - upper < 1e-15:
            return 0.0
    u = brentq(gap, 0.0, upper, xtol=1e-14) if gap(0.0) > 0.0 else 0.0
    return 1.0 - g0(u)
