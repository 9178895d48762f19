"""The public story page: OpenGraph card, canonical URL, credit as chosen, 410 once gone."""

from __future__ import annotations

import io
import re
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from advocacy import database as db
from advocacy.accounts.models import CreditChoice, Role, User
from advocacy.stories.models import Story
from tests.conftest import Person, photo_bytes


def meta(page: str, name: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', page)
    return match.group(1) if match else None


def test_the_public_page_carries_the_card(client: FlaskClient, person: Callable[..., Person],
                                          approved: Callable[..., dict[str, Any]],
                                          topics: list[str]) -> None:
    author = person(name="Sanne de Vries")
    created = client.post("/api/v1/stories", headers=author.auth,
                          content_type="multipart/form-data",
                          data={"title": "Line 3 & the night shift", "topics": ["customers"],
                                "body": "In twelve hours the night shift rebuilt line 3. " * 10,
                                "media": [(io.BytesIO(photo_bytes()), "p.jpg")],
                                "consent": "true"}).json
    client.post(f"/api/v1/stories/{created['id']}/submit", headers=author.auth)
    story = approved(author, story=created)
    url = story["public_url"]
    assert re.fullmatch(r"http://localhost/s/line-3-the-night-shift-\d+", url)
    response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert meta(page, "og:title") == "Line 3 &amp; the night shift"
    description = meta(page, "og:description") or ""
    assert description.startswith("In twelve hours") and len(description) <= 200
    image = meta(page, "og:image") or ""
    assert image.startswith("http://localhost/media/") and image.endswith("/card")
    assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("1200", "627")
    assert meta(page, "twitter:card") == "summary_large_image"
    assert f'<link rel="canonical" href="{url}">' in page
    assert "By Sanne de Vries" in page
    card = client.get(image.removeprefix("http://localhost"))
    if card.status_code == 302:  # on S3: a presigned address on the bucket's server
        with urllib.request.urlopen(card.headers["Location"], timeout=10) as fetched:
            assert fetched.headers["Content-Type"] == "image/jpeg"
    else:
        assert card.status_code == 200 and card.mimetype == "image/jpeg"
    # By id it is the same page, with the slug as its canonical address.
    by_id = client.get(f"/s/{story['id']}?utm_source=x").get_data(as_text=True)
    assert f'<link rel="canonical" href="{url}">' in by_id


def test_anonymous_authors_are_not_named(app: Flask, client: FlaskClient,
                                         person: Callable[..., Person],
                                         approved: Callable[..., dict[str, Any]]) -> None:
    author = person(name="Pieter Jansen")
    with app.app_context():
        db.session.execute(update(User).where(User.id == author.user.id)
                           .values(credit_as=CreditChoice.ANONYMOUS))
        db.commit()
    story = approved(author)
    page = client.get(story["public_url"]).get_data(as_text=True)
    assert "Pieter Jansen" not in page and "By a colleague" in page
    assert client.get(f"/api/v1/stories/{story['id']}").status_code == 401
    reader = person()
    seen = client.get(f"/api/v1/stories/{story['id']}", headers=reader.auth).json
    assert seen["author"] == {"id": None, "name": None}


def test_stories_that_are_not_public_are_not_found(client: FlaskClient,
                                                   person: Callable[..., Person],
                                                   submitted: Callable[..., dict[str, Any]],
                                                   approved: Callable[..., dict[str, Any]]) -> None:
    author = person()
    in_review = submitted(author)
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    embargoed = approved(author, story=submitted(author), embargo_until=later)
    for ref in (str(in_review["id"]), str(embargoed["id"]), "no-such-story", "0", "x" * 300):
        assert client.get(f"/s/{ref}").status_code == 404, ref


def test_a_retracted_story_answers_410_with_a_short_explanation(
        client: FlaskClient, person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]], approved: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = approved(author, curator, story=submitted(author))
    assert client.post(f"/api/v1/stories/{story['id']}/retract", json={},
                       headers=curator.auth).json["error"]["code"] == "reason_required"
    assert client.post(f"/api/v1/stories/{story['id']}/retract", json={"reason": "Old"},
                       headers=author.auth).status_code == 403
    retracted = client.post(f"/api/v1/stories/{story['id']}/retract",
                            json={"reason": "The figures were wrong"}, headers=curator.auth)
    assert retracted.status_code == 200 and retracted.json["status"] == "archived"
    again = client.post(f"/api/v1/stories/{story['id']}/retract", json={"reason": "Again"},
                        headers=curator.auth)
    assert again.status_code == 409
    response = client.get(story["public_url"])
    assert response.status_code == 410
    assert "taken this story back" in response.get_data(as_text=True)


def test_an_expired_story_answers_410(app: Flask, client: FlaskClient,
                                      approved: Callable[..., dict[str, Any]]) -> None:
    story = approved(expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    with app.app_context():
        db.session.execute(update(Story).where(Story.id == story["id"])
                           .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        db.commit()
    response = client.get(story["public_url"])
    assert response.status_code == 410
    assert "limited time" in response.get_data(as_text=True)


def test_retraction_asks_every_sharer_to_remove_their_post(
        client: FlaskClient, person: Callable[..., Person],
        ambassador: Callable[..., Person], submitted: Callable[..., dict[str, Any]],
        approved: Callable[..., dict[str, Any]]) -> None:
    author, curator = person(), person(Role.CURATOR)
    first, second, bystander = ambassador(), ambassador(), ambassador()
    story = approved(author, curator, story=submitted(author))
    posted = client.post(f"/api/v1/stories/{story['id']}/shares",
                         json={"network": "linkedin", "text": "Read this"},
                         headers=first.auth).json
    client.post(f"/api/v1/shares/{posted['id']}/posted",
                json={"post_url": "https://www.linkedin.com/feed/update/urn:li:share:7"},
                headers=first.auth)
    client.post(f"/api/v1/stories/{story['id']}/shares", json={"network": "x", "text": "Hi"},
                headers=second.auth)
    client.post(f"/api/v1/stories/{story['id']}/retract",
                json={"reason": "Photo shows a customer who did not agree"}, headers=curator.auth)
    told = client.get("/api/v1/notifications", headers=first.auth).json["items"]
    assert [(n["kind"], n["post_url"]) for n in told] == [
        ("share_retracted", "https://www.linkedin.com/feed/update/urn:li:share:7")]
    assert "Please remove your post" in told[0]["text"] and "LinkedIn" in told[0]["text"]
    (other,) = client.get("/api/v1/notifications", headers=second.auth).json["items"]
    assert other["kind"] == "share_retracted" and other["post_url"] is None
    assert client.get("/api/v1/notifications", headers=bystander.auth).json["items"] == []
    kinds = [n["kind"] for n in
             client.get("/api/v1/notifications", headers=author.auth).json["items"]]
    assert kinds[0] == "retracted"
    from tests.conftest import login

    login(client, first.user)
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "Open your post to remove it" in inbox and "did not agree" in inbox
