"""The author's pre-flight: findings before a curator sees the story; the check API."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.rulebook.operations import replace_rules
from advocacy.stories.models import Story, StoryRevision
from tests.conftest import PASSWORD, login


def bearer(client: FlaskClient, user: User) -> dict[str, str]:
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


def draft(client: FlaskClient, auth: dict[str, str], body: str) -> int:
    created = client.post("/api/v1/stories", data={"title": "Our week", "body": body},
                          headers=auth, content_type="multipart/form-data")
    assert created.status_code == 201, created.json
    return int(created.json["id"])


def test_blocking_findings_stop_submit_with_the_findings(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        rules_in_force: None) -> None:
    auth = bearer(client, make_user())
    story_id = draft(client, auth, "Mail me at jan.jansen@example.org for details.")
    shown = client.get(f"/api/v1/stories/{story_id}", headers=auth).json["findings"]
    assert [f["rule"] for f in shown] == ["personal-data"]
    response = client.post(f"/api/v1/stories/{story_id}/submit", headers=auth)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "guidelines_block"
    finding = error["details"]["findings"][0]
    body = "Mail me at jan.jansen@example.org for details."
    assert finding["rule"] == "personal-data" and finding["severity"] == "block"
    assert [body[s:e] for s, e in finding["spans"]] == ["jan.jansen@example.org"]
    with app.app_context():
        assert db.session.get(Story, story_id).status == "draft"  # type: ignore[union-attr]
        assert db.session.scalars(select(StoryRevision)).first() is None


def test_warnings_need_an_explanation_which_the_curator_sees(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        rules_in_force: None) -> None:
    author = make_user()
    auth = bearer(client, author)
    story_id = draft(client, auth, "De prijsverlaging is fijn voor klanten.")
    refused = client.post(f"/api/v1/stories/{story_id}/submit", headers=auth)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "explanation_required"
    accepted = client.post(f"/api/v1/stories/{story_id}/submit", headers=auth,
                           json={"explanation": "Sales asked me to share this."})
    assert accepted.status_code == 200 and accepted.json["status"] == "submitted"
    with app.app_context():
        revision = db.session.scalars(select(StoryRevision)).one()
        assert revision.explanation == "Sales asked me to share this."
        assert [f["rule"] for f in revision.findings] == ["no-prices"]
    curator = make_user(Role.CURATOR)
    login(client, curator)
    desk = client.get(f"/review/{story_id}").get_data(as_text=True)
    assert "Sales asked me to share this." in desk
    assert '<mark class="finding finding-warn">prijsverlaging</mark>' in desk


def test_submit_on_the_page_saves_the_draft_and_shows_the_findings(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        rules_in_force: None, topics: list[str]) -> None:
    login(client, make_user())
    response = client.post("/stories/new", data={
        "title": "Our week", "body": "Call me on 06-12345678.", "topics": ["customers"],
        "action": "submit"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "saved, but not submitted" in page
    assert '<mark class="finding finding-block">06-12345678</mark>' in page
    with app.app_context():
        story = db.session.scalars(select(Story)).one()
        assert story.status == "draft" and story.body == "Call me on 06-12345678."


def test_live_preflight_returns_the_findings_of_the_typed_text(
        client: FlaskClient, make_user: Callable[..., User], rules_in_force: None) -> None:
    login(client, make_user())
    response = client.post("/guidelines/preflight", data={
        "title": "Prijs", "text": "NL91ABNA0417164300 is my account."})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "Personal data." in fragment and "Prices are for Sales." in fragment
    assert 'data-blocking="1"' in fragment and 'data-warnings="1"' in fragment


def test_check_api(client: FlaskClient, make_user: Callable[..., User],
                   rules_in_force: None) -> None:
    auth = bearer(client, make_user())
    ok = client.post("/api/v1/guidelines/check", json={"text": "All good here."},
                     headers=auth)
    assert ok.status_code == 200 and ok.json == {"findings": [], "blocking": False}
    found = client.post("/api/v1/guidelines/check",
                        json={"text": "Prijsverhoging!", "topics": [], "network": "x"},
                        headers=auth)
    assert found.json["findings"][0]["spans"] == [[0, 14]]
    assert found.json["blocking"] is False
    unknown = client.post("/api/v1/guidelines/check", json={"text": "a", "network": "myspace"},
                          headers=auth)
    assert unknown.status_code == 422 and unknown.json["error"]["code"] == "unknown_network"
    long = client.post("/api/v1/guidelines/check", json={"text": "a" * 60_000}, headers=auth)
    assert long.status_code == 413 and long.json["error"]["code"] == "text_too_long"
    huge = client.post("/api/v1/guidelines/check", json={"text": "a" * 1_100_000},
                       headers=auth)
    assert huge.status_code == 413 and huge.json["error"]["code"] == "too_large"
    assert huge.json["error"]["message"] == "This request is larger than the 1 MB the hub accepts."
    missing = client.post("/api/v1/guidelines/check", json={}, headers=auth)
    assert missing.status_code == 422 and missing.json["error"]["code"] == "missing_field"


def test_only_listed_departments_submit_and_approve_a_restricted_topic(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        topics: list[str]) -> None:
    with app.app_context():
        replace_rules(None, json.dumps({"version": 1, "rules": [{
            "id": "customers-by-sales", "kind": "restricted_topic", "severity": "block",
            "topic": "customers", "departments": ["Sales"],
            "message": {"en": "Only Sales.", "nl": "Alleen Sales."}}]}), via="cli")
        db.commit()

    def story_by(user: User) -> tuple[dict[str, str], int]:
        auth = bearer(client, user)
        created = client.post("/api/v1/stories", headers=auth, content_type="multipart/form-data",
                              data={"title": "A deal", "body": "We won it.",
                                    "topics": ["customers"]})
        return auth, int(created.json["id"])

    ops_auth, ops_story = story_by(make_user(department="Operations"))
    refused = client.post(f"/api/v1/stories/{ops_story}/submit", headers=ops_auth)
    assert refused.status_code == 422
    assert refused.json["error"]["details"]["findings"][0]["rule"] == "customers-by-sales"
    sales_auth, sales_story = story_by(make_user(department="Sales"))
    assert client.post(f"/api/v1/stories/{sales_story}/submit",
                       headers=sales_auth).status_code == 200
    comms = bearer(client, make_user(Role.CURATOR, department="Communications"))
    blocked = client.post(f"/api/v1/stories/{sales_story}/review", headers=comms,
                          json={"decision": "approve"})
    assert blocked.status_code == 422 and blocked.json["error"]["code"] == "guidelines_block"
    sales_curator = bearer(client, make_user(Role.CURATOR, department="Sales"))
    assert client.post(f"/api/v1/stories/{sales_story}/review", headers=sales_curator,
                       json={"decision": "approve"}).status_code == 200
