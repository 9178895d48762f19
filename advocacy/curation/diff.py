"""Word-level differences between two versions of a text, for the author and the desk."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Op = Literal["equal", "insert", "delete"]
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
#: Above this many token pairs a word diff is not worth its time: the text was rewritten.
MAX_PAIRS = 4_000_000


@dataclass(frozen=True)
class Piece:
    op: Op
    text: str


@dataclass(frozen=True)
class TextDiff:
    pieces: tuple[Piece, ...]

    @property
    def changed(self) -> bool:
        return any(p.op != "equal" for p in self.pieces)


def diff_words(old: str, new: str) -> TextDiff:
    """What was removed from ``old`` and added in ``new``, word by word."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    if old == new:
        return TextDiff((Piece("equal", old),) if old else ())
    if len(a) * len(b) > MAX_PAIRS:
        return TextDiff(tuple(p for p in (Piece("delete", old), Piece("insert", new)) if p.text))
    pieces: list[Piece] = []
    # autojunk: very frequent tokens (spaces, "the") do not anchor matches, which keeps
    # repetitive texts from the matcher's cubic worst case.
    matcher = SequenceMatcher(a=a, b=b, autojunk=True)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("delete", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("insert", "".join(b[j1:j2])))
    return TextDiff(tuple(pieces))


@dataclass(frozen=True)
class RevisionDiff:
    title: TextDiff
    body: TextDiff
    topics_added: tuple[str, ...]
    topics_removed: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return (self.title.changed or self.body.changed or bool(self.topics_added)
                or bool(self.topics_removed))


def compare(old_title: str, old_body: str, old_topics: list[str], new_title: str,
            new_body: str, new_topics: list[str]) -> RevisionDiff:
    return RevisionDiff(
        title=diff_words(old_title, new_title),
        body=diff_words(old_body, new_body),
        topics_added=tuple(t for t in new_topics if t not in old_topics),
        topics_removed=tuple(t for t in old_topics if t not in new_topics),
    )
