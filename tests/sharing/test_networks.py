"""Networks: names, counting as each network counts, composing, share links, Mastodon servers."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from advocacy.errors import Rejected
from advocacy.sharing import networks
from advocacy.sharing.networks import (
    LINK_PLACEHOLDER,
    NETWORK_LABELS,
    Network,
    TextLength,
    compose,
    intent_url,
    measure,
    parse_instance,
    parse_network,
    resolves_publicly,
)

BOUNDED = settings(max_examples=200, deadline=None)
LINK = "https://hub.example/s/Ab3dE5gH"
LONG_URL = "https://example.com/" + "a" * 180  # 200 characters
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points, 25 bytes
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"
TRICKY = ("ab .,:;!?@#/()-_'\"\n\r\t\u3000\u00a0\u200d\u0301é日👍" + FAMILY
          + "https://x.co/ www. @anna@example.social {link}")
ANY_TEXT = st.one_of(st.text(max_size=400), st.text(st.sampled_from(TRICKY), max_size=400))


# -- names --------------------------------------------------------------------------------------


def test_every_network_has_a_label() -> None:
    assert set(NETWORK_LABELS) == set(Network)


@pytest.mark.parametrize("network", list(Network))
def test_a_network_is_named_by_its_value(network: Network) -> None:
    assert parse_network(network.value) is network


@pytest.mark.parametrize("raw", ["LinkedIn", "X", "twitter", " x", "", None, 1, ["x"], {"x": 1}])
def test_anything_else_is_an_unknown_network(raw: object) -> None:
    with pytest.raises(Rejected) as caught:
        parse_network(raw)
    assert caught.value.code == "unknown_network"
    assert caught.value.status == 422
    assert "network" in caught.value.fields
    assert caught.value.details["allowed"] == [n.value for n in Network]


def test_the_unknown_network_message_names_the_allowed_ones(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(Rejected) as caught:
        parse_network("myspace")
    with app.test_request_context():
        message = str(caught.value.message)
    assert all(n.value in message for n in Network)


# -- X ------------------------------------------------------------------------------------------


def x_count(text: str) -> int:
    return measure(Network.X, text).count


def test_x_counts_any_link_as_23() -> None:
    assert len(LONG_URL) == 200
    assert x_count(LONG_URL) == 23
    assert x_count("Read this " + LONG_URL) == 10 + 23
    assert x_count("https://t.co/x") == 23


def test_x_counts_cjk_double() -> None:
    assert x_count("日本語") == 6
    assert x_count("abc日本") == 3 + 4


def test_x_counts_an_emoji_sequence_as_two() -> None:
    assert x_count(FAMILY) == 2
    assert x_count(THUMBS_UP_MEDIUM) == 2
    assert x_count("ok " + FAMILY + FAMILY) == 3 + 4


def test_x_counts_after_nfc_normalisation() -> None:
    assert x_count("e\u0301") == x_count("\u00e9") == 1


def test_x_allows_280_weighted() -> None:
    fits = measure(Network.X, "a" * 280)
    over = measure(Network.X, "a" * 281)
    assert (fits.fits, fits.remaining, fits.unit) == (True, 0, "weighted")
    assert (over.fits, over.remaining) == (False, -1)
    assert not measure(Network.X, "日" * 141).fits


def test_x_counts_a_text_of_thousands_of_dots_without_searching_all_of_it_for_links() -> None:
    # twitter-text alone takes about a minute for this one (quadratic backtracking).
    assert x_count("a." * 5000) == 10000
    # A real link still counts 23 beside a token beyond the budget.
    assert x_count(LONG_URL + " " + "a." * 200) == 23 + 1 + 400


@st.composite
def dotted_texts(draw: st.DrawFn) -> str:
    """Texts with more than 50 dots (the slow path) in tokens of at most 3 dots each."""
    tokens = draw(st.lists(st.sampled_from(
        ["a.", "end.", "example.com", "www.example.org/a.b", "https://x.co/a", "日本.jp",
         "e\u0301.", "a.b.c", FAMILY + ".", "@anna.b", "(x.com)", "1.2.3"]),
        min_size=51, max_size=80))
    spaces = draw(st.lists(st.sampled_from([" ", "\n", "\r\n", "\u3000", "\t"]),
                           min_size=len(tokens), max_size=len(tokens)))
    return "".join(t + s for t, s in zip(tokens, spaces, strict=True))


@BOUNDED
@given(dotted_texts())
def test_x_counts_token_by_token_exactly_as_twitter_text_counts_the_whole(text: str) -> None:
    assert text.count(".") ** 2 > networks.X_DOT_BUDGET
    assert x_count(text) == parse_tweet(text).weightedLength


# -- Bluesky ------------------------------------------------------------------------------------


def test_bluesky_counts_graphemes() -> None:
    length = measure(Network.BLUESKY, "e\u0301" + FAMILY + THUMBS_UP_MEDIUM + " " + LONG_URL)
    assert length.count == 1 + 1 + 1 + 1 + 200
    assert length.unit == "graphemes"


def test_bluesky_allows_300_graphemes() -> None:
    assert measure(Network.BLUESKY, "a" * 300).fits
    assert measure(Network.BLUESKY, "a" * 301).remaining == -1


def test_bluesky_also_refuses_more_than_3000_bytes() -> None:
    at_limit = measure(Network.BLUESKY, FAMILY * 120)  # 3,000 bytes
    over = measure(Network.BLUESKY, FAMILY * 121)
    assert (at_limit.count, at_limit.bytes_over, at_limit.fits) == (120, False, True)
    assert (over.count, over.bytes_over, over.fits) == (121, True, False)


# -- Mastodon -----------------------------------------------------------------------------------


def mastodon_count(text: str) -> int:
    return measure(Network.MASTODON, text).count


def test_mastodon_counts_any_http_link_as_23() -> None:
    assert mastodon_count("Read " + LONG_URL) == 5 + 23
    assert mastodon_count("http://example.com") == 23
    assert mastodon_count("See " + LONG_URL + ".") == 4 + 23 + 1
    assert mastodon_count("(see https://en.wikipedia.org/wiki/Foo_(bar))") == 5 + 23 + 1


def test_mastodon_counts_other_text_literally() -> None:
    assert mastodon_count("ftp://example.com/file") == 22
    assert mastodon_count("example.com") == 11  # no scheme: no link to Mastodon
    assert mastodon_count("mail anna@example.com") == 21


def test_mastodon_counts_only_the_user_of_a_mention() -> None:
    assert mastodon_count("@anna@mastodon.social") == len("@anna")
    assert mastodon_count("Hi @anna@mastodon.social, @bob and @c@d.example!") == len(
        "Hi @anna, @bob and @c!")


def test_mastodon_counts_characters_as_people_see_them() -> None:
    assert mastodon_count(FAMILY + "e\u0301") == 2


def test_mastodon_allows_500() -> None:
    assert measure(Network.MASTODON, "a" * 500).fits
    assert not measure(Network.MASTODON, "a" * 501).fits
    assert measure(Network.MASTODON, "a" * 500 + " " + LONG_URL).count == 524


# -- the others ---------------------------------------------------------------------------------


def test_linkedin_counts_characters_up_to_3000() -> None:
    assert measure(Network.LINKEDIN, LONG_URL) == TextLength(200, 3000, "characters")
    assert measure(Network.LINKEDIN, "a" * 3000).fits
    assert not measure(Network.LINKEDIN, "a" * 3001).fits


@pytest.mark.parametrize("network", [Network.FACEBOOK, Network.WHATSAPP, Network.EMAIL])
def test_networks_without_a_limit_take_any_length(network: Network) -> None:
    length = measure(network, "a" * 50_000)
    assert (length.count, length.limit, length.fits, length.remaining) == (
        50_000, None, True, None)


@BOUNDED
@given(st.sampled_from(list(Network)), ANY_TEXT)
def test_measure_never_fails(network: Network, text: str) -> None:
    length = measure(network, text)
    assert length.count >= 0
    if length.fits and length.limit is not None:
        assert length.count <= length.limit


@pytest.mark.parametrize("network", list(Network))
def test_measure_takes_a_lone_surrogate(network: Network) -> None:
    assert measure(network, "a\ud800b").count >= 3


# -- composing ----------------------------------------------------------------------------------


def test_the_link_goes_where_the_placeholder_is() -> None:
    assert compose("Read {link} today", LINK) == f"Read {LINK} today"
    assert compose("{link} and again {link}", LINK) == f"{LINK} and again {LINK}"


def test_without_a_placeholder_the_link_goes_at_the_end() -> None:
    assert compose("Great news!  \n", LINK) == f"Great news! {LINK}"
    assert compose("", LINK) == LINK
    assert compose(" \n\t", LINK) == LINK


@BOUNDED
@given(ANY_TEXT, st.text(st.characters(categories=["L", "N"]), max_size=12))
def test_without_a_placeholder_the_link_appears_exactly_once(text: str, code: str) -> None:
    link = f"https://hub.example/s/{code}"
    assume(LINK_PLACEHOLDER not in text and link not in text)
    assert compose(text, link).count(link) == 1


# -- share links --------------------------------------------------------------------------------

TEXT = "Great news & more: 100% #launch\nnext line ünï 日本 👍 " + LINK


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def share_url(network: Network, **overrides: Any) -> str:
    arguments = {"text": TEXT, "url": LINK, "title": "Our Q3 story", **overrides}
    return intent_url(network, **arguments)


def test_linkedin_gets_only_the_link() -> None:
    assert share_url(Network.LINKEDIN) == (
        "https://www.linkedin.com/sharing/share-offsite/?url="
        "https%3A%2F%2Fhub.example%2Fs%2FAb3dE5gH")


def test_facebook_gets_only_the_link() -> None:
    assert share_url(Network.FACEBOOK) == (
        "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fhub.example%2Fs%2FAb3dE5gH")


@pytest.mark.parametrize(("network", "address"), [
    (Network.X, "https://x.com/intent/tweet"),
    (Network.BLUESKY, "https://bsky.app/intent/compose"),
    (Network.WHATSAPP, "https://wa.me/"),
])
def test_text_networks_get_the_whole_text_once(network: Network, address: str) -> None:
    url = share_url(network)
    assert url.startswith(address + "?text=")
    assert query_of(url) == {"text": [TEXT]}  # no url=: the link would show twice
    assert " " not in url and "+" not in url and "%20" in url


def test_mastodon_links_to_the_ambassadors_own_server() -> None:
    url = share_url(Network.MASTODON, instance="mastodon.social")
    assert url.startswith("https://mastodon.social/share?text=")
    assert query_of(url) == {"text": [TEXT]}


def test_mastodon_needs_a_server() -> None:
    with pytest.raises(ValueError, match="instance"):
        share_url(Network.MASTODON)
    with pytest.raises(Rejected):
        share_url(Network.MASTODON, instance="evil.example/phish?x=")


def test_email_puts_the_title_in_the_subject_and_the_text_in_the_body() -> None:
    url = share_url(Network.EMAIL, text="Line one\nLine two " + LINK)
    assert url == ("mailto:?subject=Our%20Q3%20story&body=Line%20one%0D%0ALine%20two%20"
                   "https%3A%2F%2Fhub.example%2Fs%2FAb3dE5gH")


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
