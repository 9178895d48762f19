"""The brand guidelines' media rule checks videos as it checks photos: consent, frame size
and length, and a finding names the video and what it missed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Person, login
from tests.media import videos
from tests.media.conftest import run_queued, upload


def _draft_with_video(app: Flask, client: FlaskClient, author: Person, path: Path | None,
                      consent: bool = True) -> int:
    created = client.post("/api/v1/stories", headers=author.auth, data={
        "title": "Line 3 on film", "body": "Thirty seconds on the shop floor.",
        "consent": "true" if consent else "false"}, content_type="multipart/form-data")
    assert created.status_code == 201, created.json
    story_id = int(created.json["id"])  # type: ignore[index]
    upload(app, story_id, author.user.id, path)
    run_queued(app)
    return story_id


def _findings(client: FlaskClient, story_id: int, author: Person) -> list[dict[str, Any]]:
    story = client.get(f"/api/v1/stories/{story_id}", headers=author.auth).json
    return list(story["findings"])  # type: ignore[index]


def test_a_video_too_long_for_the_guidelines_is_named_with_its_length(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        rules: Callable[..., None], tmp_path: Path) -> None:
    rules({"id": "short-videos", "kind": "media", "require_consent": True, "max_duration": 60})
    author = person()
    story_id = _draft_with_video(app, client, author, videos.long_video(tmp_path / "l.mp4", 95))
    [finding] = _findings(client, story_id, author)
    assert (finding["rule"], finding["media_index"]) == ("short-videos", 0)
    assert finding["detail"] == ("Video 1 is 1 minute 35 seconds long; the guidelines allow "
                                 "up to 1 minute.")
    refused = client.post(f"/api/v1/stories/{story_id}/submit", headers=author.auth)
    assert refused.status_code == 422


def test_a_video_smaller_than_the_guidelines_ask_is_named_with_its_size(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        rules: Callable[..., None], tmp_path: Path) -> None:
    rules({"id": "hd", "kind": "media", "require_consent": False, "min_width": 640,
           "min_height": 360})
    author = person()
    story_id = _draft_with_video(app, client, author, videos.h264_mp4(tmp_path / "small.mp4"))
    [finding] = _findings(client, story_id, author)
    assert finding["detail"] == ("Video 1 is 320 × 240 pixels; the guidelines ask for at least "
                                 "640 × 360.")


def test_a_video_still_processing_passes_the_size_rule_but_needs_consent(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        rules: Callable[..., None], tmp_path: Path) -> None:
    rules({"id": "consent", "kind": "media", "require_consent": True, "min_width": 640})
    author = person()
    story_id = _draft_with_video(app, client, author, None, consent=False)
    [finding] = _findings(client, story_id, author)
    assert finding["rule"] == "consent" and finding["media_index"] is None
    assert client.patch(f"/api/v1/stories/{story_id}", json={"consent": True},
                        headers=author.auth).status_code == 200
    assert _findings(client, story_id, author) == []


def test_the_story_page_shows_which_video_missed_the_rule(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        rules: Callable[..., None], tmp_path: Path) -> None:
    rules({"id": "short-videos", "kind": "media", "require_consent": False,
           "max_duration": 60})
    author = person()
    story_id = _draft_with_video(app, client, author, videos.long_video(tmp_path / "l.mp4", 95))
    login(client, author.user)
    html = client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Video 1 is 1 minute 35 seconds long; the guidelines allow up to 1 minute." in html
