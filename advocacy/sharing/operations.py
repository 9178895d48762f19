"""Composing and recording shares: the text as each network counts it, the guidelines again,
near-duplicates, the tracked link and the network's share link."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import current_app, has_request_context, request, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.ambassadors.models import Ambassador
from advocacy.ambassadors.operations import require_ambassador, set_preferences
from advocacy.channels import (
    LINK_PLACEHOLDER,
    Network,
    TextLength,
    compose,
    intent_url,
    measure,
    parse_network,
)
from advocacy.database import as_utc, utcnow
from advocacy.errors import Conflict, NotFound, Rejected
from advocacy.guidelines import Finding
from advocacy.memo import Memo
from advocacy.rulebook import operations as rulebook
from advocacy.sharing.models import Share, ShareStatus
from advocacy.sharing.similarity import NEARLY_IDENTICAL, closest
from advocacy.signals import share_created
from advocacy.stories.models import Story
from advocacy.stories.states import StoryStatus
from advocacy.text import require_storable

#: Longest share text the hub accepts before counting it for a network at all.
MAX_TEXT = 10_000
#: How many earlier posts on the same network a new text is compared with.
COMPARED_POSTS = 200
CODE_BYTES = 6  # 8 URL-safe characters: 2^48 codes, unguessable enough for a click counter


# -- the addresses ------------------------------------------------------------------------------


def public_base() -> str:
    """Where the outside world reaches the hub: ``ADVOCACY_PUBLIC_URL`` or this request's
    address."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://localhost"


def tracked_url(code: str) -> str:
    return f"{public_base()}/l/{code}"


def public_story_url(story: Story) -> str:
    """The public page of an approved story, by its slug."""
    return _public_page(story.id, story.slug)


def _public_page(story_id: int, slug: str | None) -> str:
    return public_base() + url_for("public.story", ref=slug or str(story_id))


def landing_url(story_id: int, slug: str | None, share_id: int, network: str) -> str:
    """Where a tracked link leads: the public page, with the share's UTM parameters."""
    query = urlencode({"utm_source": network, "utm_medium": "advocacy",
                       "utm_campaign": slug or f"story-{story_id}",
                       "utm_content": f"share-{share_id}"})
    return f"{_public_page(story_id, slug)}?{query}"


# -- which stories can be shared ----------------------------------------------------------------


def story_to_share(user: User, story_id: int) -> Story:
    """A story ``user`` may share now; 404 when they may not know it exists, 409 when it
    exists but cannot be shared (not approved, under embargo, expired or retracted)."""
    story = db.session.get(Story, story_id)
    if story is None:
        raise NotFound()
    if story.is_public:
        return story
    approved_once = StoryStatus(story.status) == StoryStatus.APPROVED or story.was_public
    if not approved_once and not story.can_view(user):
        raise NotFound()  # in review, a draft, a resubmission: not for others to know
    raise not_shareable(story, reveal=story.can_view(user))


def not_shareable(story: Story, *, reveal: bool) -> Conflict:
    """Why ``story`` cannot be shared; the embargo's end only for those who may see it."""
    status = StoryStatus(story.status)
    if status == StoryStatus.APPROVED and story.embargo_until is not None and (
            as_utc(story.embargo_until) > utcnow()):
        if not reveal:  # a quiet period's end is not for every ambassador to read
            return Conflict("embargoed", _l("This story may not be shared yet."))
        return Conflict("embargoed",
                        _l("This story may not be shared before %(when)s.",
                           when=format_datetime(as_utc(story.embargo_until), "short")),
                        embargo_until=as_utc(story.embargo_until).isoformat())
    if story.was_public:
        return Conflict("no_longer_public",
                        _l("This story has been taken back or has expired and can no longer "
                           "be shared."))
    return Conflict("not_approved", _l("Only approved stories can be shared."),
                    status=status.value)


# -- composing ----------------------------------------------------------------------------------


@dataclass
class Composition:
    """A share text as the network will see it, and what the hub thinks of it."""

    network: Network
    text: str
    composed: str
    length: TextLength
    findings: list[Finding] = field(default_factory=list)
    similarity: float = 0.0
    #: Before the share exists, a link of the same length stands in for its own.
    stand_in: str | None = None

    def preview(self, label: str) -> str:
        """The text as it will be posted, with ``label`` where the link will go."""
        return self.composed.replace(self.stand_in, label) if self.stand_in else self.composed

    @property
    def blocking(self) -> list[Finding]:
        return rulebook.blocking(self.findings)

    @property
    def nearly_identical(self) -> bool:
        return self.similarity >= NEARLY_IDENTICAL

    def as_json(self) -> dict[str, Any]:
        return {"network": self.network.value, "text": self.composed,
                "length": {"count": self.length.count, "limit": self.length.limit,
                           "unit": self.length.unit, "fits": self.length.fits},
                "findings": rulebook.findings_json(self.findings),
                "similarity": round(self.similarity, 3),
                "nearly_identical": self.nearly_identical}


