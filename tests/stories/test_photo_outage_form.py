"""When photos cannot be stored, the story form comes back with everything typed (503)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.media.storage import StorageUnavailable
from advocacy.stories.models import Story
from tests.conftest import login, make_app, photo_bytes


@pytest.fixture()
def unwritable(backend_config: dict[str, Any], tmp_path: Path) -> Flask:
    """The hub on local storage whose disk refuses every new file (a file stands where the
    photos' folder must go), as a full or read-only disk would."""
    (tmp_path / "photos").write_text("not a folder")
    return make_app(backend_config, WTF_CSRF_ENABLED=False, STORAGE="local",
                    UPLOADS_DIR=str(tmp_path))


@pytest.fixture()
def author(unwritable: Flask, make_user: Callable[..., User]) -> FlaskClient:
    client = unwritable.test_client()
    login(client, make_user())
    return client


def _checked(html: str, name: str) -> set[str]:
    """The values of the checked boxes called ``name`` on the page."""
    tags = [t for t in re.findall(r"<input[^>]*>", html) if f'name="{name}"' in t]
    return {re.sub(r'.*value="([^"]*)".*', r"\1", t) for t in tags if " checked" in t}


def _stories(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [(s.title, s.body) for s in db.session.scalars(select(Story))]


def test_a_new_story_keeps_its_text_and_choices_when_photos_cannot_be_stored(
    unwritable: Flask, author: FlaskClient, topics: list[str]
) -> None:
    response = author.post("/stories/new", data={
        "title": "Open day at the depot", "body": "Two hundred neighbours came by.",
        "topics": ["customers", "life-at-work"], "consent": "y", "action": "submit",
        "photos": [(io.BytesIO(photo_bytes()), "depot.jpg")]},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert 'value="Open day at the depot"' in html
    assert "Two hundred neighbours came by." in html
    assert _checked(html, "topics") == {"customers", "life-at-work"}
    assert _checked(html, "consent") == {"y"}
    assert str(StorageUnavailable().message) in html
    assert _stories(unwritable) == []  # nothing half-written


def test_an_edit_keeps_the_typed_text_and_the_saved_story_stays_as_it_was(
    unwritable: Flask, author: FlaskClient, topics: list[str]
) -> None:
    saved = author.post("/stories/new", data={
        "title": "Depot", "body": "As saved.", "topics": ["customers"], "action": "save"})
    assert saved.status_code == 302  # no photos: no storage needed
    story_id = saved.headers["Location"].rsplit("/", 1)[1]
    response = author.post(f"/stories/{story_id}/edit", data={
        "title": "Depot, rewritten", "body": "Typed while the disk was full.",
        "topics": ["sustainability"], "action": "save",
        "photos": [(io.BytesIO(photo_bytes()), "depot.jpg")]},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert 'value="Depot, rewritten"' in html and "Typed while the disk was full." in html
    assert _checked(html, "topics") == {"sustainability"}
    assert str(StorageUnavailable().message) in html
    assert _stories(unwritable) == [("Depot", "As saved.")]
    with unwritable.app_context():
        assert db.session.scalar(select(func.count()).select_from(Story)) == 1
