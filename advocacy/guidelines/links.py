"""Links in a text and the host each one really goes to.

Links are read from the original text (folding lookalike letters would turn a phishing
domain into the real one). The host is taken the way browsers take it for http(s): after
any slashes or backslashes, before the first ``/ ? #`` or backslash, after the last ``@``,
without the port; then percent-decoded, lowercased, IDNA-encoded and without a leading
``www.``. So ``https://example.com.evil.net``, ``https://evil.net/?example.com``,
``https://example.com@evil.net`` and ``https://evil.net\\@example.com`` all go to
``evil.net``-ish hosts, never to ``example.com``.

The patterns use the standard library's ``re`` and are linear: the link pattern is a
literal start and one character class; the bare-domain pattern repeats labels that cannot
contain the dot ending them, and its look-behind refuses to start inside a domain.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from advocacy.guidelines.spans import SpanTable

SHORTENERS = (
    "bit.ly", "j.mp", "t.co", "tinyurl.com", "goo.gl", "ow.ly", "is.gd", "v.gd", "buff.ly",
    "rebrand.ly", "cutt.ly", "shorturl.at", "lnkd.in", "t.ly", "tiny.cc", "rb.gy", "s.id",
    "bl.ink", "bit.do", "adf.ly", "shorte.st", "clck.ru", "qr.ae", "dlvr.it", "trib.al",
    "amzn.to", "fb.me", "tr.im", "x.co", "soo.gd", "urlz.fr", "chilp.it", "shorturl.com",
    "tiny.one", "short.gy", "s.coop", "cli.re", "l.ead.me",
)

_LINK = re.compile(r"(?i)(?:https?:[/\\][/\\]|(?<![\w.@-])www\.)[^\s<>\"'`]+")
_BARE = re.compile(
    r"(?i)(?<![\w@.\-/:\\])((?:[a-z0-9-]+\.)+[a-z]{2,24})(?![\w\-@])(/[^\s<>\"'`]*)?"
)
_TRAILING = ".,;:!?'\"»”’…*_"
_CLOSERS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True, slots=True)
class Link:
    """One link in a text: its original span, its host, and whether it was written bare
    (``bit.ly/x``, no scheme or ``www.``) and with a path."""

    start: int
    end: int
    host: str
    bare: bool
    has_path: bool


def find_links(text: str) -> list[Link]:
    """Every http(s) and ``www.`` link, and every bare ``domain.tld[/path]``, in order."""
    links: list[Link] = []
    for match in _LINK.finditer(text):
        raw = _trim(match.group())
        rest = raw if raw[:4].lower() == "www." else raw.split(":", 1)[1]
        host, has_path = _host_of(rest)
        if host:
            links.append(Link(match.start(), match.start() + len(raw), host, False, has_path))
    taken = SpanTable((link.start, link.end) for link in links)
    for match in _BARE.finditer(text):
        if taken.overlaps(*match.span()):
            continue
        path = _trim(match.group(2)) if match.group(2) else ""
        end = match.end(1) + len(path)
        links.append(Link(match.start(), end, normalise_host(match.group(1)), True,
                          len(path) > 1))
    links.sort(key=lambda link: link.start)
    return links


def _trim(raw: str) -> str:
    """``raw`` without the punctuation that ends the sentence around a link."""
    # a closing bracket stays when it closes one opened inside the link (Wikipedia links)
    unopened = {close: raw.count(close) - raw.count(open_) for close, open_ in _CLOSERS.items()}
    end = len(raw)
    while end:
        last = raw[end - 1]
        if last in _CLOSERS and unopened[last] > 0:
            unopened[last] -= 1
        elif last not in _TRAILING:
            break
        end -= 1
    return raw[:end]


def _host_of(rest: str) -> tuple[str, bool]:
    """The normalised host of a link from after its ``scheme:``, and whether a path follows."""
    rest = rest.lstrip("/\\").replace("\\", "/")
    cut = len(rest)
    for mark in "/?#":
        position = rest.find(mark)
        if position != -1:
            cut = min(cut, position)
    authority = rest[:cut].rsplit("@", 1)[-1]
    if authority.startswith("["):  # an IPv6 address, port or not
        host = authority[1:].split("]", 1)[0]
    else:
        host = authority.split(":", 1)[0]
    return normalise_host(host), len(rest) - cut > 1


def normalise_host(host: str) -> str:
    """``host`` as compared: percent-decoded, lowercased, IDNA, no trailing dot or ``www.``."""
    host = unquote(host, errors="replace").strip().lower().rstrip(".")
    with contextlib.suppress(UnicodeError):  # not a valid IDNA name: compare it as written
        host = host.encode("idna").decode("ascii")
    if host.startswith("www."):
        host = host[4:]
    return host


def host_in(host: str, domains: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``domains`` or a subdomain of one."""
    return any(host == domain or host.endswith("." + domain) for domain in domains)
