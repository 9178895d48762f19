"""Sharing an approved story: the composer's checks, the share link and "I posted it"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from advocacy import database as db
from advocacy.accounts.models import Role
from advocacy.sharing.models import Share
from tests.conftest import Person, login


def _share(client: FlaskClient, who: Person, story_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/stories/{story_id}/shares", json=body, headers=who.auth)


def _shares(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Share.id))) or 0


def test_a_share_gets_its_own_tracked_link_and_a_share_link(
        client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    sharer = ambassador()
    story = approved()
    answer = _share(client, sharer, story["id"], network="x", text="Proud of line 3 {link} #ops")
    assert answer.status_code == 201, answer.json
    share = answer.json
    assert share["status"] == "opened" and share["network"] == "x"
    tracked = share["tracked_url"]
    assert urlsplit(tracked).path.startswith("/l/") and len(tracked.rsplit("/", 1)[1]) == 8
    assert share["text"] == f"Proud of line 3 {tracked} #ops"
    intent = urlsplit(share["intent_url"])
    assert (intent.netloc, intent.path) == ("x.com", "/intent/tweet")
    assert parse_qs(intent.query)["text"] == [share["text"]]
    again = client.get(f"/api/v1/shares/{share['id']}", headers=sharer.auth).json
    assert again["clicks"] == {"shares": 1, "clicks": 0, "visitors": 0, "previews": 0}
    second = _share(client, sharer, story["id"], network="x", text="Another angle")
    assert second.json["tracked_url"] != tracked
    assert second.json["text"] == f"Another angle {second.json['tracked_url']}"


def test_share_links_for_every_network(client: FlaskClient, ambassador: Callable[..., Person],
                                       approved: Callable[..., dict[str, Any]]) -> None:
    sharer = ambassador()
    story = approved()
    hosts = {"linkedin": "www.linkedin.com", "x": "x.com", "facebook": "www.facebook.com",
             "mastodon": "social.example.org", "bluesky": "bsky.app", "whatsapp": "wa.me"}
    for network, host in hosts.items():
        answer = _share(client, sharer, story["id"], network=network, text="Good one",
                        mastodon_instance="social.example.org")
        assert answer.status_code == 201, (network, answer.json)
        assert urlsplit(answer.json["intent_url"]).netloc == host, network
    mail = _share(client, sharer, story["id"], network="email", text="Have a look").json
    assert mail["intent_url"].startswith("mailto:?subject=")
    # The Mastodon server is remembered for next time.
    later = _share(client, sharer, story["id"], network="mastodon", text="Again, in my words")
    assert urlsplit(later.json["intent_url"]).netloc == "social.example.org"


def test_bad_share_requests_get_specific_errors_and_record_nothing(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    sharer = ambassador()
    story = approved()
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"network": "myspace", "text": "x"}, 422, "unknown_network"),
        ({"network": "X", "text": "x"}, 422, "unknown_network"),
        ({"network": 3, "text": "x"}, 422, "unknown_network"),
        ({"text": "x"}, 422, "unknown_network"),
        ({"network": "x", "text": 5}, 422, "invalid_type"),
        ({"network": "x", "text": "a" * 300}, 422, "text_too_long"),
        ({"network": "bluesky", "text": "é" * 290}, 422, "text_too_long"),
        ({"network": "mastodon", "text": "hi"}, 422, "instance_required"),
        ({"network": "mastodon", "text": "hi", "mastodon_instance": "192.168.1.1"}, 422,
         "invalid_instance"),
        ({"network": "mastodon", "text": "hi", "mastodon_instance": "evil.example:8080"},
         422, "invalid_instance"),
        ({"network": "x", "text": "x", "account_id": 1}, 422, "unknown_account"),
        ({"network": "x", "text": "x", "scheduled_at": "2030-01-01T00:00:00Z"}, 422,
         "scheduling_needs_account"),
        ({"network": "x", "text": "nul\x00"}, 422, "invalid_characters"),
        ({"network": "x", "surprise": 1}, 400, "unknown_fields"),
    ]
    for body, status, code in cases:
        answer = _share(client, sharer, story["id"], **body)
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), body
    assert _shares(app) == 0


def test_too_long_answers_with_the_count_and_the_limit(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    # X counts a link as 23 only when it has a real domain (not "localhost").
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://hub.example.org")
    sharer = ambassador()
    story = approved()
    # 250 characters, then a space and the link that X counts as 23: 274 fits, 281 does not.
    fits = _share(client, sharer, story["id"], network="x", text="a" * 250)
    assert fits.status_code == 201
    over = _share(client, sharer, story["id"], network="x", text="a" * 257)
    assert over.status_code == 422
    details = over.json["error"]["details"]
    assert (details["count"], details["limit"], details["unit"]) == (281, 280, "weighted")
    # CJK characters weigh two on X.
    cjk = _share(client, sharer, story["id"], network="x", text="日" * 130)
    assert cjk.status_code == 422 and cjk.json["error"]["details"]["count"] == 284


def test_only_public_stories_can_be_shared(client: FlaskClient,
                                           ambassador: Callable[..., Person],
                                           person: Callable[..., Person],
                                           submitted: Callable[..., dict[str, Any]],
                                           approved: Callable[..., dict[str, Any]]) -> None:
    sharer = ambassador()
    author = person()
    curator = person(Role.CURATOR)
    in_review = submitted(author)
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    embargoed = approved(author, curator, story=submitted(author), embargo_until=later)
    retracted = approved(author, curator, story=submitted(author))
    assert client.post(f"/api/v1/stories/{retracted['id']}/retract",
                       json={"reason": "Wrong figures"}, headers=curator.auth).status_code == 200
    draft = client.post("/api/v1/stories", data={"title": "Mine", "body": "Secret"},
                        headers=author.auth, content_type="multipart/form-data").json
    for story, status, code in [(embargoed, 409, "embargoed"),
                                (retracted, 409, "no_longer_public"),
                                (draft, 404, "not_found"), (in_review, 404, "not_found")]:
        answer = _share(client, sharer, story["id"], network="x", text="Look")
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code)
    # The author may know their story is in review: for them it is a conflict, not a secret.
    own = client.post("/api/v1/ambassador", json={"opt_in": True}, headers=author.auth)
    assert own.status_code == 200
    answer = _share(client, author, in_review["id"], network="x", text="Look")
    assert (answer.status_code, answer.json["error"]["code"]) == (409, "not_approved")
    assert _share(client, sharer, 999_999, network="x").status_code == 404


def test_only_ambassadors_share(client: FlaskClient, person: Callable[..., Person],
                                approved: Callable[..., dict[str, Any]]) -> None:
    story = approved()
    bystander = person()
    answer = _share(client, bystander, story["id"], network="x", text="Hi")
    assert answer.status_code == 403 and answer.json["error"]["code"] == "not_an_ambassador"


def test_blocking_guidelines_stop_the_share_and_a_disclosure_is_offered(
        client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]], rules: Callable[..., None]) -> None:
    sharer = ambassador()
    story = approved()
    rules({"id": "no-prices", "kind": "phrase", "phrases": ["price list"]},
          {"id": "disclose", "kind": "disclosure", "severity": "warn", "networks": ["x"],
           "text": "#werkenbij"})
    blocked = _share(client, sharer, story["id"], network="x", text="See our price list")
    assert blocked.status_code == 422 and blocked.json["error"]["code"] == "guidelines_block"
    rules_hit = {f["rule"] for f in blocked.json["error"]["details"]["findings"]}
    assert rules_hit == {"no-prices", "disclose"}
    check = client.post(f"/api/v1/stories/{story['id']}/shares/check",
                        json={"network": "x", "text": "Great team"}, headers=sharer.auth).json
    (finding,) = check["findings"]
    assert finding["rule"] == "disclose" and finding["addition"] == "#werkenbij"
    fixed = client.post(f"/api/v1/stories/{story['id']}/shares/check",
                        json={"network": "x", "text": "Great team #werkenbij"},
                        headers=sharer.auth).json
    assert fixed["findings"] == [] and fixed["length"]["fits"] is True
    # Warnings do not stop a share; on LinkedIn the disclosure rule does not apply at all.
    assert _share(client, sharer, story["id"], network="x", text="Great team").status_code == 201
    on_linkedin = client.post(f"/api/v1/stories/{story['id']}/shares/check",
                              json={"network": "linkedin", "text": "Great team"},
                              headers=sharer.auth).json
    assert on_linkedin["findings"] == []


def test_near_identical_texts_are_flagged(client: FlaskClient,
                                          ambassador: Callable[..., Person],
                                          approved: Callable[..., dict[str, Any]]) -> None:
    first, second = ambassador(), ambassador()
    story = approved()
    text = "Our night shift rebuilt packing line 3 in twelve hours. Proud!"
    assert _share(client, first, story["id"], network="x", text=text).status_code == 201
    same = client.post(f"/api/v1/stories/{story['id']}/shares/check",
                       json={"network": "x", "text": text.upper() + "  "},
                       headers=second.auth).json
    assert same["nearly_identical"] is True and same["similarity"] >= 0.9
    other = client.post(f"/api/v1/stories/{story['id']}/shares/check",
                        json={"network": "x", "text": "I loved seeing my colleagues fix it"},
                        headers=second.auth).json
    assert other["nearly_identical"] is False
    elsewhere = client.post(f"/api/v1/stories/{story['id']}/shares/check",
                            json={"network": "linkedin", "text": text},
                            headers=second.auth).json
    assert elsewhere["nearly_identical"] is False


def test_marking_a_share_as_posted(client: FlaskClient, ambassador: Callable[..., Person],
                                   approved: Callable[..., dict[str, Any]]) -> None:
    sharer, other = ambassador(), ambassador()
    story = approved()
    share = _share(client, sharer, story["id"], network="linkedin", text="Hi").json
    for bad in ("javascript:alert(1)", "ftp://x.org/p", "not a url", 7, "https://"):
        answer = client.post(f"/api/v1/shares/{share['id']}/posted", json={"post_url": bad},
                             headers=sharer.auth)
        assert answer.status_code == 422, bad
        assert answer.json["error"]["code"] == "invalid_post_url"
    assert client.post(f"/api/v1/shares/{share['id']}/posted", json={},
                       headers=other.auth).status_code == 404
    assert client.get(f"/api/v1/shares/{share['id']}", headers=other.auth).status_code == 404
    done = client.post(f"/api/v1/shares/{share['id']}/posted",
                       json={"post_url": "https://www.linkedin.com/feed/update/urn:li:share:1"},
                       headers=sharer.auth).json
    assert done["status"] == "posted" and done["posted_at"]
    assert done["post_url"].endswith("urn:li:share:1")


def test_the_composer_page_offers_the_caption_and_keeps_the_text_on_errors(
        client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    sharer = ambassador()
    story = approved(captions={"x": "Curator's words for X"})
    login(client, sharer.user)
    page = client.get(f"/stories/{story['id']}/share?network=x").get_data(as_text=True)
    assert "Curator&#39;s words for X" in page or "Curator's words for X" in page
    long_text = "word " * 70
    response = client.post(f"/stories/{story['id']}/share",
                           data={"network": "x", "text": long_text})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert long_text.strip() in page and "the limit is 280" in page
    check = client.post(f"/stories/{story['id']}/share/check",
                        data={"network": "x", "text": long_text},
                        headers={"X-Requested-With": "fetch"})
    assert check.status_code == 200 and 'class="counter over"' in check.get_data(as_text=True)
    done = client.post(f"/stories/{story['id']}/share", data={"network": "x", "text": "Mine"})
    assert done.status_code == 302 and "/shares/" in done.headers["Location"]
    share_page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "https://x.com/intent/tweet?text=Mine" in share_page


def test_an_embargo_or_a_resubmission_is_not_revealed_to_other_ambassadors(
        client: FlaskClient, ambassador: Callable[..., Person], person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]],
        approved: Callable[..., dict[str, Any]]) -> None:
    sharer = ambassador()
    author, curator = person(), person(Role.CURATOR)
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    embargoed = approved(author, curator, story=submitted(author), embargo_until=later)
    answer = _share(client, sharer, embargoed["id"], network="x", text="Look")
    assert answer.status_code == 409 and answer.json["error"]["details"] == {}
    assert later[:10] not in answer.json["error"]["message"]
    # Withdrawn after approval, then handed in again: in review again, not for others to see.
    story = approved(author, curator, story=submitted(author))
    client.post(f"/api/v1/stories/{story['id']}/withdraw", headers=author.auth)
    client.post(f"/api/v1/stories/{story['id']}/submit", headers=author.auth)
    assert _share(client, sharer, story["id"], network="x", text="Hi").status_code == 404
