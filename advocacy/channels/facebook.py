"""Facebook: share link only, since posting to a personal profile by API ended in 2018. Its
sharer ignores any text: only the tracked link goes over (docs/networks.md, "Share links")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from advocacy.channels.base import Channel, Network, share_query
from advocacy.channels.registry import register


@register
class Facebook(Channel):
    network = Network.FACEBOOK
    label = _l("Facebook")

    def share_link(self, *, text: str, url: str, title: str,
                   instance: str | None = None) -> str:
        return "https://www.facebook.com/sharer/sharer.php?" + share_query(u=url)
