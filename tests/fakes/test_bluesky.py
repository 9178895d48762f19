"""The fake Bluesky PDS: app-password sessions, ExpiredToken as 400, refresh rotation with a
grace period, blobs within the lexicon's limits, and link facets at UTF-8 byte offsets."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.conftest import photo_bytes
from tests.fakes.bluesky import FakeBluesky, claims_of

LINK = "https://hub.example/s/Ab3dE5gH"


def xrpc(fake: FakeBluesky, method: str) -> str:
    return f"{fake.url}/xrpc/{method}"


def login(fake: FakeBluesky) -> dict[str, Any]:
    answer = requests.post(xrpc(fake, "com.atproto.server.createSession"), timeout=5,
                           json={"identifier": "eva.bsky.social",
                                 "password": "abcd-efgh-ijkl-mnop"})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def facet(text: str, part: str, uri: str) -> dict[str, Any]:
    start = text.encode().index(part.encode())
    return {"index": {"byteStart": start, "byteEnd": start + len(part.encode())},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}]}


def create(fake: FakeBluesky, token: str, **record: Any) -> requests.Response:
    return requests.post(xrpc(fake, "com.atproto.repo.createRecord"), headers=bearer(token),
                         timeout=5, json={"repo": fake.signed_in.id,
                                          "collection": "app.bsky.feed.post",
                                          "record": {"$type": "app.bsky.feed.post",
                                                     "createdAt": "2026-08-20T10:00:00Z",
                                                     **record}})


def upload(fake: FakeBluesky, token: str, content: bytes) -> dict[str, Any]:
    answer = requests.post(xrpc(fake, "com.atproto.repo.uploadBlob"), data=content, timeout=5,
                           headers={**bearer(token), "Content-Type": "image/jpeg"})
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["blob"])


def test_an_app_password_opens_a_session_pointing_at_the_pds(fake_bluesky: FakeBluesky
                                                             ) -> None:
    session = login(fake_bluesky)
    assert session["did"] == fake_bluesky.signed_in.id and session["handle"] == "eva.bsky.social"
    [service] = session["didDoc"]["service"]
    assert service["id"] == "#atproto_pds" and service["serviceEndpoint"] == fake_bluesky.url
    claims = claims_of(session["accessJwt"])
    assert claims["sub"] == session["did"] and claims["exp"] - claims["iat"] == 7200
    profile = requests.get(xrpc(fake_bluesky, "app.bsky.actor.getProfile"), timeout=5,
                           params={"actor": session["did"]}, headers=bearer(session["accessJwt"]))
    assert profile.json()["displayName"] == "Eva de Vries"
    assert profile.json()["avatar"] == fake_bluesky.signed_in.avatar


def test_a_wrong_app_password_is_authentication_required(fake_bluesky: FakeBluesky) -> None:
    answer = requests.post(xrpc(fake_bluesky, "com.atproto.server.createSession"), timeout=5,
                           json={"identifier": "eva.bsky.social", "password": "nope"})
    assert (answer.status_code, answer.json()) == (401, {
        "error": "AuthenticationRequired", "message": "Invalid identifier or password"})


def test_an_expired_access_jwt_is_400_and_refreshing_rotates(fake_bluesky: FakeBluesky
                                                             ) -> None:
    session = login(fake_bluesky)
    fake_bluesky.advance(7201)
    expired = create(fake_bluesky, session["accessJwt"], text="hello")
    assert (expired.status_code, expired.json()) == (400, {
        "error": "ExpiredToken", "message": "Token has expired"})
    refresh = xrpc(fake_bluesky, "com.atproto.server.refreshSession")
    new = requests.post(refresh, headers=bearer(session["refreshJwt"]), timeout=5).json()
    assert new["refreshJwt"] != session["refreshJwt"]
    assert create(fake_bluesky, new["accessJwt"], text="hello").status_code == 200
    # The rotated refresh token still works for two hours, then not.
    assert requests.post(refresh, headers=bearer(session["refreshJwt"]),
                         timeout=5).status_code == 200
    fake_bluesky.advance(7201)
    late = requests.post(refresh, headers=bearer(session["refreshJwt"]), timeout=5)
    assert late.status_code == 400 and late.json()["error"] == "ExpiredToken"
    wrong = requests.post(refresh, headers=bearer(new["accessJwt"]), timeout=5)
    assert wrong.status_code == 400 and wrong.json()["error"] == "InvalidToken"


def test_deleting_the_session_ends_it(fake_bluesky: FakeBluesky) -> None:
    session = login(fake_bluesky)
    deleted = requests.post(xrpc(fake_bluesky, "com.atproto.server.deleteSession"), timeout=5,
                            headers=bearer(session["refreshJwt"]))
    assert deleted.status_code == 200
    assert session["refreshJwt"] in fake_bluesky.revoked
    refreshed = requests.post(xrpc(fake_bluesky, "com.atproto.server.refreshSession"),
                              headers=bearer(session["refreshJwt"]), timeout=5)
    assert refreshed.status_code == 400


def test_a_link_facet_at_byte_offsets_after_emoji_and_an_external_card(
        fake_bluesky: FakeBluesky) -> None:
    token = login(fake_bluesky)["accessJwt"]
    thumb = upload(fake_bluesky, token, photo_bytes())
    text = f"Café 👨‍👩‍👧‍👦 klaar: {LINK}"
    answer = create(fake_bluesky, token, text=text, langs=["nl"],
                    facets=[facet(text, LINK, LINK)],
                    embed={"$type": "app.bsky.embed.external", "external": {
                        "uri": LINK, "title": "Q3", "description": "Summary", "thumb": thumb}})
    assert answer.status_code == 200, answer.text
    [post] = fake_bluesky.posts
    assert post["links"] == [(LINK, LINK)]
    assert answer.json()["uri"] == post["id"]
    assert answer.json()["uri"].startswith(f"at://{fake_bluesky.signed_in.id}/app.bsky.feed"
                                           ".post/")
    assert post["url"] == f"https://bsky.app/profile/eva.bsky.social/post/{post['rkey']}"


def test_character_offsets_link_the_wrong_text(fake_bluesky: FakeBluesky) -> None:
    token = login(fake_bluesky)["accessJwt"]
    text = f"Café: {LINK}"
    start = text.index(LINK)  # a character offset, one short of the byte offset
    wrong = {"index": {"byteStart": start, "byteEnd": start + len(LINK)},
             "features": [{"$type": "app.bsky.richtext.facet#link", "uri": LINK}]}
    assert create(fake_bluesky, token, text=text, facets=[wrong]).status_code == 200
    assert fake_bluesky.posts[0]["links"] == [(" " + LINK[:-1], LINK)]


@pytest.mark.parametrize(("start", "end"), [(1, 2), (0, 99), (3, 3)])
def test_offsets_outside_the_text_or_inside_a_character_are_refused(
        fake_bluesky: FakeBluesky, start: int, end: int) -> None:
    token = login(fake_bluesky)["accessJwt"]
    bad = {"index": {"byteStart": start, "byteEnd": end},
           "features": [{"$type": "app.bsky.richtext.facet#link", "uri": LINK}]}
    answer = create(fake_bluesky, token, text="é is two bytes", facets=[bad])
    assert answer.status_code == 400 and answer.json()["error"] == "InvalidRequest"


def test_text_is_at_most_300_graphemes_and_3000_bytes(fake_bluesky: FakeBluesky) -> None:
    token = login(fake_bluesky)["accessJwt"]
    family = "👨‍👩‍👧‍👦"  # one grapheme, 25 bytes
    assert create(fake_bluesky, token, text="é" * 300).status_code == 200
    assert create(fake_bluesky, token, text="a" * 301).status_code == 400
    assert create(fake_bluesky, token, text=family * 120).status_code == 200
    assert create(fake_bluesky, token, text=family * 121).status_code == 400


def test_images_over_the_lexicon_limit_are_refused_at_posting(fake_bluesky: FakeBluesky
                                                              ) -> None:
    token = login(fake_bluesky)["accessJwt"]
    big = upload(fake_bluesky, token, bytes(2_000_001))
    answer = create(fake_bluesky, token, text="photo", embed={
        "$type": "app.bsky.embed.images", "images": [{"alt": "", "image": big}]})
    assert answer.status_code == 400 and fake_bluesky.posts == []
    thumb = upload(fake_bluesky, token, bytes(1_000_001))
    card = create(fake_bluesky, token, text="card", embed={
        "$type": "app.bsky.embed.external",
        "external": {"uri": LINK, "title": "t", "description": "d", "thumb": thumb}})
    assert card.status_code == 400
    fake_bluesky.blob_limit = 10
    huge = requests.post(xrpc(fake_bluesky, "com.atproto.repo.uploadBlob"), data=bytes(11),
                         timeout=5, headers={**bearer(token), "Content-Type": "image/jpeg"})
    assert huge.status_code == 413


def test_a_blob_of_someone_else_is_not_found(fake_bluesky: FakeBluesky) -> None:
    token = login(fake_bluesky)["accessJwt"]
    blob = {"$type": "blob", "ref": {"$link": "bafkreinope"}, "mimeType": "image/jpeg",
            "size": 3}
    answer = create(fake_bluesky, token, text="x", embed={
        "$type": "app.bsky.embed.images", "images": [{"alt": "", "image": blob}]})
    assert answer.json()["error"] == "BlobNotFound"


def test_posts_carry_ratelimit_headers_and_can_be_listed(fake_bluesky: FakeBluesky) -> None:
    token = login(fake_bluesky)["accessJwt"]
    answer = create(fake_bluesky, token, text=f"Read {LINK}")
    assert answer.headers["RateLimit-Limit"] == "1666"
    assert answer.headers["RateLimit-Policy"] == "1666;w=3600"
    records = requests.get(xrpc(fake_bluesky, "com.atproto.repo.listRecords"), timeout=5,
                           params={"repo": fake_bluesky.signed_in.id,
                                   "collection": "app.bsky.feed.post", "limit": 10}).json()
    assert [r["uri"] for r in records["records"]] == [answer.json()["uri"]]
    assert records["records"][0]["value"]["text"] == f"Read {LINK}"


def test_logging_in_is_limited_to_30_per_5_minutes(fake_bluesky: FakeBluesky) -> None:
    for _ in range(30):
        login(fake_bluesky)
    answer = requests.post(xrpc(fake_bluesky, "com.atproto.server.createSession"), timeout=5,
                           json={"identifier": "eva.bsky.social",
                                 "password": "abcd-efgh-ijkl-mnop"})
    assert answer.status_code == 429 and answer.json()["error"] == "RateLimitExceeded"
    assert answer.headers["RateLimit-Remaining"] == "0"
