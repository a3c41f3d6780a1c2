r"""Units and number formatting, defined once for every table, report, figure and message.

- `METRICS`: the glossary of summary metrics, name → (unit, meaning). The README's
  metrics table is generated from it (`simulation.docs`) and checked against it.
- `metric_unit`, `metric_label`: the unit of a metric or daily column and an axis label;
  `BETTER`, `metric_better`, `better_mark`: which way a metric is better (none for
  demand and load); `axis_label`: a figure's label with unit (`%`, `pp` for a
  difference of shares) and better direction;
  `parameter_unit`, `parameter_label`: the same for a scenario setting (dotted key), read
  from the unit its schema description ends with (`split_unit`).
- Numbers: `number` (significant digits), `fixed` (decimals), `percent`, `readable`
  (for prose: whole thousands, never e-notation for ordinary sizes), `parameter_value`
  (a swept setting's value, for ticks and cells), `p_value`, and by a
  metric's unit `metric_value` / `metric_difference` (table cells) and `metric_text` /
  `metric_difference_text` (prose with the unit written out); `toml_number` writes a
  number as a scenario file does.
- User text (names, keys, values, paths) on a terminal: `safe_text` shows control
  characters as escapes (`\x1b`) and cuts a long excerpt; `plain_text` makes it a rich
  `Text`, in which rich reads neither markup (`[bold]`) nor emoji codes (`:x:`), and
  `markup_text` escapes it for a markup string. Every message and table that shows user
  text goes through `safe_text`, by itself or inside the other two.
- JSON: `json_record` (a summary record as JSON values: missing as null, counts as
  integers) and `json_text` (strict JSON: a NaN or infinity left over raises, never
  writes the non-standard `NaN`).

A value that is None, NaN or infinite is *missing* and prints as `missing` ("–" unless
a caller asks for "n/a"). This module imports nothing heavy (no numpy, pandas or
pydantic), so the command's quick paths may use it.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from simulation.codes import (
    BOILERPLATE,
    CHANNEL_NAMES,
    KIND_NAMES,
    PARTIAL,
    QUALITY_NAMES,
    SUBSTANTIVE,
)

# Glossary: metric name → (unit, meaning). The README's metrics table is checked
# against it (tests/test_docs.py).
METRICS: dict[str, tuple[str, str]] = {
    "needs": ("count", "Needs that arose among citizens (addressed, vented or kept silent)."),
    "received": ("count", "Requests the government received (addressed or found by monitoring)."),
    "response_rate": (
        "share",
        "Received requests (needs) that got any reply; the headline reply rate, per need.",
    ),
    "contact_response_rate": (
        "share",
        "Contacts (posts, follow-ups, reminders) that got a reply; replies per contact.",
    ),
    "answered_within_deadline": (
        "share",
        "Received requests replied to within the reply deadline (accountability deadline).",
    ),
    "median_response_hours": ("hours", "Median time from post to first reply (answered only)."),
    "p90_response_hours": ("hours", "90th percentile of that time (answered only)."),
    "resolution_rate": ("share", "Received requests that got a substantive reply."),
    "one_sided_share": ("share", "Replies that were boilerplate or partial."),
    "boilerplate_share": ("share", "Replies that were boilerplate."),
    "escalation_rate": ("share", "Received requests whose author escalated at least once."),
    "abandonment_rate": (
        "share",
        "Received requests whose author gave up waiting (their last contact unanswered).",
    ),
    "referral_rate": ("share", "Received requests referred to a department at least once."),
    "contacts": (
        "count",
        "Contacts about received requests: each first post, follow-up and reminder.",
    ),
    "contacts_per_need": ("ratio", "Contacts per received request (1: nobody came back)."),
    "follow_ups": ("count", "Follow-ups: contacts after a reply that did not settle the need."),
    "reminders": ("count", "Reminders: contacts after an item was left without a reply."),
    "repeat_contact_share": (
        "share",
        "Failure demand by count: share of contacts that were follow-ups or reminders.",
    ),
    "failure_demand": (
        "share",
        "Share of operators' work hours on requests (new items, posting answers) spent on "
        "follow-ups and reminders.",
    ),
    "backlog_operators": ("items", "Items waiting for an operator at the end of the run."),
    "backlog_departments": ("items", "Items at departments at the end of the run."),
    "open_at_end": ("items", "Received requests still open or referred at the end."),
    "mean_trust": ("0-1", "Mean citizen trust in government at the end."),
    "trust_sd": ("0-1", "Standard deviation of trust at the end (polarisation)."),
    "trust_change": ("0-1", "Mean trust at the end minus at the start."),
    "satisfaction": ("-1 to 1", "Mean rating of replies by citizens who rated them."),
    "closed_satisfaction": (
        "-1 to 1",
        "Mean satisfaction over every closed request: each answered one as its author judged "
        "the reply, each abandoned one at reactions.abandonment_satisfaction.",
    ),
    "negative_impressions": (
        "views",
        "Exposures of followers to unresolved complaints, escalations, vents and rumours.",
    ),
    "impressions": ("views", "All exposures to posts of any kind."),
    "largest_cascade": ("accounts", "Most accounts that posted or reposted one post."),
    "releases": ("count", "Information releases published."),
    "rumours": ("count", "Rumour posts seeded by events."),
    "rumours_clarified": ("count", "Rumours the government clarified."),
    "operator_utilisation": ("share", "Share of operators' on-duty time spent working."),
    "department_utilisation": ("share", "Share of department staff time spent on items."),
    "staff_hours": ("hours", "Operator plus department hours on duty (cost)."),
    "appraisal_score": ("0-1", "Mean appraisal score of operators (rules other than none)."),
}

# Metrics of the platforms' own rules (`simulation.platform_rules`), reported in runs of a
# scenario that declares accounts, overall and as `<metric>@<account>` and
# `<metric>@<platform>` (so scenarios without accounts keep exactly their outputs).
PLATFORM_METRICS: dict[str, tuple[str, str]] = {
    "auto_reply_share": (
        "share",
        "Contacts (messages, follow-ups, reminders) that got a keyword auto-reply: instant "
        "boilerplate, not a reply of staff (WeChat).",
    ),
    "response_rate_with_auto_replies": (
        "share",
        "Received requests that got a staff reply or an auto-reply: what a response-rate "
        "count that took auto-replies for replies would report (compare response_rate).",
    ),
    "expired_share": (
        "share",
        "Received requests closed unanswered because the platform's reply window passed "
        "(WeChat: 48 hours after the citizen's last message).",
    ),
    "self_service_share": (
        "share",
        "Calls (first and follow-up calls) the hotline's self-service voice menu settled "
        "without an agent.",
    ),
    "hang_up_share": (
        "share",
        "Calls queued for an agent whose caller hung up before an agent answered "
        "(abandonment of the Erlang-A desk; Ningxia 12333: about 21%).",
    ),
    "after_hours_share": (
        "share",
        "Calls that reached the hotline when none of its agents was on duty, were not "
        "settled by the voice menu and were told the hours instead of queueing "
        "(after_hours = 'closed'; a share of their callers call again in hours).",
    ),
    "mean_call_wait_minutes": (
        "minutes",
        "Mean time a call queued for an agent waited: until an agent answered, or until "
        "the caller hung up (calls still queued at the end left out).",
    ),
}

# Metrics of where citizens turn among several accounts (`simulation.agents.channel_choice`):
# a need and the contacts its author made about it on every account, linked by the
# need's id (the failovers of a need name its first contact). Reported, like
# PLATFORM_METRICS, in runs of a scenario that declares accounts, overall and as
# `<metric>@<account>` and `<metric>@<platform>`: a need belongs to the account of its
# first contact, a request (failover_share, failovers_received) to its own.
CHOICE_METRICS: dict[str, tuple[str, str]] = {
    "needs_addressed": (
        "count",
        "Needs the government received, each counted once over its contacts on every account.",
    ),
    "accounts_per_need": (
        "ratio",
        "Received requests per need: above 1 where citizens failed by one account turned to "
        "another about the same need (duplicate demand across channels).",
    ),
    "contacts_per_need_all_channels": (
        "ratio",
        "Contacts (posts, follow-ups, reminders) per need, over every account it went to.",
    ),
    "multi_contact_need_share": (
        "share",
        "Needs that made more than one contact, on one account or several.",
    ),
    "need_response_rate": (
        "share",
        "Needs that got a reply on some account (compare response_rate, per request).",
    ),
    "failover_share": (
        "share",
        "Received requests whose author, failed there, turned to another account about the "
        "same need.",
    ),
    "failovers_received": (
        "count",
        "Received requests that were a failover: the author had been failed by another "
        "account about the same need.",
    ),
}
# The metrics of the matrix of accounts' own rules, overall and per account and platform.
MATRIX_METRICS: dict[str, tuple[str, str]] = {**PLATFORM_METRICS, **CHOICE_METRICS}

# Counts broken down by a code (`simulation.codes`), named from the code's names:
# received items by kind and by channel (indexed by the code), those found by
# monitoring, and replies by quality (keyed by the code; best first for tables).
RECEIVED_BY_KIND = tuple(f"received_{kind}" for kind in KIND_NAMES)
RECEIVED_BY_CHANNEL = tuple(f"received_via_{channel}" for channel in CHANNEL_NAMES)
RECEIVED_VIA_MONITORING = "received_via_monitoring"
REPLIES_BY_QUALITY = {code: f"replies_{name}" for code, name in QUALITY_NAMES.items()}
REPLIES_BEST_FIRST = tuple(REPLIES_BY_QUALITY[code] for code in (SUBSTANTIVE, PARTIAL, BOILERPLATE))

# The platform rules' metrics that have a daily meaning: daily columns of a scenario that
# declares accounts (daily.csv overall and as `<metric>@<unit>`; daily_accounts.csv), each
# over the day's contacts or calls: auto-replies sent that day per contact received that
# day; calls settled by the menu, told the hours, and hung up (per call queued that day);
# the mean wait of the calls whose wait ended that day. `response_rate_with_auto_replies`
# and `expired_share` are shares of the requests received over the run (a request's
# reply or expiry may come days after it): summary metrics only.
PLATFORM_DAILY_METRICS = (
    "auto_reply_share",
    "self_service_share",
    "after_hours_share",
    "hang_up_share",
    "mean_call_wait_minutes",
)

# Metrics of each account and each platform, when a scenario declares accounts: every
# summary metric that belongs to an account, named `<metric>@<account>` and
# `<metric>@<platform>` (`unit_metric`), computed over the requests that went to the
# account (or to the platform's accounts) as the overall metric is over all of them.
# The rest are of the whole scenario by nature (SCENARIO_WIDE_METRICS says why).
UNIT_SUMMARY_METRICS = (
    "received",
    "response_rate",
    "contact_response_rate",
    "answered_within_deadline",
    "median_response_hours",
    "p90_response_hours",
    "resolution_rate",
    "one_sided_share",
    "boilerplate_share",
    "escalation_rate",
    "abandonment_rate",
    "referral_rate",
    "satisfaction",
    "closed_satisfaction",
    "impressions",
    "negative_impressions",
    "open_at_end",
    "backlog_operators",
    "operator_utilisation",
    "staff_hours",
    "contacts",
    "contacts_per_need",
    "follow_ups",
    "reminders",
    "repeat_contact_share",
    "failure_demand",
    "largest_cascade",
    "releases",
    "rumours_clarified",
    "appraisal_score",
    *RECEIVED_BY_KIND,
    *RECEIVED_BY_CHANNEL,
    RECEIVED_VIA_MONITORING,
    *REPLIES_BEST_FIRST,
)
# Summary metrics with no per-account value, and why: each is of the citizens, the
# shared departments or the whole run rather than of one account.
SCENARIO_WIDE_METRICS: dict[str, str] = {
    "needs": "a need arises (and may be kept silent) before its author turns to an account",
    "mean_trust": "trust is the citizens' in the government as a whole, not in one account",
    "trust_sd": "the spread of that trust over the citizens",
    "trust_change": "the change of that trust over the run",
    "backlog_departments": "the departments are shared by every account",
    "department_utilisation": "the departments are shared by every account",
    "rumours": "rumours are seeded by events, not posted to an account",
}
# The daily series' `<metric>@<unit>` columns (daily.csv, one column per metric and unit).
UNIT_DAILY_METRICS = (
    "received",
    "first_replies",
    "replies_per_received",
    "one_sided_share",
    "median_response_hours",
    "p90_response_hours",
    "escalations",
    "abandonments",
    "satisfaction",
    "impressions",
    "negative_impressions",
    "operator_utilisation",
    "backlog_operators",
)
# The columns of the long daily table of a scenario that declares accounts
# (daily_accounts.csv: one row per unit and day, `simulation.metrics.UnitMetrics`): the
# daily columns that belong to an account, for the whole run (account and platform
# `all`), each account and each platform. The other daily columns (needs, trust, the
# departments) are of the whole scenario and stay in daily.csv.
UNIT_SERIES_COLUMNS = (
    *UNIT_DAILY_METRICS,
    "contacts",
    "follow_ups",
    "reminders",
    "replies",
    *REPLIES_BEST_FIRST,
    "replies_per_contact",
    "replies_on_time",
    *RECEIVED_BY_KIND,
    *RECEIVED_BY_CHANNEL,
    "ratings",
    "first_referrals",
    "referrals",
    "releases",
    "clarifications",
    "largest_cascade",
    "operator_busy_hours",
    "operator_duty_hours",
)
ALL_UNITS = "all"  # the account and platform of the whole run's rows in the long tables
# Metrics of each supervised account, in runs whose scenario names a supervisor
# (`simulation.supervision`): name → (unit, meaning), reported as `<metric>@<account>`
# for the supervised accounts only.
SUPERVISION_METRICS: dict[str, tuple[str, str]] = {
    "complaints": (
        "count",
        "Complaints about the account's items that went up to its supervisor (each is "
        "screened and forwarded back with a deadline).",
    ),
    "complaints_closed": (
        "count",
        "Forwarded complaints closed: replied to after forwarding, or past their deadline.",
    ),
    "complaints_on_time_share": (
        "share",
        "Closed forwarded complaints the account replied to by the supervisor's deadline.",
    ),
    "complaints_overdue": (
        "count",
        "Forwarded complaints not replied to by the supervisor's deadline.",
    ),
    "reprimands": ("count", "Reprimands (通报约谈) the supervisor gave the account."),
    "supervision_score": (
        "0-1",
        "Mean period score the supervisor gave the account: 1 − complaint marks per request "
        "received.",
    ),
    "supervision_place": (
        "place",
        "Mean place of the account in the supervisor's ranking (1: first).",
    ),
    "pressure_from_above": (
        "pressure",
        "The supervisor's pressure on the account at the end: standing strength, the "
        "ranking's and reprimands' shares.",
    ),
}
# Daily columns of each supervised account (`simulation.metrics.UnitMetrics`), named as
# the summary's SUPERVISION_METRICS: complaints that went up and forwarded cases that
# passed their deadline that day, and the pressure from above at the end of the day.
SUPERVISION_DAILY_METRICS = ("complaints", "complaints_overdue", "pressure_from_above")
# A metric of one account or one platform, in runs whose scenario declares accounts:
# the metric's name, this separator, and the account's (or platform's) name, e.g.
# `response_rate@weibo_city` or `response_rate@wechat` (`simulation.metrics.UnitMetrics`).
# An account's name is never a platform's (the schema refuses it), so each is one unit.
UNIT_SEPARATOR = "@"
_UNIT_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def unit_metric(metric: str, unit: str) -> str:
    """The name of `metric` for one account or platform: `response_rate@weibo_city`."""
    return f"{metric}{UNIT_SEPARATOR}{unit}"


def base_metric(name: str) -> str:
    """The metric a name is of: `response_rate` for `response_rate@weibo_city` (or itself)."""
    return name.partition(UNIT_SEPARATOR)[0]


def is_metric(name: str) -> bool:
    """A summary metric of the glossary, overall or of one unit (`response_rate@wechat`).

    Whether a run reports a unit's metric depends on its scenario's accounts; this says
    only that the name is well formed, its metric is in the glossary and, with a unit,
    that it is one of UNIT_SUMMARY_METRICS.
    """
    metric, separator, unit = name.partition(UNIT_SEPARATOR)
    if metric in SUPERVISION_METRICS:  # of a supervised account only
        return bool(separator) and bool(_UNIT_NAME.fullmatch(unit))
    if metric in MATRIX_METRICS:  # the platform rules' and choice's, overall or of a unit
        return not separator or bool(_UNIT_NAME.fullmatch(unit))
    if not separator:
        return metric in METRICS
    in_glossary = metric in METRICS and metric in UNIT_SUMMARY_METRICS
    return in_glossary and bool(_UNIT_NAME.fullmatch(unit))


# How metrics of one account or platform are named, said once for messages and help.
NAMING_RULE = (
    "a metric of one account is named <metric>@<account> and of one platform "
    "<metric>@<platform>, e.g. response_rate@wechat_city or response_rate@wechat, in "
    "scenarios that declare [accounts.<name>] tables"
)


def metric_name_problem(
    name: str, units: Mapping[str, Sequence[str]] | None = None, *, counts: bool = False
) -> str:
    """What is wrong with a metric name, for an error message; "" if nothing is.

    `units` maps each scenario of a comparison or sweep to the accounts and platforms
    its runs report (`simulation.accounts.unit_names`); a `<metric>@<unit>` name must
    name a unit of at least one of them. Without `units` only the form is checked.
    `counts`: also accept the summary's breakdowns outside the glossary per account
    (`received_complaint@wechat_city`), as a table of runs has them.
    """
    metric, separator, unit = name.partition(UNIT_SEPARATOR)
    if metric in SUPERVISION_METRICS and not separator:
        return f"'{metric}' has a value per supervised account only; name one: {metric}@<account>"
    supervised = metric in SUPERVISION_METRICS
    platform_rule = metric in MATRIX_METRICS  # overall and per account and platform
    breakdown = counts and separator and metric in UNIT_SUMMARY_METRICS
    if metric not in METRICS and not breakdown and not supervised and not platform_rule:
        close = _did_you_mean(metric, METRICS)
        if separator and close:
            close = close.replace("'?)", f"{UNIT_SEPARATOR}{unit}'?)")
        return f"unknown metric '{name}'{close}; metrics: {', '.join(METRICS)} ({NAMING_RULE})"
    if not separator:
        return ""
    if metric not in UNIT_SUMMARY_METRICS and not supervised and not platform_rule:
        why = SCENARIO_WIDE_METRICS.get(metric, "it is of the whole scenario")
        return f"'{metric}' has no value per account or platform ({why}); use '{metric}'"
    if units is None:
        return "" if _UNIT_NAME.fullmatch(unit) else f"'{unit}' is not an account's name"
    known = list(dict.fromkeys(u for names in units.values() for u in names))
    if unit in known:
        return ""
    if not known:
        each = "has" if len(units) == 1 else "each have"
        return (
            f"'{name}' names an account or platform, but no scenario here declares "
            f"accounts ({', '.join(units)} {each} one implicit account); {NAMING_RULE}"
        )
    return (
        f"no account or platform '{unit}'{_did_you_mean(unit, known)} in "
        f"{', '.join(units)}; accounts and platforms: {', '.join(known)}"
    )


def _did_you_mean(key: str, allowed: Iterable[str]) -> str:
    from simulation.scenario.errors import did_you_mean  # pydantic: only for a message

    return did_you_mean(key, allowed)


# Units of daily-series columns that are not summary metrics (see MetricsRecorder).
DAILY_UNITS: dict[str, str] = {
    "replies_per_received": "ratio",
    "replies_per_contact": "ratio",
    "first_replies": "count",
    "open_items": "items",
    "referred_items": "items",
    "abandonments": "count",
    "vents": "count",
    "silent_needs": "count",
    "replies": "count",
    "ratings": "count",
}

# Which way each metric (or daily column) is better: "higher" or "lower". A metric that
# is absent has no better direction: demand (needs, received, contacts), exposure
# (impressions), activity and load (utilisation, referrals, releases, cascades), spread
# (trust_sd) and the appraisal score (what operators are steered by, not an outcome).
BETTER: dict[str, str] = {
    "response_rate": "higher",
    "contact_response_rate": "higher",
    "answered_within_deadline": "higher",
    "median_response_hours": "lower",
    "p90_response_hours": "lower",
    "resolution_rate": "higher",
    "one_sided_share": "lower",
    "boilerplate_share": "lower",
    "escalation_rate": "lower",
    "abandonment_rate": "lower",
    "contacts_per_need": "lower",
    "follow_ups": "lower",
    "reminders": "lower",
    "repeat_contact_share": "lower",
    "failure_demand": "lower",
    "backlog_operators": "lower",
    "backlog_departments": "lower",
    "open_at_end": "lower",
    "mean_trust": "higher",
    "trust_change": "higher",
    "satisfaction": "higher",
    "closed_satisfaction": "higher",
    "negative_impressions": "lower",
    "rumours_clarified": "higher",
    "staff_hours": "lower",
    "expired_share": "lower",
    "hang_up_share": "lower",
    "mean_call_wait_minutes": "lower",
    "accounts_per_need": "lower",
    "contacts_per_need_all_channels": "lower",
    "multi_contact_need_share": "lower",
    "need_response_rate": "higher",
    "failover_share": "lower",
    # daily columns
    "replies_per_received": "higher",
    "replies_per_contact": "higher",
    "open_items": "lower",
    "abandonments": "lower",
    "vents": "lower",
    "silent_needs": "lower",
}
# How a figure says it: an arrow along the axis the metric is drawn on.
BETTER_MARKS = {
    ("higher", "y"): "↑ better",
    ("lower", "y"): "↓ better",
    ("higher", "x"): "better →",
    ("lower", "x"): "← better",
}

COUNT_UNITS = ("count", "items", "views", "accounts")  # whole numbers of things
SCORE_UNITS = ("0-1", "-1 to 1")  # bounded scores, read to three decimals
SIGNED_METRICS = (
    "trust_change",
    "satisfaction",
    "closed_satisfaction",
)  # a value whose sign is news

MISSING = "–"
NOT_AVAILABLE = "n/a"


# --------------------------------------------------------------------------- user text

# Characters that act on a terminal instead of showing: C0 and C1 controls (ESC starts
# a colour or clear-screen sequence), DEL, and the invisible format characters that
# reorder or hide text (bidirectional overrides, zero-width marks, the byte-order mark).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
EXCERPT_CHARACTERS = 60  # at most this much of a line is quoted in a message


def safe_text(value: Any, limit: int | None = None) -> str:
    r"""User text as it may be printed: unprintable characters as escapes, at most `limit`.

    `"a\x1b[2Jb"` becomes `a\x1b[2Jb` with the escape written out (a backslash, `x1b`), so
    a name, key, value or path cannot clear the screen, colour the text or hide itself;
    text longer than `limit` characters is cut and ends with "…".
    """
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _UNPRINTABLE.sub(_escape_character, text)


def _escape_character(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def excerpt(line: Any, limit: int = EXCERPT_CHARACTERS) -> str:
    """A short, escaped, quoted excerpt of a line of a user's file, for an error message."""
    return f"'{safe_text(str(line).strip(), limit)}'"


