"""Findings shown in the author's own text: highlighted spans and short excerpts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from advocacy.guidelines import Finding, Severity

_RANK = {Severity.BLOCK: 0, Severity.WARN: 1, Severity.INFO: 2}
_BY_RANK = {rank: severity for severity, rank in _RANK.items()}
EXCERPT_CONTEXT = 40


def _marked(text: str, spans: Sequence[tuple[int, int, Severity]]) -> Markup:
    """``text`` escaped, with each span wrapped in a <mark> of its most severe finding."""
    # One sweep over the span boundaries, counting the open spans of each severity.
    events: dict[int, list[int]] = {}
    for start, end, severity in spans:
        events.setdefault(start, [0, 0, 0])[_RANK[severity]] += 1
        events.setdefault(end, [0, 0, 0])[_RANK[severity]] -= 1
    cuts = sorted({0, len(text), *events})
    open_spans = [0, 0, 0]
    out: list[str] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        open_spans = [now + change for now, change in zip(open_spans, events.get(start, [0, 0, 0]),
                                                          strict=True)]
        piece = escape(text[start:end])
        rank = next((r for r, count in enumerate(open_spans) if count > 0), None)
        if rank is not None:
            severity = _BY_RANK[rank]
            out.append(f'<mark class="finding finding-{severity}">{piece}</mark>')
        else:
            out.append(str(piece))
    return Markup("".join(out))  # noqa: S704 - every piece of text above is escaped


def highlight(text: str, findings: Sequence[Finding], field: str) -> Markup:
    """The whole of ``text`` with the findings on ``field`` marked."""
    spans = [(max(0, s), min(len(text), e), f.severity) for f in findings
             if f.field == field for s, e in f.spans]
    return _marked(text, [(s, e, sev) for s, e, sev in spans if s < e])


@dataclass(frozen=True)
class Excerpt:
    field: str
    html: Markup


def excerpts(finding: Finding, texts: dict[str, str], limit: int = 3) -> list[Excerpt]:
    """A little context around the first few spans of ``finding``."""
    if finding.field is None or finding.field not in texts:
        return []
    text = texts[finding.field]
    shown: list[Excerpt] = []
    for start, end in finding.spans[:limit]:
        left, right = max(0, start - EXCERPT_CONTEXT), min(len(text), end + EXCERPT_CONTEXT)
        # Start and end on whole words where the context allows it.
        if left > 0 and " " in text[left:start]:
            left = text.index(" ", left, start) + 1
        if right < len(text) and " " in text[end:right]:
            right = text.rindex(" ", end, right)
        html = _marked(text[left:right], [(start - left, end - left, finding.severity)])
        prefix = escape("…" if left > 0 else "")
        suffix = escape("…" if right < len(text) else "")
        shown.append(Excerpt(finding.field, prefix + html + suffix))
    return shown
