"""The fake X: OAuth with PKCE through the consent page, rotating refresh tokens, revocation,
posts with X's duplicate rule, media in both upload styles, and a member's posts."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oauthlib.oauth2 import InvalidGrantError
from requests_oauthlib import OAuth2Session

from tests.conftest import photo_bytes
from tests.fakes.base import Failure
from tests.fakes.plugin import consent
from tests.fakes.x import FakeX

SCOPES = ["tweet.read", "tweet.write", "users.read", "media.write", "offline.access"]
CALLBACK = "http://hub.test/accounts/callback/x"

pytestmark = pytest.mark.usefixtures("oauth_over_http")


def connect(fake: FakeX, scopes: list[str] = SCOPES) -> tuple[OAuth2Session, dict[str, str]]:
    session = OAuth2Session(fake.client_id, redirect_uri=CALLBACK, scope=scopes, pkce="S256")
    url, state = session.authorization_url(f"{fake.url}/i/oauth2/authorize")
    back = consent(url)
    assert parse_qs(urlsplit(back).query)["state"] == [state]
    token = session.fetch_token(f"{fake.url}/2/oauth2/token", authorization_response=back,
                                client_secret=fake.client_secret)
    return session, token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_connecting_with_pkce_gives_a_two_hour_token_and_a_refresh_token(fake_x: FakeX
                                                                         ) -> None:
    session, token = connect(fake_x)
    assert token["expires_in"] == 7200 and token["refresh_token"]
    me = session.get(f"{fake_x.url}/2/users/me", params={"user.fields": "profile_image_url"})
    assert me.json()["data"] == {"id": fake_x.signed_in.id, "name": "Eva de Vries",
                                 "username": "eva",
                                 "profile_image_url": fake_x.signed_in.avatar}
    assert me.headers["x-rate-limit-limit"] == "75"
    assert me.headers["x-rate-limit-remaining"] == "74"


def test_without_offline_access_there_is_no_refresh_token(fake_x: FakeX) -> None:
    _, token = connect(fake_x, SCOPES[:-1])
    assert "refresh_token" not in token


def test_a_wrong_verifier_a_reused_code_and_a_late_code_are_refused(fake_x: FakeX) -> None:
    session = OAuth2Session(fake_x.client_id, redirect_uri=CALLBACK, scope=SCOPES, pkce="S256")
    url, _ = session.authorization_url(f"{fake_x.url}/i/oauth2/authorize")
    code = parse_qs(urlsplit(consent(url)).query)["code"][0]
    auth = (fake_x.client_id, fake_x.client_secret)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    wrong = requests.post(f"{fake_x.url}/2/oauth2/token", auth=auth, timeout=5,
                          data={**form, "code_verifier": "not-the-verifier" * 3})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The code was used by that attempt: single use, even when the attempt failed.
    with pytest.raises(InvalidGrantError):
        session.fetch_token(f"{fake_x.url}/2/oauth2/token", code=code,
                            client_secret=fake_x.client_secret)
    url, _ = session.authorization_url(f"{fake_x.url}/i/oauth2/authorize")
    back = consent(url)
    fake_x.advance(31)
    with pytest.raises(InvalidGrantError):
        session.fetch_token(f"{fake_x.url}/2/oauth2/token", authorization_response=back,
                            client_secret=fake_x.client_secret)


def test_authorising_without_pkce_is_an_error_page(fake_x: FakeX) -> None:
    session = OAuth2Session(fake_x.client_id, redirect_uri=CALLBACK, scope=SCOPES)
    url, _ = session.authorization_url(f"{fake_x.url}/i/oauth2/authorize")
    assert requests.get(url, timeout=5).status_code == 400


def test_a_confidential_client_must_use_basic_auth(fake_x: FakeX) -> None:
    answer = requests.post(f"{fake_x.url}/2/oauth2/token", timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": "x", "client_id": fake_x.client_id})
    assert answer.status_code == 401
    assert answer.json() == {"error": "unauthorized_client",
                             "error_description": "Missing valid authorization header"}


def test_deny_sends_access_denied_with_the_state(fake_x: FakeX) -> None:
    session = OAuth2Session(fake_x.client_id, redirect_uri=CALLBACK, scope=SCOPES, pkce="S256")
    url, state = session.authorization_url(f"{fake_x.url}/2/oauth2/authorize")
    back = parse_qs(urlsplit(consent(url, "deny")).query)
    assert back == {"error": ["access_denied"], "state": [state]}


def test_refresh_tokens_rotate_and_work_once(fake_x: FakeX) -> None:
    session, token = connect(fake_x)
    fake_x.advance(7201)
    assert session.get(f"{fake_x.url}/2/users/me").status_code == 401
    new = session.refresh_token(f"{fake_x.url}/2/oauth2/token",
                                auth=(fake_x.client_id, fake_x.client_secret))
    assert new["refresh_token"] != token["refresh_token"]
    assert session.get(f"{fake_x.url}/2/users/me").status_code == 200
    again = requests.post(f"{fake_x.url}/2/oauth2/token", timeout=5,
                          auth=(fake_x.client_id, fake_x.client_secret),
                          data={"grant_type": "refresh_token",
                                "refresh_token": token["refresh_token"]})
    assert again.status_code == 400
    assert again.json()["error_description"] == "Value passed for the token was invalid."


def test_a_revoked_token_stops_working(fake_x: FakeX) -> None:
    session, token = connect(fake_x)
    answer = requests.post(f"{fake_x.url}/2/oauth2/revoke", timeout=5,
                           auth=(fake_x.client_id, fake_x.client_secret),
                           data={"token": token["access_token"]})
    assert answer.json() == {"revoked": True}
    assert session.get(f"{fake_x.url}/2/users/me").status_code == 401
    assert token["access_token"] in fake_x.revoked
    assert token["refresh_token"] in fake_x.revoked


def test_the_same_text_twice_is_refused_as_duplicate_content(fake_x: FakeX) -> None:
    token = fake_x.issue_tokens()["access_token"]
    text = {"text": "Our Q3 story https://hub.example/s/Ab3dE5gH"}
    first = requests.post(f"{fake_x.url}/2/tweets", json=text, headers=bearer(token), timeout=5)
    assert first.status_code == 201
    data = first.json()["data"]
    assert data["text"].startswith("Our Q3 story https://t.co/")
    assert data["edit_history_post_ids"] == [data["id"]]
    second = requests.post(f"{fake_x.url}/2/tweets", json=text, headers=bearer(token),
                           timeout=5)
    assert second.status_code == 403
    assert second.json() == {"detail": "You are not allowed to create a Tweet with duplicate "
                             "content.", "type": "about:blank", "title": "Forbidden",
                             "status": 403}
    assert len(fake_x.posts) == 1
    fake_x.fail_next(Failure.DUPLICATE, "post")
    third = requests.post(f"{fake_x.url}/2/tweets", json={"text": "new"}, headers=bearer(token),
                          timeout=5)
    assert third.status_code == 403


@pytest.mark.parametrize(("body", "parameter"), [
    ({"text": "a" * 281}, "text"),
    ({"text": "hi", "link": "https://example.com"}, "link"),
    ({"text": "hi", "media": {"media_ids": ["404"]}}, "media.media_ids"),
])
def test_invalid_posts_are_refused_with_problem_json(fake_x: FakeX, body: dict[str, object],
                                                     parameter: str) -> None:
    token = fake_x.issue_tokens()["access_token"]
    answer = requests.post(f"{fake_x.url}/2/tweets", json=body, headers=bearer(token),
                           timeout=5)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["type"] == "https://api.x.com/2/problems/invalid-request"
    assert parameter in answer.json()["errors"][0]["parameters"]


def test_a_url_counts_23_whatever_its_length(fake_x: FakeX) -> None:
    token = fake_x.issue_tokens()["access_token"]
    text = "a" * 256 + " https://example.com/" + "b" * 300
    answer = requests.post(f"{fake_x.url}/2/tweets", json={"text": text}, headers=bearer(token),
                           timeout=5)
    assert answer.status_code == 201


def test_a_photo_uploaded_in_one_request_goes_with_the_post(fake_x: FakeX) -> None:
    token = fake_x.issue_tokens()["access_token"]
    upload = requests.post(f"{fake_x.url}/2/media/upload", headers=bearer(token), timeout=5,
                           files={"media": ("p.jpg", photo_bytes(), "image/jpeg")},
                           data={"media_category": "tweet_image"})
    data = upload.json()["data"]
    assert data["media_key"] == f"3_{data['id']}"
    assert data["image"] == {"image_type": "image/jpeg", "w": 800, "h": 600}
    assert "processing_info" not in data
    post = requests.post(f"{fake_x.url}/2/tweets", headers=bearer(token), timeout=5,
                         json={"text": "with photo", "media": {"media_ids": [data["id"]]}})
    assert post.status_code == 201
    assert fake_x.posts[0]["media_ids"] == [data["id"]]


def test_media_needs_the_media_write_scope(fake_x: FakeX) -> None:
    token = fake_x.issue_tokens(scopes="tweet.read tweet.write users.read")["access_token"]
    upload = requests.post(f"{fake_x.url}/2/media/upload", headers=bearer(token), timeout=5,
                           files={"media": ("p.jpg", photo_bytes(), "image/jpeg")})
    assert upload.status_code == 403


def test_chunked_upload_with_the_dedicated_endpoints(fake_x: FakeX) -> None:
    token = fake_x.issue_tokens()["access_token"]
    content = photo_bytes(size=(1600, 1200))
    init = requests.post(f"{fake_x.url}/2/media/upload/initialize", headers=bearer(token),
                         json={"media_type": "image/jpeg", "total_bytes": len(content),
                               "media_category": "tweet_image"}, timeout=5)
    media_id = init.json()["data"]["id"]
    half = len(content) // 2
    for index, part in enumerate([content[:half], content[half:]]):
        appended = requests.post(f"{fake_x.url}/2/media/upload/{media_id}/append",
                                 headers=bearer(token), data={"segment_index": index},
                                 files={"media": ("blob", part)}, timeout=5)
        assert appended.status_code == 200, appended.text
    final = requests.post(f"{fake_x.url}/2/media/upload/{media_id}/finalize",
                          headers=bearer(token), timeout=5)
    assert final.json()["data"]["size"] == len(content)
    assert "processing_info" not in final.json()["data"]


def test_chunked_upload_in_the_command_style_with_processing(fake_x: FakeX) -> None:
    token = fake_x.issue_tokens()["access_token"]
    content = b"\x00\x00\x00\x18ftypmp42" + bytes(1000)
    url = f"{fake_x.url}/2/media/upload"
    init = requests.post(url, headers=bearer(token), timeout=5, data={
        "command": "INIT", "media_type": "video/mp4", "total_bytes": len(content)})
    media_id = init.json()["data"]["id"]
    assert init.json()["data"]["media_key"].startswith("13_")
    requests.post(url, headers=bearer(token), timeout=5, files={"media": ("b", content)},
                  data={"command": "APPEND", "media_id": media_id, "segment_index": 0})
    short = requests.post(url, headers=bearer(token), timeout=5,
                          data={"command": "FINALIZE", "media_id": media_id})
    assert short.json()["data"]["processing_info"]["state"] == "pending"
    early = requests.post(f"{fake_x.url}/2/tweets", headers=bearer(token), timeout=5,
                          json={"text": "video", "media": {"media_ids": [media_id]}})
    assert early.status_code == 400
    states = [requests.get(url, headers=bearer(token), timeout=5, params={
        "command": "STATUS", "media_id": media_id}).json()["data"]["processing_info"]["state"]
        for _ in range(2)]
    assert states == ["in_progress", "succeeded"]
    post = requests.post(f"{fake_x.url}/2/tweets", headers=bearer(token), timeout=5,
                         json={"text": "video", "media": {"media_ids": [media_id]}})
    assert post.status_code == 201


def test_a_short_chunked_upload_is_refused_at_finalize(fake_x: FakeX) -> None:
    token = fake_x.issue_tokens()["access_token"]
    init = requests.post(f"{fake_x.url}/2/media/upload/initialize", headers=bearer(token),
                         json={"media_type": "image/png", "total_bytes": 10}, timeout=5)
    media_id = init.json()["data"]["id"]
    final = requests.post(f"{fake_x.url}/2/media/upload/{media_id}/finalize",
                          headers=bearer(token), timeout=5)
    assert final.status_code == 400


def test_a_members_posts_show_the_links_they_carry(fake_x: FakeX) -> None:
    token = fake_x.issue_tokens()["access_token"]
    link = "https://hub.example/s/Ab3dE5gH"
    requests.post(f"{fake_x.url}/2/tweets", json={"text": f"Read {link}"},
                  headers=bearer(token), timeout=5)
    answer = requests.get(f"{fake_x.url}/2/users/{fake_x.signed_in.id}/tweets",
                          params={"max_results": 5, "tweet.fields": "entities"},
                          headers=bearer(token), timeout=5)
    [post] = answer.json()["data"]
    assert post["id"] == fake_x.posts[0]["id"]
    assert post["entities"]["urls"][0]["expanded_url"] == link
    assert answer.json()["meta"]["result_count"] == 1


def test_the_post_limit_is_100_per_15_minutes_per_member(fake_x: FakeX) -> None:
    fake_x.set_limit("post", 2, 900)
    token = fake_x.issue_tokens()["access_token"]
    answers = [requests.post(f"{fake_x.url}/2/tweets", json={"text": f"n{i}"},
                             headers=bearer(token), timeout=5) for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[1].headers["x-rate-limit-remaining"] == "0"
    fake_x.advance(901)
    assert requests.post(f"{fake_x.url}/2/tweets", json={"text": "later"},
                         headers=bearer(token), timeout=5).status_code == 201
