"""Phrase and confidential rules: what they find, what they leave alone, and where."""

from __future__ import annotations

from typing import Any

import pytest

from advocacy.guidelines import RuleSet, Subject


def matched(text: str, phrases: list[str], match: str = "word") -> list[str]:
    """The original texts a phrase rule marks in ``text``."""
    rules = RuleSet.from_rules([{
        "id": "words", "kind": "phrase", "severity": "block",
        "message": {"en": "Mind your words", "nl": "Let op je woorden"},
        "phrases": phrases, "match": match,
    }])
    return [text[start:end] for finding in rules.check(Subject(fields={"text": text}))
            for start, end in finding.spans]


def marked(text: str, **rule: Any) -> list[str]:
    rules = RuleSet.from_rules([{
        "id": "confidential", "kind": "confidential", "severity": "block",
        "message": {"en": "Confidential", "nl": "Vertrouwelijk"}, **rule,
    }])
    return [text[start:end] for finding in rules.check(Subject(fields={"text": text}))
            for start, end in finding.spans]


@pytest.mark.parametrize(("text", "found"), [
    ("De PRIJS is hoog", "PRIJS"),
    ("Le Café is open", "Café"),
    ("Le Cafe\u0301 is open", "Cafe\u0301"),  # e + combining acute
    ("ｐｒｉｊｓ", "ｐｒｉｊｓ"),  # full-width
    ("pr\u00adijs", "pr\u00adijs"),  # soft hyphen
    ("pr\u200bijs", "pr\u200bijs"),  # zero-width space
    ("\ufeffpr\u200d\u2060ijs", "pr\u200d\u2060ijs"),
    ("\u0440rijs", "\u0440rijs"),  # Cyrillic er looks like p
    ("prіјѕ", "prіјѕ"),  # Cyrillic i, je, dze
    ("𝐩𝐫𝐢𝐣𝐬", "𝐩𝐫𝐢𝐣𝐬"),  # mathematical bold
])
def test_word_phrase_sees_through_disguises(text: str, found: str) -> None:
    phrases = ["prijs", "café"]
    assert matched(text, phrases) == [found]


def test_greek_lookalikes_match_latin_phrase() -> None:
    assert matched("Τhe cοnfidentiαl plan", ["confidential"]) == ["cοnfidentiαl"]


@pytest.mark.parametrize(("text", "phrase"), [
    ("de prijslijst", "prijs"),
    ("a class act", "ass"),
    ("oprijsen", "prijs"),
    ("prijs_lijst", "lijst_prijs"),
    ("prijzen", "prijs"),
])
def test_word_phrase_leaves_longer_words_alone(text: str, phrase: str) -> None:
    assert matched(text, [phrase]) == []


def test_word_phrase_matches_next_to_punctuation_and_hashtags() -> None:
    text = "(prijs), #prijs, prijs-lijst en 'prijs'."
    assert matched(text, ["prijs"]) == ["prijs"] * 4


@pytest.mark.parametrize("text", [
    "strikt vertrouwelijk", "strikt\nvertrouwelijk", "strikt\u00a0vertrouwelijk",
    "strikt  \r\n\t vertrouwelijk", "strikt-vertrouwelijk", "strikt – vertrouwelijk",
    "*strikt* vertrouwelijk", "STRIKT\u200b \u200bVERTROUWELIJK",
])
def test_multi_word_phrase_matches_across_white_space_and_hyphens(text: str) -> None:
    assert matched(text, ["strikt vertrouwelijk"]) == [text.strip("*\u200b")]


@pytest.mark.parametrize("text", [
    "strikt. Vertrouwelijk", "strikt, vertrouwelijk", "strikt; vertrouwelijk",
    "strikt: vertrouwelijk", "strikt! vertrouwelijk", "strikt? vertrouwelijk",
])
def test_multi_word_phrase_does_not_cross_sentence_punctuation(text: str) -> None:
    assert matched(text, ["strikt vertrouwelijk"]) == []


