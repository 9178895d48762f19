"""Photos (and later vlogs) attached to stories, with their stored renditions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.database import Base, utcnow

if TYPE_CHECKING:
    from advocacy.stories.models import Story


class MediaAsset(Base):
    """One photo of a story. File names from users are never kept; keys are generated."""

    __tablename__ = "media_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="photo")
    position: Mapped[int] = mapped_column(Integer, default=0)
    source_format: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    #: {rendition name: {"key", "content_type", "width", "height", "bytes"}}
    renditions: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    #: what metadata was found in the upload and removed ("location", "camera", ...)
    removed_metadata: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    story: Mapped[Story] = relationship(back_populates="media")

    def rendition(self, name: str) -> dict[str, Any] | None:
        return self.renditions.get(name)

    @property
    def keys(self) -> list[str]:
        return [r["key"] for r in self.renditions.values()]
