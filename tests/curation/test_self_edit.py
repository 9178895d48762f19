"""A curator's own story: light edits follow the rule of approval (Admin → Settings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from advocacy.accounts.models import Role
from tests.conftest import Person, login


def allow_self_approval(client: FlaskClient, make_admin: Callable[..., Person]) -> None:
    login(client, make_admin(Role.ADMIN).user)
    assert client.post("/admin/settings", data={
        "enabled": "curators_may_approve_own_stories"}).status_code == 302
    client.post("/logout")


def test_a_curator_cannot_edit_their_own_story_by_default(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    curator = person(Role.CURATOR)
    story = submitted(curator, body="We recieved 40 visitors.")
    api = client.post(f"/api/v1/stories/{story['id']}/curator-edit", headers=curator.auth,
                      json={"body": "We received 400 visitors."})
    assert api.status_code == 403 and api.json["error"]["code"] == "own_story"
    login(client, curator.user)
    desk = client.get(f"/review/{story['id']}").get_data(as_text=True)
    assert "Save edit" not in desk
    assert "This is your own story: another curator checks and edits it." in desk
    page = client.post(f"/review/{story['id']}/edit", data={
        "title": story["title"], "body": "We received 400 visitors."})
    assert page.status_code == 403
    assert "You cannot edit your own story as a curator" in page.get_data(as_text=True)
    unchanged = client.get(f"/api/v1/stories/{story['id']}", headers=curator.auth).json
    assert unchanged["body"] == "We recieved 40 visitors."
    assert unchanged["version"] == story["version"]
    # Another curator's edit of the same story is what the rule asks for.
    colleague = person(Role.CURATOR)
    edited = client.post(f"/api/v1/stories/{story['id']}/curator-edit",
                         headers=colleague.auth, json={"body": "We received 40 visitors."})
    assert edited.status_code == 200, edited.json


def test_a_curator_may_edit_their_own_story_when_the_admin_allows_self_approval(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    curator = person(Role.CURATOR)
    story = submitted(curator, body="We recieved 40 visitors.")
    allow_self_approval(client, person)
    api = client.post(f"/api/v1/stories/{story['id']}/curator-edit", headers=curator.auth,
                      json={"body": "We received 40 visitors."})
    assert api.status_code == 200, api.json
    assert api.json["body"] == "We received 40 visitors."
    login(client, curator.user)
    assert "Save edit" in client.get(f"/review/{story['id']}").get_data(as_text=True)
    page = client.post(f"/review/{story['id']}/edit", data={
        "title": "Forty visitors", "body": "We received 40 visitors."})
    assert page.status_code == 302
    revisions = client.get(f"/api/v1/stories/{story['id']}/revisions", headers=curator.auth)
    assert [r["kind"] for r in revisions.json["items"]] == [
        "submission", "curator_edit", "curator_edit"]
