"""What the author (and the people in a story's thread) are told, and when."""

from __future__ import annotations

from typing import Any

from advocacy.accounts.models import User
from advocacy.curation import operations as curation
from advocacy.curation.models import Comment, Decision, Verdict
from advocacy.notifications.models import NotificationKind
from advocacy.notifications.operations import notify
from advocacy.sharing.operations import sharers_of
from advocacy.signals import (
    comment_added,
    story_decided,
    story_edited_by_curator,
    story_retracted,
    story_status_changed,
)
from advocacy.stories.models import Story, StoryRevision
from advocacy.stories.states import StoryAction, StoryStatus

_VERDICT_KIND = {Verdict.APPROVE: NotificationKind.APPROVED,
                 Verdict.REQUEST_CHANGES: NotificationKind.CHANGES_REQUESTED,
                 Verdict.REJECT: NotificationKind.REJECTED}


@story_decided.connect
def _decision(decision: Decision, *, actor: User, story: Story, **_: Any) -> None:
    notify([story.author_id], _VERDICT_KIND[Verdict(decision.verdict)], story_id=story.id,
           actor=actor, title=story.title)


@comment_added.connect
def _comment(comment: Comment, *, actor: User, story: Story, **_: Any) -> None:
    # Dialogue, not broadcast: the author and the curators already in the conversation.
    notify(curation.participants(story), NotificationKind.COMMENT, story_id=story.id,
           actor=actor, title=story.title)


@story_edited_by_curator.connect
def _edited(revision: StoryRevision, *, actor: User, story: Story, **_: Any) -> None:
    notify([story.author_id], NotificationKind.EDITED, story_id=story.id, actor=actor,
           title=story.title, revision=revision.number)


@story_retracted.connect
def _retracted(story: Story, *, actor: User, reason: str, **_: Any) -> None:
    notify([story.author_id], NotificationKind.RETRACTED, story_id=story.id, actor=actor,
           title=story.title, reason=reason)
    _ask_sharers_to_remove(story, actor, reason)


@story_status_changed.connect
def _withdrawn(story: Story, *, actor: User | None, action: Any, previous: Any,
               **_: Any) -> None:
    # An author taking back an approved story: whoever shared it should take their post down.
    if action == StoryAction.WITHDRAW and previous == StoryStatus.APPROVED:
        _ask_sharers_to_remove(story, actor, None)


def _ask_sharers_to_remove(story: Story, actor: User | None, reason: str | None) -> None:
    """Each ambassador who shared the story hears it once per share, with their post's
    address where they gave it."""
    for share in sharers_of(story):
        if share.ambassador_id is None:
            continue
        notify([share.ambassador_id], NotificationKind.SHARE_RETRACTED, story_id=story.id,
               actor=actor, title=story.title, reason=reason, share_id=share.id,
               network=share.network, post_url=share.post_url)
