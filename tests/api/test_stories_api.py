"""The JSON API for stories: create with photos, read, change, submit, withdraw, and bad input."""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.media.models import MediaAsset
from advocacy.stories.models import Story
from tests.conftest import PASSWORD, photo_bytes, stored_files


def token_for(client: FlaskClient, user: User) -> dict[str, str]:
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture()
def employee(make_user: Callable[..., User]) -> User:
    return make_user(Role.EMPLOYEE)


@pytest.fixture()
def auth(client: FlaskClient, employee: User) -> dict[str, str]:
    return token_for(client, employee)


def create(client: FlaskClient, auth: dict[str, str], **fields: Any) -> Any:
    data: dict[str, Any] = {"title": "Team day", "body": "We planted 200 trees.",
                            "topics": ["sustainability"], **fields}
    return client.post("/api/v1/stories", data=data, headers=auth,
                       content_type="multipart/form-data")


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(Story.id))) or 0,
                db.session.scalar(select(func.count(MediaAsset.id))) or 0)


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_story_with_photos_round_trips_through_the_api(
    client: FlaskClient, auth: dict[str, str], topics: list[str], app: Flask
) -> None:
    response = create(client, auth, consent="true", media=[
        (io.BytesIO(photo_bytes(exif_gps=True)), "a.jpg"),
        (io.BytesIO(photo_bytes("PNG", colour=(10, 90, 200))), "b.png")])
    assert response.status_code == 201, response.json
    story = response.json
    assert story["status"] == "draft" and story["topics"] == ["sustainability"]
    assert [m["kind"] for m in story["media"]] == ["photo", "photo"]
    first = story["media"][0]
    assert {"id", "kind", "url", "width", "height"} <= set(first)
    assert "location" in first["removed_metadata"] and first["consent_confirmed"]
    assert story["findings"] == [] and story["public_url"] is None
    image = client.get(first["url"], headers=auth)
    assert image.status_code in (200, 302)
    fetched = client.get(f"/api/v1/stories/{story['id']}", headers=auth).json
    assert fetched["title"] == "Team day"
    listed = client.get("/api/v1/stories", headers=auth).json
    assert [s["id"] for s in listed["items"]] == [story["id"]]
    assert listed["total"] == 1 and listed["page"] == 1


def test_patch_submit_and_withdraw_follow_the_state_machine(
    client: FlaskClient, auth: dict[str, str], topics: list[str]
) -> None:
    story_id = create(client, auth).json["id"]
    patched = client.patch(f"/api/v1/stories/{story_id}", headers=auth,
                           json={"title": "Team day in the forest", "topics": ["customers"]})
    assert patched.status_code == 200 and patched.json["title"] == "Team day in the forest"
    submitted = client.post(f"/api/v1/stories/{story_id}/submit", headers=auth)
    assert submitted.status_code == 200 and submitted.json["status"] == "submitted"
    again = client.post(f"/api/v1/stories/{story_id}/submit", headers=auth)
    assert again.status_code == 409
    assert again.json["error"]["code"] == "illegal_transition"
    locked = client.patch(f"/api/v1/stories/{story_id}", headers=auth, json={"title": "x"})
    assert locked.status_code == 409 and locked.json["error"]["code"] == "not_editable"
    withdrawn = client.post(f"/api/v1/stories/{story_id}/withdraw", headers=auth)
    assert withdrawn.json["status"] == "withdrawn"
    stale = client.patch(f"/api/v1/stories/{story_id}", headers=auth,
                         json={"title": "Old edit", "version": 1})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stale"


def _photo(data: bytes, name: str = "photo.jpg") -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(data), name)]


