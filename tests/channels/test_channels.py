"""Channels: the registry and names, counting as each network counts, composing, share links."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from advocacy.channels import (
    LINK_PLACEHOLDER,
    NETWORK_LABELS,
    Channel,
    Network,
    TextLength,
    channel,
    channels,
    compose,
    intent_url,
    measure,
    parse_network,
    register,
)
from advocacy.channels.x import X_DOT_BUDGET
from advocacy.errors import Rejected

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


# -- the registry -------------------------------------------------------------------------------

#: The networks of the public contract (the API's enum, stored shares), in the order listed.
CONTRACT = ["linkedin", "x", "facebook", "mastodon", "bluesky", "whatsapp", "email"]
SAMPLE = "Mooi 日本 👍🏽 @eva@mastodon.social\n" + LINK
SAMPLE_QUERY = ("Mooi%20%E6%97%A5%E6%9C%AC%20%F0%9F%91%8D%F0%9F%8F%BD%20%40eva%40mastodon.social"
                "%0Ahttps%3A%2F%2Fhub.example%2Fs%2FAb3dE5gH")
ENCODED_LINK = "https%3A%2F%2Fhub.example%2Fs%2FAb3dE5gH"

#: network, label, how it counts SAMPLE, its share link for SAMPLE (as before the channels).
CHANNELS = [
    ("linkedin", "LinkedIn", TextLength(62, 3000, "characters"),
     "https://www.linkedin.com/sharing/share-offsite/?url=" + ENCODED_LINK),
    ("x", "X", TextLength(64, 280, "weighted"),
     "https://x.com/intent/tweet?text=" + SAMPLE_QUERY),
    ("facebook", "Facebook", TextLength(62, None, "characters"),
     "https://www.facebook.com/sharer/sharer.php?u=" + ENCODED_LINK),
    ("mastodon", "Mastodon", TextLength(38, 500, "characters"),
     "https://mastodon.social/share?text=" + SAMPLE_QUERY),
    ("bluesky", "Bluesky", TextLength(61, 300, "graphemes"),
     "https://bsky.app/intent/compose?text=" + SAMPLE_QUERY),
    ("whatsapp", "WhatsApp", TextLength(62, None, "characters"),
     "https://wa.me/?text=" + SAMPLE_QUERY),
    ("email", "E-mail", TextLength(62, None, "characters"),
     "mailto:?subject=Q3%20%26%20more&body=" + SAMPLE_QUERY.replace("%0A", "%0D%0A")),
]


def test_the_registry_lists_exactly_the_networks_of_the_public_contract() -> None:
    assert [known.network for known in channels()] == CONTRACT == [n.value for n in Network]
    assert [row[0] for row in CHANNELS] == CONTRACT


@pytest.mark.parametrize(("name", "label", "length", "link"), CHANNELS)
def test_each_channel_counts_and_links_as_its_network_does(
        app: Flask, name: str, label: str, length: TextLength, link: str) -> None:
    known = channel(name)
    assert known is channel(Network(name))
    assert type(known).__module__ == f"advocacy.channels.{name}"  # one module a network
    with app.test_request_context():
        assert str(known.label) == label
    assert known.measure(SAMPLE) == measure(Network(name), SAMPLE) == length
    assert (known.limit, known.unit) == (length.limit, length.unit)
    assert known.needs_instance is (name == "mastodon")
    assert known.share_link(text=SAMPLE, url=LINK, title="Q3 & more",
                            instance="mastodon.social") == link
    assert intent_url(Network(name), text=SAMPLE, url=LINK, title="Q3 & more",
                      instance="mastodon.social") == link


def test_a_network_takes_one_channel_only() -> None:
    class Another(Channel):
        network = Network.X
        label = "X"

        def share_link(self, *, text: str, url: str, title: str,
                       instance: str | None = None) -> str:
            return "https://x.example/"

    with pytest.raises(ValueError, match="x has a channel already: X"):
        register(Another)
    assert type(channel("x")).__name__ == "X"


def test_an_unknown_name_has_no_channel() -> None:
    with pytest.raises(KeyError):
        channel("myspace")


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
    assert text.count(".") ** 2 > X_DOT_BUDGET
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
