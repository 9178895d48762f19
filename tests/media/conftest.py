"""Stories with videos in every state, as the upload layer leaves them, and running the
queued processing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.media import operations as media
from advocacy.media.models import MediaAsset
from advocacy.media.storage import new_key, storage
from advocacy.queue import queue_of
from advocacy.stories.models import Story
from advocacy.stories.operations import create_story
from tests.media import videos


@dataclass
class VideoItem:
    story_id: int
    asset_id: int
    original_key: str | None


def upload(app: Flask, story_id: int, author_id: int, path: Path | None,
           filetype: str = "video/mp4") -> VideoItem:
    """What the upload layer does: start a video item, put the bytes, mark it uploaded (and
    so queue its processing). Without ``path`` it stays uploading."""
    with app.app_context():
        story = db.session.get(Story, story_id)
        author = db.session.get(User, author_id)
        assert story is not None and author is not None
        size = path.stat().st_size if path is not None else 1000
        asset = media.start_video(story, author, filetype=filetype, length=size)
        key = None
        if path is not None:
            key = new_key("uploads", "original", "bin")
            storage().put(key, path.read_bytes(), "application/octet-stream")
            media.video_uploaded(asset, key)
        db.commit()
        return VideoItem(story_id, asset.id, key)


def run_queued(app: Flask) -> list[object]:
    """Run every task waiting in the queue, as a worker would, and return their results."""
    queue = queue_of(app)
    results = []
    while (message := queue.huey.dequeue()) is not None:
        results.append(queue.huey.execute(message))
    return results


def asset_of(app: Flask, asset_id: int) -> MediaAsset | None:
    with app.app_context():
        asset = db.session.get(MediaAsset, asset_id)
        if asset is not None:
            db.session.expunge(asset)
        return asset


@pytest.fixture()
def draft(app: Flask) -> Callable[[User], int]:
    """``draft(author)``: a new draft story's id."""

    def build(author: User) -> int:
        with app.app_context():
            story = create_story(db.session.get(User, author.id),  # type: ignore[arg-type]
                                 title="Line 3 on film", body="Thirty seconds on the floor.",
                                 topics=[])
            db.commit()
            return story.id

    return build


@pytest.fixture()
def clip(tmp_path: Path) -> Path:
    """2 s of web-playable H.264 + AAC."""
    return videos.h264_mp4(tmp_path / "clip.mp4")
