"""Regular expressions written by admins, run by RE2: linear time, whatever the pattern."""

from __future__ import annotations

import re

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

from advocacy.guidelines.spans import Span

#: At most this many spans per rule and field: a pattern like ``a(.*b)?`` finds a match at
#: every position of a long text, and each search for the next one may read to the end.
MAX_SPANS = 1000
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


class AdminRegexError(ValueError):
    """A pattern RE2 cannot compile; the message is RE2's."""


class AdminRegex:
    """One compiled admin pattern."""

    def __init__(self, pattern: str, *, ignorecase: bool = False) -> None:
        options = re2.Options()
        options.case_sensitive = not ignorecase
        options.log_errors = False  # the error goes to the admin, not to stderr
        try:
            self._compiled = re2.compile(pattern, options)
        except re2.error as exc:
            message = exc.args[0] if exc.args else ""
            if isinstance(message, bytes):
                message = message.decode("utf-8", "replace")
            raise AdminRegexError(str(message)) from None
        except UnicodeEncodeError:
            raise AdminRegexError("the pattern contains a lone surrogate") from None

    def spans(self, text: str) -> list[Span]:
        """Character spans of the non-empty matches in ``text``, at most :data:`MAX_SPANS`."""
        # RE2 reads UTF-8; a lone surrogate cannot be encoded, and replacing it keeps offsets.
        text = _LONE_SURROGATE.sub("\ufffd", text)
        spans: list[Span] = []
        for match in self._compiled.finditer(text):
            start, end = match.span()
            if start < end:
                spans.append((start, end))
                if len(spans) == MAX_SPANS:
                    break
        return spans
