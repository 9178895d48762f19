"""Where tracked links lead, kept in memory: a link's target never changes once made."""

from __future__ import annotations

import threading

from flask import current_app
from sqlalchemy import select

from advocacy import database as db
from advocacy.sharing.models import Share
from advocacy.sharing.operations import landing_url, public_base
from advocacy.stories.models import Story

EXTENSION_KEY = "advocacy.links"
MAX_CACHED = 50_000


class LinkCache:
    """Code → (share id, landing URL) per base address; bounded, oldest out first."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], tuple[int, str]] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[int, str] | None:
        return self.entries.get(key)

    def put(self, key: tuple[str, str], value: tuple[int, str]) -> None:
        with self.lock:
            if len(self.entries) >= MAX_CACHED:  # dicts keep insertion order
                del self.entries[next(iter(self.entries))]
            self.entries[key] = value


def target(code: str) -> tuple[int, str] | None:
    """The share behind ``code`` and where it leads, or None for an unknown code."""
    cache: LinkCache = current_app.extensions.setdefault(EXTENSION_KEY, LinkCache())
    key = (public_base(), code)
    found = cache.get(key)
    if found is not None:
        return found
    row = db.session.execute(
        select(Share.id, Share.network, Story).join(Story, Story.id == Share.story_id)
        .where(Share.code == code)).first()
    if row is None:
        return None
    share_id, network, story = row
    found = (share_id, landing_url(story, share_id, network))
    cache.put(key, found)
    return found
