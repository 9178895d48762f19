"""What is checked (:class:`Subject`) and what a check finds (:class:`Finding`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

#: Characters per field; the web layer refuses longer texts with a size error.
MAX_TEXT_LENGTH = 50_000


def N_(message: str) -> str:
    """Mark ``message`` for Babel extraction; the web layer translates it when shown."""
    return message


class Severity(StrEnum):
    """How much a finding stops a story: block it, warn (explain why) or inform."""

    BLOCK = "block"
    WARN = "warn"
    INFO = "info"


#: Sort rank of each severity: the most severe first.
SEVERITY_RANK = {Severity.BLOCK: 0, Severity.WARN: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class MediaFacts:
    """What the rules know about one photo or video of a story."""

    kind: str  # "photo" | "video"
    width: int | None = None
    height: int | None = None
    duration: float | None = None  # seconds, videos
    label: str = ""  # how the hub names it, e.g. "photo 2"


@dataclass(frozen=True)
class Subject:
    """What is checked: texts by field name plus what the rules need to know about them."""

    fields: Mapping[str, str]
    topics: Sequence[str] = ()
    department: str | None = None  # of the person acting: author at submit, curator later
    network: str | None = None  # target network of a share text; None for a story
    on: date | None = None  # the day the check is about; None is today (UTC)
    media: Sequence[MediaFacts] = ()
    consent: bool = False  # the author confirmed that the people shown agreed


@dataclass(frozen=True)
class Finding:
    """One rule that a subject breaks, with where (``spans`` index the original text)."""

    rule: str
    kind: str
    severity: Severity
    message: str
    hint: str | None
    field: str | None
    spans: tuple[tuple[int, int], ...]
    embargo_until: date | None = None
    media_index: int | None = None  # position in Subject.media, for findings about one item
    #: Text whose addition resolves the finding (a required disclosure), offered as one click.
    addition: str | None = None
    #: What about the media item broke the rule, in the reader's language ("Video 2 is
    #: 4 minutes 10 seconds long; the guidelines allow up to 3 minutes."); the hub adds it.
    detail: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The finding as the API and the pages' scripts receive it."""
        return {
            "rule": self.rule,
            "kind": self.kind,
            "severity": str(self.severity),
            "message": self.message,
            "hint": self.hint,
            "field": self.field,
            "spans": [[start, end] for start, end in self.spans],
            "embargo_until": self.embargo_until.isoformat() if self.embargo_until else None,
            "media_index": self.media_index,
            "addition": self.addition,
            "detail": self.detail,
        }
