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
    "trace. A self-service voice menu settles a share of calls at once; the others queue "
    "for an agent and hang up when their patience runs out (an Erlang-A desk); a call "
    "takes an agent about 3 minutes.",
    public_contacts=False,
    private_contacts=True,
    call_minutes=3.0,
    automatic_answer=VOICE_MENU,
    caller_patience_minutes=1.25,
    sources=(SHANGHAI_12333_CALL, IVR_SELF_SERVICE_SHARE, VOICE_CALLER_PATIENCE),
)

PLATFORMS: dict[str, Platform] = {p.name: p for p in (WEIBO, WECHAT, HOTLINE)}
PLATFORM_NAMES = tuple(PLATFORMS)
