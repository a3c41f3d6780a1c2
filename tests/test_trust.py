"""Trust: drift back to each citizen's own initial trust, one effect per post and viewer,
and what trust does to voicing.

- Unit: the lazy closed-form drift equals updating every hour; the half-life halves a
  departure; with the drift off trust stays where a shock left it.
- Unit: a post's viewer memory (list, then bitmap) agrees with a set and stays within
  n / 8 bytes.
- Invariant: over a run every (post, citizen) pair moves trust at most once, and every
  citizen shown a post with a trust effect is affected by it exactly once.
- Theory: a rumour wave of posts with loss ℓ leaves a citizen reached by k of them with
  exactly (1 − ℓ)^k of their trust (drift off), and with the drift no less, recovering.
- Directions: low trust keeps more needs silent and vents more; high trust addresses.
- Steady state: with no shocks but the everyday ones, baseline trust settles within a
  year (slow).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import GovernmentResponseModel, Scenario, load_scenario, run_one
from simulation.agents.citizen import NeedBatch, Population
from simulation.codes import (
    COMPLAINT,
    HOURS_PER_DAY,
    MENTION,
    POST_RUMOUR,
    PRIVATE,
    SILENT,
    VENT,
)
from simulation.diffusion import Viewers
from simulation.events import ExposureBatch


def population(n: int = 20, **overrides) -> Population:
    scenario = Scenario().with_overrides(overrides)
    follows = np.ones(n, dtype=bool)
    return Population(scenario, n, follows, np.zeros(n, dtype=bool), np.random.default_rng(3))


# ------------------------------------------------------------------------- drift


def test_a_departure_from_initial_trust_halves_every_half_life():
    people = population(**{"reactions.trust_half_life_days": 10.0})
    anchor = float(people.initial_trust[4])
    people.set_trust(4, 0.0)
    for days in (10, 20, 35):
        people.now = days * HOURS_PER_DAY
        assert people.trust_one(4) == pytest.approx(anchor * (1 - 0.5 ** (days / 10)), rel=1e-12)
    others = np.delete(np.arange(people.n), 4)
    assert np.array_equal(people.trust[others], people.initial_trust[others])


def test_without_drift_trust_stays_where_a_shock_left_it():
    people = population(**{"reactions.trust_half_life_days": math.inf})
    people.update_trust_one(2, -1.0)
    left = people.trust_one(2)
    assert left < people.initial_trust[2]
    people.now = 365.0 * HOURS_PER_DAY
    assert people.trust_one(2) == left


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 400),  # hours until this shock
            st.integers(0, 4),  # citizen
            st.floats(-1.0, 1.0),  # satisfaction
        ),
        min_size=1,
        max_size=25,
    )
)
def test_lazy_drift_equals_drifting_every_hour(shocks):
    """Trust brought up to date only when read or shocked is what drifting every
    citizen every hour gives, and it stays in [0, 1]."""
    lazy = population(5, **{"reactions.trust_half_life_days": 2.0})
    gain, loss = lazy.reactions.trust_gain, lazy.reactions.trust_loss
    anchor = lazy.initial_trust
    step = 0.5 ** (1.0 / (2.0 * HOURS_PER_DAY))
    trust = anchor.copy()  # the reference, drifted hour by hour
    hour = 0
    for wait, citizen, satisfaction in shocks:
        for _ in range(wait):
            trust = anchor + (trust - anchor) * step
            hour += 1
        lazy.now = float(hour)
        lazy.update_trust_one(citizen, satisfaction)
        t = trust[citizen]
        t += gain * satisfaction * (1 - t) if satisfaction >= 0 else loss * satisfaction * t
        trust[citizen] = min(1.0, max(0.0, t))
        assert lazy.trust == pytest.approx(trust, abs=1e-9)
        assert ((lazy.trust >= 0.0) & (lazy.trust <= 1.0)).all()


# ------------------------------------------------------------ one effect per viewer


def test_a_posts_viewer_memory_agrees_with_a_set_and_stays_small():
    n_nodes = 100_000
    rng = np.random.default_rng(0)
    viewers, seen = Viewers(n_nodes), set()
    for size in (10, 200, 1500, 5000, 20_000):
        nodes = np.unique(rng.integers(0, n_nodes, size))
        new = viewers.add(nodes)
        assert new.tolist() == [int(x) not in seen for x in nodes]
        seen.update(nodes.tolist())
        assert viewers.nbytes <= max(256 * 8, n_nodes // 8 + 1)


def rumour_world(citizens: int, **overrides) -> Scenario:
    """rumour_crisis at a smaller size; with no needs the rumours are the only shock."""
    return load_scenario("rumour_crisis", overrides={"population.citizens": citizens, **overrides})


def record_sightings(model: GovernmentResponseModel) -> dict:
    """Per cascade: the citizens it affected (first sightings) and all it was shown to."""
    seen: dict[int, dict] = {}
    n = model.population.n

    def on_exposures(event: ExposureBatch) -> None:
        generation = event.generation
        for i, cascade in enumerate(event.cascades):
            mine = (generation.owner == i) & (generation.exposed < n)
            entry = seen.setdefault(
                id(cascade), {"cascade": cascade, "affected": [], "shown": [], "effect": False}
            )
            entry["affected"].append(generation.exposed[mine & generation.first_sight])
            if event.loss[i] > 0 or event.gain[i] > 0:
                entry["effect"] = True
                entry["shown"].append(generation.exposed[mine])

    model.events.subscribe(ExposureBatch, on_exposures)
    return seen


def test_every_post_moves_each_of_its_viewers_once():
    scenario = rumour_world(3000, **{"population.need_rate_per_day": 0.03})
    model = GovernmentResponseModel(scenario, seed=2, days=5, create_citizen_agents=False)
    seen = record_sightings(model)
    model.run()
    repeated = 0
    for entry in seen.values():
        affected = np.concatenate(entry["affected"])
        assert len(affected) == len(np.unique(affected)), "a viewer was affected twice"
        if entry["shown"]:
            shown = np.concatenate(entry["shown"])
            assert set(affected.tolist()) == set(shown.tolist())
            repeated += len(shown) - len(np.unique(shown))
    assert repeated > 1000, "the run should show many posts to some viewers more than once"


def rumour_reach(seen: dict, n: int) -> np.ndarray:
    """How many distinct rumour posts affected each citizen."""
    k = np.zeros(n, dtype=np.int64)
    for entry in seen.values():
        if entry["cascade"].post_type == POST_RUMOUR:
            np.add.at(k, np.concatenate(entry["affected"]), 1)
    return k


def test_a_rumour_wave_takes_at_most_one_loss_per_post_reached():
    """rumour_crisis's first wave (5 posts, loss ℓ = 0.01) with no other shock and the
    drift off: a citizen reached by k distinct rumour posts keeps exactly (1 − ℓ)^k of
    their trust, however often they saw each; mean trust falls by at most the reached
    share times 1 − (1 − ℓ)^5 of the reached citizens' trust."""
    scenario = rumour_world(
        5000,
        **{"population.need_rate_per_day": 0.0, "reactions.trust_half_life_days": math.inf},
    )
    loss = scenario.diffusion.exposure_trust_loss
    model = GovernmentResponseModel(scenario, seed=1, days=5, create_citizen_agents=False)
    seen = record_sightings(model)
    model.run()
    population = model.population
    k = rumour_reach(seen, population.n)
    assert k.max() == 5 and (k > 0).mean() > 0.3, "the wave should reach many citizens"
    expected = population.initial_trust * (1.0 - loss) ** k
    assert population.trust == pytest.approx(expected, rel=1e-12)
    drop = population.initial_mean_trust - population.trust.mean()
    reached = k > 0
    bound = reached.mean() * population.initial_trust[reached].mean() * (1 - (1 - loss) ** 5)
    assert 0.0 < drop <= bound


