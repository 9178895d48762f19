"""Listing stories costs a fixed number of SQL queries, whatever the page size.

My stories (GET /stories) and the API list (GET /api/v1/stories) show topics and a
photo per story; those must load in a fixed few queries per page, never one per
story (no N+1). These tests count queries, they never time anything.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.stories.operations import create_story
from tests.conftest import PASSWORD, counting_queries, photo_bytes

STORIES = 30
SMALL, LARGE = 5, 25


@contextmanager
def stories_per_page(app: Flask, per_page: int) -> Iterator[None]:
    previous = app.config["STORIES_PER_PAGE"]
    app.config["STORIES_PER_PAGE"] = per_page
    try:
        yield
    finally:
        app.config["STORIES_PER_PAGE"] = previous


def _write_stories(app: Flask, author: User, topics: list[str]) -> None:
    """``STORIES`` stories with one to three topics each and a photo on every third."""
    with app.app_context():
        user = db.session.get(User, author.id)
        assert user is not None
        for n in range(STORIES):
            photos = []
            if n % 3 == 0:
                photo = io.BytesIO(photo_bytes(size=(320, 240), colour=(n * 8 % 256, 90, 40)))
                photos = [FileStorage(photo, filename=f"photo{n}.jpg", content_type="image/jpeg")]
            create_story(user, title=f"Story {n}", body=f"What happened, part {n}.",
                         topics=topics[: 1 + n % len(topics)], photos=photos,
                         consent=bool(photos))
        db.commit()


def _queries_for(app: Flask, client: FlaskClient, url: str,
                 headers: dict[str, str] | None = None) -> tuple[list[str], bytes]:
    client.get(url, headers=headers)  # warm up: first-use caches must not count
    with counting_queries(app) as statements:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return statements, response.get_data()


def _describe(statements: list[str]) -> str:
    return "\n".join(" ".join(s.split())[:140] for s in statements)


def test_my_stories_page_costs_the_same_queries_at_any_page_size(
    app: Flask, client: FlaskClient, signed_in: Callable[..., User], topics: list[str]
) -> None:
    author = signed_in()
    _write_stories(app, author, topics)

    with stories_per_page(app, SMALL):
        small, small_html = _queries_for(app, client, "/stories?page=1")
    with stories_per_page(app, LARGE):
        large, large_html = _queries_for(app, client, "/stories?page=1")

    assert small_html.count(b'class="story-row"') == SMALL
    assert large_html.count(b'class="story-row"') == LARGE
    assert b"/thumb" in large_html  # the photos really were on the page
    assert len(small) == len(large), (
        f"{len(small)} queries at {SMALL} per page, {len(large)} at {LARGE}:\n"
        f"--- {SMALL} per page\n{_describe(small)}\n--- {LARGE} per page\n{_describe(large)}"
    )


def test_api_story_list_costs_the_same_queries_at_any_page_size(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], topics: list[str]
) -> None:
    author = make_user()
    _write_stories(app, author, topics)
    response = client.post("/api/v1/tokens", json={"email": author.email, "password": PASSWORD})
    assert response.status_code == 201, response.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {response.get_json()['token']}"}

    small, small_body = _queries_for(app, client, f"/api/v1/stories?per_page={SMALL}", headers)
    large, large_body = _queries_for(app, client, f"/api/v1/stories?per_page={LARGE}", headers)

    assert len(json.loads(small_body)["items"]) == SMALL
    items = json.loads(large_body)["items"]
    assert len(items) == LARGE
    assert any(item["media"] for item in items) and all(item["topics"] for item in items)
    assert len(small) == len(large), (
        f"{len(small)} queries at per_page={SMALL}, {len(large)} at per_page={LARGE}:\n"
        f"--- per_page={SMALL}\n{_describe(small)}\n--- per_page={LARGE}\n{_describe(large)}"
    )
