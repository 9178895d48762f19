"""The review queue and desk pages, light edits shown as a diff, the thread, revisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text, update

from advocacy import database as db
from advocacy.accounts.models import Role
from advocacy.audit.models import AppendOnly, AuditEvent
from advocacy.stories.models import StoryRevision
from tests.conftest import Person, login


def test_queue_is_oldest_first_with_age_filters_counts_and_who_is_looking(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    sales = person(department="Sales")
    ops = person(department="Operations")
    first = submitted(sales, title="First in", topics=["customers"])
    second = submitted(ops, title="Second in", topics=["sustainability"])
    curator, other = person(Role.CURATOR), person(Role.CURATOR)

    queue = client.get("/api/v1/review-queue", headers=curator.auth).json
    assert [s["id"] for s in queue["items"]] == [first["id"], second["id"]]
    assert queue["counts"]["submitted"] == 2 and "draft" not in queue["counts"]
    assert queue["items"][0]["age_seconds"] >= 0
    by_topic = client.get("/api/v1/review-queue?topic=sustainability", headers=curator.auth)
    assert [s["id"] for s in by_topic.json["items"]] == [second["id"]]
    with app.app_context():
        from advocacy.accounts.operations import departments

        sales_id = next(d.id for d in departments() if d.name == "Sales")
    by_department = client.get(f"/api/v1/review-queue?department={sales_id}",
                               headers=curator.auth)
    assert [s["id"] for s in by_department.json["items"]] == [first["id"]]

    # The other curator opens the first story; the queue shows who is looking at it.
    login(client, other.user)
    assert client.get(f"/review/{first['id']}").status_code == 200
    looking = client.get("/api/v1/review-queue", headers=curator.auth).json["items"][0]
    assert looking["reviewers"] == [{"id": other.user.id, "name": other.user.name}]
    # While the page stays open, it says so every minute; the second story now has a looker.
    assert client.post(f"/review/{second['id']}/presence").status_code == 204
    looking = client.get("/api/v1/review-queue", headers=curator.auth).json["items"]
    assert [len(item["reviewers"]) for item in looking] == [1, 1]
    page = client.get("/review").get_data(as_text=True)
    assert "First in" in page and "Second in" in page
    assert page.index("First in") < page.index("Second in")


def test_employees_have_no_review_queue(client: FlaskClient,
                                        person: Callable[..., Person]) -> None:
    employee = person()
    response = client.get("/api/v1/review-queue", headers=employee.auth)
    assert response.status_code == 403


def test_light_edit_is_credited_and_shown_to_the_author_as_a_diff(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(name="Eva Author"), person(Role.CURATOR, name="Cor Curator")
    story = submitted(author, body="The nigth shift rebuilt line 3.")
    login(client, curator.user)
    edited = client.post(f"/review/{story['id']}/edit", data={
        "title": story["title"], "body": "The night shift rebuilt line 3.",
        "version": story["version"]})
    assert edited.status_code == 302
    with app.app_context():
        revisions = list(db.session.scalars(select(StoryRevision).order_by(
            StoryRevision.number)))
        assert [(r.number, r.kind, r.created_by_id) for r in revisions] == [
            (1, "submission", author.user.id), (2, "curator_edit", curator.user.id)]
        assert revisions[0].body == "The nigth shift rebuilt line 3."  # the original stays

    login(client, author.user)
    page = client.get(f"/stories/{story['id']}").get_data(as_text=True)
    assert "Cor Curator" in page
    assert "<del>nigth</del>" in page and "<ins>night</ins>" in page
    inbox = client.get("/api/v1/notifications", headers=author.auth).json
    assert inbox["items"][0]["kind"] == "edited"
    compare = client.get(f"/stories/{story['id']}/revisions?a=1&b=2")
    assert compare.status_code == 200 and "<ins>night</ins>" in compare.get_data(as_text=True)
    assert client.get(f"/stories/{story['id']}/revisions?a=1&b=9").status_code == 404


def test_stale_edit_is_a_conflict_and_keeps_the_text(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = submitted(author)
    login(client, curator.user)
    response = client.post(f"/review/{story['id']}/edit", data={
        "title": "My better title", "body": story["body"], "version": story["version"] - 1})
    assert response.status_code == 409
    assert 'value="My better title"' in response.get_data(as_text=True)


def test_author_and_curators_talk_in_one_thread(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator, bystander = person(), person(Role.CURATOR), person(Role.CURATOR)
    story = submitted(author)
    url = f"/api/v1/stories/{story['id']}/comments"
    asked = client.post(url, json={"body": "Who took the photo?"}, headers=curator.auth)
    assert asked.status_code == 201
    answered = client.post(url, json={"body": "Jan from the night shift."}, headers=author.auth)
    assert answered.status_code == 201
    thread = client.get(url, headers=author.auth).json
    assert [c["body"] for c in thread["items"]] == ["Who took the photo?",
                                                    "Jan from the night shift."]
    # Dialogue, not broadcast: the curator in the conversation hears back, others do not.
    assert client.get("/api/v1/notifications", headers=curator.auth).json["unread"] == 1
    assert client.get("/api/v1/notifications", headers=author.auth).json["unread"] == 1
    assert client.get("/api/v1/notifications", headers=bystander.auth).json["unread"] == 0
    empty = client.post(url, json={"body": "   "}, headers=author.auth)
    assert empty.status_code == 422 and empty.json["error"]["code"] == "empty_comment"
    stranger = person()
    assert client.post(url, json={"body": "Hi"}, headers=stranger.auth).status_code == 404


def test_desk_decision_form_keeps_what_the_curator_typed(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = submitted(author)
    login(client, curator.user)
    response = client.post(f"/review/{story['id']}/decide", data={
        "decision": "approve", "caption_x": "x" * 300, "caption_linkedin": "Kept caption",
        "topics": ["customers"], "version": story["version"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Kept caption" in page and "the limit is 280" in page
    approved = client.post(f"/review/{story['id']}/decide", data={
        "decision": "approve", "caption_linkedin": "Kept caption", "topics": ["customers"],
        "version": story["version"], "embargo_until": "", "expires_at": ""})
    assert approved.status_code == 302


def test_audit_events_cannot_be_changed(app: Flask, client: FlaskClient,
                                        person: Callable[..., Person],
                                        submitted: Callable[..., dict[str, Any]]) -> None:
    submitted(person())
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
        event.action = "story.nothing"
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.rollback()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(update(AuditEvent).values(action="story.nothing"))
        db.rollback()
        assert db.session.execute(text("SELECT action FROM audit_events")).scalar() == (
            "story.submit")


def test_admin_sees_the_audit_log(client: FlaskClient, person: Callable[..., Person],
                                  submitted: Callable[..., dict[str, Any]],
                                  signed_in: Callable[..., Any]) -> None:
    story = submitted(person())
    signed_in(Role.ADMIN)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "submitted a story" in page and f"#{story['id']}" in page


def test_curators_edit_lightly_through_the_api(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = submitted(author, body="We recieved 40 visitors.")
    url = f"/api/v1/stories/{story['id']}/curator-edit"
    edited = client.post(url, json={"body": "We received 40 visitors.",
                                    "version": story["version"]}, headers=curator.auth)
    assert edited.status_code == 200, edited.json
    assert edited.json["body"] == "We received 40 visitors."
    assert edited.json["title"] == story["title"]
    stale = client.post(url, json={"body": "Other", "version": story["version"]},
                        headers=curator.auth)
    assert stale.status_code == 409
    same = client.post(url, json={"body": "We received 40 visitors."}, headers=curator.auth)
    assert same.status_code == 422 and same.json["error"]["code"] == "no_changes"
    revisions = client.get(f"/api/v1/stories/{story['id']}/revisions", headers=author.auth)
    assert [(r["kind"], r["by"]["id"]) for r in revisions.json["items"]] == [
        ("submission", author.user.id), ("curator_edit", curator.user.id)]
