"""How objects look in the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import url_for
from flask_login import current_user

from advocacy.accounts.models import ApiToken, CreditChoice, User
from advocacy.curation.models import Comment, Decision
from advocacy.database import as_utc
from advocacy.media.models import MediaAsset, MediaStatus
from advocacy.media.operations import video_error
from advocacy.notifications.models import Notification
from advocacy.rulebook import operations as rulebook
from advocacy.sharing.operations import public_story_url
from advocacy.stories.models import Story, StoryRevision, Topic


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 with its offset; SQLite hands back naive datetimes, which are UTC here."""
    if moment is None:
        return None
    return as_utc(moment).isoformat()


def topic_json(topic: Topic) -> dict[str, Any]:
    return {"slug": topic.slug, "name": topic.name}


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": str(user.role),
        "department": user.department.name if user.department else None,
        "language": user.language,
    }


def media_json(asset: MediaAsset) -> dict[str, Any]:
    def url(name: str) -> str:
        return url_for("media.file", asset_id=asset.id, rendition=name, _external=True)

    if asset.is_video:
        return video_json(asset, url)
    main = asset.rendition("large") or {}
    return {
        "id": asset.id,
        "kind": asset.kind,
        "url": url("large"),
        "width": main.get("width", asset.width),
        "height": main.get("height", asset.height),
        "original_width": asset.width,
        "original_height": asset.height,
        "renditions": {
            name: {"url": url(name), "width": r["width"], "height": r["height"]}
            for name, r in asset.renditions.items()
        },
        "removed_metadata": list(asset.removed_metadata),
        "consent_confirmed": asset.consent_confirmed_at is not None,
    }


def video_json(asset: MediaAsset, url: Callable[[str], str]) -> dict[str, Any]:
    """A video: its state on the way in, then the playable MP4 and the poster's renditions."""
    failed = asset.status == MediaStatus.FAILED
    ready = asset.status == MediaStatus.READY and asset.rendition("video") is not None
    poster = {name: {"url": url(name), "width": r["width"], "height": r["height"]}
              for name, r in asset.renditions.items() if name != "video"}
    return {
        "id": asset.id,
        "kind": asset.kind,
        "status": str(asset.status),
        "error": {"code": asset.error_code,
                  "message": video_error(asset.error_code, asset.error_params)}
        if failed else None,
        "url": url("video") if ready else None,
        "content_type": "video/mp4" if ready else None,
        "duration": asset.duration,
        "width": asset.width or None,
        "height": asset.height or None,
        "bytes": asset.bytes,
        "poster": poster or None,
        "removed_metadata": list(asset.removed_metadata),
        "consent_confirmed": asset.consent_confirmed_at is not None,
    }


def story_json(story: Story, *, public: bool = False) -> dict[str, Any]:
    """A story for its reader; ``public``: the same for every reader (the feed caches it),
    so no findings and the author only as they chose to be credited."""
    return {
        "id": story.id,
        "title": story.title,
        "body": story.body,
        "status": str(story.status),
        "topics": [t.slug for t in story.topics],
        "media": [media_json(m) for m in story.media],
        "consent": story.consent_confirmed,
        "findings": [] if public else _findings_for_reader(story),
        "author": _credited(story) if public else _author_for_reader(story),
        "version": story.version,
        "created_at": iso(story.created_at),
        "updated_at": iso(story.updated_at),
        "submitted_at": iso(story.submitted_at),
        "approved_at": iso(story.approved_at),
        "embargo_until": iso(story.embargo_until),
        "expires_at": iso(story.expires_at),
        "captions": dict(story.captions or {}),
        "public_url": public_story_url(story) if story.approved_at and str(story.status) in (
            "approved", "archived") else None,
        "retracted_at": iso(story.retracted_at),
    }


def _author_for_reader(story: Story) -> dict[str, Any]:
    """The author as they chose to be credited; the author and curators always see who."""
    if _knows_author(story):
        return {"id": story.author_id, "name": story.author.name}
    return _credited(story)


def _credited(story: Story) -> dict[str, Any]:
    if story.author.credit_as == CreditChoice.NAME:
        return {"id": story.author_id, "name": story.author.name}
    return {"id": None, "name": None}


def _knows_author(story: Story) -> bool:
    """Whether the reader is the story's author or a curator (lists ask this per story)."""
    reader = current_user._get_current_object()
    return bool(reader.is_authenticated and (reader.id == story.author_id or reader.is_curator))


def _findings_for_reader(story: Story) -> list[dict[str, Any]]:
    """The guideline findings, for the author and the curators (not for every reader)."""
    if not _knows_author(story):
        return []
    return rulebook.findings_json(rulebook.check_story(story))


def person_json(user: User | None) -> dict[str, Any] | None:
    return {"id": user.id, "name": user.name} if user is not None else None


def decision_json(decision: Decision) -> dict[str, Any]:
    return {"id": decision.id, "decision": str(decision.verdict), "comment": decision.comment,
            "curator": person_json(decision.curator), "topics": decision.topics,
            "captions": decision.captions, "embargo_until": iso(decision.embargo_until),
            "expires_at": iso(decision.expires_at), "findings": decision.findings,
            "created_at": iso(decision.created_at)}


def comment_json(comment: Comment) -> dict[str, Any]:
    return {"id": comment.id, "body": comment.body, "author": person_json(comment.author),
            "created_at": iso(comment.created_at)}


def revision_json(revision: StoryRevision) -> dict[str, Any]:
    return {"number": revision.number, "kind": str(revision.kind), "title": revision.title,
            "body": revision.body, "topics": revision.topics, "findings": revision.findings,
            "explanation": revision.explanation, "by": person_json(revision.created_by),
            "created_at": iso(revision.created_at)}


def notification_json(notification: Notification, text: str) -> dict[str, Any]:
    return {"id": notification.id, "kind": str(notification.kind), "text": text,
            "story_id": notification.story_id, "read": notification.read_at is not None,
            "created_at": iso(notification.created_at),
            # A retraction points each ambassador at the post to remove, when they gave it.
            "post_url": notification.details.get("post_url")}


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "expires_at": iso(token.expires_at),
        "expired": token.is_expired,
        "revoked": token.is_revoked,
        "revoked_at": iso(token.revoked_at),
    }
