"""How videos look to the author while they process, and in the story JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from advocacy.accounts.models import Role, User
from tests.conftest import Person, login, stored_files
from tests.media import videos
from tests.media.conftest import asset_of, run_queued, upload


def _items(client: FlaskClient, story_id: int) -> dict[str, Any]:
    response = client.get(f"/stories/{story_id}/media")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    return dict(response.json or {})


def test_the_story_form_follows_a_video_from_upload_to_ready(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        draft: Callable[[User], int], clip: Path) -> None:
    author = make_user()
    login(client, author)
    story_id = draft(author)
    upload(app, story_id, author.id, None)
    body = _items(client, story_id)
    assert body["pending"] is True
    [item] = body["media"]
    assert (item["kind"], item["status"], item["url"], item["poster"], item["error"]) == (
        "video", "uploading", None, None, None)
    second = upload(app, story_id, author.id, clip)
    assert [m["status"] for m in _items(client, story_id)["media"]] == ["uploading",
                                                                       "processing"]
    run_queued(app)
    body = _items(client, story_id)
    ready = body["media"][1]
    assert ready["id"] == second.asset_id
    assert ready["status"] == "ready"
    assert ready["url"].endswith(f"/media/{second.asset_id}/video")
    assert ready["content_type"] == "video/mp4"
    assert (ready["width"], ready["height"]) == (320, 240)
    assert ready["duration"] == pytest.approx(2.0, abs=0.1)
    assert sorted(ready["poster"]) == ["card", "feed", "large", "thumb"]
    assert ready["poster"]["card"]["width"] == 1200
    assert client.get(ready["poster"]["thumb"]["url"]).status_code in (200, 302)


def test_a_failed_video_says_why_in_words(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        draft: Callable[[User], int], tmp_path: Path) -> None:
    author = make_user()
    login(client, author)
    story_id = draft(author)
    upload(app, story_id, author.id, videos.long_video(tmp_path / "long.mp4", 361))
    run_queued(app)
    [item] = _items(client, story_id)["media"]
    assert item["status"] == "failed" and item["url"] is None
    assert item["error"] == {
        "code": "too_long",
        "message": "This video is 6 minutes 1 second long; the hub takes up to 3 minutes. "
                   "Trim it and upload it again."}
    client.post("/language", data={"language": "nl"})
    [item] = _items(client, story_id)["media"]
    assert item["error"]["code"] == "too_long"


@pytest.mark.parametrize(("factory", "message"), [
    (videos.audio_only_mp4, "This file has sound but no picture. Upload a video."),
    (videos.jpeg_named_mp4, "This file is a JPEG picture, not a video. Add it as a photo "
                            "instead."),
    (videos.truncated_mp4, "This video is incomplete: the file was cut short, perhaps while "
                           "it was copied. Upload it again from the phone or camera that "
                           "recorded it."),
])
def test_every_refusal_has_its_own_message(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        draft: Callable[[User], int], tmp_path: Path, factory: Callable[[Path], Path],
        message: str) -> None:
    author = make_user()
    login(client, author)
    story_id = draft(author)
    upload(app, story_id, author.id, factory(tmp_path / "file.mp4"))
    run_queued(app)
    [item] = _items(client, story_id)["media"]
    assert item["error"]["message"] == message


def test_a_drafts_videos_are_for_its_author_alone(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        draft: Callable[[User], int], clip: Path) -> None:
    author = make_user()
    story_id = draft(author)
    item = upload(app, story_id, author.id, clip)
    run_queued(app)
    for other in (make_user(), make_user(Role.CURATOR)):
        login(client, other)
        assert client.get(f"/stories/{story_id}/media").status_code == 404
        assert client.get(f"/media/{item.asset_id}/video").status_code == 404
        client.post("/logout")
    assert client.get(f"/stories/{story_id}/media").status_code == 302


def test_the_api_shows_videos_in_the_story(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        clip: Path) -> None:
    author = person()
    created = client.post("/api/v1/stories", headers=author.auth, data={
        "title": "Line 3", "body": "On film."}, content_type="multipart/form-data")
    story_id = created.json["id"]  # type: ignore[index]
    item = upload(app, story_id, author.user.id, clip)
    run_queued(app)
    story = client.get(f"/api/v1/stories/{story_id}", headers=author.auth).json
    [video] = story["media"]  # type: ignore[index]
    assert video["kind"] == "video" and video["status"] == "ready"
    playable = client.get(video["url"], headers=author.auth)
    assert playable.status_code in (200, 302)
    asset = asset_of(app, item.asset_id)
    assert asset is not None and asset.keys and set(asset.keys) <= stored_files(app)
    removed = client.delete(f"/api/v1/stories/{story_id}/media/{item.asset_id}",
                            headers=author.auth)
    assert removed.status_code == 204
    story = client.get(f"/api/v1/stories/{story_id}", headers=author.auth).json
    assert story["media"] == []  # type: ignore[index]
    assert not set(asset.keys) & stored_files(app)
