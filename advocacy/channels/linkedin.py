"""LinkedIn: counted in characters up to 3,000; the share link carries only the tracked link,
and LinkedIn builds the card from the page's Open Graph tags (docs/networks.md, "LinkedIn")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from advocacy.channels.base import Channel, Network, share_query
from advocacy.channels.registry import register


@register
class LinkedIn(Channel):
    network = Network.LINKEDIN
    label = _l("LinkedIn")
    limit = 3000

    def share_link(self, *, text: str, url: str, title: str,
                   instance: str | None = None) -> str:
        return "https://www.linkedin.com/sharing/share-offsite/?" + share_query(url=url)
