"""Videos on the hub's pages: the author's story page and form, the desk and the queue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from advocacy.accounts.models import Role, User
from tests.conftest import Person, login
from tests.media import videos
from tests.media.conftest import asset_of, run_queued, upload


def test_the_story_page_shows_each_video_in_its_state(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        draft: Callable[[User], int], clip: Path, tmp_path: Path) -> None:
    author = make_user()
    login(client, author)
    story_id = draft(author)
    upload(app, story_id, author.id, None)
    ready = upload(app, story_id, author.id, clip)
    page = client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Uploading…" in page
    assert "Uploaded. Preparing the video for playback…" in page
    run_queued(app)
    upload(app, story_id, author.id, videos.long_video(tmp_path / "long.mp4", 361))
    run_queued(app)
    page = client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Ready · 0:02" in page
    assert f'poster="/media/{ready.asset_id}/large"' in page
    assert ("This video cannot be used: This video is 6 minutes 1 second long; the hub takes "
            "up to 3 minutes. Trim it and upload it again.") in page
    assert "Removed from your photos and videos before anyone else saw them" not in page
    assert page.count("Remove video") == 3


def test_the_author_removes_a_video_from_the_story_page(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        draft: Callable[[User], int], clip: Path) -> None:
    author = make_user()
    login(client, author)
    story_id = draft(author)
    item = upload(app, story_id, author.id, clip)
    run_queued(app)
    removed = client.post(f"/stories/{story_id}/media/{item.asset_id}/remove",
                          follow_redirects=True)
    assert removed.status_code == 200
    assert "The video is removed." in removed.get_data(as_text=True)
    assert asset_of(app, item.asset_id) is None


def test_the_story_form_lists_videos_with_their_state_and_a_remove_box(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        draft: Callable[[User], int], clip: Path) -> None:
    author = make_user()
    login(client, author)
    story_id = draft(author)
    item = upload(app, story_id, author.id, clip)
    page = client.get(f"/stories/{story_id}/edit").get_data(as_text=True)
    assert "Videos on this story" in page and "Photos on this story" not in page
    assert "Uploaded. Preparing the video for playback…" in page
    assert f'name="remove_media" value="{item.asset_id}"' in page
    assert "data-video-uploads" in page
    saved = client.post(f"/stories/{story_id}/edit", data={
        "title": "Line 3 on film", "body": "Thirty seconds on the floor.",
        "remove_media": [str(item.asset_id)], "action": "save"})
    assert saved.status_code == 302
    assert asset_of(app, item.asset_id) is None


def test_curators_watch_the_video_on_the_desk_and_see_poster_and_length_in_the_queue(
        app: Flask, client: FlaskClient, person: Callable[..., Person], clip: Path) -> None:
    author = person()
    created = client.post("/api/v1/stories", headers=author.auth, data={
        "title": "Line 3 on film", "body": "Thirty seconds on the floor."},
        content_type="multipart/form-data").json
    assert created is not None
    item = upload(app, created["id"], author.user.id, clip)
    run_queued(app)
    client.post(f"/api/v1/stories/{created['id']}/submit", headers=author.auth)
    curator = person(Role.CURATOR)
    login(client, curator.user)
    desk = client.get(f"/review/{created['id']}").get_data(as_text=True)
    assert '<video controls preload="metadata"' in desk
    assert f'poster="/media/{item.asset_id}/large"' in desk
    queue = client.get("/review").get_data(as_text=True)
    assert f'src="/media/{item.asset_id}/thumb"' in queue
    assert "Video · 0:02" in queue
