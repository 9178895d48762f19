"""The click journal: where answered clicks wait, durably, until a worker has stored them.

A web process appends a batch of click notes every half second. A worker *claims* batches,
stores their clicks in one transaction and only then *acknowledges* them, which removes them.
A worker that dies between claim and acknowledgement leaves its batches claimed; after
``claim_seconds`` any worker may claim them again. Storing a batch twice is harmless: every
click carries the id the redirect gave it, unique in the database.

Two implementations, chosen with the task queue (``ADVOCACY_QUEUE_URL``):

* :class:`RedisJournal`: a Redis stream read by a consumer group (``XREADGROUP``, ``XACK``,
  ``XAUTOCLAIM`` for the batches of a dead worker).
* :class:`SqliteJournal`: a table in a SQLite file beside the queue's, written with
  ``synchronous=FULL`` so an appended batch survives a crash of the machine too.

Both hold at most ``max_clicks`` clicks; past that :meth:`ClickJournal.append` refuses with
:class:`JournalFull` and the web process keeps (then drops, counted and logged) what it has.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

#: Seconds a call to the journal may take before it counts as unreachable.
TIMEOUT = 2.0


class JournalError(Exception):
    """The journal cannot be reached or refused the write."""


class JournalFull(JournalError):
    """The journal holds ``max_clicks`` clicks already (the worker has been away long)."""


@dataclass(frozen=True)
class Batch:
    """One appended batch: the journal's id for it and its click notes."""

    id: str
    notes: list[dict[str, Any]]


class ClickJournal(ABC):
    """Durable batches of click notes between the redirect and the worker."""

    def __init__(self, max_clicks: int, claim_seconds: float) -> None:
        self.max_clicks = max_clicks
        self.claim_seconds = claim_seconds

    @abstractmethod
    def append(self, notes: Sequence[dict[str, Any]]) -> None:
        """Keep ``notes`` as one batch; raises :class:`JournalError` (or JournalFull)."""

    @abstractmethod
    def claim(self, consumer: str, count: int, wait: float = 0.0) -> list[Batch]:
        """Up to ``count`` batches for ``consumer``: its own unacknowledged ones first, then
        those another consumer left claimed for ``claim_seconds``, then new ones (waiting up
        to ``wait`` seconds for one)."""

    @abstractmethod
    def acknowledge(self, batches: Sequence[Batch]) -> None:
        """The batches' clicks are stored: remove them."""

    @abstractmethod
    def waiting(self) -> int:
        """How many clicks the journal holds (claimed or not)."""

    @abstractmethod
    def claimed(self) -> int:
        """How many batches are claimed by a worker and not yet acknowledged."""

    @abstractmethod
    def close(self) -> None:
        """Release connections (the journal can be used again afterwards)."""


def _encode(notes: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(notes), separators=(",", ":"))


