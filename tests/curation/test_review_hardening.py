"""Bad input on the desk: odd dates, odd versions, withdrawn threads, floods, huge diffs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from advocacy import database as db
from advocacy.accounts.models import Role
from advocacy.audit.models import AuditEvent
from advocacy.curation.diff import diff_words
from tests.conftest import Person, login
from tests.curation.conftest import review


@pytest.mark.parametrize("moment", ["0001-01-01", "9999-12-31T23:59:59-14:00",
                                    "2999-01-01", "0001-01-01T00:00:00+14:00"])
def test_times_out_of_range_are_refused(client: FlaskClient, person: Callable[..., Person],
                                        submitted: Callable[..., dict[str, Any]],
                                        moment: str) -> None:
    story = submitted(person())
    curator = person(Role.CURATOR)
    for field in ("embargo_until", "expires_at"):
        response = review(client, curator, story, decision="approve", **{field: moment})
        assert response.status_code == 422, (field, moment, response.json)
    assert client.get(f"/api/v1/stories/{story['id']}", headers=curator.auth
                      ).json["status"] == "submitted"


def test_a_time_with_an_offset_is_kept_as_the_same_moment(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    story = submitted(person())
    response = review(client, person(Role.CURATOR), story, decision="approve",
                      embargo_until="2027-01-01T09:00:00+05:00")
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json["embargo_until"]) == datetime.fromisoformat(
        "2027-01-01T04:00:00+00:00")


@pytest.mark.parametrize("form", [{"embargo_until": "garbage"},
                                  {"embargo_until": "2026-12-01 09:00"},
                                  {"expires_at": "0001-01-01T00:00"},
                                  {"version": "abc"}])
def test_the_decision_form_refuses_what_it_cannot_read(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]], form: dict[str, str]) -> None:
    story = submitted(person())
    login(client, person(Role.CURATOR).user)
    response = client.post(f"/review/{story['id']}/decide",
                           data={"decision": "approve", **form})
    assert response.status_code == 422
    assert "Nothing was saved" in response.get_data(as_text=True)


def test_a_withdrawn_story_has_no_conversation(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = submitted(author)
    url = f"/api/v1/stories/{story['id']}/comments"
    assert client.post(url, json={"body": "Nice one"}, headers=curator.auth).status_code == 201
    assert client.post(f"/api/v1/stories/{story['id']}/withdraw",
                       headers=author.auth).status_code == 200
    response = client.post(url, json={"body": "Secret new plans"}, headers=author.auth)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_in_conversation"
    assert client.get("/api/v1/notifications", headers=curator.auth).json["unread"] == 0
    assert client.get(url, headers=author.auth).status_code == 200  # the history stays


def test_the_queue_refuses_unknown_and_unstorable_topics(
        client: FlaskClient, person: Callable[..., Person], topics: list[str]) -> None:
    curator = person(Role.CURATOR)
    assert client.get("/api/v1/review-queue?topic=nope", headers=curator.auth
                      ).status_code == 422
    assert client.get("/api/v1/review-queue?topic=%00", headers=curator.auth
                      ).json["error"]["code"] == "invalid_characters"
    assert client.get("/api/v1/review-queue?department=abc", headers=curator.auth
                      ).status_code == 422


def test_comments_are_rate_limited_per_account(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "COMMENT_RATE_LIMIT", "3 per minute")
    author = person()
    story = submitted(author)
    url = f"/api/v1/stories/{story['id']}/comments"
    answers = [client.post(url, json={"body": f"Message {n}"}, headers=author.auth).status_code
               for n in range(4)]
    assert answers == [201, 201, 201, 429]


def test_the_database_refuses_to_delete_audit_events(
        app: Flask, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    submitted(person())
    with app.app_context():
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(delete(AuditEvent))
        db.rollback()
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 1


def test_a_rewrite_of_a_repetitive_text_is_diffed_quickly() -> None:
    diff = diff_words("a " * 5000, "b " * 5000)  # cubic for a naive matcher
    assert "".join(p.text for p in diff.pieces if p.op != "insert") == "a " * 5000
    assert "".join(p.text for p in diff.pieces if p.op != "delete") == "b " * 5000


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300))
def test_a_diff_always_rebuilds_both_texts(old: str, new: str) -> None:
    diff = diff_words(old, new)
    assert "".join(p.text for p in diff.pieces if p.op != "insert") == old
    assert "".join(p.text for p in diff.pieces if p.op != "delete") == new


def test_two_tabs_opening_the_desk_at_once_both_get_the_page(
        app: Flask, person: Callable[..., Person], submitted: Callable[..., dict[str, Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The second tab's presence row meets the first tab's, committed in between."""
    from advocacy.accounts.models import User
    from advocacy.curation import operations
    from advocacy.curation.models import ReviewPresence
    from advocacy.stories.models import Story

    story_ref = submitted(person())
    curator = person(Role.CURATOR)
    with app.app_context():
        story, user = db.session.get(Story, story_ref["id"]), db.session.get(User, curator.user.id)
        assert story is not None and user is not None
        operations.mark_reviewing(user, story)  # the first tab
        db.commit()
        db.session.expunge_all()
        story, user = db.session.get(Story, story_ref["id"]), db.session.get(User, curator.user.id)
        assert story is not None and user is not None
        real_get = db.session.get
        calls: list[object] = []

        def get_missing_once(model: Any, key: Any, **kwargs: Any) -> Any:
            if model is ReviewPresence and not calls:
                calls.append(key)
                return None  # what the second tab saw before the first tab committed
            return real_get(model, key, **kwargs)

        monkeypatch.setattr(db.session, "get", get_missing_once)
        operations.mark_reviewing(user, story)  # the second tab: no IntegrityError escapes
        db.commit()
        assert calls and db.session.scalar(select(func.count()).select_from(ReviewPresence)) == 1
