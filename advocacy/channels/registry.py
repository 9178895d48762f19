"""The channels the hub knows, by network name: each network's module registers its own."""

from __future__ import annotations

from typing import TypeVar

from flask_babel import lazy_gettext as _l

from advocacy.channels.base import Channel, Network
from advocacy.errors import Rejected

_CHANNELS: dict[Network, Channel] = {}
_NAMES = {network.value: network for network in Network}

C = TypeVar("C", bound=type[Channel])


def register(cls: C) -> C:
    """Make ``cls``'s network known to the hub (a class decorator; one channel a network)."""
    if cls.network in _CHANNELS:
        raise ValueError(f"{cls.network} has a channel already: "
                         f"{type(_CHANNELS[cls.network]).__name__}")
    _CHANNELS[cls.network] = cls()
    return cls


def channel(name: str) -> Channel:
    """The channel of the network named ``name`` (a :class:`Network` or its value)."""
    return _CHANNELS[_NAMES[name]]


def channels() -> list[Channel]:
    """Every channel, in the order the hub lists networks."""
    return [_CHANNELS[network] for network in Network if network in _CHANNELS]


def parse_network(raw: object) -> Network:
    """The network named exactly (lower case) by ``raw``, or Rejected naming the allowed ones."""
    if isinstance(raw, str) and raw in _NAMES:
        return _NAMES[raw]
    allowed = list(_NAMES)
    raise Rejected("unknown_network",
                   _l("Choose one of these networks: %(allowed)s.", allowed=", ".join(allowed)),
                   status=422, field="network", details={"allowed": allowed})


def network_label(raw: object) -> str:
    """How a stored network name reads in the reader's language ("" for no known network)."""
    network = _NAMES.get(raw) if isinstance(raw, str) else None
    return str(_CHANNELS[network].label) if network is not None else ""
