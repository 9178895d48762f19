"""E-mail: a mailto: link with the story's title as subject and the text as body; no limit."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask_babel import lazy_gettext as _l

from advocacy.channels.base import Channel, Network
from advocacy.channels.registry import register

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@register
class Email(Channel):
    network = Network.EMAIL
    label = _l("E-mail")

    def share_link(self, *, text: str, url: str, title: str,
                   instance: str | None = None) -> str:
        # RFC 6068: line breaks in a mailto body are %0D%0A.
        body = _LINE_BREAK.sub("\r\n", text)
        return f"mailto:?subject={quote(title, safe='')}&body={quote(body, safe='')}"
