"""The orphan sweep: files no photo refers to go after a grace period; missing files are told.

Runs on the session's storage: local files on the embedded backend, S3 on the services one.
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from advocacy import database as db
from advocacy.database import utcnow
from advocacy.media.models import MediaAsset
from advocacy.media.operations import PHOTO_PREFIX, SWEEP_GRACE, sweep_orphans
from advocacy.media.storage import S3Storage, new_key, storage
from advocacy.queue import queue_of
from tests.conftest import Person, make_app, photo_bytes, stored_files


@pytest.fixture()
def own(app: Flask, backend_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """The hub on a storage of its own (a fresh uploads folder, or a fresh bucket), so that
    the files other tests left behind are not in the sweep's way."""
    with app.app_context():
        shared = storage()
    if not isinstance(shared, S3Storage):
        yield make_app(backend_config, WTF_CSRF_ENABLED=False, UPLOADS_DIR=str(tmp_path))
        return
    bucket = f"sweep-{secrets.token_hex(6)}"
    shared.client.create_bucket(Bucket=bucket)
    yield make_app(backend_config, WTF_CSRF_ENABLED=False, S3_BUCKET=bucket)
    listed = shared.client.list_objects_v2(Bucket=bucket).get("Contents", [])
    for item in listed:
        shared.client.delete_object(Bucket=bucket, Key=item["Key"])
    shared.client.delete_bucket(Bucket=bucket)


def _photo_story(app: Flask, author: Person) -> dict[str, Any]:
    created = app.test_client().post("/api/v1/stories", headers=author.auth,
                          content_type="multipart/form-data",
                          data={"title": "Line 3", "body": "Rebuilt overnight.",
                                "media": [(io.BytesIO(photo_bytes()), "line3.jpg")]})
    assert created.status_code == 201, created.json
    return dict(created.json)


def _orphan(app: Flask) -> str:
    """A file as a failed request leaves it: stored, and no row refers to it."""
    key = new_key(PHOTO_PREFIX, "large", "jpg")
    with app.app_context():
        storage().put(key, photo_bytes(), "image/jpeg")
    return key


def _keys_of_rows(app: Flask) -> set[str]:
    with app.app_context():
        return {key for asset in db.session.scalars(select(MediaAsset)) for key in asset.keys}


def test_a_file_without_a_photo_goes_once_older_than_the_grace_period(
    own: Flask, person: Callable[..., Person]
) -> None:
    app = own
    _photo_story(app, person())
    kept = _keys_of_rows(app)
    orphan = _orphan(app)
    with app.app_context():
        fresh = sweep_orphans()
    assert fresh.removed == [] and fresh.recent == [orphan]
    assert orphan in stored_files(app)  # an upload in flight is never touched
    with app.app_context():
        later = sweep_orphans(now=utcnow() + SWEEP_GRACE * 2)
    assert later.removed == [orphan] and later.missing == []
    assert stored_files(app) >= kept and orphan not in stored_files(app)
    assert len(kept) == 4  # large, feed, thumb, card: every file of the photo stays


def test_a_dry_run_removes_nothing(own: Flask) -> None:
    orphan = _orphan(own)
    with own.app_context():
        report = sweep_orphans(dry_run=True, now=utcnow() + SWEEP_GRACE * 2)
    assert report.removed == [orphan]
    assert orphan in stored_files(own)


def test_a_photo_whose_file_is_missing_is_reported_and_kept(
    own: Flask, person: Callable[..., Person], caplog: pytest.LogCaptureFixture,
) -> None:
    app = own
    story = _photo_story(app, person())
    asset_id = story["media"][0]["id"]
    with app.app_context():
        asset = db.session.get(MediaAsset, asset_id)
        assert asset is not None
        lost = asset.rendition("thumb")["key"]  # type: ignore[index]
        storage().delete(lost)
    with caplog.at_level(logging.ERROR, logger="advocacy.media.operations"), app.app_context():
        report = sweep_orphans(now=utcnow() + SWEEP_GRACE * 2)
    assert report.missing == [(asset_id, lost)] and report.removed == []
    assert any(lost in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    with app.app_context():
        assert db.session.get(MediaAsset, asset_id) is not None


def test_the_sweep_command_says_what_it_found(
    own: Flask, person: Callable[..., Person]
) -> None:
    app = own
    story = _photo_story(app, person())
    orphan = _orphan(app)
    with app.app_context():
        asset = db.session.get(MediaAsset, story["media"][0]["id"])
        assert asset is not None
        lost = asset.rendition("card")["key"]  # type: ignore[index]
        storage().delete(lost)
    result = app.test_cli_runner().invoke(args=["media", "sweep", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"photo {story['media'][0]['id']} refers to {lost}" in result.output
    assert "Would remove 0 file(s) without a photo; kept 1 younger than 60 minutes; " \
           "1 photo file(s) missing." in result.output
    assert orphan in stored_files(app)


def test_the_worker_sweeps_every_hour(app: Flask) -> None:
    queue = queue_of(app)
    due = [t.name for t in queue.huey.read_periodic(datetime(2026, 1, 1, 10, 47))]
    assert "advocacy.media.tasks.sweep_orphan_files" in due
