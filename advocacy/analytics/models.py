"""Clicks on tracked links, and the daily salts that make visitors countable but not known."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from advocacy.analytics.agents import VisitorKind
from advocacy.database import Base


class Click(Base):
    """Someone (or something) followed a share's tracked link. Never a raw IP address."""

    __tablename__ = "clicks"

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[VisitorKind] = mapped_column(String(10))
    #: For previews and bots: which one ("LinkedIn", "Slack", ...); None for people.
    agent: Mapped[str | None] = mapped_column(String(40))
    #: A keyed hash of address and browser under that day's salt: unique visitors per day,
    #: unlinkable once the salt is gone.
    visitor: Mapped[str] = mapped_column(String(32))
    referrer_host: Mapped[str | None] = mapped_column(String(253))
    #: Given at the redirect: a batch the worker stores twice (after a crash) counts once.
    note_id: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_clicks_share_id_kind", "share_id", "kind"),
                      Index("uq_clicks_note_id", "note_id", unique=True))


class VisitorSalt(Base):
    """One random salt per day; deleted after two days so hashes cannot be traced back."""

    __tablename__ = "visitor_salts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