def markup_text(value: Any) -> str:
    """User text to put inside a rich markup string: escaped, and its `[` markup escaped."""
    from rich.markup import escape  # rich only where something is printed

    return escape(safe_text(value))


def plain_text(value: Any, style: str = ""):
    """User text as a rich `Text`: escaped (`safe_text`), and never read as markup or emoji."""
    from rich.text import Text  # rich only where something is printed

    return Text(safe_text(value), style=style)


# --------------------------------------------------------------------------- units


def metric_unit(name: str) -> str:
    """The unit of a summary metric or daily column (`"share"`, `"hours"`, …), or ""."""
    name = base_metric(name)
    if name in METRICS:
        return METRICS[name][0]
    if name in SUPERVISION_METRICS:
        return SUPERVISION_METRICS[name][0]
    if name in MATRIX_METRICS:
        return MATRIX_METRICS[name][0]
    if name in DAILY_UNITS:
        return DAILY_UNITS[name]
    if name.endswith(("_share", "_rate", "_utilisation")):
        return "share"
    if name.endswith("_hours"):
        return "hours"
    if name.startswith(("received", "replies_", "needs")):
        return "count"
    return ""


def metric_better(name: str) -> str:
    """Which way a metric is better: "higher", "lower", or "" (no better direction).

    An account's or platform's metric (`response_rate@wechat`) is better the same way.
    """
    return BETTER.get(base_metric(name), "")


