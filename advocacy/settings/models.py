"""One row per setting that an admin changed from its default."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from advocacy.database import Base, utcnow


class HubSetting(Base):
    __tablename__ = "hub_settings"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
