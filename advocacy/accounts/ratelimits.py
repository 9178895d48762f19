"""Rate-limit counters in the hub's own database: a storage for the ``limits`` library.

Flask-Limiter keeps its counters in a ``limits`` storage. In memory, every web process
counts on its own, so ``gunicorn -w 2`` let twice the documented number of wrong passwords
through. This storage (``database://``, the default when ``ADVOCACY_RATELIMIT_STORAGE_URL``
is unset) keeps them in the ``rate_limit_counters`` table, which every process of the
embedded setup shares; scaled out, Redis does the same job.

Each counter change is its own short transaction on its own connection, committed at once:
a refused sign-in rolls its request back, and the attempt must count all the same.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import cast

from flask import current_app
from limits.storage import Storage
from sqlalchemy import Connection, Engine, Table, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from advocacy import database as db
from advocacy.accounts.models import RateLimitCounter

log = logging.getLogger(__name__)
SCHEME = "database"
#: Counters whose window ended are deleted at most this often (seconds) by each process.
PRUNE_EVERY = 60.0

_COUNTERS = cast(Table, RateLimitCounter.__table__)


def _hashed(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``rate_limit_counters`` table of the current app.

    Errors are raised (after logging them): Flask-Limiter then counts in this process's
    memory until the database answers again (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``).
    """

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._pruned_at = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @staticmethod
    def _engine() -> Engine:
        engine: Engine = current_app.extensions[db.EXTENSION_KEY]
        return engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the counter, starting a new window when the last one ended."""
        now = time.time()
        engine = self._engine()
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        new = insert(_COUNTERS).values(key=_hashed(key), count=amount, expires_at=now + expiry)
        ended = _COUNTERS.c.expires_at <= now
        statement = new.on_conflict_do_update(
            index_elements=[_COUNTERS.c.key],
            set_={"count": case((ended, new.excluded.count), else_=_COUNTERS.c.count + amount),
                  "expires_at": case((ended, new.excluded.expires_at),
                                     else_=_COUNTERS.c.expires_at)},
        ).returning(_COUNTERS.c.count)
        try:
            with engine.begin() as connection:
                count = connection.execute(statement).scalar_one()
                self._prune(connection, now)
        except SQLAlchemyError as exc:
            log.error("rate-limit counters unreachable in the database: %s", type(exc).__name__)
            raise
        return int(count)

    def _prune(self, connection: Connection, now: float) -> None:
        # Sign-in counters are keyed by the attempted address: without pruning, someone trying
        # many addresses would grow the table for ever.
        if now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            connection.execute(delete(_COUNTERS).where(_COUNTERS.c.expires_at <= now))

    def get(self, key: str) -> int:
        with self._engine().connect() as connection:
            count = connection.scalar(select(_COUNTERS.c.count).where(
                _COUNTERS.c.key == _hashed(key), _COUNTERS.c.expires_at > time.time()))
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        with self._engine().connect() as connection:
            expires_at = connection.scalar(select(_COUNTERS.c.expires_at).where(
                _COUNTERS.c.key == _hashed(key)))
        return float(expires_at) if expires_at is not None else time.time()

    def check(self) -> bool:
        try:
            with self._engine().connect() as connection:
                connection.scalar(select(func.count()).select_from(_COUNTERS).where(
                    _COUNTERS.c.key == ""))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine().begin() as connection:
            return connection.execute(delete(_COUNTERS)).rowcount

    def clear(self, key: str) -> None:
        with self._engine().begin() as connection:
            connection.execute(delete(_COUNTERS).where(_COUNTERS.c.key == _hashed(key)))