def better_mark(name: str, axis: str = "y") -> str:
    """`↑ better` / `↓ better` (on a y axis; `better →` / `← better` on x), or ""."""
    return BETTER_MARKS.get((metric_better(name), axis), "")


def axis_label(
    name: str,
    *,
    axis: str = "y",
    difference: bool = False,
    words: str | None = None,
    unit: str | None = None,
) -> str:
    """A figure's axis label: words, unit and better direction (`response rate [%], ↑ better`).

    A difference is labelled `difference [pp]` for shares (percentage points), otherwise
    in the metric's unit; a metric with no better direction gets no mark. `words` and
    `unit` replace the metric's own (a quantity outside the glossary).
    """
    unit = metric_unit(name) if unit is None else unit
    shown = ("pp" if difference else "%") if unit == "share" else unit
    if words is None:
        words = "difference" if difference else metric_words(name)
    label = f"{words} [{shown}]" if shown else words
    mark = better_mark(name, axis)
    return f"{label}, {mark}" if mark else label


def metric_words(name: str) -> str:
    """A metric's name in words: `response rate`, `response rate@weibo_city`.

    The part after `@` names an account or platform and is kept as written, so that it
    reads as the name a scenario gives it.
    """
    metric, at, unit = name.partition(UNIT_SEPARATOR)
    return metric.replace("_", " ") + at + unit


