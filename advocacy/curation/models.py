"""Decisions and comments (append-only, shown as one thread) and who is reviewing what."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.accounts.models import User
from advocacy.database import Base, utcnow
from advocacy.stories.states import StoryAction


class Verdict(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"

    @property
    def action(self) -> StoryAction:
        return StoryAction(self.value)


VERDICT_LABELS = {
    Verdict.APPROVE: _l("Approve"),
    Verdict.REQUEST_CHANGES: _l("Request changes"),
    Verdict.REJECT: _l("Reject"),
}

#: How a decision reads in the thread and in notifications.
VERDICT_DONE = {
    Verdict.APPROVE: _l("approved the story"),
    Verdict.REQUEST_CHANGES: _l("asked for changes"),
    Verdict.REJECT: _l("rejected the story"),
}


class Decision(Base):
    """A curator's verdict on one revision of a story, with the reasons."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("story_revisions.id"))
    curator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[Verdict] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    captions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    embargo_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The guideline findings at the moment of the decision.
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    curator: Mapped[User] = relationship(lazy="joined")


class Comment(Base):
    """One message in a story's thread between its author and the curators."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")


class ReviewPresence(Base):
    """A curator has the story open on the desk (refreshed while the page is open)."""

    __tablename__ = "review_presence"

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          primary_key=True)
    curator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                            primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                              index=True)

    curator: Mapped[User] = relationship(lazy="joined")
