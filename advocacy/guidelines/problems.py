"""Problems found in a rule file, each with its line, as English templates Babel extracts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from advocacy.guidelines.findings import N_

SYNTAX = N_("the file is not valid JSON: %(error)s")
NOT_UTF8 = N_("the file is not UTF-8 text")
TOO_DEEP = N_("the file is nested too deeply")
FILE_NOT_OBJECT = N_('the file must be a JSON object with "version" and "rules"')
RULE_NOT_OBJECT = N_("a rule must be a JSON object")
BAD_VERSION = N_("'version' must be 1")
NOT_LIST = N_("'%(field)s' must be a list")
MISSING_FIELD = N_("'%(field)s' is missing")
UNKNOWN_FIELD = N_("unknown field '%(field)s'")
UNKNOWN_FIELD_SUGGEST = N_("unknown field '%(field)s' (did you mean '%(suggestion)s'?)")
DUPLICATE_KEY = N_("'%(field)s' is given more than once")
UNKNOWN_KIND = N_("unknown kind '%(kind)s'")
BAD_ID = N_("'id' must be 1 to 80 lowercase letters, digits, '_', '.' or '-', "
            "starting with a letter or digit")
DUPLICATE_ID = N_("the id '%(id)s' is already used by rule %(first)d")
BAD_CHOICE = N_("'%(field)s' must be one of %(choices)s, not '%(value)s'")
BAD_ITEM = N_("'%(field)s' may only hold %(choices)s, not '%(value)s'")
MISSING_MESSAGE = N_("'message' is missing: every rule needs a message in English and Dutch")
MISSING_TEXT = N_("'%(field)s' needs a text in '%(language)s'")
NOT_TEXTS = N_("'%(field)s' must be an object like {\"en\": \"...\", \"nl\": \"...\"}")
UNKNOWN_LANGUAGE = N_("'%(field)s' has a text in '%(language)s'; only 'en' and 'nl' are used")
NOT_BOOL = N_("'%(field)s' must be true or false")
NOT_TEXT = N_("'%(field)s' must be a non-empty text")
NOT_TEXT_LIST = N_("'%(field)s' must be a list of non-empty texts")
EMPTY_LIST = N_("'%(field)s' must not be empty")
NO_WORDS = N_("'%(text)s' in '%(field)s' has no letters or digits to match")
BAD_REGEX = N_("the pattern does not compile: %(error)s")
BAD_DATE = N_("'%(field)s' must be a date like 2025-01-31, not '%(value)s'")
DATES_REVERSED = N_("the quiet period ends (%(end)s) before it starts (%(start)s)")
NOT_WHOLE = N_("'%(field)s' must be a whole number above 0")
NOT_POSITIVE = N_("'%(field)s' must be a number above 0")
BAD_HOST = N_("'%(value)s' in '%(field)s' is not a domain name like example.com")


@dataclass(frozen=True)
class RuleProblem:
    """One problem of a rule file: where it is, which rule, what is wrong."""

    line: int | None  # 1-based; None for rules that did not come from a file
    rule: str | None
    code: str  # e.g. "syntax", "unknown_kind", "bad_regex", "missing_message", ...
    template: str  # English, with %(name)s placeholders; translate, then apply params
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The problem in English."""
        return self.template % dict(self.params)

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        if self.rule is not None:
            where += f"rule '{self.rule}': "
        return where + self.message


class RuleFileError(ValueError):
    """A rule file (or a list of rules) that cannot be used, with every problem found."""

    def __init__(self, problems: tuple[RuleProblem, ...]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
