"""Signing in and out, safe redirects, CSRF, the login rate limit and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from advocacy import database as db
from advocacy.accounts.models import ApiToken, Role, User
from tests.conftest import PASSWORD, csrf_token, login


def test_sign_in_sends_the_employee_to_my_stories(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/stories"
    assert client.get("/stories").status_code == 200


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    wrong = client.post("/login", data={"email": user.email, "password": "nope nope nope"})
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert "do not match" in response.get_data(as_text=True)
    assert client.get("/stories").status_code == 302


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/%0d%0aLocation: x",
])
def test_next_never_leaves_the_hub(
    client: FlaskClient, make_user: Callable[..., User], target: str
) -> None:
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "next": target})
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert not parts.scheme and not parts.netloc and "\r" not in location


def test_next_keeps_the_page_the_employee_asked_for(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    redirect = client.get("/stories/new")
    assert redirect.status_code == 302 and "next=/stories/new" in redirect.headers["Location"]
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "next": "/stories/new"})
    assert response.headers["Location"] == "/stories/new"


def test_sign_out_ends_the_session(client: FlaskClient, signed_in: Callable[..., User]) -> None:
    signed_in()
    assert client.post("/logout").status_code == 302
    assert client.get("/stories").status_code == 302


def test_passwords_are_stored_as_salted_hashes(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user()
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored and PASSWORD not in stored and stored.startswith("scrypt:")



def test_forms_without_a_csrf_token_are_refused(
    csrf_app: Flask, app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    client = csrf_app.test_client()
    refused = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400 and "expired" in refused.get_data(as_text=True)
    token = csrf_token(client, "/login")
    accepted = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert accepted.status_code == 302
    new_story = client.post("/stories/new", data={"title": "t", "body": "b"})
    assert new_story.status_code == 400


def test_repeated_failed_logins_are_rate_limited(
    csrf_app: Flask, app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(email="limited@example.org")
    client = csrf_app.test_client()
    token = csrf_token(client, "/login")
    statuses = [client.post("/login", data={"email": user.email, "password": "wrong password",
                                            "csrf_token": token}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    api = [client.post("/api/v1/tokens", json={"email": user.email, "password": "bad"}
                       ).status_code for _ in range(4)]
    assert api[-1] == 429
    limited = client.post("/api/v1/tokens", json={"email": user.email, "password": "bad"})
    assert limited.json["error"]["code"] == "rate_limited"
    assert "Retry-After" in limited.headers


def test_api_tokens_are_hashed_listed_and_revocable(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    created = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD,
                                                  "name": "my script"})
    assert created.status_code == 201
    secret = created.json["token"]
    headers = {"Authorization": f"Bearer {secret}"}
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert secret not in stored and len(stored) == 1
    assert client.get("/api/v1/me", headers=headers).json["email"] == user.email
    listed = client.get("/api/v1/tokens", headers=headers).json["items"]
    assert listed[0]["name"] == "my script" and "token" not in listed[0]
    assert client.delete(f"/api/v1/tokens/{listed[0]['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_api_refuses_bad_bodies(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    assert client.post("/api/v1/tokens", data="x").status_code == 415
    assert client.post("/api/v1/tokens", json={"email": user.email}).status_code == 422
    assert client.post("/api/v1/tokens", json={"email": 1, "password": 2}).status_code == 422
    wrong = client.post("/api/v1/tokens", json={"email": user.email, "password": "no"})
    assert wrong.status_code == 401
    assert wrong.json["error"]["code"] == "invalid_credentials"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_account_page_creates_and_revokes_tokens(
    client: FlaskClient, signed_in: Callable[..., User], app: Flask
) -> None:
    signed_in(Role.CURATOR)
    page = client.post("/account/tokens", data={"name": "laptop"}).get_data(as_text=True)
    assert "adv_" in page and "laptop" in page
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert "revoked" in client.get("/account").get_data(as_text=True)


def test_security_headers_are_sent(client: FlaskClient) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    session_cookie = client.get_cookie("session")
    assert session_cookie is None or session_cookie.http_only


def test_health_check_answers(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}


def test_a_deactivated_account_cannot_sign_in(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    with app.app_context():
        db.session.get(User, user.id).active = False  # type: ignore[union-attr]
        db.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


def test_login_helper_is_the_real_form(client: FlaskClient, make_user: Callable[..., User]) -> None:
    login(client, make_user())
    assert "Sign out" in client.get("/stories").get_data(as_text=True)


def test_changing_the_password_keeps_this_session_and_ends_the_others(
    client: FlaskClient, make_user: Callable[..., User], app: Flask
) -> None:
    user = make_user()
    login(client, user)
    other_device = app.test_client()
    login(other_device, user)
    wrong = client.post("/account/password", data={"current": "not it", "new": "x" * 12,
                                                   "repeat": "x" * 12})
    assert wrong.status_code == 403 and "not your current password" in wrong.get_data(
        as_text=True)
    short = client.post("/account/password", data={"current": PASSWORD, "new": "short",
                                                   "repeat": "short"})
    assert short.status_code == 422 and "at least 10" in short.get_data(as_text=True)
    differ = client.post("/account/password", data={"current": PASSWORD, "new": "x" * 12,
                                                    "repeat": "y" * 12})
    assert differ.status_code == 422 and "not the same" in differ.get_data(as_text=True)
    changed = client.post("/account/password", data={"current": PASSWORD,
                                                     "new": "a new long password",
                                                     "repeat": "a new long password"})
    assert changed.status_code == 302
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": PASSWORD}
                      ).status_code == 401
    login(fresh, user, password="a new long password")
