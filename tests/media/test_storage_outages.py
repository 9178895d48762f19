"""A storage or database that does not answer fails one request with a 503, never the hub.

The storage's circuit breaker is tested on its own, then through the hub: against a bucket
address where nothing listens (any backend), and on the services backend against a real
SeaweedFS that is stopped (SIGSTOP) and resumed. The database's pool timeout is tested
with a pool of one connection that the test holds.
"""

from __future__ import annotations

import io
import os
import signal
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.database import make_engine
from advocacy.media.storage import (
    COOLDOWN_SECONDS,
    CircuitBreaker,
    S3Storage,
    StorageUnavailable,
    storage,
)
from advocacy.stories.models import Story
from tests.conftest import RUNNING, Person, login, make_app, photo_bytes


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _story(title: str = "Night shift") -> dict[str, Any]:
    return {"title": title, "body": "Packing line 3 rebuilt overnight.",
            "media": [(io.BytesIO(photo_bytes()), "line3.jpg")]}


def _story_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Story.id))) or 0


def _requests_sent(app: Flask) -> list[str]:
    """Every HTTP request the app's S3 client sends from now on (retries included)."""
    sent: list[str] = []
    with app.app_context():
        store = storage()
        assert isinstance(store, S3Storage)
        store.client.meta.events.register(
            "before-send.s3", lambda request, **_: sent.append(request.method))
    return sent


# -- the breaker on its own ------------------------------------------------------------------


def test_after_a_failure_calls_fail_at_once_until_the_cool_down_is_over() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=10, clock=clock)
    breaker.before_call()
    breaker.failed()
    with pytest.raises(StorageUnavailable) as raised:
        breaker.before_call()
    assert raised.value.status == 503 and raised.value.code == "storage_unavailable"
    assert raised.value.headers == {"Retry-After": "10"}
    clock.now += 9.5
    with pytest.raises(StorageUnavailable):
        breaker.check()
    clock.now += 1
    breaker.before_call()  # the one trial call
    with pytest.raises(StorageUnavailable):
        breaker.before_call()  # others wait for the trial's outcome
    breaker.succeeded()
    breaker.before_call()
    breaker.check()
    assert not breaker.is_open


def test_a_failed_trial_call_opens_the_breaker_for_another_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=10, clock=clock)
    breaker.failed()
    clock.now += 10
    breaker.before_call()
    breaker.failed()
    clock.now += 5
    with pytest.raises(StorageUnavailable):
        breaker.before_call()
    clock.now += 5
    breaker.before_call()


# -- a bucket where nothing listens (every backend) ------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def unreachable_bucket(backend_config: dict[str, Any]) -> Flask:
    """The hub with its media in an S3 bucket whose server refuses every connection."""
    return make_app(backend_config, WTF_CSRF_ENABLED=False, STORAGE="s3",
                    S3_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}", S3_BUCKET="gone",
                    S3_REGION="us-east-1", S3_ACCESS_KEY_ID="key", S3_SECRET_ACCESS_KEY="secret")


def test_an_unreachable_bucket_answers_503_and_the_next_upload_fails_without_trying(
    unreachable_bucket: Flask, person: Callable[..., Person], topics: list[str]
) -> None:
    author = person()
    client = unreachable_bucket.test_client()
    sent = _requests_sent(unreachable_bucket)
    first = client.post("/api/v1/stories", data=_story(), headers=author.auth,
                        content_type="multipart/form-data")
    assert first.status_code == 503, first.json
    assert first.json["error"]["code"] == "storage_unavailable"
    assert int(first.headers["Retry-After"]) >= 1
    assert sent  # it really tried the bucket
    tried = len(sent)
    second = client.post("/api/v1/stories", data=_story("Day shift"), headers=author.auth,
                         content_type="multipart/form-data")
    assert second.status_code == 503
    assert second.json["error"]["code"] == "storage_unavailable"
    assert len(sent) == tried  # the breaker answered: nothing was sent to the bucket
    assert _story_count(unreachable_bucket) == 0  # nothing half-written
    assert client.get("/healthz").status_code == 200


def test_the_media_route_answers_503_while_the_bucket_is_down(
    unreachable_bucket: Flask, app: Flask, person: Callable[..., Person], topics: list[str],
    client: FlaskClient,
) -> None:
    author = person()
    created = client.post("/api/v1/stories", data=_story(), headers=author.auth,
                          content_type="multipart/form-data")
    assert created.status_code == 201, created.json
    photo = f"/media/{created.json['media'][0]['id']}/thumb"
    down = unreachable_bucket.test_client()
    failed = down.post("/api/v1/stories", data=_story(), headers=author.auth,
                       content_type="multipart/form-data")
    assert failed.status_code == 503
    answer = down.get(photo, headers=author.auth)
    assert answer.status_code == 503 and "Retry-After" in answer.headers


