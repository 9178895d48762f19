"""One ambassador sharing one story to one network, with its own tracked link."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.database import Base, utcnow

if TYPE_CHECKING:
    from advocacy.stories.models import Story


class ShareStatus(StrEnum):
    #: The ambassador opened the network's share link; the hub cannot see whether they posted.
    OPENED = "opened"
    #: The ambassador said they posted it (optionally with the post's address).
    POSTED = "posted"


SHARE_STATUS_LABELS = {
    ShareStatus.OPENED: _l("Share link opened"),
    ShareStatus.POSTED: _l("Posted"),
}


class Share(Base):
    """A share of a story. Opting out anonymises it: the person and the text go, totals stay."""

    __tablename__ = "shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    ambassador_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    #: The team at the time of sharing: reports are by department, not by person.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"))
    network: Mapped[str] = mapped_column(String(20))
    #: The text as posted, tracked link included.
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ShareStatus] = mapped_column(String(20), default=ShareStatus.OPENED)
    #: The tracked link's code: /l/<code>.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    #: Where the ambassador's post lives, when they told us (for retraction requests).
    post_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    story: Mapped[Story] = relationship(lazy="joined")

    __table_args__ = (
        # The feed marks what this ambassador shared; the composer compares texts per network.
        Index("ix_shares_ambassador_id_story_id", "ambassador_id", "story_id"),
        Index("ix_shares_story_id_network", "story_id", "network"),
    )
