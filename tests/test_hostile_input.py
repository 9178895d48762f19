"""Hostile and odd input gets a clear 4xx, never a 500; sessions end when they should."""

from __future__ import annotations

import concurrent.futures
import io
import json
import random
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.errors import Rejected, rejected_response
from tests.api.test_stories_api import create, token_for
from tests.conftest import PASSWORD, csrf_token, login, make_app, photo_bytes


@pytest.fixture()
def auth(client: FlaskClient, make_user: Callable[..., User]) -> dict[str, str]:
    return token_for(client, make_user())


@pytest.mark.parametrize("path", [
    "/api/v1/stories/99999999999999999999", "/api/v1/stories/2147483648",
    "/api/v1/stories/0", "/api/v1/tokens/99999999999999999999",
])
def test_ids_beyond_the_database_are_simply_not_found(
    client: FlaskClient, auth: dict[str, str], path: str
) -> None:
    method = client.delete if "tokens" in path else client.get
    response = method(path, headers=auth)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_a_page_id_beyond_the_database_is_a_404_page(
    client: FlaskClient, signed_in: Callable[..., User]
) -> None:
    signed_in()
    assert client.get("/stories/99999999999999999999").status_code == 404
    assert client.get("/media/99999999999999999999/large").status_code == 404


@pytest.mark.parametrize("page", ["%C2%B2", "%E2%91%A0", "%D9%A3", "1e3", "-1", "9999999"])
def test_page_numbers_are_plain_digits(
    client: FlaskClient, auth: dict[str, str], page: str
) -> None:
    response = client.get(f"/api/v1/stories?page={page}", headers=auth)
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_page"


def test_deeply_nested_json_is_a_400(
    client: FlaskClient, auth: dict[str, str], topics: list[str]
) -> None:
    story_id = create(client, auth).json["id"]
    nested = "[" * 50_000 + "]" * 50_000
    for path in (f"/api/v1/stories/{story_id}", "/api/v1/tokens"):
        method = client.patch if "stories" in path else client.post
        response = method(path, data=nested, headers=auth, content_type="application/json")
        assert response.status_code == 400, path


@pytest.mark.parametrize("text", ["a\x00b", "\ud800 lone surrogate"])
def test_text_that_cannot_be_stored_is_refused(
    client: FlaskClient, auth: dict[str, str], topics: list[str], text: str
) -> None:
    story_id = create(client, auth).json["id"]
    body = json.dumps({"title": text})  # escapes the surrogate as JSON allows
    response = client.patch(f"/api/v1/stories/{story_id}", data=body, headers=auth,
                            content_type="application/json")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_characters"
    assert client.get(f"/api/v1/stories/{story_id}", headers=auth).json["title"] == "Team day"
    token = client.post("/api/v1/tokens", data=json.dumps({"email": text, "password": text}),
                        content_type="application/json")
    assert token.status_code in (401, 422)
    if "\x00" in text:  # a form cannot even carry a lone surrogate
        form = client.post("/login", data={"email": text, "password": "x"})
        assert form.status_code == 401


def test_an_empty_or_non_file_media_part_is_refused(
    client: FlaskClient, auth: dict[str, str], topics: list[str]
) -> None:
    story_id = create(client, auth).json["id"]
    empty = client.post(f"/api/v1/stories/{story_id}/media", headers=auth,
                        data={"media": (io.BytesIO(b""), "")},
                        content_type="multipart/form-data")
    assert empty.status_code == 422 and empty.json["error"]["code"] == "no_files"
    as_text = create(client, auth, media="not a file")
    assert as_text.status_code == 422 and as_text.json["error"]["code"] == "not_a_file"
    bad_photo = create(client, auth, media=[(io.BytesIO(b"text"), "x.jpg")])
    assert "media" in bad_photo.json["error"]["details"]["fields"]


def test_large_bodies_are_only_for_signed_in_uploads(
    client: FlaskClient, auth: dict[str, str], topics: list[str], limited_app: Flask
) -> None:
    two_megabytes = "x" * (2 * 1024 * 1024)
    anonymous = client.post("/api/v1/tokens", data=two_megabytes,
                            content_type="application/json")
    assert anonymous.status_code == 413 and anonymous.json["error"]["code"] == "too_large"
    # With CSRF on, the form is read before anything else: the small limit must hold there.
    page = limited_app.test_client().post("/stories/new",
                                          data={"title": "t", "body": two_megabytes})
    assert page.status_code == 413
    big_photo = photo_bytes(size=(2400, 1800))
    noisy = io.BytesIO()
    from PIL import Image

    noise = random.Random(7).randbytes(800 * 600 * 3)  # incompressible: a PNG over 1 MB
    Image.frombytes("RGB", (800, 600), noise).save(noisy, "PNG")
    assert len(noisy.getvalue()) + len(big_photo) > 1024 * 1024
    uploaded = create(client, auth, media=[(io.BytesIO(noisy.getvalue()), "big.png"),
                                           (io.BytesIO(big_photo), "b.jpg")])
    assert uploaded.status_code == 201, uploaded.json


