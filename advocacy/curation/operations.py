"""The curator's writes and the desk's reads: decide, edit lightly, comment, the queue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.channels import NETWORK_VALUES, Network, compose, measure
from advocacy.curation.diff import RevisionDiff, compare
from advocacy.curation.models import Comment, Decision, ReviewPresence, Verdict
from advocacy.database import as_utc, utcnow
from advocacy.errors import Conflict, Message, NotFound, Rejected
from advocacy.guidelines import Finding
from advocacy.media.models import MediaStatus
from advocacy.paging import Page, paginate
from advocacy.rulebook import operations as rulebook
from advocacy.settings.operations import SELF_APPROVAL, setting
from advocacy.sharing.operations import stand_in_link
from advocacy.signals import (
    comment_added,
    story_decided,
    story_edited_by_curator,
    story_retracted,
)
from advocacy.stories import operations as stories
from advocacy.stories.models import (
    PRIVATE,
    RevisionKind,
    Story,
    StoryRevision,
    Topic,
    story_topics,
)
from advocacy.stories.states import StoryAction, StoryStatus, next_status
from advocacy.text import clean_line, require_storable, slugify

COMMENT_MAX = 4000
#: The longest caption for networks that take any length (Facebook, WhatsApp, e-mail).
CAPTION_MAX = 3000
#: How long an open review page counts as "someone is looking at it".
PRESENCE_WINDOW = timedelta(minutes=5)


def can_review(user: Any, story: Story) -> bool:
    """Curators review every story that its author handed in (drafts stay private)."""
    return bool(getattr(user, "is_curator", False)) and StoryStatus(story.status) not in PRIVATE


def story_for_review(curator: User, story_id: int) -> Story:
    story = db.session.get(Story, story_id)
    if story is None or not can_review(curator, story):
        raise NotFound()
    return story


def story_for_thread(user: User, story_id: int) -> Story:
    """The story if ``user`` takes part in its conversation (its author or a curator)."""
    story = stories.story_for(user, story_id)
    if not can_take_part(user, story):
        raise NotFound()
    return story


def can_take_part(user: Any, story: Story) -> bool:
    """The author and the curators talk about a story once it was handed in."""
    if not getattr(user, "is_authenticated", False) or not story.can_view(user):
        return False
    if user.id == story.author_id:
        return StoryStatus(story.status) != StoryStatus.DRAFT or bool(story.submitted_at)
    return can_review(user, story)


# -- the queue ------------------------------------------------------------------------------


def review_queue(page: int, per_page: int, *, topic: str | None = None,
                 department_id: int | None = None) -> Page[Story]:
    """Stories waiting for a decision, oldest submission first."""
    query = _filtered(select(Story), topic, department_id).where(
        Story.status == StoryStatus.SUBMITTED)
    query = query.options(joinedload(Story.author)).order_by(
        Story.submitted_at.asc(), Story.id.asc())
    return paginate(query, page, per_page)


def _filtered(query: Any, topic: str | None, department_id: int | None) -> Any:
    if topic:
        query = (query.join(story_topics, story_topics.c.story_id == Story.id)
                 .join(Topic, Topic.id == story_topics.c.topic_id).where(Topic.slug == topic))
    if department_id is not None:
        query = query.join(User, User.id == Story.author_id).where(
            User.department_id == department_id)
    return query


def state_counts(*, topic: str | None = None,
                 department_id: int | None = None) -> dict[StoryStatus, int]:
    """How many stories are in each state the desk deals with (drafts are the authors')."""
    query = _filtered(select(Story.status, func.count(Story.id)), topic, department_id)
    query = query.where(Story.status.not_in([s.value for s in PRIVATE])).group_by(Story.status)
    counts = {status: 0 for status in StoryStatus if status not in PRIVATE}
    for status, count in db.session.execute(query):
        counts[StoryStatus(status)] = count
    return counts


def mark_reviewing(curator: User, story: Story) -> None:
    """``curator`` has the story open now (others see it in the queue and on the desk)."""
    presence = db.session.get(ReviewPresence, (story.id, curator.id))
    if presence is None:
        try:
            # Two tabs opening the desk at once must not make one of them a conflict page.
            with db.session.begin_nested():
                db.session.add(ReviewPresence(story_id=story.id, curator_id=curator.id))
            return
        except IntegrityError:
            presence = db.session.get(ReviewPresence, (story.id, curator.id),
                                      populate_existing=True)
    if presence is not None:
        presence.seen_at = utcnow()
    db.session.flush()


def reviewers(story_ids: Sequence[int], *, besides: User | None = None,
              ) -> dict[int, list[User]]:
    """Who had each story open in the last few minutes."""
    if not story_ids:
        return {}
    query = select(ReviewPresence).where(ReviewPresence.story_id.in_(story_ids),
                                         ReviewPresence.seen_at > utcnow() - PRESENCE_WINDOW)
    if besides is not None:
        query = query.where(ReviewPresence.curator_id != besides.id)
    found: dict[int, list[User]] = {}
    for presence in db.session.scalars(query.order_by(ReviewPresence.seen_at.desc())):
        found.setdefault(presence.story_id, []).append(presence.curator)
    return found


# -- decisions --------------------------------------------------------------------------------


def parse_verdict(raw: str | None) -> Verdict:
    try:
        return Verdict(raw or "")
    except ValueError:
        raise Rejected("invalid_decision",
                       _l("Choose a decision: approve, request changes or reject."),
                       status=422, field="decision") from None


def _comment_text(raw: str | None, verdict: Verdict) -> str:
    text = require_storable(raw or "", "comment").strip()
    if not text and verdict != Verdict.APPROVE:
        raise Rejected("comment_required",
                       _l("Tell the author why: a comment is needed for anything but "
                          "approval."), status=422, field="comment")
    if len(text) > COMMENT_MAX:
        raise Rejected("comment_too_long", _l("Keep the comment to %(max)d characters.",
                                              max=COMMENT_MAX), status=422, field="comment")
    return text


def _captions(curator: User, story: Story, raw: Mapping[str, Any] | None,
              errors: dict[str, list[Message]]) -> dict[str, str]:
    captions: dict[str, str] = {}
    for network, text in (raw or {}).items():
        field = f"caption_{network}"
        if network not in NETWORK_VALUES:
            errors.setdefault("captions", []).append(
                _l("Unknown network: %(network)s.", network=str(network)[:40]))
            continue
        if not isinstance(text, str):
            errors.setdefault(field, []).append(_l("A caption is text."))
            continue
        text = require_storable(text, field).strip()
        if not text:
            continue
        # Counted as the network will count it, with the share's link added.
        length = measure(Network(network), compose(text, stand_in_link()))
        limit = length.limit or CAPTION_MAX
        if not length.fits or length.count > limit:
            errors.setdefault(field, []).append(
                _l("With the link added, this caption counts %(n)d on this network; the limit "
                   "is %(max)d.", max=limit, n=length.count))
            continue
        stopped = rulebook.blocking(rulebook.check_text(
            curator, text, topics=[t.slug for t in story.topics], network=network))
        if stopped:
            errors.setdefault(field, []).extend(f.message for f in stopped)
            continue
        captions[network] = text
    return captions


#: How far ahead a curator may plan an embargo or an expiry.
PLANNING_HORIZON = timedelta(days=5 * 366)


def _window(embargo: datetime | None, expiry: datetime | None,
            errors: dict[str, list[Message]]) -> None:
    now = utcnow()
    for field, moment in (("embargo_until", embargo), ("expires_at", expiry)):
        if moment is not None and not (
                now - PLANNING_HORIZON < as_utc(moment) < now + PLANNING_HORIZON):
            errors.setdefault(field, []).append(
                _l("Choose a time within five years from now."))
    if errors:
        return
    if expiry is not None and as_utc(expiry) <= now:
        errors.setdefault("expires_at", []).append(_l("The expiry must lie in the future."))
    if embargo is not None and expiry is not None and as_utc(expiry) <= as_utc(embargo):
        errors.setdefault("expires_at", []).append(
            _l("The story must expire after its embargo ends."))


def may_pass_own(curator: User, story: Story) -> bool:
    """Whether ``curator`` may approve or edit ``story`` as the comms team: not their own
    story, unless an admin allows self-approval (a one-person comms team)."""
    return story.author_id != curator.id or setting(SELF_APPROVAL)


def decide(curator: User, story: Story, verdict: Verdict, *, comment: str | None = None,
           version: int | None = None, captions: Mapping[str, Any] | None = None,
           topics: Sequence[str] | None = None, embargo_until: datetime | None = None,
           expires_at: datetime | None = None) -> Decision:
    """Approve, send back or reject a submitted story; only one curator's decision counts."""
    if not can_review(curator, story):
        raise NotFound()
    stories.require_version(story, version)
    next_status(story.status, verdict.action)  # 409 when someone else decided first
    if verdict == Verdict.APPROVE and not may_pass_own(curator, story):
        raise Rejected("own_story", _l("You cannot approve your own story: another curator "
                                       "checks it. An admin can allow this."), status=403)
    if verdict == Verdict.APPROVE:
        require_videos_ready(story)
    text = _comment_text(comment, verdict)
    findings: list[Finding] = []
    caption_texts: dict[str, str] = {}
    if verdict == Verdict.APPROVE:
        errors: dict[str, list[Message]] = {}
        chosen = stories.resolve_topics(topics, errors) if topics is not None else None
        _window(embargo_until, expires_at, errors)
        if chosen is not None:
            story.topics = chosen
        caption_texts = _captions(curator, story, captions, errors)
        if errors:
            field, messages = next(iter(errors.items()))
            raise Rejected("invalid_decision", messages[0], status=422, fields=errors)
        findings = rulebook.check_story(story, acting=curator)
        stopped = rulebook.blocking(findings)
        if stopped:
            raise Rejected("guidelines_block",
                           _l("This story cannot be approved: %(n)d finding(s) of the brand "
                              "guidelines block it. Edit it lightly or ask for changes.",
                              n=len(stopped)),
                           status=422, details={"findings": rulebook.findings_json(findings)})
        embargo_until = _with_quiet_periods(embargo_until, findings)
        story.approved_at = utcnow()
        story.retracted_at = story.retraction_reason = None
        if story.slug is None:
            story.slug = slugify(story.title, story.id)
        story.embargo_until = embargo_until
        story.expires_at = expires_at
        story.captions = caption_texts
    else:
        findings = rulebook.check_story(story, acting=curator)
    stories.change_status(curator, story, verdict.action)
    decision = Decision(
        story_id=story.id, revision_id=_latest_revision_id(story), curator_id=curator.id,
        verdict=verdict, comment=text, captions=caption_texts,
        topics=[t.slug for t in story.topics], embargo_until=story.embargo_until,
        expires_at=story.expires_at, findings=rulebook.findings_json(findings))
    db.session.add(decision)
    db.session.flush()
    story_decided.send(decision, actor=curator, story=story)
    return decision


def require_videos_ready(story: Story) -> None:
    """Approval waits until every video is playable (409 ``videos_not_ready``): what is approved
    is what readers will see. A failed video blocks it until its author removes it."""
    failed = [m.id for m in story.media if m.is_video and m.status == MediaStatus.FAILED]
    waiting = [m.id for m in story.media
               if m.is_video and m.status in (MediaStatus.UPLOADING, MediaStatus.PROCESSING)]
    if failed:
        raise Conflict("videos_not_ready", ngettext(
            "This story cannot be approved: %(num)d video could not be processed. Ask for "
            "changes so that the author removes or replaces it.",
            "This story cannot be approved: %(num)d videos could not be processed. Ask for "
            "changes so that the author removes or replaces them.", len(failed)),
            failed=failed, processing=waiting)
    if waiting:
        raise Conflict("videos_not_ready", ngettext(
            "This story cannot be approved yet: %(num)d video is still being processed. "
            "Try again in a few minutes.",
            "This story cannot be approved yet: %(num)d videos are still being processed. "
            "Try again in a few minutes.", len(waiting)),
            failed=failed, processing=waiting)


def _with_quiet_periods(embargo: datetime | None, findings: Sequence[Finding],
                        ) -> datetime | None:
    """A quiet period with "embargo" holds the story back at least until it ends."""
    for finding in findings:
        if finding.embargo_until is not None:
            until = datetime.combine(finding.embargo_until, datetime.min.time(),
                                     tzinfo=utcnow().tzinfo)
            if embargo is None or as_utc(embargo) < until:
                embargo = until
    return embargo


def _latest_revision_id(story: Story) -> int | None:
    return db.session.scalar(select(StoryRevision.id).where(StoryRevision.story_id == story.id)
                             .order_by(StoryRevision.number.desc()).limit(1))


def archive_expired(now: datetime | None = None) -> int:
    """Archive approved stories whose expiry has passed; answers how many."""
    moment = now or utcnow()
    expired = list(db.session.scalars(select(Story).where(
        Story.status == StoryStatus.APPROVED, Story.expires_at.is_not(None),
        Story.expires_at <= moment)))
    for story in expired:
        stories.change_status(None, story, StoryAction.ARCHIVE)
    return len(expired)


#: A retraction's reason goes to the author and every ambassador who shared the story.
MAX_REASON = 2000


def retract(curator: User, story: Story, reason: str | None, *,
            version: int | None = None) -> Story:
    """Take an approved story back: its page answers 410 and its sharers are asked to remove
    their posts."""
    if not can_review(curator, story):
        raise NotFound()
    stories.require_version(story, version)
    next_status(story.status, StoryAction.RETRACT)  # 409 unless it is approved
    text = require_storable((reason or "").strip(), "reason")
    if not text:
        raise Rejected("reason_required", _l("Say why the story is retracted: the author and "
                                             "its ambassadors read this."), field="reason")
    if len(text) > MAX_REASON:
        raise Rejected("reason_too_long", _l("Keep the reason under %(max)d characters.",
                                             max=MAX_REASON), field="reason")
    story.retracted_at = utcnow()
    story.retraction_reason = text
    stories.change_status(curator, story, StoryAction.RETRACT)
    story_retracted.send(story, actor=curator, reason=text)
    return story


# -- light edits --------------------------------------------------------------------------------


def edit_lightly(curator: User, story: Story, *, title: str, body: str,
                 version: int | None = None) -> StoryRevision:
    """A curator's small correction during review: kept as a credited revision, shown to
    the author as a diff; the author's own text stays in the history."""
    if not can_review(curator, story):
        raise NotFound()
    stories.require_version(story, version)
    if StoryStatus(story.status) != StoryStatus.SUBMITTED:
        raise Conflict("not_in_review", _l("Only a story under review can be edited by a "
                                           "curator."), status=str(story.status))
    # A curator's edit goes out under the comms team's name, as an approval does.
    if not may_pass_own(curator, story):
        raise Rejected("own_story", _l("You cannot edit your own story as a curator: another "
                                       "curator checks it. An admin can allow this."),
                       status=403)
    errors: dict[str, list[Message]] = {}
    stories.check_text(title, body, errors)
    if errors:
        field, messages = next(iter(errors.items()))
        raise Rejected("invalid_story", messages[0], status=422, fields=errors)
    changes = {name for name, old, new in (("title", story.title, clean_line(title)),
                                           ("body", story.body, body.strip())) if old != new}
    if not changes:
        raise Rejected("no_changes", _l("Nothing changed."), status=422, field="body")
    story.title, story.body = clean_line(title), body.strip()
    story.updated_at = utcnow()
    revision = stories.add_revision(
        story, curator, kind=RevisionKind.CURATOR_EDIT,
        findings=rulebook.findings_json(rulebook.check_story(story)))
    story_edited_by_curator.send(revision, actor=curator, story=story, changes=changes)
    return revision


# -- the thread -----------------------------------------------------------------------------------


def can_comment(user: Any, story: Story) -> bool:
    """Writing needs a story the curators can see: a withdrawn story has no audience."""
    return can_take_part(user, story) and StoryStatus(story.status) not in PRIVATE


def add_comment(user: User, story: Story, body: str | None) -> Comment:
    """One message in the story's thread, from its author or a curator."""
    if not can_take_part(user, story):
        raise NotFound()
    if not can_comment(user, story):
        raise Conflict("not_in_conversation", _l("The comms team cannot see a withdrawn "
                                                 "story. Submit it again to continue the "
                                                 "conversation."), status=str(story.status))
    text = require_storable(body or "", "body").strip()
    if not text:
        raise Rejected("empty_comment", _l("Write a message first."), status=422, field="body")
    if len(text) > COMMENT_MAX:
        raise Rejected("comment_too_long", _l("Keep the message to %(max)d characters.",
                                              max=COMMENT_MAX), status=422, field="body")
    comment = Comment(story_id=story.id, author_id=user.id, body=text)
    db.session.add(comment)
    db.session.flush()
    comment_added.send(comment, actor=user, story=story)
    return comment


def decisions_of(story: Story) -> list[Decision]:
    return list(db.session.scalars(select(Decision).where(Decision.story_id == story.id)
                                   .order_by(Decision.id)))


def comments_of(story: Story) -> list[Comment]:
    return list(db.session.scalars(select(Comment).where(Comment.story_id == story.id)
                                   .order_by(Comment.id)))


def revisions_of(story: Story) -> list[StoryRevision]:
    return list(db.session.scalars(
        select(StoryRevision).options(joinedload(StoryRevision.created_by))
        .where(StoryRevision.story_id == story.id).order_by(StoryRevision.number)))


def thread_of(story: Story, history: Sequence[StoryRevision]) -> list[tuple[datetime, str, object]]:
    """Decisions, comments and revisions (``history``, from :func:`revisions_of`) in the
    order they happened: one conversation."""
    entries: list[tuple[datetime, str, object]] = [
        (d.created_at, "decision", d) for d in decisions_of(story)]
    entries += [(c.created_at, "comment", c) for c in comments_of(story)]
    entries += [(r.created_at, "revision", r) for r in history]
    return sorted(entries, key=lambda entry: as_utc(entry[0]))


def curator_edits(history: Sequence[StoryRevision]) -> list[tuple[StoryRevision, RevisionDiff]]:
    """Each curator edit in ``history`` with what it changed in the version before it."""
    return [(revision, compare(before.title, before.body, before.topics, revision.title,
                               revision.body, revision.topics))
            for before, revision in zip(history, history[1:], strict=False)
            if revision.kind == RevisionKind.CURATOR_EDIT]


def participants(story: Story) -> set[int]:
    """The author and every curator who decided or wrote in the thread."""
    people = {story.author_id}
    people.update(db.session.scalars(select(Decision.curator_id)
                                     .where(Decision.story_id == story.id)))
    people.update(db.session.scalars(select(Comment.author_id)
                                     .where(Comment.story_id == story.id)))
    return people
