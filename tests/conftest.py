"""Fixtures: the app on the embedded default or on real services, clients, users, a live server.

``ADVOCACY_TEST_BACKEND=embedded`` (default) runs on SQLite and local files;
``ADVOCACY_TEST_BACKEND=services`` starts PostgreSQL, SeaweedFS (S3) and Redis
on 127.0.0.1 and runs the same tests on them. With ``CI=true`` a missing
service fails the run instead of skipping.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import delete, event, text
from werkzeug.serving import make_server

from advocacy import create_app
from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.accounts.operations import create_user
from advocacy.ambassadors.operations import ORDERS
from advocacy.ambassadors.views import CARDS
from advocacy.analytics.clicks import recorder
from advocacy.api.sharing import FEED_ITEMS
from advocacy.cli import upgrade_database
from advocacy.database import Base
from advocacy.extensions import limiter
from advocacy.i18n import compile_catalogs
from advocacy.queue import queue_of
from advocacy.rulebook.operations import replace_rules
from advocacy.sharing.operations import MARKS
from advocacy.site.chrome import HEADERS, SKELETONS
from advocacy.stories.models import Topic
from tests import services

BACKEND = os.environ.get("ADVOCACY_TEST_BACKEND", "embedded")
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct horse battery"


#: The services the session started (``postgres``, ``s3``, ``redis``), for fault tests that
#: stop and resume one of them; empty on the embedded backend.
RUNNING: dict[str, Any] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``services`` exist only on the real services: on the embedded backend they
    are deselected (not skipped, so that CI's no-skip rule still holds)."""
    if BACKEND == "services":
        return
    kept = [item for item in items if item.get_closest_marker("services") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: CI must prove the real services."""
    if IN_CI:
        pytest.fail(f"required service unavailable in CI: {reason}")
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    # A misspelt backend would start the services but deselect their tests.
    if BACKEND not in {"embedded", "services"}:
        raise pytest.UsageError(
            f"ADVOCACY_TEST_BACKEND={BACKEND!r}: choose embedded or services")


#: Tests (and test files) that skipped, with the reason: in CI the run fails on any.
SKIPPED: list[str] = []


def _note_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        SKIPPED.append(f"{report.nodeid}: {reason}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI nothing may skip: a skipped test proves nothing, so the run fails."""
    if IN_CI and SKIPPED and session.exitstatus in (pytest.ExitCode.OK,
                                                    pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    if IN_CI and SKIPPED:
        terminalreporter.section("skipped under CI=true (the run fails)", sep="=", red=True)
        for line in SKIPPED:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def backend_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Settings for the chosen backend, with its services running."""
    compile_catalogs()
    root = tmp_path_factory.mktemp("backend")
    if BACKEND == "embedded":
        yield {"DATABASE_URL": f"sqlite:///{root / 'test.db'}", "STORAGE": "local",
               "UPLOADS_DIR": str(root / "uploads"),
               "QUEUE_URL": f"sqlite:///{root / 'queue.sqlite3'}"}
        return
    with contextlib.ExitStack() as stack:
        try:
            pg = stack.enter_context(services.postgres())
            s3 = stack.enter_context(services.seaweedfs(bucket="advocacy-test"))
            redis = stack.enter_context(services.redis_server())
        except services.ServiceUnavailable as exc:
            unavailable(str(exc))
        RUNNING.update(postgres=pg, s3=s3, redis=redis)
        yield {
            "DATABASE_URL": pg.create_database("advocacy_test"),
            "STORAGE": "s3", "S3_ENDPOINT_URL": s3.endpoint_url, "S3_BUCKET": s3.bucket,
            "S3_REGION": s3.region, "S3_ACCESS_KEY_ID": s3.access_key,
            "S3_SECRET_ACCESS_KEY": s3.secret_key, "RATELIMIT_STORAGE_URL": redis.url,
            "QUEUE_URL": redis.url,
        }


def make_app(backend_config: dict[str, Any], **overrides: Any) -> Flask:
    """An app on the session's backend; CSRF stays on unless a test turns it off."""
    config = {"SECRET_KEY": "test-secret", "TESTING": True, "SERVER_NAME": None,
              "LOGIN_RATE_LIMIT": "10000 per minute",
              "LOGIN_ADDRESS_RATE_LIMIT": "10000 per minute", **backend_config, **overrides}
    return create_app(config)


@pytest.fixture(scope="session")
def app(backend_config: dict[str, Any]) -> Iterator[Flask]:
    """The app most tests use: CSRF off so tests post forms directly (CSRF has its own tests)."""
    application = make_app(backend_config, WTF_CSRF_ENABLED=False)
    with application.app_context():
        upgrade_database()
    yield application


@pytest.fixture(scope="session", autouse=True)
def services_are_real(request: pytest.FixtureRequest) -> None:
    """The services pass runs on PostgreSQL, S3 and Redis, each answering, from its first
    test on: a configuration slip must not run the embedded setup a second time."""
    if BACKEND != "services":
        return
    import redis as redis_client

    from advocacy.media.storage import S3Storage, storage

    application: Flask = request.getfixturevalue("app")
    engine = application.extensions[db.EXTENSION_KEY]
    assert engine.dialect.name == "postgresql", engine.url
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT 1")) == 1
    with application.app_context():
        store = storage()
        assert isinstance(store, S3Storage), type(store)
        store.client.head_bucket(Bucket=store.bucket)
    for setting in ("RATELIMIT_STORAGE_URL", "QUEUE_URL"):
        url = application.config[setting]
        assert url.startswith("redis://"), f"{setting}={url!r}"
        with redis_client.Redis.from_url(url, socket_timeout=5) as connection:
            assert connection.ping()


@pytest.fixture(autouse=True)
def clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from empty tables (works with live servers in other threads)."""
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        db.session.rollback()
        with _audit_log_unlocked():
            for table in reversed(Base.metadata.sorted_tables):
                db.session.execute(delete(table))
            db.session.commit()
        # Account ids come round again in the next test; so would their rate-limit counters,
        # and clicks or tasks still waiting for a worker.
        limiter.reset()
        recorder().discard()
        recorder().dropped = 0
        journal = recorder().journal
        while batches := journal.claim("tests", 1000):  # what a test left for the worker
            journal.acknowledge(batches)
        recorder().salts.clear()  # their rows are gone with the tables
        queue_of(application).huey.flush()
        FEED_ITEMS.clear()
        CARDS.clear()
        ORDERS.clear()
        HEADERS.clear()
        SKELETONS.clear()
        MARKS.clear()


@contextlib.contextmanager
def _audit_log_unlocked() -> Iterator[None]:
    """The audit log refuses deletes (migration 0002); between tests it is emptied on
    purpose, as an operator would: TRUNCATE on PostgreSQL, triggers set aside on SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE audit_events"))
        yield
        return
    triggers = {"audit_events_no_update": "UPDATE", "audit_events_no_delete": "DELETE"}
    for name in triggers:
        db.session.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    try:
        yield
    finally:
        for name, event in triggers.items():
            db.session.execute(text(
                f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"))
        db.session.commit()


@pytest.fixture(scope="module")
def csrf_app(backend_config: dict[str, Any]) -> Flask:
    """An app with CSRF on and a tight sign-in limit, as in production."""
    return make_app(backend_config, LOGIN_RATE_LIMIT="3 per minute")


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def make_user(app: Flask) -> Callable[..., User]:
    """Create a committed account: ``make_user(role=Role.CURATOR, email=...)``."""
    counter = iter(range(1, 10_000))

    def factory(role: Role = Role.EMPLOYEE, email: str | None = None,
                department: str | None = None, name: str | None = None) -> User:
        with app.app_context():
            user = create_user(email or f"{role.value}{next(counter)}@example.org", role=role,
                               password=PASSWORD, department=department, name=name)
            db.commit()
            db.session.expunge(user)
            return user

    return factory


@pytest.fixture()
def topics(app: Flask) -> list[str]:
    """Three topics; their slugs."""
    slugs = [("customers", "Customers"), ("sustainability", "Sustainability"),
             ("life-at-work", "Life at work")]
    with app.app_context():
        db.session.add_all(Topic(slug=slug, name=name) for slug, name in slugs)
        db.commit()
    return [slug for slug, _ in slugs]


@contextlib.contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements the app's engine executes inside the block."""
    engine = app.extensions[db.EXTENSION_KEY]
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def later(**delta: float) -> str:
    """An ISO 8601 time ``delta`` from now (embargoes, expiries, schedules)."""
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Sign in through the real form."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture()
def signed_in(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """``signed_in(role)`` creates a user of that role and signs the client in."""

    def sign_in(role: Role = Role.EMPLOYEE, **kwargs: Any) -> User:
        user = make_user(role, **kwargs)
        login(client, user)
        return user

    return sign_in


def photo_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600),
                colour: tuple[int, int, int] = (200, 80, 40), exif_gps: bool = False) -> bytes:
    """A small real photo; with ``exif_gps`` it carries a GPS position."""
    image = Image.new("RGB", size, colour)
    buffer = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"
        exif[0x0110] = "Phone 12"
        gps = exif.get_ifd(0x8825)
        gps[1] = "N"
        gps[2] = (52.0, 22.0, 12.0)
        gps[3] = "E"
        gps[4] = (4.0, 53.0, 30.0)
        kwargs["exif"] = exif
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def stored_files(app: Flask) -> set[str]:
    """Every media object the storage holds now (local files or S3 keys)."""
    from advocacy.media.storage import LocalStorage, storage

    with app.app_context():
        store = storage()
        if isinstance(store, LocalStorage):
            return {str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file()}
        keys: set[str] = set()
        paginator = store.client.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
        for page in paginator.paginate(Bucket=store.bucket):  # type: ignore[attr-defined]
            keys.update(obj["Key"] for obj in page.get("Contents", []))
        return keys


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token from a form page, for tests that keep CSRF on."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on " + path
    return match.group(1)


# -- a live server and a real browser -------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        unavailable("Debian chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """Playwright opens pages relative to the live hub.

    Defined here also because pytest-playwright's own fallback ``base_url`` draws a pytest
    warning, which ``filterwarnings = error`` would turn into an error.
    """
    return live_server


@pytest.fixture(scope="session")
def live_server(app: Flask, backend_config: dict[str, Any]) -> Iterator[str]:
    """The hub with CSRF on, served by werkzeug in a thread; yields its base URL."""
    application = make_app(backend_config)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


# -- a real worker process ---------------------------------------------------------------------


@contextlib.contextmanager
def worker_process(backend_config: dict[str, Any], logs: Path,
                   **settings: str) -> Iterator[subprocess.Popen[str]]:
    """``advocacy worker`` (one thread, no periodic jobs) on the test backend, with extra
    ``ADVOCACY_*`` ``settings``; its log and temporary files under ``logs``. Killed, if it is
    still alive, when the block ends."""
    env = {**os.environ, **{f"ADVOCACY_{key}": str(value)
                            for key, value in {**backend_config, **settings}.items()},
           "ADVOCACY_SECRET_KEY": "test-secret", "TMPDIR": str(logs)}
    command = str(Path(sys.executable).with_name("advocacy"))
    log = (logs / f"worker-{time.monotonic_ns()}.log").open("w")
    process = subprocess.Popen([command, "worker", "--workers", "1", "--no-periodic"],
                               env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        log.close()


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               every: float = 0.05) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(every)


# -- people with tokens and stories in a given state (curation, sharing) -----------------------


@dataclass
class Person:
    user: User
    auth: dict[str, str]


@pytest.fixture()
def person(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., Person]:
    """``person(role, department=...)``: a new account with a bearer header."""

    def build(role: Role = Role.EMPLOYEE, **kwargs: Any) -> Person:
        user = make_user(role, **kwargs)
        response = client.post("/api/v1/tokens",
                               json={"email": user.email, "password": PASSWORD})
        assert response.status_code == 201, response.json
        return Person(user, {"Authorization": f"Bearer {response.json['token']}"})

    return build


@pytest.fixture()
def submitted(client: FlaskClient, topics: list[str]) -> Callable[..., dict[str, Any]]:
    """``submitted(author, title=..., body=...)``: a story by ``author``, handed in."""

    def build(author: Person, **fields: Any) -> dict[str, Any]:
        data = {"title": "Night shift rebuilt line 3", "topics": ["customers"],
                "body": "In twelve hours the night shift rebuilt packing line 3.", **fields}
        created = client.post("/api/v1/stories", data=data, headers=author.auth,
                              content_type="multipart/form-data")
        assert created.status_code == 201, created.json
        story = client.post(f"/api/v1/stories/{created.json['id']}/submit",
                            headers=author.auth)
        assert story.status_code == 200, story.json
        return dict(story.json)

    return build


@pytest.fixture()
def rules(app: Flask) -> Callable[..., None]:
    """``rules(rule, ...)``: put these rules in force (messages filled in)."""

    def install(*items: dict[str, Any]) -> None:
        complete = [{"severity": "block", "message": {"en": f"Rule {r['id']} (en)",
                                                      "nl": f"Regel {r['id']} (nl)"},
                     "hint": {"en": "Fix it.", "nl": "Los het op."}, **r} for r in items]
        with app.app_context():
            replace_rules(None, json.dumps({"version": 1, "rules": complete}), via="cli")
            db.commit()

    return install


@pytest.fixture()
def approved(client: FlaskClient, person: Callable[..., Person],
             submitted: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``approved(author=None, curator=None, **review)``: a story handed in and approved
    (extra keyword arguments go into the review body: captions, embargo_until, ...)."""
    helpers: dict[str, Person] = {}

    def build(author: Person | None = None, curator: Person | None = None,
              story: dict[str, Any] | None = None, **review: Any) -> dict[str, Any]:
        if author is None:
            if "author" not in helpers:
                helpers["author"] = person()
            author = helpers["author"]
        if curator is None:
            if "curator" not in helpers:
                helpers["curator"] = person(Role.CURATOR)
            curator = helpers["curator"]
        handed_in = story or submitted(author)
        response = client.post(f"/api/v1/stories/{handed_in['id']}/review",
                               json={"decision": "approve", **review}, headers=curator.auth)
        assert response.status_code == 200, response.json
        return dict(response.json)

    return build


@pytest.fixture()
def ambassador(client: FlaskClient, person: Callable[..., Person],
               topics: list[str]) -> Callable[..., Person]:
    """``ambassador(topics=["customers"], **person_kwargs)``: a person who opted in."""

    def build(topics: list[str] | None = None, **kwargs: Any) -> Person:
        someone = person(**kwargs)
        response = client.post("/api/v1/ambassador",
                               json={"opt_in": True, "topics": topics or ["customers"]},
                               headers=someone.auth)
        assert response.status_code == 200, response.json
        return someone

    return build
