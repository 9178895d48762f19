"""API handlers: parse, authorise, call one operation, answer JSON."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Response, current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from advocacy.accounts import operations as accounts
from advocacy.api import blueprint
from advocacy.api.bodies import (
    bool_field,
    json_body,
    json_bool,
    list_response,
    string_field,
    string_list,
    version_field,
)
from advocacy.api.openapi import openapi_document
from advocacy.api.serializers import story_json, token_json, topic_json, user_json
from advocacy.errors import NotFound, Rejected
from advocacy.extensions import login_limited
from advocacy.media.operations import chosen_files
from advocacy.paging import parse_page, parse_per_page
from advocacy.security import public, requires
from advocacy.stories import operations as stories
from advocacy.stories.states import StoryStatus


def _photos() -> list[FileStorage]:
    """The uploaded ``media`` files; a ``media`` field that is not a file is an error."""
    if "media" in request.form:
        raise Rejected("not_a_file", _l("Send photos as files in the “media” field."),
                       status=422, field="media")
    return request.files.getlist("media")


@contextmanager
def _media_field() -> Iterator[None]:
    """Photo errors name the API's field, ``media`` (the page's is ``photos``)."""
    try:
        yield
    except Rejected as exc:
        if "photos" in exc.fields:
            exc.fields["media"] = exc.fields.pop("photos")
        raise


@blueprint.route("/openapi.json")
@public
def openapi() -> Response:
    return jsonify(openapi_document())


@blueprint.route("/tokens", methods=["POST"])
@public
@login_limited
def create_token() -> tuple[Response, int]:
    body = json_body(allowed={"email", "password", "name", "expires_in"})
    email = string_field(body, "email", required=True) or ""
    password = string_field(body, "password", required=True) or ""
    # Absent: the hub's default lifetime; null: no expiry; else whole seconds.
    expires_in = body.get("expires_in") if "expires_in" in body else (
        accounts.default_token_seconds())
    if expires_in is not None and (not isinstance(expires_in, int)
                                   or isinstance(expires_in, bool)):
        raise Rejected("invalid_type", _l("“%(field)s” must be a whole number.",
                                          field="expires_in"), status=422, field="expires_in")
    user = accounts.authenticate(email, password)
    if user is None:
        raise Rejected("invalid_credentials",
                       _l("This e-mail address and password do not match."), status=401)
    token, secret = accounts.issue_token(user, string_field(body, "name") or "API", expires_in)
    return jsonify({"token": secret, **token_json(token)}), 201


@blueprint.route("/tokens", methods=["GET"])
@requires()
def list_tokens() -> Response:
    return list_response([token_json(t) for t in accounts.tokens_of(current_user)])


@blueprint.route("/tokens/<id:token_id>", methods=["DELETE"])
@requires()
def revoke_token(token_id: int) -> tuple[str, int]:
    accounts.revoke_token(current_user, token_id)
    return "", 204


@blueprint.route("/me")
@requires()
def me() -> Response:
    return jsonify(user_json(current_user))


@blueprint.route("/topics")
@requires()
def topics() -> Response:
    return list_response([topic_json(t) for t in stories.all_topics()])


@blueprint.route("/stories", methods=["GET"])
@requires()
def list_stories() -> Response:
    raw_status = request.args.get("status")
    status = None
    if raw_status:
        if raw_status not in set(StoryStatus):
            raise Rejected("invalid_status", _l("Unknown status: %(status)s.",
                                                status=raw_status[:40]), field="status")
        status = StoryStatus(raw_status)
    page = stories.stories_of(
        current_user, parse_page(request.args.get("page")),
        parse_per_page(request.args.get("per_page"), current_app.config["STORIES_PER_PAGE"]),
        status,
    )
    return list_response([story_json(s) for s in page.items], **page.meta())


@blueprint.route("/stories", methods=["POST"])
@requires()
def create_story() -> tuple[Response, int]:
    if not request.mimetype.startswith("multipart/form-data") and request.mimetype != (
        "application/x-www-form-urlencoded"
    ):
        raise Rejected("unsupported_media_type",
                       _l("Send the story as multipart/form-data."), status=415)
    with _media_field():
        story = stories.create_story(
            current_user,
            title=request.form.get("title", ""),
            body=request.form.get("body", ""),
            topics=request.form.getlist("topics"),
            photos=_photos(),
            consent=bool_field(request.form.get("consent"), "consent"),
        )
    return jsonify(story_json(story)), 201


@blueprint.route("/stories/<id:story_id>", methods=["GET"])
@requires()
def get_story(story_id: int) -> Response:
    return jsonify(story_json(stories.story_for(current_user, story_id)))


@blueprint.route("/stories/<id:story_id>", methods=["PATCH"])
@requires()
def update_story(story_id: int) -> Response:
    story = stories.story_for(current_user, story_id)
    stories.require_editable(current_user, story)
    body = json_body(allowed={"title", "body", "topics", "consent", "version"})
    consent = json_bool(body, "consent")
    stories.require_version(story, version_field(body))
    stories.update_story(
        current_user, story,
        title=string_field(body, "title"), body=string_field(body, "body"),
        topics=string_list(body, "topics"), consent=consent,
    )
    return jsonify(story_json(story))


@blueprint.route("/stories/<id:story_id>/media", methods=["POST"])
@requires()
def add_media(story_id: int) -> tuple[Response, int]:
    story = stories.story_for(current_user, story_id)
    stories.require_editable(current_user, story)
    photos = chosen_files(_photos())
    if not photos:
        raise Rejected("no_files", _l("Choose at least one photo."), status=422, field="media")
    consent = request.form.get("consent")
    with _media_field():
        stories.update_story(current_user, story, photos=photos,
                             consent=None if consent is None else bool_field(consent, "consent"))
    return jsonify(story_json(story)), 201


@blueprint.route("/stories/<id:story_id>/media/<id:media_id>", methods=["DELETE"])
@requires()
def remove_media(story_id: int, media_id: int) -> tuple[str, int]:
    story = stories.story_for(current_user, story_id)
    stories.require_editable(current_user, story)
    if all(m.id != media_id for m in story.media):
        raise Rejected("not_found", _l("Not found."), status=404)
    stories.update_story(current_user, story, remove_media=[media_id])
    return "", 204


@blueprint.route("/stories/<id:story_id>/submit", methods=["POST"])
@requires()
def submit_story(story_id: int) -> Response:
    story = stories.story_for(current_user, story_id)
    if story.author_id != current_user.id:
        raise NotFound()
    explanation = None
    if request.content_length or request.is_json:
        explanation = string_field(json_body(allowed={"explanation"}), "explanation")
    return jsonify(story_json(stories.submit_story(current_user, story, explanation)))


@blueprint.route("/stories/<id:story_id>/withdraw", methods=["POST"])
@requires()
def withdraw_story(story_id: int) -> Response:
    story = stories.story_for(current_user, story_id)
    return jsonify(story_json(stories.withdraw_story(current_user, story)))
