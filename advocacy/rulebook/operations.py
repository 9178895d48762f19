"""The rule set in force, replacing it as a whole, and checking stories and texts.

Every change stores a complete new :class:`GuidelineSet`; the newest is in force. Each
process keeps the compiled rules of the newest set and recompiles only when it changes, so
a check costs one small query plus the engine's own time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from flask import g, has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from advocacy import database as db
from advocacy.accounts.models import User
from advocacy.errors import NotFound, Rejected
from advocacy.guidelines import (
    MAX_TEXT_LENGTH,
    Finding,
    MediaFacts,
    RuleFileError,
    RuleProblem,
    RuleSet,
    Severity,
    Subject,
)
from advocacy.guidelines.subjectkinds import MediaSpec
from advocacy.media.models import MediaStatus
from advocacy.media.operations import duration_words
from advocacy.rulebook.models import GuidelineSet
from advocacy.signals import guidelines_replaced
from advocacy.stories.models import Story
from advocacy.text import is_storable

EXPLANATION_MAX = 2000
#: A rule file larger than this is not a rule file (the admin page and the CLI both refuse).
RULE_FILE_MAX_BYTES = 512 * 1024  # also below the 1 MB body limit, so this message is seen
#: (set id, created at) -> compiled rules; the time tells a reused id apart.
_COMPILED: dict[tuple[Any, ...], RuleSet] = {}


def current_set() -> GuidelineSet | None:
    """The rule set in force: the newest."""
    return db.session.scalars(
        select(GuidelineSet).order_by(GuidelineSet.id.desc()).limit(1)).first()


def current_rules() -> RuleSet:
    """The rules in force, compiled once per process and version (and looked up once per
    request)."""
    if has_app_context() and "_guidelines" in g:
        cached: RuleSet = g._guidelines
        return cached
    newest = db.session.execute(
        select(GuidelineSet.id, GuidelineSet.created_at)
        .order_by(GuidelineSet.id.desc()).limit(1)).first()
    if newest is None:
        rules = RuleSet.empty()
    elif tuple(newest) in _COMPILED:
        rules = _COMPILED[tuple(newest)]
    else:
        row = db.session.get(GuidelineSet, newest[0])
        rules = RuleSet.from_rules(row.document.get("rules", []) if row else [])
        _COMPILED.clear()  # only the newest set is ever used again
        _COMPILED[tuple(newest)] = rules
    if has_app_context():
        g._guidelines = rules
    return rules


def problem_text(problem: RuleProblem) -> str:
    """One problem of a rule file, translated, with its line."""
    message = str(_(problem.template) % dict(problem.params))
    if problem.line is not None and problem.rule:
        return str(_("line %(line)d, rule “%(rule)s”: %(message)s", line=problem.line,
                     rule=problem.rule, message=message))
    if problem.line is not None:
        return str(_("line %(line)d: %(message)s", line=problem.line, message=message))
    if problem.rule:
        return str(_("rule “%(rule)s”: %(message)s", rule=problem.rule, message=message))
    return message


def parse_rules(source: str | bytes) -> RuleSet:
    """A rule file, checked as a whole; every problem is reported at once with its line."""
    if len(source) > RULE_FILE_MAX_BYTES:
        raise Rejected("rules_too_large", _l("A rule file may be at most %(kb)d KB.",
                                             kb=RULE_FILE_MAX_BYTES // 1024),
                       status=413, field="rules")
    try:
        return RuleSet.parse(source)
    except RuleFileError as exc:
        problems = [problem_text(p) for p in exc.problems]
        raise Rejected(
            "invalid_rules",
            _l("The rules were not changed: the file has %(n)d problem(s).",
               n=len(problems)),
            status=422,
            fields={"rules": list(problems)},
            details={"problems": [{"line": p.line, "rule": p.rule, "code": p.code,
                                   "message": problem_text(p)} for p in exc.problems]},
        ) from None


def replace_rules(actor: User | None, source: str | bytes, *, via: str) -> GuidelineSet:
    """Put a whole new rule set in force (the old one stays in the history)."""
    rules = parse_rules(source)
    previous = current_set()
    document = rules.as_json()
    if previous is not None and previous.document == document:
        return previous
    row = GuidelineSet(document=document, created_by_id=actor.id if actor else None,
                       source=via)
    db.session.add(row)
    db.session.flush()
    if has_app_context():
        g.pop("_guidelines", None)
    guidelines_replaced.send(row, actor=actor, via=via,
                             previous=previous.document.get("rules", []) if previous else [])
    return row


def change_rule(actor: User, rule_id: str, action: str) -> GuidelineSet:
    """Turn one rule on or off, or remove it: a new version of the whole set."""
    row = current_set()
    document: dict[str, Any] = (copy.deepcopy(row.document) if row is not None
                                else {"version": 1, "rules": []})
    rules: list[dict[str, Any]] = document.setdefault("rules", [])
    rule = next((r for r in rules if r.get("id") == rule_id), None)
    if rule is None:
        raise NotFound(_l("There is no rule “%(rule)s”.", rule=rule_id[:80]))
    if action == "delete":
        rules.remove(rule)
    elif action in {"enable", "disable"}:
        rule["enabled"] = action == "enable"
    else:
        raise Rejected("invalid_action", _l("Choose to turn the rule on or off, or remove it."),
                       status=422)
    return replace_rules(actor, json.dumps(document), via="admin")


def export_rules() -> str:
    """The rules in force as a rule file (what :func:`replace_rules` takes back)."""
    return current_rules().dumps()


def rules_document_text() -> str:
    """The current rules as the admin page's editor shows them."""
    row = current_set()
    document = row.document if row is not None else {"version": 1, "rules": []}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def language() -> str:
    locale = get_locale() if has_app_context() else None
    return locale.language if locale is not None else "en"


