"""What text the hub can store and what numbers it accepts from URLs and forms."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, Map

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


def require_storable(value: str, field: str) -> str:
    """``value`` unchanged, or a 422 naming ``field``."""
    if not is_storable(value):
        raise Rejected("invalid_characters",
                       _l("This text contains characters that cannot be stored."),
                       status=422, field=field)
    return value


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
