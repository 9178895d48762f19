"""The fake LinkedIn: OAuth with a client secret, 60-day tokens, the versioned Posts and
Images APIs and their headers, and what LinkedIn refuses."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from requests_oauthlib import OAuth2Session

from tests.conftest import photo_bytes
from tests.fakes.base import Failure
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.plugin import consent

SCOPES = ["openid", "profile", "w_member_social"]
CALLBACK = "http://hub.test/accounts/callback/linkedin"

pytestmark = pytest.mark.usefixtures("oauth_over_http")


def connect(fake: FakeLinkedIn) -> tuple[OAuth2Session, dict[str, Any]]:
    session = OAuth2Session(fake.client_id, redirect_uri=CALLBACK, scope=SCOPES)
    url, state = session.authorization_url(f"{fake.url}/oauth/v2/authorization")
    back = consent(url)
    assert parse_qs(urlsplit(back).query)["state"] == [state]
    token = session.fetch_token(f"{fake.url}/oauth/v2/accessToken", authorization_response=back,
                                client_secret=fake.client_secret, include_client_id=True)
    return session, token


def api(token: str, version: str = "202601") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "LinkedIn-Version": version,
            "X-Restli-Protocol-Version": "2.0.0"}


def post_body(fake: FakeLinkedIn, **content: Any) -> dict[str, Any]:
    body = {"author": f"urn:li:person:{fake.signed_in.id}",
            "commentary": "Our Q3 story is out \\(read it\\)", "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
    return {**body, **({"content": content} if content else {})}


def test_connecting_gives_a_60_day_token_without_refresh(fake_linkedin: FakeLinkedIn,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    # The token answer's scope is comma-joined (UNCONFIRMED): oauthlib takes it as a change of
    # scope and raises unless relaxed (or normalised by a compliance hook).
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    session, token = connect(fake_linkedin)
    assert token["expires_in"] == 5184000 and "refresh_token" not in token
    assert token["id_token"].count(".") == 2
    me = session.get(f"{fake_linkedin.url}/v2/userinfo").json()
    assert me["sub"] == fake_linkedin.signed_in.id and me["name"] == "Eva de Vries"
    assert me["picture"] == fake_linkedin.signed_in.avatar


def test_the_comma_joined_scope_trips_oauthlib_unless_relaxed(fake_linkedin: FakeLinkedIn
                                                              ) -> None:
    with pytest.raises(Warning, match="Scope has changed"):
        connect(fake_linkedin)
    fake_linkedin.scope_separator = " "
    _, token = connect(fake_linkedin)
    assert token["scope"] == SCOPES


def test_deny_uses_linkedins_own_error(fake_linkedin: FakeLinkedIn) -> None:
    session = OAuth2Session(fake_linkedin.client_id, redirect_uri=CALLBACK, scope=SCOPES)
    url, state = session.authorization_url(f"{fake_linkedin.url}/oauth/v2/authorization")
    back = parse_qs(urlsplit(consent(url, "deny")).query)
    assert back["error"] == ["user_cancelled_authorize"] and back["state"] == [state]
    fake_linkedin.deny_error = "access_denied"
    back = parse_qs(urlsplit(consent(url, "deny")).query)
    assert back["error"] == ["access_denied"]


def test_a_wrong_client_secret_is_refused(fake_linkedin: FakeLinkedIn) -> None:
    answer = requests.post(f"{fake_linkedin.url}/oauth/v2/accessToken", timeout=5, data={
        "grant_type": "authorization_code", "code": "x", "redirect_uri": CALLBACK,
        "client_id": fake_linkedin.client_id, "client_secret": "guess"})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_an_approved_app_refreshes_and_the_refresh_token_keeps_its_clock(
        fake_linkedin: FakeLinkedIn) -> None:
    fake_linkedin.issue_refresh_tokens = True
    fake_linkedin.scope_separator = " "
    session, token = connect(fake_linkedin)
    assert token["refresh_token_expires_in"] == 365 * 86400
    fake_linkedin.advance(59 * 86400)
    new = session.refresh_token(f"{fake_linkedin.url}/oauth/v2/accessToken",
                                client_id=fake_linkedin.client_id,
                                client_secret=fake_linkedin.client_secret)
    assert new["expires_in"] == 5184000
    assert new["refresh_token"] == token["refresh_token"]
    assert 305 * 86400 < new["refresh_token_expires_in"] <= 306 * 86400


def test_a_token_stops_working_after_60_days(fake_linkedin: FakeLinkedIn) -> None:
    token = fake_linkedin.issue_tokens()["access_token"]
    fake_linkedin.advance(60 * 86400)
    answer = requests.get(f"{fake_linkedin.url}/v2/userinfo", timeout=5,
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


def test_revocation_when_offered_and_404_when_not(fake_linkedin: FakeLinkedIn) -> None:
    token = fake_linkedin.issue_tokens()["access_token"]
    form = {"token": token, "client_id": fake_linkedin.client_id,
            "client_secret": fake_linkedin.client_secret}
    url = f"{fake_linkedin.url}/oauth/v2/revoke"
    assert requests.post(url, data=form, timeout=5).status_code == 200
    assert token in fake_linkedin.revoked
    fake_linkedin.offers_revocation = False
    assert requests.post(url, data=form, timeout=5).status_code == 404


def test_an_article_with_an_uploaded_thumbnail_is_posted(fake_linkedin: FakeLinkedIn) -> None:
    token = fake_linkedin.issue_tokens()["access_token"]
    owner = f"urn:li:person:{fake_linkedin.signed_in.id}"
    init = requests.post(f"{fake_linkedin.url}/rest/images?action=initializeUpload",
                         json={"initializeUploadRequest": {"owner": owner}},
                         headers=api(token), timeout=5).json()["value"]
    assert init["image"].startswith("urn:li:image:")
    put = requests.put(init["uploadUrl"], data=photo_bytes(), timeout=5,
                       headers={"Authorization": f"Bearer {token}"})
    assert put.status_code == 201
    status = requests.get(f"{fake_linkedin.url}/rest/images/{quote(init['image'])}",
                          headers=api(token), timeout=5)
    assert status.json()["status"] == "AVAILABLE"
    article = {"article": {"source": "https://hub.example/s/Ab3dE5gH", "title": "Q3 story",
                           "description": "Summary", "thumbnail": init["image"]}}
    answer = requests.post(f"{fake_linkedin.url}/rest/posts", timeout=5, headers=api(token),
                           json=post_body(fake_linkedin, **article))
    assert answer.status_code == 201 and answer.content == b""
    urn = answer.headers["x-restli-id"]
    assert urn.startswith("urn:li:share:")
    [post] = fake_linkedin.posts
    assert post["text"] == "Our Q3 story is out (read it)"
    assert post["url"] == f"https://www.linkedin.com/feed/update/{urn}"


def test_a_thumbnail_never_uploaded_is_refused(fake_linkedin: FakeLinkedIn) -> None:
    token = fake_linkedin.issue_tokens()["access_token"]
    article = {"article": {"source": "https://hub.example/s/x", "title": "t",
                           "description": "d", "thumbnail": "urn:li:image:C4E10AQnope"}}
    answer = requests.post(f"{fake_linkedin.url}/rest/posts", timeout=5, headers=api(token),
                           json=post_body(fake_linkedin, **article))
    assert answer.status_code == 422 and fake_linkedin.posts == []


@pytest.mark.parametrize("commentary", ["Read this (now)", "#growth", "mail@me", "a_b"])
def test_unescaped_reserved_characters_are_refused(fake_linkedin: FakeLinkedIn,
                                                   commentary: str) -> None:
    token = fake_linkedin.issue_tokens()["access_token"]
    answer = requests.post(f"{fake_linkedin.url}/rest/posts", timeout=5, headers=api(token),
                           json={**post_body(fake_linkedin), "commentary": commentary})
    assert answer.status_code == 422


def test_a_missing_version_is_400_and_a_retired_one_426(fake_linkedin: FakeLinkedIn) -> None:
    token = fake_linkedin.issue_tokens()["access_token"]
    headers = api(token)
    del headers["LinkedIn-Version"]
    missing = requests.post(f"{fake_linkedin.url}/rest/posts", headers=headers, timeout=5,
                            json=post_body(fake_linkedin))
    assert missing.status_code == 400 and missing.json()["code"] == "VERSION_MISSING"
    fake_linkedin.retired_versions.add("202401")
    retired = requests.post(f"{fake_linkedin.url}/rest/posts", headers=api(token, "202401"),
                            json=post_body(fake_linkedin), timeout=5)
    assert retired.status_code == 426
    assert retired.json() == {"status": 426, "code": "NONEXISTENT_VERSION",
                              "message": "Requested version 202401 is not active"}
    fake_linkedin.fail_next(Failure.RETIRED_VERSION, "post")
    switched = requests.post(f"{fake_linkedin.url}/rest/posts", headers=api(token),
                             json=post_body(fake_linkedin), timeout=5)
    assert switched.status_code == 426 and fake_linkedin.posts == []


def test_finding_own_posts_needs_r_member_social(fake_linkedin: FakeLinkedIn) -> None:
    token = fake_linkedin.issue_tokens()["access_token"]
    requests.post(f"{fake_linkedin.url}/rest/posts", headers=api(token), timeout=5,
                  json=post_body(fake_linkedin))
    author = quote(f"urn:li:person:{fake_linkedin.signed_in.id}")
    url = f"{fake_linkedin.url}/rest/posts?q=author&author={author}&count=10"
    refused = requests.get(url, headers=api(token), timeout=5)
    assert refused.status_code == 403 and refused.json()["serviceErrorCode"] == 100
    reader = fake_linkedin.issue_tokens(scopes="openid profile w_member_social "
                                               "r_member_social")["access_token"]
    found = requests.get(url, headers=api(reader), timeout=5).json()["elements"]
    assert [p["id"] for p in found] == [fake_linkedin.posts[0]["id"]]


def test_no_token_is_linkedins_empty_token_error(fake_linkedin: FakeLinkedIn) -> None:
    answer = requests.get(f"{fake_linkedin.url}/v2/userinfo", timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"message": "Empty oauth2_access_token", "serviceErrorCode": 401,
                             "status": 401}
