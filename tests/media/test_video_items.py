"""Videos as media items: what the upload layer calls, and the processing on the worker."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.errors import Conflict, NotFound, Rejected
from advocacy.media import operations as media
from advocacy.media.models import MediaAsset
from advocacy.media.storage import storage
from advocacy.queue import queue_of
from advocacy.stories.models import Story
from advocacy.stories.operations import submit_story
from tests.conftest import stored_files
from tests.media import videos
from tests.media.conftest import asset_of, run_queued, upload


def _start(app: Flask, story_id: int, actor: User, length: int = 1000,
           filetype: str | None = "video/mp4") -> int:
    with app.app_context():
        story = db.session.get(Story, story_id)
        assert story is not None
        asset = media.start_video(story, db.session.get(User, actor.id),  # type: ignore[arg-type]
                                  filetype=filetype, length=length)
        db.commit()
        return asset.id


def test_a_started_video_shows_as_uploading_without_touching_the_story(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int]) -> None:
    author = make_user()
    story_id = draft(author)
    with app.app_context():
        version = db.session.get(Story, story_id).version  # type: ignore[union-attr]
    asset_id = _start(app, story_id, author, length=5_000_000,
                      filetype="video/QuickTime; codecs=<script>")
    asset = asset_of(app, asset_id)
    assert asset is not None
    assert (asset.kind, asset.status, asset.bytes) == ("video", "uploading", 5_000_000)
    assert asset.source_format == "quicktime"
    with app.app_context():
        # A story form open beside the upload still saves: the story row did not change.
        assert db.session.get(Story, story_id).version == version  # type: ignore[union-attr]


def test_only_the_author_adds_videos_and_only_while_they_may_edit(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int]) -> None:
    author, other = make_user(), make_user()
    story_id = draft(author)
    with pytest.raises(NotFound):
        _start(app, story_id, other)
    with app.app_context():
        story = db.session.get(Story, story_id)
        submit_story(story.author, story)  # type: ignore[union-attr,arg-type]
        db.commit()
    with pytest.raises(Conflict) as refused:
        _start(app, story_id, author)
    assert refused.value.code == "not_editable"


def test_video_uploads_are_refused_when_too_large_empty_or_one_too_many(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int]) -> None:
    author = make_user()
    story_id = draft(author)
    limit = app.config["MAX_VIDEO_BYTES"]
    with app.test_request_context(), pytest.raises(Rejected) as large:
        _start(app, story_id, author, length=limit + 1)
    assert (large.value.status, large.value.code) == (413, "too_large")
    assert large.value.details["max_bytes"] == limit
    with app.test_request_context():
        assert str(large.value.message) == "This video is 1 GB; the hub takes videos up to 1 GB."
    with pytest.raises(Rejected) as empty:
        _start(app, story_id, author, length=0)
    assert (empty.value.status, empty.value.code) == (422, "empty_file")
    for _ in range(app.config["MAX_VIDEOS"]):
        _start(app, story_id, author)
    with pytest.raises(Rejected) as many:
        _start(app, story_id, author)
    assert (many.value.status, many.value.code) == (409, "too_many_videos")
    with app.test_request_context():
        assert str(many.value.message) == ("A story can have at most 3 videos. Remove one to "
                                           "add another.")


def test_an_uploaded_video_is_processed_once_committed(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int],
        tmp_path: Path) -> None:
    author = make_user()
    story_id = draft(author)
    item = upload(app, story_id, author.id, videos.android_mp4(tmp_path / "android.mp4"))
    asset = asset_of(app, item.asset_id)
    assert asset is not None and asset.status == "processing"
    assert asset.processing_started_at is not None
    assert queue_of(app).huey.pending_count() == 1
    assert run_queued(app) == ["ready"]
    asset = asset_of(app, item.asset_id)
    assert asset is not None
    assert asset.status == "ready" and asset.original_key is None
    assert sorted(asset.renditions) == ["card", "feed", "large", "thumb", "video"]
    assert asset.renditions["video"]["content_type"] == "video/mp4"
    assert (asset.width, asset.height, asset.source_format) == (320, 240, "mp4")
    assert asset.duration == pytest.approx(2.0, abs=0.1)
    assert {"location", "camera", "software"} <= set(asset.removed_metadata)
    assert asset.error_code is None and asset.error_params is None
    files = stored_files(app)
    assert item.original_key not in files  # the upload is gone once the web version is stored
    assert {r["key"] for r in asset.renditions.values()} <= files
    with app.test_request_context():
        assert "location" in media.removed_summary([asset])
        assert "the phone's system and app versions" in media.removed_summary([asset])


def test_an_iphone_clip_is_transcoded_upright(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int],
        tmp_path: Path) -> None:
    author = make_user()
    item = upload(app, draft(author), author.id, videos.iphone_hevc_mov(tmp_path / "a.mov"),
                  filetype="video/quicktime")
    run_queued(app)
    asset = asset_of(app, item.asset_id)
    assert asset is not None and asset.status == "ready"
    assert (asset.width, asset.height, asset.source_format) == (240, 320, "mov")
    assert asset.renditions["large"]["width"] < asset.renditions["large"]["height"]
    assert "location" in asset.removed_metadata


@pytest.mark.parametrize(("factory", "code"), [
    (videos.audio_only_mp4, "no_video"),
    (videos.truncated_mp4, "truncated"),
    (videos.jpeg_named_mp4, "not_a_video"),
    (videos.text_file, "not_a_video"),
])
def test_a_file_that_is_no_usable_video_fails_with_its_reason_and_goes(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int],
        tmp_path: Path, factory: Callable[[Path], Path], code: str) -> None:
    author = make_user()
    story_id = draft(author)
    item = upload(app, story_id, author.id, factory(tmp_path / "upload.mp4"))
    assert run_queued(app) == ["failed"]
    asset = asset_of(app, item.asset_id)
    assert asset is not None
    assert (asset.status, asset.error_code, asset.original_key) == ("failed", code, None)
    assert item.original_key not in stored_files(app)
    with app.app_context():  # the story and its text are intact
        story = db.session.get(Story, story_id)
        assert story is not None and story.body == "Thirty seconds on the floor."


def test_a_video_over_the_length_limit_fails_with_both_durations(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int],
        tmp_path: Path) -> None:
    author = make_user()
    item = upload(app, draft(author), author.id, videos.long_video(tmp_path / "l.mp4", 190))
    run_queued(app)
    asset = asset_of(app, item.asset_id)
    assert asset is not None and asset.error_code == "too_long"
    assert asset.error_params == {"duration": pytest.approx(190, abs=1), "max_seconds": 180}


def test_a_cancelled_upload_takes_its_item_and_files_away(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int],
        clip: Path) -> None:
    author = make_user()
    story_id = draft(author)
    item = upload(app, story_id, author.id, clip)
    with app.app_context():
        asset = db.session.get(MediaAsset, item.asset_id)
        assert asset is not None
        media.cancel_video(asset)
        db.commit()
    assert asset_of(app, item.asset_id) is None
    assert item.original_key not in stored_files(app)
    # Its queued processing finds nothing to do.
    assert run_queued(app) == ["gone"]


def test_a_video_removed_while_processing_leaves_no_files(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int],
        clip: Path) -> None:
    author = make_user()
    story_id = draft(author)
    before = stored_files(app)
    item = upload(app, story_id, author.id, clip)
    with app.app_context():
        story = db.session.get(Story, story_id)
        media.remove_photo(story, item.asset_id)  # type: ignore[arg-type]
        db.commit()
    assert run_queued(app) == ["gone"]
    assert stored_files(app) == before
    with app.app_context():
        assert storage().exists(item.original_key or "") is False


def test_videos_do_not_use_up_the_photo_allowance(
        app: Flask, make_user: Callable[..., User], draft: Callable[[User], int]) -> None:
    from werkzeug.datastructures import FileStorage

    from advocacy.stories.operations import update_story
    from tests.conftest import photo_bytes

    author = make_user()
    story_id = draft(author)
    _start(app, story_id, author)
    _start(app, story_id, author)
    app.config["MAX_PHOTOS"], limit = 2, app.config["MAX_PHOTOS"]
    try:
        with app.app_context():
            story = db.session.get(Story, story_id)
            assert story is not None
            photos = [FileStorage(io.BytesIO(photo_bytes()), filename=f"{n}.jpg",
                                  content_type="image/jpeg") for n in range(2)]
            update_story(db.session.get(User, author.id), story,  # type: ignore[arg-type]
                         photos=photos, consent=True)
            db.commit()
            kinds = sorted(m.kind for m in story.media)
    finally:
        app.config["MAX_PHOTOS"] = limit
    assert kinds == ["photo", "photo", "video", "video"]
