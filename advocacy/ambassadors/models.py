"""An employee's opt-in as an ambassador and the topics they chose."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.accounts.models import User
from advocacy.database import Base, utcnow
from advocacy.stories.models import Topic

ambassador_topics = Table(
    "ambassador_topics",
    Base.metadata,
    Column("user_id", ForeignKey("ambassadors.user_id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Ambassador(Base):
    """An employee who chose to share stories. Opting out deletes this row (and its topics)."""

    __tablename__ = "ambassadors"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    opted_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The ambassador's own Mastodon server (a bare host name), remembered for share links.
    mastodon_instance: Mapped[str | None] = mapped_column(String(253))
    #: Whether others may see this ambassador by name in reports; never by default.
    named_in_reports: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(lazy="joined")
    topics: Mapped[list[Topic]] = relationship(
        secondary=ambassador_topics, lazy="selectin", order_by=Topic.name)