def metric_label(name: str) -> str:
    """An axis label: the metric's name in words and its unit (`response rate [share]`)."""
    unit = metric_unit(name)
    words = metric_words(name)
    return f"{words} [{unit}]" if unit else words


def split_unit(description: str) -> tuple[str, str]:
    """('text without the unit', 'unit') from a description ending its unit in [brackets]."""
    matches = list(re.finditer(r"\s*\[([^\[\]]+)\]", description))
    if not matches:
        return description.strip(), ""
    last = matches[-1]
    text = description[: last.start()] + description[last.end() :]
    text = re.sub(r"\s+([.;,])", r"\1", text).strip()
    return text, last.group(1).strip()


def parameter_unit(key: str) -> str:
    """The unit of a scenario setting named by its dotted key, from its schema; or ""."""
    from simulation.scenario import Scenario  # the schema (pydantic): only when asked

    model: Any = Scenario
    field = None
    for part in key.split("."):
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return ""
        field = fields[part]
        model = field.annotation
    return split_unit(field.description or "")[1] if field else ""


def parameter_label(key: str) -> str:
    """An axis label for a swept scenario field: its dotted key and its unit, if known."""
    unit = parameter_unit(key)
    return f"{key} [{unit}]" if unit else key


# --------------------------------------------------------------------------- numbers


