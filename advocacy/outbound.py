"""Outgoing HTTP to servers people name (a Mastodon server, a Bluesky PDS) and to the networks.

Two parts. :func:`parse_instance` and :func:`check_host` read a server name someone typed
and refuse anything that could point a call elsewhere (IP addresses, private names, user
info, ports, paths); :func:`check_host` also resolves it and refuses private addresses.
:func:`session` gives a ``requests.Session`` that cannot be used unsafely by forgetting
something: every request has a timeout, every connection (each redirect hop included)
goes only to an address checked at that moment (so a name that resolves differently the
second time, DNS rebinding, gains nothing), answers are read up to a size, and failures
are logged without headers, queries or bodies.

``ADVOCACY_ALLOW_PRIVATE_HOSTS=1`` lets http, ports, IP addresses and private addresses
through: for tests and staging against fake servers, never in production.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

import requests
from flask import current_app, has_app_context
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.poolmanager import PoolManager
from urllib3.util import connection as urllib3_connection

from advocacy.errors import Rejected

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection, BaseHTTPSConnection

log = logging.getLogger(__name__)

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``resolve(host, port)``: the addresses ``host`` has, as strings; OSError when none.
Resolver: TypeAlias = Callable[[str, int], Sequence[str]]

DNS_TIMEOUT = 3.0
#: Seconds to connect, and to wait for each piece of an answer.
DEFAULT_TIMEOUT = (3.0, 10.0)
#: Seconds a whole answer may take to arrive once its headers are in (a server dripping
#: bytes just inside the read timeout is cut here).
BODY_DEADLINE = 15.0
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5


# -- which addresses are public -----------------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(address: str | IPAddress) -> bool:
    """Whether ``address`` is on the public internet: not loopback, private (10/8,
    172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata
    address, fe80::/10), CGNAT (100.64/10), unspecified, multicast, reserved or for
    documentation, nor an IPv6 address that carries such an IPv4 one."""
    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])  # a zone is no part of it
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one reaches that IPv4 host (before Python 3.13,
        # ::ffff:127.0.0.1 does not even count as loopback).
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local
                                 or ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def system_resolve(host: str, port: int) -> list[str]:
    """``host``'s addresses by getaddrinfo, which has no timeout of its own: it runs in a
    thread, and TimeoutError is raised after DNS_TIMEOUT (the thread finishes unobserved)."""
    found: list[str] = []
    failed: list[Exception] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.extend(str(info[4][0]) for info in infos)
        except Exception as exc:  # handed to the waiting thread
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name="resolve", daemon=True).start()
    if not done.wait(DNS_TIMEOUT):
        raise TimeoutError(f"resolving took over {DNS_TIMEOUT} s")
    if failed:
        raise failed[0]
    return list(dict.fromkeys(found))


class AddressRefused(Exception):
    """``host`` resolves to an address outgoing calls may not reach.

    Deliberately no OSError: raised while urllib3 connects, it must not be taken for a
    network failure and retried or wrapped.
    """

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, which is not a public address")
        self.host, self.address = host, address


@dataclass(frozen=True)
class Policy:
    """What outgoing calls may reach; :func:`policy` gives the one the settings ask for."""

    #: ADVOCACY_ALLOW_PRIVATE_HOSTS: http, ports, IP addresses and private addresses too.
    allow_private: bool = False
    resolve: Resolver = field(default=system_resolve)

    def permits(self, address: IPAddress) -> bool:
        """Whether a call may connect to ``address``."""
        return self.allow_private or is_public(address)

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``, every one permitted.

        AddressRefused when any is not (a name with one private address among public
        ones would reach it on a later try); OSError when there are none.
        """
        literal = _ip_address(host)
        addresses = [host] if literal else list(self.resolve(host, port))
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "no address")
        for address in addresses:
            ip = _ip_address(address)
            if ip is None or not self.permits(ip):
                raise AddressRefused(host, address)
        return addresses


def policy() -> Policy:
    """The policy of the current app's settings; outside an app, the strict one."""
    allow = has_app_context() and bool(current_app.config.get("ALLOW_PRIVATE_HOSTS"))
    return Policy(allow_private=allow)


