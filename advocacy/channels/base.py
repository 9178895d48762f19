"""What every channel is: a network an ambassador shares to, the way the hub counts a text for
it and the share link that opens the ambassador's own composer there.

Pure Python, no app needed. The networks' rules followed here are in docs/networks.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Literal, TypeAlias
from urllib.parse import quote, urlencode

import regex
from flask_babel import LazyString


class Network(StrEnum):
    """Every network's name as stored and sent: part of the public contract (the API and
    stored shares), in the order the hub lists networks."""

    LINKEDIN = "linkedin"
    X = "x"
    FACEBOOK = "facebook"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    WHATSAPP = "whatsapp"
    EMAIL = "email"


#: How a count is meant: X's weighted count, Bluesky's graphemes, or characters as people see
#: them (Mastodon counts grapheme clusters too, but it calls them characters and so do we).
Unit: TypeAlias = Literal["weighted", "graphemes", "characters"]


@dataclass(frozen=True)
class TextLength:
    """A text as one network counts it.

    ``bytes_over`` is Bluesky's second limit: a post also has to stay within 3,000 UTF-8
    bytes, which a text of few but heavy graphemes (long emoji sequences) can break while
    ``count`` is well under ``limit``. ``limit`` None means the network sets no limit.
    """

    count: int
    limit: int | None
    unit: Unit
    bytes_over: bool = False

    @property
    def fits(self) -> bool:
        return not self.bytes_over and (self.limit is None or self.count <= self.limit)

    @property
    def remaining(self) -> int | None:
        """How many more the text may take; negative when over, None without a limit."""
        return None if self.limit is None else self.limit - self.count


class Channel(ABC):
    """One network: how it counts a text, and the share link that hands the text over.

    A network with an API (LinkedIn, X, Mastodon, Bluesky) will also hold here how an
    ambassador connects an account (authorisation, token refresh, who-am-i), how it posts
    (media upload, the post itself) and how it classifies the network's errors (retry later,
    needs reconnect, permanent), following docs/networks.md; the networks without one
    (Facebook personal profiles, WhatsApp, e-mail) stay share-link channels. Subclasses are
    made known with :func:`advocacy.channels.registry.register`.
    """

    network: ClassVar[Network]
    label: ClassVar[LazyString]
    #: The most the network takes, in ``unit``; None: no limit worth counting against.
    limit: ClassVar[int | None] = None
    unit: ClassVar[Unit] = "characters"
    #: Whether the share link goes to the ambassador's own server, named by them.
    needs_instance: ClassVar[bool] = False

    def measure(self, text: str) -> TextLength:
        """``text`` (the composed text, link included) counted the way the network counts it."""
        return TextLength(len(text), self.limit, self.unit)

    @abstractmethod
    def share_link(self, *, text: str, url: str, title: str,
                   instance: str | None = None) -> str:
        """The network's share link opening the ambassador's composer (networks.md, "Share
        links"). ``text`` is the composed text, link included; ``url`` the tracked link
        alone; ``title`` the story's; ``instance`` the ambassador's own server, if any."""


def share_query(**params: str) -> str:
    """A share link's query string."""
    # quote, not quote_plus: "+" for a space is a form convention some apps show literally.
    return urlencode(params, quote_via=quote, safe="")


_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> int:
    """How many characters a reader sees (extended grapheme clusters)."""
    return sum(1 for _ in _GRAPHEME.finditer(text))


# -- the text every channel is handed ----------------------------------------------------------

LINK_PLACEHOLDER = "{link}"


def compose(text: str, link: str) -> str:
    """The text with the tracked link where the ambassador typed ``{link}``, else at the end."""
    if LINK_PLACEHOLDER in text:
        return text.replace(LINK_PLACEHOLDER, link)
    body = text.rstrip()
    return f"{body} {link}" if body.strip() else link
