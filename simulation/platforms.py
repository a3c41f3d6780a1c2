"""Platforms an account runs on, as data: what each lets citizens and operators do.

"Micro-government" is the micro-blog (Weibo) plus WeChat, and the study's case,
Shanghai 12333, also answers a telephone hotline. A `Platform` says, for one of them,
whether a contact can be public (visible, spreading through the follower graph) or
private, and the rules the later parts of the model need: keyword auto-replies, a
window within which an account may reply, a self-service share, callers' patience.

Used now: `public_contacts` and `private_contacts` (where a citizen who addresses an
account on this platform may post: `simulation.accounts.AccountRouter`). A public
contact and its reply spread as today's public @-mentions do; a private one does not.
The other fields are inert data until the part named in their note uses them.

Adding a platform: add one `Platform(...)` to `PLATFORMS` below; the scenario schema
(`accounts.<name>.platform`) accepts its name and the outputs name it.
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


@dataclass(frozen=True, slots=True)
class Platform:
    """One platform's rules; every field with its unit and source (or "assumption")."""

    name: str
    description: str
    # Used now (simulation.accounts.AccountRouter):
    public_contacts: bool  # a citizen may address the account in public (@-mention)
    private_contacts: bool  # ... or privately (message, call)
    # Inert until later parts use them (each note says which):
    keyword_auto_reply: bool = False  # boilerplate sent at once on a keyword match
    reply_window_hours: float | None = None  # an account may reply only this long [hours]
    self_service_share: float | None = None  # contacts settled without an operator [share]
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
    "spread through the follower graph. Keyword auto-replies and the 48-hour reply window "
    "are data for the WeChat part (not yet used).",
    public_contacts=False,
    private_contacts=True,
    keyword_auto_reply=True,  # inert: the WeChat part (keyword auto-replies)
    reply_window_hours=48.0,  # inert: the WeChat part (reply window)
    sources=(WECHAT_CUSTOMER_SERVICE_RULE, WECHAT_AUTO_REPLY),
)

HOTLINE = Platform(
    name="hotline",
    description="Telephone hotline (12333): calls are private. Self-service (voice menu) "
    "and callers hanging up are for the hotline part (an Erlang-A desk), which must set "
    "their values from a source; not set here.",
    public_contacts=False,
    private_contacts=True,
    self_service_share=None,  # inert, not set: the hotline part sources it
    caller_patience_minutes=None,  # inert, not set: the hotline part sources it
    sources=("MODEL.md §7 (Shanghai 12333: ~3 minutes a call; Ningxia 12333: ~21% abandon)",),
)

PLATFORMS: dict[str, Platform] = {p.name: p for p in (WEIBO, WECHAT, HOTLINE)}
PLATFORM_NAMES = tuple(PLATFORMS)
