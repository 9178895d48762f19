"""Tracked links: a 302 to the public page with UTM parameters, clicks counted later by the
worker, people apart from link previews and bots, and no raw address stored anywhere."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from advocacy import database as db
from advocacy.accounts.models import Role
from advocacy.analytics.clicks import recorder, recorder_of
from advocacy.analytics.journal import RedisJournal
from advocacy.analytics.models import Click, VisitorSalt
from advocacy.analytics.storing import ClickStorer
from tests.conftest import Person, counting_queries

CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Mobile Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
LINKEDIN_BOT = "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"
MASTODON = "http.rb/5.1.1 (Mastodon/4.3.2; +https://mastodon.social/) Bot"


def drain(app: Flask) -> int:
    """Hand the waiting clicks to the journal and store them all, as a worker would."""
    with app.app_context():
        recorder().flush()
    return ClickStorer(app).drain()


def _shared(client: FlaskClient, ambassador: Callable[..., Person],
            approved: Callable[..., dict[str, Any]], network: str = "linkedin",
            ) -> tuple[dict[str, Any], dict[str, Any], Person]:
    sharer = ambassador()
    story = approved()
    share = client.post(f"/api/v1/stories/{story['id']}/shares",
                        json={"network": network, "text": "Worth reading"}, headers=sharer.auth)
    assert share.status_code == 201
    return story, share.json, sharer


def _code(share: dict[str, Any]) -> str:
    return str(share["tracked_url"]).rsplit("/", 1)[1]


def test_a_tracked_link_redirects_to_the_public_page_with_utm_parameters(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    story, share, _ = _shared(client, ambassador, approved, "bluesky")
    response = client.get(f"/l/{_code(share)}", headers={"User-Agent": CHROME})
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    target = urlsplit(response.headers["Location"])
    assert target.path == urlsplit(story["public_url"]).path
    assert parse_qs(target.query) == {
        "utm_source": ["bluesky"], "utm_medium": ["advocacy"],
        "utm_campaign": [target.path.rsplit("/", 1)[1]],
        "utm_content": [f"share-{share['id']}"]}
    landing = client.get(response.headers["Location"])
    assert landing.status_code == 200 and story["title"] in landing.get_data(as_text=True)


def test_a_click_is_stored_by_the_worker_not_by_the_redirect(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    _, share, sharer = _shared(client, ambassador, approved)
    client.get(f"/l/{_code(share)}", headers={"User-Agent": CHROME},
               environ_base={"REMOTE_ADDR": "203.0.113.9"})
    with app.app_context():
        assert db.session.scalars(select(Click)).all() == []  # nothing written yet
    drain(app)
    with app.app_context():
        (click,) = db.session.scalars(select(Click)).all()
        assert (click.kind, click.agent, click.share_id) == ("human", None, share["id"])
        assert len(click.visitor) == 32 and "203.0.113.9" not in click.visitor
        stored = " ".join(str(v) for v in (click.visitor, click.referrer_host, click.agent))
        assert "203.0.113" not in stored
    figures = client.get(f"/api/v1/shares/{share['id']}", headers=sharer.auth).json["clicks"]
    assert figures == {"shares": 1, "clicks": 1, "visitors": 1, "previews": 0}


def test_previews_and_bots_are_counted_apart_and_visitors_once(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    _, share, sharer = _shared(client, ambassador, approved)
    code = _code(share)
    visits = [(CHROME, "198.51.100.1"), (CHROME, "198.51.100.1"), (FIREFOX, "198.51.100.2"),
              (LINKEDIN_BOT, "108.174.2.200"), (MASTODON, "192.0.2.7"),
              ("curl/8.5.0", "192.0.2.8"), ("", "192.0.2.9")]
    for agent, address in visits:
        answer = client.get(f"/l/{code}", headers={"User-Agent": agent,
                                                   "Referer": "https://www.linkedin.com/feed/x"},
                            environ_base={"REMOTE_ADDR": address})
        assert answer.status_code == 302
    drain(app)
    with app.app_context():
        kinds = sorted((c.kind, c.agent or "") for c in db.session.scalars(select(Click)))
        hosts = {c.referrer_host for c in db.session.scalars(select(Click))}
    assert kinds == [("bot", "other"), ("bot", "other"), ("human", ""), ("human", ""),
                     ("human", ""), ("preview", "LinkedIn"), ("preview", "Mastodon")]
    assert hosts == {"www.linkedin.com"}  # the host only, never the path
    figures = client.get(f"/api/v1/shares/{share['id']}", headers=sharer.auth).json["clicks"]
    assert figures == {"shares": 1, "clicks": 3, "visitors": 2, "previews": 2}


def test_the_visitor_hash_changes_with_the_day_salt(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    from datetime import UTC, date, datetime

    from advocacy.analytics.clicks import prepare_salts, salt_for, visitor_hash

    with app.app_context():
        prepare_salts(date(2026, 1, 10))
        db.commit()
        days = set(db.session.scalars(select(VisitorSalt.day)))
        assert days == {date(2026, 1, 10), date(2026, 1, 11)}
        prepare_salts(date(2026, 1, 13))  # two days on: the old salts are gone
        db.commit()
        assert date(2026, 1, 10) not in set(db.session.scalars(select(VisitorSalt.day)))
        today = datetime.now(UTC).date()
        first = visitor_hash(salt_for(today), "198.51.100.1", CHROME)
        other = visitor_hash(salt_for(date(2026, 1, 13)), "198.51.100.1", CHROME)
        assert first != other and len(first) == 32


def test_unknown_and_malformed_codes_are_a_404_page(client: FlaskClient) -> None:
    for code in ("AAAAAAAA", "nope", "../etc", "x" * 40, "%00", "é" * 8):
        response = client.get(f"/l/{code}")
        assert response.status_code == 404, code
        assert response.mimetype == "text/html"


def test_a_retracted_storys_link_still_leads_to_its_410_page(
        client: FlaskClient, ambassador: Callable[..., Person], person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]],
        approved: Callable[..., dict[str, Any]]) -> None:
    sharer = ambassador()
    author, curator = person(), person(Role.CURATOR)
    story = approved(author, curator, story=submitted(author))
    share = client.post(f"/api/v1/stories/{story['id']}/shares",
                        json={"network": "x", "text": "Read"}, headers=sharer.auth).json
    client.post(f"/api/v1/stories/{story['id']}/retract", json={"reason": "Outdated"},
                headers=curator.auth)
    response = client.get(f"/l/{_code(share)}")
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 410




def test_the_ambassador_following_their_own_link_is_not_a_click(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    from tests.conftest import login

    _, share, sharer = _shared(client, ambassador, approved)
    login(client, sharer.user)
    assert client.get(f"/l/{_code(share)}", headers={"User-Agent": CHROME}).status_code == 302
    drain(app)
    with app.app_context():
        assert db.session.scalars(select(Click)).all() == []


def test_repeat_visits_are_answered_without_the_database(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    _, share, _ = _shared(client, ambassador, approved)
    code = _code(share)
    first = client.get(f"/l/{code}", headers={"User-Agent": CHROME})
    with counting_queries(app) as statements:
        again = client.get(f"/l/{code}", headers={"User-Agent": FIREFOX},
                           environ_base={"REMOTE_ADDR": "198.51.100.77"})
    assert statements == []
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Cache-Control"] == "no-store"
    drain(app)
    with app.app_context():
        assert len(db.session.scalars(select(Click)).all()) == 2


def test_clicks_wait_while_the_journal_is_down_and_memory_stays_bounded(
        app: Flask, client: FlaskClient, ambassador: Callable[..., Person],
        approved: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    from advocacy.analytics import clicks

    _, share, _ = _shared(client, ambassador, approved)
    keeper = recorder_of(app)
    with monkeypatch.context() as down:
        # A journal nobody answers on: connections to a closed port are refused.
        down.setattr(keeper, "_journal", RedisJournal("redis://127.0.0.1:1/0", max_clicks=100,
                                                      claim_seconds=30))
        down.setattr(keeper, "_journal_pid", os.getpid())
        down.setattr(clicks, "MAX_WAITING", 3)
        for n in range(5):
            answer = client.get(f"/l/{_code(share)}", headers={
                "User-Agent": CHROME, "Referer": f"https://site{n}.example/post"})
            assert answer.status_code == 302  # visitors are sent on all the same
        with app.app_context():
            assert recorder().flush() == 0  # refused: the newest clicks stay in memory
            assert db.session.scalars(select(Click)).all() == []
        assert keeper.waiting() == 3
        assert keeper.dropped == 2
    drain(app)  # the journal is back
    with app.app_context():
        hosts = sorted(c.referrer_host or "" for c in db.session.scalars(select(Click)))
    assert hosts == ["site2.example", "site3.example", "site4.example"]
