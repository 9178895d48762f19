"""Regex, disclosure, restricted topic, quiet period and media rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from advocacy.guidelines import MediaFacts, RuleSet, Severity, Subject


def rules(kind: str, **fields: Any) -> RuleSet:
    return RuleSet.from_rules([{"id": kind.replace("_", "-"), "kind": kind, "severity": "block",
                                "message": {"en": "Not like this", "nl": "Niet zo"}, **fields}])


def test_regex_matches_the_text_as_written_with_spans() -> None:
    text = "Nu 20% korting, daarna 15 % KORTING"
    checked = rules("regex", pattern=r"\d+ ?% korting", flags=["ignorecase"])
    (finding,) = checked.check(Subject(fields={"text": text}))
    assert [text[s:e] for s, e in finding.spans] == ["20% korting", "15 % KORTING"]


def test_regex_is_case_sensitive_without_the_flag() -> None:
    checked = rules("regex", pattern="KORTING")
    assert checked.check(Subject(fields={"text": "korting"})) == []


def test_regex_spans_are_characters_not_bytes() -> None:
    text = "café ☕ prijs"
    (finding,) = rules("regex", pattern="prijs").check(Subject(fields={"text": text}))
    assert finding.spans == ((7, 12),)


def test_regex_that_matches_empty_text_finds_nothing_empty() -> None:
    assert rules("regex", pattern="x*").check(Subject(fields={"text": "abc"})) == []


def test_regex_with_catastrophic_shape_runs_in_linear_time() -> None:
    checked = rules("regex", pattern="(a+)+$")
    assert checked.check(Subject(fields={"text": "a" * 50_000 + "!"})) == []


def test_regex_survives_lone_surrogates() -> None:
    (finding,) = rules("regex", pattern="b").check(Subject(fields={"text": "a\ud800b"}))
    assert finding.spans == ((2, 3),)


def disclosure_findings(text: str, network: str | None, **fields: Any) -> list[Any]:
    checked = rules("disclosure", text="#ad", **fields)
    return checked.check(Subject(fields={"text": text}, network=network))


def test_disclosure_is_required_on_listed_networks() -> None:
    (finding,) = disclosure_findings("Mooi product!", "linkedin", networks=["linkedin"])
    assert finding.field is None and finding.spans == ()
    assert disclosure_findings("Mooi product!", "x", networks=["linkedin"]) == []


def test_disclosure_without_networks_applies_to_every_network_but_not_stories() -> None:
    assert len(disclosure_findings("Mooi product!", "mastodon")) == 1
    assert disclosure_findings("Mooi product!", None) == []


@pytest.mark.parametrize("text", ["Mooi #ad", "#AD mooi", "Mooi #\u200bad", "Mooi ＃ａｄ"])
def test_disclosure_found_case_and_zero_width_insensitive(text: str) -> None:
    assert disclosure_findings(text, "linkedin") == []


def test_disclosure_inside_a_longer_word_does_not_count() -> None:
    assert len(disclosure_findings("Nieuwe #adidas schoenen", "linkedin")) == 1


def test_disclosure_sentence_matches_across_line_breaks_and_accents() -> None:
    checked = rules("disclosure", text="Ik werk bij Café Noir")
    subject = Subject(fields={"text": "Groeten!\nIk  werk bij\ncafe NOIR"}, network="x")
    assert checked.check(subject) == []


def topic_findings(department: str | None, topics: tuple[str, ...] = ("results",)) -> list[Any]:
    checked = rules("restricted_topic", topic="results",
                    departments=["Finance", "Investor Relations"])
    return checked.check(Subject(fields={"text": ""}, topics=topics, department=department))


def test_restricted_topic_is_open_to_its_departments_only() -> None:
    assert topic_findings("finance ") == []
    assert topic_findings("Investor relations") == []
    (finding,) = topic_findings("Marketing")
    assert finding.field is None and finding.spans == ()
    assert len(topic_findings(None)) == 1


def test_restricted_topic_leaves_other_topics_alone() -> None:
    assert topic_findings("Marketing", topics=("events",)) == []


def quiet(on: date, topics: tuple[str, ...] = ("results",), **fields: Any) -> list[Any]:
    checked = rules("quiet_period", start="2025-01-10", end="2025-01-20", **fields)
    return checked.check(Subject(fields={"text": ""}, topics=topics, on=on))


def test_quiet_period_covers_its_first_and_last_day() -> None:
    assert len(quiet(date(2025, 1, 10))) == 1
    assert len(quiet(date(2025, 1, 20))) == 1
    assert quiet(date(2025, 1, 9)) == []
    assert quiet(date(2025, 1, 21)) == []


def test_quiet_period_limited_to_topics_leaves_others_alone() -> None:
    checked = rules("quiet_period", start="2025-01-10", end="2025-01-20", topics=["results"])
    on = date(2025, 1, 15)
    assert checked.check(Subject(fields={}, topics=("events",), on=on)) == []
    assert len(checked.check(Subject(fields={}, topics=("RESULTS",), on=on))) == 1


def test_quiet_period_embargo_says_the_first_day_after() -> None:
    (finding,) = quiet(date(2025, 1, 15), action="embargo")
    assert finding.embargo_until == date(2025, 1, 21)
    assert finding.as_json()["embargo_until"] == "2025-01-21"
    (blocked,) = quiet(date(2025, 1, 15))
    assert blocked.embargo_until is None


def test_media_without_consent_is_one_finding() -> None:
    media = [MediaFacts("photo", 2000, 1500, label="photo 1"), MediaFacts("photo", 800, 600)]
    checked = rules("media")
    (finding,) = checked.check(Subject(fields={}, media=media))
    assert finding.media_index is None and finding.message == "Not like this"
    assert checked.check(Subject(fields={}, media=media, consent=True)) == []
    assert checked.check(Subject(fields={})) == []


def test_media_too_small_or_too_long_are_findings_per_item() -> None:
    media = [MediaFacts("photo", 2000, 1500), MediaFacts("photo", 800, 1500),
             MediaFacts("video", 1920, 1080, duration=95.5), MediaFacts("photo")]
    checked = rules("media", require_consent=False, min_width=1080, min_height=1000,
                    max_duration=90)
    findings = checked.check(Subject(fields={}, media=media))
    assert [f.media_index for f in findings] == [1, 2]
    assert all(f.severity is Severity.BLOCK and f.field is None for f in findings)