def test_prefix_phrase_matches_dutch_compound() -> None:
    text = "De prijsverhoging en de Prijzen en prijs."
    assert matched(text, ["prijs"], match="prefix") == ["prijsverhoging", "prijs"]


def test_prefix_phrase_only_extends_its_last_word() -> None:
    text = "interne memo's, internal memorandum, intern memo"
    assert matched(text, ["intern memo"], match="prefix") == ["intern memo"]
    assert matched("interne memo", ["intern memo"], match="prefix") == []


def test_phrase_with_punctuation_needs_that_punctuation() -> None:
    text = "Dit is #ad, geen ad en geen #adidas; auto’s en autos"
    assert matched(text, ["#ad"]) == ["#ad"]
    assert matched(text, ["auto's"]) == ["auto’s"]


def test_spans_cover_invisible_characters_and_expansions_inside_the_match() -> None:
    text = "xx ﬁnancieel\u00ad\u200bverslag yy"  # the fi ligature expands to two letters
    assert matched(text, ["financieelverslag"]) == ["ﬁnancieel\u00ad\u200bverslag"]
    assert matched("Straße", ["strasse"]) == ["Straße"]


def test_span_indexes_the_original_text_after_expanding_characters() -> None:
    text = "ﬁ ﬁ ﬁ ½ prijs"
    rules = RuleSet.from_rules([{"id": "p", "kind": "phrase", "severity": "warn",
                                 "message": {"en": "x", "nl": "x"}, "phrases": ["prijs"]}])
    (finding,) = rules.check(Subject(fields={"text": text}))
    assert finding.spans == ((text.index("prijs"), len(text)),)


def test_every_occurrence_is_a_span_of_one_finding_per_field() -> None:
    rules = RuleSet.from_rules([{"id": "p", "kind": "phrase", "severity": "warn",
                                 "message": {"en": "x", "nl": "x"},
                                 "phrases": ["prijs", "korting"]}])
    subject = Subject(fields={"title": "Prijs!", "body": "prijs, korting en prijs"})
    findings = rules.check(subject)
    assert [(f.field, f.spans) for f in findings] == [
        ("title", ((0, 5),)), ("body", ((0, 5), (7, 14), (18, 23)))]


def test_phrases_of_many_rules_are_found_together() -> None:
    rules = RuleSet.from_rules([
        {"id": f"rule-{n}", "kind": "phrase", "severity": "info",
         "message": {"en": "x", "nl": "x"}, "phrases": [word]}
        for n, word in enumerate(["alpha", "beta", "alpha beta", "gamma"])])
    findings = rules.check(Subject(fields={"text": "Alpha beta gamma"}))
    assert sorted(f.rule for f in findings) == ["rule-0", "rule-1", "rule-2", "rule-3"]


def test_confidential_rule_has_a_built_in_list_of_markers() -> None:
    text = ("Strikt vertrouwelijk: onder NDA. Internal only, not for distribution. "
            "Geheim! Under embargo tot maandag. Niet verspreiden.")
    assert marked(text) == ["Strikt vertrouwelijk", "vertrouwelijk", "NDA", "Internal only",
                            "not for distribution", "Geheim", "Under embargo", "embargo",
                            "Niet verspreiden"]


def test_confidential_markers_leave_longer_words_alone() -> None:
    assert marked("internationale samenwerking en internal memo's") == []


def test_confidential_rule_can_name_its_own_markers() -> None:
    assert marked("Project Zeus is GEHEIM", markers=["project zeus"]) == ["Project Zeus"]


def test_disabled_rule_finds_nothing() -> None:
    rules = RuleSet.from_rules([{"id": "p", "kind": "phrase", "severity": "block",
                                 "enabled": False, "message": {"en": "x", "nl": "x"},
                                 "phrases": ["prijs"]}])
    assert rules.check(Subject(fields={"text": "prijs"})) == []
    assert rules.rules[0].as_json()["enabled"] is False