def _department(user: User | None) -> str | None:
    return user.department.name if user is not None and user.department else None


def story_subject(story: Story, acting: User | None = None, *,
                  on: date | None = None) -> Subject:
    """What the engine needs to know about ``story``; ``acting`` is whose department counts
    (the author when submitting, the curator when approving)."""
    media = []
    counted: dict[str, int] = {}
    for asset in story.media:
        counted[asset.kind] = counted.get(asset.kind, 0) + 1
        # A video's size and length are known once it is processed; until then they pass.
        known = asset.status == MediaStatus.READY and asset.width > 0
        media.append(MediaFacts(kind=asset.kind, width=asset.width if known else None,
                                height=asset.height if known else None,
                                duration=asset.duration if asset.is_video else None,
                                label=str(counted[asset.kind])))
    return Subject(fields={"title": story.title, "body": story.body},
                   topics=tuple(t.slug for t in story.topics),
                   department=_department(acting or story.author), on=on, media=media,
                   consent=story.consent_confirmed)


def check_story(story: Story, acting: User | None = None) -> list[Finding]:
    """The findings on ``story`` as it stands, in the reader's language; a finding about one
    photo or video says which, and what about it missed the rule."""
    rules = current_rules()
    subject = story_subject(story, acting)
    findings = rules.check(subject, language())
    return [_with_detail(finding, rules, subject) for finding in findings]