def is_missing(value: Any) -> bool:
    """None, NaN or an infinity: nothing to print."""
    if value is None:
        return True
    try:
        return not math.isfinite(value)
    except TypeError:  # not a number at all (a string, pd.NA): formatting will say so
        return False


def number(
    value: Any,
    digits: int = 4,
    *,
    sign: bool = False,
    grouped: bool = False,
    missing: str = MISSING,
) -> str:
    """`digits` significant digits (`0.3127`, `+12.5`, `1.2e+05`)."""
    if is_missing(value):
        return missing
    return f"{float(value):{'+' if sign else ''}{',' if grouped else ''}.{digits}g}"


def fixed(
    value: Any,
    decimals: int = 1,
    *,
    sign: bool = False,
    grouped: bool = False,
    missing: str = MISSING,
) -> str:
    """`decimals` digits after the point (`12.5`, `+0.031`, `1,204` with `grouped`)."""
    if is_missing(value):
        return missing
    return f"{float(value):{'+' if sign else ''}{',' if grouped else ''}.{decimals}f}"


def percent(value: Any, decimals: int = 1, *, missing: str = MISSING) -> str:
    """A share as per cent (`0.347` → `34.7%`)."""
    if is_missing(value):
        return missing
    return f"{float(value):.{decimals}%}"


