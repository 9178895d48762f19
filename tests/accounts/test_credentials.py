"""Credentials end when they should: a password change, signing out everywhere and
deactivation end every session and revoke every API token, and say so before and after."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from advocacy import database as db
from advocacy.accounts.models import ApiToken, Role, User
from advocacy.audit.models import AuditEvent
from tests.conftest import PASSWORD, login

NEW_PASSWORD = "a new long password"


def _token(client: FlaskClient, user: User, name: str) -> dict[str, str]:
    """A token made with the password through the API, as a script would; its header."""
    created = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD,
                                                  "name": name})
    assert created.status_code == 201, created.json
    return {"Authorization": f"Bearer {created.json['token']}"}


def _change_password(client: FlaskClient) -> FlaskClient:
    response = client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                     "repeat": NEW_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def test_token_stops_working_after_password_change(
    client: FlaskClient, app: Flask, signed_in: Callable[..., User]
) -> None:
    user = signed_in()
    script = _token(app.test_client(), user, "backup script")
    laptop = _token(app.test_client(), user, "laptop")
    assert client.get("/api/v1/me", headers=script).status_code == 200

    _change_password(client)

    for header in (script, laptop):
        refused = client.get("/api/v1/me", headers=header)
        assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthorized"
    page = client.get("/account").get_data(as_text=True)
    assert "Revoked 2 API tokens: backup script and laptop." in page
    assert page.count(">revoked<") == 2
    with app.app_context():  # kept for the record, marked revoked
        revoked = db.session.scalars(select(ApiToken.revoked_at).where(
            ApiToken.user_id == user.id)).all()
    assert len(revoked) == 2 and None not in revoked


def test_account_page_says_how_many_tokens_a_password_change_revokes(
    client: FlaskClient, app: Flask, signed_in: Callable[..., User]
) -> None:
    user = signed_in()
    page = client.get("/account").get_data(as_text=True)
    assert "also revokes" not in page  # nothing to revoke, nothing said
    one = _token(app.test_client(), user, "one")
    page = client.get("/account").get_data(as_text=True)
    assert "Changing your password also revokes your 1 API token." in page
    assert "It also revokes your 1 API token." in page
    _token(app.test_client(), user, "two")
    assert "Changing your password also revokes your 2 API tokens." in client.get(
        "/account").get_data(as_text=True)
    token_id = client.get("/api/v1/tokens", headers=one).json["items"][-1]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=one).status_code == 204
    assert "Changing your password also revokes your 1 API token." in client.get(
        "/account").get_data(as_text=True)


def test_tokens_revoked_before_are_not_listed_again(
    client: FlaskClient, app: Flask, signed_in: Callable[..., User]
) -> None:
    user = signed_in()
    old = _token(app.test_client(), user, "old one")
    _token(app.test_client(), user, "current one")
    old_id = client.get("/api/v1/tokens", headers=old).json["items"][-1]["id"]
    client.delete(f"/api/v1/tokens/{old_id}", headers=old)
    page = _change_password(client).get("/account").get_data(as_text=True)
    assert "Revoked 1 API token: current one." in page


def test_a_failed_password_change_revokes_nothing(
    client: FlaskClient, app: Flask, signed_in: Callable[..., User]
) -> None:
    user = signed_in()
    script = _token(app.test_client(), user, "script")
    wrong = client.post("/account/password", data={"current": "not my password",
                                                   "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert wrong.status_code == 403
    assert client.get("/api/v1/me", headers=script).status_code == 200
    assert client.get("/account").status_code == 200


def test_signing_out_everywhere_ends_every_session_and_token(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    login(client, user)
    phone = app.test_client()
    login(phone, user)
    script = _token(app.test_client(), user, "report script")
    page = client.get("/account").get_data(as_text=True)
    assert "Sign out everywhere" in page and "It also revokes your 1 API token." in page

    response = client.post("/account/sign-out-everywhere", follow_redirects=True)

    text = response.get_data(as_text=True)
    assert response.request.path == "/login"
    assert "You are signed out on every device." in text
    assert "Revoked 1 API token: report script." in text
    assert client.get("/account").status_code == 302
    assert phone.get("/account").status_code == 302
    assert client.get("/api/v1/me", headers=script).status_code == 401
    login(client, user)  # the password still works: nothing but the credentials ended


def test_signing_out_of_the_browser_leaves_api_tokens_working(
    client: FlaskClient, app: Flask, signed_in: Callable[..., User]
) -> None:
    """The header's "Sign out" ends browser sessions; scripts keep their tokens (ending those
    is what "Sign out everywhere" and a password change are for)."""
    user = signed_in()
    script = _token(app.test_client(), user, "script")
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302
    assert client.get("/api/v1/me", headers=script).status_code == 200


def test_deactivating_an_account_revokes_its_tokens_for_good(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    employee = make_user(name="Sam")
    script = _token(app.test_client(), employee, "sam's script")
    admin = make_user(Role.ADMIN)
    login(client, admin)
    form = {"name": "Sam", "role": "employee", "department": ""}
    assert client.post(f"/admin/users/{employee.id}", data=form).status_code == 302
    assert client.get("/api/v1/me", headers=script).status_code == 401
    # Switched on again, the account signs in anew; the old token stays revoked.
    assert client.post(f"/admin/users/{employee.id}", data={**form, "active": "y"}
                       ).status_code == 302
    assert client.get("/api/v1/me", headers=script).status_code == 401
    login(app.test_client(), employee)


def test_revocations_are_in_the_audit_log(
    client: FlaskClient, app: Flask, signed_in: Callable[..., User]
) -> None:
    user = signed_in()
    _token(app.test_client(), user, "laptop")
    _change_password(client)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "account.credentials_revoked")).one()
        assert event.actor_id == user.id
        assert event.details == {"user_id": user.id, "reason": "password_changed",
                                 "tokens": ["laptop"]}


def test_admins_read_revocations_in_words_on_the_audit_page(
    client: FlaskClient, app: Flask, signed_in: Callable[..., User],
    make_user: Callable[..., User]
) -> None:
    user = signed_in()
    _token(app.test_client(), user, "laptop")
    _change_password(client)
    admin = make_user(Role.ADMIN)
    reader = app.test_client()
    login(reader, admin)
    page = reader.get("/admin/audit").get_data(as_text=True)
    assert "ended an account's sessions and API tokens" in page
    assert "the password was changed" in page and "password_changed" not in page
    assert "API tokens:</span>" in page and "laptop" in page
