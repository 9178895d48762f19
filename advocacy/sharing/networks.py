"""The networks an ambassador shares to: how each counts a text and its share link (the
ambassador's own Mastodon server is read by :func:`advocacy.outbound.parse_instance`).

Pure functions, no app needed; see ``/work/shared/networks.md`` §2.4, §3.3, §4.3 and §6
for the rules followed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, TypeAlias, assert_never
from urllib.parse import quote, urlencode

import regex
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from twitter_text import parse_tweet
from twitter_text.regexp.spaces_group import spaces_group

from advocacy.errors import Rejected

# The Mastodon server's name is checked where every outgoing call is: kept importable here.
from advocacy.outbound import parse_instance as parse_instance
from advocacy.outbound import resolves_publicly as resolves_publicly


class Network(StrEnum):
    LINKEDIN = "linkedin"
    X = "x"
    FACEBOOK = "facebook"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    WHATSAPP = "whatsapp"
    EMAIL = "email"


NETWORK_LABELS: dict[Network, LazyString] = {
    Network.LINKEDIN: _l("LinkedIn"),
    Network.X: _l("X"),
    Network.FACEBOOK: _l("Facebook"),
    Network.MASTODON: _l("Mastodon"),
    Network.BLUESKY: _l("Bluesky"),
    Network.WHATSAPP: _l("WhatsApp"),
    Network.EMAIL: _l("E-mail"),
}

_NETWORK_VALUES = {network.value: network for network in Network}
#: Every network's name as stored and sent ("linkedin", "x", ...).
NETWORK_VALUES = frozenset(_NETWORK_VALUES)


def network_label(raw: object) -> str:
    """How a stored network name reads in the reader's language ("" for no known network)."""
    network = _NETWORK_VALUES.get(raw) if isinstance(raw, str) else None
    return str(NETWORK_LABELS[network]) if network is not None else ""


def parse_network(raw: object) -> Network:
    """The network named exactly (lower case) by ``raw``, or Rejected naming the allowed ones."""
    if isinstance(raw, str) and raw in _NETWORK_VALUES:
        return _NETWORK_VALUES[raw]
    allowed = list(_NETWORK_VALUES)
    raise Rejected("unknown_network",
                   _l("Choose one of these networks: %(allowed)s.", allowed=", ".join(allowed)),
                   status=422, field="network", details={"allowed": allowed})


# -- counting -----------------------------------------------------------------------------------

#: How a count is meant: X's weighted count, Bluesky's graphemes, or characters as people see
#: them (Mastodon counts grapheme clusters too, but it calls them characters and so do we).
Unit: TypeAlias = Literal["weighted", "graphemes", "characters"]

X_LIMIT = 280
BLUESKY_LIMIT = 300
BLUESKY_MAX_BYTES = 3000
MASTODON_LIMIT = 500  # the default; an instance may allow more (GET /api/v2/instance)
MASTODON_URL_LENGTH = 23
LINKEDIN_LIMIT = 3000


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


def measure(network: Network, text: str) -> TextLength:
    """``text`` (the composed text, link included) counted the way ``network`` counts it."""
    match network:
        case Network.X:
            return TextLength(_x_weighted_length(text), X_LIMIT, "weighted")
        case Network.BLUESKY:
            over = len(text.encode("utf-8", "surrogatepass")) > BLUESKY_MAX_BYTES
            return TextLength(_graphemes(text), BLUESKY_LIMIT, "graphemes", bytes_over=over)
        case Network.MASTODON:
            return TextLength(_graphemes(_mastodon_countable(text)), MASTODON_LIMIT,
                              "characters")
        case Network.LINKEDIN:
            return TextLength(len(text), LINKEDIN_LIMIT, "characters")
        case Network.FACEBOOK | Network.WHATSAPP | Network.EMAIL:
            # Facebook's sharer ignores the text; WhatsApp and e-mail have no practical limit.
            return TextLength(len(text), None, "characters")
        case _:
            assert_never(network)


_GRAPHEME = regex.compile(r"\X")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _graphemes(text: str) -> int:
    return sum(1 for _ in _GRAPHEME.finditer(text))


_X_TOKEN = re.compile(f"[^{spaces_group}]+")
#: twitter-text's URL regex, from every position that may start a URL, walks over all the
#: dot-separated labels that follow and then backtracks through them trying some 1,500 TLDs:
#: a token of n dots costs about n² steps ("a." * 800 takes a second, * 5,000 a minute).
#: Tokens are checked for URLs, fewest dots first, while the sum of their squared dot counts
#: stays within this budget (a few milliseconds). Real texts stay far below it: 12 links of
#: ten dots each use 1,200.
X_DOT_BUDGET = 2_500


