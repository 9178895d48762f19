"""An ambassador's own impact, where a story travelled, and the team-level report."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from advocacy.accounts.models import Role
from advocacy.ambassadors import operations as ambassadors
from advocacy.analytics import operations
from advocacy.security import requires

blueprint = Blueprint("analytics", __name__)


@blueprint.route("/impact")
@requires()
def impact() -> Response | str:
    ambassador = ambassadors.ambassador_of(current_user)
    if ambassador is None:
        return redirect(url_for("ambassadors.page"))
    return render_template("analytics/impact.html", figures=operations.impact_of(current_user))


@blueprint.route("/stories/<id:story_id>/travel")
@requires()
def travel(story_id: int) -> str:
    """For the author and the comms team: shares and clicks by network, nobody by name."""
    story = operations.story_for_travel(current_user, story_id)
    return render_template("analytics/travel.html", story=story,
                           figures=operations.travel_of(story))


@blueprint.route("/reports")
@requires(Role.CURATOR)
def reports() -> str:
    return render_template("analytics/reports.html", teams=operations.team_report(),
                           named=operations.named_ambassadors())
