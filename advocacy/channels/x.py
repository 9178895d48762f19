"""X: 280 by twitter-text's weighted count (every link 23); the share link carries the whole
text (docs/networks.md, "X")."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from twitter_text import parse_tweet
from twitter_text.regexp.spaces_group import spaces_group

from advocacy.channels.base import Channel, Network, TextLength, share_query
from advocacy.channels.registry import register

_X_TOKEN = re.compile(f"[^{spaces_group}]+")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: twitter-text's URL regex, from every position that may start a URL, walks over all the
#: dot-separated labels that follow and then backtracks through them trying some 1,500 TLDs:
#: a token of n dots costs about n² steps ("a." * 800 takes a second, * 5,000 a minute).
#: Tokens are checked for URLs, fewest dots first, while the sum of their squared dot counts
#: stays within this budget (a few milliseconds). Real texts stay far below it: 12 links of
#: ten dots each use 1,200.
X_DOT_BUDGET = 2_500


@register
class X(Channel):
    network = Network.X
    label = _l("X")
    limit = 280
    unit = "weighted"

    def measure(self, text: str) -> TextLength:
        return TextLength(weighted_length(text), self.limit, self.unit)

    def share_link(self, *, text: str, url: str, title: str,
                   instance: str | None = None) -> str:
        # The link is in the text already; a separate url= would show it twice.
        return "https://x.com/intent/tweet?" + share_query(text=text)


def weighted_length(text: str) -> int:
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