def _ip_address(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None


# -- server names people type -------------------------------------------------------------------

MAX_INSTANCE_INPUT = 512
MAX_HOST_NAME = 253
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_HANDLE_USER = re.compile(r"@?[A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*")
_PROFILE_PATH = re.compile(r"/@[A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*/?")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# WHATWG URL parsing reads a host whose last label is a number (decimal, 0x hex, octal) as
# an IPv4 address: "2130706433", "0x7f.1" and "127.1" all mean 127.0.0.1 to a browser.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
# Names that only mean something inside a network (RFC 6761, RFC 6762 appendix G, RFC 8375,
# ICANN's .internal) and Tor's .onion.
_PRIVATE_SUFFIXES = ("localhost", "localdomain", "local", "internal", "lan", "home", "corp",
                     "intranet", "private", "home.arpa", "onion")
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


_INSTANCE_MESSAGES: dict[str, LazyString] = {
    "missing": _l("Name your Mastodon server, such as mastodon.social."),
    "too_long": _l("That server name is too long."),
    "characters": _l("A server name cannot contain spaces or invisible characters."),
    "scheme": _l("Give the server's name, such as mastodon.social, or its https:// address."),
    "path": _l("Give just the server's name, such as mastodon.social, without a path."),
    "query": _l("Give just the server's name, such as mastodon.social, without a ? and what "
                "follows."),
    "fragment": _l("Give just the server's name, such as mastodon.social, without a # and "
                   "what follows."),
    "userinfo": _l("Leave out any user name or password: give just the server's name, such "
                   "as mastodon.social."),
    "port": _l("Leave out the port number: give just the server's name, such as "
               "mastodon.social."),
    "ip_address": _l("Give the server's name, not its IP address."),
    "invalid": _l("That is not a server name: use letters, digits, hyphens and dots, such as "
                  "mastodon.social."),
    "private": _l("That name only works inside a private network: give the name of a public "
                  "Mastodon server."),
    "single_label": _l("Give the server's full name, with its domain, such as "
                       "mastodon.social."),
    "not_found": _l("We could not reach a server by that name. Check the name and try again."),
    "private_address": _l("That name leads to an address inside a private network: give the "
                          "name of a public server."),
}


@dataclass(frozen=True)
class _Rules:
    lax: bool = False  # ADVOCACY_ALLOW_PRIVATE_HOSTS
    https_only: bool = False
    profile: bool = False  # "https://mastodon.social/@eva" names mastodon.social
    field: str = "mastodon_instance"

    def refuse(self, reason: str) -> Rejected:
        """Rejected for the field; ``details["reason"]`` says which rule refused it."""
        return Rejected("invalid_instance", _INSTANCE_MESSAGES[reason], field=self.field,
                        details={"reason": reason})


@dataclass(frozen=True)
class Host:
    """A server someone named, checked: its ASCII name and the addresses it had then."""

    name: str
    scheme: str = "https"
    port: int | None = None
    addresses: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """Its base address, such as ``https://mastodon.social``."""
        host = f"[{self.name}]" if ":" in self.name else self.name
        return f"{self.scheme}://{host}" + (f":{self.port}" if self.port else "")


def parse_instance(raw: object) -> str:
    """The ambassador's Mastodon server as a bare, lower-case ASCII host name.

    Accepts "mastodon.social", "https://mastodon.social/", "@someone@mastodon.social" and
    international names (stored as punycode). Refuses anything that could point a link or a
    later server-side call elsewhere: IP addresses in any form, private names, user info,
    ports, paths, other schemes. This is syntax only; see :func:`check_host`.
    """
    _scheme, name, _port = _parse(raw, _Rules())
    return name


def check_host(value: object, *, field: str = "mastodon_instance",
               rules: Policy | None = None) -> Host:
    """A server someone named for the hub to call, such as their Mastodon server or
    Bluesky PDS: a host name, an https:// address, or a profile address
    (``https://mastodon.social/@eva``) from which the host is taken.

    Besides :func:`parse_instance`'s rules: https only, and every address the name
    resolves to must be public (Rejected ``invalid_instance`` with reason ``not_found``
    or ``private_address``). :func:`session` checks the address again when connecting.
    """
    rules = rules or policy()
    syntax = _Rules(lax=rules.allow_private, https_only=not rules.allow_private,
                    profile=True, field=field)
    scheme, name, port = _parse(value, syntax)
    scheme = scheme or "https"
    try:
        addresses = rules.addresses(name, port or (443 if scheme == "https" else 80))
    except AddressRefused:
        raise syntax.refuse("private_address") from None
    except (OSError, UnicodeError, ValueError):
        raise syntax.refuse("not_found") from None
    return Host(name, scheme, port, tuple(addresses))


def resolves_publicly(host: str) -> bool:
    """Whether every address ``host`` resolves to is a public one (for server-side calls).

    Checked once, this does not stop DNS rebinding: call through :func:`session`, which
    checks the address it connects to.
    """
    try:
        Policy().addresses(host, 443)
    except (AddressRefused, OSError, UnicodeError, ValueError):
        return False
    return True


def _parse(raw: object, rules: _Rules) -> tuple[str | None, str, int | None]:
    """(scheme or None, host name, port or None) of what someone typed, or Rejected."""
    if not isinstance(raw, str) or not raw.strip():
        raise rules.refuse("missing")
    value = raw.strip()
    if len(value) > MAX_INSTANCE_INPUT:
        raise rules.refuse("too_long")
    if any(ch.isspace() or unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in value):
        raise rules.refuse("characters")
    scheme_match = _SCHEME.match(value)
    scheme = None
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme not in ("http", "https") or (rules.https_only and scheme != "https"):
            raise rules.refuse("scheme")
        value = value[scheme_match.end():]
    if rules.profile:
        slash = value.find("/")
        if slash > 0 and _PROFILE_PATH.fullmatch(value[slash:]):
            value = value[:slash]
    host, port = _host_part(value.removesuffix("/"), has_scheme=scheme is not None,
                            rules=rules)
    literal = _ip_address(host) if rules.lax else None
    if literal is not None:
        return scheme, str(literal), port
    return scheme, _checked_host_name(host.removesuffix("."), rules), port


def _host_part(value: str, *, has_scheme: bool, rules: _Rules) -> tuple[str, int | None]:
    """The host in ``value`` (the address without its scheme), refusing everything around it."""
    after_host = re.search(r"[/?#]", value)
    if after_host:
        raise rules.refuse({"/": "path", "?": "query", "#": "fragment"}[after_host.group()])
    if "@" in value:
        user, _, value = value.rpartition("@")
        # "@someone@mastodon.social" is a handle; "user:secret@host" is user info.
        if has_scheme or not _HANDLE_USER.fullmatch(user):
            raise rules.refuse("userinfo")
    port = None
    if rules.lax:
        with_port = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]]+):([0-9]{1,5})", value)
        if with_port:
            value, port = with_port.group(1), int(with_port.group(2))
            if not 0 < port < 65536:
                raise rules.refuse("port")
        if value.startswith("[") and value.endswith("]") and _ip_address(value[1:-1]):
            return value[1:-1], port
        if _ip_address(value):
            return value, port
    if "[" in value or "]" in value or _ip_address(value):
        raise rules.refuse("ip_address")
    if ":" in value:
        raise rules.refuse("port" if re.fullmatch(r"[^:]*:[0-9]*", value) else "scheme")
    return value, port


