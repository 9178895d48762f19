"""Authors with a draft story and a token, and the tus requests the tests send."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.media.models import MediaAsset, VideoUpload
from advocacy.media.storage import storage
from advocacy.stories.operations import create_story
from tests.conftest import Person

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


@dataclass
class Author:
    """An employee with a bearer header and a draft story to add videos to."""

    user: User
    auth: dict[str, str]
    story_id: int


def draft_of(app: Flask, user: User) -> int:
    with app.app_context():
        author = db.session.get(User, user.id)
        assert author is not None
        story = create_story(author, title="Line 3 on film", body="Thirty seconds on the floor.",
                             topics=[])
        db.commit()
        return story.id


@pytest.fixture()
def author(app: Flask, person: Callable[..., Person]) -> Callable[[], Author]:
    """``author()``: a new employee with a token and a draft story."""

    def build() -> Author:
        someone = person()
        return Author(someone.user, someone.auth, draft_of(app, someone.user))

    return build


def metadata(**values: str | int) -> str:
    """An ``Upload-Metadata`` header: keys with base64 values."""
    return ",".join(f"{key} {base64.b64encode(str(value).encode()).decode()}"
                    for key, value in values.items())


def create(client: FlaskClient, who: Author, length: int, *, story: int | None = None,
           filetype: str = "video/mp4", headers: dict[str, str] | None = None) -> TestResponse:
    """tus creation for ``who``'s story (or ``story``)."""
    return client.post("/api/v1/uploads", headers={
        **TUS, **who.auth, "Upload-Length": str(length),
        "Upload-Metadata": metadata(filename="line3.mp4", filetype=filetype,
                                    story=who.story_id if story is None else story),
        **(headers or {})})


def created(client: FlaskClient, who: Author, length: int, **kwargs: Any) -> str:
    """A new upload's URL path."""
    response = create(client, who, length, **kwargs)
    assert response.status_code == 201, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith("/api/v1/uploads/")
    return location


def send(client: FlaskClient, who: Author, url: str, offset: int, data: bytes,
         headers: dict[str, str] | None = None) -> TestResponse:
    """A tus PATCH of ``data`` at ``offset``."""
    return client.patch(url, data=data, content_type=OCTETS, headers={
        **TUS, **who.auth, "Upload-Offset": str(offset), **(headers or {})})


def offset_of(client: FlaskClient, who: Author, url: str) -> int:
    response = client.head(url, headers={**TUS, **who.auth})
    assert response.status_code == 200, response.status_code
    return int(response.headers["Upload-Offset"])


def upload_row(app: Flask, url: str) -> VideoUpload | None:
    with app.app_context():
        row = db.session.get(VideoUpload, url.rsplit("/", 1)[1])
        if row is not None:
            db.session.expunge(row)
        return row


def videos_of(app: Flask, story_id: int) -> list[MediaAsset]:
    """The story's video items, detached."""
    with app.app_context():
        from sqlalchemy import select

        assets = list(db.session.scalars(select(MediaAsset).where(
            MediaAsset.story_id == story_id, MediaAsset.kind == "video")))
        for asset in assets:
            db.session.expunge(asset)
        return assets


def stored_bytes(app: Flask, key: str) -> bytes | None:
    """The object's bytes, or None when it is absent."""
    with app.app_context():
        try:
            stream = storage().open(key)
        except FileNotFoundError:
            return None
        try:
            return stream.read()
        finally:
            stream.close()


def multipart_keys(app: Flask) -> set[str]:
    """Keys of the unfinished multipart uploads in the bucket (S3 only)."""
    from advocacy.media.storage import S3Storage

    with app.app_context():
        store = storage()
        assert isinstance(store, S3Storage)
        return {key for key, _id, _started in store.multipart_uploads("uploads")}
