"""Platforms an account runs on, as data: what each lets citizens and operators do.

"Micro-government" is the micro-blog (Weibo) plus WeChat, and the study's case,
Shanghai 12333, also answers a telephone hotline. A `Platform` says, for one of them,
whether a contact can be public (visible, spreading through the follower graph) or
private, and the platform's own rules, each with its unit and source (or the word
"assumption"):

- `public_contacts`, `private_contacts`: where a citizen who addresses an account on
  this platform may post (`simulation.accounts.AccountRouter`). A public contact and its
  reply spread as public @-mentions do; a private one does not.
- `automatic_answer`: the platform answers a share of contacts at once, by itself
  (`AutomaticAnswer`, acted out by `simulation.platform_rules.AutomaticAnswers`):
  WeChat's keyword auto-reply sends boilerplate to the messages that match one of the
  account's keywords (the share is the account's, `accounts.<name>.auto_reply_share`)
  and the message still waits for a person; the hotline's self-service voice menu
  settles a share of calls (`accounts.<name>.self_service_share`, default 1/7).
- `reply_window_hours`: the account may reply only this long after the user's last
  message (`simulation.platform_rules.ReplyWindow`).
- `call_minutes`, `caller_patience_minutes`: contacts are telephone calls; those the
  voice menu does not settle queue for an agent and hang up after an exponential
  patience; a call takes an agent an exponential time of this mean, whatever comes of
  it (`simulation.platform_rules`).
- `call_rhythm`: when callers call, hour of the day by hour (relative weights): a
  caller calls at an hour drawn from it, the first such time after the need arose
  (`simulation.platform_rules.CallTimes`); None: when the need arises.
- `after_hours`, `call_back_share`: what a call that reaches the hotline when no agent
  is on duty, and that the voice menu does not settle, meets: "closed" (the caller is
  told the hours and does not queue; a share calls again in the next hours of human
  service, the others give up; `simulation.platform_rules.AfterHours`) or "queue" (it
  queues as in hours, and the caller hangs up when their patience runs out).

An account may override the numbers (`[accounts.<name>]`); the values here are the
defaults. Adding a platform: add one `Platform(...)` to `PLATFORMS` below; the scenario
schema (`accounts.<name>.platform`) accepts its name and the outputs name it.
"""

from __future__ import annotations

from dataclasses import dataclass

WECHAT_CUSTOMER_SERVICE_RULE = (
    "WeChat Official Accounts Platform documentation, 'Customer Service Message "
    "Introduction' (rules for sending customer service messages): after a user sends a "
    "message, the account may send that user up to 5 customer-service messages within "
    "48 hours"
)
WECHAT_AUTO_REPLY = (
    "WeChat Official Accounts Platform: the auto-reply feature (reply on follow, reply "
    "to any message, keyword replies) answers a message at once with prepared text"
)


IVR_SELF_SERVICE_SHARE = (
    "ContactBabel UK contact-centre survey, reported in 'The Failure of Telephony "
    "Self-Service (and what to do about it)' (aboutmatch.co.uk): on average 1 in 7 calls "
    "is handled entirely by touch-tone self-service without an agent; no 12333 figure "
    "was found, so that 12333's menu settles as large a share is an assumption"
)
VOICE_CALLER_PATIENCE = (
    "ccplanning.net, 'Abandonment and caller patience': mean patience of voice callers "
    "is often 60-90 seconds (the midpoint, 75 s, is used); Mandelbaum & Zeltyn, 'The "
    "Palm/Erlang-A queue, with applications to call centers' (2005): exponential "
    "patience, Erlang A; that 12333 callers are as patient is an assumption"
)
SHANGHAI_12333_CALL = "MODEL.md §7 (Shanghai 12333: about 3 minutes a call)"
HOTLINE_CALL_RHYTHM_SOURCE = (
    "Assumption, shaped after what is reported of Chinese government hotlines: calls "
    "come in working hours and peak mid-morning (10-11) and early afternoon (14-15), "
    "with a lull at lunch and few calls at night; the same shape as the morning and "
    "afternoon peaks of call-centre traffic (uoomtel.com, 'Peak Times in Call Center "
    "Traffic'); no hourly figures of 12333 were found"
)
AFTER_HOURS_MESSAGE = (
    "Hotlines that are not staffed around the clock tell callers out of hours when agents "
    "answer (self-service stays open); Shanghai 12333's human service hours are an "
    "assumption of the bundled scenario"
)
CALL_BACK_SHARE_SOURCE = (
    "Response Design Corporation, FastFact 'Caller retry behavior: ensuring call backs': "
    "an industry statistic that 33 % of callers who abandon a call retry; that as many "
    "of the callers told the hours call again is an assumption"
)
# Relative calls by hour of the day, 0:00 to 23:00 (HOTLINE_CALL_RHYTHM_SOURCE): 91 %
# of calls between 8:00 and 20:00.
HOTLINE_CALL_RHYTHM = (
    (0.05, 0.03, 0.02, 0.02, 0.02, 0.05, 0.15, 0.5)
    + (1.3, 1.9, 2.1, 1.8, 1.1, 1.5, 1.9, 1.9)
    + (1.6, 1.2, 0.7, 0.5, 0.35, 0.25, 0.15, 0.1)
)


