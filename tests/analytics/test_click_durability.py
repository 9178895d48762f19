"""No click that was answered is lost: not when the worker is killed mid-batch, not while the
database is away for a minute, and a batch stored twice counts once.

These tests run the real ``advocacy worker`` in a subprocess against the test backend's real
database and journal (a SQLite file, or PostgreSQL and a Redis stream) and really kill it."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from advocacy import database as db
from advocacy.analytics.clicks import recorder
from advocacy.analytics.journal import journal_for
from advocacy.analytics.models import Click
from advocacy.analytics.storing import ClickStorer
from tests.conftest import RUNNING, Person, wait_until, worker_process

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CLAIM_SECONDS = 2


def _tracked_link(client: FlaskClient, ambassador: Callable[..., Person],
                  approved: Callable[..., dict[str, Any]]) -> str:
    sharer = ambassador()
    story = approved()
    share = client.post(f"/api/v1/stories/{story['id']}/shares",
                        json={"network": "linkedin", "text": "Worth reading"},
                        headers=sharer.auth)
    assert share.status_code == 201
    return "/l/" + str(share.json["tracked_url"]).rsplit("/", 1)[1]


def _click(app: Flask, client: FlaskClient, link: str, times: int) -> None:
    """``times`` answered clicks, handed to the journal as a web process does."""
    for n in range(times):  # distinct browsers: distinct visitors
        answer = client.get(link, headers={"User-Agent": f"{BROWSER} #{n}"})
        assert answer.status_code == 302
    with app.app_context():
        recorder().flush()


def _stored(app: Flask) -> tuple[int, int]:
    """Clicks in the database, and how many distinct click ids among them."""
    with app.app_context():
        total = db.session.scalar(select(func.count(Click.id))) or 0
        distinct = db.session.scalar(select(func.count(func.distinct(Click.note_id)))) or 0
        db.session.rollback()
    return int(total), int(distinct)


def _worker(backend_config: dict[str, Any],
            tmp_path: Path) -> contextlib.AbstractContextManager[subprocess.Popen[str]]:
    """A worker that takes a dead worker's batches over after ``CLAIM_SECONDS``."""
    return worker_process(backend_config, tmp_path, CLICK_CLAIM_SECONDS=str(CLAIM_SECONDS))


@contextlib.contextmanager
def _clicks_table_locked(backend_config: dict[str, Any]) -> Iterator[None]:
    """Another client holds the database's write lock on clicks: inserts wait behind it."""
    url = str(backend_config["DATABASE_URL"])
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=5,
                                     isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, connect_timeout=5) as connection:
        connection.execute("LOCK TABLE clicks IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            connection.rollback()


def test_a_batch_stored_twice_counts_each_click_once(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    link = _tracked_link(client, ambassador, approved)
    _click(app, client, link, 7)
    journal = journal_for(app)
    journal.claim_seconds = 0.3
    first = ClickStorer(app, journal, consumer="crashes-after-commit")
    batches = journal.claim(first.consumer, 10)
    with app.app_context():
        from advocacy.analytics.storing import store_notes

        store_notes([note for batch in batches for note in batch.notes])
        db.commit()  # stored, but the worker dies before it acknowledges
    assert _stored(app) == (7, 7)
    time.sleep(0.4)
    assert ClickStorer(app, journal, consumer="takes-over").drain() == 7  # stored again...
    assert _stored(app) == (7, 7)  # ...and counted once
    assert journal.waiting() == 0


@pytest.mark.timeout(120)
def test_a_worker_killed_mid_batch_loses_no_click(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]], backend_config: dict[str, Any],
        tmp_path: Path) -> None:
    link = _tracked_link(client, ambassador, approved)
    _click(app, client, link, 40)
    journal = journal_for(app)
    with _clicks_table_locked(backend_config), _worker(backend_config, tmp_path) as doomed:
        # It claims the batch and waits on the lock, mid-transaction: kill it there.
        wait_until(lambda: journal.claimed() > 0, 30, "the worker claims the batch")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    assert _stored(app) == (0, 0)
    _click(app, client, link, 10)  # and the hub went on answering meanwhile
    with _worker(backend_config, tmp_path):
        wait_until(lambda: _stored(app)[0] >= 50 and journal.waiting() == 0, 60,
                    "the next worker takes the dead worker's batch over")
    assert _stored(app) == (50, 50)


@pytest.mark.timeout(300)
def test_clicks_answered_while_the_database_is_away_for_a_minute_are_all_stored(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]], backend_config: dict[str, Any],
        tmp_path: Path) -> None:
    link = _tracked_link(client, ambassador, approved)
    _click(app, client, link, 5)  # the link and the day's salt are now known to this process
    journal = journal_for(app)
    answered = 5
    with _worker(backend_config, tmp_path) as worker:
        wait_until(lambda: _stored(app)[0] == 5, 30, "the worker stores the first clicks")
        with _database_away(backend_config):
            started = time.monotonic()
            while time.monotonic() - started < 60:
                _click(app, client, link, 5)  # the redirect keeps answering
                answered += 5
                time.sleep(1)
            assert worker.poll() is None  # the worker waited the outage out
        wait_until(lambda: _stored(app)[0] >= answered and journal.waiting() == 0, 90,
                    "the worker stores what waited once the database is back")
    assert _stored(app) == (answered, answered)


@contextlib.contextmanager
def _database_away(backend_config: dict[str, Any]) -> Iterator[None]:
    """PostgreSQL shut down (then started again); SQLite locked by another writer."""
    if "postgres" not in RUNNING:
        with _clicks_table_locked(backend_config):
            yield
        return
    server = RUNNING["postgres"]
    server.stop()
    try:
        yield
    finally:
        server.start()


def test_the_journal_refuses_past_its_cap_and_the_process_keeps_the_clicks(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    link = _tracked_link(client, ambassador, approved)
    monkeypatch.setitem(app.config, "CLICK_JOURNAL_MAX_CLICKS", 4)
    with app.app_context():
        process = recorder()
    process._journal = None  # reopened with the small cap
    try:
        _click(app, client, link, 3)
        _click(app, client, link, 3)  # 6 > 4: refused as a whole, kept in memory
        with app.app_context():
            assert process.journal.waiting() == 3
            assert process.waiting() == 3
            assert ClickStorer(app).drain() == 3
            assert process.flush() == 3  # room again
            assert ClickStorer(app).drain() == 3
    finally:
        process._journal = None
    assert _stored(app) == (6, 6)


def test_a_worker_keeps_storing_while_clicks_arrive(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]], backend_config: dict[str, Any],
        tmp_path: Path) -> None:
    link = _tracked_link(client, ambassador, approved)
    with _worker(backend_config, tmp_path):
        for _ in range(5):
            _click(app, client, link, 4)
        wait_until(lambda: _stored(app)[0] == 20, 30, "the worker stores every click")
    assert _stored(app) == (20, 20)
