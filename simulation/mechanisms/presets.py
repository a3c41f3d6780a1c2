"""Response mechanisms: presets over composable settings (MODEL.md §5).

A preset only fills the settings a scenario leaves out, so any single setting can be
overridden (`mechanism.monitoring = true` on top of `closed_loop`). Each preset adds
to the one before it, matching the study's ladder from broadcasting to a closed,
joint, proactive response process.
"""

from __future__ import annotations

from typing import Literal

MechanismName = Literal["release_only", "reactive", "closed_loop", "joint", "proactive"]

_RELEASE_ONLY = {
    # Broadcasting is the job: replying is something operators do now and then.
    # Calibrated: -0.75 gives the baseline scenario a response rate of about one third
    # (0.350 over seeds 1-6, 10,000 citizens, 30 days), the share of online requests to
    # Chinese county governments that got any reply (Chen, Pan & Xu 2016, AJPS).
    "reply_propensity": -0.75,
    "referral": False,
    "coordination": "silo",
    "monitoring": False,
    "monitoring_threshold_impressions": 50,
    "queue_discipline": "fifo",
    "release_time_share": 0.5,
    "clarify_rumours": False,
    "targeted_releases": False,
}

_REACTIVE = _RELEASE_ONLY | {
    # Operators answer what they can themselves; nothing is referred.
    "reply_propensity": 0.5,
    "release_time_share": 0.25,
}

_CLOSED_LOOP = _REACTIVE | {
    # Triage, referral to departments, tracked until an answer is posted.
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
