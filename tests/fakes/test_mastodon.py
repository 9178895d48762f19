"""The fake Mastodon: app registration, OAuth with S256 PKCE, tokens until revoked, media
that may process, statuses with Idempotency-Key, and Mastodon's rate-limit headers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests_oauthlib import OAuth2Session

from tests.conftest import photo_bytes
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.plugin import consent

CALLBACK = "http://hub.test/accounts/callback/mastodon"
SCOPES = ["write:statuses", "write:media", "profile"]

pytestmark = pytest.mark.usefixtures("oauth_over_http")


def register(fake: FakeMastodon) -> dict[str, Any]:
    answer = requests.post(f"{fake.url}/api/v1/apps", timeout=5, data={
        "client_name": "Advocacy hub", "redirect_uris": CALLBACK, "scopes": " ".join(SCOPES),
        "website": "https://hub.example"})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def connect(fake: FakeMastodon) -> tuple[OAuth2Session, dict[str, Any]]:
    app = register(fake)
    session = OAuth2Session(app["client_id"], redirect_uri=CALLBACK, scope=SCOPES,
                            pkce="S256")
    url, state = session.authorization_url(f"{fake.url}/oauth/authorize")
    back = consent(url)
    assert parse_qs(urlsplit(back).query)["state"] == [state]
    token = session.fetch_token(f"{fake.url}/oauth/token", authorization_response=back,
                                client_secret=app["client_secret"], include_client_id=True)
    return session, {**token, "app": app}


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def test_an_app_registered_on_first_use_connects_with_pkce(fake_mastodon: FakeMastodon
                                                           ) -> None:
    session, token = connect(fake_mastodon)
    assert token["app"]["scopes"] == SCOPES and token["app"]["redirect_uris"] == [CALLBACK]
    assert "expires_in" not in token and "refresh_token" not in token
    me = session.get(f"{fake_mastodon.url}/api/v1/accounts/verify_credentials").json()
    assert (me["id"], me["username"], me["display_name"]) == (
        fake_mastodon.signed_in.id, "eva", "Eva de Vries")
    assert me["url"] == f"{fake_mastodon.url}/@eva"


def test_registration_refuses_a_relative_redirect_address(fake_mastodon: FakeMastodon
                                                          ) -> None:
    answer = requests.post(f"{fake_mastodon.url}/api/v1/apps", timeout=5,
                           json={"client_name": "hub", "redirect_uris": ["/callback"]})
    assert answer.status_code == 422
    assert answer.json() == {"error": "Validation failed: Redirect URI must be an absolute "
                             "URI."}


def test_plain_pkce_and_unregistered_scopes_are_refused(fake_mastodon: FakeMastodon) -> None:
    app = register(fake_mastodon)
    url = f"{fake_mastodon.url}/oauth/authorize"
    base = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": CALLBACK,
            "state": "s1", "scope": "write:statuses"}
    plain = requests.get(url, params={**base, "code_challenge": "abc",
                                      "code_challenge_method": "plain"},
                         allow_redirects=False, timeout=5)
    assert parse_qs(urlsplit(plain.headers["Location"]).query)["error"] == ["invalid_request"]
    wider = requests.get(url, params={**base, "scope": "read write:statuses"},
                         allow_redirects=False, timeout=5)
    assert parse_qs(urlsplit(wider.headers["Location"]).query)["error"] == ["invalid_scope"]


def test_deny_sends_access_denied_with_the_state(fake_mastodon: FakeMastodon) -> None:
    app = register(fake_mastodon)
    session = OAuth2Session(app["client_id"], redirect_uri=CALLBACK, scope=SCOPES, pkce="S256")
    url, state = session.authorization_url(f"{fake_mastodon.url}/oauth/authorize")
    back = parse_qs(urlsplit(consent(url, "deny")).query)
    assert back["error"] == ["access_denied"] and back["state"] == [state]


def test_a_wrong_client_secret_is_invalid_client(fake_mastodon: FakeMastodon) -> None:
    app = register(fake_mastodon)
    answer = requests.post(f"{fake_mastodon.url}/oauth/token", timeout=5, data={
        "grant_type": "authorization_code", "code": "x", "client_id": app["client_id"],
        "client_secret": "guess", "redirect_uri": CALLBACK})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_tokens_last_until_revoked(fake_mastodon: FakeMastodon) -> None:
    session, token = connect(fake_mastodon)
    fake_mastodon.advance(10 * 365 * 86400)
    me = f"{fake_mastodon.url}/api/v1/accounts/verify_credentials"
    assert session.get(me).status_code == 200
    revoked = requests.post(f"{fake_mastodon.url}/oauth/revoke", timeout=5, data={
        "client_id": token["app"]["client_id"], "client_secret": token["app"]["client_secret"],
        "token": token["access_token"]})
    assert (revoked.status_code, revoked.json()) == (200, {})
    gone = session.get(me)
    assert (gone.status_code, gone.json()) == (401, {"error": "The access token is invalid"})


def test_the_same_idempotency_key_gives_the_same_status_once(fake_mastodon: FakeMastodon
                                                             ) -> None:
    token = fake_mastodon.issue_tokens()["access_token"]
    url = f"{fake_mastodon.url}/api/v1/statuses"
    first, again = (requests.post(url, data={"status": "Our story"}, timeout=5,
                                  headers=bearer(token, **{"Idempotency-Key": "share-41"}))
                    for _ in range(2))
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert len(fake_mastodon.posts) == 1 and fake_mastodon.calls("post") == 2
    assert fake_mastodon.posts[0]["idempotency_key"] == "share-41"
    other = requests.post(url, data={"status": "Our story"}, timeout=5,
                          headers=bearer(token, **{"Idempotency-Key": "share-42"}))
    assert other.json()["id"] != first.json()["id"]
    fake_mastodon.advance(3601)
    late = requests.post(url, data={"status": "Our story"}, timeout=5,
                         headers=bearer(token, **{"Idempotency-Key": "share-41"}))
    assert late.json()["id"] != first.json()["id"]
    assert len(fake_mastodon.posts) == 3


def test_a_status_is_500_characters_with_links_counting_23(fake_mastodon: FakeMastodon
                                                           ) -> None:
    token = fake_mastodon.issue_tokens()["access_token"]
    url = f"{fake_mastodon.url}/api/v1/statuses"
    fits = "a" * 476 + " https://example.com/" + "b" * 200
    assert requests.post(url, json={"status": fits}, headers=bearer(token),
                         timeout=5).status_code == 200
    over = requests.post(url, json={"status": "a" * 501}, headers=bearer(token), timeout=5)
    assert (over.status_code, over.json()) == (422, {
        "error": "Validation failed: Text character limit of 500 exceeded"})
    blank = requests.post(url, json={"status": " "}, headers=bearer(token), timeout=5)
    assert blank.json() == {"error": "Validation failed: Text can't be blank"}


def test_a_photo_processed_at_once_goes_with_the_status(fake_mastodon: FakeMastodon) -> None:
    token = fake_mastodon.issue_tokens()["access_token"]
    media = requests.post(f"{fake_mastodon.url}/api/v2/media", headers=bearer(token),
                          files={"file": ("p.jpg", photo_bytes(), "image/jpeg")},
                          data={"description": "Line 3"}, timeout=5)
    assert media.status_code == 200 and media.json()["url"]
    assert media.headers["X-RateLimit-Limit"] == "30"
    status = requests.post(f"{fake_mastodon.url}/api/v1/statuses", headers=bearer(token),
                           json={"status": "photo", "media_ids": [media.json()["id"]]},
                           timeout=5)
    assert status.json()["media_attachments"][0]["description"] == "Line 3"
    assert fake_mastodon.posts[0]["media_ids"] == [media.json()["id"]]


def test_a_photo_still_processing_is_202_then_206_then_200(fake_mastodon: FakeMastodon
                                                           ) -> None:
    fake_mastodon.processing_polls = 1
    token = fake_mastodon.issue_tokens()["access_token"]
    media = requests.post(f"{fake_mastodon.url}/api/v2/media", headers=bearer(token),
                          files={"file": ("p.jpg", photo_bytes(), "image/jpeg")}, timeout=5)
    assert media.status_code == 202 and media.json()["url"] is None
    media_id = media.json()["id"]
    early = requests.post(f"{fake_mastodon.url}/api/v1/statuses", headers=bearer(token),
                          data={"status": "photo", "media_ids[]": [media_id]}, timeout=5)
    assert early.status_code == 422
    polls = [requests.get(f"{fake_mastodon.url}/api/v1/media/{media_id}",
                          headers=bearer(token), timeout=5) for _ in range(2)]
    assert [p.status_code for p in polls] == [206, 200] and polls[1].json()["url"]
    done = requests.post(f"{fake_mastodon.url}/api/v1/statuses", headers=bearer(token),
                         data={"status": "photo", "media_ids[]": [media_id]}, timeout=5)
    assert done.status_code == 200


def test_a_file_that_is_no_image_is_refused(fake_mastodon: FakeMastodon) -> None:
    token = fake_mastodon.issue_tokens()["access_token"]
    media = requests.post(f"{fake_mastodon.url}/api/v2/media", headers=bearer(token),
                          files={"file": ("p.jpg", b"not a photo", "image/jpeg")}, timeout=5)
    assert media.status_code == 422


def test_rate_limit_reset_is_an_iso_time_or_epoch_seconds(fake_mastodon: FakeMastodon) -> None:
    token = fake_mastodon.issue_tokens()["access_token"]
    url = f"{fake_mastodon.url}/api/v1/accounts/verify_credentials"
    iso = requests.get(url, headers=bearer(token), timeout=5).headers
    assert iso["X-RateLimit-Limit"] == "300" and iso["X-RateLimit-Remaining"] == "299"
    assert iso["X-RateLimit-Reset"].endswith("Z")
    fake_mastodon.reset_format = "epoch"
    epoch = requests.get(url, headers=bearer(token), timeout=5).headers
    assert epoch["X-RateLimit-Reset"].isdigit()


def test_a_members_public_statuses_can_be_read_back(fake_mastodon: FakeMastodon) -> None:
    token = fake_mastodon.issue_tokens()["access_token"]
    requests.post(f"{fake_mastodon.url}/api/v1/statuses", headers=bearer(token), timeout=5,
                  data={"status": "Read https://hub.example/s/Ab3dE5gH"})
    statuses = requests.get(
        f"{fake_mastodon.url}/api/v1/accounts/{fake_mastodon.signed_in.id}/statuses",
        timeout=5).json()
    assert [s["id"] for s in statuses] == [fake_mastodon.posts[0]["id"]]
    assert 'href="https://hub.example/s/Ab3dE5gH"' in statuses[0]["content"]
