"""Hostile and odd input gets a clear 4xx, never a 500; sessions end when they should."""

from __future__ import annotations

import concurrent.futures
import io
import json
import random
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, Response, request
from flask.testing import FlaskClient
from sqlalchemy import func, select

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.ambassadors.models import Ambassador, ambassador_topics
from advocacy.errors import Rejected, rejected_response
from advocacy.stories import operations as story_operations
from advocacy.stories.models import Story, Topic
from advocacy.text import IdConverter
from tests.api.test_stories_api import create, token_for
from tests.conftest import Person, csrf_token, login, make_app, photo_bytes


@pytest.fixture()
def auth(client: FlaskClient, make_user: Callable[..., User]) -> dict[str, str]:
    return token_for(client, make_user())


@pytest.mark.parametrize("path", [
    "/api/v1/stories/99999999999999999999", "/api/v1/stories/2147483648",
    "/api/v1/stories/0", "/api/v1/tokens/99999999999999999999",
])
def test_ids_beyond_the_database_are_simply_not_found(
    client: FlaskClient, auth: dict[str, str], path: str
) -> None:
    method = client.delete if "tokens" in path else client.get
    response = method(path, headers=auth)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_a_page_id_beyond_the_database_is_a_404_page(
    client: FlaskClient, signed_in: Callable[..., User]
) -> None:
    signed_in()
    assert client.get("/stories/99999999999999999999").status_code == 404
    assert client.get("/media/99999999999999999999/large").status_code == 404


@pytest.mark.parametrize("page", ["%C2%B2", "%E2%91%A0", "%D9%A3", "1e3", "-1", "9999999",
                                  "two", "1.5"])
def test_page_numbers_are_plain_digits(
    client: FlaskClient, auth: dict[str, str], page: str
) -> None:
    response = client.get(f"/api/v1/stories?page={page}", headers=auth)
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_page"
    assert list(response.json["error"]["details"]["fields"]) == ["page"]


@pytest.mark.parametrize("role", ["anonymous", "employee", "curator", "admin"])
def test_an_unknown_address_is_not_found_for_everyone(
    client: FlaskClient, make_user: Callable[..., User], role: str
) -> None:
    headers: dict[str, str] = {}
    if role != "anonymous":
        user = make_user(Role(role))
        login(client, user)
        headers = token_for(client, user)
    for path in ("/no-such-page", "/stories/1/no-such-page", "/admin/no-such-page"):
        page = client.get(path)
        assert page.status_code == 404, (path, page.get_data(as_text=True)[:300])
        assert "Not found." in page.get_data(as_text=True)
    for path in ("/api/v1/no-such-thing", "/api/v1/stories/1/no-such-thing"):
        for method in ("GET", "POST"):
            answer = client.open(path, method=method, headers=headers)
            assert answer.status_code == 404, (method, path)
            assert answer.json["error"]["code"] == "not_found"


