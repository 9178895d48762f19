"""The task queue on the test backend's real storage (SQLite file, or Redis), and the worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.curation.models import Verdict
from advocacy.curation.operations import decide
from advocacy.database import utcnow
from advocacy.queue import queue_of
from advocacy.stories.models import Story
from advocacy.stories.operations import create_story, submit_story

ARCHIVE = "advocacy.curation.tasks.archive_expired_stories"


def _expired_story(app: Flask, make_user: Callable[..., User]) -> int:
    """An approved story whose expiry passed a moment ago."""
    author, curator = make_user(), make_user(Role.CURATOR)
    with app.app_context():
        story = create_story(db.session.get(User, author.id),  # type: ignore[arg-type]
                             title="Summer party", body="Photos soon.", topics=[])
        submit_story(story.author, story)
        decide(db.session.get(User, curator.id), story, Verdict.APPROVE,  # type: ignore[arg-type]
               expires_at=utcnow() + timedelta(seconds=1))
        db.commit()
        story_id = story.id
    time.sleep(1.1)
    return story_id


def _status(app: Flask, story_id: int) -> str:
    with app.app_context():
        story = db.session.get(Story, story_id)
        assert story is not None
        return str(story.status)


def test_the_archive_job_is_scheduled_and_runs_through_the_queue(
        app: Flask, make_user: Callable[..., User]) -> None:
    queue = queue_of(app)
    assert ARCHIVE in queue.tasks
    # The scheduler asks which periodic jobs are due at a moment: every ten minutes.
    assert [t.name for t in queue.huey.read_periodic(datetime(2026, 1, 1, 10, 0))] == [ARCHIVE]
    # The visitor salts are kept fresh at five past every hour.
    assert [t.name for t in queue.huey.read_periodic(datetime(2026, 1, 1, 10, 5))] == [
        "advocacy.analytics.tasks.rotate_salts"]
    assert queue.huey.read_periodic(datetime(2026, 1, 1, 10, 7)) == []
    story_id = _expired_story(app, make_user)
    queue.huey.flush()
    queue.tasks[ARCHIVE]()  # enqueued on the real storage, as the scheduler does
    message = queue.huey.dequeue()
    assert message is not None
    assert queue.huey.execute(message) == 1
    assert _status(app, story_id) == "archived"


def test_advocacy_worker_runs_the_jobs(app: Flask, make_user: Callable[..., User],
                                       backend_config: dict[str, Any]) -> None:
    story_id = _expired_story(app, make_user)
    queue = queue_of(app)
    queue.huey.flush()
    env = {**os.environ, **{f"ADVOCACY_{key}": str(value)
                            for key, value in backend_config.items()},
           "ADVOCACY_SECRET_KEY": "test-secret"}
    command = str(Path(sys.executable).with_name("advocacy"))
    worker = subprocess.Popen([command, "worker", "--workers", "1"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        queue.tasks[ARCHIVE]()
        deadline = time.monotonic() + 20
        while _status(app, story_id) != "archived" and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0]
    assert _status(app, story_id) == "archived", output
    assert ARCHIVE in output
