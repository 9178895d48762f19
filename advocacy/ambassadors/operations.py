"""Opting in and out, choosing topics, and the feed of stories an ambassador may share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.ambassadors.models import Ambassador, ambassador_topics
from advocacy.database import as_utc, utcnow
from advocacy.errors import Message, Rejected
from advocacy.memo import Memo
from advocacy.outbound import parse_instance
from advocacy.paging import MAX_PER_PAGE, Window
from advocacy.sharing.models import Share
from advocacy.signals import ambassador_opted_in, ambassador_opted_out
from advocacy.stories import operations as stories
from advocacy.stories.models import Story, story_topics
from advocacy.stories.states import StoryStatus


class NotAnAmbassador(Rejected):
    """Feeds and sharing are for employees who opted in."""

    def __init__(self) -> None:
        super().__init__("not_an_ambassador",
                         _l("Opt in as an ambassador first: sharing is your choice."),
                         status=403)


def ambassador_of(user: User) -> Ambassador | None:
    """``user``'s opt-in, or None when they are not (or no longer) an ambassador."""
    return db.session.get(Ambassador, user.id)


def require_ambassador(user: User) -> Ambassador:
    ambassador = ambassador_of(user)
    if ambassador is None:
        raise NotAnAmbassador()
    return ambassador


def opt_in(user: User, *, topics: Sequence[str] | None = None) -> Ambassador:
    """Make ``user`` an ambassador (again); choosing topics at the same time is optional."""
    ambassador = ambassador_of(user)
    if ambassador is None:
        errors: dict[str, list[Message]] = {}
        chosen = stories.resolve_topics(topics or [], errors)
        _raise(errors)
        ambassador = Ambassador(user_id=user.id, user=user, topics=chosen)
        db.session.add(ambassador)
        db.session.flush()
        ambassador_opted_in.send(ambassador, actor=user)
    elif topics is not None:
        choose_topics(ambassador, topics)
    return ambassador


def choose_topics(ambassador: Ambassador, slugs: Sequence[str]) -> Ambassador:
    """The topics whose stories the ambassador wants in their feed (unknown slugs are 422)."""
    errors: dict[str, list[Message]] = {}
    chosen = stories.resolve_topics(slugs, errors)
    _raise(errors)
    ambassador.topics = chosen
    return ambassador


def set_preferences(ambassador: Ambassador, *, mastodon_instance: object = None,
                    named_in_reports: bool | None = None, clear_instance: bool = False,
                    ) -> Ambassador:
    """Remember the ambassador's Mastodon server; agree (or not) to be named in reports."""
    if clear_instance:
        ambassador.mastodon_instance = None
    elif mastodon_instance is not None:
        ambassador.mastodon_instance = parse_instance(mastodon_instance)
    if named_in_reports is not None:
        ambassador.named_in_reports = named_in_reports
    return ambassador


def opt_out(user: User) -> bool:
    """Stop being an ambassador: the opt-in and topics go, and every feature drops what it
    holds about this person as an ambassador (shares keep only anonymous totals)."""
    ambassador = ambassador_of(user)
    if ambassador is None:
        return False
    db.session.delete(ambassador)
    db.session.flush()
    ambassador_opted_out.send(user, actor=user)
    return True


def _raise(errors: dict[str, list[Message]]) -> None:
    if errors:
        field, messages = next(iter(errors.items()))
        raise Rejected("invalid_topics", messages[0], fields={"topics": messages})


def public_now(now: datetime | None = None) -> ColumnElement[bool]:
    """The SQL condition of :attr:`Story.is_public`: approved, past embargo, before expiry."""
    moment = now or utcnow()
    return and_(Story.status == StoryStatus.APPROVED,
                or_(Story.embargo_until.is_(None), Story.embargo_until <= moment),
                or_(Story.expires_at.is_(None), Story.expires_at > moment))


class PageOutOfRange(Rejected):
    def __init__(self, page: int, pages: int) -> None:
        super().__init__("page_out_of_range",
                         _l("There is no page %(page)d: the feed has %(pages)d page(s).",
                            page=page, pages=pages),
                         status=404, details={"pages": pages})


#: One line of the feed window: a story's id, then what makes its cached card current (its
#: version, and its approval time, which no restored or reused id shares).
FeedRow = tuple[int, tuple[int, datetime]]


