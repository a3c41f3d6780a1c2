"""A matrix of accounts: the `[accounts.<name>]` schema, where citizens turn, per-account outputs.

Evidence by kind: validation (bad input refused naming file and field), equivalence
(one declared account is the implicit one, draw for draw), routing (the rule in
`simulation.accounts.AccountRouter`), theory (independent accounts are independent
M/M/c desks: Erlang C each) and directions (private WeChat contacts do not spread;
moving followers to the WeChat account lowers public spread).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import GovernmentResponseModel, Scenario, load_scenario, run_one
from simulation.accounts import AccountRouter, account_plans
from simulation.codes import ANSWERED, HOURS_PER_DAY, MENTION, PRIVATE, VENT
from simulation.format import (
    MATRIX_METRICS,
    PLATFORM_DAILY_METRICS,
    base_metric,
    is_metric,
    unit_metric,
)
from simulation.metrics import UNIT_DAILY_METRICS, UNIT_SUMMARY_METRICS
from simulation.platforms import PLATFORMS
from simulation.scenario import ScenarioError
from simulation.validation import queue_scenario
from simulation.validation.theory import erlang_c
from tests.conftest import mean_and_se
from tests.golden import cases as golden  # what is behaviour, not provenance
from tests.schema_fields import write_scenario

TWO_ACCOUNTS = {
    "accounts.weibo_city.platform": "weibo",
    "accounts.wechat_city.platform": "wechat",
}


# The channel choice switched to the follower-share rule: no preference by kind, no
# trust term, expected waits that weigh nothing (so each account's arrivals are a fixed
# thinning of the Poisson needs), and no failover.
FOLLOWER_SHARE_RULE = {
    "channel_choice.wait_weight": 0.0,
    "channel_choice.trust_public_slope": 0.0,
    "channel_choice.kind_preference": {},
    "channel_choice.max_failovers": 0,
}


def small(overrides: dict | None = None, citizens: int = 2000) -> Scenario:
    """The baseline at `citizens` citizens, with `overrides`."""
    return load_scenario("baseline", {"population.citizens": citizens, **(overrides or {})})


# --------------------------------------------------------------------------- the schema


def test_a_scenario_without_accounts_has_one_account_made_of_its_sections():
    scenario = Scenario()
    assert "accounts" not in scenario.to_dict()  # so its content hash is unchanged
    (plan,) = account_plans(scenario)
    assert (plan.name, plan.platform.name, plan.level) == ("government", "weibo", "city")
    assert plan.staffing is scenario.staffing and plan.mechanism is scenario.mechanism
    assert plan.follow_share == scenario.population.follow_share
    assert plan.departments == frozenset(range(len(scenario.topics)))


def test_an_account_takes_the_scenario_wide_value_of_what_it_leaves_out():
    scenario = small(
        {
            **TWO_ACCOUNTS,
            "accounts.wechat_city.operators": 5,
            "accounts.wechat_city.follow_share": 0.6,
            "accounts.wechat_city.mechanism": {"preset": "closed_loop"},
            "accounts.wechat_city.departments": ["pensions"],
        }
    )
    weibo, wechat = account_plans(scenario)
    assert weibo.staffing.operators == scenario.staffing.operators == 2
    assert weibo.follow_share == 0.3 and wechat.follow_share == 0.6
    assert wechat.staffing.operators == 5 and wechat.staffing.shifts == "office_hours"
    assert wechat.mechanism.referral and not weibo.mechanism.referral
    assert wechat.departments == frozenset({0})
    # A scenario-wide change reaches every account that does not set the value itself.
    changed = scenario.with_overrides({"staffing.operators": 3, "staffing.skill_mean": 0.7})
    weibo, wechat = account_plans(changed)
    assert (weibo.staffing.operators, wechat.staffing.operators) == (3, 5)
    assert weibo.staffing.skill_mean == wechat.staffing.skill_mean == 0.7


def test_accounts_survive_the_round_trip_through_toml(tmp_path):
    scenario = small({**TWO_ACCOUNTS, "accounts.wechat_city.mechanism": {"preset": "joint"}})
    again = load_scenario(write_scenario(scenario.to_dict(), tmp_path))
    assert again.content_hash() == scenario.content_hash()
    assert again.accounts["wechat_city"].mechanism.preset == "joint"
    # Switching the preset by override re-fills the account's mechanism from the new one.
    proactive = scenario.with_overrides({"accounts.wechat_city.mechanism.preset": "proactive"})
    assert proactive.accounts["wechat_city"].mechanism.monitoring is True


@pytest.mark.parametrize(
    ("key", "value", "field", "words"),
    [
        (
            "accounts.wechat_city.follow_shar",
            0.5,
            "accounts.wechat_city.follow_shar",
            "follow_share",
        ),
        ("accounts.wechat_city.platform", "wechta", "accounts.wechat_city.platform", "'wechat'"),
        ("accounts.wechat_city.level", "county", "accounts.wechat_city.level", "'district'"),
        ("accounts.wechat_city.follow_share", 1.5, "accounts.wechat_city.follow_share", "1"),
        ("accounts.wechat_city.operators", -1, "accounts.wechat_city.operators", "0"),
        ("accounts.wechat_city.skill_sd", math.nan, "accounts.wechat_city.skill_sd", "finite"),
        (
            "accounts.wechat_city.departments",
            ["pension"],
            "accounts.wechat_city.departments",
            "did you mean 'pensions'",
        ),
        ("accounts.WeChat.platform", "wechat", "accounts.WeChat", "lower-case"),
        ("accounts.wechat.platform", "wechat", "accounts.wechat", "platform's name"),
    ],
)
def test_a_bad_account_is_refused_naming_file_and_field(tmp_path, key, value, field, words):
    raw = small(TWO_ACCOUNTS).to_dict()
    node = raw
    *path, last = key.split(".")
    for part in path:
        node = node.setdefault(part, {})
    node[last] = value
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(raw, tmp_path))
    error = info.value
    assert error.source.endswith("case.toml")
    assert error.field == field, error
    assert words in error.message, error


def test_an_accounts_own_shifts_are_checked_as_staffing_is(tmp_path):
    raw = small(TWO_ACCOUNTS).to_dict()
    raw["accounts"]["wechat_city"].update(
        {"shifts": "extended", "extended_hours_start": 8, "extended_hours_end": 8}
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(raw, tmp_path))
    assert info.value.field == "accounts.wechat_city.extended_hours_end", info.value


def test_departments_are_shared_so_they_coordinate_as_the_scenario_says(tmp_path):
    # A preset fills the account's coordination with the scenario's, not its own ...
    scenario = small({**TWO_ACCOUNTS, "accounts.wechat_city.mechanism": {"preset": "joint"}})
    assert scenario.accounts["wechat_city"].mechanism.coordination == "silo"
    # ... and one that names a different one is refused.
    raw = scenario.to_dict()
    raw["accounts"]["wechat_city"]["mechanism"]["coordination"] = "joint"
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(raw, tmp_path))
    assert info.value.field == "accounts.wechat_city.mechanism.coordination", info.value


def test_per_account_metric_names_follow_one_rule():
    assert unit_metric("response_rate", "weibo_city") == "response_rate@weibo_city"
    assert base_metric("response_rate@weibo_city") == "response_rate"
    assert is_metric("response_rate@weibo_city") and is_metric("response_rate")
    assert not is_metric("response_rat@weibo_city") and not is_metric("response_rate@")
    assert not is_metric("response_rate@Weibo City")


# --------------------------------------------------------------------------- one account


def test_one_declared_account_is_the_implicit_account_draw_for_draw():
    """Declaring the one account changes nothing but adding its per-account metrics.

    (And the platform rules' metrics, which a scenario with accounts reports overall too.)
    """
    implicit = small({"mechanism.preset": "closed_loop"})
    declared = implicit.with_overrides({"accounts.government.platform": "weibo"})
    a, b = run_one(implicit, seed=3, days=5), run_one(declared, seed=3, days=5)
    overall = {k: v for k, v in b.summary.items() if "@" not in k and k not in MATRIX_METRICS}
    assert set(MATRIX_METRICS) <= set(b.summary)
    assert list(overall) == list(a.summary)
    for name, value in a.summary.items():
        assert value == overall[name] or (math.isnan(value) and math.isnan(overall[name])), name
    for metric in UNIT_SUMMARY_METRICS:
        assert set(b.summary) >= {unit_metric(metric, "government"), unit_metric(metric, "weibo")}
    # The account's metrics are the overall ones where they mean the same thing.
    for metric in ("received", "response_rate", "median_response_hours", "one_sided_share"):
        overall = a.summary[metric]
        for unit in ("government", "weibo"):
            assert b.summary[unit_metric(metric, unit)] == pytest.approx(overall, nan_ok=True)
    # (the daily columns too: the platform rules' daily columns come with accounts)
    assert set(PLATFORM_DAILY_METRICS) <= set(b.daily.columns)
    overall_columns = [
        c for c in b.daily.columns if "@" not in c and c not in PLATFORM_DAILY_METRICS
    ]
    assert overall_columns == list(a.daily.columns)
    behaviour = [c for c in overall_columns if c not in golden.PROVENANCE]
    assert b.daily[behaviour].equals(a.daily[behaviour])
    assert b.daily["received@government"].tolist() == a.daily["received"].tolist()
    assert list(b.items.columns) == list(a.items.columns)
    assert set(a.items["account"].dropna()) == {"government"}


# --------------------------------------------------------------------------- routing


def _router(follows: np.ndarray, shares: list[float], platforms: list[str], seed: int = 0):
    plans = account_plans(
        small(
            {
                f"accounts.a{k}.{key}": value
                for k, (share, platform) in enumerate(zip(shares, platforms, strict=True))
                for key, value in (("follow_share", share), ("platform", platform))
            }
        )
    )
    return AccountRouter(plans, follows, np.random.default_rng(seed))


def test_a_citizen_turns_to_an_account_they_follow_by_follower_share():
    n = 20_000
    follows = np.zeros((n, 2), dtype=bool)
    follows[: n // 4, 0] = True  # a quarter follow only account 0
    follows[n // 4 : n // 2, 1] = True  # a quarter only account 1
    follows[n // 2 : 3 * n // 4] = True  # a quarter both; the rest neither
    router = _router(follows, [0.6, 0.2], ["weibo", "weibo"])
    authors = np.arange(n)
    account, channel = router.route(authors, np.full(n, MENTION))
    assert (account[: n // 4] == 0).all() and (account[n // 4 : n // 2] == 1).all()
    for block in (slice(n // 2, 3 * n // 4), slice(3 * n // 4, n)):
        share_0 = float(np.mean(account[block] == 0))
        assert share_0 == pytest.approx(0.75, abs=0.02)  # 0.6 / (0.6 + 0.2)
    assert (channel == MENTION).all()  # Weibo keeps the channel choice


def test_a_wechat_contact_is_private_and_vents_go_to_no_account():
    follows = np.ones((6, 2), dtype=bool)
    router = _router(follows, [0.0, 1.0], ["weibo", "wechat"])
    channel = np.array([MENTION, PRIVATE, VENT, MENTION, PRIVATE, VENT])
    account, routed = router.route(np.arange(6), channel)
    assert account.tolist() == [1, 1, -1, 1, 1, -1]  # a share of 0 is never chosen
    assert routed.tolist() == [PRIVATE, PRIVATE, VENT, PRIVATE, PRIVATE, VENT]


def test_with_one_account_nothing_is_drawn():
    scenario = small()
    model = GovernmentResponseModel(scenario, seed=1, days=1)
    assert model.public.router.rng is None
    channel = np.array([MENTION, PRIVATE, VENT])
    account, routed = model.public.router.route(np.arange(3), channel)
    assert account.tolist() == [0, 0, -1] and routed is channel


def test_every_platform_says_whether_its_contacts_are_public():
    for platform in PLATFORMS.values():
        assert platform.public_contacts or platform.private_contacts, platform.name
        assert platform.sources, f"{platform.name}: no source"
    assert PLATFORMS["wechat"].private_only and PLATFORMS["hotline"].private_only
    assert not PLATFORMS["weibo"].private_only and not PLATFORMS["weibo"].public_only
    assert PLATFORMS["wechat"].reply_window_hours == 48.0


# --------------------------------------------------------------------------- outputs


@pytest.fixture(scope="module")
def two_account_run():
    scenario = small(
        {
            **TWO_ACCOUNTS,
            "accounts.wechat_city.operators": 1,
            "accounts.wechat_city.mechanism": {"preset": "closed_loop"},
        },
        citizens=3000,
    )
    return run_one(scenario, seed=2, days=7)


def test_every_headline_metric_is_reported_per_account_and_platform(two_account_run):
    summary, daily = two_account_run.summary, two_account_run.daily
    units = ("weibo_city", "wechat_city", "weibo", "wechat")
    for metric in UNIT_SUMMARY_METRICS:
        for unit in units:
            assert unit_metric(metric, unit) in summary, (metric, unit)
    for metric in UNIT_DAILY_METRICS:
        for unit in units:
            assert unit_metric(metric, unit) in daily.columns, (metric, unit)
    per_unit = [name for name in summary if "@" in name]
    # the glossary's metrics per unit, the platform rules' and the choice's own
    assert {base_metric(name) for name in per_unit} == set(UNIT_SUMMARY_METRICS) | set(
        MATRIX_METRICS
    )
    # the glossary's are nameable in comparisons; the breakdowns (by kind, channel,
    # quality) are summary counts outside the glossary, per account as overall
    for name in per_unit:
        assert is_metric(name) == is_metric(base_metric(name)), name
    # Counts add up: every received request went to exactly one account; each platform
    # here has one account, whose metrics are the platform's.
    for metric in ("received", "open_at_end", "backlog_operators", "negative_impressions"):
        parts = summary[f"{metric}@weibo_city"] + summary[f"{metric}@wechat_city"]
        assert summary[f"{metric}@weibo"] == summary[f"{metric}@weibo_city"]
        if metric != "negative_impressions":  # vents count for no account
            assert parts == summary[metric], metric
    assert summary["staff_hours@weibo_city"] + summary["staff_hours@wechat_city"] == (
        pytest.approx(sum(daily["operator_duty_hours"]))
    )
    assert daily["received@weibo_city"].sum() + daily["received@wechat_city"].sum() == (
        daily["received"].sum()
    )


def test_the_item_table_names_each_items_account_and_platform(two_account_run):
    items = two_account_run.items
    received = items["status"] != "not_received"
    assert items.loc[received, "account"].notna().all()
    assert items.loc[~received, "account"].isna().all()
    wechat = items["account"] == "wechat_city"
    assert (items.loc[wechat, "platform"] == "wechat").all()
    assert (items.loc[wechat, "channel"] == "private").all()
    assert (items.loc[items["account"] == "weibo_city", "platform"] == "weibo").all()
    # Only the WeChat account refers: its items are the only ones at the departments.
    referred = items["status"] == "referred"
    assert set(items.loc[referred, "account"]) <= {"wechat_city"}


def test_each_desk_answers_only_its_own_accounts_items():
    scenario = small({**TWO_ACCOUNTS, "accounts.wechat_city.operators": 0}, citizens=3000)
    result = run_one(scenario, seed=4, days=5)
    items = result.items
    assert (items.loc[items["account"] == "wechat_city", "replies"] == 0).all()
    assert result.summary["response_rate@wechat_city"] == 0.0
    assert result.summary["response_rate@weibo_city"] > 0.0
    operators = items.loc[items["status"] == "answered", "responsible_unit"].astype(str)
    assert set(operators) <= {"operator 0", "operator 1"}  # weibo_city's two operators


# --------------------------------------------------------------------------- theory


def two_desks(lam: float, mu: float, servers: tuple[int, int], shares: tuple[float, float]):
    """Two accounts; everything else the single-desk M/M/c limit (`queue_scenario`).

    Poisson arrivals, exponential handling, operators 24x7 in FIFO order, every contact
    private (no diffusion), no referral, releases, patience, follow-ups or reminders.
    Account k has `servers[k]` operators and follower share `shares[k]`.
    """
    overrides: dict = dict(FOLLOWER_SHARE_RULE)
    for k, platform in enumerate(("weibo", "wechat")):
        overrides |= {
            f"accounts.desk_{k}.platform": platform,
            f"accounts.desk_{k}.operators": servers[k],
            f"accounts.desk_{k}.follow_share": shares[k],
        }
    return queue_scenario(servers[0], lam, mu, citizens=2000).with_overrides(overrides)


def arrival_shares(model: GovernmentResponseModel) -> np.ndarray:
    """Each account's exact share of the needs, given who follows whom and how active.

    A need's author is drawn by activity and turns to an account by the router's rule
    (`AccountRouter`), independently for every need: each account's arrivals are a
    thinning of the Poisson need process, so Poisson, at this share of its rate.
    """
    activity = model.population.activity / model.population.activity.sum()
    follows = model.graph.follows_accounts.astype(float)
    follows[follows.sum(axis=1) == 0] = 1.0  # following none: any account
    weights = follows * model.public.router.weights
    return activity @ (weights / weights.sum(axis=1, keepdims=True))


def desk_waits(scenario: Scenario, seed: int, days: int) -> tuple[list[float], list[float]]:
    """(each account's mean wait in queue [h] after a day's warm-up, its Erlang C wait)."""
    model = GovernmentResponseModel(scenario, seed=seed, days=days, create_citizen_agents=False)
    model.run()
    store = model.items
    created = store.view("created")
    cohort = (created >= HOURS_PER_DAY) & (created < (days - 1) * HOURS_PER_DAY)
    assert (store.view("status")[cohort] == ANSWERED).all()
    waits = store.view("service_started_at") - store.view("received_at")
    account = store.view("account")
    lam = scenario.population.need_rate_per_day * scenario.population.citizens / HOURS_PER_DAY
    mu = 60.0 / scenario.staffing.handling_minutes
    shares = arrival_shares(model)
    simulated, theory = [], []
    for k, plan in enumerate(model.plans):
        simulated.append(float(waits[cohort & (account == k)].mean()))
        theory.append(erlang_c(plan.staffing.operators, lam * shares[k], mu)[1])
    return simulated, theory


@pytest.mark.slow
def test_independent_accounts_are_independent_erlang_c_desks():
    """λ = 8.4/h, μ = 2/h; 4 and 2 operators at utilisation about 0.7 each.

    Everyone follows desk 0; 77 % follow desk 1 too and split 1 : 0.77, so desk 1 gets
    about a third of the needs. Each seed's theory uses its exact arrival shares.
    """
    lam, mu, servers = 8.4, 2.0, (4, 2)
    scenario = two_desks(lam, mu, servers, (1.0, 0.7676))
    # Sixteen seeds: with eight the SE of desk 0's mean wait sat at the 10 % tested.
    runs = [desk_waits(scenario, seed, days=14) for seed in range(16)]
    for k, c in enumerate(servers):
        gaps = [simulated[k] - theory[k] for simulated, theory in runs]
        theory = float(np.mean([t[k] for _, t in runs]))
        gap, se = mean_and_se(gaps)
        report = (
            f"desk {k} (c={c}): simulated minus Erlang C {gap:+.4f} ± {se:.4f} h of {theory:.4f} h"
        )
        print(report)
        assert se <= 0.10 * theory, f"{report}: too noisy to test"
        assert abs(gap) <= 4.0 * se, report


# --------------------------------------------------------------------------- directions


def spread(wechat_share: float, seed: int) -> dict[str, float]:
    """Two release-only accounts sharing 40 % of followers; escalations off.

    An escalation is a public re-post whatever the channel of the contact (a contact
    across channels, a later part), so it is switched off to see the contacts alone.
    """
    scenario = small(
        {
            **TWO_ACCOUNTS,
            "accounts.weibo_city.follow_share": 0.4 - wechat_share,
            "accounts.wechat_city.follow_share": wechat_share,
            "reactions.escalation_probability": 0.0,
        },
        citizens=3000,
    )
    result = run_one(scenario, seed=seed, days=7)
    items = result.items
    contacts = items["channel"].isin(["mention", "private"])
    return {
        **result.summary,
        "contact_impressions": float(items.loc[contacts, "impressions"].sum()),
    }


def test_private_wechat_contacts_make_no_public_spread():
    summary = spread(0.2, seed=1)
    assert summary["received@wechat_city"] > 0
    assert summary["negative_impressions@wechat_city"] == 0.0
    assert summary["negative_impressions@weibo_city"] > 0.0


def test_moving_followers_to_the_wechat_account_lowers_public_spread():
    for seed in range(3):
        weibo_heavy, wechat_heavy = spread(0.05, seed), spread(0.35, seed)
        assert wechat_heavy["received_via_mention"] < weibo_heavy["received_via_mention"]
        assert wechat_heavy["contact_impressions"] < weibo_heavy["contact_impressions"]
