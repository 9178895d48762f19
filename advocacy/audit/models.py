"""Audit events. Rows are only ever added: the ORM and the database (triggers of migration
0002) both refuse updates and deletes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from advocacy.accounts.models import User
from advocacy.database import Base, utcnow


class AuditEvent(Base):
    """Who did what to which object, when; ``details`` holds what changed."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: e.g. "story.approved", "story.edited", "guidelines.replaced", "settings.changed"
    action: Mapped[str] = mapped_column(String(40))
    story_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives stories
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_audit_events_story_id", "story_id"),)


class AppendOnly(RuntimeError):
    """Someone tried to change or delete an audit event."""


@event.listens_for(Session, "before_flush")
def _refuse_rewriting_history(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted
                                            or session.is_modified(obj)):
            raise AppendOnly("audit events are append-only")
