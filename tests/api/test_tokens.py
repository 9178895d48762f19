"""API tokens: an optional expiry (``expires_in``, a default from the settings), what the
listing shows, and the OpenAPI document on both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from advocacy import database as db
from advocacy.accounts.models import ApiToken, User
from advocacy.accounts.operations import MAX_TOKEN_SECONDS
from tests.conftest import PASSWORD

DAY = 24 * 3600


def _create(client: FlaskClient, user: User, **fields: Any) -> Any:
    return client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD,
                                               "name": "script", **fields})


def _days_from_now(stamp: str) -> float:
    return (datetime.fromisoformat(stamp) - datetime.now(UTC)) / timedelta(days=1)


def _expire(app: Flask, token_id: int) -> None:
    """As if the token's time had run out."""
    with app.app_context():
        db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        db.commit()


def test_a_token_expires_after_the_seconds_it_was_given(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    created = _create(client, make_user(), expires_in=3600)
    assert created.status_code == 201
    assert 0.99 * 3600 < _days_from_now(created.json["expires_at"]) * DAY <= 3600
    headers = {"Authorization": f"Bearer {created.json['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    _expire(app, created.json["id"])
    refused = client.get("/api/v1/me", headers=headers)
    unknown = client.get("/api/v1/me", headers={"Authorization": "Bearer adv_unknown"})
    assert refused.status_code == unknown.status_code == 401
    assert refused.json == unknown.json  # an expired token is as good as none
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="advocacy"'


def test_new_tokens_expire_after_the_configured_default(
    client: FlaskClient, app: Flask, make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = make_user()
    assert round(_days_from_now(_create(client, user).json["expires_at"])) == 90
    monkeypatch.setitem(app.config, "TOKEN_EXPIRY_DAYS", 7)
    assert round(_days_from_now(_create(client, user).json["expires_at"])) == 7
    monkeypatch.setitem(app.config, "TOKEN_EXPIRY_DAYS", 0)
    assert _create(client, user).json["expires_at"] is None


def test_expires_in_null_makes_a_token_without_expiry(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    created = _create(client, make_user(), expires_in=None)
    assert created.status_code == 201 and created.json["expires_at"] is None
    assert created.json["expired"] is False


@pytest.mark.parametrize(("value", "code"), [
    (0, "invalid_expiry"), (-60, "invalid_expiry"), (MAX_TOKEN_SECONDS + 1, "invalid_expiry"),
    (1.5, "invalid_type"), ("3600", "invalid_type"), (True, "invalid_type"),
    ([3600], "invalid_type"),
])
def test_an_expiry_out_of_range_or_not_whole_seconds_is_refused(
    client: FlaskClient, make_user: Callable[..., User], value: Any, code: str
) -> None:
    refused = _create(client, make_user(), expires_in=value)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == code
    assert "expires_in" in refused.json["error"]["details"]["fields"]


def test_the_longest_expiry_is_accepted(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    created = _create(client, make_user(), expires_in=MAX_TOKEN_SECONDS)
    assert created.status_code == 201 and round(_days_from_now(created.json["expires_at"])) == 366


def test_the_listing_shows_created_last_used_expiry_and_revoked_state(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    current = _create(client, user, name="current").json
    _create(client, user, name="revoked")
    _create(client, user, name="expired", expires_in=60)
    headers = {"Authorization": f"Bearer {current['token']}"}
    listed = {t["name"]: t for t in client.get("/api/v1/tokens", headers=headers).json["items"]}
    client.delete(f"/api/v1/tokens/{listed['revoked']['id']}", headers=headers)
    _expire(app, listed["expired"]["id"])

    listed = {t["name"]: t for t in client.get("/api/v1/tokens", headers=headers).json["items"]}

    assert set(listed) == {"current", "revoked", "expired"}
    assert all(t["created_at"] for t in listed.values())
    assert listed["current"]["last_used_at"] is not None  # it made these requests
    assert listed["revoked"]["last_used_at"] is None
    assert (listed["current"]["revoked"], listed["current"]["expired"]) == (False, False)
    assert listed["revoked"]["revoked"] is True and listed["revoked"]["revoked_at"]
    assert listed["expired"]["expired"] is True and listed["expired"]["revoked"] is False
    assert round(_days_from_now(listed["current"]["expires_at"])) == 90
    assert "token" not in listed["current"]


def test_the_openapi_document_describes_expiry(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    post = document["paths"]["/tokens"]["post"]
    expires_in = post["requestBody"]["content"]["application/json"]["schema"]["properties"][
        "expires_in"]
    assert expires_in["type"] == ["integer", "null"]
    assert (expires_in["minimum"], expires_in["maximum"]) == (1, MAX_TOKEN_SECONDS)
    assert "invalid_expiry" in post["responses"]["422"]["description"]
    token = document["components"]["schemas"]["Token"]["properties"]
    assert {"expires_at", "expired", "revoked", "revoked_at", "last_used_at"} <= set(token)


def test_the_account_page_offers_lifetimes_with_the_default_chosen(
    client: FlaskClient, app: Flask, signed_in: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed_in()
    page = client.get("/account").get_data(as_text=True)
    for option in ('<option value="30">30 days</option>',
                   '<option selected value="90">90 days</option>',
                   '<option value="365">1 year</option>',
                   '<option value="never">Never (until revoked)</option>'):
        assert option in page
    monkeypatch.setitem(app.config, "TOKEN_EXPIRY_DAYS", 14)
    assert '<option selected value="14">14 days</option>' in client.get(
        "/account").get_data(as_text=True)
    monkeypatch.setitem(app.config, "TOKEN_EXPIRY_DAYS", 0)
    assert '<option selected value="never">' in client.get("/account").get_data(as_text=True)


def test_the_account_page_makes_a_token_with_the_chosen_lifetime(
    client: FlaskClient, app: Flask, signed_in: Callable[..., User]
) -> None:
    signed_in()
    page = client.post("/account/tokens", data={"name": "laptop", "expires": "30"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # The page gives the date in the hub's time zone.
    expected = (datetime.now(ZoneInfo(app.config["TIMEZONE"])) + timedelta(days=30)).strftime(
        "%b %-d, %Y")
    assert "laptop" in text and f"expires {expected}" in text and "never used" in text
    forever = client.post("/account/tokens", data={"name": "build server", "expires": "never"})
    assert "does not expire" in forever.get_data(as_text=True)
    forged = client.post("/account/tokens", data={"name": "odd", "expires": "100000"})
    assert forged.status_code == 422 and "Not a valid choice" in forged.get_data(as_text=True)


def test_the_account_page_shows_expired_and_revoked_tokens_without_a_revoke_button(
    client: FlaskClient, app: Flask, signed_in: Callable[..., User]
) -> None:
    user = signed_in()
    token = _create(client, user, name="old script").json
    _expire(app, token["id"])
    page = client.get("/account").get_data(as_text=True)
    assert ">expired<" in page and "expired " in page
    assert f"/account/tokens/{token['id']}/revoke" not in page
