"""Properties over arbitrary text and rules: checks never fail and spans index the text."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.guidelines import MediaFacts, RuleSet, Subject
from advocacy.guidelines.normalise import WORD, fold

BOUNDED = settings(max_examples=200, deadline=None)
# Characters that make matching hard: invisibles, expansions, marks, lookalikes, separators.
TRICKY = ("aeiouprijsAEIOUPRIJS 0123456789.,;:-_*@/+()#'\n\t\u00a0\u200b\u200d\u00ad"
          "\ufeffﬁßİé\u0301ⅰ½ｐ\u0440αο\u2028€")
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
TRICKY_TEXT = st.text(st.sampled_from(TRICKY), max_size=300)
TEXTS = st.one_of(ANY_TEXT, TRICKY_TEXT)
PHRASES = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20),
    st.text(st.sampled_from(TRICKY), min_size=1, max_size=20),
).filter(lambda phrase: bool(WORD.search(fold(phrase))))
MESSAGE = {"en": "Mind this", "nl": "Let hierop"}


def phrase_rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 4))
    rules: list[dict[str, Any]] = []
    for n in range(count):
        rules.append({"id": f"phrase-{n}", "kind": "phrase", "message": MESSAGE,
                      "severity": draw(st.sampled_from(["block", "warn", "info"])),
                      "phrases": draw(st.lists(PHRASES, min_size=1, max_size=5)),
                      "match": draw(st.sampled_from(["word", "prefix"]))})
    return rules


@st.composite
def rule_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Rules of every kind with drawn settings."""
    text_rules: list[dict[str, Any]] = [
        {"id": "pii", "kind": "pii", "severity": "block", "message": MESSAGE,
         "types": draw(st.lists(st.sampled_from(["email", "phone", "iban", "bsn", "rrn"]),
                                min_size=1, unique=True))},
        {"id": "secret", "kind": "confidential", "severity": "warn", "message": MESSAGE},
        {"id": "links", "kind": "link_domains", "severity": "warn", "message": MESSAGE,
         "allow": draw(st.lists(st.sampled_from(["example.com", "a.nl", "xn--bcher-kva.de"]))),
         "deny": draw(st.lists(st.sampled_from(["evil.net", "bit.ly"]))),
         "flag_shorteners": draw(st.booleans())},
        {"id": "regex", "kind": "regex", "severity": "info", "message": MESSAGE,
         "pattern": draw(st.sampled_from([r"\d+", "a*", r"(?i)prijs", ".", r"\bé\b", "$"])),
         "flags": draw(st.sampled_from([[], ["ignorecase"]]))},
        {"id": "ad", "kind": "disclosure", "severity": "warn", "message": MESSAGE,
         "text": draw(PHRASES)},
    ]
    other_rules: list[dict[str, Any]] = [
        {"id": "topic", "kind": "restricted_topic", "severity": "block", "message": MESSAGE,
         "topic": "results", "departments": ["Finance"]},
        {"id": "quiet", "kind": "quiet_period", "severity": "block", "message": MESSAGE,
         "start": "2025-01-01", "end": "2025-01-31", "action": "embargo"},
        {"id": "media", "kind": "media", "severity": "info", "message": MESSAGE,
         "min_width": 1000, "max_duration": 60},
    ]
    return phrase_rules(draw) + text_rules + other_rules


SUBJECT_EXTRAS = st.fixed_dictionaries({
    "topics": st.lists(st.sampled_from(["results", "events", "RESULTS"]), max_size=2),
    "department": st.one_of(st.none(), st.sampled_from(["Finance", "finance", "Sales"])),
    "network": st.one_of(st.none(), st.sampled_from(["linkedin", "x", "email"])),
    "on": st.dates(date(2024, 12, 1), date(2025, 2, 28)),
    "media": st.lists(st.builds(MediaFacts, st.sampled_from(["photo", "video"]),
                                st.one_of(st.none(), st.integers(0, 5000)),
                                st.one_of(st.none(), st.integers(0, 5000)),
                                st.one_of(st.none(), st.floats(0, 600))), max_size=3),
    "consent": st.booleans(),
})


def assert_findings_fit(rules: RuleSet, subject: Subject) -> None:
    for language in ("en", "nl"):
        for finding in rules.check(subject, language):
            assert finding.field is None or finding.field in subject.fields
            if finding.field is None:
                assert finding.spans == ()
            length = len(subject.fields[finding.field]) if finding.field is not None else 0
            for start, end in finding.spans:
                assert 0 <= start < end <= length
            assert list(finding.spans) == sorted(set(finding.spans))
            finding.as_json()


@BOUNDED
@given(st.data(), TEXTS)
def test_phrase_rules_never_fail_and_spans_fit_the_text(data: st.DataObject, text: str) -> None:
    rules = RuleSet.from_rules(data.draw(st.composite(phrase_rules)()))
    assert_findings_fit(rules, Subject(fields={"text": text}))


@BOUNDED
@given(rule_sets(), st.dictionaries(st.sampled_from(["title", "body", "text"]), TEXTS,
                                    max_size=3), SUBJECT_EXTRAS)
def test_every_kind_never_fails_and_findings_name_real_fields(
        raw: list[dict[str, Any]], fields: dict[str, str], extras: dict[str, Any]) -> None:
    rules = RuleSet.from_rules(raw)
    assert_findings_fit(rules, Subject(fields=fields, **extras))


@BOUNDED
@given(rule_sets())
def test_exported_rules_read_back_the_same(raw: list[dict[str, Any]]) -> None:
    rules = RuleSet.from_rules(raw)
    assert RuleSet.parse(rules.dumps()).as_json() == rules.as_json()


@BOUNDED
@given(st.text(st.sampled_from("abcprijs"), min_size=1, max_size=6),
       st.text(st.sampled_from("abcprijs .,-\n"), max_size=200))
def test_ascii_word_phrase_finds_what_a_word_bounded_regex_finds(phrase: str, text: str) -> None:
    rules = RuleSet.from_rules([{"id": "p", "kind": "phrase", "severity": "info",
                                 "message": MESSAGE, "phrases": [phrase]}])
    found = [span for f in rules.check(Subject(fields={"t": text})) for span in f.spans]
    expected = [m.span() for m in re.finditer(rf"(?<![^\W_]){phrase}(?![^\W_])", text, re.I)]
    assert found == expected


@BOUNDED
@given(st.text(st.sampled_from("prijsvertouwlk"), min_size=2, max_size=12), st.data())
def test_invisible_characters_and_case_inside_a_phrase_do_not_hide_it(
        phrase: str, data: st.DataObject) -> None:
    disguised = ""
    for char in phrase:
        disguised += data.draw(st.sampled_from([char, char.upper()]))
        disguised += data.draw(st.sampled_from(["", "\u200b", "\u00ad", "\u2060", "\ufeff"]))
    text = f"Zie: {disguised} !"
    rules = RuleSet.from_rules([{"id": "p", "kind": "phrase", "severity": "info",
                                 "message": MESSAGE, "phrases": [phrase]}])
    (finding,) = rules.check(Subject(fields={"t": text}))
    (span,) = finding.spans
    assert fold(text[slice(*span)]) == phrase
    assert text[span[0]:].startswith(disguised[0])



@settings(max_examples=100, deadline=None)
@given(rule_sets(), st.text(max_size=200))
def test_lone_surrogates_do_not_break_a_check(raw: list[dict[str, Any]], text: str) -> None:
    rules = RuleSet.from_rules(raw)
    assert_findings_fit(rules, Subject(fields={"text": text + "\ud800 prijs \udfff"},
                                       network="x", media=[MediaFacts("photo", 10, 10)]))
