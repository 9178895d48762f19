"""The review queue, the curator's desk, a story's thread and its revisions."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import to_utc
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from advocacy import database as db
from advocacy.accounts import operations as accounts
from advocacy.accounts.models import Role
from advocacy.curation import operations
from advocacy.curation.diff import compare
from advocacy.curation.forms import (
    NETWORK_NAMES,
    CommentForm,
    DecisionForm,
    EditForm,
    RetractForm,
)
from advocacy.curation.models import VERDICT_DONE, Verdict
from advocacy.errors import NotFound, Rejected
from advocacy.extensions import comment_limited
from advocacy.forms import show_errors
from advocacy.paging import parse_page
from advocacy.rulebook import operations as rulebook
from advocacy.security import requires
from advocacy.stories import operations as stories
from advocacy.stories.models import Story, StoryRevision
from advocacy.stories.states import StoryStatus
from advocacy.text import parse_id

blueprint = Blueprint("curation", __name__)


@blueprint.app_context_processor
def _curation_helpers() -> dict[str, object]:
    return {"VERDICT_DONE": VERDICT_DONE, "Verdict": Verdict, "NETWORK_NAMES": NETWORK_NAMES}


@blueprint.route("/review")
@requires(Role.CURATOR)
def queue() -> str:
    topic = request.args.get("topic") or None
    department_id = parse_id(request.args.get("department") or "")
    topics = stories.all_topics()
    if topic is not None and topic not in {t.slug for t in topics}:
        raise Rejected("unknown_topic", _("Unknown topic: %(topics)s.", topics=topic[:40]),
                       status=400)
    page = operations.review_queue(parse_page(request.args.get("page")),
                                   current_app.config["STORIES_PER_PAGE"], topic=topic,
                                   department_id=department_id)
    return render_template(
        "curation/queue.html", page=page, topics=topics, departments=accounts.departments(),
        topic=topic, department_id=department_id,
        counts=operations.state_counts(topic=topic, department_id=department_id),
        reviewers=operations.reviewers([s.id for s in page.items], besides=current_user))


def _decision_form(story: Story) -> DecisionForm:
    form = DecisionForm()
    form.topics.choices = [SelectChoice(t.slug, t.name) for t in stories.all_topics()]
    if request.method == "GET":
        form.topics.data = [t.slug for t in story.topics]
        form.version.data = story.version
        for network, text in (story.captions or {}).items():
            field = getattr(form, f"caption_{network}", None)
            if field is not None:
                field.data = text
    return form


def _edit_form(story: Story) -> EditForm:
    form = EditForm()
    if request.method == "GET" or request.endpoint != "curation.edit":
        form.title.data, form.body.data, form.version.data = (story.title, story.body,
                                                              story.version)
    return form


def _desk(story: Story, *, decision: DecisionForm | None = None,
          edit: EditForm | None = None, status: int = 200) -> tuple[str, int]:
    history = operations.revisions_of(story)
    return render_template(
        "curation/desk.html", story=story, status_code=status,
        decision=decision or _decision_form(story), edit=edit or _edit_form(story),
        comment=CommentForm(), can_comment=operations.can_comment(current_user, story),
        may_edit=operations.may_pass_own(current_user, story),
        findings=rulebook.check_story(story, acting=current_user),
        thread=operations.thread_of(story, history), revisions=history,
        others=operations.reviewers([story.id], besides=current_user).get(story.id, []),
    ), status


@blueprint.route("/review/<id:story_id>")
@requires(Role.CURATOR)
def desk(story_id: int) -> tuple[str, int]:
    story = operations.story_for_review(current_user, story_id)
    if story.status == StoryStatus.SUBMITTED:
        operations.mark_reviewing(current_user, story)
    return _desk(story)


@blueprint.route("/review/<id:story_id>/presence", methods=["POST"])
@requires(Role.CURATOR)
def presence(story_id: int) -> tuple[str, int]:
    """The open desk page says, every minute, that its curator is still looking."""
    story = operations.story_for_review(current_user, story_id)
    if story.status == StoryStatus.SUBMITTED:
        operations.mark_reviewing(current_user, story)
    return "", 204


def _when(form: DecisionForm, name: str) -> datetime | None:
    """A time typed in the hub's time zone, as UTC."""
    field = getattr(form, name)
    if field.data is None:
        return None
    try:
        moment: datetime = to_utc(field.data)
    except OverflowError:
        raise Rejected("invalid_time", _("Choose a time within five years from now."),
                       field=name) from None
    return moment


