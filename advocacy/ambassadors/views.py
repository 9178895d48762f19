"""The ambassador page (opt in, topics, preferences, opt out) and the feed."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from advocacy.ambassadors import operations
from advocacy.ambassadors.forms import OptInForm, OptOutForm, PreferencesForm
from advocacy.errors import Rejected
from advocacy.forms import show_errors
from advocacy.paging import parse_page
from advocacy.security import requires
from advocacy.sharing import operations as sharing
from advocacy.stories import operations as stories

blueprint = Blueprint("ambassadors", __name__)


def _with_topics(form: OptInForm | PreferencesForm) -> OptInForm | PreferencesForm:
    form.topics.choices = [SelectChoice(t.slug, t.name) for t in stories.all_topics()]
    return form


@blueprint.route("/ambassador", methods=["GET", "POST"])
@requires()
def page() -> Response | str | tuple[str, int]:
    ambassador = operations.ambassador_of(current_user)
    if ambassador is None:
        form = _with_topics(OptInForm())
        if request.method == "POST":
            try:
                operations.opt_in(current_user, topics=form.topics.data or [])
                flash(_("Welcome, ambassador. Your feed shows approved stories on your "
                        "topics."), "success")
                return redirect(url_for("ambassadors.feed"))
            except Rejected as exc:
                show_errors(form, exc)
                return render_template("ambassadors/opt_in.html", form=form), exc.status
        return render_template("ambassadors/opt_in.html", form=form)
    form = _with_topics(PreferencesForm())
    if request.method == "GET":
        form.topics.data = [t.slug for t in ambassador.topics]
        form.mastodon_instance.data = ambassador.mastodon_instance or ""
        form.named_in_reports.data = ambassador.named_in_reports
    else:
        try:
            operations.choose_topics(ambassador, form.topics.data or [])
            operations.set_preferences(
                ambassador, mastodon_instance=form.mastodon_instance.data or None,
                clear_instance=not (form.mastodon_instance.data or "").strip(),
                named_in_reports=bool(form.named_in_reports.data))
            flash(_("Saved."), "success")
            return redirect(url_for("ambassadors.page"))
        except Rejected as exc:
            show_errors(form, exc)
            return render_template("ambassadors/preferences.html", form=form,
                                   ambassador=ambassador, opt_out=OptOutForm()), exc.status
    return render_template("ambassadors/preferences.html", form=form, ambassador=ambassador,
                           opt_out=OptOutForm())


@blueprint.route("/ambassador/opt-out", methods=["POST"])
@requires()
def opt_out() -> Response:
    if operations.opt_out(current_user):
        flash(_("You are no longer an ambassador. Your shares remain only as anonymous "
                "totals."), "success")
    return redirect(url_for("ambassadors.page"))


@blueprint.route("/feed")
@requires()
def feed() -> Response | str:
    ambassador = operations.ambassador_of(current_user)
    if ambassador is None:
        return redirect(url_for("ambassadors.page"))
    page = operations.feed(ambassador, parse_page(request.args.get("page")),
                           current_app.config["FEED_PER_PAGE"])
    return render_template(
        "ambassadors/feed.html", page=page, ambassador=ambassador,
        shared=sharing.shared_networks(current_user, [s.id for s in page.items]))
