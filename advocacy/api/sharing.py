"""API handlers of ambassadors, the feed, shares, impact, where a story travelled and
retraction (docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from advocacy.accounts.models import Role
from advocacy.ambassadors import operations as ambassadors
from advocacy.ambassadors.models import Ambassador
from advocacy.analytics import operations as analytics
from advocacy.api import blueprint
from advocacy.api.bodies import (
    json_body,
    json_bool,
    list_response,
    string_field,
    string_list,
    version_field,
)
from advocacy.api.serializers import iso, story_json
from advocacy.channels import parse_network
from advocacy.curation import operations as curation
from advocacy.errors import Rejected
from advocacy.extensions import check_limited
from advocacy.memo import Memo
from advocacy.paging import parse_page, parse_per_page
from advocacy.security import requires
from advocacy.sharing import operations as sharing
from advocacy.sharing.models import Share


def ambassador_json(ambassador: Ambassador | None) -> dict[str, Any]:
    if ambassador is None:
        return {"opted_in": False, "topics": [], "mastodon_instance": None,
                "named_in_reports": False, "opted_in_at": None}
    return {"opted_in": True, "topics": [t.slug for t in ambassador.topics],
            "mastodon_instance": ambassador.mastodon_instance,
            "named_in_reports": ambassador.named_in_reports,
            "opted_in_at": iso(ambassador.opted_in_at)}


def share_json(share: Share, ambassador: Ambassador | None) -> dict[str, Any]:
    return {"id": share.id, "story_id": share.story_id, "network": share.network,
            "status": str(share.status), "text": share.text,
            "tracked_url": sharing.tracked_url(share.code),
            "intent_url": sharing.intent_for(share, ambassador),
            "post_url": share.post_url, "created_at": iso(share.created_at),
            "posted_at": iso(share.posted_at),
            "clicks": analytics.clicks_of(share).as_json()}


@blueprint.route("/ambassador")
@requires()
def ambassador_status() -> Response:
    return jsonify(ambassador_json(ambassadors.ambassador_of(current_user)))


@blueprint.route("/ambassador", methods=["POST"])
@requires()
def ambassador_choice() -> Response:
    """Opt in (with topics and preferences) or out; opting out keeps only anonymous totals."""
    body = json_body(allowed={"opt_in", "topics", "mastodon_instance", "named_in_reports"})
    opt_in = json_bool(body, "opt_in")
    if opt_in is None:
        raise Rejected("missing_field", _l("“%(field)s” is required.", field="opt_in"),
                       field="opt_in")
    if not opt_in:
        ambassadors.opt_out(current_user)
        return jsonify(ambassador_json(None))
    topics = string_list(body, "topics")
    named = json_bool(body, "named_in_reports")
    ambassador = ambassadors.opt_in(current_user, topics=topics)
    instance = body.get("mastodon_instance")
    forget = "mastodon_instance" in body and instance in (None, "")
    ambassadors.set_preferences(ambassador, mastodon_instance=None if forget else instance,
                                clear_instance=forget, named_in_reports=named)
    return jsonify(ambassador_json(ambassador))


#: Feed items as JSON text by (story, version, address), without the reader's marks: the
#: same for every ambassador, so each process serialises a story once per version.
FeedKey = tuple[int, tuple[int, datetime], str]
FEED_ITEMS: Memo[FeedKey, str] = Memo(20_000, ttl=300)


NOT_SHARED = ',"shared_on":[]}'


@blueprint.route("/feed")
@requires()
def feed() -> Response:
    reader = ambassadors.reader(current_user)
    window = ambassadors.feed(
        reader, parse_page(request.args.get("page")),
        parse_per_page(request.args.get("per_page"), current_app.config["FEED_PER_PAGE"]))
    base = request.host_url
    encode = current_app.json.dumps

    def serialise(keys: list[FeedKey]) -> dict[FeedKey, str]:
        found = ambassadors.stories_by_id([key[0] for key in keys])
        # Without its closing brace: the reader's "shared_on" goes in there.
        return {key: encode(story_json(found[key[0]], public=True))[:-1]
                if key[0] in found else "" for key in keys}

    items = FEED_ITEMS.many([(story_id, stamp, base)
                             for story_id, stamp in window.items], serialise)
    shared = sharing.shared_networks(reader.user_id, reader.latest_share,
                                     [story_id for story_id, _stamp in window.items])
    body = ",".join(f'{item},"shared_on":{encode(sorted(shared[story_id]))}}}'
                    if story_id in shared else item + NOT_SHARED
                    for (story_id, _), item in zip(window.items, items, strict=True) if item)
    meta = encode(window.meta())
    return current_app.response_class(f'{{"items":[{body}],{meta[1:]}',
                                      mimetype="application/json")


@blueprint.route("/stories/<id:story_id>/shares", methods=["POST"])
@requires()
def create_share(story_id: int) -> tuple[Response, int]:
    ambassadors.require_ambassador(current_user)
    story = sharing.story_to_share(current_user, story_id)  # who may know it, before the body
    body = json_body(allowed={"network", "text", "mastodon_instance", "account_id",
                              "scheduled_at"})
    if body.get("account_id") is not None:
        # Direct posting needs a connected account; none can be connected yet.
        raise Rejected("unknown_account", _l("You have no connected account with this id. "
                                             "Leave it out to share by link."),
                       field="account_id")
    if body.get("scheduled_at") is not None:
        raise Rejected("scheduling_needs_account",
                       _l("Only direct posts through a connected account can be scheduled."),
                       field="scheduled_at")
    share = sharing.share_story(current_user, story, network=body.get("network"),
                                text=body.get("text"),
                                mastodon_instance=body.get("mastodon_instance"))
    return jsonify(share_json(share, ambassadors.ambassador_of(current_user))), 201


@blueprint.route("/stories/<id:story_id>/shares/check", methods=["POST"])
@requires()
@check_limited
def check_share(story_id: int) -> Response:
    """What the composer shows: the count as the network counts it, findings, likeness."""
    ambassadors.require_ambassador(current_user)
    story = sharing.story_to_share(current_user, story_id)
    body = json_body(allowed={"network", "text"})
    network = parse_network(body.get("network"))
    composition = sharing.compose_share(current_user, story, network,
                                        sharing.share_text(body.get("text")))
    return jsonify(composition.as_json())


@blueprint.route("/shares/<id:share_id>")
@requires()
def get_share(share_id: int) -> Response:
    share = sharing.share_for(current_user, share_id)
    return jsonify(share_json(share, ambassadors.ambassador_of(current_user)))


@blueprint.route("/shares/<id:share_id>/posted", methods=["POST"])
@requires()
def share_posted(share_id: int) -> Response:
    share = sharing.share_for(current_user, share_id)
    # Every field is optional, so an empty request is as good as {}.
    body = json_body(allowed={"post_url"}) if request.content_length else {}
    sharing.mark_posted(current_user, share, post_url=body.get("post_url"))
    return jsonify(share_json(share, ambassadors.ambassador_of(current_user)))


@blueprint.route("/impact")
@requires()
def impact() -> Response:
    ambassadors.require_ambassador(current_user)
    return jsonify(analytics.impact_of(current_user).as_json())


@blueprint.route("/stories/<id:story_id>/travel")
@requires()
def travel(story_id: int) -> Response:
    story = analytics.story_for_travel(current_user, story_id)
    return jsonify(analytics.travel_of(story).as_json())


@blueprint.route("/reports/teams")
@requires(Role.CURATOR)
def team_report() -> Response:
    rows = [{"department": row.department, "ambassadors": row.ambassadors,
             **row.figures.as_json()} for row in analytics.team_report()]
    return list_response(rows, total=len(rows))


@blueprint.route("/stories/<id:story_id>/retract", methods=["POST"])
@requires(Role.CURATOR)
def retract(story_id: int) -> Response:
    story = curation.story_for_review(current_user, story_id)
    body = json_body(allowed={"reason", "version"})
    curation.retract(current_user, story, string_field(body, "reason"),
                     version=version_field(body))
    return jsonify(story_json(story))