def _truncated_jpeg() -> bytes:
    data = photo_bytes(size=(1200, 900))
    return data[: len(data) // 2]


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


@pytest.mark.parametrize(("fields", "status", "code"), [
    ({"title": ""}, 422, "invalid_story"),
    ({"title": "x" * 151}, 422, "invalid_story"),
    ({"body": "   "}, 422, "invalid_story"),
    ({"body": "x" * 10_001}, 422, "invalid_story"),
    ({"topics": ["no-such-topic"]}, 422, "unknown_topic"),
    ({"media": _photo(b"this is a text file, not a photo")}, 415, "photo_not_an_image"),
    ({"media": _photo(_truncated_jpeg())}, 422, "photo_truncated"),
    ({"media": _photo(bomb_png(), "bomb.png")}, 422, "photo_too_many_pixels"),
    ({"media": _photo(SVG, "drawing.svg")}, 415, "photo_svg"),
    ({"media": _photo(b"", "empty.jpg")}, 422, "photo_empty"),
    ({"media": _photo(photo_bytes(), "../../etc/passwd.jpg")}, 400, "invalid_filename"),
    ({"media": _photo(photo_bytes(), "a\x00.jpg")}, 400, "invalid_filename"),
    ({"media": [(io.BytesIO(photo_bytes()), f"{i}.jpg") for i in range(11)]}, 422,
     "too_many_files"),
], ids=["empty-title", "long-title", "empty-body", "long-body", "unknown-topic", "text-as-jpg",
        "truncated-jpeg", "decompression-bomb", "svg", "zero-bytes", "dotdot-name", "nul-name",
        "too-many-files"])
def test_bad_input_gets_a_specific_error_and_leaves_nothing_behind(
    client: FlaskClient, auth: dict[str, str], topics: list[str], app: Flask,
    fields: dict[str, Any], status: int, code: str
) -> None:
    before = stored_files(app)
    response = create(client, auth, **fields)
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == code and error["message"]
    assert counts(app) == (0, 0)
    assert stored_files(app) == before


def test_a_photo_over_the_size_limit_is_413(
    client: FlaskClient, auth: dict[str, str], topics: list[str], app: Flask
) -> None:
    app.config["MAX_PHOTO_BYTES"], limit = 50_000, app.config["MAX_PHOTO_BYTES"]
    try:
        response = create(client, auth, media=_photo(b"\xff\xd8" + b"\x00" * 60_000))
    finally:
        app.config["MAX_PHOTO_BYTES"] = limit
    assert response.status_code == 413
    assert response.json["error"]["code"] == "file_too_large"
    assert counts(app) == (0, 0)


def test_someone_elses_draft_is_404_for_everyone_else(
    client: FlaskClient, auth: dict[str, str], make_user: Callable[..., User], topics: list[str]
) -> None:
    story_id = create(client, auth).json["id"]
    for role in (Role.EMPLOYEE, Role.CURATOR, Role.ADMIN):
        other = token_for(client, make_user(role))
        assert client.get(f"/api/v1/stories/{story_id}", headers=other).status_code == 404
        assert client.patch(f"/api/v1/stories/{story_id}", headers=other,
                            json={"title": "mine now"}).status_code == 404
        assert client.post(f"/api/v1/stories/{story_id}/submit",
                           headers=other).status_code == 404


def test_malformed_json_bodies_are_refused_clearly(
    client: FlaskClient, auth: dict[str, str], topics: list[str]
) -> None:
    story_id = create(client, auth).json["id"]
    url = f"/api/v1/stories/{story_id}"
    assert client.patch(url, headers=auth, data="{", content_type="application/json"
                        ).status_code == 400
    assert client.patch(url, headers=auth, data="title=x").status_code == 415
    assert client.patch(url, headers=auth, json=["x"]).status_code == 400
    assert client.patch(url, headers=auth, json={"colour": "red"}).json["error"]["code"] == (
        "unknown_fields")
    assert client.patch(url, headers=auth, json={"topics": "customers"}).status_code == 422
    assert client.patch(url, headers=auth, json={"consent": "yes"}).status_code == 422
    assert client.get("/api/v1/stories?page=0", headers=auth).status_code == 422
    assert client.get("/api/v1/stories?status=lost", headers=auth).status_code == 422
    assert client.get("/api/v1/stories/999999", headers=auth).status_code == 404


def test_photos_can_be_added_and_removed_later(
    client: FlaskClient, auth: dict[str, str], topics: list[str], app: Flask
) -> None:
    story_id = create(client, auth).json["id"]
    added = client.post(f"/api/v1/stories/{story_id}/media", headers=auth,
                        data={"media": _photo(photo_bytes())},
                        content_type="multipart/form-data")
    assert added.status_code == 201 and len(added.json["media"]) == 1
    media_id = added.json["media"][0]["id"]
    files_with_photo = stored_files(app)
    assert client.delete(f"/api/v1/stories/{story_id}/media/{media_id}",
                         headers=auth).status_code == 204
    assert client.get(f"/api/v1/stories/{story_id}", headers=auth).json["media"] == []
    assert len(stored_files(app)) == len(files_with_photo) - 4  # all four renditions gone
    nothing = client.post(f"/api/v1/stories/{story_id}/media", headers=auth, data={},
                          content_type="multipart/form-data")
    assert nothing.status_code == 422


def test_openapi_document_describes_every_api_route(client: FlaskClient, app: Flask) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    documented = {(path, method) for path, item in document["paths"].items()
                  for method in item if method != "parameters"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
