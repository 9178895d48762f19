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
Target = tuple[int, int | None, str]
MAX_CACHED = 50_000


class LinkCache:
    """Code → (share id, its ambassador, landing URL) per base address; bounded, oldest out
    first. An opt-out anonymises the share; until the entry ages out the ambassador's own
    visits are still recognised, which only ever means a click is not counted."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], Target] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Target | None:
        return self.entries.get(key)

    def put(self, key: tuple[str, str], value: Target) -> None:
        with self.lock:
            if len(self.entries) >= MAX_CACHED:  # dicts keep insertion order
                del self.entries[next(iter(self.entries))]
            self.entries[key] = value


def target(code: str) -> Target | None:
    """The share behind ``code``, who made it and where it leads; None for an unknown code."""
    cache: LinkCache = current_app.extensions.setdefault(EXTENSION_KEY, LinkCache())
    key = (public_base(), code)
    found = cache.get(key)
    if found is not None:
        return found
    row = db.session.execute(
        select(Share.id, Share.ambassador_id, Share.network, Story)
        .join(Story, Story.id == Share.story_id).where(Share.code == code)).first()
    if row is None:
        return None
    share_id, owner, network, story = row
    found = (share_id, owner, landing_url(story, share_id, network))
    cache.put(key, found)
    return found
