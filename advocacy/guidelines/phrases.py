"""Word and prefix phrases of all rules, matched together in one pass over the words of a text.

A phrase is compiled into its folded words and what separates them. The index keys every
phrase by its first word (prefix phrases of one word by their first few letters), so
checking a text costs two or three dictionary look-ups per word of the text, not a scan
per phrase.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from advocacy.guidelines.normalise import WORD, Normalised, normalise
from advocacy.guidelines.spans import Span

# What may separate the words of a multi-word phrase in the text: white space, hyphens and
# dashes, and the marks of *emphasis* and _emphasis_; never sentence punctuation.
_SOFT_GAP = re.compile(r"[\s\-*_]+")
_SPACE = re.compile(r"\s+")
_SPLIT = re.compile(f"({WORD.pattern})")  # keeps the words between the separators


@dataclass(frozen=True, slots=True)
class Phrase:
    """A phrase as matched: folded words, the separators between them, the punctuation
    right before the first and after the last word (``#ad``), and whether the last word
    is a prefix."""

    words: tuple[str, ...]
    gaps: tuple[str | None, ...]  # None: any white space or hyphens; else that punctuation
    lead: str
    trail: str
    prefix: bool


def compile_phrase(raw: str, prefix: bool = False) -> Phrase | None:
    """The phrase ``raw`` as matched, or None when it has no letters or digits."""
    text = normalise(raw).text.strip()
    matches = list(WORD.finditer(text))
    if not matches:
        return None
    gaps: list[str | None] = []
    for before, after in zip(matches, matches[1:], strict=False):
        gap = text[before.end():after.start()]
        gaps.append(None if _SOFT_GAP.fullmatch(gap) else _SPACE.sub("", gap))
    return Phrase(
        words=tuple(match.group() for match in matches),
        gaps=tuple(gaps),
        lead=_SPACE.sub("", text[:matches[0].start()]),
        trail=_SPACE.sub("", text[matches[-1].end():]),
        prefix=prefix,
    )


@dataclass(frozen=True, slots=True)
class _Words:
    """A folded text cut into words: ``parts`` alternates separators and words (word ``i``
    is ``parts[2 * i + 1]``, the separator before it ``parts[2 * i]``), and ``offsets[k]``
    is where part ``k`` ends in the folded text."""

    parts: list[str]
    offsets: list[int]
    count: int


class PhraseIndex:
    """Phrases of many owners (rule ids), found together; :meth:`find` answers per owner."""

    def __init__(self, phrases: Iterable[tuple[str, Phrase]]) -> None:
        # one plain word: the word is the whole test
        plain: dict[str, list[str]] = defaultdict(list)
        # everything else but one-word prefixes, keyed by the first word, checked word by word
        by_first: dict[str, list[tuple[str, Phrase]]] = defaultdict(list)
        prefixes: list[tuple[str, Phrase]] = []
        for owner, phrase in phrases:
            first = phrase.words[0]
            if len(phrase.words) == 1 and phrase.prefix:
                prefixes.append((owner, phrase))
            elif len(phrase.words) == 1 and not phrase.lead and not phrase.trail:
                plain[first].append(owner)
            else:
                by_first[first].append((owner, phrase))
        self._plain = dict(plain)
        self._by_first = dict(by_first)
        # one-word prefixes keyed by their first few letters (as many as the shortest has)
        self._key = min((len(phrase.words[0]) for _, phrase in prefixes), default=0)
        by_key: dict[str, list[tuple[str, Phrase]]] = defaultdict(list)
        for owner, phrase in prefixes:
            by_key[phrase.words[0][:self._key]].append((owner, phrase))
        self._prefixes = dict(by_key)

    def __bool__(self) -> bool:
        return bool(self._plain or self._by_first or self._prefixes)

    def find(self, normalised: Normalised) -> dict[str, list[Span]]:
        """Original spans of every phrase found in the text, by owner (unsorted)."""
        parts = _SPLIT.split(normalised.text)
        words = parts[1::2]
        if not words:
            return {}
        found = _Words(parts, list(accumulate(map(len, parts))), len(words))
        offsets = found.offsets
        hits: dict[str, list[Span]] = defaultdict(list)
        plain, by_first, prefixes, key = self._plain, self._by_first, self._prefixes, self._key
        for index, word in enumerate(words):
            owners = plain.get(word)
            if owners is not None:
                span = normalised.original_span(offsets[2 * index], offsets[2 * index + 1])
                for owner in owners:
                    hits[owner].append(span)
            candidates = by_first.get(word)
            if candidates is not None:
                _check_candidates(candidates, found, index, normalised, hits)
            if prefixes and len(word) >= key:
                candidates = prefixes.get(word[:key])
                if candidates is not None:
                    candidates = [(owner, phrase) for owner, phrase in candidates
                                  if word.startswith(phrase.words[0])]
                    _check_candidates(candidates, found, index, normalised, hits)
        return hits


def _check_candidates(candidates: list[tuple[str, Phrase]], found: _Words, index: int,
                      normalised: Normalised, hits: dict[str, list[Span]]) -> None:
    for owner, phrase in candidates:
        span = _match_at(phrase, found, index)
        if span is not None:
            hits[owner].append(normalised.original_span(*span))


def _match_at(phrase: Phrase, found: _Words, index: int) -> Span | None:
    """The folded span of ``phrase`` starting at word ``index``, or None; the first word
    is known to fit."""
    size = len(phrase.words)
    last = index + size - 1
    if last >= found.count:
        return None
    parts = found.parts
    for offset in range(1, size):
        word, wanted = parts[2 * (index + offset) + 1], phrase.words[offset]
        if word != wanted and not (phrase.prefix and offset == size - 1
                                   and word.startswith(wanted)):
            return None
        gap = parts[2 * (index + offset)]
        literal = phrase.gaps[offset - 1]
        if literal is None:
            if not _SOFT_GAP.fullmatch(gap):
                return None
        elif _SPACE.sub("", gap) != literal:
            return None
    start, end = found.offsets[2 * index], found.offsets[2 * last + 1]
    if phrase.lead:
        if not parts[2 * index].endswith(phrase.lead):
            return None
        start -= len(phrase.lead)
    if phrase.trail:
        if not parts[2 * last + 2].startswith(phrase.trail):
            return None
        end += len(phrase.trail)
    return start, end
