"""A set of rules: read from a rule file or from stored rules, exported, and checked."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from advocacy.guidelines import problems as p
from advocacy.guidelines.context import CheckContext
from advocacy.guidelines.fields import RuleReport
from advocacy.guidelines.findings import SEVERITY_RANK, Finding, Subject
from advocacy.guidelines.kinds import SPECS
from advocacy.guidelines.phrases import PhraseIndex
from advocacy.guidelines.problems import RuleFileError, RuleProblem
from advocacy.guidelines.rulefile import LocatedObject, RuleFile, read_rule_file
from advocacy.guidelines.rules import Rule, read_rule

VERSION = 1
_TOP_KEYS = ("version", "rules")


class RuleSet:
    """The brand guidelines, compiled: every phrase of every rule in one index."""

    __slots__ = ("_by_id", "_index", "_position", "_unindexed", "rules")

    def __init__(self, rules: Sequence[Rule] = ()) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        active = tuple(rule for rule in self.rules if rule.enabled)
        self._unindexed = tuple(rule for rule in active if not rule.spec.indexed)
        self._by_id = {rule.id: rule for rule in self.rules}
        self._position = {rule.id: position for position, rule in enumerate(self.rules)}
        self._index = PhraseIndex((rule.id, phrase) for rule in active if rule.spec.indexed
                                  for phrase in rule.spec.phrases())

    @classmethod
    def parse(cls, source: str | bytes) -> RuleSet:
        """The rules of a rule file (JSON); RuleFileError lists every problem found."""
        located = read_rule_file(source)
        problems: list[RuleProblem] = []
        raw_rules = _read_top(located, problems)
        rules = _read_rules(raw_rules, problems)
        if problems:
            raise RuleFileError(tuple(sorted(problems, key=lambda problem: problem.line or 0)))
        return cls(rules)

    @classmethod
    def from_rules(cls, rules: Sequence[Mapping[str, Any]]) -> RuleSet:
        """Rules already parsed (as stored); the same checks, problems without lines."""
        problems: list[RuleProblem] = []
        if not isinstance(rules, list | tuple):
            problems.append(RuleProblem(None, None, "bad_value", p.NOT_LIST,
                                        {"field": "rules"}))
            raise RuleFileError(tuple(problems))
        found = _read_rules([(None, raw, None) for raw in rules], problems)
        if problems:
            raise RuleFileError(tuple(problems))
        return cls(found)

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, if the set has it."""
        return self._by_id.get(rule_id)

    @classmethod
    def empty(cls) -> RuleSet:
        """No rules: every check finds nothing."""
        return cls()

    def as_json(self) -> dict[str, Any]:
        """The canonical document: ``{"version": 1, "rules": [...]}``."""
        return {"version": VERSION, "rules": [rule.as_json() for rule in self.rules]}

    def dumps(self) -> str:
        """The rule file of this set, as exported; :meth:`parse` reads it back the same."""
        return json.dumps(self.as_json(), indent=2, ensure_ascii=False) + "\n"

    def check(self, subject: Subject, language: str = "en") -> list[Finding]:
        """The findings of the enabled rules on ``subject``, worded in ``language``: block,
        warn, info; then texts in ``subject.fields`` order after findings about the whole
        subject; then by first span, media item and rule order."""
        context = CheckContext(subject, language, self._index)
        findings = [self._by_id[rule_id].finding(context, name, spans)
                    for rule_id, by_field in context.phrase_hits().items()
                    for name, spans in by_field.items()] if self._index else []
        findings.extend(finding for rule in self._unindexed
                        for finding in rule.spec.check(rule, context))
        field_order = {name: order for order, name in enumerate(subject.fields)}

        def order(finding: Finding) -> tuple[int, int, tuple[int, int], int, int]:
            return (SEVERITY_RANK[finding.severity],
                    -1 if finding.field is None else field_order[finding.field],
                    finding.spans[0] if finding.spans else (-1, -1),
                    -1 if finding.media_index is None else finding.media_index,
                    self._position[finding.rule])

        return sorted(findings, key=order)


RawRule = tuple[int | None, Any, LocatedObject | None]


def _read_top(located: RuleFile, problems: list[RuleProblem]) -> list[RawRule]:
    """Check the top level of a rule file; answer its rules with their positions."""
    document, top = located.document, located.top
    if not isinstance(document, dict):
        problems.append(RuleProblem(top.line, None, "not_object", p.FILE_NOT_OBJECT, {}))
        return []
    report = RuleReport(problems, line=top.line, key_lines=top.key_lines)
    for key, line in top.repeated:
        problems.append(RuleProblem(line, None, "duplicate_field", p.DUPLICATE_KEY,
                                    {"field": key}))
    version = document.get("version")
    if "version" not in document:
        report.add("missing_field", p.MISSING_FIELD, field="version")
    elif isinstance(version, bool) or version != VERSION:
        report.add("bad_value", p.BAD_VERSION, key="version")
    for key in document:
        if key not in _TOP_KEYS:
            report.add("unknown_field", p.UNKNOWN_FIELD, key=key, field=key)
    rules = document.get("rules")
    if "rules" not in document:
        report.add("missing_field", p.MISSING_FIELD, field="rules")
        return []
    if not isinstance(rules, list):
        report.add("bad_value", p.NOT_LIST, key="rules", field="rules")
        return []
    if len(located.rules) != len(rules):  # cannot happen: both read the same text
        return [(None, raw, None) for raw in rules]
    return [(line, raw, where) for (line, where), raw in zip(located.rules, rules,
                                                               strict=True)]


def _read_rules(raw_rules: Sequence[RawRule], problems: list[RuleProblem]) -> list[Rule]:
    """Every rule read and checked, ids unique; problems noted in ``problems``."""
    rules: list[Rule] = []
    first_of: dict[str, int] = {}
    for number, (line, raw, where) in enumerate(raw_rules, start=1):
        if not isinstance(raw, Mapping):
            problems.append(RuleProblem(line, None, "not_object", p.RULE_NOT_OBJECT, {}))
            continue
        key_lines = where.key_lines if where is not None else {}
        report = RuleReport(problems, line=line, key_lines=key_lines)
        rule_id = raw.get("id")
        rule = read_rule(raw, report, SPECS)
        for key, _ in where.repeated if where is not None else ():
            report.add("duplicate_field", p.DUPLICATE_KEY, key=key, field=key)
        if isinstance(rule_id, str) and rule_id in first_of:
            report.rule = rule_id
            report.add("duplicate_id", p.DUPLICATE_ID, key="id", id=rule_id,
                       first=first_of[rule_id])
        elif isinstance(rule_id, str):
            first_of[rule_id] = number
            if rule is not None:
                rules.append(rule)
    return rules

