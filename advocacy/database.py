"""SQLAlchemy 2 wiring: the declarative base, one engine per app, one session per context.

This follows Flask's "SQLAlchemy in Flask" pattern: a scoped session that is
removed when the app context ends. Operations only flush; the request (or CLI
command, or task) commits in one place, see :func:`commit_or_rollback`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVarTuple

from flask import Flask, current_app
from sqlalchemy import CursorResult, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.selectable import TypedReturnsRows

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

EXTENSION_KEY = "advocacy.db"
Columns = TypeVarTuple("Columns")


def utcnow() -> datetime:
    """The current time, timezone-aware, evaluated at call time (never at import)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` with its offset; SQLite hands back naive datetimes, which are UTC here."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AppSession(Session):
    """A session bound to the engine of the current Flask app."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Engine:
        engine: Engine = current_app.extensions[EXTENSION_KEY]
        return engine


session: scoped_session[AppSession] = scoped_session(
    sessionmaker(class_=AppSession, expire_on_commit=False)
)


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, timeout: float = 5.0, pool_size: int = 10,
                max_overflow: int = 10) -> Engine:
    """An engine for ``url``; SQLite gets WAL mode, foreign keys and a busy timeout.

    A request waits at most ``timeout`` seconds for a pooled connection and (PostgreSQL)
    as long again to open a new one, then fails with a 503 (advocacy/errors.py) instead of
    holding its web worker until gunicorn kills it.
    """
    if url.startswith("sqlite"):
        pool: dict[str, Any] = {}
        if ":memory:" not in url and url.rstrip("/") != "sqlite:":  # file: a QueuePool
            pool = {"pool_size": pool_size, "max_overflow": max_overflow,
                    "pool_timeout": timeout}
        engine = create_engine(url, connect_args={"check_same_thread": False},
                               hide_parameters=True, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # hide_parameters: errors are logged, and parameters may hold personal data.
    # connect_timeout is libpq's, in whole seconds, at least 2.
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size,
                         max_overflow=max_overflow, pool_timeout=timeout,
                         connect_args={"connect_timeout": max(2, math.ceil(timeout))},
                         hide_parameters=True)


def run(statement: TypedReturnsRows[*Columns], **params: Any,
        ) -> CursorResult[*Columns]:
    """Execute a prebuilt Core statement (table columns, no ORM entities) in the unit of
    work, without the ORM's per-query work: for the few statements every page runs."""
    return session.connection().execute(statement, params)


def on_rollback(callback: Callable[[], None]) -> None:
    """Run ``callback`` if the current unit of work is rolled back (e.g. delete stored files)."""
    session().info.setdefault("on_rollback", []).append(callback)


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work is committed (e.g. delete replaced files)."""
    session().info.setdefault("after_commit", []).append(callback)


def _run_rollback_callbacks() -> None:
    session().info.pop("after_commit", None)
    callbacks: list[Callable[[], None]] = session().info.pop("on_rollback", [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a failed clean-up must not hide the original error
            current_app.logger.exception("clean-up after rollback failed")


def rollback() -> None:
    """Roll back the unit of work and undo its side effects (stored files)."""
    session.rollback()
    _run_rollback_callbacks()


def in_use() -> bool:
    """Whether this request or task touched the database at all (a session exists)."""
    return session.registry.has()


def commit() -> None:
    """Commit the unit of work; on failure roll back (with clean-ups) and re-raise."""
    try:
        session.commit()
    except Exception:
        rollback()
        raise
    session().info.pop("on_rollback", None)
    for callback in session().info.pop("after_commit", []):
        try:
            callback()
        except Exception:  # the commit stands; a stray file is logged, not fatal
            current_app.logger.exception("clean-up after commit failed")


def init_app(app: Flask) -> None:
    """Create the app's engine and remove the session when each app context ends."""
    app.extensions[EXTENSION_KEY] = make_engine(app.config["SQLALCHEMY_URL"],
                                                timeout=app.config["DATABASE_TIMEOUT"])

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        if session.registry.has():
            if session().info.get("on_rollback") or session().in_transaction():
                rollback()
            session.remove()
