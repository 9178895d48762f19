"""Presigned multipart uploads: the browser PUTs parts straight to the bucket (SeaweedFS,
checking every signature), the hub signs, lists, completes and aborts."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from advocacy import database as db
from advocacy.database import utcnow
from advocacy.media.models import MediaStatus
from advocacy.media.storage import S3Storage, new_key, storage
from advocacy.uploads.operations import PART_SIZE, remove_expired_uploads
from tests.conftest import make_app
from tests.uploads.conftest import Author, multipart_keys, stored_bytes, videos_of

MiB = 1024 * 1024


def _start(client: FlaskClient, who: Author, size: int) -> dict[str, Any]:
    response = client.post("/api/v1/uploads/s3", headers=who.auth, json={
        "filename": "line3.mp4", "filetype": "video/mp4", "size": size, "story": who.story_id})
    assert response.status_code == 201, response.get_data(as_text=True)
    return dict(response.get_json())


def _part_url(client: FlaskClient, who: Author, upload_id: str, number: int) -> str:
    response = client.get(f"/api/v1/uploads/{upload_id}/parts/{number}", headers=who.auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["url"])


def _put(url: str, data: bytes) -> str:
    """What the browser does with a part: PUT it to the bucket; the ETag it answers."""
    response = requests.put(url, data=data, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def _send_all(client: FlaskClient, who: Author, upload: dict[str, Any],
              data: bytes) -> list[dict[str, Any]]:
    size = upload["part_size"]
    return [{"number": n, "etag": _put(_part_url(client, who, upload["id"], n),
                                       data[(n - 1) * size:n * size])}
            for n in range(1, upload["parts_count"] + 1)]


@pytest.mark.services
def test_the_browser_sends_parts_to_the_bucket_and_resumes_after_a_reload(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    data = os.urandom(2 * PART_SIZE + 3 * MiB + 5)
    upload = _start(client, who, len(data))
    assert (upload["part_size"], upload["parts_count"]) == (PART_SIZE, 3)
    [video] = videos_of(app, who.story_id)
    assert video.status == MediaStatus.UPLOADING

    first = _put(_part_url(client, who, upload["id"], 1), data[:PART_SIZE])
    # The page reloads: the bucket says which parts it already has.
    listed = client.get(f"/api/v1/uploads/{upload['id']}/parts", headers=who.auth)
    assert listed.status_code == 200
    assert [(p["number"], p["etag"], p["size"]) for p in listed.get_json()["parts"]] == [
        (1, first, PART_SIZE)]
    rest = [{"number": n, "etag": _put(_part_url(client, who, upload["id"], n),
                                       data[(n - 1) * PART_SIZE:n * PART_SIZE])}
            for n in (2, 3)]

    done = client.post(f"/api/v1/uploads/{upload['id']}/complete", headers=who.auth,
                       json={"parts": [{"number": 1, "etag": first}, *rest]})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["kind"] == "video"
    assert done.get_json()["status"] == "processing"
    [video] = videos_of(app, who.story_id)
    assert video.original_key is not None
    assert stored_bytes(app, video.original_key) == data
    assert video.original_key not in multipart_keys(app)


@pytest.mark.services
def test_a_presigned_url_takes_only_its_own_part(
        client: FlaskClient, author: Callable[[], Author]) -> None:
    who = author()
    upload = _start(client, who, PART_SIZE + 10)
    url = urlsplit(_part_url(client, who, upload["id"], 1))
    query = dict(parse_qsl(url.query))
    query["partNumber"] = "2"
    forged = urlunsplit(url._replace(query=urlencode(query)))
    assert requests.put(forged, data=b"x" * 10, timeout=30).status_code == 403
    out_of_range = client.get(f"/api/v1/uploads/{upload['id']}/parts/3", headers=who.auth)
    assert out_of_range.status_code == 422
    assert out_of_range.get_json()["error"]["code"] == "invalid_part"


@pytest.mark.services
def test_parts_that_do_not_add_up_are_refused_and_the_upload_can_still_finish(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    data = os.urandom(PART_SIZE + 1000)
    upload = _start(client, who, len(data))
    parts = _send_all(client, who, upload, data[:-1])  # one byte short
    url = f"/api/v1/uploads/{upload['id']}/complete"
    short = client.post(url, headers=who.auth, json={"parts": parts})
    assert short.status_code == 422
    assert short.get_json()["error"]["code"] == "size_mismatch"
    assert short.get_json()["error"]["details"] == {"received": len(data) - 1,
                                                    "length": len(data)}
    missing = client.post(url, headers=who.auth, json={"parts": [
        *parts, {"number": 3, "etag": parts[0]["etag"]}]})
    assert missing.status_code == 409
    assert missing.get_json()["error"]["details"]["parts"] == [3]

    last = _put(_part_url(client, who, upload["id"], 2), data[PART_SIZE:])
    done = client.post(url, headers=who.auth, json={"parts": [parts[0],
                                                              {"number": 2, "etag": last}]})
    assert done.status_code == 200, done.get_data(as_text=True)
    [video] = videos_of(app, who.story_id)
    assert video.original_key is not None
    assert stored_bytes(app, video.original_key) == data


@pytest.mark.services
def test_an_aborted_upload_leaves_nothing_in_the_bucket(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    upload = _start(client, who, PART_SIZE + 10)
    _put(_part_url(client, who, upload["id"], 1), os.urandom(PART_SIZE))
    assert upload["key"] in multipart_keys(app)
    assert client.delete(f"/api/v1/uploads/{upload['id']}", headers=who.auth).status_code == 204
    assert upload["key"] not in multipart_keys(app)
    assert videos_of(app, who.story_id) == []
    assert client.get(f"/api/v1/uploads/{upload['id']}/parts",
                      headers=who.auth).status_code == 404


@pytest.mark.services
def test_a_multipart_upload_without_a_row_is_aborted_once_it_is_old(
        client: FlaskClient, app: Flask, author: Callable[[], Author]) -> None:
    """Its story was deleted, or its request failed while the bucket was away."""
    who = author()
    kept = _start(client, who, PART_SIZE + 10)
    with app.app_context():
        store = storage()
        assert isinstance(store, S3Storage)
        stray = new_key("uploads", "original", "mp4")
        store.create_multipart(stray, "video/mp4")
        assert remove_expired_uploads().orphans == []  # too young: its row may be on its way
        report = remove_expired_uploads(now=utcnow() + timedelta(hours=2))
        db.commit()
    assert stray in report.orphans  # (with any earlier test's uploads whose rows are gone)
    assert kept["key"] not in report.orphans
    assert kept["key"] in multipart_keys(app)
    assert stray not in multipart_keys(app)


@pytest.mark.services
def test_the_bucket_takes_browser_uploads_from_the_hubs_origin_only(app: Flask) -> None:
    """`advocacy media cors`: what an operator runs once for a bucket (AWS answers no CORS at
    all by default; SeaweedFS allows every origin)."""
    with app.app_context():
        store = storage()
        assert isinstance(store, S3Storage)
        upload_id = store.create_multipart("uploads/cors/original.mp4", "video/mp4")
        url = store.presigned_part_url("uploads/cors/original.mp4", upload_id, 1, 300)
    result = app.test_cli_runner().invoke(args=["media", "cors", "https://hub.example.org"])
    try:
        assert result.exit_code == 0, result.output
        hub = requests.options(url, timeout=30, headers={
            "Origin": "https://hub.example.org", "Access-Control-Request-Method": "PUT"})
        assert hub.status_code == 200
        assert hub.headers["Access-Control-Allow-Origin"] == "https://hub.example.org"
        assert "ETag" in hub.headers["Access-Control-Expose-Headers"]
        other = requests.options(url, timeout=30, headers={
            "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "PUT"})
        assert "Access-Control-Allow-Origin" not in other.headers
    finally:  # the other tests' live servers run on other origins
        with app.app_context():
            store.client.delete_bucket_cors(Bucket=store.bucket)
            store.abort_multipart("uploads/cors/original.mp4", upload_id)
    refused = app.test_cli_runner().invoke(args=["media", "cors", "https://hub.example/path"])
    assert refused.exit_code != 0
    assert "not an origin" in refused.output


def test_presigned_uploads_need_the_s3_storage(
        backend_config: dict[str, Any], tmp_path: Path, author: Callable[[], Author]) -> None:
    who = author()
    local = make_app(backend_config, STORAGE="local", UPLOADS_DIR=str(tmp_path))
    response = local.test_client().post("/api/v1/uploads/s3", headers=who.auth, json={
        "filename": "line3.mp4", "filetype": "video/mp4", "size": 100, "story": who.story_id})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "use_tus"