def test_sign_out_kills_copies_of_the_session_cookie(
    client: FlaskClient, make_user: Callable[..., User], app: Flask
) -> None:
    login(client, make_user())
    stolen = client.get_cookie("session")
    assert stolen is not None
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    assert thief.get("/stories").status_code == 302


def test_deactivating_an_account_ends_its_sessions(
    client: FlaskClient, make_user: Callable[..., User], app: Flask
) -> None:
    employee = make_user()
    login(client, employee)
    admin_client = app.test_client()
    login(admin_client, make_user(Role.ADMIN))
    admin_client.post(f"/admin/users/{employee.id}", data={
        "name": "Gone", "role": "employee", "department": ""})
    assert client.get("/stories").status_code == 302


@pytest.fixture(scope="module")
def limited_app(backend_config: dict[str, Any]) -> Flask:
    return make_app(backend_config, LOGIN_ADDRESS_RATE_LIMIT="4 per minute")


def test_one_address_cannot_spray_passwords_over_many_accounts(
    limited_app: Flask, app: Flask
) -> None:
    client = limited_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    token = csrf_token(client, "/login")
    statuses = [client.post("/login", data={"email": f"user{i}@example.org",
                                            "password": "guess guess",
                                            "csrf_token": token}).status_code
                for i in range(2)]
    statuses += [client.post("/api/v1/tokens", json={"email": f"api{i}@example.org",
                                                     "password": "guess"}).status_code
                 for i in range(3)]
    assert statuses == [401, 401, 401, 401, 429]
    other = limited_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.8"
    assert other.post("/api/v1/tokens", json={"email": "x@example.org",
                                              "password": "y"}).status_code == 401


def test_bearer_is_case_insensitive_and_401_names_the_scheme(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    secret = auth["Authorization"].split(" ", 1)[1]
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {secret}"}
                      ).status_code == 200
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith(
        "Bearer")


def test_error_pages_escape_messages_built_from_user_input(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    with app.test_request_context("/stories/new"):
        page, status = rejected_response(
            Rejected("x", _l("Unknown topic: %(topics)s.", topics="<script>alert(1)</script>")))
    assert status == 422 and "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_private_pages_are_not_cached(
    client: FlaskClient, signed_in: Callable[..., User]
) -> None:
    signed_in()
    assert client.get("/stories").headers["Cache-Control"] == "no-store"
    assert client.get("/account").headers["Cache-Control"] == "no-store"


def test_simultaneous_edits_answer_200_or_409_never_500(
    live_server: str, make_user: Callable[..., User], topics: list[str], app: Flask
) -> None:
    user = make_user()
    with app.app_context():
        from advocacy.stories.operations import create_story

        author = db.session.get(User, user.id)
        assert author is not None
        story_id = create_story(author, title="Shared", body="Body", topics=[]).id
        db.commit()
    request = urllib.request.Request(
        f"{live_server}/api/v1/tokens", method="POST",
        data=json.dumps({"email": user.email, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        token = json.load(answer)["token"]

    def patch(number: int) -> int:
        edit = urllib.request.Request(
            f"{live_server}/api/v1/stories/{story_id}", method="PATCH",
            data=json.dumps({"title": f"Edit {number}"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(edit, timeout=20) as answer:  # noqa: S310
                return int(answer.status)
        except urllib.error.HTTPError as failed:
            assert failed.headers["Content-Type"] == "application/json", failed.read()[:300]
            return int(failed.code)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(patch, range(24)))
    assert set(statuses) <= {200, 409}, statuses
    assert 200 in statuses


def test_ids_in_other_scripts_name_nothing(client: FlaskClient,
                                           make_user: Callable[..., User]) -> None:
    """"١" is a digit to Python's int(), but no id of ours: 404, not story 1."""
    login(client, make_user())
    assert client.get("/stories/\u0661").status_code == 404
    assert client.get("/stories/\uff11").status_code == 404
