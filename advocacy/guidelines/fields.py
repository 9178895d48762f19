"""Reading the fields of one rule: each value checked, each problem noted at its line."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from advocacy.guidelines import problems as p
from advocacy.guidelines.problems import RuleProblem

LANGUAGES = ("en", "nl")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Wording:
    """A text the admin wrote, in English and Dutch."""

    en: str
    nl: str

    def in_language(self, language: str) -> str:
        """The text in ``language`` ("nl", "nl_BE", "nl-NL" are Dutch); English otherwise."""
        return self.nl if language[:2].lower() == "nl" else self.en

    def as_json(self) -> dict[str, str]:
        return {"en": self.en, "nl": self.nl}


class RuleReport:
    """The problems of one rule, each placed at the line of its field when that is known."""

    def __init__(self, problems: list[RuleProblem], rule: str | None = None,
                 line: int | None = None, key_lines: Mapping[str, int] | None = None) -> None:
        self.problems = problems
        self.rule = rule
        self.line = line
        self.key_lines = key_lines or {}

    @property
    def count(self) -> int:
        return len(self.problems)

    def add(self, code: str, template: str, *, key: str | None = None, **params: Any) -> None:
        line = self.key_lines.get(key, self.line) if key is not None else self.line
        self.problems.append(RuleProblem(line, self.rule, code, template, params))


def quoted(choices: Sequence[str]) -> str:
    return ", ".join(f"'{choice}'" for choice in choices)


class Fields:
    """The raw fields of one rule, read with checks; a read that fails reports and answers
    None (or the default)."""

    def __init__(self, raw: Mapping[str, Any], report: RuleReport) -> None:
        self.raw = raw
        self.report = report

    def _given(self, key: str, required: bool) -> bool:
        if self.raw.get(key) is not None:
            return True
        if required:
            self.report.add("missing_field", p.MISSING_FIELD, field=key)
        return False

    def text(self, key: str, *, required: bool = True) -> str | None:
        """A non-empty text."""
        if not self._given(key, required):
            return None
        value = self.raw[key]
        if not isinstance(value, str) or not value.strip():
            self.report.add("bad_value", p.NOT_TEXT, key=key, field=key)
            return None
        return value

    def texts(self, key: str, *, required: bool = False, allow_empty: bool = True,
              ) -> tuple[str, ...] | None:
        """A list of non-empty texts, without repeats, in order."""
        if not self._given(key, required):
            return None
        value = self.raw[key]
        if not isinstance(value, list) or not all(
                isinstance(item, str) and item.strip() for item in value):
            self.report.add("bad_value", p.NOT_TEXT_LIST, key=key, field=key)
            return None
        if not value and not allow_empty:
            self.report.add("bad_value", p.EMPTY_LIST, key=key, field=key)
            return None
        return tuple(dict.fromkeys(value))

    def subset(self, key: str, choices: Sequence[str], *, allow_empty: bool = True,
               ) -> tuple[str, ...] | None:
        """A list of some of ``choices``."""
        values = self.texts(key, allow_empty=allow_empty)
        if values is None:
            return None
        for value in values:
            if value not in choices:
                self.report.add("bad_value", p.BAD_ITEM, key=key, field=key,
                                choices=quoted(choices), value=value)
                return None
        return values

    def flag(self, key: str, default: bool) -> bool:
        """true or false."""
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.report.add("bad_value", p.NOT_BOOL, key=key, field=key)
            return default
        return value

    def choice(self, key: str, choices: Sequence[str], *, default: str | None = None,
               ) -> str | None:
        """One of ``choices``; required when there is no default."""
        if not self._given(key, default is None):
            return default
        value = self.raw[key]
        if value not in choices:
            self.report.add("bad_value", p.BAD_CHOICE, key=key, field=key,
                            choices=quoted(choices), value=str(value))
            return None
        return str(value)

    def whole(self, key: str) -> int | None:
        """An optional whole number above 0."""
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.report.add("bad_value", p.NOT_WHOLE, key=key, field=key)
            return None
        return value

    def positive(self, key: str) -> float | None:
        """An optional number above 0."""
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            self.report.add("bad_value", p.NOT_POSITIVE, key=key, field=key)
            return None
        return value

    def day(self, key: str) -> date | None:
        """A required date written as YYYY-MM-DD."""
        if not self._given(key, True):
            return None
        value = self.raw[key]
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass  # 2025-02-30: reported below
        self.report.add("bad_value", p.BAD_DATE, key=key, field=key, value=str(value))
        return None

    def wording(self, key: str, *, required: bool) -> Wording | None:
        """A text in English and Dutch: ``{"en": ..., "nl": ...}``."""
        missing = "missing_message" if key == "message" else f"missing_{key}"
        if self.raw.get(key) is None:
            if required:
                self.report.add(missing, p.MISSING_MESSAGE)
            return None
        value = self.raw[key]
        if not isinstance(value, Mapping):
            self.report.add("bad_value", p.NOT_TEXTS, key=key, field=key)
            return None
        mark = self.report.count
        for language in value:
            if language not in LANGUAGES:
                self.report.add("unknown_field", p.UNKNOWN_LANGUAGE, key=key, field=key,
                                language=str(language))
        for language in LANGUAGES:
            text = value.get(language)
            if text is not None and not isinstance(text, str):
                self.report.add("bad_value", p.NOT_TEXTS, key=key, field=key)
            elif not text or not text.strip():
                self.report.add(missing, p.MISSING_TEXT, key=key, field=key,
                                language=language)
        if self.report.count > mark:
            return None
        return Wording(en=value["en"], nl=value["nl"])
