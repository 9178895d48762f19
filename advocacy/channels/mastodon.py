"""Mastodon: 500 characters as Mastodon counts them (links 23, mentions without their domain);
the share link goes to the ambassador's own server, whose name :func:`advocacy.outbound.
parse_instance` checks (docs/networks.md, "Mastodon")."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from advocacy.channels.base import Channel, Network, TextLength, graphemes, share_query
from advocacy.channels.registry import register
from advocacy.outbound import parse_instance

MASTODON_URL_LENGTH = 23


@register
class Mastodon(Channel):
    network = Network.MASTODON
    label = _l("Mastodon")
    limit = 500  # the default; an instance may allow more (GET /api/v2/instance)
    needs_instance = True

    def measure(self, text: str) -> TextLength:
        return TextLength(graphemes(countable(text)), self.limit, self.unit)

    def share_link(self, *, text: str, url: str, title: str,
                   instance: str | None = None) -> str:
        """Raises ValueError without an ``instance``, Rejected if it is no host name, so a
        stored value can never steer the link elsewhere."""
        if not instance:
            raise ValueError("a Mastodon share link needs the ambassador's instance")
        return f"https://{parse_instance(instance)}/share?" + share_query(text=text)


# Mastodon's StatusLengthValidator: each URL twitter-text finds (with its http(s) scheme) is
# 23 x's, "@user@domain" is "@user", then grapheme clusters are counted. The URL pattern is
# close to twitter-text's and linear: from the scheme to the next space, minus trailing
# punctuation; twitter-text's own URL search is far too slow for texts of many dots (see x.py).
_MASTODON_URL = re.compile(r"(?<![A-Za-z0-9@＠$#＃])https?://[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILING = ".,:;!?'\"*"
# Account::MENTION_RE: usernames are ASCII, domains any word characters.
_MASTODON_MENTION = re.compile(
    r"(?<![=/\w])@([A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*)(?:@(\w+(?:[.-]+\w+)*))?")
_MENTION_NOT_ENDED = re.compile(r"[@＠]|://")
_MAX_DOMAIN = 253


def countable(text: str) -> str:
    """``text`` as Mastodon counts it: links as 23 characters, mentions without their domain."""
    entities: list[tuple[int, int, str]] = []
    for match in _MASTODON_URL.finditer(text):
        end = match.start() + len(_url_without_trailing(match.group()))
        host = text[match.start():end].split("://", 1)[1].split("/", 1)[0]
        if "." in host.strip("."):  # twitter-text wants a host with a domain
            entities.append((match.start(), end, "x" * MASTODON_URL_LENGTH))
    for match in _MASTODON_MENTION.finditer(text):
        domain = match.group(2)
        if (domain is None or len(domain) > _MAX_DOMAIN
                or _MENTION_NOT_ENDED.match(text, match.end())):
            continue  # nothing to shorten, or not a mention at all
        entities.append((match.start(), match.end(), "@" + match.group(1)))
    if not entities:
        return text
    pieces = []
    last = 0
    for start, end, replacement in sorted(entities):
        if start < last:
            continue  # overlaps an earlier entity: the earlier one wins, as in Mastodon
        pieces += [text[last:start], replacement]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _url_without_trailing(url: str) -> str:
    """``url`` without the punctuation that ends the sentence, keeping balanced parentheses."""
    opened, closed = url.count("("), url.count(")")
    end = len(url)
    while end:
        if url[end - 1] in _URL_TRAILING:
            end -= 1
        elif url[end - 1] == ")" and closed > opened:
            closed -= 1
            end -= 1
        else:
            break
    return url[:end]
