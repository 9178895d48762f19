"""The sharing routes answer what the OpenAPI document says: every response here, successes
and refusals alike, validates against the schema documented for its route and status, and
every request that succeeds fits the documented request body."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from advocacy.accounts.models import Role
from tests.conftest import Person, later
from tests.sharing.test_tracked_links import CHROME, LINKEDIN_BOT, drain

#: Where the document lives for the resolver: ``#/components/schemas/...`` refs inside any
#: schema taken from it resolve against the whole document.
DOCUMENT = "urn:advocacy:openapi"
PREFIX = "/api/v1"
SHARING_ROUTES = [
    ("/ambassador", "get"), ("/ambassador", "post"), ("/feed", "get"),
    ("/stories/{story_id}/shares", "post"), ("/stories/{story_id}/shares/check", "post"),
    ("/shares/{share_id}", "get"), ("/shares/{share_id}/posted", "post"), ("/impact", "get"),
    ("/stories/{story_id}/travel", "get"), ("/reports/teams", "get"),
    ("/stories/{story_id}/retract", "post")]
NETWORKS = ["linkedin", "x", "facebook", "mastodon", "bluesky", "whatsapp", "email"]

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    # RFC 3339: a date, a time and an offset.
    return not isinstance(value, str) or (
        "T" in value and datetime.fromisoformat(value).tzinfo is not None)


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or (len(value) == 10 and bool(date.fromisoformat(value)))


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme == "mailto")


def _pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass
class Api:
    """Calls the API and checks each answer against the document."""

    client: FlaskClient
    document: dict[str, Any]
    registry: Registry[Any] = field(init=False)
    #: (route, method) -> the (status, error code or None) of every answer checked.
    seen: dict[tuple[str, str], list[tuple[int, str | None]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.registry = Registry().with_resource(DOCUMENT,
                                                 DRAFT202012.create_resource(self.document))

    def validator(self, *parts: str) -> Draft202012Validator:
        """A validator for the schema at ``parts`` in the document, refs resolved."""
        node: Any = self.document
        for part in parts:
            assert part in node, f"not documented: {' '.join(parts)}"
            node = node[part]
        return Draft202012Validator({"$ref": f"{DOCUMENT}#{_pointer(*parts)}"},
                                    registry=self.registry, format_checker=FORMATS)

    def request_fits(self, route: str, method: str, body: Any) -> bool:
        validator = self.validator("paths", route, method, "requestBody", "content",
                                   "application/json", "schema")
        return validator.is_valid(body)

    def call(self, method: str, route: str, who: Person | None, status: int,
             code: str | None = None, *, query: str = "", **kwargs: Any) -> Any:
        """Answer ``status`` (and error ``code``) and match the document; the JSON answer."""
        params = {name: kwargs.pop(name) for name in ("story_id", "share_id") if name in kwargs}
        url = PREFIX + route.format(**params) + query
        response = self.client.open(url, method=method.upper(),
                                    headers=who.auth if who else {}, **kwargs)
        answer = response.get_json(silent=True)
        assert response.status_code == status, (method, url, answer)
        assert response.mimetype == "application/json", (method, url)
        got = answer["error"]["code"] if status >= 400 else None
        assert got == code, (method, url, answer)
        errors = sorted(self.validator(
            "paths", route, method, "responses", str(status), "content", "application/json",
            "schema").iter_errors(answer), key=str)
        assert not errors, (method, url, status, [e.message for e in errors], answer)
        if "json" in kwargs and status < 300:
            assert self.request_fits(route, method, kwargs["json"]), (route, kwargs["json"])
        if code == "unknown_fields":
            assert not self.request_fits(route, method, kwargs["json"]), (route, kwargs["json"])
        self.seen.setdefault((route, method), []).append((status, code))
        return answer

    def covered(self, route: str, method: str) -> None:
        """A success and at least two refusals were checked for this route (two different
        ones where the route can refuse in more than one way)."""
        answers = self.seen.get((route, method), [])
        assert any(status < 300 for status, _ in answers), (route, method, answers)
        refusals = [answer for answer in answers if answer[0] >= 400]
        # 503 (a service away) is every route's and proven by the outage tests.
        documented = [status for status in self.document["paths"][route][method]["responses"]
                      if 400 <= int(status) < 500]
        assert len(refusals) >= 2, (route, method, answers)
        assert len(set(refusals)) >= min(2, len(documented)), (route, method, answers)


@pytest.fixture()
def api(client: FlaskClient) -> Api:
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    return Api(client, document)



def _share(api: Api, who: Person, story_id: int, **body: Any) -> Any:
    return api.call("post", "/stories/{story_id}/shares", who, 201, story_id=story_id,
                    json=body)


# -- the document itself ------------------------------------------------------------------------


def test_every_sharing_schema_is_valid_json_schema_and_every_route_is_documented(
        api: Api) -> None:
    for schema in api.document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for route, method in SHARING_ROUTES:
        operation = api.document["paths"][route][method]
        assert operation["summary"]
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            Draft202012Validator.check_schema(body["schema"])
            assert body["schema"]["additionalProperties"] is False, route
        for status, response in operation["responses"].items():
            Draft202012Validator.check_schema(response["content"]["application/json"]["schema"])
            assert response["description"], (route, method, status)
        assert "401" in operation["responses"], (route, method)
    share_body = api.document["paths"]["/stories/{story_id}/shares"]["post"]["requestBody"]
    schema = share_body["content"]["application/json"]["schema"]
    assert schema["properties"]["network"]["enum"] == NETWORKS


# -- ambassadors --------------------------------------------------------------------------------


def test_ambassador_status_and_choices_match_the_document(
        api: Api, person: Callable[..., Person], topics: list[str]) -> None:
    someone = person()
    before = api.call("get", "/ambassador", someone, 200)
    assert before == {"opted_in": False, "topics": [], "mastodon_instance": None,
                      "named_in_reports": False, "opted_in_at": None}
    api.call("get", "/ambassador", None, 401, "unauthorized")
    api.call("get", "/ambassador", Person(someone.user, {"Authorization": "Bearer nope"}),
             401, "unauthorized")

    chosen = api.call("post", "/ambassador", someone, 200, json={
        "opt_in": True, "topics": ["customers", "sustainability"],
        "mastodon_instance": "https://Social.Example.org/", "named_in_reports": True})
    assert chosen["opted_in"] and chosen["mastodon_instance"] == "social.example.org"
    assert api.call("get", "/ambassador", someone, 200)["topics"] == chosen["topics"]
    forgot = api.call("post", "/ambassador", someone, 200,
                      json={"opt_in": True, "mastodon_instance": None})
    assert forgot["mastodon_instance"] is None and forgot["named_in_reports"]

    api.call("post", "/ambassador", someone, 400, "unknown_fields",
             json={"opt_in": True, "colour": "red"})
    api.call("post", "/ambassador", someone, 400, "invalid_json", json=["opt_in"])
    api.call("post", "/ambassador", someone, 415, "unsupported_media_type", data="opt_in=1")
    api.call("post", "/ambassador", someone, 413, "too_large",
             data="[" + " " * (1024 * 1024) + "]", content_type="application/json")
    api.call("post", "/ambassador", None, 401, "unauthorized", json={"opt_in": True})
    api.call("post", "/ambassador", someone, 422, "missing_field", json={})
    api.call("post", "/ambassador", someone, 422, "invalid_type", json={"opt_in": "yes"})
    api.call("post", "/ambassador", someone, 422, "invalid_topics",
             json={"opt_in": True, "topics": ["no-such-topic"]})
    refused = api.call("post", "/ambassador", someone, 422, "invalid_instance",
                       json={"opt_in": True, "mastodon_instance": "192.168.1.1"})
    assert refused["error"]["details"]["reason"] == "ip_address"

    out = api.call("post", "/ambassador", someone, 200, json={"opt_in": False})
    assert out["opted_in"] is False and out["opted_in_at"] is None
    api.covered("/ambassador", "get")
    api.covered("/ambassador", "post")


def test_the_feed_matches_the_document(
        api: Api, ambassador: Callable[..., Person], person: Callable[..., Person],
        approved: Callable[..., dict[str, Any]]) -> None:
    reader = ambassador()
    first, second = approved(), approved()
    _share(api, reader, first["id"], network="linkedin", text="Worth a read")
    _share(api, reader, first["id"], network="bluesky", text="Worth a read too")
    feed = api.call("get", "/feed", reader, 200, query="?per_page=1")
    assert (feed["page"], feed["per_page"], feed["has_next"]) == (1, 1, True)
    assert [s["id"] for s in feed["items"]] == [second["id"]]
    assert feed["items"][0]["shared_on"] == []
    older = api.call("get", "/feed", reader, 200, query="?per_page=1&page=2")
    assert older["items"][0]["shared_on"] == ["bluesky", "linkedin"]

    api.call("get", "/feed", reader, 422, "invalid_page", query="?page=0")
    api.call("get", "/feed", reader, 422, "invalid_per_page", query="?per_page=many")
    api.call("get", "/feed", reader, 422, "invalid_per_page", query="?per_page=101")
    api.call("get", "/feed", None, 401, "unauthorized")
    api.call("get", "/feed", person(), 403, "not_an_ambassador")
    gone = api.call("get", "/feed", reader, 404, "page_out_of_range", query="?page=3&per_page=1")
    assert gone["error"]["details"]["pages"] == 2
    api.covered("/feed", "get")


# -- sharing ------------------------------------------------------------------------------------


def test_sharing_matches_the_document(
        app: Flask, api: Api, ambassador: Callable[..., Person], person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]], approved: Callable[..., dict[str, Any]],
        rules: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://hub.example.org")
    sharer = ambassador()
    author, curator = person(), person(Role.CURATOR)
    story = approved(author, curator)
    route = "/stories/{story_id}/shares"
    share = _share(api, sharer, story["id"], network="x", text="Line 3 {link} #proud",
                   account_id=None, scheduled_at=None)
    assert share["text"] == f"Line 3 {share['tracked_url']} #proud"
    assert urlsplit(share["intent_url"]).netloc == "x.com"
    mastodon = _share(api, sharer, story["id"], network="mastodon", text="Line 3",
                      mastodon_instance="social.example.org")
    assert mastodon["text"] == f"Line 3 {mastodon['tracked_url']}"
    assert urlsplit(mastodon["intent_url"]).netloc == "social.example.org"
    mail = _share(api, sharer, story["id"], network="email")
    assert mail["intent_url"].startswith("mailto:") and mail["text"] == mail["tracked_url"]

    def refused(status: int, code: str, body: Any, who: Person = sharer,
                story_id: int = story["id"]) -> Any:
        return api.call("post", route, who, status, code, story_id=story_id, json=body)

    refused(400, "unknown_fields", {"network": "x", "via": "api"})
    api.call("post", route, sharer, 415, "unsupported_media_type", story_id=story["id"],
             data="network=x")
    api.call("post", route, None, 401, "unauthorized", story_id=story["id"],
             json={"network": "x"})
    refused(403, "not_an_ambassador", {"network": "x"}, who=person())
    refused(404, "not_found", {"network": "x"}, story_id=999_999)
    refused(404, "not_found", {"network": "x"}, story_id=submitted(author)["id"])
    embargoed = approved(author, curator, story=submitted(author), embargo_until=later(days=3))
    # The embargo's end is for the author and curators only.
    assert "embargo_until" not in refused(409, "embargoed", {"network": "x"},
                                          story_id=embargoed["id"])["error"]["details"]
    retracted = approved(author, curator, story=submitted(author))
    api.call("post", "/stories/{story_id}/retract", curator, 200, story_id=retracted["id"],
             json={"reason": "Wrong figures"})
    refused(409, "no_longer_public", {"network": "x"}, story_id=retracted["id"])
    own = submitted(author)
    api.call("post", "/ambassador", author, 200, json={"opt_in": True})
    refused(409, "not_approved", {"network": "x"}, who=author, story_id=own["id"])
    told = refused(409, "embargoed", {"network": "x"}, who=author, story_id=embargoed["id"])
    assert told["error"]["details"]["embargo_until"]

    assert refused(422, "unknown_network", {"network": "X"})["error"]["details"]["allowed"] == (
        NETWORKS)
    refused(422, "invalid_type", {"network": "x", "text": 5})
    refused(422, "invalid_characters", {"network": "x", "text": "nul\x00"})
    counted = refused(422, "text_too_long", {"network": "x", "text": "a" * 257})
    details = counted["error"]["details"]
    assert (details["count"], details["limit"], details["unit"]) == (281, 280, "weighted")
    refused(422, "text_too_long", {"network": "facebook", "text": "a" * 10_001})
    family = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"  # 1 grapheme, 25 bytes
    heavy = refused(422, "text_too_long", {"network": "bluesky", "text": family * 130})
    assert heavy["error"]["details"]["bytes_over"] is True
    refused(422, "unknown_account", {"network": "x", "account_id": 1})
    refused(422, "scheduling_needs_account", {"network": "x", "scheduled_at": later(days=3)})
    refused(422, "instance_required", {"network": "mastodon"}, who=ambassador())
    bad = refused(422, "invalid_instance",
                  {"network": "mastodon", "mastodon_instance": "evil.example:8080"})
    assert bad["error"]["details"]["reason"] == "port"
    rules({"id": "no-prices", "kind": "phrase", "phrases": ["price list"]})
    blocked = refused(422, "guidelines_block", {"network": "x", "text": "Our price list"})
    assert [f["rule"] for f in blocked["error"]["details"]["findings"]] == ["no-prices"]
    api.covered(route, "post")


def test_the_composer_check_matches_the_document(
        app: Flask, api: Api, ambassador: Callable[..., Person], person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]], approved: Callable[..., dict[str, Any]],
        rules: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> None:
    sharer = ambassador()
    author, curator = person(), person(Role.CURATOR)
    story = approved(author, curator)
    route = "/stories/{story_id}/shares/check"
    rules({"id": "disclose", "kind": "disclosure", "severity": "warn", "networks": ["x"],
           "text": "#werkenbij"})
    check = api.call("post", route, sharer, 200, story_id=story["id"],
                     json={"network": "x", "text": "b" * 300})
    assert check["length"]["fits"] is False and check["length"]["unit"] == "weighted"
    assert [f["addition"] for f in check["findings"]] == ["#werkenbij"]
    open_ended = api.call("post", route, sharer, 200, story_id=story["id"],
                          json={"network": "whatsapp"})
    assert open_ended["length"]["limit"] is None and open_ended["similarity"] == 0

    api.call("post", route, sharer, 400, "unknown_fields", story_id=story["id"],
             json={"network": "x", "topics": []})
    api.call("post", route, sharer, 415, "unsupported_media_type", story_id=story["id"])
    api.call("post", route, person(), 403, "not_an_ambassador", story_id=story["id"],
             json={"network": "x"})
    api.call("post", route, sharer, 404, "not_found", story_id=999_999, json={"network": "x"})
    embargoed = approved(author, curator, story=submitted(author), embargo_until=later(days=3))
    api.call("post", route, sharer, 409, "embargoed", story_id=embargoed["id"],
             json={"network": "x"})
    api.call("post", route, sharer, 422, "unknown_network", story_id=story["id"],
             json={"network": "myspace"})
    api.call("post", route, sharer, 422, "text_too_long", story_id=story["id"],
             json={"network": "x", "text": "c" * 10_001})
    monkeypatch.setitem(app.config, "CHECK_RATE_LIMIT", "1 per minute")
    other = ambassador()
    api.call("post", route, other, 200, story_id=story["id"], json={"network": "x"})
    limited = api.call("post", route, other, 429, "rate_limited", story_id=story["id"],
                       json={"network": "x"})
    assert limited["error"]["details"]["limit"]
    api.covered(route, "post")


def test_one_share_and_saying_it_was_posted_match_the_document(
        api: Api, ambassador: Callable[..., Person], approved: Callable[..., dict[str, Any]]
) -> None:
    sharer, other = ambassador(), ambassador()
    story = approved()
    share = _share(api, sharer, story["id"], network="linkedin", text="Good one")
    again = api.call("get", "/shares/{share_id}", sharer, 200, share_id=share["id"])
    assert again == share
    api.call("get", "/shares/{share_id}", other, 404, "not_found", share_id=share["id"])
    api.call("get", "/shares/{share_id}", sharer, 404, "not_found", share_id=999_999)
    api.call("get", "/shares/{share_id}", None, 401, "unauthorized", share_id=share["id"])

    route = "/shares/{share_id}/posted"
    posted = api.call("post", route, sharer, 200, share_id=share["id"], json={})
    assert posted["status"] == "posted" and posted["post_url"] is None
    address = "https://www.linkedin.com/posts/someone-123"
    with_address = api.call("post", route, sharer, 200, share_id=share["id"],
                            json={"post_url": address})
    assert with_address["post_url"] == address
    assert with_address["posted_at"] == posted["posted_at"]
    api.call("post", route, sharer, 422, "invalid_post_url", share_id=share["id"],
             json={"post_url": "javascript:alert(1)"})
    api.call("post", route, sharer, 422, "invalid_post_url", share_id=share["id"],
             json={"post_url": 42})
    api.call("post", route, sharer, 400, "unknown_fields", share_id=share["id"],
             json={"url": address})
    api.call("post", route, sharer, 415, "unsupported_media_type", share_id=share["id"],
             data="post_url=x", content_type="application/x-www-form-urlencoded")
    api.call("post", route, sharer, 200, share_id=share["id"])  # no body: nothing to change
    api.call("post", route, other, 404, "not_found", share_id=share["id"], json={})

    # Opting out leaves only anonymous totals: the share is nobody's to read any more.
    api.call("post", "/ambassador", sharer, 200, json={"opt_in": False})
    api.call("get", "/shares/{share_id}", sharer, 404, "not_found", share_id=share["id"])
    api.covered("/shares/{share_id}", "get")
    api.covered(route, "post")


# -- what sharing did ---------------------------------------------------------------------------


def _clicked_share(app: Flask, api: Api, sharer: Person, story_id: int) -> None:
    share = _share(api, sharer, story_id, network="linkedin", text="Clicked")
    code = share["tracked_url"].rsplit("/", 1)[1]
    for n in range(2):
        api.client.get(f"/l/{code}", headers={"User-Agent": CHROME},
                       environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
    api.client.get(f"/l/{code}", headers={"User-Agent": LINKEDIN_BOT})
    drain(app)


def test_impact_travel_and_teams_match_the_document(
        app: Flask, api: Api, ambassador: Callable[..., Person], person: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]], approved: Callable[..., dict[str, Any]]
) -> None:
    author, curator = person(), person(Role.CURATOR)
    sharer = ambassador(department="Sales")
    loner = ambassador()
    story = approved(author, curator)
    _clicked_share(app, api, sharer, story["id"])
    _share(api, loner, story["id"], network="x", text="Mine")

    impact = api.call("get", "/impact", sharer, 200)
    assert (impact["shares"], impact["clicks"], impact["previews"]) == (1, 2, 1)
    assert len(impact["days"]) == 30 and impact["days"][-1]["clicks"] == 2
    assert impact["networks"]["linkedin"]["visitors"] == 2
    api.call("get", "/impact", None, 401, "unauthorized")
    api.call("get", "/impact", author, 403, "not_an_ambassador")

    route = "/stories/{story_id}/travel"
    travel = api.call("get", route, author, 200, story_id=story["id"])
    assert sorted(travel["networks"]) == ["linkedin", "x"] and travel["days"] == []
    assert api.call("get", route, curator, 200, story_id=story["id"]) == travel
    api.call("get", route, sharer, 404, "not_found", story_id=story["id"])
    api.call("get", route, author, 404, "not_found", story_id=999_999)
    draft = api.client.post(f"{PREFIX}/stories", data={"title": "Mine", "body": "Secret"},
                            headers=author.auth, content_type="multipart/form-data").get_json()
    api.call("get", route, curator, 404, "not_found", story_id=draft["id"])
    api.call("get", route, None, 401, "unauthorized", story_id=story["id"])

    teams = api.call("get", "/reports/teams", curator, 200)
    assert [(t["department"], t["ambassadors"], t["shares"], t["clicks"])
            for t in teams["items"]] == [("Sales", 1, 1, 2), (None, 1, 1, 0)]
    assert teams["total"] == 2
    api.call("get", "/reports/teams", sharer, 403, "forbidden")
    api.call("get", "/reports/teams", None, 401, "unauthorized")
    api.covered("/impact", "get")
    api.covered(route, "get")
    api.covered("/reports/teams", "get")


def test_retraction_matches_the_document(
        api: Api, person: Callable[..., Person], ambassador: Callable[..., Person],
        submitted: Callable[..., dict[str, Any]], approved: Callable[..., dict[str, Any]]
) -> None:
    author, curator = person(), person(Role.CURATOR)
    story = approved(author, curator)
    route = "/stories/{story_id}/retract"

    def refused(status: int, code: str, body: Any, who: Person = curator,
                story_id: int = story["id"]) -> Any:
        return api.call("post", route, who, status, code, story_id=story_id, json=body)

    refused(400, "unknown_fields", {"reason": "Wrong", "notify": False})
    api.call("post", route, curator, 415, "unsupported_media_type", story_id=story["id"])
    api.call("post", route, None, 401, "unauthorized", story_id=story["id"],
             json={"reason": "Wrong"})
    refused(403, "forbidden", {"reason": "Wrong"}, who=author)
    refused(404, "not_found", {"reason": "Wrong"}, story_id=999_999)
    refused(409, "illegal_transition", {"reason": "Wrong"}, story_id=submitted(author)["id"])
    stale = refused(409, "stale", {"reason": "Wrong", "version": story["version"] - 1})
    assert stale["error"]["details"]["version"] == story["version"]
    refused(422, "reason_required", {"reason": "   "})
    refused(422, "reason_too_long", {"reason": "x" * 2001})
    refused(422, "invalid_type", {"reason": ["Wrong"]})

    done = api.call("post", route, curator, 200, story_id=story["id"],
                    json={"reason": "The figures were wrong", "version": story["version"]})
    assert done["status"] == "archived" and done["retracted_at"]
    again = refused(409, "illegal_transition", {"reason": "Twice"})
    assert again["error"]["details"] == {"status": "archived", "action": "retract"}
    api.covered(route, "post")
