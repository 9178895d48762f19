"""Counting clicks on tracked links without making anyone wait and without raw addresses.

The redirect only notes the click in this process's memory; a background thread appends the
notes to the click journal (:mod:`advocacy.analytics.journal`) every half second, and a worker
stores them (:mod:`advocacy.analytics.storing`). A web process killed outright loses at most
the clicks of its last half second; nothing after the journal is lost. The visitor is a
keyed hash of address and browser under that day's random salt: enough to count unique
visitors per day, and meaningless once the salt is deleted two days later.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from advocacy import database as db
from advocacy.analytics.journal import ClickJournal, JournalError, journal_for
from advocacy.analytics.models import VisitorSalt
from advocacy.database import utcnow

log = logging.getLogger(__name__)
EXTENSION_KEY = "advocacy.clicks"
MAX_AGENT = 512
#: Clicks a process keeps while the journal cannot be reached (about 60 MB at most).
MAX_WAITING = 100_000
#: How often a web process appends its waiting clicks to the journal: at most this much is
#: lost when the process is killed outright (SIGKILL, out of memory).
FLUSH_SECONDS = 0.5


@dataclass(frozen=True)
class ClickNote:
    """What the redirect learns about one click; the raw address is not part of it."""

    share_id: int
    at: str  # ISO 8601, UTC
    visitor: str
    user_agent: str
    referrer_host: str | None
    #: Unique per click, so that a batch stored twice (after a worker crash) counts once.
    id: str = ""


def visitor_hash(salt: str, address: str, user_agent: str) -> str:
    """Who clicked, as far as uniqueness per day needs: HMAC-SHA256 under the day's salt."""
    digest = hmac.new(salt.encode(), f"{address}\n{user_agent}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def referrer_host(raw: str | None) -> str | None:
    """Only the host of the page the click came from (never its path or query)."""
    if not raw:
        return None
    try:
        host = urlsplit(raw).hostname
    except ValueError:
        return None
    if not host or len(host) > 253 or not host.isascii():
        return None
    return host.lower()


# -- salts --------------------------------------------------------------------------------------


def _make_salt(day: date) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(VisitorSalt(day=day, salt=secrets.token_hex(32)))
            db.session.flush()
    except IntegrityError:  # another process made it first; theirs counts
        pass


def prepare_salts(today: date | None = None) -> None:
    """Make today's and tomorrow's salts ahead of the clicks; forget those of two days ago."""
    day = today or utcnow().date()
    existing = set(db.session.scalars(select(VisitorSalt.day).where(
        VisitorSalt.day.in_([day, day + timedelta(days=1)]))))
    for wanted in (day, day + timedelta(days=1)):
        if wanted not in existing:
            _make_salt(wanted)
    db.session.execute(delete(VisitorSalt).where(VisitorSalt.day < day - timedelta(days=1)))


def salt_for(day: date) -> str:
    """The day's salt, read once per process and day (made here only if the worker has not)."""
    cache: dict[date, str] = recorder_of(current_app).salts
    salt = cache.get(day)
    if salt is None:
        salt = db.session.scalar(select(VisitorSalt.salt).where(VisitorSalt.day == day))
        if salt is None:
            _make_salt(day)
            db.commit()
            salt = db.session.scalar(select(VisitorSalt.salt).where(VisitorSalt.day == day))
        if salt is None:  # inserted or found just above; only a vanished database gets here
            raise RuntimeError("the visitor salt could not be stored")
        cache.clear()  # only today's stays: yesterday's must not outlive its row
        cache[day] = salt
    return salt


# -- the buffer ---------------------------------------------------------------------------------


class ClickRecorder:
    """Per process: clicks wait in memory and go to the journal in batches from a thread."""

    def __init__(self, app: Flask, interval: float = FLUSH_SECONDS, batch: int = 500) -> None:
        self.app = app
        self.interval = interval
        self.batch = batch
        self.salts: dict[date, str] = {}
        #: Clicks dropped because neither the journal nor this process's memory had room.
        self.dropped = 0
        self._pending: list[ClickNote] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._pid: int | None = None
        self._journal: ClickJournal | None = None
        self._journal_pid: int | None = None

    @property
    def journal(self) -> ClickJournal:
        """This process's connection to the journal (made after a fork, never shared)."""
        if self._journal is None or self._journal_pid != os.getpid():
            self._journal = journal_for(self.app)
            self._journal_pid = os.getpid()
        return self._journal

    def note(self, click: ClickNote) -> None:
        with self._lock:
            self._pending.append(click)
            full = len(self._pending) >= self.batch
        self._start()
        if full:
            self._wake.set()

    def discard(self) -> None:
        """Forget the waiting clicks (tests start each case from nothing)."""
        with self._lock:
            self._pending = []

    def waiting(self) -> int:
        """Clicks this process holds in memory."""
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Append every waiting click to the journal now; answers how many."""
        with self._flushing:  # one flush at a time keeps the clicks in order
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return 0
            try:
                for start in range(0, len(pending), self.batch):
                    chunk = pending[start:start + self.batch]
                    self.journal.append([asdict(click) for click in chunk])
            except JournalError as exc:
                kept = pending[start:]
                log.error("could not hand %d clicks to the journal (%s); keeping them",
                          len(kept), exc)
                self._keep(kept)
                return start
            return len(pending)

    def _keep(self, clicks: list[ClickNote]) -> None:
        with self._lock:
            self._pending[:0] = clicks
            # While the journal is away, memory stays bounded: the oldest clicks go first.
            excess = len(self._pending) - MAX_WAITING
            if excess > 0:
                del self._pending[:excess]
                self.dropped += excess
                log.error("dropped %d clicks (%d in all by this process): the click journal "
                          "has been unreachable or full", excess, self.dropped)

    def _start(self) -> None:
        # Gunicorn forks after the app is built: each worker process starts its own thread.
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
        threading.Thread(target=self._run, name="click-recorder", daemon=True).start()
        atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the thread must outlive any surprise; the clicks stay kept
                log.exception("click flush failed")


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = ClickRecorder(app)


def recorder_of(app: Flask) -> ClickRecorder:
    recorder: ClickRecorder = app.extensions[EXTENSION_KEY]
    return recorder


def recorder() -> ClickRecorder:
    return recorder_of(current_app)


def note_click(share_id: int, req: Request, now: datetime | None = None) -> None:
    """Count a click on a tracked link without waiting for any write."""
    moment = now or utcnow()
    note_visit(recorder(), share_id, salt_for(moment.date()), moment,
               address=req.remote_addr, agent=req.headers.get("User-Agent"),
               referrer=req.headers.get("Referer"))


def note_visit(into: ClickRecorder, share_id: int, salt: str, moment: datetime, *,
               address: str | None, agent: str | None, referrer: str | None) -> None:
    """The click as the worker will store it: hashed visitor, referring host, no address."""
    browser = (agent or "")[:MAX_AGENT]
    into.note(ClickNote(share_id=share_id, at=moment.isoformat(),
                        visitor=visitor_hash(salt, address or "", browser),
                        user_agent=browser, referrer_host=referrer_host(referrer),
                        id=secrets.token_hex(16)))


def click_rows(notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Notes as rows of :class:`Click`, classified; notes of deleted shares are dropped."""
    from advocacy.analytics.agents import classify
    from advocacy.sharing.models import Share

    parsed = []
    for raw in notes:
        try:
            parsed.append(ClickNote(**raw))
        except (TypeError, ValueError):  # a note no release of the hub wrote: never retry it
            log.error("dropped a click note that cannot be read: %.200r", raw)
    ids = {note.share_id for note in parsed}
    existing = set(db.session.scalars(select(Share.id).where(Share.id.in_(ids))))
    rows = []
    for note in parsed:
        if note.share_id not in existing:
            continue
        visitor = classify(note.user_agent)
        rows.append({"share_id": note.share_id, "at": datetime.fromisoformat(note.at),
                     "kind": visitor.kind.value, "agent": visitor.agent,
                     "visitor": note.visitor, "referrer_host": note.referrer_host,
                     "note_id": note.id or None})
    return rows
