"""Rule sets: every import or edit stores a whole new set; the newest one is in force."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advocacy.accounts.models import User
from advocacy.database import Base, utcnow


class GuidelineSet(Base):
    """One version of the brand guidelines, as a whole (``{"version": 1, "rules": [...]}``)."""

    __tablename__ = "guideline_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: "admin" (the rules page), "cli" (advocacy guidelines import) or "demo"
    source: Mapped[str] = mapped_column(String(20))

    created_by: Mapped[User | None] = relationship(lazy="joined")
