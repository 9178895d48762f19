"""One rule: the fields every kind has (id, severity, message, ...) and its kind's spec."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from advocacy.guidelines import problems as p
from advocacy.guidelines.fields import Fields, RuleReport, Wording
from advocacy.guidelines.findings import Finding, Severity
from advocacy.guidelines.kindbase import KindSpec
from advocacy.guidelines.spans import Span

if TYPE_CHECKING:
    from advocacy.guidelines.context import CheckContext

RULE_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,79}")
COMMON_KEYS = ("id", "kind", "severity", "enabled", "message", "hint")
SEVERITIES = tuple(str(severity) for severity in Severity)


@dataclass(frozen=True)
class Rule:
    """A rule of the brand guidelines, validated and ready to check."""

    id: str
    kind: str
    severity: Severity
    message: Wording
    hint: Wording | None
    enabled: bool
    spec: KindSpec = field(repr=False)

    def as_json(self) -> dict[str, Any]:
        """The canonical form of the rule, as exported and stored; it reads back the same."""
        document: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "severity": str(self.severity),
            "enabled": self.enabled, "message": self.message.as_json(),
        }
        if self.hint is not None:
            document["hint"] = self.hint.as_json()
        document.update(self.spec.as_json())
        return document

    def finding(self, context: CheckContext, field: str | None = None,
                spans: Sequence[Span] = (), *, embargo_until: date | None = None,
                media_index: int | None = None, addition: str | None = None) -> Finding:
        """A finding of this rule, worded in the language of the check."""
        language = context.language
        return Finding(
            rule=self.id, kind=self.kind, severity=self.severity,
            message=self.message.in_language(language),
            hint=self.hint.in_language(language) if self.hint is not None else None,
            field=field, spans=tuple(sorted(set(spans))),
            embargo_until=embargo_until, media_index=media_index, addition=addition,
        )


def read_rule(raw: Mapping[str, Any], report: RuleReport, kinds: Mapping[str, type[KindSpec]],
              ) -> Rule | None:
    """The rule from its raw fields, or None after reporting every problem found in it."""
    mark = report.count
    fields = Fields(raw, report)
    rule_id = _read_id(fields)
    kind = raw.get("kind")
    spec_type = kinds.get(kind) if isinstance(kind, str) else None
    if kind is None:
        report.add("missing_field", p.MISSING_FIELD, field="kind")
    elif spec_type is None:
        report.add("unknown_kind", p.UNKNOWN_KIND, key="kind", kind=str(kind))
    severity = fields.choice("severity", SEVERITIES)
    message = fields.wording("message", required=True)
    hint = fields.wording("hint", required=False)
    enabled = fields.flag("enabled", True)
    spec = None
    if spec_type is not None:
        _check_keys(raw, report, COMMON_KEYS + spec_type.keys)
        spec = spec_type.read(fields)
    if (report.count > mark or rule_id is None or spec is None or severity is None
            or message is None or spec_type is None):
        return None
    return Rule(rule_id, spec_type.kind, Severity(severity), message, hint, enabled, spec)


def _read_id(fields: Fields) -> str | None:
    rule_id = fields.raw.get("id")
    if rule_id is None:
        fields.report.add("missing_field", p.MISSING_FIELD, field="id")
        return None
    if not isinstance(rule_id, str) or not RULE_ID.fullmatch(rule_id):
        fields.report.add("bad_value", p.BAD_ID, key="id")
        return None
    fields.report.rule = rule_id
    return rule_id


def _check_keys(raw: Mapping[str, Any], report: RuleReport, allowed: tuple[str, ...]) -> None:
    for key in raw:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1)
        if close:
            report.add("unknown_field", p.UNKNOWN_FIELD_SUGGEST, key=str(key), field=str(key),
                       suggestion=close[0])
        else:
            report.add("unknown_field", p.UNKNOWN_FIELD, key=str(key), field=str(key))

