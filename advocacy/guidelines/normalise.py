"""Text as the rules compare it: case-, accent- and disguise-insensitive, mapped back exactly.

Every character of the original text folds on its own (compatibility decomposition, Latin
lookalikes, casefold, combining marks and invisible format characters dropped), so each
character of the folded text knows which original character it came from and a match in
the folded text maps back to a span of the original. Decomposition is NFKD rather than the
NFKC one might expect: it is what separates accents from their letters, and since the
accents are dropped, both compare alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Cyrillic and Greek letters that look like Latin ones, by case (before casefolding, so
# that Greek capital eta, which looks like H, and small eta, which looks like n, differ),
# and letters that compatibility decomposition leaves alone but readers see as accented.
_LOOKALIKES: dict[str, str] = {
    # Cyrillic capitals and small letters
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q",
    "Ԝ": "W", "Ү": "Y", "Ӏ": "I",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
    "ѵ": "v",
    # Greek capitals and small letters
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "ι": "i", "κ": "k", "υ": "u", "χ": "x",
    "ε": "e", "γ": "y", "ω": "w", "τ": "t", "ϲ": "c", "ϳ": "j",
    # Latin letters without a decomposition
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
    # punctuation: curly quotes and dashes as their plain forms
    "‘": "'", "’": "'", "‚": "'", "ʼ": "'", "′": "'", "“": '"', "”": '"', "„": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
}
_LOOKALIKE_TABLE = str.maketrans(_LOOKALIKES)
# Combining marks (accents) and format characters (zero-width space, joiners, soft hyphen,
# byte order mark, direction marks, word joiner, ...) are dropped.
_MARKS = frozenset({"Mn", "Me"})
_DROPPED_CATEGORIES = _MARKS | {"Cf"}
_CACHE_LIMIT = 100_000
_ASCII = {chr(code): chr(code).lower() for code in range(128)}
_fold_cache: dict[str, str] = dict(_ASCII)
# Characters whose folded form is not exactly one character (dropped or expanded).
_irregular: set[str] = set()

#: A word: letters and digits (the underscore separates words, as in _emphasis_).
WORD = re.compile(r"[^\W_]+")
_SPACES = re.compile(r"\s+")


def fold_char(char: str) -> str:
    """The folded form of one character: may be empty (dropped) or longer (ﬁ -> fi)."""
    folded = _fold_cache.get(char)
    if folded is None:
        folded = _fold_uncached(char)
        if len(_fold_cache) > _CACHE_LIMIT:
            _fold_cache.clear()
            _fold_cache.update(_ASCII)
        _fold_cache[char] = folded
        if len(folded) != 1:
            _irregular.add(char)
    return folded


def _fold_uncached(char: str) -> str:
    text = unicodedata.normalize("NFKD", char).translate(_LOOKALIKE_TABLE).casefold()
    text = unicodedata.normalize("NFKD", text).translate(_LOOKALIKE_TABLE)
    return "".join(c for c in text if unicodedata.category(c) not in _DROPPED_CATEGORIES)


@dataclass(frozen=True, slots=True)
class Normalised:
    """Folded text plus, per folded character, the index of its original character."""

    text: str
    origin: Sequence[int] | None  # None: the same positions as the original
    original: str = ""

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the folded ``[start, end)`` (end > start): whole characters,
        with the accents that follow its last one (e + combining acute)."""
        if self.origin is None:
            return start, end
        first, last = self.origin[start], self.origin[end - 1] + 1
        original = self.original
        while last < len(original) and unicodedata.category(original[last]) in _MARKS:
            last += 1
        return first, last


def normalise(text: str) -> Normalised:
    """``text`` folded for comparison, with the way back to the original positions."""
    if text.isascii():
        return Normalised(text.lower(), None)
    get = _fold_cache.get
    # Dropped characters fold to "" and take the slower way; they are rare.
    pieces = [get(char) or fold_char(char) for char in text]
    folded = "".join(pieces)
    if _irregular.isdisjoint(text):
        return Normalised(folded, None)
    origin: list[int] = []
    for index, piece in enumerate(pieces):
        size = len(piece)
        if size == 1:
            origin.append(index)
        elif size:
            origin.extend([index] * size)
    return Normalised(folded, origin, text)


def fold(text: str) -> str:
    """``text`` folded, without the way back."""
    return normalise(text).text


def fold_spaced(text: str) -> str:
    """``text`` folded with every run of white space as one space, trimmed."""
    return _SPACES.sub(" ", fold(text)).strip()