def _checked_host_name(host: str, rules: _Rules) -> str:
    if len(host) > MAX_HOST_NAME:
        raise rules.refuse("too_long")
    try:
        # The idna codec (IDNA 2003) also maps full-width forms, so "１２７.０.０.１"
        # becomes 127.0.0.1 here and is caught as an address below.
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise rules.refuse("invalid") from None
    if len(name) > MAX_HOST_NAME:
        raise rules.refuse("too_long")
    labels = name.split(".")
    if _ip_address(name) or _NUMERIC_LABEL.fullmatch(labels[-1]):
        raise rules.refuse("ip_address")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise rules.refuse("invalid")
    if rules.lax:  # a fake server on "localhost" or a staging host "mastodon"
        return name
    if name in _PRIVATE_SUFFIXES or name.endswith(tuple("." + s for s in _PRIVATE_SUFFIXES)):
        raise rules.refuse("private")
    if len(labels) < 2:
        raise rules.refuse("single_label")
    return name


# -- the session --------------------------------------------------------------------------------


class Refused(requests.exceptions.ConnectionError):
    """The hub does not make this call: a private address, a redirect to one, a scheme,
    port or proxy the policy does not allow."""


class TooLarge(requests.exceptions.RequestException):
    """The answer was longer than the session reads; it was cut off and dropped."""


def session(rules: Policy | None = None, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
            max_bytes: int = MAX_RESPONSE_BYTES) -> requests.Session:
    """A session for outgoing calls; see the module's docstring for what it guarantees.

    ``rules`` defaults to the settings' :func:`policy`.
    """
    checked = requests.Session()
    # Proxies and .netrc from the environment: a proxy would connect where we did not check.
    checked.trust_env = False
    checked.max_redirects = MAX_REDIRECTS
    adapter = _CheckedAdapter(rules or policy(), timeout=timeout, max_bytes=max_bytes)
    checked.mount("https://", adapter)
    checked.mount("http://", adapter)
    return checked


