"""Rule files: every problem reported at once, at its line; exports read back the same."""

from __future__ import annotations

import json
from typing import Any

import pytest

from advocacy.guidelines import RuleFileError, RuleProblem, RuleSet

GOOD_RULES: list[dict[str, Any]] = [
    {"id": "no-prices", "kind": "phrase", "severity": "block",
     "message": {"en": "No prices", "nl": "Geen prijzen"},
     "hint": {"en": "Leave prices to sales", "nl": "Laat prijzen aan sales"},
     "phrases": ["prijs", "price list"], "match": "prefix"},
    {"id": "percent", "kind": "regex", "severity": "warn",
     "message": {"en": "Discounts", "nl": "Kortingen"}, "pattern": r"\d+ ?%",
     "flags": ["ignorecase"]},
    {"id": "results", "kind": "restricted_topic", "severity": "block",
     "message": {"en": "Finance only", "nl": "Alleen Finance"}, "topic": "results",
     "departments": ["Finance"]},
    {"id": "pii", "kind": "pii", "severity": "block", "message": {"en": "PII", "nl": "AVG"}},
    {"id": "secret", "kind": "confidential", "severity": "block", "enabled": False,
     "message": {"en": "Secret", "nl": "Geheim"}},
    {"id": "links", "kind": "link_domains", "severity": "warn",
     "message": {"en": "Links", "nl": "Links"}, "allow": ["example.com"], "deny": ["evil.net"]},
    {"id": "ad", "kind": "disclosure", "severity": "warn",
     "message": {"en": "Say #ad", "nl": "Zeg #ad"}, "networks": ["linkedin", "x"],
     "text": "#ad"},
    {"id": "q4", "kind": "quiet_period", "severity": "block",
     "message": {"en": "Quiet", "nl": "Stil"}, "start": "2025-01-10", "end": "2025-01-20",
     "topics": ["results"], "action": "embargo"},
    {"id": "photos", "kind": "media", "severity": "info",
     "message": {"en": "Photos", "nl": "Foto's"}, "min_width": 1080, "max_duration": 90},
]


def problems_of(source: str | bytes) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(RuleFileError) as caught:
        RuleSet.parse(source)
    return [(problem.line, problem.rule, problem.code) for problem in caught.value.problems]


def test_a_good_rule_file_reads_with_every_kind() -> None:
    rules = RuleSet.parse(json.dumps({"version": 1, "rules": GOOD_RULES}))
    assert [rule.id for rule in rules.rules] == [rule["id"] for rule in GOOD_RULES]
    assert {rule.kind for rule in rules.rules} == {
        "phrase", "regex", "restricted_topic", "pii", "confidential", "link_domains",
        "disclosure", "quiet_period", "media"}


def test_export_reads_back_the_same() -> None:
    rules = RuleSet.parse(json.dumps({"version": 1, "rules": GOOD_RULES}).encode())
    exported = rules.dumps()
    assert exported.endswith("}\n") and "\n  " in exported
    again = RuleSet.parse(exported)
    assert again.as_json() == rules.as_json()
    assert again.dumps() == exported
    assert RuleSet.from_rules(rules.as_json()["rules"]).as_json() == rules.as_json()


def test_export_keeps_non_ascii_text_readable() -> None:
    rules = RuleSet.from_rules([{"id": "cafe", "kind": "phrase", "severity": "info",
                                 "message": {"en": "Café", "nl": "Café"}, "phrases": ["café"]}])
    assert '"Café"' in rules.dumps()


