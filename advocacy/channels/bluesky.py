"""Bluesky: 300 graphemes and also 3,000 UTF-8 bytes; the share link carries the whole text,
link inside (docs/networks.md, "Bluesky")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from advocacy.channels.base import Channel, Network, TextLength, graphemes, share_query
from advocacy.channels.registry import register

BLUESKY_MAX_BYTES = 3000


@register
class Bluesky(Channel):
    network = Network.BLUESKY
    label = _l("Bluesky")
    limit = 300
    unit = "graphemes"

    def measure(self, text: str) -> TextLength:
        over = len(text.encode("utf-8", "surrogatepass")) > BLUESKY_MAX_BYTES
        return TextLength(graphemes(text), self.limit, self.unit, bytes_over=over)

    def share_link(self, *, text: str, url: str, title: str,
                   instance: str | None = None) -> str:
        return "https://bsky.app/intent/compose?" + share_query(text=text)
