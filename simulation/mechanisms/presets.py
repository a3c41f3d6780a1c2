"""Response mechanisms: presets over composable settings (MODEL.md §5).

A preset is a response *process*: whether items are referred to departments and
tracked until closed, how departments share an item, whether operators monitor
public opinion, the order of the inbox, how much time goes to releases, rumour
clarification and targeted releases. Nothing else: how inclined operators are to
reply is a behavioural constant (`staffing.reply_propensity`, calibrated), and an
institutional guarantee that requests are answered is a lever of its own
(`[mandate]`). So "preset minus release_only" is the effect of the process alone;
`tests/test_scenarios.py` fails if a preset sets anything but a process setting.

A preset only fills the settings a scenario leaves out, so any single setting can be
overridden (`mechanism.monitoring = true` on top of `closed_loop`). The presets are
a ladder from broadcasting to a closed, joint, proactive response process, and each
builds on the one before it: it keeps every setting of the previous preset and
changes only what `PRESET_CHANGES` says (so `proactive` still refers items, tracks
them and handles them jointly).
"""

from __future__ import annotations

from typing import Literal

MechanismName = Literal["release_only", "reactive", "closed_loop", "joint", "proactive"]

# The settings a preset may set: process settings only (a test checks it).
PROCESS_SETTINGS = (
    "referral",
    "track_referrals",
    "coordination",
    "monitoring",
    "monitoring_threshold_impressions",
    "queue_discipline",
    "release_time_share",
    "clarify_rumours",
    "targeted_releases",
)

_RELEASE_ONLY = {
    # Broadcasting is the job: half of operators' time goes to releases, items are
    # taken in order of arrival and nothing goes to the departments.
    "referral": False,
    # Referred items are tracked until closed in every preset, so switching referral
    # on (in any preset) gives the closed loop's referral; turn this off to see
    # referral without tracking.
    "track_referrals": True,
    "coordination": "silo",
    "monitoring": False,
    "monitoring_threshold_impressions": 50,
    "queue_discipline": "fifo",
    "release_time_share": 0.5,
    "clarify_rumours": False,
    "targeted_releases": False,
}

_REACTIVE = _RELEASE_ONLY | {
    # Answering the inbox becomes part of the job: less time on releases. Operators
    # answer what they can themselves; nothing is referred.
    "release_time_share": 0.25,
}

_CLOSED_LOOP = _REACTIVE | {
    # Triage, referral to departments, tracked until an answer is posted (tracking is
    # on in every preset); earliest deadline first.
    "referral": True,
    "queue_discipline": "deadline",
}

_JOINT = _CLOSED_LOOP | {
    # Multi-department items handled jointly under a lead department.
    "coordination": "joint",
}

_PROACTIVE = _JOINT | {
    # Listen to public opinion, prioritise what is visible, counter rumours, and
    # publish what people are asking about.
    "monitoring": True,
    "queue_discipline": "visibility",
    "clarify_rumours": True,
    "targeted_releases": True,
}

MECHANISM_PRESETS: dict[str, dict[str, object]] = {
    "release_only": _RELEASE_ONLY,
    "reactive": _REACTIVE,
    "closed_loop": _CLOSED_LOOP,
    "joint": _JOINT,
    "proactive": _PROACTIVE,
}

# What each preset is and changes, for the README's preset list (`simulation.docs`).
PRESET_CHANGES: dict[str, str] = {
    "release_only": (
        "The status quo, where broadcasting is the job: half of operators' time on "
        "releases, inbox in order of arrival, no referral, silo departments, no "
        "monitoring. The start of the ladder."
    ),
    "reactive": (
        "Builds on `release_only`. Changes only `release_time_share` 0.5 → 0.25: "
        "operators spend more time on the inbox and answer what they can themselves; "
        "nothing is referred."
    ),
    "closed_loop": (
        "Builds on `reactive`. Changes `referral` → true (items an operator cannot "
        "answer go to their department; tracked until the answer is posted, since "
        "`track_referrals` is true in every preset) and `queue_discipline` → "
        '`"deadline"`.'
    ),
    "joint": (
        "Builds on `closed_loop` (keeps referral and tracking). Changes only "
        '`coordination` → `"joint"`: multi-department items are handled at once under '
        "a lead department."
    ),
    "proactive": (
        "Builds on `joint` (keeps referral, tracking and joint handling). Changes "
        '`monitoring` → true, `queue_discipline` → `"visibility"`, `clarify_rumours` '
        "→ true and `targeted_releases` → true."
    ),
}