def _with_detail(finding: Finding, rules: RuleSet, subject: Subject) -> Finding:
    rule = rules.rule(finding.rule)
    if finding.media_index is None or rule is None or not isinstance(rule.spec, MediaSpec):
        return finding
    item = subject.media[finding.media_index]
    spec = rule.spec
    missed = spec.shortfalls(item)
    video = item.kind == "video"
    parts = []
    if "width" in missed or "height" in missed:
        wanted = (f"{spec.min_width or 0} × {spec.min_height}" if spec.min_height
                  else str(spec.min_width))
        size = f"{item.width} × {item.height}"
        if spec.min_height and spec.min_width:
            parts.append(_("Video %(n)s is %(size)s pixels; the guidelines ask for at least "
                           "%(wanted)s.", n=item.label, size=size, wanted=wanted) if video else
                         _("Photo %(n)s is %(size)s pixels; the guidelines ask for at least "
                           "%(wanted)s.", n=item.label, size=size, wanted=wanted))
        elif spec.min_width:
            parts.append(_("Video %(n)s is %(width)s pixels wide; the guidelines ask for at "
                           "least %(min)s.", n=item.label, width=item.width,
                           min=spec.min_width) if video else
                         _("Photo %(n)s is %(width)s pixels wide; the guidelines ask for at "
                           "least %(min)s.", n=item.label, width=item.width,
                           min=spec.min_width))
        else:
            parts.append(_("Video %(n)s is %(height)s pixels high; the guidelines ask for at "
                           "least %(min)s.", n=item.label, height=item.height,
                           min=spec.min_height) if video else
                         _("Photo %(n)s is %(height)s pixels high; the guidelines ask for at "
                           "least %(min)s.", n=item.label, height=item.height,
                           min=spec.min_height))
    if "duration" in missed and item.duration is not None and spec.max_duration is not None:
        parts.append(_("Video %(n)s is %(duration)s long; the guidelines allow up to "
                       "%(max)s.", n=item.label, duration=duration_words(item.duration),
                       max=duration_words(spec.max_duration)))
    return replace(finding, detail=" ".join(parts) or None)


def check_text(user: User, text: str, *, topics: Sequence[str] = (),
               network: str | None = None, department: str | None = None,
               field: str = "text") -> list[Finding]:
    """The findings on a free text (a share text, a caption, the "try a text" box)."""
    return check_fields(user, {field: text}, topics=topics, network=network,
                        department=department)


def check_fields(user: User, fields: dict[str, str], *, topics: Sequence[str] = (),
                 network: str | None = None, department: str | None = None,
                 ) -> list[Finding]:
    """The findings on texts that are not (yet) a stored story: pre-flight while writing."""
    for field, text in fields.items():
        if len(text) > MAX_TEXT_LENGTH:
            raise Rejected("text_too_long",
                           _l("This text has %(n)d characters; the guidelines check at most "
                              "%(max)d.", n=len(text), max=MAX_TEXT_LENGTH),
                           status=413, field=field)
    subject = Subject(fields=fields, topics=tuple(topics),
                      department=department if department is not None else _department(user),
                      network=network)
    return current_rules().check(subject, language())


def findings_json(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    return [f.as_json() for f in findings]


def blocking(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.BLOCK]


def warnings(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.WARN]


class NotCleared(Rejected):
    """The guideline pre-flight stopped a submission (blocking findings, or warnings
    without an explanation); the author fixes the text or explains, and tries again."""


def require_clearance(findings: Sequence[Finding], explanation: str | None) -> str | None:
    """Refuse a story with blocking findings, or with warnings and no explanation; answer
    the explanation as it will be stored."""
    stopped = blocking(findings)
    if stopped:
        raise NotCleared(
            "guidelines_block",
            _l("This cannot be submitted yet: %(n)d finding(s) of the brand guidelines must "
               "be fixed first.", n=len(stopped)),
            status=422, details={"findings": findings_json(findings)})
    explanation = (explanation or "").strip() or None
    if explanation is not None and not is_storable(explanation):
        raise NotCleared("invalid_characters",
                         _l("This text contains characters that cannot be stored."),
                         status=422, field="explanation")
    if explanation is not None and len(explanation) > EXPLANATION_MAX:
        raise NotCleared("invalid_explanation",
                         _l("Keep the explanation to %(max)d characters.", max=EXPLANATION_MAX),
                         status=422, field="explanation")
    if warnings(findings) and explanation is None:
        raise NotCleared(
            "explanation_required",
            _l("The brand guidelines warn about this story. Explain to the comms team why it "
               "should go out as it is, or change it."),
            status=422, field="explanation", details={"findings": findings_json(findings)})
    return explanation
