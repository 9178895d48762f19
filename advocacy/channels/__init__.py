"""The networks an ambassador shares to, one module each (linkedin.py, x.py, mastodon.py,
bluesky.py, facebook.py, whatsapp.py, email.py) holding all the hub knows about that network:
a :class:`Channel` subclass, made known with :func:`register` and found with :func:`channel`.

The base class and the registry follow Redash's destinations; docs/networks.md is the
contract the channels follow.
"""

from __future__ import annotations

# Each network's module registers its channel when imported.
from advocacy.channels import bluesky, email, facebook, linkedin, mastodon, whatsapp, x
from advocacy.channels.base import (
    LINK_PLACEHOLDER,
    Channel,
    Network,
    TextLength,
    Unit,
    compose,
)
from advocacy.channels.registry import channel, channels, network_label, parse_network, register

__all__ = [
    "LINK_PLACEHOLDER", "NETWORK_LABELS", "NETWORK_VALUES", "Channel", "Network", "TextLength",
    "Unit", "bluesky", "channel", "channels", "compose", "email", "facebook", "intent_url",
    "linkedin", "mastodon", "measure", "network_label", "parse_network", "register", "whatsapp",
    "x",
]

if _missing := [network.value for network in Network
                if network not in {known.network for known in channels()}]:
    raise RuntimeError(f"networks without a channel: {', '.join(_missing)}")

NETWORK_LABELS = {known.network: known.label for known in channels()}
#: Every network's name as stored and sent ("linkedin", "x", ...).
NETWORK_VALUES = frozenset(network.value for network in Network)


def measure(network: Network, text: str) -> TextLength:
    """``text`` (the composed text, link included) counted the way ``network`` counts it."""
    return channel(network).measure(text)


def intent_url(network: Network, *, text: str, url: str, title: str,
               instance: str | None = None) -> str:
    """The network's share link opening the ambassador's composer (networks.md, "Share
    links"); see :meth:`Channel.share_link`."""
    return channel(network).share_link(text=text, url=url, title=title, instance=instance)
