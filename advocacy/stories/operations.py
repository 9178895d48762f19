"""The only writes to stories: create, edit, submit, withdraw. Each takes the acting user."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.database import utcnow
from advocacy.errors import Conflict, Message, NotFound, Rejected
from advocacy.media import operations as media
from advocacy.paging import Page, paginate
from advocacy.rulebook import operations as rulebook
from advocacy.signals import story_created, story_status_changed, story_submitted, story_updated
from advocacy.stories.models import RevisionKind, Story, StoryRevision, Topic
from advocacy.stories.states import (
    STATUS_LABELS,
    StoryAction,
    StoryStatus,
    allows,
    next_status,
)
from advocacy.text import clean_line, require_line, text_refusal

TITLE_MAX = 150
BODY_MAX = 10_000


def all_topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.name)))


SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def create_topic(slug: str, name: str) -> Topic:
    """A new topic; slugs name topics in the API, so they are short, lower-case and unique."""
    slug, name = slug.strip(), require_line(name, "name")
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 80:
        raise Rejected("invalid_slug", _l("Use lower-case letters, digits and dashes for the "
                                          "short name, at most 80."), field="slug")
    if not name or len(name) > 120:
        raise Rejected("invalid_name", _l("Give the topic a name of at most %(n)d characters.",
                                          n=120), field="name")
    if db.session.scalar(select(Topic.id).where(Topic.slug == slug)) is not None:
        raise Rejected("duplicate_topic", _l("A topic with this short name exists."),
                       status=409, field="slug")
    topic = Topic(slug=slug, name=name)
    db.session.add(topic)
    db.session.flush()
    return topic


def check_text(title: str | None, body: str | None, errors: dict[str, list[Message]]) -> None:
    for field, value, line in (("title", title, True), ("body", body, False)):
        refusal = None if value is None else text_refusal(value, field, line=line)
        if refusal is not None:
            errors.setdefault(field, []).append(refusal.message)
            return
    if title is not None:
        if not clean_line(title):
            errors.setdefault("title", []).append(_l("Give your story a title."))
        elif len(clean_line(title)) > TITLE_MAX:
            errors.setdefault("title", []).append(
                _l("Keep the title to %(max)d characters; it has %(n)d.", max=TITLE_MAX,
                   n=len(clean_line(title))))
    if body is not None:
        if not body.strip():
            errors.setdefault("body", []).append(_l("Tell your story: the text is empty."))
        elif len(body) > BODY_MAX:
            errors.setdefault("body", []).append(
                _l("Keep the story to %(max)d characters; it has %(n)d.", max=BODY_MAX,
                   n=len(body)))


def resolve_topics(slugs: Sequence[str], errors: dict[str, list[Message]]) -> list[Topic]:
    """The topics named by ``slugs``; unknown slugs are reported, not ignored."""
    wanted = list(dict.fromkeys(s.strip() for s in slugs if s.strip()))
    if not wanted:
        return []
    valid = [slug for slug in wanted if SLUG_PATTERN.fullmatch(slug) and len(slug) <= 80]
    found = {t.slug: t for t in db.session.scalars(select(Topic).where(Topic.slug.in_(valid)))}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        shown = ", ".join(repr(s[:40])[1:-1] for s in unknown[:5])
        if len(unknown) > 5:
            shown += " …"
        errors.setdefault("topics", []).append(_l("Unknown topic: %(topics)s.", topics=shown))
    return [found[slug] for slug in wanted if slug in found]


def _raise(errors: dict[str, list[Message]]) -> None:
    if errors:
        field, messages = next(iter(errors.items()))
        code = "unknown_topic" if field == "topics" and len(errors) == 1 else "invalid_story"
        raise Rejected(code, messages[0], status=422, fields=errors)


def create_story(author: User, *, title: str, body: str, topics: Sequence[str],
                 photos: Sequence[FileStorage] = (), consent: bool = False) -> Story:
    """A new draft by ``author``, with its photos checked and stored."""
    errors: dict[str, list[Message]] = {}
    check_text(title, body, errors)
    chosen = resolve_topics(topics, errors)
    _raise(errors)
    checked = media.check_photos(photos, already=0)
    story = Story(author=author, title=clean_line(title), body=body.strip(),
                  status=StoryStatus.DRAFT, consent_confirmed=consent, topics=chosen)
    db.session.add(story)
    db.session.flush()
    media.store_photos(story, checked, author, consent=consent)
    story_created.send(story, actor=author)
    return story


def update_story(actor: User, story: Story, *, title: str | None = None,
                 body: str | None = None, topics: Sequence[str] | None = None,
                 photos: Sequence[FileStorage] = (), consent: bool | None = None,
                 remove_media: Sequence[int] = ()) -> Story:
    """Change an editable story of ``actor``'s; only the given fields change."""
    require_editable(actor, story)
    errors: dict[str, list[Message]] = {}
    check_text(title, body, errors)
    chosen = resolve_topics(topics, errors) if topics is not None else None
    _raise(errors)
    # Videos have their own limit (MAX_VIDEOS): only photos count towards MAX_PHOTOS.
    remaining = len([m for m in story.media
                     if m.id not in set(remove_media) and not m.is_video])
    checked = media.check_photos(photos, already=remaining)
    changes: set[str] = set()
    if title is not None and clean_line(title) != story.title:
        story.title = clean_line(title)
        changes.add("title")
    if body is not None and body.strip() != story.body:
        story.body = body.strip()
        changes.add("body")
    if chosen is not None and [t.id for t in chosen] != [t.id for t in story.topics]:
        story.topics = chosen
        changes.add("topics")
    for asset_id in remove_media:
        media.remove_photo(story, asset_id)
        changes.add("media")
    if checked:
        media.store_photos(story, checked, actor, consent=bool(consent))
        changes.add("media")
    if consent is not None:
        story.consent_confirmed = consent
        media.confirm_consent(story, actor, consent)
        changes.add("consent")
    if changes:
        story.updated_at = utcnow()
        db.session.flush()
        story_updated.send(story, actor=actor, changes=changes)
    return story


