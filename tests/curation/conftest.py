"""The curation tests use the shared fixtures of tests/conftest.py (person, submitted, rules)
and this helper."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import Person


def review(client: FlaskClient, who: Person, story: dict[str, Any], **body: Any) -> Any:
    """A curator's decision on ``story`` through the API (``decision``, ``comment``, ...)."""
    return client.post(f"/api/v1/stories/{story['id']}/review", json=body, headers=who.auth)