def readable(value: Any, digits: int = 4, *, sign: bool = False, missing: str = MISSING) -> str:
    """A number for prose, as short as it can be read.

    Thousands and more are whole with separators (`12,345`), others have `digits`
    significant digits, and only very small ones are in e-notation (`1.20e-05`);
    `sign` writes a plus on positive numbers.
    """
    if is_missing(value):
        return missing
    plus = "+" if sign else ""
    if abs(value) >= 1000:
        return f"{value:{plus},.0f}"
    text = f"{value:{plus}.{digits}g}"
    return text if "e" not in text else f"{value:{plus}.2e}"


def parameter_value(value: Any) -> str:
    """A swept setting's value for a tick or a table cell: `0.831`, `10,000`, a name.

    Numbers have three significant digits, thousands are whole with separators
    (`readable`); anything else (a name, True) is shown as it is, escaped.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return readable(float(value), 3)
    return safe_text(value)


def p_value(p: Any) -> str:
    """A p-value to three decimals; below 0.001 as `<0.001`."""
    if is_missing(p):
        return NOT_AVAILABLE
    return f"{p:.3f}" if p >= 0.001 else "<0.001"


def metric_value(name: str, value: Any, unit: str | None = None) -> str:
    """A metric's value for a table, formatted by its unit.

    Shares as per cent, counts whole with separators, hours to one decimal, scores to
    three (signed where the sign matters).
    """
    unit = metric_unit(name) if unit is None else unit
    missing = NOT_AVAILABLE
    if unit == "share":
        return percent(value, missing=missing)
    if unit in COUNT_UNITS:
        return fixed(value, 0, grouped=True, missing=missing)
    if unit == "hours":
        return fixed(value, 1, grouped=True, missing=missing)
    if name in SIGNED_METRICS:
        return fixed(value, 3, sign=True, missing=missing)
    if unit in SCORE_UNITS:
        return fixed(value, 3, missing=missing)
    return readable(value, missing=missing)


def metric_difference(name: str, value: Any, unit: str | None = None) -> str:
    """A difference of a metric for a table: shares in percentage points, the rest signed."""
    unit = metric_unit(name) if unit is None else unit
    missing = NOT_AVAILABLE
    if unit == "share":
        return missing if is_missing(value) else f"{fixed(100 * value, 1, sign=True)} pp"
    if unit in COUNT_UNITS:
        return fixed(value, 0, sign=True, grouped=True, missing=missing)
    if unit == "hours":
        return fixed(value, 1, sign=True, grouped=True, missing=missing)
    if unit in SCORE_UNITS:
        return fixed(value, 4, sign=True, missing=missing)
    return readable(value, 3, sign=True, missing=missing)


def metric_text(name: str, value: Any) -> str:
    """A metric's value in a sentence, its unit written out (`34.7%`, `12.5 h`, `1,204`)."""
    if is_missing(value):
        return MISSING
    unit = metric_unit(name)
    if unit == "share":
        return percent(value)
    if name.endswith("_days"):
        return f"{fixed(value, 1)} d"
    if unit == "hours":
        return f"{fixed(value, 1)} h"
    if unit in COUNT_UNITS:
        return fixed(value, 0, grouped=True) if abs(value) >= 100 else fixed(value, 1)
    return fixed(value, 3)


