"""What text the hub can store and what numbers it accepts from URLs and forms."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map, ValidationError

from advocacy.errors import Rejected

#: Database ids are 32-bit on PostgreSQL; larger numbers cannot name anything.
MAX_ID = 2**31 - 1
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class IdConverter(IntegerConverter):
    """``<id:story_id>``: an id the database can hold, so huge numbers are simply 404."""

    #: ASCII digits only: "١" (Arabic one) must not name story 1.
    regex = r"[0-9]+"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=MAX_ID)

    def to_python(self, value: str) -> int:
        # Werkzeug converts URL values after choosing a rule: a ValidationError here would
        # report the methods of sibling rules seen on the way, a 405 for POST
        # /stories/0/comments where GET gives 404. An id that names nothing is 404 whatever
        # the method.
        try:
            number: int = super().to_python(value)
        except ValidationError:
            raise NotFound() from None
        return number


def parse_id(raw: str | None) -> int | None:
    """A whole number from a form value (ASCII digits only), or None."""
    if raw is None or not _WHOLE_NUMBER.fullmatch(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def is_storable(value: str) -> bool:
    """Whether ``value`` can be stored: no NUL characters, valid Unicode (no lone surrogates)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Characters that change how the text around them is shown without being seen themselves.
# Direction embeddings, overrides and isolates can show a text in another order than the one
# stored, which is the order the brand guidelines check ("Trojan source"); the deprecated
# format controls U+206A-U+206F likewise. C0 and C1 controls are nothing a person types.
_DIRECTION_CONTROLS = "\u202a-\u202e\u2066-\u2069\u206a-\u206f"
#: In any text: controls other than tab and line breaks, and direction controls.
_HIDDEN_IN_TEXT = re.compile(f"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_DIRECTION_CONTROLS}]")
#: In a one-line name or title, besides: tab, line breaks and direction marks (a name shown
#: inside a sentence must not turn the sentence around).
_HIDDEN_IN_LINE = re.compile(
    f"[\x01-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f{_DIRECTION_CONTROLS}]")
#: Zero-width space, word joiner, byte order mark, Mongolian vowel separator: pasted along,
#: never meant, dropped from names and titles. (Zero-width joiners stay: emoji and scripts
#: such as Persian need them.)
_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff\u180e]")


def text_refusal(value: str, field: str, *, line: bool = False) -> Rejected | None:
    """Why ``value`` cannot be taken as the text of ``field`` (``line``: a one-line name or
    title), or None. The one rule for page forms, API bodies and the command line."""
    if not is_storable(value):
        return Rejected("invalid_characters",
                        _l("This text contains characters that cannot be stored."),
                        field=field)
    hidden = sorted(set((_HIDDEN_IN_LINE if line else _HIDDEN_IN_TEXT).findall(value)))
    if not hidden:
        return None
    names = [f"U+{ord(char):04X}" for char in hidden]
    shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
    message = (_l("A name or title is one line of visible text: remove the control "
                  "characters (%(characters)s).", characters=shown) if line else
               _l("Remove the invisible control characters (%(characters)s) from this text.",
                  characters=shown))
    return Rejected("control_characters", message, field=field,
                    details={"characters": names[:20]})


def require_storable(value: str, field: str) -> str:
    """``value`` unchanged, or a 422 naming ``field``: storable, and without invisible
    controls (tab and line breaks aside)."""
    refusal = text_refusal(value, field)
    if refusal is not None:
        raise refusal
    return value


def clean_line(value: str) -> str:
    """A one-line name or title as stored: without zero-width characters, trimmed."""
    return _ZERO_WIDTH.sub("", value).strip()


def require_line(value: str, field: str) -> str:
    """A one-line name or title (see :func:`text_refusal`) as stored, or a 422 naming
    ``field``."""
    refusal = text_refusal(value, field, line=True)
    if refusal is not None:
        raise refusal
    return clean_line(value)


def slugify(title: str, suffix: int, max_length: int = 80) -> str:
    """A readable, unique path segment: the title in lower-case ASCII words, then ``suffix``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    stem = ""
    for word in words:
        if len(stem) + len(word) + 1 > max_length:
            break
        stem = f"{stem}-{word}" if stem else word
    return f"{stem}-{suffix}" if stem else str(suffix)
