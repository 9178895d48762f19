"""Curators decide: approve (topics, embargo, expiry, captions), ask for changes, reject."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from advocacy import database as db
from advocacy.accounts.models import Role
from advocacy.audit.models import AuditEvent
from advocacy.curation.models import Decision
from advocacy.notifications.models import Notification
from advocacy.stories.models import Story
from tests.conftest import Person
from tests.curation.conftest import review


def test_curator_approves_with_topics_embargo_expiry_and_captions(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = submitted(author)
    embargo = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    expiry = embargo + timedelta(days=30)
    response = review(client, curator, story, decision="approve",
                      topics=["customers", "life-at-work"],
                      embargo_until=embargo.isoformat(), expires_at=expiry.isoformat(),
                      captions={"linkedin": "Proud of our night shift.", "x": "Line 3!"})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "approved"
    assert body["topics"] == ["customers", "life-at-work"]
    assert body["captions"] == {"linkedin": "Proud of our night shift.", "x": "Line 3!"}
    assert datetime.fromisoformat(body["embargo_until"]) == embargo
    assert datetime.fromisoformat(body["expires_at"]) == expiry
    # Embargoed: not visible to a colleague yet, although approved.
    colleague = person()
    assert client.get(f"/api/v1/stories/{story['id']}", headers=colleague.auth
                      ).status_code == 404


def test_anything_but_approval_needs_a_comment(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = submitted(author)
    for decision in ("request_changes", "reject"):
        response = review(client, curator, story, decision=decision, comment="  ")
        assert response.status_code == 422
        assert response.json["error"]["code"] == "comment_required"
    assert client.get(f"/api/v1/stories/{story['id']}", headers=author.auth
                      ).json["status"] == "submitted"
    sent_back = review(client, curator, story, decision="request_changes",
                       comment="Please add who was on the shift.")
    assert sent_back.status_code == 200 and sent_back.json["status"] == "changes_requested"


def test_the_author_is_told_in_app_about_the_decision(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = submitted(author)
    review(client, curator, story, decision="reject", comment="Not for outside eyes.")
    listed = client.get("/api/v1/notifications", headers=author.auth).json
    assert listed["unread"] == 1
    assert listed["items"][0]["kind"] == "rejected"
    assert story["title"] in listed["items"][0]["text"]
    assert client.get("/api/v1/notifications", headers=curator.auth).json["unread"] == 0


def test_two_curators_deciding_at_once_one_wins_the_other_gets_a_conflict(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, first, second = person(), person(Role.CURATOR), person(Role.CURATOR)
    story = submitted(author)
    loaded = story["version"]  # both opened the story at this version
    won = review(client, first, story, decision="approve", version=loaded)
    lost = review(client, second, story, decision="reject", comment="No.", version=loaded)
    assert won.status_code == 200
    assert lost.status_code == 409 and lost.json["error"]["code"] == "stale"
    # Without a version the state machine still refuses a second decision.
    again = review(client, second, story, decision="reject", comment="No.")
    assert again.status_code == 409 and again.json["error"]["code"] == "illegal_transition"
    with app.app_context():
        decisions = list(db.session.scalars(select(Decision)))
        assert [d.verdict for d in decisions] == ["approve"]
        assert db.session.get(Story, story["id"]).status == "approved"  # type: ignore[union-attr]


def test_curator_cannot_approve_own_story_unless_the_admin_allows_it(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]], signed_in: Callable[..., Any]) -> None:
    curator = person(Role.CURATOR)
    story = submitted(curator)
    refused = review(client, curator, story, decision="approve")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "own_story"
    signed_in(Role.ADMIN)
    assert client.post("/admin/settings", data={
        "enabled": "curators_may_approve_own_stories"}).status_code == 302
    assert review(client, curator, story, decision="approve").status_code == 200


def test_decisions_are_in_the_append_only_audit_log(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = submitted(author)
    review(client, curator, story, decision="request_changes", comment="Add a photo.")
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        assert [e.action for e in events] == ["story.submit", "story.request_changes"]
        assert events[1].details["comment"] == "Add a photo."
        assert events[1].actor_id == curator.user.id


def test_bad_review_bodies_are_refused_and_change_nothing(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = submitted(author)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"decision": "publish"}, 422, "invalid_decision"),
        ({"decision": "approve", "captions": {"myspace": "hi"}}, 422, "invalid_decision"),
        ({"decision": "approve", "captions": {"x": "x" * 281}}, 422, "invalid_decision"),
        ({"decision": "approve", "captions": ["x"]}, 422, "invalid_type"),
        ({"decision": "approve", "topics": ["no-such-topic"]}, 422, "invalid_decision"),
        ({"decision": "approve", "expires_at": "2001-01-01"}, 422, "invalid_decision"),
        ({"decision": "approve", "expires_at": "tomorrow"}, 422, "invalid_time"),
        ({"decision": "approve", "expires_at": "2030-01-01T10:00:00"}, 422, "invalid_time"),
        ({"decision": "approve", "embargo_until": "2031-01-01",
          "expires_at": "2030-01-01"}, 422, "invalid_decision"),
        ({"decision": "approve", "version": "1"}, 422, "invalid_type"),
        ({"decision": "approve", "surprise": 1}, 400, "unknown_fields"),
    ]
    for body, status, code in cases:
        response = review(client, curator, story, **body)
        assert (response.status_code, response.json["error"]["code"]) == (status, code), body
    with app.app_context():
        stored = db.session.get(Story, story["id"])
        assert stored is not None and stored.status == "submitted"
        assert [t.slug for t in stored.topics] == ["customers"]
        assert db.session.scalars(select(Decision)).first() is None
        assert db.session.scalars(select(Notification)).first() is None


def test_expired_stories_are_hidden_and_archived(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    from advocacy.curation.operations import archive_expired

    author, curator, colleague = person(), person(Role.CURATOR), person()
    story = submitted(author)
    expiry = datetime.now(UTC) + timedelta(hours=1)
    review(client, curator, story, decision="approve", expires_at=expiry.isoformat())
    url = f"/api/v1/stories/{story['id']}"
    assert client.get(url, headers=colleague.auth).status_code == 200
    with app.app_context():
        assert archive_expired(now=expiry + timedelta(seconds=1)) == 1
        db.commit()
    assert client.get(url, headers=author.auth).json["status"] == "archived"
    assert client.get(url, headers=colleague.auth).status_code == 404
