"""tus 1.0 at /api/v1/uploads, request by request (the Flask test client), on the session's
storage: local files on the embedded backend, staged multipart parts on SeaweedFS."""

from __future__ import annotations

import hashlib
import io
import os
from base64 import b64encode
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from advocacy import database as db
from advocacy.database import utcnow
from advocacy.media.models import MediaStatus, VideoUpload
from advocacy.media.operations import SWEEP_GRACE, sweep_orphans
from advocacy.media.storage import new_key, storage
from advocacy.uploads.operations import PART_SIZE
from advocacy.uploads.tasks import expire_uploads
from tests.conftest import BACKEND
from tests.uploads.conftest import (
    OCTETS,
    TUS,
    Author,
    create,
    created,
    metadata,
    multipart_keys,
    offset_of,
    send,
    stored_bytes,
    upload_row,
    videos_of,
)


def test_options_says_which_tus_the_hub_speaks(client: FlaskClient, app: Flask) -> None:
    response = client.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation", "termination", "expiration", "checksum"}
    assert response.headers["Tus-Max-Size"] == str(app.config["MAX_VIDEO_BYTES"])
    assert response.headers["Tus-Checksum-Algorithm"] == "sha1"


def test_a_video_arrives_in_chunks_and_goes_to_processing(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    # Larger than the hub's 1 MB body limit, and (on S3) more than one part with a tail.
    data = os.urandom(PART_SIZE + 3 * 1024 * 1024 + 17)
    response = create(client, who, len(data))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert "Upload-Expires" in response.headers
    url = response.headers["Location"]
    [video] = videos_of(app, who.story_id)
    assert video.status == MediaStatus.UPLOADING
    assert response.headers["Upload-Media-Id"] == str(video.id)

    head = client.head(url, headers={**TUS, **who.auth})
    assert head.status_code == 200
    assert head.headers["Upload-Offset"] == "0"
    assert head.headers["Upload-Length"] == str(len(data))
    assert head.headers["Cache-Control"] == "no-store"

    cuts = [0, 5 * 1024 * 1024, PART_SIZE + 1024 * 1024, len(data)]
    for start, end in zip(cuts, cuts[1:], strict=False):
        answer = send(client, who, url, start, data[start:end])
        assert answer.status_code == 204, answer.get_data(as_text=True)
        assert answer.headers["Upload-Offset"] == str(end)
        assert offset_of(client, who, url) == end

    [video] = videos_of(app, who.story_id)
    assert video.status == MediaStatus.PROCESSING
    assert video.original_key is not None
    assert stored_bytes(app, video.original_key) == data
    row = upload_row(app, url)
    assert row is not None and row.completed_at is not None and row.tail_key is None
    if BACKEND == "services":
        assert video.original_key not in multipart_keys(app)


def test_declared_length_over_the_limit_is_refused_before_any_byte(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    response = create(client, who, app.config["MAX_VIDEO_BYTES"] + 1)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert videos_of(app, who.story_id) == []


def test_more_bytes_than_declared_are_refused_and_nothing_is_kept(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    url = created(client, who, 1000)
    assert send(client, who, url, 0, b"a" * 400).status_code == 204
    response = send(client, who, url, 400, b"b" * 601)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert offset_of(client, who, url) == 400
    assert send(client, who, url, 400, b"b" * 600).status_code == 204
    [video] = videos_of(app, who.story_id)
    assert video.original_key is not None
    assert stored_bytes(app, video.original_key) == b"a" * 400 + b"b" * 600


def test_a_chunk_at_the_wrong_offset_or_sent_twice_is_a_conflict(
        client: FlaskClient, author: Callable[[], Author]) -> None:
    who = author()
    url = created(client, who, 1000)
    wrong = send(client, who, url, 10, b"x" * 10)
    assert wrong.status_code == 409
    assert wrong.get_json()["error"]["code"] == "offset_mismatch"
    assert send(client, who, url, 0, b"x" * 300).status_code == 204
    twice = send(client, who, url, 0, b"x" * 300)
    assert twice.status_code == 409
    assert twice.get_json()["error"]["details"]["offset"] == 300
    assert offset_of(client, who, url) == 300


def test_another_tus_version_is_refused_with_the_one_we_speak(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    response = create(client, who, 100, headers={"Tus-Resumable": "0.2.2"})
    assert response.status_code == 412
    assert response.headers["Tus-Version"] == "1.0.0"
    assert response.get_json()["error"]["code"] == "tus_version"
    url = created(client, who, 100)
    patch = client.patch(url, data=b"x", content_type=OCTETS,
                         headers={**who.auth, "Upload-Offset": "0"})  # no version at all
    assert patch.status_code == 412
    assert offset_of(client, who, url) == 0


def test_only_the_author_attaches_videos_to_a_story(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    owner, stranger = author(), author()
    for story in (owner.story_id, owner.story_id + 1000):  # someone else's, and no story
        response = create(client, stranger, 100, story=story)
        assert response.status_code == 404, response.get_data(as_text=True)
        assert response.get_json()["error"]["code"] == "not_found"
    assert videos_of(app, owner.story_id) == []
    # Nor does anyone else reach an author's upload.
    url = created(client, owner, 100)
    assert client.head(url, headers={**TUS, **stranger.auth}).status_code == 404
    assert send(client, stranger, url, 0, b"x" * 100).status_code == 404
    assert client.delete(url, headers={**TUS, **stranger.auth}).status_code == 404
    assert offset_of(client, owner, url) == 0


def test_creation_needs_a_length_and_a_story(
        client: FlaskClient, author: Callable[[], Author]) -> None:
    who = author()
    no_length = client.post("/api/v1/uploads", headers={
        **TUS, **who.auth, "Upload-Metadata": metadata(story=who.story_id)})
    assert no_length.status_code == 400
    deferred = client.post("/api/v1/uploads", headers={
        **TUS, **who.auth, "Upload-Defer-Length": "1", "Upload-Metadata": metadata(story=1)})
    assert deferred.status_code == 400
    no_story = client.post("/api/v1/uploads", headers={
        **TUS, **who.auth, "Upload-Length": "100", "Upload-Metadata": metadata(filetype="x")})
    assert no_story.status_code == 400
    assert no_story.get_json()["error"]["code"] == "missing_story"


def test_anonymous_callers_are_asked_to_authenticate(client: FlaskClient) -> None:
    response = client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "100"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    # A large body is refused without being read.
    patch = client.patch("/api/v1/uploads/" + "a" * 32, data=b"x" * (3 * 1024 * 1024),
                         content_type=OCTETS, headers={**TUS, "Upload-Offset": "0"})
    assert patch.status_code == 401


def test_termination_removes_the_bytes_and_the_item(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    url = created(client, who, PART_SIZE + 2000)
    assert send(client, who, url, 0, os.urandom(PART_SIZE + 1000)).status_code == 204
    row = upload_row(app, url)
    assert row is not None
    response = client.delete(url, headers={**TUS, **who.auth})
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert videos_of(app, who.story_id) == []
    assert upload_row(app, url) is None
    assert client.head(url, headers={**TUS, **who.auth}).status_code == 404
    assert stored_bytes(app, row.key) is None
    if row.tail_key:
        assert stored_bytes(app, row.tail_key) is None
    if BACKEND == "services":
        assert row.key not in multipart_keys(app)


def test_an_abandoned_upload_expires_with_its_bytes(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    url = created(client, who, PART_SIZE + 5000)
    assert send(client, who, url, 0, os.urandom(PART_SIZE + 10)).status_code == 204
    row = upload_row(app, url)
    assert row is not None
    with app.app_context():
        found = db.session.get(VideoUpload, row.id)
        assert found is not None
        found.expires_at = utcnow() - timedelta(minutes=1)
        db.commit()
    gone = client.head(url, headers={**TUS, **who.auth})
    assert gone.status_code == 410
    with app.app_context():
        assert expire_uploads() >= 1
        db.commit()
    assert upload_row(app, url) is None
    assert client.head(url, headers={**TUS, **who.auth}).status_code == 404
    assert videos_of(app, who.story_id) == []
    assert stored_bytes(app, row.key) is None
    if row.tail_key:
        assert stored_bytes(app, row.tail_key) is None
    if BACKEND == "services":
        assert row.key not in multipart_keys(app)


def test_a_finished_upload_is_forgotten_after_its_expiry_but_its_video_stays(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    url = created(client, who, 100)
    assert send(client, who, url, 0, b"v" * 100).status_code == 204
    with app.app_context():
        found = db.session.get(VideoUpload, url.rsplit("/", 1)[1])
        assert found is not None
        found.expires_at = utcnow() - timedelta(minutes=1)
        db.commit()
        expire_uploads()
        db.commit()
    [video] = videos_of(app, who.story_id)
    assert video.status == MediaStatus.PROCESSING
    assert video.original_key is not None
    assert stored_bytes(app, video.original_key) == b"v" * 100


def test_bytes_that_do_not_match_their_checksum_are_not_kept(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    url = created(client, who, 200)
    good = b"g" * 100
    digest = b64encode(hashlib.sha1(good).digest()).decode()  # noqa: S324 (tus checksum)
    wrong = send(client, who, url, 0, b"h" * 100, {"Upload-Checksum": f"sha1 {digest}"})
    assert wrong.status_code == 460
    assert wrong.get_json()["error"]["code"] == "checksum_mismatch"
    assert offset_of(client, who, url) == 0
    right = send(client, who, url, 0, good, {"Upload-Checksum": f"sha1 {digest}"})
    assert right.status_code == 204
    assert right.headers["Upload-Offset"] == "100"
    unknown = send(client, who, url, 100, good, {"Upload-Checksum": f"md5 {digest}"})
    assert unknown.status_code == 400


def test_a_dropped_connection_keeps_what_arrived(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    """The client promised more than it sent (its connection broke): the bytes that arrived
    count, and the upload resumes from there."""
    who = author()
    data = os.urandom(300_000)
    url = created(client, who, len(data))
    response = client.patch(url, input_stream=io.BytesIO(data[:120_000]), content_type=OCTETS,
                            headers={**TUS, **who.auth, "Upload-Offset": "0",
                                     "Content-Length": str(len(data))})
    assert response.status_code == 204
    assert offset_of(client, who, url) == 120_000
    assert send(client, who, url, 120_000, data[120_000:]).status_code == 204
    [video] = videos_of(app, who.story_id)
    assert video.original_key is not None
    assert stored_bytes(app, video.original_key) == data


def test_a_video_removed_from_its_story_takes_no_more_bytes(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    url = created(client, who, 1000)
    [video] = videos_of(app, who.story_id)
    removed = client.delete(f"/api/v1/stories/{who.story_id}/media/{video.id}",
                            headers=who.auth)
    assert removed.status_code == 204
    response = send(client, who, url, 0, b"x" * 1000)
    assert response.status_code == 404
    assert videos_of(app, who.story_id) == []


def test_the_orphan_sweep_keeps_uploads_in_progress_and_removes_abandoned_files(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    url = created(client, who, PART_SIZE + 5000)
    assert send(client, who, url, 0, os.urandom(PART_SIZE + 10)).status_code == 204
    row = upload_row(app, url)
    assert row is not None
    waiting = row.tail_key or row.key  # S3: the staged tail; local: the partial file
    with app.app_context():
        stray = new_key("uploads", "original", "mp4")  # its row went, its bytes stayed
        storage().put(stray, b"left behind", "video/mp4")
        report = sweep_orphans(now=utcnow() + SWEEP_GRACE * 2)
    assert stray in report.removed
    assert waiting not in report.removed
    assert report.missing == []
    assert stored_bytes(app, stray) is None
    assert stored_bytes(app, waiting) is not None
    assert send(client, who, url, PART_SIZE + 10, b"z" * 4990).status_code == 204
