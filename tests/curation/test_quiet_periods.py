"""Quiet periods hold an approved story back; photos need consent before submission."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from advocacy.accounts.models import Role
from tests.conftest import Person, photo_bytes


def test_a_quiet_period_with_embargo_holds_the_approved_story_back(
        client: FlaskClient, person: Callable[..., Person], rules: Callable[..., None],
        submitted: Callable[..., dict[str, Any]]) -> None:
    today = date.today()
    end = today + timedelta(days=3)
    rules({"id": "q4-results", "kind": "quiet_period", "severity": "info",
           "start": (today - timedelta(days=1)).isoformat(), "end": end.isoformat(),
           "topics": ["customers"], "action": "embargo"})
    author, curator, colleague = person(), person(Role.CURATOR), person()
    story = submitted(author)
    assert [f["rule"] for f in story["findings"]] == ["q4-results"]
    approved = client.post(f"/api/v1/stories/{story['id']}/review", headers=curator.auth,
                           json={"decision": "approve"})
    assert approved.status_code == 200
    embargo = datetime.fromisoformat(approved.json["embargo_until"])
    assert embargo == datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    assert client.get(f"/api/v1/stories/{story['id']}", headers=colleague.auth
                      ).status_code == 404


def test_a_blocking_quiet_period_stops_submission(
        client: FlaskClient, person: Callable[..., Person], rules: Callable[..., None],
        topics: list[str]) -> None:
    today = date.today().isoformat()
    rules({"id": "merger-talks", "kind": "quiet_period", "start": today, "end": today,
           "topics": [], "action": "block"})
    author = person()
    created = client.post("/api/v1/stories", headers=author.auth,
                          content_type="multipart/form-data",
                          data={"title": "Anything", "body": "At all."})
    response = client.post(f"/api/v1/stories/{created.json['id']}/submit",
                           headers=author.auth)
    assert response.status_code == 422
    assert response.json["error"]["details"]["findings"][0]["rule"] == "merger-talks"


def test_photos_need_the_authors_consent_before_submission(
        client: FlaskClient, person: Callable[..., Person], rules: Callable[..., None],
        topics: list[str]) -> None:
    rules({"id": "consent", "kind": "media", "require_consent": True, "min_width": 100})
    author = person()
    created = client.post("/api/v1/stories", headers=author.auth,
                          content_type="multipart/form-data",
                          data={"title": "Team photo", "body": "All of us.",
                                "media": (io.BytesIO(photo_bytes()), "team.jpg")})
    story_id = created.json["id"]
    refused = client.post(f"/api/v1/stories/{story_id}/submit", headers=author.auth)
    assert refused.status_code == 422
    assert refused.json["error"]["details"]["findings"][0]["rule"] == "consent"
    assert client.patch(f"/api/v1/stories/{story_id}", json={"consent": True},
                        headers=author.auth).status_code == 200
    assert client.post(f"/api/v1/stories/{story_id}/submit",
                       headers=author.auth).status_code == 200
