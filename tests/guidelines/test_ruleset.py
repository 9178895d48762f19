"""Checking a subject against a rule set: order, language, the finding's JSON, purity."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

from advocacy.guidelines import (
    KINDS,
    MAX_TEXT_LENGTH,
    N_,
    Finding,
    MediaFacts,
    RuleSet,
    Severity,
    Subject,
)

PACKAGE = Path(__file__).resolve().parents[2] / "advocacy" / "guidelines"


def phrase_rule(rule_id: str, severity: str, phrase: str, **extra: Any) -> dict[str, Any]:
    return {"id": rule_id, "kind": "phrase", "severity": severity,
            "message": {"en": f"{rule_id} in English", "nl": f"{rule_id} in het Nederlands"},
            "phrases": [phrase], **extra}


def test_findings_come_block_warn_info_then_by_field_then_by_first_span() -> None:
    rules = RuleSet.from_rules([
        phrase_rule("info-alpha", "info", "alpha"),
        phrase_rule("warn-beta", "warn", "beta"),
        phrase_rule("block-gamma", "block", "gamma"),
        phrase_rule("block-alpha", "block", "alpha"),
        {"id": "block-media", "kind": "media", "severity": "block",
         "message": {"en": "consent", "nl": "toestemming"}},
    ])
    subject = Subject(fields={"title": "gamma alpha", "body": "alpha beta gamma"},
                      media=[MediaFacts("photo")])
    order = [(f.rule, f.field) for f in rules.check(subject)]
    assert order == [
        ("block-media", None),
        ("block-gamma", "title"), ("block-alpha", "title"),
        ("block-alpha", "body"), ("block-gamma", "body"),
        ("warn-beta", "body"),
        ("info-alpha", "title"), ("info-alpha", "body"),
    ]


def test_message_and_hint_come_in_the_requested_language_with_english_fallback() -> None:
    rules = RuleSet.from_rules([phrase_rule(
        "p", "warn", "prijs", hint={"en": "Ask sales", "nl": "Vraag het sales"})])
    subject = Subject(fields={"text": "prijs"})
    assert rules.check(subject, "nl")[0].message == "p in het Nederlands"
    assert rules.check(subject, "nl_BE")[0].hint == "Vraag het sales"
    assert rules.check(subject, "en")[0].hint == "Ask sales"
    assert rules.check(subject, "fr")[0].message == "p in English"
    assert rules.check(subject)[0].message == "p in English"


def test_finding_as_json_has_the_agreed_shape() -> None:
    rules = RuleSet.from_rules([phrase_rule("p", "block", "prijs")])
    (finding,) = rules.check(Subject(fields={"text": "De prijs"}))
    assert finding.as_json() == {
        "rule": "p", "kind": "phrase", "severity": "block", "message": "p in English",
        "hint": None, "field": "text", "spans": [[3, 8]], "embargo_until": None,
        "media_index": None,
        "addition": None, "detail": None,
    }
    assert finding.severity is Severity.BLOCK and isinstance(finding, Finding)


def test_rules_keep_file_order_and_know_id_kind_and_severity() -> None:
    rules = RuleSet.from_rules([phrase_rule("b", "info", "x"), phrase_rule("a", "warn", "y")])
    assert [(r.id, r.kind, r.severity) for r in rules.rules] == [
        ("b", "phrase", Severity.INFO), ("a", "phrase", Severity.WARN)]


def test_kinds_are_the_nine_agreed_kinds() -> None:
    assert set(KINDS) == {"phrase", "regex", "restricted_topic", "pii", "confidential",
                          "link_domains", "disclosure", "quiet_period", "media"}
    assert N_("unchanged") == "unchanged"


def test_a_longest_allowed_text_gets_every_kind_checked_and_capped_spans() -> None:
    """The largest text we accept, full of matches: every kind answers, spans stay inside
    the text, and one admin pattern reports at most 1,000 places (no timing asserted here:
    bench/guidelines.py measures speed)."""
    rules = RuleSet.from_rules([
        phrase_rule(f"p{n}", "warn", f"woord{n} extra", match="prefix") for n in range(200)
    ] + [{"id": "pii", "kind": "pii", "severity": "block", "message": {"en": "x", "nl": "x"},
          "types": ["email", "phone", "iban", "bsn", "rrn"]},
         {"id": "links", "kind": "link_domains", "severity": "warn",
          "message": {"en": "x", "nl": "x"}, "allow": ["example.com"]},
         {"id": "re", "kind": "regex", "severity": "info", "message": {"en": "x", "nl": "x"},
          "pattern": "[0-9]"}])
    text = ("Café 06-12345678 aa.bb.cc https://x.nl/a\u200b é woord1 extra " * 2000)
    text = text[:MAX_TEXT_LENGTH]
    findings = {f.rule: f for f in rules.check(Subject(fields={"body": text}))}
    assert {"p1", "pii", "links", "re"} <= findings.keys()
    assert len(findings["re"].spans) == 1000
    assert all(0 <= s < e <= len(text) for f in findings.values() for s, e in f.spans)


def test_engine_loads_without_flask_or_the_database() -> None:
    code = ("import sys, advocacy.guidelines\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'flask', 'flask_babel', 'sqlalchemy', 'werkzeug'} or "
            "(m.startswith('advocacy.') and not m.startswith('advocacy.guidelines')))\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PACKAGE.parents[1], check=False)
    assert result.returncode == 0, result.stderr


def test_engine_imports_only_the_standard_library_re2_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"re2", "advocacy"}
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] in allowed, (path.name, name)
                if name.startswith("advocacy"):
                    assert name.startswith("advocacy.guidelines"), (path.name, name)
