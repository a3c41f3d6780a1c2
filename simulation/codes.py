"""The model's vocabulary, defined once: kinds, statuses, channels, qualities, post types.

Codes are small integers, because they live in numpy columns of the item store; each
group has a tuple of names indexed by code, which is what outputs and scenario files
use. This module imports nothing, so any layer may read it.
"""

from __future__ import annotations

HOURS_PER_DAY = 24  # one step is one hour; day d covers hours [24 d, 24 d + 24)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Kind of an item: the four needs of MODEL.md §2, then rumours (posts, not needs).
CONSULTATION, REQUEST, COMPLAINT, SUGGESTION, RUMOUR = 0, 1, 2, 3, 4
KIND_NAMES = ("consultation", "request", "complaint", "suggestion", "rumour")
NEED_KIND_CODES = (CONSULTATION, REQUEST, COMPLAINT, SUGGESTION)
NEED_KINDS = KIND_NAMES[: len(NEED_KIND_CODES)]  # the kinds a scenario's mixes name

# Channel an item's author used. SILENT: a need its citizen kept to themself (never a
# row of the item store).
SILENT, MENTION, PRIVATE, VENT, RUMOUR_CHANNEL = -1, 0, 1, 2, 3
CHANNEL_NAMES = ("mention", "private", "vent", "rumour")

# Status of an item. NOT_RECEIVED: a public post the government has not seen. From the
# moment it is received an item is exactly one of the other four (MODEL.md §8).
NOT_RECEIVED, OPEN, REFERRED, ANSWERED, ABANDONED = -1, 0, 1, 2, 3
STATUS_NAMES = {OPEN: "open", REFERRED: "referred", ANSWERED: "answered", ABANDONED: "abandoned"}

# Quality of a reply.
NO_REPLY, BOILERPLATE, PARTIAL, SUBSTANTIVE = 0, 1, 2, 3
QUALITY_NAMES = {BOILERPLATE: "boilerplate", PARTIAL: "partial", SUBSTANTIVE: "substantive"}

# Why an author contacts the government again about the same need: a follow-up after
# a reply that did not settle it, or a reminder after hearing nothing (their item was
# left in the inbox). Each re-opens the item as a new contact.
FOLLOW_UP, REMINDER = 0, 1
REPEAT_CONTACT_NAMES = ("follow_up", "reminder")

# What a spreading post does to the people who see it (simulation.diffusion).
POST_NEGATIVE, POST_NEUTRAL, POST_REPLY, POST_RELEASE, POST_CLARIFICATION, POST_RUMOUR = range(6)
POST_TYPE_NAMES = ("negative", "neutral", "reply", "release", "clarification", "rumour")

# Tasks on the operators' desk: a new item to handle, a departments' answer to post,
# a monitored rumour to clarify, a complaint about a supervised account's item to screen
# and forward (simulation.supervision).
TASK_NEW, TASK_POST_ANSWER, TASK_CLARIFY, TASK_SCREEN = 0, 1, 2, 3

# Administrative level of a government account, lowest first: district (county level),
# city (prefecture level), province (Shanghai, a municipality directly under the
# central government, has province rank), national. The supervising upper level of a
# matrix of accounts is the next one up.
ADMINISTRATIVE_LEVELS = ("district", "city", "province", "national")

# What identifies a run's outputs: written into every result, table and store.
PROVENANCE_KEYS = ("scenario", "scenario_hash", "seed", "version")
