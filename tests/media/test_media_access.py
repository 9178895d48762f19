"""Who may fetch a photo, how each storage hands it out, and that keys never come from users."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from advocacy.accounts.models import Role, User
from advocacy.media.storage import LocalStorage, check_key, new_key, storage
from tests.conftest import login, photo_bytes, stored_files


def _draft_with_photo(client: FlaskClient) -> tuple[int, str]:
    response = client.post("/stories/new", data={
        "title": "Warehouse at dawn", "body": "Quiet before the trucks.", "action": "save",
        "photos": [(io.BytesIO(photo_bytes(exif_gps=True)), "dawn.jpg")]},
        content_type="multipart/form-data")
    story_id = int(response.headers["Location"].rsplit("/", 1)[1])
    html = client.get(f"/stories/{story_id}").get_data(as_text=True)
    start = html.index("/media/")
    return story_id, html[start:html.index('"', start)]


def _fetch(client: FlaskClient, url: str) -> bytes:
    """The image bytes behind a media URL, following a presigned redirect to S3."""
    response = client.get(url)
    if response.status_code == 302:
        with urllib.request.urlopen(response.headers["Location"], timeout=10) as remote:  # noqa: S310
            return bytes(remote.read())
    assert response.status_code == 200
    return response.get_data()


def test_a_drafts_photo_is_only_for_its_author(
    client: FlaskClient, make_user: Callable[..., User], app: Flask
) -> None:
    author = make_user()
    login(client, author)
    _story_id, url = _draft_with_photo(client)
    image = Image.open(io.BytesIO(_fetch(client, url)))
    assert image.getexif().get_ifd(0x8825) == {}  # no GPS reaches anyone
    assert 0x010F not in image.getexif()  # nor the camera make
    client.post("/logout")
    assert client.get(url).status_code == 404
    login(client, make_user(Role.CURATOR))
    assert client.get(url).status_code == 404
    assert client.get(url.rsplit("/", 1)[0] + "/original").status_code == 404


def test_storage_keys_are_generated_and_checked(app: Flask) -> None:
    key = new_key("photos", "feed", "jpg")
    assert check_key(key) == key and key.startswith("photos/")
    for bad in ("../etc/passwd", "photos/../../x", "/abs", "a\x00b", "Photos/X.jpg", ""):
        with pytest.raises(ValueError):
            check_key(bad)


def test_file_names_never_reach_the_storage(
    client: FlaskClient, signed_in: Callable[..., User], app: Flask
) -> None:
    signed_in()
    before = stored_files(app)
    client.post("/stories/new", data={
        "title": "t", "body": "b", "action": "save",
        "photos": [(io.BytesIO(photo_bytes()), "my holiday; rm -rf.jpg")]},
        content_type="multipart/form-data")
    added = stored_files(app) - before
    assert len(added) == 4  # large, feed, thumb, card
    assert all("holiday" not in key and check_key(key) for key in added)



def test_media_are_served_the_way_the_storage_allows(
    client: FlaskClient, signed_in: Callable[..., User], app: Flask
) -> None:
    """Local files are streamed with caching headers; S3 objects by presigned URL."""
    signed_in()
    _story_id, url = _draft_with_photo(client)
    response = client.get(url)
    with app.app_context():
        local = isinstance(storage(), LocalStorage)
    if local:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["Cache-Control"] == "private, max-age=300"
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
        return
    assert response.status_code == 302
    presigned = response.headers["Location"]
    assert "X-Amz-Signature=" in presigned and "X-Amz-Expires=300" in presigned
    with urllib.request.urlopen(presigned, timeout=10) as remote:  # noqa: S310
        assert remote.headers["Content-Type"] == "image/jpeg"
    tampered = presigned.replace("X-Amz-Expires=300", "X-Amz-Expires=99999")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)  # noqa: S310
    assert refused.value.code == 403
    host = presigned.split("/")[2]
    assert host in client.get("/stories").headers["Content-Security-Policy"]
