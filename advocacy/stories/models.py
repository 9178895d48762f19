"""Stories, their topics and their submitted revisions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.accounts.models import User
from advocacy.database import Base, as_utc, utcnow
from advocacy.stories.states import EDITABLE, StoryStatus

PRIVATE = frozenset({StoryStatus.DRAFT, StoryStatus.WITHDRAWN})

if TYPE_CHECKING:
    from advocacy.media.models import MediaAsset

story_topics = Table(
    "story_topics",
    Base.metadata,
    Column("story_id", ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Topic(Base):
    """An admin-managed subject that stories carry and ambassadors follow."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Story(Base):
    """One piece of content an employee hands in, and its place in the flow."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[StoryStatus] = mapped_column(String(24), default=StoryStatus.DRAFT, index=True)
    slug: Mapped[str | None] = mapped_column(String(120), unique=True)
    consent_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, index=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by the curator who approves: not visible before the embargo, archived after expiry.
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    embargo_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    #: Suggested captions per network ("linkedin", "x", ...), from the approving curator.
    captions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: A curator took the approved story back: its public page answers 410 with the reason.
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retraction_reason: Mapped[str | None] = mapped_column(Text)
    # Optimistic locking: two people saving the same story at once cannot
    # silently overwrite each other; the second gets a conflict.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    # Lists load authors explicitly when they show several; My stories already has its author.
    author: Mapped[User] = relationship()
    topics: Mapped[list[Topic]] = relationship(
        secondary=story_topics, lazy="selectin", order_by=Topic.name
    )
    media: Mapped[list[MediaAsset]] = relationship(
        back_populates="story",
        lazy="selectin",
        order_by="MediaAsset.position",
        cascade="all, delete-orphan",
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}
    # My stories: one author's stories, most recently changed first, read in index order.
    # The ambassador feed: approved stories, newest approval first.
    __table_args__ = (Index("ix_stories_author_id_updated_at", "author_id", "updated_at", "id"),
                      Index("ix_stories_status_approved_at", "status", "approved_at", "id"))

    @property
    def is_editable(self) -> bool:
        return StoryStatus(self.status) in EDITABLE

    @property
    def is_public(self) -> bool:
        """Approved, past its embargo and not yet expired: anyone may see it."""
        if StoryStatus(self.status) != StoryStatus.APPROVED:
            return False
        now = utcnow()
        if self.embargo_until is not None and as_utc(self.embargo_until) > now:
            return False
        return self.expires_at is None or as_utc(self.expires_at) > now

    @property
    def was_public(self) -> bool:
        """Once approved and now gone (expired, retracted or withdrawn): links to it are 410."""
        if self.approved_at is None or self.is_public:
            return False
        status = StoryStatus(self.status)
        if status == StoryStatus.APPROVED:  # still under embargo, or past its expiry
            return self.expires_at is not None and as_utc(self.expires_at) <= utcnow()
        return status in (StoryStatus.ARCHIVED, StoryStatus.WITHDRAWN)

    def can_view(self, user: Any) -> bool:
        """Whether ``user`` may see this story; drafts stay with their author."""
        if self.is_public:
            return True
        if not getattr(user, "is_authenticated", False):
            return False
        if user.id == self.author_id:
            return True
        # A draft, and a story its author took back, belong to the author alone.
        return bool(user.is_curator) and StoryStatus(self.status) not in PRIVATE

    def can_edit(self, user: Any) -> bool:
        """Whether ``user`` may change the text, topics and photos now."""
        return bool(getattr(user, "is_authenticated", False)) and (
            user.id == self.author_id and self.is_editable
        )


class RevisionKind(StrEnum):
    SUBMISSION = "submission"  # the author handed the story in
    CURATOR_EDIT = "curator_edit"  # a curator's light edit, credited and shown as a diff


class StoryRevision(Base):
    """The story as it stood at one submission or curator edit; the history curators compare."""

    __tablename__ = "story_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[RevisionKind] = mapped_column(
        String(20), default=RevisionKind.SUBMISSION, server_default=RevisionKind.SUBMISSION.value
    )
    #: The guideline findings of this text when it was made (rules change; this does not).
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Why the author submitted despite warnings.
    explanation: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    created_by: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("story_id", "number"),)
