"""The page header and page skeletons are rendered once for many readers: what differs per
reader (CSRF token, address, unread count, flashed messages, the feed's cards) must still
be each reader's own."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from advocacy.accounts.models import Role, User
from advocacy.site.chrome import HEADERS, SKELETONS, fill, slot
from tests.conftest import PASSWORD, Person, csrf_token, login


def _signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    return client


def _header_token(html: str) -> str:
    header = html.split("</header>", 1)[0]
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', header))
    assert len(tokens) == 1, tokens  # sign-out and language switch carry the same one
    return tokens.pop()


def test_the_cached_header_carries_each_readers_own_token_and_address(
        csrf_app: Flask, app: Flask, make_user: Callable[..., User]) -> None:
    first, second = make_user(), make_user()
    one, other = _signed_in(csrf_app, first), _signed_in(csrf_app, second)
    HEADERS.clear()
    page_one = one.get("/stories?page=1").get_data(as_text=True)
    page_other = other.get("/stories").get_data(as_text=True)
    assert len(HEADERS.entries) == 1  # one header for both: same page, role and language
    token_one, token_other = _header_token(page_one), _header_token(page_other)
    assert token_one != token_other
    assert 'name="next" value="/stories?page=1"' in page_one
    assert 'name="next" value="/stories"' in page_other
    assert "\x00" not in page_one + page_other  # no slot left unfilled
    # Each token signs its own reader out, and only them.
    assert other.post("/logout", data={"csrf_token": token_one}).status_code == 400
    assert one.post("/logout", data={"csrf_token": token_one}).status_code == 302
    assert other.post("/logout", data={"csrf_token": token_other}).status_code == 302


def test_the_header_follows_role_language_and_unread_count(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]],
        approved: Callable[..., dict[str, Any]]) -> None:
    author = person()
    login(client, author.user)
    page = client.get("/stories").get_data(as_text=True)
    assert "My stories" in page and "Review" not in page and 'class="count"' not in page
    approved(author)  # the author is told
    page = client.get("/stories").get_data(as_text=True)
    assert re.search(r'class="count">1<span class="sr-only"> unread', page)
    client.post("/notifications/read")
    assert 'class="count"' not in client.get("/stories").get_data(as_text=True)
    client.post("/language", data={"language": "nl", "next": "/stories"})
    assert "Mijn verhalen" in client.get("/stories").get_data(as_text=True)
    curator = person(Role.CURATOR)
    login(client, curator.user)
    page = client.get("/stories").get_data(as_text=True)
    # The curator's menu, in the language this browser chose (kept across sign-in).
    assert "Beoordelen" in page and "Rapporten" in page and "Review" not in page


def test_a_cached_feed_page_shows_each_readers_cards_marks_and_messages(
        client: FlaskClient, ambassador: Callable[..., Person], person: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    story = approved()
    first = ambassador()
    assert client.post(f"/api/v1/stories/{story['id']}/shares",
                       json={"network": "x", "text": "Look"},
                       headers=first.auth).status_code == 201
    login(client, first.user)
    SKELETONS.clear()
    mine = client.get("/feed").get_data(as_text=True)
    assert "Shared on X" in mine and story["title"] in mine
    # Someone else opts in on the page: same feed shape, their own message, no marks.
    second = person()
    login(client, second.user)
    landed = client.post("/ambassador", data={"topics": ["customers"]},
                         follow_redirects=True).get_data(as_text=True)
    assert len(SKELETONS.entries) == 1  # the same skeleton served both
    assert "Welcome, ambassador" in landed and story["title"] in landed
    assert "Shared on" not in landed
    again = client.get("/feed").get_data(as_text=True)
    assert "Welcome, ambassador" not in again  # a flashed message shows once
    assert "\x00" not in mine + landed + again


def test_slots_are_filled_in_one_pass() -> None:
    # What goes into a slot is never read for slots again (a title, an address).
    filled = fill(f"<p>{slot('a')}|{slot('b')}</p>", {"a": str(slot("b")), "b": "B"})
    assert filled == "<p>\x00b\x00|B</p>"