def require_version(story: Story, expected: int | None) -> None:
    """Optimistic locking for forms and clients: refuse to act on a story that changed
    since it was loaded (409 ``stale``); ``None`` means the caller did not say."""
    if expected is not None and expected != story.version:
        raise Conflict("stale", _l("Someone else changed this story since you opened it. "
                                   "Reload to see what changed."),
                       version=story.version, status=str(story.status))


def require_editable(actor: User, story: Story) -> None:
    """Only the author edits, and only in an editable state (409 otherwise)."""
    if story.author_id != actor.id:
        raise NotFound()
    if not story.is_editable:
        status = StoryStatus(story.status)
        if allows(status, StoryAction.WITHDRAW):
            message = _l("A story with the status “%(status)s” cannot be edited. Withdraw it "
                         "first if you want to change it.", status=STATUS_LABELS[status])
        else:
            message = _l("A story with the status “%(status)s” can no longer be changed.",
                         status=STATUS_LABELS[status])
        raise Conflict("not_editable", message, status=status.value)


def change_status(actor: User | None, story: Story, action: StoryAction) -> Story:
    """Move ``story`` along the state machine (409 when ``action`` is not allowed now)."""
    previous = StoryStatus(story.status)
    story.status = next_status(previous, action)
    story.updated_at = utcnow()
    db.session.flush()
    story_status_changed.send(story, actor=actor, action=action, previous=previous)
    return story


def submit_story(actor: User, story: Story, explanation: str | None = None) -> Story:
    """Hand the story in for review after the guideline pre-flight.

    Blocking findings stop it (422 with the findings); warnings need the author's
    ``explanation``. Each submission is kept as a revision with its findings.
    """
    if story.author_id != actor.id:
        raise NotFound()
    next_status(story.status, StoryAction.SUBMIT)  # a 409 comes before any finding
    findings = rulebook.check_story(story)
    explanation = rulebook.require_clearance(findings, explanation)
    change_status(actor, story, StoryAction.SUBMIT)
    story.submitted_at = utcnow()
    revision = add_revision(story, actor, findings=rulebook.findings_json(findings),
                            explanation=explanation)
    story_submitted.send(story, actor=actor, revision=revision)
    return story


def add_revision(story: Story, actor: User, *, kind: RevisionKind = RevisionKind.SUBMISSION,
                 findings: list[dict[str, Any]], explanation: str | None = None,
                 ) -> StoryRevision:
    """Keep the story's current text as its next revision."""
    last = db.session.scalar(select(func.max(StoryRevision.number))
                             .where(StoryRevision.story_id == story.id))
    revision = StoryRevision(story_id=story.id, number=(last or 0) + 1, kind=kind,
                             title=story.title, body=story.body,
                             topics=[t.slug for t in story.topics], findings=findings,
                             explanation=explanation, created_by_id=actor.id)
    db.session.add(revision)
    db.session.flush()
    return revision


def withdraw_story(actor: User, story: Story) -> Story:
    """Take the story back out of review (or off the feed once approved)."""
    if story.author_id != actor.id:
        raise NotFound()
    return change_status(actor, story, StoryAction.WITHDRAW)


def story_for(user: User, story_id: int) -> Story:
    """The story if ``user`` may see it; someone else's draft is simply not found."""
    story = db.session.get(Story, story_id)
    if story is None or not story.can_view(user):
        raise NotFound()
    return story


def stories_of(author: User, page: int, per_page: int,
               status: StoryStatus | None = None) -> Page[Story]:
    """``author``'s own stories, most recently changed first."""
    query = select(Story).where(Story.author_id == author.id)
    if status is not None:
        query = query.where(Story.status == status)
    return paginate(query.order_by(Story.updated_at.desc(), Story.id.desc()), page, per_page)
