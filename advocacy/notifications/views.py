"""The signed-in user's notifications."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from advocacy.notifications import operations
from advocacy.paging import parse_page
from advocacy.security import requires

blueprint = Blueprint("notifications", __name__)


@blueprint.app_context_processor
def _unread() -> dict[str, object]:
    def unread() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        return operations.unread_count(current_user)

    return {"unread_notifications": unread}


@blueprint.route("/notifications")
@requires()
def inbox() -> str:
    page = operations.notifications_of(current_user, parse_page(request.args.get("page")),
                                       current_app.config["STORIES_PER_PAGE"])
    return render_template("notifications/inbox.html", page=page,
                           wording=operations.wording)


@blueprint.route("/notifications/read", methods=["POST"])
@requires()
def read() -> Response:
    operations.mark_read(current_user)
    return redirect(url_for("notifications.inbox"))