def _invalid_fields(form: DecisionForm | EditForm, *names: str) -> None:
    """Dates and versions the browser sent that do not parse are errors, not blanks."""
    if not form.validate():
        fields = {name: list(form.errors[name]) for name in names if form.errors.get(name)}
        if fields:
            first = next(iter(fields.values()))[0]
            raise Rejected("invalid_form", first, fields=fields)


@blueprint.route("/review/<id:story_id>/decide", methods=["POST"])
@requires(Role.CURATOR)
def decide(story_id: int) -> Response | tuple[str, int]:
    story = operations.story_for_review(current_user, story_id)
    form = _decision_form(story)
    try:
        _invalid_fields(form, "embargo_until", "expires_at", "version")
        verdict = operations.parse_verdict(form.decision.data)
        operations.decide(
            current_user, story, verdict, comment=form.comment.data,
            version=form.version.data, captions=form.captions(), topics=form.topics.data or [],
            embargo_until=_when(form, "embargo_until"), expires_at=_when(form, "expires_at"))
    except Rejected as exc:
        db.rollback()  # the desk shows the story as stored, the form as typed
        show_errors(form, exc)
        return _desk(story, decision=form, status=exc.status)
    flash(_("Decision saved: you %(done)s.", done=VERDICT_DONE[verdict]), "success")
    return redirect(url_for("curation.queue"))


@blueprint.route("/review/<id:story_id>/retract", methods=["POST"])
@requires(Role.CURATOR)
def retract(story_id: int) -> Response:
    """Take an approved story back (from its page): 410 for the public, sharers are told."""
    story = operations.story_for_review(current_user, story_id)
    form = RetractForm()
    try:
        operations.retract(current_user, story, form.reason.data, version=form.version.data)
    except Rejected as exc:
        db.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("stories.detail", story_id=story.id))
    flash(_("The story is retracted. Its author and every ambassador who shared it have been "
            "asked to remove their posts."), "success")
    return redirect(url_for("stories.detail", story_id=story.id))


@blueprint.route("/review/<id:story_id>/edit", methods=["POST"])
@requires(Role.CURATOR)
def edit(story_id: int) -> Response | tuple[str, int]:
    story = operations.story_for_review(current_user, story_id)
    form = _edit_form(story)
    try:
        _invalid_fields(form, "version")
        operations.edit_lightly(current_user, story, title=form.title.data or "",
                                body=form.body.data or "", version=form.version.data)
    except Rejected as exc:
        db.rollback()
        show_errors(form, exc)
        return _desk(story, edit=form, status=exc.status)
    flash(_("Your edit is saved and shown to the author."), "success")
    return redirect(url_for("curation.desk", story_id=story.id))


@blueprint.route("/stories/<id:story_id>/comments", methods=["POST"])
@requires()
@comment_limited
def comment(story_id: int) -> Response | tuple[str, int]:
    story = stories.story_for(current_user, story_id)
    form = CommentForm()
    back = (url_for("curation.desk", story_id=story.id)
            if current_user.id != story.author_id else
            url_for("stories.detail", story_id=story.id))
    try:
        operations.add_comment(current_user, story, form.body.data)
    except Rejected as exc:
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")  # the thread shows the message; nothing is kept
        return redirect(back + "#thread")
    return redirect(back + "#thread")


def _revision(revisions: list[StoryRevision], raw: str | None, default: int) -> StoryRevision:
    if not revisions:
        raise NotFound()
    number = parse_id(raw or "") or default
    for revision in revisions:
        if revision.number == number:
            return revision
    raise NotFound(_("This story has no revision %(n)s.", n=str(raw)[:12]))


@blueprint.route("/stories/<id:story_id>/revisions")
@requires()
def revisions(story_id: int) -> str:
    story = operations.story_for_thread(current_user, story_id)
    history = operations.revisions_of(story)
    newest = history[-1].number if history else 1
    old = _revision(history, request.args.get("a"), max(1, newest - 1))
    new = _revision(history, request.args.get("b"), newest)
    diff = compare(old.title, old.body, old.topics, new.title, new.body, new.topics)
    return render_template("curation/revisions.html", story=story, revisions=history,
                           old=old, new=new, diff=diff)
