"""Writing and reading the audit log; the log listens to the other features' signals."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.audit.models import AuditEvent
from advocacy.paging import Page, paginate


def record(actor: User | None, action: str, *, story_id: int | None = None,
           **details: Any) -> AuditEvent:
    """Append one event; it is committed with the rest of the request's work."""
    entry = AuditEvent(actor_id=actor.id if actor is not None else None, action=action,
                       story_id=story_id, details=details)
    db.session.add(entry)
    return entry


def events(page: int, per_page: int, *, story_id: int | None = None) -> Page[AuditEvent]:
    """The log, newest first."""
    query = select(AuditEvent)
    if story_id is not None:
        query = query.where(AuditEvent.story_id == story_id)
    return paginate(query.order_by(AuditEvent.id.desc()), page, per_page)
