"""Link rules: allowed and denied sites, shorteners, and hosts that try to pass for others."""

from __future__ import annotations

from typing import Any

import pytest

from advocacy.guidelines import RuleSet, Subject


def flagged(text: str, **rule: Any) -> list[str]:
    rules = RuleSet.from_rules([{"id": "links", "kind": "link_domains", "severity": "warn",
                                 "message": {"en": "Links", "nl": "Links"}, **rule}])
    return [text[start:end] for finding in rules.check(Subject(fields={"text": text}))
            for start, end in finding.spans]


@pytest.mark.parametrize("link", [
    "https://example.com/jobs", "http://news.example.com", "https://www.example.com/a?b=c",
    "www.example.com/over-ons", "HTTPS://EXAMPLE.COM", "https://example.com:443/x",
    "https://example.com./x", "https://ＥＸＡＭＰＬＥ.com/x",
])
def test_links_to_allowed_sites_and_their_subdomains_pass(link: str) -> None:
    assert flagged(f"Lees {link} vandaag.", allow=["example.com"]) == []


@pytest.mark.parametrize("link", [
    "https://example.com.evil.net/", "https://evil.net/?example.com",
    "https://user@evil.net", "https://example.com@evil.net/login",
    "https://evil.net\\@example.com", "https://evil.net#@example.com",
    "https:///evil.net/x", "https://notexample.com", "https://%65vil.net",
    "www.evil.net", "http://[::1]:8080/x",
])
def test_links_elsewhere_are_flagged_whatever_they_pretend(link: str) -> None:
    assert flagged(f"Lees {link} vandaag.", allow=["example.com"]) == [link]


def test_link_span_leaves_the_sentence_punctuation_out() -> None:
    text = "See (https://evil.net/a_(b)). And https://evil.net/x, or https://evil.net/y!"
    assert flagged(text, allow=["example.com"]) == [
        "https://evil.net/a_(b)", "https://evil.net/x", "https://evil.net/y"]


def test_denied_sites_are_flagged_also_when_written_bare() -> None:
    text = "Zie concurrent.nl, https://shop.concurrent.nl/deal en voorbeeld.nl."
    assert flagged(text, deny=["concurrent.nl"]) == [
        "concurrent.nl", "https://shop.concurrent.nl/deal"]


def test_deny_beats_allow() -> None:
    text = "https://example.com/a https://jobs.example.com/b"
    assert flagged(text, allow=["example.com"], deny=["jobs.example.com"]) == [
        "https://jobs.example.com/b"]


@pytest.mark.parametrize("link", [
    "https://bit.ly/3abc", "bit.ly/3abc", "t.co/xyz", "https://tinyurl.com/y2", "lnkd.in/eXyZ",
    "www.bit.ly/abc", "https://BIT.LY/abc",
])
def test_link_shorteners_are_flagged(link: str) -> None:
    assert flagged(f"Klik {link} nu", allow=["example.com"]) == [link]
    assert flagged(f"Klik {link} nu") == [link]


def test_shorteners_pass_when_not_flagged_or_explicitly_allowed() -> None:
    assert flagged("https://bit.ly/abc", flag_shorteners=False) == []
    assert flagged("https://lnkd.in/abc", allow=["lnkd.in"]) == []


def test_shortener_names_without_a_path_and_emails_are_not_links() -> None:
    assert flagged("We gebruiken geen bit.ly meer; mail info@bit.ly") == []


def test_bare_domains_are_not_judged_by_the_allow_list() -> None:
    assert flagged("Gebouwd met Node.js en example.org", allow=["example.com"]) == []


def test_internationalised_domain_names_compare_in_their_ascii_form() -> None:
    assert flagged("https://bücher.de/x", deny=["xn--bcher-kva.de"]) == ["https://bücher.de/x"]
    assert flagged("https://xn--bcher-kva.de/x", deny=["bücher.de"]) == [
        "https://xn--bcher-kva.de/x"]


def test_lookalike_letters_in_a_host_do_not_make_it_the_real_site() -> None:
    text = "https://exаmple.com/login"  # Cyrillic a
    assert flagged(text, allow=["example.com"]) == [text]


def test_allow_list_entries_may_be_written_as_urls() -> None:
    rules = RuleSet.from_rules([{"id": "l", "kind": "link_domains", "severity": "warn",
                                 "message": {"en": "x", "nl": "x"},
                                 "allow": ["https://www.Example.com/", "*.example.org",
                                           "Bücher.de"]}])
    assert rules.rules[0].as_json()["allow"] == ["example.com", "example.org",
                                                 "xn--bcher-kva.de"]