def test_after_a_rumour_wave_trust_drifts_back():
    """With the drift on, nobody falls below (1 − ℓ)^k of their initial trust, and the
    mean deficit a week after the wave is what the half-life leaves of it."""
    half_life = 30.0
    scenario = rumour_world(
        5000,
        **{"population.need_rate_per_day": 0.0, "reactions.trust_half_life_days": half_life},
    )
    loss = scenario.diffusion.exposure_trust_loss
    model = GovernmentResponseModel(scenario, seed=1, days=10, create_citizen_agents=False)
    seen = record_sightings(model)
    while model.hour < 5 * HOURS_PER_DAY:
        model.step()
    population = model.population
    k = rumour_reach(seen, population.n)
    floor = population.initial_trust * (1.0 - loss) ** k
    after_wave = population.initial_mean_trust - population.trust.mean()
    assert (population.trust >= floor - 1e-12).all() and after_wave > 0
    while model.hour < 10 * HOURS_PER_DAY:
        model.step()
    assert (population.trust >= floor - 1e-12).all()
    later = population.initial_mean_trust - population.trust.mean()
    assert later == pytest.approx(after_wave * 0.5 ** (5 / half_life), rel=1e-9)


# ------------------------------------------------------------------- voicing


def channel_shares(trust: float, slope: dict) -> dict[int, float]:
    people = population(1, **slope)
    people.set_trust(0, trust)
    count = 200_000
    needs = NeedBatch(
        created=np.zeros(count),
        author=np.zeros(count, dtype=np.int64),
        kind=np.full(count, COMPLAINT),
        topic=np.zeros(count, dtype=np.int64),
        second_topic=np.full(count, -1),
        complexity=np.full(count, 0.5),
    )
    channel = people.choose_channels(needs, np.random.default_rng(7))
    return {c: float((channel == c).mean()) for c in (SILENT, VENT, MENTION, PRIVATE)}


