"""WhatsApp: share link only, the whole text with its link; no practical length limit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from advocacy.channels.base import Channel, Network, share_query
from advocacy.channels.registry import register


@register
class WhatsApp(Channel):
    network = Network.WHATSAPP
    label = _l("WhatsApp")

    def share_link(self, *, text: str, url: str, title: str,
                   instance: str | None = None) -> str:
        return "https://wa.me/?" + share_query(text=text)
