"""My stories, writing and editing a story, submitting and withdrawing it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from advocacy.errors import Rejected
from advocacy.media.operations import removed_summary
from advocacy.paging import parse_page
from advocacy.security import requires
from advocacy.stories import operations
from advocacy.stories.forms import StoryForm
from advocacy.stories.models import Story
from advocacy.stories.queries import story_rows
from advocacy.stories.states import STATUS_LABELS, StoryAction, allows
from advocacy.text import parse_id

blueprint = Blueprint("stories", __name__)


@blueprint.app_context_processor
def _story_helpers() -> dict[str, object]:
    return {"STATUS_LABELS": STATUS_LABELS, "StoryAction": StoryAction, "allows": allows}


@blueprint.route("/stories")
@requires()
def mine() -> str:
    page = story_rows(
        current_user, parse_page(request.args.get("page")),
        current_app.config["STORIES_PER_PAGE"],
    )
    # Translate the status labels once per page, not once per row.
    labels = {status: str(label) for status, label in STATUS_LABELS.items()}
    return render_template("stories/mine.html", page=page, labels=labels)


def _form(story: Story | None = None) -> StoryForm:
    form = StoryForm(obj=None)
    form.topics.choices = [SelectChoice(t.slug, t.name) for t in operations.all_topics()]
    if story is not None:
        form.remove_media.choices = [SelectChoice(str(m.id)) for m in story.media]
        if request.method == "GET":
            form.title.data = story.title
            form.body.data = story.body
            form.topics.data = [t.slug for t in story.topics]
            form.consent.data = story.consent_confirmed
    return form


def _photos() -> list:  # type: ignore[type-arg]
    return request.files.getlist("photos") + request.files.getlist("camera")


def _after_save(story: Story) -> Response:
    if request.form.get("action") == "submit":
        operations.submit_story(current_user, story)
        flash(_("Your story is submitted. The comms team will look at it."), "success")
    else:
        flash(_("Your draft is saved."), "success")
    # The story page tells the author what was removed from the photos.
    return redirect(url_for("stories.detail", story_id=story.id))


@blueprint.route("/stories/new", methods=["GET", "POST"])
@requires()
def new() -> Response | str | tuple[str, int]:
    form = _form()
    if request.method == "POST":
        try:
            story = operations.create_story(
                current_user, title=form.title.data or "", body=form.body.data or "",
                topics=form.topics.data or [], photos=_photos(), consent=bool(form.consent.data),
            )
            return _after_save(story)
        except Rejected as exc:
            form.field_errors(dict(exc.fields) or {"photos": [exc.message]})
            return render_template("stories/edit.html", form=form, story=None), exc.status
    return render_template("stories/edit.html", form=form, story=None)


@blueprint.route("/stories/<id:story_id>")
@requires()
def detail(story_id: int) -> str:
    story = operations.story_for(current_user, story_id)
    return render_template("stories/detail.html", story=story,
                           removed=removed_summary(story.media))


@blueprint.route("/stories/<id:story_id>/edit", methods=["GET", "POST"])
@requires()
def edit(story_id: int) -> Response | str | tuple[str, int]:
    story = operations.story_for(current_user, story_id)
    operations.require_editable(current_user, story)
    form = _form(story)
    if request.method == "POST":
        try:
            operations.update_story(
                current_user, story, title=form.title.data or "", body=form.body.data or "",
                topics=form.topics.data or [], photos=_photos(),
                consent=bool(form.consent.data),
                remove_media=[i for i in map(parse_id, form.remove_media.data or []) if i],
            )
            return _after_save(story)
        except Rejected as exc:
            form.field_errors(dict(exc.fields) or {"photos": [exc.message]})
            return render_template("stories/edit.html", form=form, story=story), exc.status
    return render_template("stories/edit.html", form=form, story=story)


@blueprint.route("/stories/<id:story_id>/submit", methods=["POST"])
@requires()
def submit(story_id: int) -> Response:
    story = operations.story_for(current_user, story_id)
    operations.submit_story(current_user, story)
    flash(_("Your story is submitted. The comms team will look at it."), "success")
    return redirect(url_for("stories.detail", story_id=story.id))


@blueprint.route("/stories/<id:story_id>/withdraw", methods=["POST"])
@requires()
def withdraw(story_id: int) -> Response:
    story = operations.story_for(current_user, story_id)
    operations.withdraw_story(current_user, story)
    flash(_("Your story is withdrawn. You can edit it and submit it again."), "info")
    return redirect(url_for("stories.detail", story_id=story.id))
