"""Helpers for the curation tests: people with API tokens and stories in a given state."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.rulebook.operations import replace_rules
from tests.conftest import PASSWORD


@dataclass
class Person:
    user: User
    auth: dict[str, str]


@pytest.fixture()
def person(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., Person]:
    """``person(role, department=...)``: a new account with a bearer header."""

    def build(role: Role = Role.EMPLOYEE, **kwargs: Any) -> Person:
        user = make_user(role, **kwargs)
        response = client.post("/api/v1/tokens",
                               json={"email": user.email, "password": PASSWORD})
        assert response.status_code == 201, response.json
        return Person(user, {"Authorization": f"Bearer {response.json['token']}"})

    return build


@pytest.fixture()
def submitted(client: FlaskClient, topics: list[str]) -> Callable[..., dict[str, Any]]:
    """``submitted(author, title=..., body=...)``: a story by ``author``, handed in."""

    def build(author: Person, **fields: Any) -> dict[str, Any]:
        data = {"title": "Night shift rebuilt line 3", "topics": ["customers"],
                "body": "In twelve hours the night shift rebuilt packing line 3.", **fields}
        created = client.post("/api/v1/stories", data=data, headers=author.auth,
                              content_type="multipart/form-data")
        assert created.status_code == 201, created.json
        story = client.post(f"/api/v1/stories/{created.json['id']}/submit",
                            headers=author.auth)
        assert story.status_code == 200, story.json
        return dict(story.json)

    return build


@pytest.fixture()
def rules(app: Flask) -> Callable[..., None]:
    """``rules(rule, ...)``: put these rules in force (messages filled in)."""

    def install(*items: dict[str, Any]) -> None:
        complete = [{"severity": "block", "message": {"en": f"Rule {r['id']} (en)",
                                                      "nl": f"Regel {r['id']} (nl)"},
                     "hint": {"en": "Fix it.", "nl": "Los het op."}, **r} for r in items]
        with app.app_context():
            replace_rules(None, json.dumps({"version": 1, "rules": complete}), via="cli")
            db.commit()

    return install
