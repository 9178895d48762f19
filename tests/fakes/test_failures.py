"""The failures every fake can be switched to, each answered as its network answers it
(docs/networks.md), and what the fake records when the answer never arrives."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import requests

from tests.fakes.base import Failure, FakeNetwork
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX

NUMBERS = itertools.count()
Post = Callable[..., requests.Response]


def linkedin_post(fake: FakeLinkedIn, token: str, timeout: float = 5) -> requests.Response:
    return requests.post(f"{fake.url}/rest/posts", headers={
        "Authorization": f"Bearer {token}", "LinkedIn-Version": "202601",
        "X-Restli-Protocol-Version": "2.0.0"}, json={
        "author": f"urn:li:person:{fake.signed_in.id}", "commentary": f"Story {next(NUMBERS)}",
        "visibility": "PUBLIC", "distribution": {"feedDistribution": "MAIN_FEED"},
        "lifecycleState": "PUBLISHED"}, timeout=timeout)


def x_post(fake: FakeX, token: str, timeout: float = 5) -> requests.Response:
    return requests.post(f"{fake.url}/2/tweets", headers={"Authorization": f"Bearer {token}"},
                         json={"text": f"Story {next(NUMBERS)}"}, timeout=timeout)


def mastodon_post(fake: FakeMastodon, token: str, timeout: float = 5) -> requests.Response:
    return requests.post(f"{fake.url}/api/v1/statuses",
                         headers={"Authorization": f"Bearer {token}"},
                         data={"status": f"Story {next(NUMBERS)}"}, timeout=timeout)


def bluesky_post(fake: FakeBluesky, token: str, timeout: float = 5) -> requests.Response:
    return requests.post(
        f"{fake.url}/xrpc/com.atproto.repo.createRecord",
        headers={"Authorization": f"Bearer {token}"},
        json={"repo": fake.signed_in.id, "collection": "app.bsky.feed.post",
              "record": {"$type": "app.bsky.feed.post", "text": f"Story {next(NUMBERS)}",
                         "createdAt": "2026-08-20T10:00:00.000Z"}}, timeout=timeout)


NETWORKS: dict[str, tuple[type[FakeNetwork], Post]] = {
    "linkedin": (FakeLinkedIn, linkedin_post), "x": (FakeX, x_post),
    "mastodon": (FakeMastodon, mastodon_post), "bluesky": (FakeBluesky, bluesky_post)}

EXPIRED = {
    "linkedin": (401, {"status": 401, "message": "Invalid access token",
                       "serviceErrorCode": 65600}),
    "x": (401, {"title": "Unauthorized", "detail": "Unauthorized", "type": "about:blank",
                "status": 401}),
    "mastodon": (401, {"error": "The access token is invalid"}),
    "bluesky": (400, {"error": "ExpiredToken", "message": "Token has expired"}),
}


@pytest.fixture(params=list(NETWORKS))
def network(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any, Callable[..., Any]]]:
    """(name, a running fake, post(**requests_kwargs)) with a fresh token for its member."""
    cls, post = NETWORKS[request.param]
    with cls() as fake:
        token = fake.issue_tokens()  # type: ignore[attr-defined]
        value = token.get("access_token") or token["accessJwt"]
        yield request.param, fake, lambda **kw: post(fake, value, **kw)


def test_every_fake_takes_a_post_and_records_it_once(network: Any) -> None:
    name, fake, post = network
    answer = post()
    assert answer.status_code in {200, 201}, answer.text
    assert len(fake.posts) == 1 and fake.calls("post") == 1
    assert fake.posts[0]["text"].startswith("Story ")


def test_an_expired_token_is_answered_in_the_networks_own_words(network: Any) -> None:
    name, fake, post = network
    fake.expire_tokens()
    answer = post()
    assert (answer.status_code, answer.json()) == EXPIRED[name]
    assert fake.posts == []


def test_a_switched_on_expiry_answers_the_same_once(network: Any) -> None:
    name, fake, post = network
    fake.fail_next(Failure.TOKEN_EXPIRED, "post")
    first, second = post(), post()
    assert (first.status_code, first.json()) == EXPIRED[name]
    assert second.status_code in {200, 201}
    assert len(fake.posts) == 1


def test_rate_limited_answers_carry_the_networks_headers(network: Any) -> None:
    name, fake, post = network
    fake.fail_next(Failure.RATE_LIMITED, "post", retry_after=30)
    answer = post()
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "30"
    headers = {k.lower(): v for k, v in answer.headers.items()}
    if name == "linkedin":
        assert not [h for h in headers if "ratelimit" in h or "rate-limit" in h]
        assert answer.json()["status"] == 429
    elif name == "x":
        assert headers["x-rate-limit-remaining"] == "0"
        assert int(headers["x-rate-limit-reset"]) >= int(fake.now()) + 29
        assert answer.json()["status"] == 429
    elif name == "mastodon":
        assert headers["x-ratelimit-remaining"] == "0"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z",
                            headers["x-ratelimit-reset"])
        reset = datetime.fromisoformat(headers["x-ratelimit-reset"].replace("Z", "+00:00"))
        assert reset.timestamp() >= fake.now() + 29
        assert answer.json() == {"error": "Too many requests"}
    else:
        assert headers["ratelimit-remaining"] == "0"
        assert int(headers["ratelimit-reset"]) >= int(fake.now()) + 29
        assert re.fullmatch(r"\d+;w=\d+", headers["ratelimit-policy"])
        assert answer.json() == {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
    assert fake.posts == []


def test_without_retry_after_only_the_reset_headers_say_when(network: Any) -> None:
    name, fake, post = network
    fake.fail_next(Failure.RATE_LIMITED, "post")
    answer = post()
    assert answer.status_code == 429 and "Retry-After" not in answer.headers


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_answered_and_nothing_is_posted(network: Any, status: int) -> None:
    name, fake, post = network
    fake.fail_next(Failure.SERVER_ERROR, "post", status=status)
    assert post().status_code == status
    assert fake.posts == []
    assert post().status_code in {200, 201}


def test_a_slow_answer_outlasts_the_clients_timeout_but_the_post_was_made(network: Any
                                                                          ) -> None:
    name, fake, post = network
    fake.fail_next(Failure.SLOW, "post", seconds=2)
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(timeout=0.3)
    assert len(fake.posts) == 1


def test_a_dropped_connection_leaves_exactly_one_post_behind(network: Any) -> None:
    name, fake, post = network
    fake.fail_next(Failure.DROP_AFTER_ACCEPT, "post")
    with pytest.raises(requests.exceptions.ConnectionError):
        post()
    assert len(fake.posts) == 1 and fake.calls("post") == 1
    assert post().status_code in {200, 201}
    assert len(fake.posts) == 2


def test_chaos_fails_about_the_fraction_asked(network: Any) -> None:
    name, fake, post = network
    fake.chaos(0.5, seed=3)
    statuses = [post().status_code for _ in range(40)]
    failed = [s for s in statuses if s in {429, 500}]
    assert 10 <= len(failed) <= 30
    assert len(fake.posts) == len(statuses) - len(failed)
