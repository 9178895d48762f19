"""Writing, editing, submitting and withdrawing a story in the browser pages."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.stories.models import Story
from tests.conftest import photo_bytes, stored_files


def _story_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {"title": "Our new bakery line", "body": "It smells great.",
                               "topics": ["customers"], "action": "save"}
    data.update(overrides)
    return data


def _story_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Story.id))) or 0


def test_employee_writes_a_draft_with_a_photo_and_sees_it_on_my_stories(
    client: FlaskClient, signed_in: Callable[..., User], topics: list[str], app: Flask
) -> None:
    signed_in()
    response = client.post("/stories/new", data=_story_form(
        photos=[(io.BytesIO(photo_bytes(exif_gps=True)), "IMG_0001.jpg")], consent="y"),
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Our new bakery line" in page
    assert "location" in page  # the author is told the location was removed
    mine = client.get("/stories").get_data(as_text=True)
    assert "Our new bakery line" in mine and "Draft" in mine
    image = re.search(r'src="(/media/\d+/thumb)"', mine)
    assert image, mine
    thumb = client.get(image.group(1))
    assert thumb.status_code in (200, 302)


def test_submit_then_withdraw_then_edit_again(
    client: FlaskClient, signed_in: Callable[..., User], topics: list[str], app: Flask
) -> None:
    signed_in()
    response = client.post("/stories/new", data=_story_form(action="submit"))
    story_url = response.headers["Location"]
    assert "Submitted" in client.get(story_url).get_data(as_text=True)
    story_id = int(story_url.rsplit("/", 1)[1])
    assert client.get(f"/stories/{story_id}/edit").status_code == 409
    assert client.post(f"/stories/{story_id}/withdraw").status_code == 302
    assert "Withdrawn" in client.get(story_url).get_data(as_text=True)
    response = client.post(f"/stories/{story_id}/edit",
                           data=_story_form(title="Our new bakery line, take two"))
    assert response.status_code == 302
    assert "take two" in client.get(story_url).get_data(as_text=True)
    assert client.post(f"/stories/{story_id}/withdraw").status_code == 409


def test_a_rejected_photo_keeps_the_text_and_leaves_nothing_behind(
    client: FlaskClient, signed_in: Callable[..., User], topics: list[str], app: Flask
) -> None:
    signed_in()
    before = stored_files(app)
    response = client.post("/stories/new", data=_story_form(
        title="Kept title", body="Kept body text",
        photos=[(io.BytesIO(photo_bytes()), "good.jpg"),
                (io.BytesIO(b"just some text"), "photo.jpg")]),
        content_type="multipart/form-data")
    assert response.status_code == 415
    html = response.get_data(as_text=True)
    assert "Kept title" in html and "Kept body text" in html
    assert "is not a photo" in html
    assert _story_count(app) == 0
    assert stored_files(app) == before


def test_someone_elses_draft_is_not_found(
    client: FlaskClient, make_user: Callable[..., User], signed_in: Callable[..., User],
    topics: list[str], app: Flask
) -> None:
    from tests.conftest import login

    author = make_user()
    login(client, author)
    story_url = client.post("/stories/new", data=_story_form()).headers["Location"]
    client.post("/logout")
    signed_in(Role.CURATOR)
    assert client.get(story_url).status_code == 404
    assert client.get(story_url + "/edit").status_code == 404


def _bad_uploads() -> dict[str, tuple[list[tuple[io.BytesIO, str]], int, str]]:
    from tests.api.test_stories_api import SVG, _truncated_jpeg, bomb_png

    def one(data: bytes, name: str = "photo.jpg") -> list[tuple[io.BytesIO, str]]:
        return [(io.BytesIO(data), name)]

    return {
        "text-as-jpg": (one(b"not a photo"), 415, "is not a photo"),
        "truncated": (one(_truncated_jpeg()), 422, "damaged or incomplete"),
        "bomb": (one(bomb_png(), "bomb.png"), 422, "megapixels"),
        "svg": (one(SVG, "logo.svg"), 415, "SVG drawing"),
        "empty": (one(b"", "empty.jpg"), 422, "is empty"),
        "dotdot": (one(photo_bytes(), "../../x.jpg"), 400, "is not allowed"),
        "too-many": ([(io.BytesIO(photo_bytes()), f"{i}.jpg") for i in range(11)], 422,
                     "at most 10 photos"),
    }


@pytest.mark.parametrize("case", list(_bad_uploads()))
def test_every_bad_upload_in_the_form_keeps_the_text_and_stores_nothing(
    client: FlaskClient, signed_in: Callable[..., User], topics: list[str], app: Flask,
    case: str
) -> None:
    files, status, message = _bad_uploads()[case]
    signed_in()
    before = stored_files(app)
    response = client.post("/stories/new", data=_story_form(
        title="Title I typed", body="Body I typed with care", topics=["customers"],
        photos=files), content_type="multipart/form-data")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Title I typed"' in html and "Body I typed with care" in html
    assert re.search(r'value="customers"[^>]*checked|checked[^>]*value="customers"', html)
    assert _story_count(app) == 0 and stored_files(app) == before


def test_empty_title_and_body_are_both_reported_beside_their_fields(
    client: FlaskClient, signed_in: Callable[..., User], topics: list[str], app: Flask
) -> None:
    signed_in()
    response = client.post("/stories/new", data=_story_form(title=" ", body="",
                                                            topics=["nope"]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give your story a title." in html and "the text is empty" in html
    assert _story_count(app) == 0


def test_a_withdrawn_story_is_private_to_its_author_again(
    client: FlaskClient, make_user: Callable[..., User], signed_in: Callable[..., User],
    topics: list[str]
) -> None:
    from tests.conftest import login

    login(client, make_user())
    story_url = client.post("/stories/new", data=_story_form(action="submit")).headers[
        "Location"]
    client.post(story_url + "/withdraw")
    client.post("/logout")
    signed_in(Role.CURATOR)
    assert client.get(story_url).status_code == 404
