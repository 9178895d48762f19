"""Reading a rule file: JSON, plus the line of each rule and of each of its fields.

The standard decoder checks the syntax (its message and line go to the admin); a second,
shallow pass over the same text notes where the top-level keys, the rules and the rules'
keys start. Values below that are read by the decoder, so nesting depth costs nothing.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advocacy.guidelines import problems as p
from advocacy.guidelines.problems import RuleFileError, RuleProblem

_WHITESPACE = " \t\n\r"
_decoder = json.JSONDecoder()
# Told each top-level key and where its value starts; answers where the value ends if it
# read the value itself, else None.
_OnValue = Callable[[str, int], "int | None"]


@dataclass
class LocatedObject:
    """A JSON object's keys with the line each starts on; keys given twice, with their line."""

    line: int
    key_lines: dict[str, int] = field(default_factory=dict)
    repeated: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class RuleFile:
    """A parsed rule file: the document, where its top-level keys are, and each rule's
    position (None for rules that are not objects)."""

    document: Any
    top: LocatedObject
    rules: list[tuple[int, LocatedObject | None]] = field(default_factory=list)


def _syntax_error(line: int | None, template: str, **params: Any) -> RuleFileError:
    return RuleFileError((RuleProblem(line, None, "syntax", template, params),))


def decode(source: str | bytes) -> str:
    """The text of a rule file; a byte order mark is dropped."""
    if isinstance(source, bytes):
        try:
            return source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _syntax_error(source.count(b"\n", 0, exc.start) + 1, p.NOT_UTF8) from None
    return source.removeprefix("\ufeff")


def read_rule_file(source: str | bytes) -> RuleFile:
    """The rule file's document with the lines of its parts; RuleFileError on bad JSON."""
    text = decode(source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _syntax_error(exc.lineno, p.SYNTAX, error=exc.msg) from None
    except RecursionError:
        raise _syntax_error(None, p.TOO_DEEP) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise _syntax_error(None, p.SYNTAX, error=str(exc)) from None
    return _Locator(text).locate(document)


class _Locator:
    """The shallow second pass over text the decoder has accepted."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [match.start() for match in re.finditer("\n", text)]

    def line(self, position: int) -> int:
        return bisect_right(self.newlines, position - 1) + 1

    def skip(self, position: int) -> int:
        while position < len(self.text) and self.text[position] in _WHITESPACE:
            position += 1
        return position

    def locate(self, document: Any) -> RuleFile:
        start = self.skip(0)
        top = LocatedObject(self.line(start))
        result = RuleFile(document, top)
        if isinstance(document, dict):
            self.object(start, top, self.rules_array(result))
        return result

    def rules_array(self, result: RuleFile) -> _OnValue:
        def on_value(key: str, position: int) -> int | None:
            if key != "rules" or self.text[position] != "[":
                return None
            result.rules = []  # the last "rules" counts, as for the decoder
            return self.array(position, result.rules)
        return on_value

    def object(self, position: int, located: LocatedObject, on_value: _OnValue | None = None,
               ) -> int:
        """Note the keys of the object at ``position``; answer where it ends."""
        position = self.skip(position + 1)
        while self.text[position] != "}":
            key_line = self.line(position)
            key, position = _decoder.raw_decode(self.text, position)
            if key in located.key_lines:
                located.repeated.append((key, key_line))
            located.key_lines[key] = key_line
            position = self.skip(self.skip(position) + 1)  # past the colon
            end = on_value(key, position) if on_value is not None else None
            if end is None:
                _, end = _decoder.raw_decode(self.text, position)
            position = self.skip(end)
            if self.text[position] == ",":
                position = self.skip(position + 1)
        return position + 1

    def array(self, position: int, rules: list[tuple[int, LocatedObject | None]]) -> int:
        """Note where each rule of the array at ``position`` starts; answer where it ends."""
        position = self.skip(position + 1)
        while self.text[position] != "]":
            if self.text[position] == "{":
                located = LocatedObject(self.line(position))
                rules.append((located.line, located))
                end = self.object(position, located)
            else:
                rules.append((self.line(position), None))
                _, end = _decoder.raw_decode(self.text, position)
            position = self.skip(end)
            if self.text[position] == ",":
                position = self.skip(position + 1)
        return position + 1
