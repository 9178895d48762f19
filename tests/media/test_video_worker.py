"""Videos processed by a real ``advocacy worker``, and a worker killed in the middle of a
transcode: the video is queued again and becomes ready, and no half-written file stays."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.database import utcnow
from advocacy.media.tasks import STUCK_AFTER, requeue_stuck
from advocacy.queue import queue_of
from tests.conftest import stored_files, wait_until, worker_process
from tests.media import videos
from tests.media.conftest import asset_of, upload


def _status(app: Flask, asset_id: int) -> str | None:
    asset = asset_of(app, asset_id)
    return None if asset is None else str(asset.status)


def test_a_worker_killed_mid_transcode_leaves_nothing_and_the_video_is_queued_again(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int],
        backend_config: dict[str, Any], tmp_path: Path) -> None:
    author = make_user()
    # 4:4:4 H.264 is not web-playable: it is transcoded, which takes long enough to interrupt.
    source = videos.write_video(tmp_path / "studio.mp4", seconds=8, size=(640, 480),
                                pix_fmt="yuv444p")
    tmp = tmp_path / "worker-tmp"
    tmp.mkdir()
    before = {key for key in stored_files(app) if key.startswith("videos/")}
    item = upload(app, draft(author), author.id, source)

    with worker_process(backend_config, tmp) as worker:
        wait_until(lambda: any(tmp.glob("advocacy-video-*/.web.mp4.*.part")), 60,
                    "the worker writing the web version")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    asset = asset_of(app, item.asset_id)
    assert asset is not None and asset.status == "processing"
    assert asset.renditions == {} and asset.original_key == item.original_key
    assert {key for key in stored_files(app) if key.startswith("videos/")} == before
    assert item.original_key in stored_files(app)  # the upload waits for the next run

    # Not yet stuck: nothing is queued again while the worker may still be at it.
    with app.app_context():
        assert requeue_stuck(utcnow()) == 0
        assert requeue_stuck(utcnow() + STUCK_AFTER + timedelta(minutes=1)) == 1
        db.commit()
    with worker_process(backend_config, tmp):
        wait_until(lambda: _status(app, item.asset_id) == "ready", 90, "the video ready")
    asset = asset_of(app, item.asset_id)
    assert asset is not None and asset.original_key is None
    assert (asset.width, asset.height) == (640, 480)
    files = stored_files(app)
    assert {r["key"] for r in asset.renditions.values()} <= files
    assert item.original_key not in files
    assert {key for key in files if key.startswith("videos/")} - before == {
        r["key"] for r in asset.renditions.values()}


def test_stuck_videos_are_looked_for_every_ten_minutes(app: Flask) -> None:
    queue = queue_of(app)
    for minute in (1, 11, 21, 31, 41, 51):
        assert "advocacy.media.tasks.requeue_stuck_videos" in [
            t.name for t in queue.huey.read_periodic(datetime(2026, 1, 1, 10, minute))]
    assert "advocacy.media.tasks.requeue_stuck_videos" not in [
        t.name for t in queue.huey.read_periodic(datetime(2026, 1, 1, 10, 5))]
