"""My stories, writing and editing a story, submitting and withdrawing it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from advocacy import database as db
from advocacy.curation import operations as curation
from advocacy.curation.forms import CommentForm
from advocacy.errors import Rejected
from advocacy.forms import show_errors
from advocacy.media.operations import removed_summary
from advocacy.media.storage import StorageUnavailable
from advocacy.notifications import operations as notifications
from advocacy.paging import parse_page
from advocacy.rulebook import operations as rulebook
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


def _after_save(story: Story, form: StoryForm) -> Response | str:
    if request.form.get("action") == "submit":
        try:
            operations.submit_story(current_user, story, form.explanation.data)
        except rulebook.NotCleared as exc:
            # The draft is saved (so this is not an error page); it is not submitted yet.
            show_errors(form, exc, fallback="explanation")
            flash(_("Your draft is saved, but not submitted yet."), "info")
            return _edit_page(form, story)
        flash(_("Your story is submitted. The comms team will look at it."), "success")
    else:
        flash(_("Your draft is saved."), "success")
    # The story page tells the author what was removed from the photos.
    return redirect(url_for("stories.detail", story_id=story.id))


def _edit_page(form: StoryForm, story: Story | None) -> str:
    """The form with the pre-flight findings on the text as it stands in the form."""
    texts = {"title": form.title.data or "", "body": form.body.data or ""}
    if story is not None and (story.title, story.body) == (texts["title"], texts["body"]):
        findings = rulebook.check_story(story)  # the saved story: photos and consent too
    elif any(texts.values()):
        findings = rulebook.check_fields(current_user, texts, topics=form.topics.data or [])
    else:
        findings = []
    return render_template("stories/edit.html", form=form, story=story, findings=findings,
                           texts=texts)


def _storage_unavailable(form: StoryForm, story: Story | None,
                         exc: StorageUnavailable) -> tuple[str, int, dict[str, str]]:
    """The photos could not be stored: nothing is saved, and the form comes back as typed."""
    db.rollback()  # the page shows the story as stored, not half-changed
    show_errors(form, exc, fallback="photos")
    return _edit_page(form, story), exc.status, exc.headers


@blueprint.route("/stories/new", methods=["GET", "POST"])
@requires()
def new() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    form = _form()
    if request.method == "POST":
        try:
            story = operations.create_story(
                current_user, title=form.title.data or "", body=form.body.data or "",
                topics=form.topics.data or [], photos=_photos(), consent=bool(form.consent.data),
            )
            return _after_save(story, form)
        except StorageUnavailable as exc:
            return _storage_unavailable(form, None, exc)
        except Rejected as exc:
            show_errors(form, exc, fallback="photos")
            return _edit_page(form, None), exc.status
    return _edit_page(form, None)


@blueprint.route("/stories/<id:story_id>")
@requires()
def detail(story_id: int) -> str:
    story = operations.story_for(current_user, story_id)
    context: dict[str, object] = {}
    if curation.can_take_part(current_user, story):
        history = curation.revisions_of(story)
        context = {"thread": curation.thread_of(story, history), "comment": CommentForm(),
                   "can_comment": curation.can_comment(current_user, story),
                   "edits": curation.curator_edits(history)}
    if story.author_id == current_user.id:
        context["findings"] = rulebook.check_story(story)
        notifications.mark_read(current_user, story_id=story.id)
    return render_template("stories/detail.html", story=story,
                           removed=removed_summary(story.media), **context)


@blueprint.route("/stories/<id:story_id>/edit", methods=["GET", "POST"])
@requires()
def edit(story_id: int) -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
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
            return _after_save(story, form)
        except StorageUnavailable as exc:
            return _storage_unavailable(form, story, exc)
        except Rejected as exc:
            show_errors(form, exc, fallback="photos")
            return _edit_page(form, story), exc.status
    return _edit_page(form, story)


@blueprint.route("/stories/<id:story_id>/submit", methods=["POST"])
@requires()
def submit(story_id: int) -> Response:
    story = operations.story_for(current_user, story_id)
    try:
        operations.submit_story(current_user, story)
    except rulebook.NotCleared as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("stories.edit", story_id=story.id))
    flash(_("Your story is submitted. The comms team will look at it."), "success")
    return redirect(url_for("stories.detail", story_id=story.id))


@blueprint.route("/stories/<id:story_id>/withdraw", methods=["POST"])
@requires()
def withdraw(story_id: int) -> Response:
    story = operations.story_for(current_user, story_id)
    operations.withdraw_story(current_user, story)
    flash(_("Your story is withdrawn. You can edit it and submit it again."), "info")
    return redirect(url_for("stories.detail", story_id=story.id))