def metric_difference_text(name: str, value: Any) -> str:
    """A difference in a sentence, signed, shares in percentage points (`+3.1 pp`)."""
    if is_missing(value):
        return MISSING
    unit = metric_unit(name)
    if unit == "share":
        return f"{fixed(100 * value, 1, sign=True)} pp"
    if name.endswith("_days"):
        return f"{fixed(value, 1, sign=True)} d"
    if unit == "hours":
        return f"{fixed(value, 1, sign=True)} h"
    if unit in COUNT_UNITS:
        if abs(value) >= 100:
            return fixed(value, 0, sign=True, grouped=True)
        return fixed(value, 1, sign=True)
    return fixed(value, 3, sign=True)


def toml_number(value: float) -> str:
    """A number as a scenario file writes it: `10_000`, `0.25`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:_}" if abs(value) >= 10_000 else str(value)
    return repr(float(value))


# --------------------------------------------------------------------------- JSON


def json_value(name: str, value: Any) -> Any:
    """A metric's value as JSON: missing as None (null), a whole count as an int."""
    if is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, float):
        return value.item() if hasattr(value, "item") and hasattr(value, "dtype") else value
    if metric_unit(name) in COUNT_UNITS and value.is_integer():
        return int(value)
    return float(value)


def json_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A flat record of provenance and metrics with every value as JSON (`json_value`)."""
    return {name: json_value(name, value) for name, value in record.items()}


def json_text(value: Any, indent: int | None = 2) -> str:
    """`value` as strict JSON text, ending in a newline.

    A float that is NaN or infinite is written as null (JSON has no such numbers); numpy
    scalars are written as plain numbers. Anything else JSON cannot hold raises.
    """
    return json.dumps(_plain(value), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _plain(value: Any) -> Any:
    """`value` with non-finite floats as None and numpy scalars as Python numbers."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if not isinstance(value, str | bytes) and hasattr(value, "item") and hasattr(value, "dtype"):
        value = value.item()  # a numpy scalar (numpy is not imported here)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