# -- a hung bucket: SeaweedFS stopped and resumed (services backend) --------------------------


HungBucket = tuple[Flask, Clock, Callable[[], None]]


@pytest.fixture()
def hung_bucket(backend_config: dict[str, Any]) -> Iterator[HungBucket]:
    """A hub of its own (so its breaker is its own) on the session's SeaweedFS, a hand-moved
    clock for its breaker, and ``stop()`` to hang the bucket; it is always resumed."""
    application = make_app(backend_config, WTF_CSRF_ENABLED=False)
    clock = Clock()
    with application.app_context():
        store = storage()
        assert isinstance(store, S3Storage)
        store.breaker = CircuitBreaker(clock=clock)
    pid = RUNNING["s3"].pid
    stopped: list[bool] = []

    def stop() -> None:
        os.killpg(pid, signal.SIGSTOP)
        stopped.append(True)

    try:
        yield application, clock, stop
    finally:
        if stopped:
            os.killpg(pid, signal.SIGCONT)


@pytest.mark.services
def test_a_hung_bucket_fails_one_upload_and_the_hub_keeps_answering(
    hung_bucket: HungBucket, person: Callable[..., Person],
    make_user: Callable[..., User], topics: list[str],
) -> None:
    application, clock, stop = hung_bucket
    author = person()
    client = application.test_client()
    login(client, author.user)
    before = client.post("/api/v1/stories", data=_story("Before"), headers=author.auth,
                         content_type="multipart/form-data")
    assert before.status_code == 201, before.json
    photo = f"/media/{before.json['media'][0]['id']}/thumb"
    sent = _requests_sent(application)
    stop()
    try:
        api = client.post("/api/v1/stories", data=_story("During"), headers=author.auth,
                          content_type="multipart/form-data")
        assert api.status_code == 503, api.json
        assert api.json["error"]["code"] == "storage_unavailable"
        assert "Retry-After" in api.headers
        tried = len(sent)
        page = client.post("/stories/new", data={
            "title": "Kept title", "body": "Kept body, every word.", "topics": ["customers"],
            "action": "save", "photos": [(io.BytesIO(photo_bytes()), "a.jpg")]},
            content_type="multipart/form-data")
        html = page.get_data(as_text=True)
        assert page.status_code == 503
        assert 'value="Kept title"' in html and "Kept body, every word." in html
        assert str(StorageUnavailable().message) in html
        assert len(sent) == tried  # during the cool-down nothing is sent to the bucket
        assert client.get(photo).status_code == 503
        assert client.get("/healthz").status_code == 200
        assert _story_count(application) == 1  # only the story from before the outage
    finally:
        os.killpg(RUNNING["s3"].pid, signal.SIGCONT)
    clock.now += COOLDOWN_SECONDS
    after = client.post("/api/v1/stories", data=_story("After"), headers=author.auth,
                        content_type="multipart/form-data")
    assert after.status_code == 201, after.json
    assert client.get(photo).status_code == 302


# -- the database: a pool that has no connection to give ---------------------------------------


@pytest.fixture()
def one_connection(backend_config: dict[str, Any]) -> Iterator[Flask]:
    """The hub with a pool of exactly one connection and a short wait for it."""
    application = make_app(backend_config, WTF_CSRF_ENABLED=False)
    engine = make_engine(application.config["SQLALCHEMY_URL"], timeout=0.5, pool_size=1,
                         max_overflow=0)
    application.extensions[db.EXTENSION_KEY] = engine
    yield application
    engine.dispose()


def test_a_request_that_gets_no_database_connection_answers_503(
    one_connection: Flask, person: Callable[..., Person], make_user: Callable[..., User]
) -> None:
    author = person()
    client = one_connection.test_client()
    login(client, make_user())
    engine = one_connection.extensions[db.EXTENSION_KEY]
    with engine.connect():  # the pool's only connection, held elsewhere
        api = client.get("/api/v1/me", headers=author.auth)
        assert api.status_code == 503, api.json
        assert api.json["error"]["code"] == "database_unavailable"
        assert api.headers["Retry-After"] == "10"
        page = client.get("/stories", headers={"Accept-Language": "nl"})
        assert page.status_code == 503
        assert '<html lang="nl">' in page.get_data(as_text=True)
        assert client.get("/healthz").status_code == 503
    assert client.get("/api/v1/me", headers=author.auth).status_code == 200
    assert client.get("/stories").status_code == 200
