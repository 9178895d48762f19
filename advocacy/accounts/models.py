"""People and their organisation: users, roles, departments and API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from advocacy.database import Base, as_utc, utcnow


class Role(StrEnum):
    """What an account may do. Each role includes the ones before it."""

    EMPLOYEE = "employee"
    CURATOR = "curator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class CreditChoice(StrEnum):
    """How an author is credited on public pages."""

    NAME = "name"
    ANONYMOUS = "anonymous"


class Department(Base):
    """An admin-managed part of the organisation (Sales, Engineering...)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class User(UserMixin, Base):
    """An employee account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(20), default=Role.EMPLOYEE)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    credit_as: Mapped[CreditChoice] = mapped_column(String(20), default=CreditChoice.NAME)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Part of every session's identity: raising it ends all sessions (sign-out, deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    department: Mapped[Department | None] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """The session's user id; it stops working once ``session_version`` is raised."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Sign this account out everywhere: every existing session cookie stops working."""
        self.session_version = (self.session_version or 1) + 1

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of ``password``."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches, in constant time."""
        return check_password_hash(self.password_hash, password)

    def has_role(self, role: Role) -> bool:
        """Whether this account holds ``role`` or a higher one."""
        return Role(self.role).rank >= role.rank

    @property
    def is_curator(self) -> bool:
        return self.has_role(Role.CURATOR)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)


def hash_token(token: str) -> str:
    """The stored form of an API token. Tokens are 256-bit random, so a plain SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Base):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: None: the token never expires on its own.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and as_utc(self.expires_at) <= utcnow()

    @property
    def is_usable(self) -> bool:
        return not (self.is_revoked or self.is_expired)


class RevocationReason(StrEnum):
    """Why every credential of an account ended at once (sessions and API tokens)."""

    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a password
    PASSWORD_RESET = "password_reset"  # noqa: S105
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
    DEACTIVATED = "deactivated"


class RateLimitCounter(Base):
    """One fixed-window counter of a rate limit (sign-in attempts, messages, checks), kept in
    the database so that every web process counts together (see ``accounts/ratelimits.py``)."""

    __tablename__ = "rate_limit_counters"

    #: SHA-256 of the limiter's key: attempted e-mail addresses and client addresses are
    #: never stored in the clear.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    #: Seconds since the epoch at which the window ends and the count starts again.
    expires_at: Mapped[float] = mapped_column(Float, index=True)
