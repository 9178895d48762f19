"""Telling people in the hub about their stories, and reading what they were told."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.channels import network_label
from advocacy.database import utcnow
from advocacy.errors import Message
from advocacy.notifications.models import Notification, NotificationKind
from advocacy.paging import Page, paginate

K = NotificationKind
#: How each kind reads; %(actor)s is who did it, %(story)s the story's title.
WORDING: dict[NotificationKind, Message] = {
    K.APPROVED: _l("%(actor)s approved your story “%(story)s”."),
    K.CHANGES_REQUESTED: _l("%(actor)s asked for changes to your story “%(story)s”."),
    K.REJECTED: _l("%(actor)s rejected your story “%(story)s”."),
    K.COMMENT: _l("%(actor)s wrote about “%(story)s”."),
    K.EDITED: _l("%(actor)s made a small edit to your story “%(story)s”. See what changed."),
    K.RETRACTED: _l("%(actor)s retracted your story “%(story)s”: it is no longer public."),
    K.SHARE_RETRACTED: _l("“%(story)s”, which you shared on %(network)s, has been retracted. "
                          "Please remove your post."),
}


def notify(recipients: Iterable[int], kind: NotificationKind, *, story_id: int | None,
           actor: User | None, **details: Any) -> None:
    """One notification per recipient (never the actor themself)."""
    for user_id in set(recipients) - ({actor.id} if actor else set()):
        db.session.add(Notification(user_id=user_id, kind=kind, story_id=story_id,
                                    actor_id=actor.id if actor else None, details=details))


_NOTIFICATIONS = Notification.__table__
_UNREAD = select(func.count()).select_from(_NOTIFICATIONS).where(
    _NOTIFICATIONS.c.user_id == bindparam("user_id"), _NOTIFICATIONS.c.read_at.is_(None))


def unread_count(user: User) -> int:
    """For the header of every page: counted once per request (the inbox asks too)."""
    counted: dict[int, int] = g.setdefault("_unread", {}) if has_request_context() else {}
    if user.id not in counted:
        counted[user.id] = int(db.run(_UNREAD, user_id=user.id).scalar() or 0)
    return counted[user.id]


def notifications_of(user: User, page: int, per_page: int) -> Page[Notification]:
    query = (select(Notification).options(joinedload(Notification.actor))
             .where(Notification.user_id == user.id).order_by(Notification.id.desc()))
    return paginate(query, page, per_page)


def mark_read(user: User, *, story_id: int | None = None) -> int:
    """Mark ``user``'s notifications (about one story, or all) as read."""
    statement = update(Notification).where(Notification.user_id == user.id,
                                           Notification.read_at.is_(None))
    if story_id is not None:
        statement = statement.where(Notification.story_id == story_id)
    result = db.session.execute(statement.values(read_at=utcnow()))
    if has_request_context():
        g.pop("_unread", None)  # the page about to be shown counts again
    return int(getattr(result, "rowcount", 0) or 0)


def wording(notification: Notification) -> str:
    """The notification as a sentence in the reader's language."""
    actor = notification.actor.name if notification.actor else str(_l("Someone"))
    return str(WORDING[NotificationKind(notification.kind)]) % {
        "actor": actor, "story": notification.details.get("title", ""),
        "network": network_label(notification.details.get("network"))}