class _CheckedConnection(HTTPConnection):
    policy: Policy

    def _new_conn(self) -> socket.socket:
        # As urllib3's, but connecting to an address checked now, not to the name.
        host = self._dns_host.strip("[]")
        try:
            addresses = self.policy.addresses(host, self.port)
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"resolving {self.host} timed out") from exc
        except (OSError, UnicodeError) as exc:
            raise NameResolutionError(self.host, self, socket.gaierror(str(exc))) from exc
        failure: OSError | None = None
        for address in addresses:
            try:
                return urllib3_connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"connecting to {self.host} timed out") from exc
            except OSError as exc:
                failure = exc
        raise NewConnectionError(self, f"failed to connect: {failure}")


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    """TLS keeps ``self.host`` for SNI and the certificate check."""


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedConnection
    policy: Policy

    def _new_conn(self) -> BaseHTTPConnection:
        conn = super()._new_conn()
        conn.policy = self.policy  # type: ignore[attr-defined]
        return conn


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection
    policy: Policy

    def _new_conn(self) -> BaseHTTPSConnection:
        conn = super()._new_conn()
        conn.policy = self.policy  # type: ignore[attr-defined]
        return conn


class _CheckedPoolManager(PoolManager):
    def __init__(self, rules: Policy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = rules
        self.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}

    def _new_pool(self, scheme: str, host: str, port: int,
                  request_context: dict[str, Any] | None = None) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.policy = self.policy  # type: ignore[attr-defined]
        return pool


class _CheckedAdapter(HTTPAdapter):
    def __init__(self, rules: Policy, *, timeout: tuple[float, float], max_bytes: int) -> None:
        self.policy, self.timeout, self.max_bytes = rules, timeout, max_bytes
        super().__init__(max_retries=0)  # retrying is the caller's decision (task backoff)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        self.poolmanager = _CheckedPoolManager(self.policy, num_pools=connections,
                                               maxsize=maxsize, block=block, **pool_kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise Refused("outgoing calls do not go through proxies")

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        started = time.monotonic()
        try:
            self._check_url(str(request.url))
            try:
                response = super().send(request, stream=True, timeout=timeout or self.timeout,
                                        verify=verify, cert=cert, proxies=proxies)
            except AddressRefused as exc:
                raise Refused(str(exc), request=request) from None
            self._read_capped(response, started)
        except requests.RequestException as exc:
            _log_failure(request, exc, started)
            raise
        if response.status_code >= 400:
            log.info("outgoing call answered %s: %s %s (%.0f ms)", response.status_code,
                     request.method, _where(request), (time.monotonic() - started) * 1000)
        return response

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        allowed = ("https", "http") if self.policy.allow_private else ("https",)
        if parts.scheme not in allowed:
            raise Refused(f"{parts.scheme}: addresses are not called")
        if parts.username is not None or parts.password is not None:
            raise Refused("addresses with user info are not called")
        default = {"https": 443, "http": 80}[parts.scheme]
        if not self.policy.allow_private and parts.port not in (None, default):
            raise Refused("addresses with a port are not called")

    def _read_capped(self, response: requests.Response, started: float) -> None:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise TooLarge(f"the answer declares {declared} bytes, over {self.max_bytes}",
                           response=response)
        chunks, size = [], 0
        # read1, not iter_content: a read of a whole chunk would wait for a server that
        # drips its answer byte by byte; this way BODY_DEADLINE is checked between reads.
        while chunk := _read_some(response):
            size += len(chunk)
            if size > self.max_bytes:
                response.close()
                raise TooLarge(f"the answer is over {self.max_bytes} bytes",
                               response=response)
            if time.monotonic() - started > BODY_DEADLINE:
                response.close()
                raise requests.exceptions.ReadTimeout(
                    f"the answer took over {BODY_DEADLINE} s", response=response)
            chunks.append(chunk)
        # What Response.content does, with a limit: later reads get these bytes.
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]


def _read_some(response: requests.Response) -> bytes:
    """What has arrived of the answer (decoded), at most 64 KiB; b"" at its end. Errors as
    requests' own iter_content raises them."""
    try:
        return response.raw.read1(64 * 1024, decode_content=True) or b""
    except urllib3_exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(exc, response=response) from None
    except urllib3_exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc, response=response) from None
    except urllib3_exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc, response=response) from None
    except (urllib3_exceptions.ProtocolError, OSError) as exc:
        raise requests.exceptions.ChunkedEncodingError(exc, response=response) from None


def _where(request: requests.PreparedRequest) -> str:
    """Scheme, host and path only: a query may carry a token."""
    parts = urlsplit(str(request.url))
    return f"{parts.scheme}://{parts.hostname}{parts.path}"


def _log_failure(request: requests.PreparedRequest, exc: Exception, started: float) -> None:
    # Our own exceptions' messages are safe to show; others' may quote the URL with its query.
    reason = str(exc) if isinstance(exc, Refused | TooLarge) else type(exc).__name__
    log.warning("outgoing call failed: %s %s after %.0f ms: %s", request.method,
                _where(request), (time.monotonic() - started) * 1000, reason)