def _x_weighted_length(text: str) -> int:
    """X's weighted length (twitter-text v3 config), with twitter-text's URL search bounded.

    A token beyond the dot budget has its dots read as commas, which weigh the same but
    cannot form a URL, so only a link hidden in such a token would be counted differently.
    """
    # parse_tweet counts UTF-16 code units and cannot encode a lone surrogate.
    text = _LONE_SURROGATE.sub("\ufffd", text)
    if text.count(".") ** 2 > X_DOT_BUDGET:
        text = _without_costly_dots(text)
    return int(parse_tweet(text).weightedLength)


def _without_costly_dots(text: str) -> str:
    # URLs never span twitter-text's spaces, so each token is searched on its own.
    tokens = [(match.group().count("."), match.start(), match.end())
              for match in _X_TOKEN.finditer(text) if "." in match.group()]
    spent = 0
    costly = []
    for dots, start, end in sorted(tokens):
        if spent + dots * dots <= X_DOT_BUDGET:
            spent += dots * dots
        else:
            costly.append((start, end))
    pieces = []
    last = 0
    for start, end in sorted(costly):
        pieces += [text[last:start], text[start:end].replace(".", ",")]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


# Mastodon's StatusLengthValidator: each URL twitter-text finds (with its http(s) scheme) is
# 23 x's, "@user@domain" is "@user", then grapheme clusters are counted. The URL pattern is
# close to twitter-text's and linear: from the scheme to the next space, minus trailing
# punctuation; twitter-text's own URL search is far too slow for texts of many dots (above).
_MASTODON_URL = re.compile(r"(?<![A-Za-z0-9@＠$#＃])https?://[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILING = ".,:;!?'\"*"
# Account::MENTION_RE: usernames are ASCII, domains any word characters.
_MASTODON_MENTION = re.compile(
    r"(?<![=/\w])@([A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*)(?:@(\w+(?:[.-]+\w+)*))?")
_MENTION_NOT_ENDED = re.compile(r"[@＠]|://")
_MAX_DOMAIN = 253


def _mastodon_countable(text: str) -> str:
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


# -- composing and share links -----------------------------------------------------------------

LINK_PLACEHOLDER = "{link}"


def compose(text: str, link: str) -> str:
    """The text with the tracked link where the ambassador typed ``{link}``, else at the end."""
    if LINK_PLACEHOLDER in text:
        return text.replace(LINK_PLACEHOLDER, link)
    body = text.rstrip()
    return f"{body} {link}" if body.strip() else link


def _query(**params: str) -> str:
    # quote, not quote_plus: "+" for a space is a form convention some apps show literally.
    return urlencode(params, quote_via=quote, safe="")


def intent_url(network: Network, *, text: str, url: str, title: str,
               instance: str | None = None) -> str:
    """The network's share link opening the ambassador's composer (networks.md §6).

    ``text`` is the composed text, link included; ``url`` the tracked link alone. Mastodon
    needs the ambassador's ``instance`` (ValueError without one; Rejected if it is no host
    name, so a stored value can never steer the link elsewhere).
    """
    match network:
        case Network.LINKEDIN:
            return "https://www.linkedin.com/sharing/share-offsite/?" + _query(url=url)
        case Network.X:
            # The link is in the text already; a separate url= would show it twice.
            return "https://x.com/intent/tweet?" + _query(text=text)
        case Network.FACEBOOK:
            return "https://www.facebook.com/sharer/sharer.php?" + _query(u=url)
        case Network.MASTODON:
            if not instance:
                raise ValueError("a Mastodon share link needs the ambassador's instance")
            return f"https://{parse_instance(instance)}/share?" + _query(text=text)
        case Network.BLUESKY:
            return "https://bsky.app/intent/compose?" + _query(text=text)
        case Network.WHATSAPP:
            return "https://wa.me/?" + _query(text=text)
        case Network.EMAIL:
            # RFC 6068: line breaks in a mailto body are %0D%0A.
            body = re.sub(r"\r\n|\r|\n", "\r\n", text)
            return f"mailto:?subject={quote(title, safe='')}&body={quote(body, safe='')}"
        case _:
            assert_never(network)
