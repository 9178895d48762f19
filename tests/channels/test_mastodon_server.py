"""The ambassador's Mastodon server: the name kept for the share link, and whether it may be
called (advocacy.outbound, which Mastodon's channel uses)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.errors import Rejected
from advocacy.outbound import parse_instance, resolves_publicly

BOUNDED = settings(max_examples=200, deadline=None)


# -- the ambassador's Mastodon server -----------------------------------------------------------


@pytest.mark.parametrize(("raw", "host"), [
    ("mastodon.social", "mastodon.social"),
    ("https://mastodon.social", "mastodon.social"),
    ("https://mastodon.social/", "mastodon.social"),
    ("http://mastodon.social/", "mastodon.social"),
    ("HTTPS://Mastodon.Social", "mastodon.social"),
    ("@someone@mastodon.social", "mastodon.social"),
    ("someone@mastodon.social", "mastodon.social"),
    ("MASTODON.Social", "mastodon.social"),
    ("  mastodon.social \n", "mastodon.social"),
    ("mastodon.social.", "mastodon.social"),
    ("mastödon.example", "xn--mastdon-d1a.example"),
    ("xn--mastdon-d1a.example", "xn--mastdon-d1a.example"),
    ("ｍａｓｔｏｄｏｎ．ｓｏｃｉａｌ", "mastodon.social"),
    ("social.example.co.uk", "social.example.co.uk"),
    ("1.example", "1.example"),
])
def test_a_server_is_kept_as_its_bare_ascii_name(raw: str, host: str) -> None:
    assert parse_instance(raw) == host


@pytest.mark.parametrize(("raw", "reason"), [
    (None, "missing"), (42, "missing"), (b"mastodon.social", "missing"), ("", "missing"),
    ("   ", "missing"),
    ("a" * 300, "too_long"), (("abc." * 64) + "com", "too_long"), ("x" * 600, "too_long"),
    ("127.0.0.1", "ip_address"), ("2130706433", "ip_address"), ("0177.0.0.1", "ip_address"),
    ("0x7f.0.0.1", "ip_address"), ("0x7f000001", "ip_address"), ("127.1", "ip_address"),
    ("１２７.０.０.１", "ip_address"), ("https://10.0.0.1/", "ip_address"),
    ("[::1]", "ip_address"), ("https://[::1]/", "ip_address"), ("::1", "ip_address"),
    ("example.0x1", "ip_address"),
    ("localhost", "private"), ("LOCALHOST.", "private"), ("app.localhost", "private"),
    ("printer.local", "private"), ("db.internal", "private"), ("nas.lan", "private"),
    ("router.home.arpa", "private"), ("abcdefghijklmnop.onion", "private"),
    ("mastodon", "single_label"), ("https://mastodon/", "single_label"),
    ("user:pw@mastodon.social", "userinfo"), ("https://user@mastodon.social", "userinfo"),
    ("https://user:pw@mastodon.social/", "userinfo"), ("me me@mastodon.social", "characters"),
    ("mastodon.social:443", "port"), ("https://mastodon.social:8443/", "port"),
    ("mastodon.social/@someone", "path"), ("https://mastodon.social//", "path"),
    ("https://evil.example/phish", "path"), ("mastodon.social?x=1", "query"),
    ("mastodon.social#top", "fragment"),
    ("-mastodon.social", "invalid"), ("mastodon-.social", "invalid"),
    ("mast_odon.social", "invalid"), ("mastodon..social", "invalid"),
    ("a" * 64 + ".social", "invalid"), ("mast%6fdon.social", "invalid"),
    ("mastodon.social!", "invalid"), ("https://", "invalid"),
    ("mas todon.social", "characters"), ("mastodon.social\x00", "characters"),
    ("mastodon\u200b.social", "characters"), ("mastodon\u202e.social", "characters"),
    ("mastodon\tsocial", "characters"),
    ("ftp://mastodon.social", "scheme"), ("javascript:alert(1)", "scheme"),
    ("file:///etc/passwd", "scheme"),
])
def test_a_server_name_that_could_point_elsewhere_is_refused(raw: object, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_instance(raw)
    assert caught.value.code == "invalid_instance"
    assert caught.value.details == {"reason": reason}
    assert "mastodon_instance" in caught.value.fields


INSTANCE_CHARACTERS = "abcXYZ019.-_:/@[]?#%ö。．\u3002 \t\x00\u200b" + "１"


@BOUNDED
@given(st.one_of(st.text(max_size=300), st.text(st.sampled_from(INSTANCE_CHARACTERS),
                                                 max_size=80),
                 st.from_regex(r"(https?://)?(@[a-z]+@)?[a-z0-9.-]{1,30}(:[0-9]+)?/?",
                               fullmatch=True)))
def test_a_server_name_is_either_refused_or_a_plain_public_looking_name(raw: str) -> None:
    try:
        host = parse_instance(raw)
    except Rejected as refused:
        assert refused.code == "invalid_instance"
        return
    assert host.isascii() and host == host.lower() and len(host) <= 253
    assert "." in host and not host.rsplit(".", 1)[1].isdigit()
    assert set(host) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-")
    assert parse_instance(host) == host


# -- resolving it -------------------------------------------------------------------------------


def fake_resolver(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("addresses", [
    ("93.184.215.14",), ("2606:4700:4700::1111",), ("93.184.215.14", "2606:4700:4700::1111"),
])
def test_a_server_with_only_public_addresses_may_be_called(
        monkeypatch: pytest.MonkeyPatch, addresses: tuple[str, ...]) -> None:
    fake_resolver(monkeypatch, *addresses)
    assert resolves_publicly("mastodon.social")


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0",  # noqa: S104  (an address resolved to, not one to bind)
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1%eth0",
    "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1",
    "64:ff9b::a00:1", "2001:db8::1",
])
def test_a_server_resolving_to_any_private_address_may_not_be_called(
        monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    fake_resolver(monkeypatch, "93.184.215.14", address)
    assert not resolves_publicly("mastodon.social")


def test_a_server_that_does_not_resolve_may_not_be_called(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_resolver(monkeypatch)
    assert not resolves_publicly("mastodon.social")

    def fails(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fails)
    assert not resolves_publicly("mastodon.social")