BROKEN = """\
{
  "version": 1,
  "rules": [
    {
      "id": "no-prices",
      "kind": "prase",
      "severity": "block",
      "message": {"en": "No prices", "nl": "Geen prijzen"},
      "phrases": ["prijs"]
    },
    {
      "id": "percent",
      "kind": "regex",
      "severity": "warn",
      "message": {"en": "Discounts", "nl": "Kortingen"},
      "pattern": "(\\\\d+ %"
    },
    {
      "id": "no-dutch",
      "kind": "phrase",
      "severity": "warn",
      "message": {"en": "English only"},
      "phrases": ["x"]
    },
    {
      "id": "no-message",
      "kind": "phrase",
      "severity": "warn",
      "phrases": ["x"]
    },
    {
      "id": "percent",
      "kind": "phrase",
      "severity": "info",
      "message": {"en": "a", "nl": "b"},
      "phrases": ["x"]
    },
    {
      "id": "typo",
      "kind": "phrase",
      "severity": "block",
      "message": {"en": "a", "nl": "b"},
      "phrase": ["x"]
    },
    {
      "id": "quiet",
      "kind": "quiet_period",
      "severity": "block",
      "message": {"en": "a", "nl": "b"},
      "start": "2025-02-30",
      "end": "soon"
    },
    {
      "id": "loud",
      "kind": "phrase",
      "severity": "critical",
      "message": {"en": "a", "nl": "b"},
      "phrases": ["x"]
    },
    "not a rule",
    {
      "id": "Bad Id!",
      "kind": "phrase",
      "severity": "info",
      "message": {"en": "a", "nl": "b"},
      "phrases": ["x"]
    }
  ]
}
"""


def test_every_problem_is_reported_at_once_with_its_line() -> None:
    assert problems_of(BROKEN) == [
        (6, "no-prices", "unknown_kind"),
        (16, "percent", "bad_regex"),
        (22, "no-dutch", "missing_message"),
        (25, "no-message", "missing_message"),
        (32, "percent", "duplicate_id"),
        (38, "typo", "missing_field"),
        (43, "typo", "unknown_field"),
        (50, "quiet", "bad_value"),
        (51, "quiet", "bad_value"),
        (56, "loud", "bad_value"),
        (60, None, "not_object"),
        (62, None, "bad_value"),
    ]


def test_problems_read_well_in_english() -> None:
    with pytest.raises(RuleFileError) as caught:
        RuleSet.parse(BROKEN)
    lines = [str(problem) for problem in caught.value.problems]
    assert lines[0] == "line 6: rule 'no-prices': unknown kind 'prase'"
    assert lines[1].startswith("line 16: rule 'percent': the pattern does not compile: missing )")
    assert lines[2] == "line 22: rule 'no-dutch': 'message' needs a text in 'nl'"
    assert lines[4] == "line 32: rule 'percent': the id 'percent' is already used by rule 2"
    assert lines[6] == ("line 43: rule 'typo': unknown field 'phrase' "
                        "(did you mean 'phrases'?)")
    assert lines[7] == ("line 50: rule 'quiet': 'start' must be a date like 2025-01-31, "
                        "not '2025-02-30'")
    assert lines[9] == ("line 56: rule 'loud': 'severity' must be one of 'block', 'warn', "
                        "'info', not 'critical'")
    assert str(caught.value).splitlines() == lines


def test_problem_templates_take_their_params() -> None:
    problem = RuleProblem(3, "r", "unknown_kind", "unknown kind '%(kind)s'", {"kind": "prase"})
    assert problem.message == "unknown kind 'prase'"
    assert str(problem) == "line 3: rule 'r': unknown kind 'prase'"
    assert str(RuleProblem(None, None, "syntax", "broken", {})) == "broken"


@pytest.mark.parametrize(("source", "line"), [
    ('{\n  "version": 1,\n  "rules": [\n    {"id": "a",}\n  ]\n}\n', 4),
    ('{"version": 1, "rules": []', 1),
    ("", 1),
    ('{\n\n"version": 1 "rules": []}', 3),
])
def test_json_syntax_errors_give_the_decoders_line(source: str, line: int) -> None:
    assert problems_of(source) == [(line, None, "syntax")]


def test_file_that_is_not_utf8_is_a_syntax_problem() -> None:
    assert problems_of(b'{\n"version": 1,\n"rules": ["\xff"]}') == [(3, None, "syntax")]


def test_deeply_nested_file_is_a_problem_not_a_crash() -> None:
    assert problems_of("[" * 100_000 + "]" * 100_000)[0][2] in {"syntax", "not_object"}


@pytest.mark.parametrize("source", ["[]", '"rules"', "1", "null"])
def test_file_that_is_not_an_object_is_a_problem(source: str) -> None:
    assert problems_of(source) == [(1, None, "not_object")]


