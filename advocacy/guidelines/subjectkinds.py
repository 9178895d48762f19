"""Kinds of rule about the subject rather than its words: restricted_topic, quiet_period,
media."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from advocacy.guidelines import problems as p
from advocacy.guidelines.fields import Fields
from advocacy.guidelines.findings import Finding, MediaFacts
from advocacy.guidelines.kindbase import KindSpec

if TYPE_CHECKING:
    from advocacy.guidelines.context import CheckContext
    from advocacy.guidelines.rules import Rule

ACTIONS = ("block", "embargo")


def _folded(names: Iterable[str]) -> set[str]:
    return {name.strip().casefold() for name in names}


@dataclass(frozen=True)
class RestrictedTopicSpec(KindSpec):
    """A topic only some departments may publish on."""

    kind = "restricted_topic"
    keys = ("topic", "departments")
    topic: str
    departments: tuple[str, ...]

    @classmethod
    def read(cls, fields: Fields) -> RestrictedTopicSpec | None:
        mark = fields.report.count
        topic = fields.text("topic")
        departments = fields.texts("departments", required=True)
        if fields.report.count > mark or topic is None or departments is None:
            return None
        return cls(topic, departments)

    def as_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "departments": list(self.departments)}

    def check(self, rule: Rule, context: CheckContext) -> list[Finding]:
        subject = context.subject
        if self.topic.strip().casefold() not in _folded(subject.topics):
            return []
        department = subject.department
        if department is not None and department.strip().casefold() in _folded(
                self.departments):
            return []
        return [rule.finding(context)]


@dataclass(frozen=True)
class QuietPeriodSpec(KindSpec):
    """Days on which nothing (on some topics) may go out, or only with an embargo."""

    kind = "quiet_period"
    keys = ("start", "end", "topics", "action")
    start: date
    end: date
    topics: tuple[str, ...]
    action: str

    @classmethod
    def read(cls, fields: Fields) -> QuietPeriodSpec | None:
        mark = fields.report.count
        start, end = fields.day("start"), fields.day("end")
        topics = fields.texts("topics")
        action = fields.choice("action", ACTIONS, default="block")
        if start is not None and end is not None and end < start:
            fields.report.add("bad_value", p.DATES_REVERSED, key="end",
                              start=start.isoformat(), end=end.isoformat())
        if fields.report.count > mark or start is None or end is None or action is None:
            return None
        return cls(start, end, topics or (), action)

    def as_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "topics": list(self.topics), "action": self.action}

    def check(self, rule: Rule, context: CheckContext) -> list[Finding]:
        if not self.start <= context.today <= self.end:
            return []
        if self.topics and _folded(self.topics).isdisjoint(_folded(context.subject.topics)):
            return []
        until = self.end + timedelta(days=1) if self.action == "embargo" else None
        return [rule.finding(context, embargo_until=until)]


@dataclass(frozen=True)
class MediaSpec(KindSpec):
    """Consent of the people shown, and how large photos and how long videos must be."""

    kind = "media"
    keys = ("require_consent", "min_width", "min_height", "max_duration")
    require_consent: bool
    min_width: int | None
    min_height: int | None
    max_duration: float | None

    @classmethod
    def read(cls, fields: Fields) -> MediaSpec | None:
        mark = fields.report.count
        require_consent = fields.flag("require_consent", True)
        min_width, min_height = fields.whole("min_width"), fields.whole("min_height")
        max_duration = fields.positive("max_duration")
        if fields.report.count > mark:
            return None
        return cls(require_consent, min_width, min_height, max_duration)

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"require_consent": self.require_consent}
        for key in ("min_width", "min_height", "max_duration"):
            if getattr(self, key) is not None:
                document[key] = getattr(self, key)
        return document

    def unfit(self, media: MediaFacts) -> bool:
        """Whether ``media`` is too small or too long; unknown sizes pass."""
        return bool(self.shortfalls(media))

    def shortfalls(self, media: MediaFacts) -> tuple[str, ...]:
        """Which limits ``media`` misses: "width", "height", "duration" (unknown ones pass:
        a video still processing has no size yet)."""
        too_narrow = (self.min_width is not None and media.width is not None
                      and media.width < self.min_width)
        too_low = (self.min_height is not None and media.height is not None
                   and media.height < self.min_height)
        too_long = (self.max_duration is not None and media.duration is not None
                    and media.duration > self.max_duration)
        return tuple(name for name, missed in (("width", too_narrow), ("height", too_low),
                                               ("duration", too_long)) if missed)

    def check(self, rule: Rule, context: CheckContext) -> list[Finding]:
        media = context.subject.media
        findings = []
        if media and self.require_consent and not context.subject.consent:
            findings.append(rule.finding(context))
        findings.extend(rule.finding(context, media_index=index)
                        for index, item in enumerate(media) if self.unfit(item))
        return findings