def test_an_id_that_names_nothing_is_not_found_whatever_the_method(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """Not 405 because a sibling route answers another method (POST /stories/0/comments)."""
    admin = make_user(Role.ADMIN)
    login(client, admin)
    bearer = token_for(client, admin)
    checked = 0
    for rule in app.url_map.iter_rules():
        ids = {name for name, converter in rule._converters.items()
               if isinstance(converter, IdConverter)}
        if not ids:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for number in (0, 2**31):
                path = rule.rule
                for name in rule.arguments:
                    value = str(number) if name in ids else "x"
                    path = re.sub(rf"<[^>]*\b{name}>", value, path)
                answer = client.open(path, method=method, headers=bearer, json={})
                assert answer.status_code == 404, (method, path, answer.status_code)
                checked += 1
    assert checked > 40


LIST_ENDPOINTS = ["/api/v1/stories", "/api/v1/review-queue", "/api/v1/feed"]


@pytest.mark.parametrize(("query", "field", "code"), [
    ("per_page=101", "per_page", "invalid_per_page"),
    ("per_page=0", "per_page", "invalid_per_page"),
    ("per_page=many", "per_page", "invalid_per_page"),
    ("page=two", "page", "invalid_page"),
    ("page=0", "page", "invalid_page"),
])
def test_paging_outside_the_document_is_refused_on_every_list(
    client: FlaskClient, person: Callable[..., Person], query: str, field: str, code: str
) -> None:
    curator = person(Role.CURATOR)
    client.post("/api/v1/ambassador", json={"opt_in": True}, headers=curator.auth)
    paths = [*LIST_ENDPOINTS, "/api/v1/notifications"] if field == "page" else LIST_ENDPOINTS
    for path in paths:
        answer = client.get(f"{path}?{query}", headers=curator.auth)
        assert answer.status_code == 422, (path, answer.json)
        error = answer.json["error"]
        assert error["code"] == code and list(error["details"]["fields"]) == [field], path
    for path in LIST_ENDPOINTS:
        assert client.get(f"{path}?per_page=100", headers=curator.auth).json["per_page"] == 100


def test_the_document_says_what_paging_accepts(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/stories", "/review-queue", "/feed", "/notifications"):
        get = paths[path]["get"]
        parameters = {p["name"]: p["schema"] for p in get["parameters"]}
        assert parameters["page"]["minimum"] == 1, path
        assert "422" in get["responses"] and "400" not in get["responses"], path
        if path != "/notifications":
            assert parameters["per_page"]["maximum"] == 100, path
            assert "invalid_per_page" in get["responses"]["422"]["description"], path


def test_an_overlong_explanation_is_refused(
    client: FlaskClient, auth: dict[str, str], topics: list[str]
) -> None:
    story_id = create(client, auth).json["id"]
    answer = client.post(f"/api/v1/stories/{story_id}/submit", headers=auth,
                         json={"explanation": "Because. " * 300})
    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "invalid_explanation"
    assert list(answer.json["error"]["details"]["fields"]) == ["explanation"]
    assert client.get(f"/api/v1/stories/{story_id}", headers=auth).json["status"] == "draft"


# -- invisible characters in names and titles ------------------------------------------------

#: Right-to-left override, isolates, direction marks, escape, a C1 control, a line separator.
HIDDEN = ["\u202e", "\u2067", "\u200f", "\x1b", "\x85", "\u2028"]


@pytest.mark.parametrize("hidden", HIDDEN)
def test_invisible_controls_in_a_title_are_refused_on_the_page_and_the_api(
    client: FlaskClient, auth: dict[str, str], signed_in: Callable[..., User],
    topics: list[str], hidden: str
) -> None:
    title = f"Our {hidden}gnilwob night"
    created = create(client, auth, title=title)
    assert created.status_code == 422, created.json
    assert list(created.json["error"]["details"]["fields"]) == ["title"]
    assert "control characters" in created.json["error"]["details"]["fields"]["title"][0]
    story_id = create(client, auth).json["id"]
    patched = client.patch(f"/api/v1/stories/{story_id}", json={"title": title}, headers=auth)
    assert patched.status_code == 422
    assert patched.json["error"]["code"] in {"control_characters", "invalid_story"}
    assert client.get(f"/api/v1/stories/{story_id}", headers=auth).json["title"] == "Team day"
    signed_in()
    page = client.post("/stories/new", data={"title": title, "body": "Bowling.",
                                              "topics": ["customers"], "action": "save"})
    assert page.status_code == 422
    assert "remove the control characters" in page.get_data(as_text=True)


def test_a_title_loses_zero_width_spaces_and_keeps_joiners(
    client: FlaskClient, auth: dict[str, str], topics: list[str]
) -> None:
    created = create(client, auth, title="\ufeffTeam\u200b day \U0001f469\u200d\U0001f4bb")
    assert created.status_code == 201, created.json
    assert created.json["title"] == "Team day \U0001f469\u200d\U0001f4bb"


def test_a_story_body_keeps_its_lines_and_refuses_direction_overrides(
    client: FlaskClient, auth: dict[str, str], topics: list[str]
) -> None:
    text = "First line,\r\n\tthen the second.\nשלום \u200fworld"
    created = create(client, auth, body=text)
    assert created.status_code == 201, created.json
    assert created.json["body"] == text
    story_id = created.json["id"]
    refused = client.patch(f"/api/v1/stories/{story_id}", headers=auth,
                           json={"body": "Read \u202edrawkcab this"})
    assert refused.status_code == 422
    error = refused.json["error"]
    assert error["code"] == "control_characters" and error["details"]["characters"] == ["U+202E"]
    assert list(error["details"]["fields"]) == ["body"]


def test_topic_names_and_curator_edits_refuse_invisible_controls(
    client: FlaskClient, signed_in: Callable[..., User], person: Callable[..., Person],
    submitted: Callable[..., dict[str, Any]], app: Flask
) -> None:
    signed_in(Role.ADMIN)
    page = client.post("/admin/topics", data={"slug": "events", "name": "Events\u202e"})
    assert page.status_code == 422
    assert "remove the control characters (U+202E)" in page.get_data(as_text=True)
    story = submitted(person())
    curator = person(Role.CURATOR)
    edit = client.post(f"/api/v1/stories/{story['id']}/curator-edit", headers=curator.auth,
                       json={"title": "Night shift\nrebuilt line 3"})
    assert edit.status_code == 422
    assert list(edit.json["error"]["details"]["fields"]) == ["title"]
    with app.app_context():
        assert db.session.scalar(select(Topic.id).where(Topic.slug == "events")) is None
        found = db.session.get(Story, story["id"])
        assert found is not None and found.title == "Night shift rebuilt line 3"


def test_deeply_nested_json_is_a_400(
    client: FlaskClient, auth: dict[str, str], topics: list[str]
) -> None:
    story_id = create(client, auth).json["id"]
    nested = "[" * 50_000 + "]" * 50_000
    for path in (f"/api/v1/stories/{story_id}", "/api/v1/tokens"):
        method = client.patch if "stories" in path else client.post
        response = method(path, data=nested, headers=auth, content_type="application/json")
        assert response.status_code == 400, path


@pytest.mark.parametrize("text", ["a\x00b", "\ud800 lone surrogate"])
def test_text_that_cannot_be_stored_is_refused(
    client: FlaskClient, auth: dict[str, str], topics: list[str], text: str
) -> None:
    story_id = create(client, auth).json["id"]
    body = json.dumps({"title": text})  # escapes the surrogate as JSON allows
    response = client.patch(f"/api/v1/stories/{story_id}", data=body, headers=auth,
                            content_type="application/json")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_characters"
    assert client.get(f"/api/v1/stories/{story_id}", headers=auth).json["title"] == "Team day"
    token = client.post("/api/v1/tokens", data=json.dumps({"email": text, "password": text}),
                        content_type="application/json")
    assert token.status_code in (401, 422)
    if "\x00" in text:  # a form cannot even carry a lone surrogate
        form = client.post("/login", data={"email": text, "password": "x"})
        assert form.status_code == 401


def test_an_empty_or_non_file_media_part_is_refused(
    client: FlaskClient, auth: dict[str, str], topics: list[str]
) -> None:
    story_id = create(client, auth).json["id"]
    empty = client.post(f"/api/v1/stories/{story_id}/media", headers=auth,
                        data={"media": (io.BytesIO(b""), "")},
                        content_type="multipart/form-data")
    assert empty.status_code == 422 and empty.json["error"]["code"] == "no_files"
    as_text = create(client, auth, media="not a file")
    assert as_text.status_code == 422 and as_text.json["error"]["code"] == "not_a_file"
    bad_photo = create(client, auth, media=[(io.BytesIO(b"text"), "x.jpg")])
    assert "media" in bad_photo.json["error"]["details"]["fields"]


def test_large_bodies_are_only_for_signed_in_uploads(
    client: FlaskClient, auth: dict[str, str], topics: list[str], limited_app: Flask
) -> None:
    two_megabytes = "x" * (2 * 1024 * 1024)
    anonymous = client.post("/api/v1/tokens", data=two_megabytes,
                            content_type="application/json")
    assert anonymous.status_code == 413 and anonymous.json["error"]["code"] == "too_large"
    # With CSRF on, the form is read before anything else: the small limit must hold there.
    page = limited_app.test_client().post("/stories/new",
                                          data={"title": "t", "body": two_megabytes})
    assert page.status_code == 413
    big_photo = photo_bytes(size=(2400, 1800))
    noisy = io.BytesIO()
    from PIL import Image

    noise = random.Random(7).randbytes(800 * 600 * 3)  # incompressible: a PNG over 1 MB
    Image.frombytes("RGB", (800, 600), noise).save(noisy, "PNG")
    assert len(noisy.getvalue()) + len(big_photo) > 1024 * 1024
    uploaded = create(client, auth, media=[(io.BytesIO(noisy.getvalue()), "big.png"),
                                           (io.BytesIO(big_photo), "b.jpg")])
    assert uploaded.status_code == 201, uploaded.json


def test_sign_out_kills_copies_of_the_session_cookie(
    client: FlaskClient, make_user: Callable[..., User], app: Flask
) -> None:
    login(client, make_user())
    stolen = client.get_cookie("session")
    assert stolen is not None
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    assert thief.get("/stories").status_code == 302


def test_deactivating_an_account_ends_its_sessions(
    client: FlaskClient, make_user: Callable[..., User], app: Flask
) -> None:
    employee = make_user()
    login(client, employee)
    admin_client = app.test_client()
    login(admin_client, make_user(Role.ADMIN))
    admin_client.post(f"/admin/users/{employee.id}", data={
        "name": "Gone", "role": "employee", "department": ""})
    assert client.get("/stories").status_code == 302


@pytest.fixture(scope="module")
def limited_app(backend_config: dict[str, Any]) -> Flask:
    return make_app(backend_config, LOGIN_ADDRESS_RATE_LIMIT="4 per minute")


def test_one_address_cannot_spray_passwords_over_many_accounts(
    limited_app: Flask, app: Flask
) -> None:
    client = limited_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    token = csrf_token(client, "/login")
    statuses = [client.post("/login", data={"email": f"user{i}@example.org",
                                            "password": "guess guess",
                                            "csrf_token": token}).status_code
                for i in range(2)]
    statuses += [client.post("/api/v1/tokens", json={"email": f"api{i}@example.org",
                                                     "password": "guess"}).status_code
                 for i in range(3)]
    assert statuses == [401, 401, 401, 401, 429]
    other = limited_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.8"
    assert other.post("/api/v1/tokens", json={"email": "x@example.org",
                                              "password": "y"}).status_code == 401


def test_bearer_is_case_insensitive_and_401_names_the_scheme(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    secret = auth["Authorization"].split(" ", 1)[1]
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {secret}"}
                      ).status_code == 200
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith(
        "Bearer")


def test_error_pages_escape_messages_built_from_user_input(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    with app.test_request_context("/stories/new"):
        page, status, *_headers = rejected_response(
            Rejected("x", _l("Unknown topic: %(topics)s.", topics="<script>alert(1)</script>")))
    assert status == 422 and "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_private_pages_are_not_cached(
    client: FlaskClient, signed_in: Callable[..., User]
) -> None:
    signed_in()
    assert client.get("/stories").headers["Cache-Control"] == "no-store"
    assert client.get("/account").headers["Cache-Control"] == "no-store"


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` at the same time, each in a thread of its own (its own unit of work and
    database connection, as in two web workers); their answers in order."""
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result(timeout=60) for future in futures]


def test_two_simultaneous_edits_one_is_saved_the_other_is_refused(
    app: Flask, client: FlaskClient, auth: dict[str, str], topics: list[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests have read the story before either writes (a barrier holds them there):
    exactly one edit is saved and the other is a 409 that changes nothing."""
    story_id = create(client, auth).json["id"]
    both_read = threading.Barrier(2, timeout=30)
    update_story = story_operations.update_story

    def update_once_both_have_read(*args: Any, **kwargs: Any) -> Any:
        both_read.wait()
        return update_story(*args, **kwargs)

    monkeypatch.setattr(story_operations, "update_story", update_once_both_have_read)

    def edit(title: str) -> Callable[[], Any]:
        return lambda: app.test_client().patch(f"/api/v1/stories/{story_id}", headers=auth,
                                               json={"title": title})

    answers = _at_once(edit("Edited in the first tab"), edit("Edited in the second tab"))
    assert sorted(answer.status_code for answer in answers) == [200, 409], [
        answer.get_data(as_text=True)[:300] for answer in answers]
    saved, refused = sorted(answers, key=lambda answer: answer.status_code)
    assert refused.json["error"]["code"] == "stale"
    stored = client.get(f"/api/v1/stories/{story_id}", headers=auth).json
    assert stored["title"] == saved.json["title"] and stored["version"] == 2


@pytest.fixture(scope="module")
def racing_app(backend_config: dict[str, Any]) -> Flask:
    """An app that runs a test's competing request after a request's view and before its
    commit: ``racing_app.extensions[MEANWHILE][(method, path)] = work`` (once)."""
    application = make_app(backend_config, WTF_CSRF_ENABLED=False)
    meanwhile: dict[tuple[str, str], Callable[[], None]] = {}
    application.extensions[MEANWHILE] = meanwhile

    # After-request functions run last-registered first: this one before the app's commit.
    @application.after_request
    def _meanwhile(response: Response) -> Response:
        work = meanwhile.pop((request.method, request.path), None)
        if work is not None:
            work()
        return response

    return application


MEANWHILE = "tests.meanwhile"


def test_a_write_that_loses_the_race_at_its_commit_is_a_409_and_leaves_nothing(
    racing_app: Flask, app: Flask, person: Callable[..., Person], topics: list[str]
) -> None:
    """An ambassador saves their choices in one tab and opts out in another; the opt-out is
    committed after the save has read the ambassador and before the save commits. The save
    is refused with 409 ``conflict`` when it commits, and nothing of it is stored."""
    someone = person()
    client = racing_app.test_client()
    opted_in = client.post("/api/v1/ambassador", headers=someone.auth,
                           json={"opt_in": True, "topics": ["customers"]})
    assert opted_in.status_code == 200, opted_in.json
    other_tab: list[Any] = []

    def opt_out_in_the_other_tab() -> None:
        tab = threading.Thread(target=lambda: other_tab.append(racing_app.test_client().post(
            "/api/v1/ambassador", json={"opt_in": False}, headers=someone.auth)))
        tab.start()
        tab.join(timeout=30)

    racing_app.extensions[MEANWHILE][("POST", "/api/v1/ambassador")] = opt_out_in_the_other_tab
    saved = client.post("/api/v1/ambassador", headers=someone.auth, json={
        "opt_in": True, "mastodon_instance": "mastodon.social", "named_in_reports": True})
    assert [answer.status_code for answer in other_tab] == [200]
    assert saved.status_code == 409, saved.get_data(as_text=True)[:300]
    assert saved.json["error"]["code"] == "conflict"
    now = client.get("/api/v1/ambassador", headers=someone.auth).json
    assert now["opted_in"] is False and now["mastodon_instance"] is None
    with app.app_context():
        assert db.session.get(Ambassador, someone.user.id) is None
        assert db.session.scalar(select(func.count()).select_from(ambassador_topics)) == 0


def test_ids_in_other_scripts_name_nothing(client: FlaskClient,
                                           make_user: Callable[..., User]) -> None:
    """"١" is a digit to Python's int(), but no id of ours: 404, not story 1."""
    login(client, make_user())
    assert client.get("/stories/\u0661").status_code == 404
    assert client.get("/stories/\uff11").status_code == 404
