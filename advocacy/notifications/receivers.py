"""What the author (and the people in a story's thread) are told, and when."""

from __future__ import annotations

from typing import Any

from advocacy.accounts.models import User
from advocacy.curation import operations as curation
from advocacy.curation.models import Comment, Decision, Verdict
from advocacy.notifications.models import NotificationKind
from advocacy.notifications.operations import notify
from advocacy.signals import comment_added, story_decided, story_edited_by_curator
from advocacy.stories.models import Story, StoryRevision

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
