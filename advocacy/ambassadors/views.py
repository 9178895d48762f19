"""The ambassador page (opt in, topics, preferences, opt out) and the feed."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from advocacy.ambassadors import operations
from advocacy.ambassadors.forms import OptInForm, OptOutForm, PreferencesForm
from advocacy.channels import network_label
from advocacy.errors import Rejected
from advocacy.forms import show_errors
from advocacy.i18n import as_list
from advocacy.memo import Memo
from advocacy.paging import parse_page
from advocacy.security import requires
from advocacy.sharing import operations as sharing
from advocacy.site.chrome import render_page
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


#: Feed cards by (story, version, language, address): the same for every ambassador, kept
#: as the markup before and after the place of the reader's own "shared on" mark.
CardKey = tuple[int, tuple[int, datetime], str, str]
CARDS: Memo[CardKey, tuple[str, str]] = Memo(20_000, ttl=300)
SHARED_MARK = "<!--shared-->"


@blueprint.route("/feed")
@requires()
def feed() -> Response | str:
    try:
        reader = operations.reader(current_user)
    except operations.NotAnAmbassador:
        return redirect(url_for("ambassadors.page"))
    window = operations.feed(reader, parse_page(request.args.get("page")),
                             current_app.config["FEED_PER_PAGE"])
    language, base = str(get_locale()), request.host_url

    def render(keys: list[CardKey]) -> dict[CardKey, tuple[str, str]]:
        found = operations.stories_by_id([key[0] for key in keys])
        # Autoescaped by Jinja: what the template rendered is markup, not text.
        return {key: _split(render_template("ambassadors/_card.html", story=found[key[0]]))
                if key[0] in found else ("", "") for key in keys}

    cards = CARDS.many([(story_id, stamp, language, base)
                        for story_id, stamp in window.items], render)
    shared = sharing.shared_networks(reader.user_id, reader.latest_share,
                                     [story_id for story_id, _stamp in window.items])
    parts: list[str] = []
    for (story_id, _stamp), (before, after) in zip(window.items, cards, strict=True):
        if before:
            parts += ('<li class="card feed-item">', before,
                      _shared_mark(shared[story_id]) if story_id in shared else "", after,
                      "</li>")
    # The page around the cards is the same for everyone on this page of a feed as long
    # that shape is: rendered once, with the cards (markup, see above) filled in.
    shape = (window.page, window.has_next, bool(parts), bool(reader.topics))
    return render_page("ambassadors/feed.html", shape, {"items": "".join(parts)},
                       page=window, has_items=bool(parts), has_topics=bool(reader.topics))


def _split(card: str) -> tuple[str, str]:
    before, _, after = card.partition(SHARED_MARK)
    return before, after


#: "Shared on LinkedIn and X" by language and networks: a few dozen, asked for all the time.
MARK_LABELS: Memo[tuple[str, frozenset[str]], Markup] = Memo(1_000)


def _shared_mark(networks: frozenset[str]) -> Markup:
    key = (str(get_locale()), networks)
    mark = MARK_LABELS.get(key)
    if mark is None:
        names = sorted(filter(None, map(network_label, networks)))
        mark = Markup('<span class="shared-mark">✓ {}</span>').format(  # the label is escaped
            _("Shared on %(networks)s", networks=as_list(names)))
        MARK_LABELS.put(key, mark)
    return mark
