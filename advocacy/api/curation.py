"""API handlers of the guidelines check, the review queue, decisions and the thread."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from flask import current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_babel import to_utc
from flask_login import current_user
from werkzeug.wrappers import Response

from advocacy.accounts.models import Role
from advocacy.api import blueprint
from advocacy.api.bodies import (
    json_body,
    list_response,
    string_field,
    string_list,
    version_field,
)
from advocacy.api.serializers import (
    comment_json,
    decision_json,
    notification_json,
    revision_json,
    story_json,
)
from advocacy.channels import NETWORK_VALUES
from advocacy.curation import operations as curation
from advocacy.database import as_utc, utcnow
from advocacy.errors import Rejected
from advocacy.extensions import check_limited, comment_limited
from advocacy.notifications import operations as notifications
from advocacy.paging import parse_page, parse_per_page
from advocacy.rulebook import operations as rulebook
from advocacy.security import requires
from advocacy.stories import operations as stories
from advocacy.text import parse_id, require_storable

NETWORKS = NETWORK_VALUES


@blueprint.route("/guidelines/check", methods=["POST"])
@requires()
@check_limited
def check_guidelines() -> Response:
    body = json_body(allowed={"text", "topics", "network"})
    text = string_field(body, "text", required=True) or ""
    network = string_field(body, "network")
    if network is not None and network not in NETWORKS:
        raise Rejected("unknown_network", _l("Unknown network: %(network)s.",
                                             network=network[:40]),
                       status=422, field="network", details={"networks": sorted(NETWORKS)})
    findings = rulebook.check_text(current_user, text, topics=string_list(body, "topics") or [],
                                   network=network)
    return jsonify({"findings": rulebook.findings_json(findings),
                    "blocking": bool(rulebook.blocking(findings))})


@blueprint.route("/review-queue")
@requires(Role.CURATOR)
def review_queue() -> Response:
    topic = request.args.get("topic") or None
    if topic is not None and topic not in {t.slug for t in stories.all_topics()}:
        raise Rejected("unknown_topic", _l("Unknown topic: %(topics)s.",
                                           topics=require_storable(topic[:40], "topic")),
                       field="topic")
    raw_department = request.args.get("department") or ""
    department_id = parse_id(raw_department) if raw_department else None
    if raw_department and department_id is None:
        raise Rejected("invalid_department", _l("“department” must be a department id."),
                       field="department")
    page = curation.review_queue(
        parse_page(request.args.get("page")),
        parse_per_page(request.args.get("per_page"), current_app.config["STORIES_PER_PAGE"]),
        topic=topic, department_id=department_id)
    looking = curation.reviewers([s.id for s in page.items], besides=current_user)
    items = [{**story_json(s), "age_seconds": _age(s.submitted_at),
              "reviewers": [{"id": u.id, "name": u.name} for u in looking.get(s.id, [])]}
             for s in page.items]
    counts = curation.state_counts(topic=topic, department_id=department_id)
    return list_response(items, **page.meta(), counts={str(k): v for k, v in counts.items()})


def _age(moment: datetime | None) -> int | None:
    return int((utcnow() - as_utc(moment)).total_seconds()) if moment else None


def _moment(body: dict[str, Any], name: str) -> datetime | None:
    """An ISO 8601 time with its offset, or a date (midnight in the hub's time zone)."""
    raw = string_field(body, name)
    if not raw:
        return None
    moment: datetime | None
    try:
        if len(raw) == 10:
            moment = to_utc(datetime.combine(date.fromisoformat(raw), time()))
        else:
            moment = datetime.fromisoformat(raw)
            moment = moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise Rejected("invalid_time", _l("“%(field)s” must be a date (2026-12-01) or a time "
                                          "with its offset (2026-12-01T09:00:00+01:00).",
                                          field=name), status=422, field=name)
    return moment.replace(tzinfo=UTC)


@blueprint.route("/stories/<id:story_id>/review", methods=["POST"])
@requires(Role.CURATOR)
def review(story_id: int) -> Response:
    story = curation.story_for_review(current_user, story_id)
    body = json_body(allowed={"decision", "comment", "captions", "topics", "embargo_until",
                              "expires_at", "version"})
    captions = body.get("captions")
    if captions is not None and not isinstance(captions, dict):
        raise Rejected("invalid_type", _l("“%(field)s” must be an object of network: text.",
                                          field="captions"), status=422, field="captions")
    curation.decide(
        current_user, story, curation.parse_verdict(string_field(body, "decision")),
        comment=string_field(body, "comment"), version=version_field(body),
        captions=captions,
        topics=string_list(body, "topics"), embargo_until=_moment(body, "embargo_until"),
        expires_at=_moment(body, "expires_at"))
    return jsonify(story_json(story))


@blueprint.route("/stories/<id:story_id>/curator-edit", methods=["POST"])
@requires(Role.CURATOR)
def curator_edit(story_id: int) -> Response:
    story = curation.story_for_review(current_user, story_id)
    body = json_body(allowed={"title", "body", "version"})
    curation.edit_lightly(current_user, story, title=string_field(body, "title") or story.title,
                          body=string_field(body, "body") or story.body,
                          version=version_field(body))
    return jsonify(story_json(story))


@blueprint.route("/stories/<id:story_id>/comments", methods=["GET"])
@requires()
def thread(story_id: int) -> Response:
    story = curation.story_for_thread(current_user, story_id)
    return list_response([comment_json(c) for c in curation.comments_of(story)],
                 decisions=[decision_json(d) for d in curation.decisions_of(story)])


@blueprint.route("/stories/<id:story_id>/comments", methods=["POST"])
@requires()
@comment_limited
def add_comment(story_id: int) -> tuple[Response, int]:
    story = curation.story_for_thread(current_user, story_id)
    body = json_body(allowed={"body"})
    comment = curation.add_comment(current_user, story, string_field(body, "body", required=True))
    return jsonify(comment_json(comment)), 201


@blueprint.route("/stories/<id:story_id>/revisions")
@requires()
def revisions(story_id: int) -> Response:
    story = curation.story_for_thread(current_user, story_id)
    return list_response([revision_json(r) for r in curation.revisions_of(story)])


@blueprint.route("/notifications")
@requires()
def list_notifications() -> Response:
    page = notifications.notifications_of(current_user, parse_page(request.args.get("page")),
                                          current_app.config["STORIES_PER_PAGE"])
    return list_response([notification_json(n, notifications.wording(n)) for n in page.items],
                 **page.meta(), unread=notifications.unread_count(current_user))