def share_text(raw: object) -> str:
    """The ambassador's text, checked for type, size and storable characters."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise Rejected("invalid_type", _l("The text must be a string."), field="text")
    if len(raw) > MAX_TEXT:
        raise Rejected("text_too_long", _l("Keep the text under %(max)d characters.",
                                           max=MAX_TEXT), status=422, field="text",
                       details={"count": len(raw), "limit": MAX_TEXT, "unit": "characters"})
    return require_storable(raw, "text").strip()


def stand_in_link() -> str:
    """A tracked link of the real length, for counting a text before its share exists."""
    return tracked_url("x" * len(new_code()))


def compose_share(user: User, story: Story, network: Network, text: str,
                  link: str | None = None, *, compare: bool = True) -> Composition:
    """``text`` with the tracked link in it, counted, checked and (``compare``) compared with
    earlier posts; writes nothing. Before the share exists, a stand-in link is counted."""
    stand_in = None if link else stand_in_link()
    composed = compose(text, link or stand_in or "")
    findings = rulebook.check_text(user, composed, topics=[t.slug for t in story.topics],
                                   network=network.value)
    return Composition(network=network, text=text, composed=composed,
                       length=measure(network, composed), findings=findings,
                       similarity=_similarity(story, network, text) if compare else 0.0,
                       stand_in=stand_in)


def _similarity(story: Story, network: Network, text: str) -> float:
    """How close ``text`` is to what others (and the ambassador before) posted on ``network``;
    X refuses a duplicate from the same person and identical posts look staged."""
    if not text.replace(LINK_PLACEHOLDER, "").strip():
        return 0.0
    others = db.session.scalars(
        select(Share.text).where(Share.story_id == story.id, Share.network == network.value)
        .order_by(Share.id.desc()).limit(COMPARED_POSTS))
    return closest(text, others)


def suggested_caption(story: Story, network: Network) -> str:
    """The curator's caption for ``network``, else nothing: the ambassador's own words are
    what makes a share credible."""
    captions = story.captions or {}
    return str(captions.get(network.value, ""))


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def share_story(user: User, story: Story, *, network: object, text: object,
                mastodon_instance: object = None) -> Share:
    """Record a share (the ambassador's explicit action) with its own tracked link, or
    refuse it: not an ambassador 403, not shareable 409, too long or blocked 422."""
    ambassador = require_ambassador(user)
    chosen = parse_network(network)
    typed = share_text(text)
    if chosen == Network.MASTODON:
        _remember_instance(ambassador, mastodon_instance)
    code = new_code()
    # The composer warned about look-alike texts already; recording does not compare again.
    composition = compose_share(user, story, chosen, typed, tracked_url(code), compare=False)
    _require_fits(composition.length)
    if composition.blocking:
        raise Rejected("guidelines_block",
                       _l("The brand guidelines stop this text: %(n)d finding(s) to fix first.",
                          n=len(composition.blocking)),
                       status=422, field="text",
                       details={"findings": rulebook.findings_json(composition.findings)})
    share = Share(story_id=story.id, story=story, ambassador_id=user.id,
                  department_id=user.department_id, network=chosen.value,
                  text=composition.composed, status=ShareStatus.OPENED, code=code)
    try:
        with db.session.begin_nested():
            db.session.add(share)
            db.session.flush()
    except IntegrityError:  # a code drawn twice in 2^48: draw again once
        share.code = new_code()
        share.text = compose(typed, tracked_url(share.code))
        db.session.add(share)
    db.session.flush()
    share_created.send(share, actor=user)
    return share


def _remember_instance(ambassador: Ambassador, raw: object) -> None:
    if raw is not None and raw != "":
        set_preferences(ambassador, mastodon_instance=raw)
    if not ambassador.mastodon_instance:
        raise Rejected("instance_required",
                       _l("Name your Mastodon server (such as mastodon.social) to share there."),
                       field="mastodon_instance")


def _require_fits(length: TextLength) -> None:
    if length.fits:
        return
    if length.bytes_over:  # Bluesky: within 300 graphemes, yet over its 3,000 bytes
        raise Rejected("text_too_long",
                       _l("This text is too large for this network: shorten it, especially "
                          "emoji and other special characters."),
                       status=422, field="text",
                       details={"count": length.count, "limit": length.limit,
                                "unit": length.unit, "bytes_over": True})
    raise Rejected("text_too_long",
                   _l("This text counts %(count)d on this network; the limit is %(limit)d.",
                      count=length.count, limit=length.limit or 0),
                   status=422, field="text",
                   details={"count": length.count, "limit": length.limit,
                            "unit": length.unit})


# -- after sharing ------------------------------------------------------------------------------


def share_for(user: User, share_id: int) -> Share:
    """One of ``user``'s own shares; anyone else's is 404 (shares are personal)."""
    share = db.session.get(Share, share_id)
    if share is None or share.ambassador_id != user.id:
        raise NotFound()
    return share


def intent_for(share: Share, ambassador: Ambassador | None) -> str | None:
    """The network's share link that opens the ambassador's composer with the text."""
    if not share.story.is_public:  # retracted or expired: nothing more to post
        return None
    instance = ambassador.mastodon_instance if ambassador else None
    network = Network(share.network)
    if network == Network.MASTODON and not instance:
        return None
    return intent_url(network, text=share.text, url=tracked_url(share.code),
                      title=share.story.title, instance=instance)


def post_address(raw: object) -> str | None:
    """The address of the ambassador's post, if they give one: an absolute http(s) URL."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise Rejected("invalid_post_url", _l("The post's address must be a string."),
                       field="post_url")
    value = raw.strip()
    parts = urlsplit(value)
    if (len(value) > 2048 or parts.scheme not in ("http", "https") or not parts.hostname
            or any(ch.isspace() or ord(ch) < 32 for ch in value)):
        raise Rejected("invalid_post_url",
                       _l("Paste the full address of your post, starting with https://."),
                       field="post_url")
    return value