@dataclass(frozen=True, slots=True)
class AutomaticAnswer:
    """An answer a platform gives a share of contacts at once, by itself (no staff).

    One mechanism, two wordings: what it is called, which account setting sets its
    share, and whether it settles the need (an answer, judged as a substantive reply)
    or only acknowledges it (boilerplate that is no staff reply: the contact still waits
    for a person). Each contact (first contact, follow-up, reminder) is answered with
    the share's probability, one uniform number per contact from its own stream.
    """

    name: str  # what it is called in messages and documents
    share_setting: str  # the account setting (`accounts.<name>.<setting>`) that sets the share
    default_share: float  # share answered when the account sets none [share]
    settles: bool  # True: the need is answered (substantive); False: it stays open
    stream: str  # the named random stream of its draws (`simulation.streams`)


KEYWORD_AUTO_REPLY = AutomaticAnswer(
    name="keyword auto-reply",
    share_setting="auto_reply_share",
    default_share=0.0,  # an account replies by keyword only to the keywords it sets up
    settles=False,
    stream="auto_replies",
)
VOICE_MENU = AutomaticAnswer(
    name="self-service voice menu",
    share_setting="self_service_share",
    default_share=1.0 / 7.0,  # IVR_SELF_SERVICE_SHARE
    settles=True,
    stream="self_service",
)


@dataclass(frozen=True, slots=True)
class Platform:
    """One platform's rules; every field with its unit and source (or "assumption")."""

    name: str
    description: str
    public_contacts: bool  # a citizen may address the account in public (@-mention)
    private_contacts: bool  # ... or privately (message, call)
    automatic_answer: AutomaticAnswer | None = None  # answers a share of contacts at once
    reply_window_hours: float | None = None  # an account may reply only this long [hours]
    call_minutes: float | None = None  # contacts are calls of this mean length [minutes]
    caller_patience_minutes: float | None = None  # mean wait before hanging up [minutes]
    call_rhythm: tuple[float, ...] | None = None  # calls by hour of day, 0-23 [relative]
    after_hours: str | None = None  # a call out of agents' hours: "closed" or "queue"
    call_back_share: float | None = None  # told the hours, callers who call again [share]
    sources: tuple[str, ...] = ()

    @property
    def public_only(self) -> bool:
        """Every contact on this platform is public."""
        return self.public_contacts and not self.private_contacts

    @property
    def private_only(self) -> bool:
        """Every contact on this platform is private (it never spreads)."""
        return self.private_contacts and not self.public_contacts

    @property
    def calls(self) -> bool:
        """Contacts are telephone calls: a queue of callers who hang up (Erlang A)."""
        return self.call_minutes is not None


WEIBO = Platform(
    name="weibo",
    description="Micro-blog: public @-mentions and comments, which the author's followers "
    "see and repost, and private messages; the model's one account until accounts are "
    "declared, whose channel choice (channels.public_share) splits the two.",
    public_contacts=True,
    private_contacts=True,
    sources=("MODEL.md §2 (posts: @-mentions public, messages private)",),
)

WECHAT = Platform(
    name="wechat",
    description="WeChat official account: messages to the account are private and never "
    "spread through the follower graph; a message that matches one of the account's "
    "keywords gets an instant boilerplate auto-reply (and still waits for a person); the "
    "account may reply only within 48 hours of the user's last message.",
    public_contacts=False,
    private_contacts=True,
    automatic_answer=KEYWORD_AUTO_REPLY,
    reply_window_hours=48.0,
    sources=(WECHAT_CUSTOMER_SERVICE_RULE, WECHAT_AUTO_REPLY),
)

HOTLINE = Platform(
    name="hotline",
    description="Telephone hotline (12333, 12345): calls are private and leave no public "
    "trace, and come in the daytime. A self-service voice menu settles a share of calls "
    "at once; the others queue for an agent and hang up when their patience runs out (an "
    "Erlang-A desk); a call takes an agent about 3 minutes. Out of the agents' hours a "
    "caller the menu does not settle is told the hours: a share call again then.",
    public_contacts=False,
    private_contacts=True,
    call_minutes=3.0,
    automatic_answer=VOICE_MENU,
    caller_patience_minutes=1.25,
    call_rhythm=HOTLINE_CALL_RHYTHM,
    after_hours="closed",
    call_back_share=1.0 / 3.0,
    sources=(
        SHANGHAI_12333_CALL,
        IVR_SELF_SERVICE_SHARE,
        VOICE_CALLER_PATIENCE,
        HOTLINE_CALL_RHYTHM_SOURCE,
        AFTER_HOURS_MESSAGE,
        CALL_BACK_SHARE_SOURCE,
    ),
)

PLATFORMS: dict[str, Platform] = {p.name: p for p in (WEIBO, WECHAT, HOTLINE)}
PLATFORM_NAMES = tuple(PLATFORMS)
