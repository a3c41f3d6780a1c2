"""Platform rules (simulation/platform_rules.py): WeChat auto-replies and reply window, hotline.

Evidence by kind: units (the schema's rules per platform, one rule at a time), theory
(the hotline desk is Erlang A behind its voice menu), directions (more agents, fewer
hang-ups; a longer window, fewer expired items), invariants (Hypothesis: conservation
and the window's promise hold whatever the settings).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import GovernmentResponseModel, ScenarioError, load_scenario, run_one
from simulation.accounts import account_plans
from simulation.agents.operator import ACT_LEAVE
from simulation.codes import EXPIRED, OPEN, REMINDER
from simulation.events import Replied
from simulation.platforms import HOTLINE, PLATFORMS, WECHAT
from simulation.validation.limits import hotline_scenario, run_hotline
from simulation.validation.theory import erlang_a
from tests.conftest import item_problems, mean_and_se

Z = 4.0  # standard errors a simulated mean may be off theory (as in test_theory.py)


def matrix(accounts: dict, citizens: int = 1500, **overrides) -> object:
    """The baseline with the given `[accounts]` tables and overrides."""
    return load_scenario(
        "baseline", {"population.citizens": citizens, "accounts": accounts, **overrides}
    )


WECHAT_ONLY = {"wechat_city": {"platform": "wechat", "follow_share": 0.4, "operators": 1}}
# A call rhythm of three daytime hours (weights by hour of day from 0:00).
OFFICE_DAY = [0.0] * 9 + [1.0, 3.0, 0.0, 2.0] + [0.0] * 11  # calls at 9, 10, 12 only


# --------------------------------------------------------------------------- units


def test_platform_rules_are_data_with_sources():
    assert WECHAT.automatic_answer is not None and WECHAT.reply_window_hours == 48.0
    assert not WECHAT.automatic_answer.settles  # boilerplate: the message waits for a person
    assert HOTLINE.calls and HOTLINE.call_minutes == 3.0
    menu = HOTLINE.automatic_answer
    assert menu is not None and menu.settles and 0.0 < menu.default_share < 1.0
    assert HOTLINE.caller_patience_minutes > 0.0
    for platform in PLATFORMS.values():
        assert platform.sources, f"{platform.name} names no source"
    assert not PLATFORMS["weibo"].calls and PLATFORMS["weibo"].reply_window_hours is None


def test_an_account_takes_its_platforms_rules_and_may_set_its_own_numbers():
    scenario = matrix(
        {
            "weibo_city": {"platform": "weibo"},
            "wechat_city": {"platform": "wechat", "reply_window_hours": 24.0},
            "hotline_city": {"platform": "hotline", "self_service_share": 0.3},
        }
    )
    weibo, wechat, hotline = (plan.rules for plan in account_plans(scenario))
    assert (weibo.reply_window_hours, weibo.calls, weibo.automatic_share) == (None, False, 0.0)
    assert weibo.automatic_answer is None
    assert (wechat.reply_window_hours, wechat.automatic_share) == (24.0, 0.0)
    assert hotline.calls and hotline.automatic_share == 0.3
    assert hotline.call_minutes == 3.0 and hotline.caller_patience_minutes == 1.25


@pytest.mark.parametrize(
    ("platform", "setting", "value", "allowed"),
    [
        ("weibo", "auto_reply_share", 0.2, "'wechat'"),
        ("hotline", "reply_window_hours", 24.0, "'wechat'"),
        ("wechat", "self_service_share", 0.2, "'hotline'"),
        ("weibo", "caller_patience_minutes", 2.0, "'hotline'"),
    ],
)
def test_a_rule_the_platform_lacks_is_refused_naming_the_field(platform, setting, value, allowed):
    with pytest.raises(ScenarioError) as error:
        matrix({"city": {"platform": platform, setting: value}})
    message = str(error.value)
    assert f"accounts.city.{setting}" in message or setting in message
    assert allowed in message, message


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("auto_reply_share", 1.5),
        ("reply_window_hours", 0.0),
        ("reply_window_hours", math.inf),
        ("call_minutes", 0.0),
        ("caller_patience_minutes", -1.0),
    ],
)
def test_platform_numbers_are_finite_and_bounded(setting, value):
    platform = "hotline" if setting in ("call_minutes", "caller_patience_minutes") else "wechat"
    with pytest.raises(ScenarioError, match=setting):
        matrix({"city": {"platform": platform, setting: value}})


def test_a_misspelt_platform_setting_gets_a_did_you_mean():
    with pytest.raises(ScenarioError, match="auto_reply_share"):
        matrix({"city": {"platform": "wechat", "auto_reply_shares": 0.2}})


# --------------------------------------------------------------------------- WeChat


def test_keyword_auto_replies_are_instant_and_change_nothing_else():
    """Auto-replies come from their own stream and settle nothing: every other number of
    the run is the same with and without them, but the auto-reply counts."""
    with_keywords = {"wechat_city": {**WECHAT_ONLY["wechat_city"], "auto_reply_share": 0.5}}
    a = run_one(matrix(WECHAT_ONLY), seed=2, days=6)
    b = run_one(matrix(with_keywords), seed=2, days=6)
    untouched = [k for k in a.summary if "auto_repl" not in k]
    for name in untouched:
        x, y = a.summary[name], b.summary[name]
        assert x == y or (math.isnan(x) and math.isnan(y)), name
    assert a.summary["auto_reply_share@wechat"] == 0.0
    assert 0.4 < b.summary["auto_reply_share@wechat"] < 0.6
    # What a count that took auto-replies for replies would say: far above the real rate.
    gap = b.summary["response_rate_with_auto_replies"] - b.summary["response_rate"]
    assert gap > 0.2, gap


def test_every_auto_replied_message_still_waits_for_a_person():
    scenario = matrix({"wechat_city": {**WECHAT_ONLY["wechat_city"], "auto_reply_share": 1.0}})
    model = GovernmentResponseModel(scenario, seed=1, days=3, create_citizen_agents=False)
    model.run()
    store = model.items
    received = store.view("status") >= OPEN
    assert (store.view("auto_replies")[received] == store.view("contacts")[received]).all()
    assert (store.view("status")[received] == OPEN).any(), "an auto-reply settled everything"
    judged = ~np.isnan(store.view("satisfaction"))
    assert (store.view("replies")[judged] > 0).all(), "an auto-reply was judged as a reply"


def test_no_reply_is_sent_after_the_window_and_late_items_expire():
    window = 6.0
    scenario = matrix(
        {"wechat_city": {**WECHAT_ONLY["wechat_city"], "reply_window_hours": window}},
        **{"population.patience_distribution": "none"},
    )
    model = GovernmentResponseModel(scenario, seed=1, days=6, create_citizen_agents=False)
    late = []

    def check(event: Replied) -> None:
        # At the moment of the reply, the last message is the one being answered.
        if event.time > model.items.last_contact_at[event.item] + window + 1e-9:
            late.append(event.item)

    model.events.subscribe(Replied, check)
    model.run()
    assert not late, f"replies sent after the window: {late[:5]}"
    status = model.items.view("status")
    expired = status == EXPIRED
    assert expired.any(), "nobody waits 6 hours for an office-hours desk?"
    ended = model.items.view("ended_at")[expired]
    closes = model.items.view("last_contact_at")[expired] + window
    assert (ended >= closes - 1e-9).all() and (ended <= closes + 1.0 + 1e-9).all()
    assert not item_problems(model)


def test_a_longer_window_expires_fewer_items():
    shares = []
    for hours in (4.0, 24.0, 240.0):
        tables = {"wechat_city": {**WECHAT_ONLY["wechat_city"], "reply_window_hours": hours}}
        runs = [run_one(matrix(tables), seed=seed, days=8) for seed in (1, 2)]
        shares.append(np.mean([r.summary["expired_share@wechat"] for r in runs]))
    assert shares[0] > shares[1] > shares[2], shares


# --------------------------------------------------------------------------- hotline


def test_calls_leave_no_public_trace_and_are_never_left():
    tables = {"hotline_city": {"platform": "hotline", "follow_share": 0.4, "operators": 2}}
    scenario = matrix(tables, citizens=6000, **{"staffing.shifts": "24x7"})
    model = GovernmentResponseModel(scenario, seed=1, days=4, create_citizen_agents=False)
    model.run()
    summary = model.summary()
    assert summary["impressions@hotline"] == 0.0 and summary["escalation_rate@hotline"] == 0.0
    assert all(op.actions[ACT_LEAVE] == 0 for op in model.operators)
    # Each call settled by the menu with probability 1/7: within Z binomial SEs of it.
    share, calls = summary["self_service_share@hotline"], model.metrics.platforms.calls[0]
    assert abs(share - 1 / 7) <= Z * math.sqrt(1 / 7 * 6 / 7 / calls), (share, calls)
    assert not item_problems(model)


def test_more_agents_fewer_hang_ups():
    hang_ups = []
    for agents in (1, 2, 4):
        run = run_hotline(hotline_scenario(agents, 30.0, 3.0, 1.25, 1 / 7), seed=1, days=1)
        hang_ups.append(run.p_abandon)
    assert hang_ups[0] > hang_ups[1] > hang_ups[2], hang_ups


# Servers, calls an hour, call length [min], patience [min], voice-menu share: a desk at
# 86 % of its agents' capacity, one overloaded (105 %) kept stable by hang-ups, and a
# larger one at 84 % with a menu settling 30 % of calls.
ERLANG_A_CASES = [(3, 60.0, 3.0, 1.25, 1 / 7), (2, 35.0, 3.0, 2.0, 0.0), (5, 120.0, 3.0, 3.0, 0.3)]


@pytest.mark.slow
@pytest.mark.parametrize("case", ERLANG_A_CASES, ids=["c3", "c2_overloaded", "c5_menu"])
def test_the_hotline_desk_is_erlang_a_behind_its_voice_menu(case):
    """P(wait), P(hang up | queued) and the mean time in queue of the calls the menu does
    not settle match M/M/c+M at their rate λ(1 − s); tolerance Z standard errors of the
    mean over eight seeds (each two days of calls after a two-hour warm-up)."""
    servers, lam, minutes, patience, menu = case
    mu, theta = 60.0 / minutes, 60.0 / patience
    theory = erlang_a(servers, lam * (1.0 - menu), mu, theta)
    runs = [
        run_hotline(hotline_scenario(servers, lam, minutes, patience, menu), seed, days=2)
        for seed in range(8)
    ]
    measured = {
        "p_wait": [r.p_wait for r in runs],
        "p_abandon": [r.p_abandon for r in runs],
        "mean_wait": [r.mean_wait for r in runs],
    }
    for name, values in measured.items():
        mean, se = mean_and_se(values)
        report = f"{name}: simulated {mean:.4f} ± {se:.4f}, Erlang A {theory[name]:.4f}"
        print(report)
        assert se <= 0.05 * theory[name], f"{report}: too noisy to test"
        assert abs(mean - theory[name]) <= Z * se, (
            f"{report}: off by {(mean - theory[name]) / se:+.1f} SE"
        )
    menu_share, se = mean_and_se([r.self_service_share for r in runs])
    assert abs(menu_share - menu) <= Z * se + 1e-12, (menu_share, se)


# --------------------------------------------------------------------------- invariants


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    auto=st.floats(0.0, 1.0),
    window=st.floats(0.5, 96.0),
    menu=st.floats(0.0, 1.0),
    patience=st.floats(0.1, 30.0),
    agents=st.integers(0, 3),
    after_hours=st.sampled_from(["closed", "queue"]),
    call_back=st.floats(0.0, 1.0),
    rhythm=st.sampled_from(["needs", None, OFFICE_DAY]),
)
def test_conservation_holds_whatever_the_platform_rules(
    auto, window, menu, patience, agents, after_hours, call_back, rhythm
):
    tables = {
        "wechat_city": {
            "platform": "wechat",
            "follow_share": 0.3,
            "operators": 1,
            "auto_reply_share": auto,
            "reply_window_hours": window,
        },
        "hotline_city": {
            "platform": "hotline",
            "follow_share": 0.3,
            "operators": agents,
            "self_service_share": menu,
            "caller_patience_minutes": patience,
            "after_hours": after_hours,
            "call_back_share": call_back,
            **({} if rhythm is None else {"call_rhythm": rhythm}),
        },
    }
    model = GovernmentResponseModel(matrix(tables, citizens=600), seed=3, days=3)
    before = None
    for _ in range(3 * 24):
        model.step()
        if model.hour % 24 == 0:
            assert not item_problems(model, before), item_problems(model, before)
            before = model.items.view("status").copy()
    summary = model.summary()
    for name in (
        "auto_reply_share",
        "expired_share",
        "self_service_share",
        "hang_up_share",
        "after_hours_share",
    ):
        value = summary[name]
        assert math.isnan(value) or 0.0 <= value <= 1.0, (name, value)


# --------------------------------------------------------------------------- calls by day


def test_callers_call_at_the_hours_of_their_rhythm_within_a_day_of_the_need():
    """Theory: a call's hour of day is drawn from the rhythm (a weight-0 hour never), the
    first such time at or after the need: the shares of calls by hour are the weights'
    (within Z binomial SEs), and no call comes before its need or a day after it."""
    from simulation.platform_rules import CallTimes

    scenario = matrix({"hotline_city": {"platform": "hotline", "call_rhythm": OFFICE_DAY}})
    call_times = CallTimes(account_plans(scenario), np.random.default_rng(5))
    rng = np.random.default_rng(6)
    created = rng.uniform(0.0, 24.0 * 7, size=20_000)
    account = np.where(rng.random(len(created)) < 0.5, 0, -1)  # half are no calls
    when = call_times.times(account, created)
    calls = account == 0
    assert (when[~calls] == created[~calls]).all()
    delay = when[calls] - created[calls]
    assert (delay >= 0.0).all() and (delay < 24.0).all()
    by_hour = np.bincount(np.floor(when[calls] % 24).astype(int), minlength=24) / calls.sum()
    shares = np.array(OFFICE_DAY) / sum(OFFICE_DAY)
    assert (by_hour[shares == 0.0] == 0.0).all()
    se = np.sqrt(shares * (1 - shares) / calls.sum())
    assert (np.abs(by_hour - shares) <= Z * se + 1e-12).all(), (by_hour, shares)


def _closed_hotline(citizens: int = 6000, **own) -> object:
    tables = {
        "hotline_city": {
            "platform": "hotline",
            "follow_share": 0.5,
            "operators": 2,
            "shifts": "extended",
            "extended_hours_start": 8,
            "extended_hours_end": 20,
            **own,
        }
    }
    return matrix(tables, citizens=citizens)


def test_calls_out_of_hours_are_told_the_hours_and_never_queue():
    """Out of the agents' hours no call waits for an agent: each the menu does not settle
    is told the hours; its caller calls again in hours (a reminder) or gives up at once,
    and neither counts as a hang-up of the queue."""
    from simulation.events import Abandoned, Reopened, ServiceStarted, TurnedAway

    scenario = _closed_hotline(call_rhythm="needs", operators=1)
    model = GovernmentResponseModel(scenario, seed=4, days=4, create_citizen_agents=False)
    seen: dict[str, list] = {"away": [], "abandoned": [], "again": [], "started": []}
    model.events.subscribe(TurnedAway, lambda e: seen["away"].append(e))
    model.events.subscribe(Abandoned, lambda e: seen["abandoned"].append(e))
    model.events.subscribe(Reopened, lambda e: seen["again"].append(e))
    model.events.subscribe(ServiceStarted, lambda e: seen["started"].append(e))
    model.run()
    open_hour = lambda time: 8 <= time % 24 < 20  # noqa: E731
    away = seen["away"]
    assert len(away) > 30, "too few calls out of hours to test"
    assert not any(open_hour(e.time) for e in away)
    assert all(open_hour(e.queued_at) for e in seen["started"]), "a call queued out of hours"
    backs = {e.item for e in away if e.calls_back}
    gave_up = {e.item for e in away if not e.calls_back}
    abandoned_at = {e.item: e.time for e in seen["abandoned"]}
    assert all(abandoned_at.get(e.item) == e.time for e in away if not e.calls_back)
    again = [e for e in seen["again"] if e.reason == REMINDER]  # on a hotline: call-backs
    assert again and all(open_hour(e.time) for e in again)
    assert {e.item for e in again} <= backs
    # A third call again (the platform's share): within Z binomial SEs.
    share, n = len(backs) / len(away), len(away)
    assert abs(share - 1 / 3) <= Z * math.sqrt(2 / 9 / n), (share, n)
    summary = model.summary()
    platforms = model.metrics.platforms
    assert summary["after_hours_share@hotline"] == len(away) / platforms.calls[0]
    queued = platforms.calls[0] - platforms.self_served[0] - len(away)
    # Every abandoned call was hung up in the queue, or given up when told the hours.
    hang_ups = len(seen["abandoned"]) - len(gave_up)
    assert hang_ups > 0, "no hang-ups to tell apart"
    assert summary["hang_up_share@hotline"] == pytest.approx(hang_ups / queued)
    assert not item_problems(model)


def test_an_account_that_lets_calls_queue_out_of_hours_tells_nobody_the_hours():
    summary = run_one(_closed_hotline(after_hours="queue"), seed=4, days=3).summary
    assert summary["after_hours_share@hotline"] == 0.0
    told = run_one(_closed_hotline(), seed=4, days=3).summary
    assert told["after_hours_share@hotline"] > 0.0
    # Direction: callers who would have queued into the night hang up no more.
    assert told["hang_up_share@hotline"] < summary["hang_up_share@hotline"]


def test_the_call_back_share_acts_only_on_calls_told_the_hours():
    """Where calls out of hours queue, nobody is told the hours: the call-back share
    changes no number of the run (the call-backs' stream is their own). The bundled
    matrix with the old rules (calls when needs arise, queued out of hours) is a golden
    case of its own (`variant_hotline_rules_off`), recorded as the matrix was before
    the rules."""
    scenario = _closed_hotline(citizens=3000, after_hours="queue")
    a = run_one(scenario, seed=2, days=3).summary
    b = run_one(
        scenario.with_overrides({"accounts.hotline_city.call_back_share": 1.0}), seed=2, days=3
    ).summary
    for name, x in a.items():
        assert x == b[name] or (math.isnan(x) and math.isnan(b[name])), name


@pytest.mark.parametrize(
    ("rhythm", "message"),
    [([1.0] * 23, "24 non-negative weights"), ([0.0] * 24, "positive sum"), ("office", "needs")],
)
def test_a_bad_call_rhythm_is_refused_naming_the_field(rhythm, message):
    with pytest.raises(ScenarioError) as error:
        matrix({"city": {"platform": "hotline", "call_rhythm": rhythm}})
    assert "call_rhythm" in str(error.value) and message in str(error.value), str(error.value)


# --------------------------------------------------------------------------- daily columns


def test_platform_metrics_are_daily_columns_that_add_up_to_the_run():
    """The daily columns of the platform rules come from day counts that sum to the run's
    totals, give the summary's share when pooled, and are the same in the wide daily
    table and the long one."""
    from simulation.format import PLATFORM_DAILY_METRICS
    from simulation.runner import result_of

    tables = {
        "wechat_city": {**WECHAT_ONLY["wechat_city"], "auto_reply_share": 0.3},
        "hotline_city": {
            "platform": "hotline",
            "follow_share": 0.4,
            "operators": 1,
            "shifts": "extended",
            "extended_hours_start": 8,
            "extended_hours_end": 20,
        },
    }
    model = GovernmentResponseModel(matrix(tables, citizens=4000), seed=2, days=4)
    model.run()
    result = result_of(model)
    daily, summary, platforms = result.daily, result.summary, model.metrics.platforms
    hotline = platforms.units.units.index("hotline_city")
    counts = {name: values[hotline] for name, values in platforms.daily.items()}
    assert counts["calls"].sum() == platforms.calls[hotline]
    assert counts["self_served"].sum() == platforms.self_served[hotline]
    assert counts["turned_away"].sum() == platforms.turned_away[hotline] > 0
    assert counts["hang_ups"].sum() == platforms.hang_ups[hotline] > 0
    queued = counts["calls"] - counts["self_served"] - counts["turned_away"]
    assert np.allclose(daily["hang_up_share@hotline_city"], counts["hang_ups"] / queued)
    pooled = counts["hang_ups"].sum() / queued.sum()
    assert pooled == pytest.approx(summary["hang_up_share@hotline_city"])
    wechat = platforms.units.units.index("wechat_city")
    auto, contacts = platforms.daily["auto_replies"][wechat], platforms.daily["contacts"][wechat]
    assert auto.sum() / contacts.sum() == pytest.approx(summary["auto_reply_share@wechat_city"])
    long = result.daily_accounts
    for metric in PLATFORM_DAILY_METRICS:
        assert metric in daily.columns and f"{metric}@hotline" in daily.columns
        rows = long[long["account"] == "hotline_city"][metric].to_numpy()
        assert np.allclose(rows, daily[f"{metric}@hotline_city"], equal_nan=True), metric
        whole = long[(long["account"] == "all") & (long["platform"] == "all")][metric]
        assert np.allclose(whole.to_numpy(), daily[metric], equal_nan=True), metric
    shares = daily[[f"{m}@hotline_city" for m in PLATFORM_DAILY_METRICS[:4]]].to_numpy()
    assert np.nanmin(shares) >= 0.0 and np.nanmax(shares) <= 1.0


def test_a_scenario_without_accounts_has_no_platform_columns():
    from simulation.format import PLATFORM_DAILY_METRICS

    daily = run_one(load_scenario("baseline", {"population.citizens": 500}), seed=1, days=1).daily
    assert not set(PLATFORM_DAILY_METRICS) & set(daily.columns)