class RedisJournal(ClickJournal):
    """A Redis stream with one consumer group; a counter key tracks the clicks it holds."""

    GROUP = "store"

    def __init__(self, url: str, *, key: str = "advocacy:clicks", max_clicks: int,
                 claim_seconds: float) -> None:
        super().__init__(max_clicks, claim_seconds)
        import redis

        self.key = key
        self.counter = f"{key}:waiting"
        # Short timeouts: the web process must never wait long on its way to a flush.
        self.client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT,
                                           socket_timeout=TIMEOUT + 5, retry_on_timeout=False,
                                           health_check_interval=30)
        self._group_ready = False

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return function(*args, **kwargs)
        except redis.RedisError as exc:
            raise JournalError(f"Redis: {exc}") from exc

    def _ensure_group(self) -> None:
        import redis

        if self._group_ready:
            return
        try:
            self.client.xgroup_create(self.key, self.GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise JournalError(f"Redis: {exc}") from exc
        except redis.RedisError as exc:
            raise JournalError(f"Redis: {exc}") from exc
        self._group_ready = True

    def append(self, notes: Sequence[dict[str, Any]]) -> None:
        if not notes:
            return
        if int(self._call(self.client.get, self.counter) or 0) + len(notes) > self.max_clicks:
            raise JournalFull(f"the journal holds {self.max_clicks} clicks already")
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(self.key, {"notes": _encode(notes), "count": len(notes)})
        pipe.incrby(self.counter, len(notes))
        self._call(pipe.execute)

    def _decode(self, entries: Any) -> list[Batch]:
        batches = []
        for entry_id, fields in entries or []:
            if not fields:  # trimmed or deleted while claimed: nothing left to store
                continue
            raw = fields.get(b"notes", b"[]")
            batches.append(Batch(entry_id.decode(), json.loads(raw)))
        return batches

    def claim(self, consumer: str, count: int, wait: float = 0.0) -> list[Batch]:
        self._ensure_group()
        own = self._call(self.client.xreadgroup, self.GROUP, consumer, {self.key: "0"},
                         count=count)
        batches = self._decode(own[0][1] if own else [])
        if batches:
            return batches
        reclaimed = self._call(self.client.xautoclaim, self.key, self.GROUP, consumer,
                               int(self.claim_seconds * 1000), start_id="0-0", count=count)
        batches = self._decode(reclaimed[1] if reclaimed else [])
        if batches:
            return batches
        fresh = self._call(self.client.xreadgroup, self.GROUP, consumer, {self.key: ">"},
                           count=count, block=int(wait * 1000) if wait > 0 else None)
        return self._decode(fresh[0][1] if fresh else [])

    def acknowledge(self, batches: Sequence[Batch]) -> None:
        if not batches:
            return
        pipe = self.client.pipeline(transaction=True)
        pipe.xack(self.key, self.GROUP, *(batch.id for batch in batches))
        for batch in batches:
            pipe.xdel(self.key, batch.id)
        deleted = self._call(pipe.execute)[1:]
        # A batch two workers stored (after a reclaim) is deleted once: count it once.
        gone = sum(len(batch.notes) for batch, count in zip(batches, deleted, strict=True)
                   if count)
        if gone:
            self._call(self.client.decrby, self.counter, gone)

    def waiting(self) -> int:
        return max(0, int(self._call(self.client.get, self.counter) or 0))

    def claimed(self) -> int:
        self._ensure_group()
        return int(self._call(self.client.xpending, self.key, self.GROUP)["pending"])

    def close(self) -> None:
        self.client.close()


class SqliteJournal(ClickJournal):
    """A table in its own SQLite file; each thread has its own connection."""

    def __init__(self, path: Path, *, max_clicks: int, claim_seconds: float) -> None:
        super().__init__(max_clicks, claim_seconds)
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        setup = sqlite3.connect(path, timeout=TIMEOUT)
        try:
            with setup:
                setup.execute(
                    "CREATE TABLE IF NOT EXISTS click_batches ("
                    " id INTEGER PRIMARY KEY AUTOINCREMENT, notes TEXT NOT NULL,"
                    " clicks INTEGER NOT NULL, claimed_by TEXT, claimed_at REAL)")
        except sqlite3.Error as exc:
            raise JournalError(f"SQLite journal {path.name}: {exc}") from exc
        finally:
            setup.close()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=TIMEOUT, isolation_level=None,
                                         check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            # FULL: an appended batch is on disk before the flush counts as done.
            connection.execute("PRAGMA synchronous=FULL")
            self._local.connection = connection
        return connection

    def _transaction(self, work: Any) -> Any:
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            raise JournalError(f"SQLite journal {self.path.name}: {exc}") from exc

    def append(self, notes: Sequence[dict[str, Any]]) -> None:
        if not notes:
            return

        def write(connection: sqlite3.Connection) -> None:
            held = connection.execute("SELECT COALESCE(SUM(clicks), 0) FROM click_batches")
            if int(held.fetchone()[0]) + len(notes) > self.max_clicks:
                raise JournalFull(f"the journal holds {self.max_clicks} clicks already")
            connection.execute("INSERT INTO click_batches (notes, clicks) VALUES (?, ?)",
                               (_encode(notes), len(notes)))

        self._transaction(write)

    def claim(self, consumer: str, count: int, wait: float = 0.0) -> list[Batch]:
        deadline = time.monotonic() + wait
        while True:
            batches = self._claim(consumer, count)
            if batches or time.monotonic() >= deadline:
                return batches
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def _claim(self, consumer: str, count: int) -> list[Batch]:
        def take(connection: sqlite3.Connection) -> list[Batch]:
            now = time.time()
            rows = connection.execute(
                "SELECT id, notes FROM click_batches WHERE claimed_by = ? ORDER BY id LIMIT ?",
                (consumer, count)).fetchall()
            if not rows:
                rows = connection.execute(
                    "SELECT id, notes FROM click_batches WHERE claimed_by IS NULL"
                    " OR claimed_at < ? ORDER BY id LIMIT ?",
                    (now - self.claim_seconds, count)).fetchall()
            connection.executemany(
                "UPDATE click_batches SET claimed_by = ?, claimed_at = ? WHERE id = ?",
                [(consumer, now, row[0]) for row in rows])
            return [Batch(str(row[0]), json.loads(row[1])) for row in rows]

        batches: list[Batch] = self._transaction(take)
        return batches

    def acknowledge(self, batches: Sequence[Batch]) -> None:
        if not batches:
            return
        ids = [(int(batch.id),) for batch in batches]
        self._transaction(lambda connection: connection.executemany(
            "DELETE FROM click_batches WHERE id = ?", ids))

    def waiting(self) -> int:
        try:
            row = self._connection().execute(
                "SELECT COALESCE(SUM(clicks), 0) FROM click_batches").fetchone()
        except sqlite3.Error as exc:
            raise JournalError(f"SQLite journal {self.path.name}: {exc}") from exc
        return int(row[0])

    def claimed(self) -> int:
        try:
            row = self._connection().execute(
                "SELECT COUNT(*) FROM click_batches WHERE claimed_by IS NOT NULL").fetchone()
        except sqlite3.Error as exc:
            raise JournalError(f"SQLite journal {self.path.name}: {exc}") from exc
        return int(row[0])

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def journal_for(app: Flask) -> ClickJournal:
    """The journal beside the app's task queue (``ADVOCACY_QUEUE_URL``)."""
    from advocacy.queue import queue_location

    limits: dict[str, Any] = {"max_clicks": app.config["CLICK_JOURNAL_MAX_CLICKS"],
                              "claim_seconds": app.config["CLICK_CLAIM_SECONDS"]}
    location = queue_location(app)
    if isinstance(location, str):
        return RedisJournal(location, **limits)
    return SqliteJournal(location.with_name(location.stem + "-clicks.sqlite3"), **limits)