@dataclass(frozen=True)
class FeedOrder:
    """Every public story on a set of topics, newest approval first, and until when that
    holds even if no story changes (the next embargo end or expiry among them)."""

    rows: list[FeedRow]
    valid_until: datetime | None


#: Feed orders by (topic set, latest change to any story): a process works a topic set's
#: order out once per change, and each page is a slice of it (no OFFSET scan, no COUNT).
ORDERS: Memo[tuple[tuple[int, ...], object], FeedOrder] = Memo(1_000, ttl=300)


@dataclass(frozen=True)
class Reader:
    """What the feed needs of an ambassador: who, their topics, the latest change to any
    story (whether a cached order still holds) and their latest share (whether their cached
    marks do)."""

    user_id: int
    topics: tuple[int, ...]
    stories_changed: object
    latest_share: int | None


_AMBASSADORS, _SHARES = Ambassador.__table__, Share.__table__
#: One statement per feed page for all four (no ORM objects: the feed only needs ids).
_READER = (select(_AMBASSADORS.c.user_id, ambassador_topics.c.topic_id,
                  select(func.max(Story.updated_at)).scalar_subquery(),
                  select(func.max(_SHARES.c.id))
                  .where(_SHARES.c.ambassador_id == bindparam("user_id")).scalar_subquery())
           .select_from(_AMBASSADORS.outerjoin(
               ambassador_topics, ambassador_topics.c.user_id == _AMBASSADORS.c.user_id))
           .where(_AMBASSADORS.c.user_id == bindparam("user_id")))


def reader(user: User) -> Reader:
    """``user`` as a reader of the feed; :class:`NotAnAmbassador` unless they opted in."""
    topics: list[int] = []
    changed: object = None
    latest: int | None = None
    found = False
    for _user_id, topic_id, stories_changed, latest_share in db.run(_READER, user_id=user.id):
        found, changed, latest = True, stories_changed, latest_share
        if topic_id is not None:
            topics.append(topic_id)
    if not found:
        raise NotAnAmbassador()
    return Reader(user.id, tuple(sorted(topics)), changed, latest)


def feed(reader: Reader, page: int, per_page: int) -> Window[FeedRow]:
    """Public stories on the reader's topics, newest approval first, as (id, stamp); the
    pages show each story from a cache keyed by that stamp (:func:`stories_by_id`). The
    order of a topic set is worked out once per change to any story (or when the clock
    reaches an embargo's end or an expiry in it); each page is a slice of it."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    key = (reader.topics, reader.stories_changed)
    now = utcnow()
    order = ORDERS.get(key)
    if order is None or (order.valid_until is not None and as_utc(order.valid_until) <= now):
        order = _order(reader.topics, now)
        ORDERS.put(key, order)
    start = (page - 1) * per_page
    rows = order.rows[start:start + per_page + 1]
    if not rows and page > 1:
        raise PageOutOfRange(page, max(1, -(-len(order.rows) // per_page)))
    return Window(items=rows[:per_page], page=page, per_page=per_page,
                  has_next=len(rows) > per_page)


def _order(topics: Sequence[int], now: datetime) -> FeedOrder:
    on_topics = select(story_topics.c.story_id).where(story_topics.c.topic_id.in_(topics))
    rows: list[FeedRow] = []
    ends: list[datetime] = []
    for story_id, version, approved_at, expires_at in db.session.execute(
            select(Story.id, Story.version, Story.approved_at, Story.expires_at)
            .where(public_now(now), Story.id.in_(on_topics))
            .order_by(Story.approved_at.desc(), Story.id.desc())):
        if approved_at is None:  # never for an approved story; keeps the types honest
            continue
        rows.append((story_id, (version, approved_at)))
        if expires_at is not None:
            ends.append(as_utc(expires_at))
    embargo = db.session.scalar(select(func.min(Story.embargo_until)).where(
        Story.status == StoryStatus.APPROVED, Story.embargo_until > now,
        Story.id.in_(on_topics)))
    if embargo is not None:
        ends.append(as_utc(embargo))
    return FeedOrder(rows, min(ends, default=None))


def stories_by_id(ids: Sequence[int]) -> dict[int, Story]:
    """Stories with their authors, topics and photos, in a fixed number of queries."""
    return {story.id: story for story in db.session.scalars(
        select(Story).options(joinedload(Story.author)).where(Story.id.in_(ids)))}