def test_top_level_version_and_rules_are_checked() -> None:
    assert problems_of('{"rules": []}') == [(1, None, "missing_field")]
    assert problems_of('{\n"version": 2,\n"rules": []}') == [(2, None, "bad_value")]
    assert problems_of('{"version": 1}') == [(1, None, "missing_field")]
    assert problems_of('{\n"version": 1,\n"rules": {}}') == [(3, None, "bad_value")]
    assert problems_of('{\n"version": 1,\n"rules": [],\n"extra": 1}') == [
        (4, None, "unknown_field")]


def test_a_field_given_twice_is_a_problem() -> None:
    source = ('{"version": 1, "rules": [{\n"id": "a", "kind": "phrase", "severity": "info",\n'
              '"message": {"en": "a", "nl": "b"}, "phrases": ["x"],\n"phrases": ["y"]}]}')
    assert problems_of(source) == [(4, "a", "duplicate_field")]


def rule_with(**fields: Any) -> dict[str, Any]:
    rule = {"id": "r", "kind": "phrase", "severity": "warn",
            "message": {"en": "a", "nl": "b"}, "phrases": ["x"]}
    rule.update(fields)
    return {key: value for key, value in rule.items() if value is not None}


@pytest.mark.parametrize(("fields", "code"), [
    ({"id": None}, "missing_field"),
    ({"kind": None}, "missing_field"),
    ({"severity": None}, "missing_field"),
    ({"message": {"en": "", "nl": "b"}}, "missing_message"),
    ({"message": {"en": "a", "nl": "b", "de": "c"}}, "unknown_field"),
    ({"message": "a"}, "bad_value"),
    ({"hint": {"en": "a"}}, "missing_hint"),
    ({"enabled": "yes"}, "bad_value"),
    ({"phrases": []}, "bad_value"),
    ({"phrases": ["", "x"]}, "bad_value"),
    ({"phrases": ["!!!"]}, "bad_value"),
    ({"phrases": "prijs"}, "bad_value"),
    ({"match": "suffix"}, "bad_value"),
    ({"id": "x" * 81}, "bad_value"),
    ({"id": "-leading"}, "bad_value"),
    ({"id": 5}, "bad_value"),
])
def test_rule_field_problems(fields: dict[str, Any], code: str) -> None:
    with pytest.raises(RuleFileError) as caught:
        RuleSet.from_rules([rule_with(**fields)])
    assert [problem.code for problem in caught.value.problems] == [code]
    assert caught.value.problems[0].line is None


@pytest.mark.parametrize(("rule", "code"), [
    ({"kind": "regex", "pattern": "(?<=a)b"}, "bad_regex"),
    ({"kind": "regex", "pattern": "a", "flags": ["multiline"]}, "bad_value"),
    ({"kind": "pii", "types": ["passport"]}, "bad_value"),
    ({"kind": "pii", "types": []}, "bad_value"),
    ({"kind": "restricted_topic", "topic": "x"}, "missing_field"),
    ({"kind": "link_domains", "allow": ["not a domain"]}, "bad_value"),
    ({"kind": "disclosure", "text": "#ad", "networks": ["myspace"]}, "bad_value"),
    ({"kind": "disclosure", "text": "\u200b"}, "bad_value"),
    ({"kind": "quiet_period", "start": "2025-02-01", "end": "2025-01-01"}, "bad_value"),
    ({"kind": "quiet_period", "start": "2025-01-01", "end": "2025-01-02",
      "action": "hide"}, "bad_value"),
    ({"kind": "media", "min_width": 0}, "bad_value"),
    ({"kind": "media", "min_width": True}, "bad_value"),
    ({"kind": "media", "max_duration": "long"}, "bad_value"),
    ({"kind": "confidential", "markers": []}, "bad_value"),
])
def test_kind_field_problems(rule: dict[str, Any], code: str) -> None:
    raw = {"id": "r", "severity": "warn", "message": {"en": "a", "nl": "b"}, **rule}
    with pytest.raises(RuleFileError) as caught:
        RuleSet.from_rules([raw])
    assert [problem.code for problem in caught.value.problems] == [code]


def test_rule_that_is_not_an_object_is_a_problem_in_stored_rules_too() -> None:
    with pytest.raises(RuleFileError) as caught:
        RuleSet.from_rules(["x"])  # type: ignore[list-item]
    assert caught.value.problems[0].code == "not_object"


def test_empty_rule_set_finds_nothing() -> None:
    assert RuleSet.empty().rules == ()
    assert RuleSet.empty().as_json() == {"version": 1, "rules": []}