def test_low_trust_keeps_more_silent_and_vents_more_high_trust_addresses():
    """Shares at trust 0.1 and 0.9 against the documented form (SE about 0.001)."""
    defaults = Scenario().channels
    low, high = channel_shares(0.1, {}), channel_shares(0.9, {})
    p_voice = 1.0 - defaults.voice_trust_slope * 0.4
    p_address = defaults.address_base - defaults.address_trust_slope * 0.4
    p_vent = defaults.vent_probability["complaint"] * (1.0 + defaults.vent_trust_slope * 0.4)
    assert low[SILENT] == pytest.approx(
        1 - p_voice + p_voice * (1 - p_address) * (1 - p_vent), abs=0.005
    )
    assert low[VENT] == pytest.approx(p_voice * (1 - p_address) * p_vent, abs=0.005)
    assert high[SILENT] < low[SILENT] and high[VENT] < low[VENT]
    assert high[MENTION] + high[PRIVATE] > low[MENTION] + low[PRIVATE]
    flat = {"channels.voice_trust_slope": 0.0, "channels.vent_trust_slope": 0.0}
    low_flat = channel_shares(0.1, flat)
    assert low_flat[SILENT] < low[SILENT] and low_flat[VENT] < low[VENT]


# ----------------------------------------------------------------- steady state


@pytest.mark.slow
def test_baseline_trust_settles_within_a_year():
    """Baseline at 5,000 citizens for a year, no scheduled shocks (about 20 s).

    Drift with half-life h relaxes any gap to the equilibrium as 2^(−t/h): by the last
    quarter (day 274, h = 30) at most 0.55 · 2^(−274/h) < 0.001 of the start is left.
    What else separates the two halves of the last quarter is noise: each half-mean
    spans about one correlation time of the fluctuations (h / ln 2 ≈ 43 days), so it
    varies about as much as one day's mean, sd σ (of the daily mean about the quarter's
    linear trend), and 3 sd of the halves' difference is 3√2 σ. Without drift (the model
    before it) mean trust still fell by 0.014 between the halves here, 6.5 σ.
    The year-end summary `mean_trust` is the last day's daily value.
    """
    half_life = Scenario().reactions.trust_half_life_days
    run = run_one(load_scenario("baseline", {"population.citizens": 5000}), seed=1, days=365)
    daily = run.daily["mean_trust"].to_numpy()
    quarter = daily[-91:]
    days = np.arange(len(quarter))
    residual = quarter - np.polyval(np.polyfit(days, quarter, 1), days)
    sigma = residual.std(ddof=2)
    tolerance = 0.55 * 0.5 ** (274 / half_life) + 3 * math.sqrt(2) * sigma
    moved = abs(quarter[:45].mean() - quarter[46:].mean())
    assert moved < tolerance, f"mean trust still moving: {moved:.4f} ≥ {tolerance:.4f}"
    assert run.summary["mean_trust"] == daily[-1]
