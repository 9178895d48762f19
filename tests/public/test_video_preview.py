"""A video story's public page plays the video, and link previews get it with its poster."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Person, login, photo_bytes
from tests.media import videos
from tests.media.conftest import run_queued, upload
from tests.public.test_public_page import meta


def _approved_video_story(app: Flask, client: FlaskClient, author: Person,
                          approved: Callable[..., dict[str, Any]], path: Path,
                          photo: bool = False) -> tuple[dict[str, Any], int]:
    data: dict[str, Any] = {"title": "Line 3 on film", "topics": ["customers"],
                            "body": "Thirty seconds on the shop floor.", "consent": "true"}
    if photo:
        data["media"] = [(io.BytesIO(photo_bytes()), "p.jpg")]
    created = client.post("/api/v1/stories", headers=author.auth, data=data,
                          content_type="multipart/form-data").json
    assert created is not None
    item = upload(app, created["id"], author.user.id, path)
    run_queued(app)
    client.post(f"/api/v1/stories/{created['id']}/submit", headers=author.auth)
    return approved(author, story=created), item.asset_id


def test_the_public_page_plays_the_video_and_previews_carry_it(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        approved: Callable[..., dict[str, Any]], topics: list[str], tmp_path: Path) -> None:
    author = person()
    story, asset_id = _approved_video_story(app, client, author, approved,
                                            videos.h264_mp4(tmp_path / "clip.mp4"))
    page = client.get(story["public_url"]).get_data(as_text=True)
    assert meta(page, "og:video") == f"http://localhost/media/{asset_id}/video"
    assert meta(page, "og:video:type") == "video/mp4"
    assert (meta(page, "og:video:width"), meta(page, "og:video:height")) == ("320", "240")
    # The share card is the video's poster, as the photo pipeline made it.
    assert meta(page, "og:image") == f"http://localhost/media/{asset_id}/card"
    assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("1200", "627")
    assert meta(page, "twitter:card") == "summary_large_image"
    assert '<video controls preload="metadata"' in page
    assert f'poster="/media/{asset_id}/large"' in page
    assert f'<source src="/media/{asset_id}/video" type="video/mp4">' in page
    client.post("/logout")
    assert client.get(f"/media/{asset_id}/video").status_code in (200, 302)  # public now


def test_a_photo_stays_the_share_card_beside_a_video(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        approved: Callable[..., dict[str, Any]], topics: list[str], tmp_path: Path) -> None:
    author = person()
    story, asset_id = _approved_video_story(app, client, author, approved,
                                            videos.h264_mp4(tmp_path / "clip.mp4"), photo=True)
    page = client.get(story["public_url"]).get_data(as_text=True)
    photo_id = next(m["id"] for m in story["media"] if m["kind"] == "photo")
    assert meta(page, "og:image") == f"http://localhost/media/{photo_id}/card"
    assert meta(page, "og:video") == f"http://localhost/media/{asset_id}/video"


def test_the_feed_card_plays_the_video(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        approved: Callable[..., dict[str, Any]], ambassador: Callable[..., Person],
        topics: list[str], tmp_path: Path) -> None:
    author = person()
    _story, asset_id = _approved_video_story(app, client, author, approved,
                                             videos.h264_mp4(tmp_path / "clip.mp4"))
    reader = ambassador()
    login(client, reader.user)
    page = client.get("/feed").get_data(as_text=True)
    assert f'poster="/media/{asset_id}/feed"' in page
    assert f'<source src="/media/{asset_id}/video" type="video/mp4">' in page
