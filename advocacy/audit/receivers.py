"""The audit log listens to every decision, edit, submission and rule change."""

from __future__ import annotations

from typing import Any

from advocacy.accounts.models import User
from advocacy.audit.operations import record
from advocacy.curation.models import Decision
from advocacy.database import as_utc
from advocacy.rulebook.models import GuidelineSet
from advocacy.signals import (
    ambassador_opted_in,
    ambassador_opted_out,
    credentials_revoked,
    guidelines_replaced,
    setting_changed,
    story_decided,
    story_edited_by_curator,
    story_retracted,
    story_status_changed,
)
from advocacy.stories.models import Story, StoryRevision


@story_decided.connect
def _decision(decision: Decision, *, actor: User, story: Story, **_: Any) -> None:
    record(actor, f"story.{decision.verdict}", story_id=story.id, title=story.title,
           comment=decision.comment, topics=decision.topics, captions=decision.captions,
           embargo_until=_iso(decision.embargo_until), expires_at=_iso(decision.expires_at),
           findings=[f["rule"] for f in decision.findings])


@story_edited_by_curator.connect
def _edit(revision: StoryRevision, *, actor: User, story: Story, changes: set[str],
          **_: Any) -> None:
    record(actor, "story.edited", story_id=story.id, title=story.title,
           revision=revision.number, changed=sorted(changes))


@story_status_changed.connect
def _status(story: Story, *, actor: User | None, action: Any, previous: Any, **_: Any) -> None:
    # Decisions are logged with their reasons above; this covers the author's own moves.
    if str(action) in {"submit", "withdraw", "archive"}:
        record(actor, f"story.{action}", story_id=story.id, title=story.title,
               previous=str(previous))


@guidelines_replaced.connect
def _rules(rule_set: GuidelineSet, *, actor: User | None, via: str,
           previous: list[dict[str, Any]], **_: Any) -> None:
    before = {r["id"]: r for r in previous}
    after = {r["id"]: r for r in rule_set.document.get("rules", [])}
    record(actor, "guidelines.replaced", via=via, set_id=rule_set.id, rules=len(after),
           added=sorted(after.keys() - before.keys()),
           removed=sorted(before.keys() - after.keys()),
           changed=sorted(k for k in after.keys() & before.keys() if after[k] != before[k]))


@setting_changed.connect
def _setting(name: str, *, actor: User, value: Any, previous: Any, **_: Any) -> None:
    record(actor, "settings.changed", setting=name, value=value, previous=previous)


def _iso(moment: Any) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


@story_retracted.connect
def _retracted(story: Story, *, actor: User, reason: str, **_: Any) -> None:
    record(actor, "story.retract", story_id=story.id, title=story.title, reason=reason)


# Consent is worth proving: when someone became an ambassador and when they stopped.
@ambassador_opted_in.connect
def _opted_in(_ambassador: Any, *, actor: User, **_: Any) -> None:
    record(actor, "ambassador.opt_in")


@ambassador_opted_out.connect
def _opted_out(_user: User, *, actor: User, **_: Any) -> None:
    record(actor, "ambassador.opt_out")


# Who ended an account's sessions and tokens, and why: the trail after a suspected break-in.
@credentials_revoked.connect
def _credentials_revoked(user: User, *, actor: User, reason: Any, tokens: list[Any],
                         **_: Any) -> None:
    record(actor, "account.credentials_revoked", user_id=user.id, reason=str(reason),
           tokens=[token.name for token in tokens])
