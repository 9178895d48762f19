"""Opting in and out, topics, preferences and the feed (page and API)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from advocacy import database as db
from advocacy.accounts.models import Role
from advocacy.ambassadors.models import Ambassador
from advocacy.audit.models import AuditEvent
from advocacy.sharing.models import Share
from tests.conftest import Person, counting_queries, later, login


def test_the_opt_in_page_says_what_the_hub_will_and_will_never_do(
        client: FlaskClient, person: Callable[..., Person], topics: list[str]) -> None:
    someone = person()
    login(client, someone.user)
    page = client.get("/ambassador").get_data(as_text=True)
    assert "What the hub will do" in page and "What it will never do" in page
    assert "count the clicks" in page and "without you pressing the button yourself" in page
    assert "opting out is one click" in page
    assert client.get("/feed").headers["Location"].endswith("/ambassador")


def test_an_employee_opts_in_on_the_page_with_topics(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        topics: list[str]) -> None:
    someone = person()
    login(client, someone.user)
    response = client.post("/ambassador", data={"topics": ["customers", "life-at-work"]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/feed")
    with app.app_context():
        ambassador = db.session.get(Ambassador, someone.user.id)
        assert ambassador is not None
        assert sorted(t.slug for t in ambassador.topics) == ["customers", "life-at-work"]
        assert db.session.scalar(select(AuditEvent.action)) == "ambassador.opt_in"


def test_unknown_topics_are_refused_by_name(client: FlaskClient, person: Callable[..., Person],
                                            topics: list[str]) -> None:
    someone = person()
    answer = client.post("/api/v1/ambassador", json={"opt_in": True, "topics": ["nope"]},
                         headers=someone.auth)
    assert answer.status_code == 422 and answer.json["error"]["code"] == "invalid_topics"
    assert "nope" in answer.json["error"]["message"]
    assert client.get("/api/v1/ambassador", headers=someone.auth).json["opted_in"] is False


def test_bad_ambassador_bodies_are_refused(client: FlaskClient,
                                           person: Callable[..., Person], topics: list[str],
                                           ) -> None:
    someone = person()
    cases: list[tuple[Any, int, str]] = [
        ({}, 422, "missing_field"),
        ({"opt_in": "yes"}, 422, "invalid_type"),
        ({"opt_in": True, "topics": "customers"}, 422, "invalid_type"),
        ({"opt_in": True, "named_in_reports": 1}, 422, "invalid_type"),
        ({"opt_in": True, "mastodon_instance": "http://127.0.0.1"}, 422, "invalid_instance"),
        ({"opt_in": True, "mastodon_instance": "localhost"}, 422, "invalid_instance"),
        ({"opt_in": True, "mastodon_instance": "mastodon.social/@me"}, 422, "invalid_instance"),
        ({"opt_in": True, "extra": 1}, 400, "unknown_fields"),
    ]
    for body, status, code in cases:
        answer = client.post("/api/v1/ambassador", json=body, headers=someone.auth)
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), body


def test_preferences_remember_the_mastodon_server(client: FlaskClient,
                                                  ambassador: Callable[..., Person]) -> None:
    someone = ambassador()
    answer = client.post("/api/v1/ambassador",
                         json={"opt_in": True, "mastodon_instance": "https://Mastodon.Social/",
                               "named_in_reports": True}, headers=someone.auth)
    assert answer.status_code == 200
    assert answer.json["mastodon_instance"] == "mastodon.social"
    assert answer.json["named_in_reports"] is True and answer.json["topics"] == ["customers"]


def test_the_preferences_page_keeps_what_was_typed_on_a_bad_server_name(
        client: FlaskClient, ambassador: Callable[..., Person]) -> None:
    someone = ambassador()
    login(client, someone.user)
    response = client.post("/ambassador", data={"topics": ["customers"],
                                                 "mastodon_instance": "10.0.0.1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="10.0.0.1"' in page and 'aria-invalid="true"' in page


def test_opting_out_is_one_click_and_keeps_only_anonymous_totals(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    someone = ambassador()
    story = approved()
    share = client.post(f"/api/v1/stories/{story['id']}/shares",
                        json={"network": "linkedin", "text": "Proud of this team"},
                        headers=someone.auth)
    assert share.status_code == 201
    login(client, someone.user)
    response = client.post("/ambassador/opt-out")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Ambassador, someone.user.id) is None
        kept = db.session.scalars(select(Share)).one()
        assert kept.ambassador_id is None and kept.text == "" and kept.network == "linkedin"
        assert kept.department_id == someone.user.department_id
        assert db.session.scalar(select(func.count(Share.id))) == 1
    assert client.get("/api/v1/feed", headers=someone.auth).status_code == 403
    # The tracked link in the post still works: the post is out there.
    code = share.json["tracked_url"].rsplit("/", 1)[1]
    assert client.get(f"/l/{code}").status_code == 302


def test_the_feed_shows_public_stories_on_my_topics_newest_first(
        client: FlaskClient, ambassador: Callable[..., Person], person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]],
        approved: Callable[..., dict[str, Any]]) -> None:
    reader = ambassador(topics=["customers"])
    author = person()
    older = approved(author, story=submitted(author, title="Older customer story"))
    newer = approved(author, story=submitted(author, title="Newer customer story"))
    approved(author, story=submitted(author, title="Other topic", topics=["sustainability"]))
    approved(author, story=submitted(author, title="Not yet"), embargo_until=later(days=2))
    approved(author, story=submitted(author, title="Soon gone"), expires_at=later(days=2))
    submitted(author, title="Still in review")
    feed = client.get("/api/v1/feed", headers=reader.auth).json
    titles = [item["title"] for item in feed["items"]]
    assert titles == ["Soon gone", newer["title"], older["title"]]
    assert feed["has_next"] is False and feed["page"] == 1 and "total" not in feed
    assert all(item["shared_on"] == [] for item in feed["items"])
    # Each links to its public page by slug: the title's words, then the story's id.
    assert feed["items"][1]["public_url"] == (
        f"http://localhost/s/newer-customer-story-{feed['items'][1]['id']}")


def test_the_feed_marks_what_i_shared(client: FlaskClient, ambassador: Callable[..., Person],
                                      approved: Callable[..., dict[str, Any]]) -> None:
    reader = ambassador()
    story = approved()
    for network in ("x", "linkedin"):
        assert client.post(f"/api/v1/stories/{story['id']}/shares",
                           json={"network": network, "text": "Look"},
                           headers=reader.auth).status_code == 201
    (item,) = client.get("/api/v1/feed", headers=reader.auth).json["items"]
    assert item["shared_on"] == ["linkedin", "x"]
    login(client, reader.user)
    page = client.get("/feed").get_data(as_text=True)
    assert "Shared on LinkedIn and X" in page


def test_the_feed_marks_a_new_share_at_once(client: FlaskClient,
                                            ambassador: Callable[..., Person],
                                            approved: Callable[..., dict[str, Any]]) -> None:
    # Marks are cached per reader and latest share: a new share shows on the next page view.
    reader, other = ambassador(), ambassador()
    story = approved()

    def marks(person: Person) -> list[str]:
        (item,) = client.get("/api/v1/feed", headers=person.auth).json["items"]
        return list(item["shared_on"])

    assert marks(reader) == [] and marks(other) == []
    client.post(f"/api/v1/stories/{story['id']}/shares", json={"network": "bluesky"},
                headers=reader.auth)
    assert marks(reader) == ["bluesky"] and marks(other) == []
    client.post(f"/api/v1/stories/{story['id']}/shares", json={"network": "mastodon",
                "mastodon_instance": "mastodon.social"}, headers=reader.auth)
    assert marks(reader) == ["bluesky", "mastodon"]
    login(client, reader.user)
    assert "Shared on Bluesky and Mastodon" in client.get("/feed").get_data(as_text=True)


def test_a_feed_page_past_the_end_is_a_clear_404(client: FlaskClient,
                                                 ambassador: Callable[..., Person],
                                                 approved: Callable[..., dict[str, Any]]) -> None:
    reader = ambassador()
    approved()
    answer = client.get("/api/v1/feed?page=5", headers=reader.auth)
    assert answer.status_code == 404 and answer.json["error"]["code"] == "page_out_of_range"
    assert answer.json["error"]["details"] == {"pages": 1}
    for bad in ("0", "-1", "x", "١"):
        assert client.get(f"/api/v1/feed?page={bad}", headers=reader.auth).status_code == 422
    login(client, reader.user)
    page = client.get("/feed?page=9")
    assert page.status_code == 404 and "There is no page 9" in page.get_data(as_text=True)


def test_curators_and_admins_opt_in_like_anyone(client: FlaskClient,
                                               ambassador: Callable[..., Person]) -> None:
    for role in (Role.CURATOR, Role.ADMIN):
        someone = ambassador(role=role)
        assert client.get("/api/v1/ambassador", headers=someone.auth).json["opted_in"] is True
        assert client.get("/api/v1/feed", headers=someone.auth).status_code == 200



def test_the_feed_costs_the_same_queries_whatever_the_page_size(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        person: Callable[..., Person], submitted: Callable[..., dict[str, Any]],
        approved: Callable[..., dict[str, Any]]) -> None:
    from advocacy.ambassadors.operations import ORDERS
    from advocacy.ambassadors.views import CARDS
    from advocacy.api.sharing import FEED_ITEMS
    from advocacy.sharing.operations import MARKS
    reader = ambassador()
    author = person()
    for n in range(7):
        approved(author, story=submitted(author, title=f"Story {n}"))
    login(client, reader.user)

    def statements(path: str, **kwargs: Any) -> int:
        for cache in (FEED_ITEMS, CARDS, ORDERS, MARKS):
            cache.clear()  # cold caches: the most a request can cost
        with counting_queries(app) as seen:
            assert client.get(path, **kwargs).status_code == 200
        return len(seen)

    api = [statements(f"/api/v1/feed?per_page={n}", headers=reader.auth) for n in (2, 6)]
    assert api[0] == api[1]
    app.config["FEED_PER_PAGE"], before = 2, app.config["FEED_PER_PAGE"]
    try:
        small = statements("/feed")
        app.config["FEED_PER_PAGE"] = 6
        large = statements("/feed")
    finally:
        app.config["FEED_PER_PAGE"] = before
    assert small == large
    # Warm, a page reads no story again: only the window and the reader's own marks.
    warm = client.get("/api/v1/feed?per_page=6", headers=reader.auth)
    assert [item["title"] for item in warm.json["items"]] == [f"Story {n}" for n in
                                                              range(6, 0, -1)]


def test_the_feed_follows_changes_and_the_clock(
        client: FlaskClient, ambassador: Callable[..., Person], person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]], approved: Callable[..., dict[str, Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import advocacy.ambassadors.operations as feed_operations

    reader = ambassador()
    author, curator = person(), person(Role.CURATOR)
    soon = datetime.now(UTC) + timedelta(hours=2)
    first = approved(author, curator, story=submitted(author, title="First"))
    approved(author, curator, story=submitted(author, title="Held back"),
             embargo_until=soon.isoformat())

    def titles() -> list[str]:
        answer = client.get("/api/v1/feed", headers=reader.auth)
        return [item["title"] for item in answer.json["items"]]

    assert titles() == ["First"]
    approved(author, curator, story=submitted(author, title="Second"))
    assert titles() == ["Second", "First"]  # a change to any story: worked out again
    client.post(f"/api/v1/stories/{first['id']}/retract", json={"reason": "Old"},
                headers=curator.auth)
    assert titles() == ["Second"]
    # Nothing changes in the database when an embargo ends: the cached order knows when.
    monkeypatch.setattr(feed_operations, "utcnow", lambda: soon + timedelta(minutes=1))
    assert titles() == ["Second", "Held back"]  # newest approval first