def mark_posted(user: User, share: Share, *, post_url: object = None) -> Share:
    """The ambassador says they posted it; the post's address lets the hub link to it."""
    if share.ambassador_id != user.id:
        raise NotFound()
    if not share.story.is_public:
        raise not_shareable(share.story, reveal=True)
    address = post_address(post_url)
    share.status = ShareStatus.POSTED
    share.posted_at = share.posted_at or utcnow()
    if address is not None:
        share.post_url = address
    return share


_SHARES = Share.__table__
_SHARED_BY = select(_SHARES.c.story_id, _SHARES.c.network).where(
    _SHARES.c.ambassador_id == bindparam("user_id"))
#: Every story a reader shared and where, by (reader, their latest share): one query when
#: they share something new, none while they page through the feed.
MARKS: Memo[tuple[int, int], dict[int, frozenset[str]]] = Memo(10_000, ttl=300)


def shared_networks(user_id: int, latest_share: int | None,
                    story_ids: Sequence[int]) -> dict[int, frozenset[str]]:
    """For the feed: which of these stories the reader shared already, and where.
    ``latest_share`` is the id of their newest share (None: they shared nothing)."""
    if latest_share is None or not story_ids:
        return {}
    key = (user_id, latest_share)
    everything = MARKS.get(key)
    if everything is None:
        found: dict[int, set[str]] = {}
        for story_id, network in db.run(_SHARED_BY, user_id=user_id):
            found.setdefault(story_id, set()).add(network)
        everything = {story_id: frozenset(networks) for story_id, networks in found.items()}
        MARKS.put(key, everything)
    return {story_id: everything[story_id] for story_id in story_ids if story_id in everything}


def shares_of(user: User, story: Story) -> list[Share]:
    """``user``'s shares of one story, newest first."""
    return list(db.session.scalars(select(Share).where(
        Share.ambassador_id == user.id, Share.story_id == story.id).order_by(Share.id.desc())))


def sharers_of(story: Story) -> list[Share]:
    """Every named share of ``story`` (for asking its ambassadors to remove their posts)."""
    return list(db.session.scalars(select(Share).where(
        Share.story_id == story.id, Share.ambassador_id.is_not(None)).order_by(Share.id)))


def anonymise_shares(user: User) -> int:
    """On opt-out: the shares stay as anonymous totals (network, story, team, clicks); the
    person, their words and their post's address go."""
    result = db.session.execute(
        update(Share).where(Share.ambassador_id == user.id)
        .values(ambassador_id=None, text="", post_url=None))
    return int(getattr(result, "rowcount", 0) or 0)
