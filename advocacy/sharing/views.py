"""The share composer, a share's page with its share link, and the tracked redirect."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from advocacy.ambassadors import operations as ambassadors
from advocacy.analytics import clicks
from advocacy.analytics import operations as analytics
from advocacy.channels import NETWORK_LABELS, Network, network_label, parse_network
from advocacy.errors import Rejected
from advocacy.extensions import check_limited, limiter
from advocacy.forms import show_errors
from advocacy.security import public, requires
from advocacy.sharing import links, operations
from advocacy.sharing.forms import ComposerForm, PostedForm
from advocacy.sharing.models import SHARE_STATUS_LABELS, Share
from advocacy.stories.models import Story

blueprint = Blueprint("sharing", __name__)
blueprint.add_app_template_filter(network_label, "network_label")


@blueprint.app_context_processor
def _sharing_helpers() -> dict[str, object]:
    return {"NETWORK_LABELS": NETWORK_LABELS, "SHARE_STATUS_LABELS": SHARE_STATUS_LABELS}


def _network(raw: str | None) -> Network:
    try:
        return parse_network(raw or Network.LINKEDIN.value)
    except Rejected:
        return Network.LINKEDIN


def _composer(story: Story, form: ComposerForm, network: Network,
              status: int = 200) -> tuple[str, int]:
    ambassador = ambassadors.require_ambassador(current_user)
    composition = operations.compose_share(current_user, story, network, form.text.data or "")
    return render_template(
        "sharing/composer.html", story=story, form=form, network=network,
        composition=composition, ambassador=ambassador,
        earlier=operations.shares_of(current_user, story)), status


@blueprint.route("/stories/<id:story_id>/share", methods=["GET", "POST"])
@requires()
def compose(story_id: int) -> Response | tuple[str, int]:
    if ambassadors.ambassador_of(current_user) is None:
        flash(_("Opt in as an ambassador to share stories."), "info")
        return redirect(url_for("ambassadors.page"))
    story = operations.story_to_share(current_user, story_id)
    form = ComposerForm()
    network = _network(form.network.data if request.method == "POST"
                       else request.args.get("network"))
    if request.method == "GET":
        form.network.data = network.value
        form.text.data = operations.suggested_caption(story, network)
        return _composer(story, form, network)
    try:
        share = operations.share_story(current_user, story, network=form.network.data,
                                       text=form.text.data,
                                       mastodon_instance=form.mastodon_instance.data)
    except Rejected as exc:
        show_errors(form, exc, fallback="text")
        return _composer(story, form, network, exc.status)
    return redirect(url_for("sharing.detail", share_id=share.id))


@blueprint.route("/stories/<id:story_id>/share/check", methods=["POST"])
@requires()
@check_limited
def check(story_id: int) -> tuple[str, int]:
    """The composer's live counter, findings and duplicate warning (a fragment)."""
    ambassadors.require_ambassador(current_user)
    story = operations.story_to_share(current_user, story_id)
    form = ComposerForm()
    try:
        network = parse_network(form.network.data)
        composition = operations.compose_share(current_user, story, network,
                                               operations.share_text(form.text.data))
    except Rejected as exc:
        return render_template("rulebook/_error.html", message=str(exc.message)), exc.status
    return render_template("sharing/_check.html", composition=composition), 200


def _share_page(share: Share, posted: PostedForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "sharing/share.html", share=share, posted=posted,
        intent=operations.intent_for(share, ambassadors.ambassador_of(current_user)),
        tracked=operations.tracked_url(share.code), figures=analytics.clicks_of(share)), status


@blueprint.route("/shares/<id:share_id>")
@requires()
def detail(share_id: int) -> tuple[str, int]:
    return _share_page(operations.share_for(current_user, share_id), PostedForm())


@blueprint.route("/shares/<id:share_id>/posted", methods=["POST"])
@requires()
def posted(share_id: int) -> Response | tuple[str, int]:
    share = operations.share_for(current_user, share_id)
    form = PostedForm()
    try:
        operations.mark_posted(current_user, share, post_url=form.post_url.data)
    except Rejected as exc:
        show_errors(form, exc)
        return _share_page(share, form, exc.status)
    flash(_("Marked as posted. Thank you for sharing."), "success")
    return redirect(url_for("sharing.detail", share_id=share.id))


def _followed_by(owner: int | None) -> bool:
    """Whether the ambassador who made the share follows their own link (not a click):
    read from the session cookie alone, so the redirect still touches no database."""
    signed_in = str(session.get("_user_id") or "")
    return owner is not None and signed_in.partition(":")[0] == str(owner)


@blueprint.route("/l/<code>")
@public
@limiter.exempt  # nothing to protect here, and every microsecond counts on this route
def follow(code: str) -> Response:
    """A share's tracked link: count the click (later, elsewhere) and send the visitor on."""
    if not links.CODE.fullmatch(code):
        abort(404)
    target = links.target(code)
    if target is None:
        abort(404)
    share_id, owner, url = target
    if not _followed_by(owner):
        clicks.note_click(share_id, request)
    response = redirect(url, 302)
    # Every visit must reach the hub to be counted; the address itself is not private.
    response.headers["Cache-Control"] = "no-store"
    return response
