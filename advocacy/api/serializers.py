"""How objects look in the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import url_for

from advocacy.accounts.models import ApiToken, User
from advocacy.media.models import MediaAsset
from advocacy.stories.models import Story, Topic


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 with its offset; SQLite hands back naive datetimes, which are UTC here."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


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


def story_json(story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "title": story.title,
        "body": story.body,
        "status": str(story.status),
        "topics": [t.slug for t in story.topics],
        "media": [media_json(m) for m in story.media],
        "consent": story.consent_confirmed,
        "findings": [],
        "author": {"id": story.author_id, "name": story.author.name},
        "version": story.version,
        "created_at": iso(story.created_at),
        "updated_at": iso(story.updated_at),
        "submitted_at": iso(story.submitted_at),
        # The public story page (/s/<slug>) arrives with sharing; until then no URL.
        "public_url": None,
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "revoked": token.is_revoked,
    }
