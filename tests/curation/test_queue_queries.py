"""The review queue costs a fixed number of SQL queries, whatever the page size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from advocacy.accounts.models import Role
from tests.conftest import Person, counting_queries, login
from tests.stories.test_query_count import stories_per_page


def test_queue_queries_do_not_grow_with_the_page(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]]) -> None:
    for number in range(12):
        submitted(person(department=f"Team {number % 3}"),
                  topics=["customers", "life-at-work"][: 1 + number % 2])
    curator = person(Role.CURATOR)
    login(client, curator.user)
    counts = {}
    for per_page in (3, 12):
        with stories_per_page(app, per_page):
            for url in ("/review", "/api/v1/review-queue"):
                headers = curator.auth if url.startswith("/api") else {}
                client.get(url, headers=headers)  # warm: the rules, the session
                with counting_queries(app) as statements:
                    assert client.get(url, headers=headers).status_code == 200
                counts[(url, per_page)] = len(statements)
    assert counts[("/review", 3)] == counts[("/review", 12)], counts
    assert counts[("/api/v1/review-queue", 3)] == counts[("/api/v1/review-queue", 12)], counts
