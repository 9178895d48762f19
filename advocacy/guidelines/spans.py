"""Spans of text, ``[start, end)`` character offsets, and a quick test for overlap."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from itertools import accumulate

Span = tuple[int, int]


class SpanTable:
    """Spans that others must not overlap, answered in logarithmic time."""

    def __init__(self, spans: Iterable[Span]) -> None:
        ordered = sorted(spans)
        self._starts = [start for start, _ in ordered]
        self._reach = list(accumulate((end for _, end in ordered), max))

    def overlaps(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` shares a character with one of the spans."""
        before = bisect_left(self._starts, end)  # the spans that start before ``end``
        return before > 0 and self._reach[before - 1] > start
