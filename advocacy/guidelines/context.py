"""One check in progress: the subject, its language and day, and what the rules share about
each field (folded text, links, phrase hits), worked out once and only when needed."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from advocacy.guidelines.findings import Subject
from advocacy.guidelines.links import Link, find_links
from advocacy.guidelines.normalise import Normalised, normalise
from advocacy.guidelines.phrases import PhraseIndex
from advocacy.guidelines.spans import Span


class CheckContext:
    """What the rules of one :meth:`RuleSet.check` call share."""

    def __init__(self, subject: Subject, language: str, phrases: PhraseIndex) -> None:
        self.subject = subject
        self.language = language
        self.today: date = subject.on or datetime.now(UTC).date()
        self._phrases = phrases
        self._normalised: dict[str, Normalised] = {}
        self._spaced: dict[str, str] = {}
        self._links: dict[str, list[Link]] = {}
        self._phrase_hits: dict[str, dict[str, list[Span]]] | None = None

    def normalised(self, field: str) -> Normalised:
        """The folded text of ``field``."""
        if field not in self._normalised:
            self._normalised[field] = normalise(self.subject.fields[field])
        return self._normalised[field]

    def spaced(self, field: str) -> str:
        """The folded text of ``field`` with each run of white space as one space."""
        if field not in self._spaced:
            self._spaced[field] = " ".join(self.normalised(field).text.split())
        return self._spaced[field]

    def links(self, field: str) -> list[Link]:
        """The links in ``field``."""
        if field not in self._links:
            self._links[field] = find_links(self.subject.fields[field])
        return self._links[field]

    def phrase_hits(self) -> dict[str, dict[str, list[Span]]]:
        """Original spans of the phrases of every rule that has any, by rule id and field."""
        if self._phrase_hits is None:
            self._phrase_hits = defaultdict(dict)
            for field in self.subject.fields:
                for found, spans in self._phrases.find(self.normalised(field)).items():
                    self._phrase_hits[found][field] = spans
        return self._phrase_hits
