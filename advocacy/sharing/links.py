"""Where tracked links lead, kept in memory: a link's target never changes once made.

The Flask view ``sharing.follow`` answers a link's first visit in each process (it reads
the database once) and every case that needs more than the cache: an unknown code, a
signed-in visitor (who may be the ambassador), a day whose salt this process has not read
yet. :class:`RepeatVisits` answers the rest in front of Flask: the hot path of a link
shared to thousands of people, with no request context, session or database at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy import select
from werkzeug.wsgi import get_host

from advocacy import database as db
from advocacy.database import utcnow
from advocacy.memo import Memo
from advocacy.sharing.models import Share
from advocacy.sharing.operations import landing_url, public_base
from advocacy.stories.models import Story

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

EXTENSION_KEY = "advocacy.links"
Target = tuple[int, int | None, str]
CODE = re.compile(r"[A-Za-z0-9_-]{4,16}")
MAX_CACHED = 50_000


#: Code → (share id, its ambassador, landing URL) per base address. An opt-out anonymises
#: the share; until the entry ages out the ambassador's own visits are still recognised,
#: which only ever means a click is not counted.
LinkCache = Memo[tuple[str, str], Target]


def target(code: str) -> Target | None:
    """The share behind ``code``, who made it and where it leads; None for an unknown code."""
    cache = cache_of(current_app)
    key = (public_base(), code)
    found = cache.get(key)
    if found is not None:
        return found
    row = db.session.execute(
        select(Share.id, Share.ambassador_id, Share.network, Story.id, Story.slug)
        .join(Story, Story.id == Share.story_id).where(Share.code == code)).first()
    if row is None:
        return None
    share_id, owner, network, story_id, slug = row
    found = (share_id, owner, landing_url(story_id, slug, share_id, network))
    cache.put(key, found)
    return found


def cache_of(app: Flask) -> LinkCache:
    cache: LinkCache = app.extensions.setdefault(EXTENSION_KEY, LinkCache(MAX_CACHED))
    return cache


class RepeatVisits:
    """WSGI middleware: a known link, an anonymous visitor and today's salt at hand, so the
    click is noted in memory and the 302 goes out without Flask; anything else passes on."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        from advocacy.analytics import clicks

        self.app = app
        self.wsgi_app = wsgi_app
        self.cache = cache_of(app)
        self.recorder = clicks.recorder_of(app)
        self.note_visit = clicks.note_visit
        self.session_cookie = f"{app.config['SESSION_COOKIE_NAME']}="

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse,
                 ) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if (not path.startswith("/l/") or environ.get("REQUEST_METHOD") != "GET"
                or self.session_cookie in environ.get("HTTP_COOKIE", "")):
            return self.wsgi_app(environ, start_response)
        code = path[3:]
        base = self.app.config.get("PUBLIC_URL") or (
            f"{environ.get('wsgi.url_scheme', 'http')}://{get_host(environ)}")
        found = self.cache.get((str(base).rstrip("/"), code)) if CODE.fullmatch(code) else None
        now = utcnow()
        salt = self.recorder.salts.get(now.date())
        if found is None or salt is None:
            return self.wsgi_app(environ, start_response)
        share_id, _owner, url = found
        self.note_visit(self.recorder, share_id, salt, now,
                        address=environ.get("REMOTE_ADDR"),
                        agent=environ.get("HTTP_USER_AGENT"),
                        referrer=environ.get("HTTP_REFERER"))
        start_response("302 FOUND", [
            ("Location", url), ("Cache-Control", "no-store"), ("Content-Length", "0"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin")])
        return [b""]


def init_app(app: Flask) -> None:
    """Put :class:`RepeatVisits` in front of the app (inside any proxy fix)."""
    app.wsgi_app = RepeatVisits(app, app.wsgi_app)  # type: ignore[method-assign]
