"""Who may upload: a bearer token, or the signed-in browser session with its CSRF token in a
header; nobody else (the app here has CSRF on, as in production)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from advocacy.accounts.models import User
from tests.conftest import PASSWORD, csrf_token
from tests.uploads.conftest import OCTETS, TUS, Author, draft_of, metadata


def _sign_in(client: FlaskClient, user: User) -> None:
    """The real sign-in form, with its CSRF token."""
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302


def _creation(story_id: int) -> dict[str, str]:
    return {**TUS, "Upload-Length": "100",
            "Upload-Metadata": metadata(story=story_id, filetype="video/mp4")}


def test_the_story_form_uploads_with_its_session_and_csrf_token(
        csrf_app: Flask, app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user()
    story_id = draft_of(app, user)
    browser = csrf_app.test_client()
    _sign_in(browser, user)
    token = csrf_token(browser, "/stories/new")

    without = browser.post("/api/v1/uploads", headers=_creation(story_id))
    assert without.status_code == 400
    assert without.get_json()["error"]["code"] == "csrf"
    forged = browser.post("/api/v1/uploads",
                          headers={**_creation(story_id), "X-CSRFToken": "forged"})
    assert forged.status_code == 400

    response = browser.post("/api/v1/uploads",
                            headers={**_creation(story_id), "X-CSRFToken": token})
    assert response.status_code == 201, response.get_data(as_text=True)
    url = response.headers["Location"]
    # HEAD changes nothing: no token needed. PATCH and DELETE need it.
    assert browser.head(url, headers=TUS).headers["Upload-Offset"] == "0"
    refused = browser.patch(url, data=b"x" * 100, content_type=OCTETS,
                            headers={**TUS, "Upload-Offset": "0"})
    assert refused.status_code == 400
    sent = browser.patch(url, data=b"x" * 100, content_type=OCTETS,
                         headers={**TUS, "Upload-Offset": "0", "X-CSRFToken": token})
    assert sent.status_code == 204
    assert sent.headers["Upload-Offset"] == "100"


def test_a_token_needs_no_csrf_header_and_anonymous_callers_get_401(
        csrf_app: Flask, app: Flask, author: Callable[[], Author]) -> None:
    who = author()
    client = csrf_app.test_client()
    with_token = client.post("/api/v1/uploads", headers={**_creation(who.story_id), **who.auth})
    assert with_token.status_code == 201, with_token.get_data(as_text=True)
    anonymous = client.post("/api/v1/uploads", headers=_creation(who.story_id))
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"] == "unauthorized"
    # A wrong token is not rescued by a session: a token, when sent, decides.
    _sign_in(client, who.user)
    wrong = client.post("/api/v1/uploads", headers={
        **_creation(who.story_id), "Authorization": "Bearer adv_nope",
        "X-CSRFToken": csrf_token(client, "/stories/new")})
    assert wrong.status_code == 401


def test_other_api_routes_still_ignore_the_session(
        csrf_app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user()
    browser = csrf_app.test_client()
    _sign_in(browser, user)
    token = csrf_token(browser, "/stories/new")
    assert browser.get("/api/v1/me", headers={"X-CSRFToken": token}).status_code == 401
