"""Approval waits for a story's videos: what is approved is what readers will play."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from advocacy.accounts.models import Role
from tests.conftest import Person, login
from tests.media import videos
from tests.media.conftest import VideoItem, run_queued, upload


def _story_with_video(app: Flask, client: FlaskClient, author: Person,
                      video: Path | None) -> tuple[int, VideoItem]:
    created = client.post("/api/v1/stories", headers=author.auth, data={
        "title": "Line 3 on film", "body": "Thirty seconds on the shop floor.",
        "topics": ["customers"]}, content_type="multipart/form-data")
    assert created.status_code == 201, created.json
    story_id = int(created.json["id"])  # type: ignore[index]
    return story_id, upload(app, story_id, author.user.id, video)


def _review(client: FlaskClient, story_id: int, curator: Person, decision: str = "approve",
            **body: Any) -> Any:
    return client.post(f"/api/v1/stories/{story_id}/review",
                       json={"decision": decision, **body}, headers=curator.auth)


def test_a_story_is_submitted_while_its_video_processes_and_approved_once_ready(
        app: Flask, client: FlaskClient, person: Callable[..., Person], topics: list[str],
        tmp_path: Path) -> None:
    author, curator = person(), person(Role.CURATOR)
    story_id, _item = _story_with_video(app, client, author,
                                        videos.h264_mp4(tmp_path / "clip.mp4"))
    submitted = client.post(f"/api/v1/stories/{story_id}/submit", headers=author.auth)
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["media"][0]["status"] == "processing"  # type: ignore[index]
    waiting = _review(client, story_id, curator)
    assert waiting.status_code == 409
    assert waiting.json["error"]["code"] == "videos_not_ready"  # type: ignore[index]
    assert waiting.json["error"]["message"] == (  # type: ignore[index]
        "This story cannot be approved yet: 1 video is still being processed. Try again in "
        "a few minutes.")
    # Asking for changes does not wait for the video.
    run_queued(app)
    approved = _review(client, story_id, curator)
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"  # type: ignore[index]


def test_a_failed_video_blocks_approval_until_its_author_removes_it(
        app: Flask, client: FlaskClient, person: Callable[..., Person], topics: list[str],
        tmp_path: Path) -> None:
    author, curator = person(), person(Role.CURATOR)
    story_id, item = _story_with_video(app, client, author,
                                       videos.audio_only_mp4(tmp_path / "sound.mp4"))
    run_queued(app)
    assert client.post(f"/api/v1/stories/{story_id}/submit",
                       headers=author.auth).status_code == 200
    refused = _review(client, story_id, curator)
    assert refused.status_code == 409
    assert refused.json["error"]["message"] == (  # type: ignore[index]
        "This story cannot be approved: 1 video could not be processed. Ask for changes so "
        "that the author removes or replaces it.")
    assert refused.json["error"]["details"]["failed"] == [item.asset_id]  # type: ignore[index]
    sent_back = _review(client, story_id, curator, "request_changes",
                        comment="The video has no picture; remove it please.")
    assert sent_back.status_code == 200, sent_back.json
    assert client.delete(f"/api/v1/stories/{story_id}/media/{item.asset_id}",
                         headers=author.auth).status_code == 204
    assert client.post(f"/api/v1/stories/{story_id}/submit",
                       headers=author.auth).status_code == 200
    assert _review(client, story_id, curator).status_code == 200


def test_the_desk_says_why_it_cannot_approve_yet(
        app: Flask, client: FlaskClient, person: Callable[..., Person], topics: list[str],
        tmp_path: Path) -> None:
    author, curator = person(), person(Role.CURATOR)
    story_id, _item = _story_with_video(app, client, author,
                                        videos.h264_mp4(tmp_path / "clip.mp4"))
    client.post(f"/api/v1/stories/{story_id}/submit", headers=author.auth)
    login(client, curator.user)
    response = client.post(f"/review/{story_id}/decide", data={"decision": "approve"})
    assert response.status_code == 409
    assert "1 video is still being processed" in response.get_data(as_text=True)
