"""What every page shares, rendered once for many readers instead of once per request.

* **The header** (menu, unread count, language switch) is the same for everyone who reads
  the same kind of page in the same language with the same role, demo flag and unread
  count. Two things in it differ per request, the CSRF token of its forms and the address
  the language switch returns to: it is rendered with a slot for each, and the slots are
  filled per request.
* **Page skeletons** (:func:`render_page`): a busy page such as the feed renders its
  template once per language, page kind and ``key`` with slots where the header, the
  flashed messages and the page's own per-reader parts go, and fills them per request.

A slot is ``"\\x00name\\x00"``, which no template writes. Slots are filled in one pass over
the cached markup, so nothing filled in (a story's text, the address) is read for slots
again.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

from flask import Flask, g, get_flashed_messages, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from advocacy.memo import Memo

_SLOT = re.compile("\x00([a-z_]+)\x00")


def slot(name: str) -> Markup:
    """The place of ``name`` in cached markup."""
    return Markup(f"\x00{name}\x00")  # noqa: S704  (a constant of ours)


def fill(markup: str, values: Mapping[str, str]) -> Markup:
    """``markup`` with its slots replaced by ``values`` (markup already), in one pass."""
    return Markup(_SLOT.sub(lambda found: values[found.group(1)], markup))  # noqa: S704


#: (language, page kind, script root, role, demo account, unread) -> rendered header.
HeaderKey = tuple[str, str | None, str, str | None, bool, int]
HEADERS: Memo[HeaderKey, str] = Memo(5_000, ttl=3600)


def header() -> Markup:
    """The header of the page being rendered."""
    from advocacy.notifications.operations import unread_count

    if g.get("_skeleton"):
        return slot("header")
    signed_in = bool(current_user and current_user.is_authenticated)
    unread = unread_count(current_user) if signed_in else 0
    key: HeaderKey = (str(get_locale()), request.endpoint, request.script_root,
                      str(current_user.role) if signed_in else None,
                      bool(signed_in and current_user.is_demo), unread)
    html = HEADERS.get(key)
    if html is None:
        html = render_template("_header.html", unread=unread, csrf_slot=slot("csrf_token"),
                               next_slot=slot("next"))
        HEADERS.put(key, html)
    # A token of URL-safe characters, and the address escaped for an attribute value.
    return fill(html, {"csrf_token": generate_csrf(),
                       "next": escape(request.full_path.rstrip("?"))})


_FLASH = Markup('<p class="flash flash-{}" role="status">{}</p>')


def flashes() -> Markup:
    """The messages flashed for this reader (taken from the session: once only)."""
    if g.get("_skeleton"):
        return slot("flashes")
    messages: list[tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
    return Markup("").join(_FLASH.format(category, message) for category, message in messages)


#: (template, language, page kind, script root, the page's key) -> skeleton markup.
SKELETONS: Memo[tuple[str, str, str | None, str, Hashable], str] = Memo(2_000, ttl=3600)


def render_page(template: str, key: Hashable, slots: Mapping[str, str],
                **context: Any) -> Markup:
    """``template`` rendered with ``context`` and ``slots`` filled in.

    The template with ``context`` must come out the same for every request with the same
    ``key`` (in the same language and page kind); whatever differs per reader goes in
    ``slots`` (markup) and appears in the template as a variable of the same name.
    """
    cache_key = (template, str(get_locale()), request.endpoint, request.script_root, key)
    skeleton = SKELETONS.get(cache_key)
    if skeleton is None:
        g._skeleton = True
        try:
            skeleton = render_template(template, **context,
                                       **{name: slot(name) for name in slots})
        finally:
            g._skeleton = False
        SKELETONS.put(cache_key, skeleton)
    return fill(skeleton, {"header": header(), "flashes": flashes(), **slots})


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(page_header=header, page_flashes=flashes)
