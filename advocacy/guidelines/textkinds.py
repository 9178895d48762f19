"""Kinds of rule about the words of a text: phrase, confidential, regex, pii, link_domains,
disclosure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advocacy.guidelines import problems as p
from advocacy.guidelines.adminregex import AdminRegex, AdminRegexError
from advocacy.guidelines.fields import Fields
from advocacy.guidelines.findings import Finding
from advocacy.guidelines.kindbase import KindSpec
from advocacy.guidelines.links import SHORTENERS, Link, host_in, normalise_host
from advocacy.guidelines.normalise import fold_spaced
from advocacy.guidelines.phrases import Phrase, compile_phrase
from advocacy.guidelines.pii import DEFAULT_PII_TYPES, PII_TYPES, personal_data

if TYPE_CHECKING:
    from advocacy.guidelines.context import CheckContext
    from advocacy.guidelines.rules import Rule

MATCHES = ("word", "prefix")
REGEX_FLAGS = ("ignorecase",)
NETWORKS = ("linkedin", "x", "mastodon", "bluesky", "facebook", "whatsapp", "email")
#: Markers of confidential text when a ``confidential`` rule names none of its own.
DEFAULT_MARKERS = (
    "vertrouwelijk", "strikt vertrouwelijk", "intern", "alleen voor intern gebruik",
    "niet verspreiden", "niet delen", "geheim", "onder embargo", "confidential",
    "strictly confidential", "internal only", "for internal use only", "NDA", "embargo",
    "under embargo", "not for distribution", "do not share", "do not distribute",
)
_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")


def _compile_phrases(fields: Fields, key: str, texts: Iterable[str], prefix: bool,
                     ) -> tuple[Phrase, ...]:
    compiled = []
    for text in texts:
        phrase = compile_phrase(text, prefix)
        if phrase is None:
            fields.report.add("bad_value", p.NO_WORDS, key=key, field=key, text=text)
        else:
            compiled.append(phrase)
    return tuple(compiled)


def _phrase_findings(rule: Rule, context: CheckContext) -> list[Finding]:
    hits = context.phrase_hits().get(rule.id, {})
    return [rule.finding(context, name, spans) for name, spans in hits.items()]


@dataclass(frozen=True)
class PhraseSpec(KindSpec):
    """Words and phrases that must not (or should not) appear."""

    kind = "phrase"
    keys = ("phrases", "match")
    indexed = True
    texts: tuple[str, ...]
    match: str
    compiled: tuple[Phrase, ...] = field(compare=False, repr=False)

    @classmethod
    def read(cls, fields: Fields) -> PhraseSpec | None:
        mark = fields.report.count
        texts = fields.texts("phrases", required=True, allow_empty=False)
        match = fields.choice("match", MATCHES, default="word")
        compiled = _compile_phrases(fields, "phrases", texts or (), match == "prefix")
        if fields.report.count > mark or texts is None or match is None:
            return None
        return cls(texts, match, compiled)

    def as_json(self) -> dict[str, Any]:
        return {"phrases": list(self.texts), "match": self.match}

    def phrases(self) -> Iterable[Phrase]:
        return self.compiled

    def check(self, rule: Rule, context: CheckContext) -> list[Finding]:
        return _phrase_findings(rule, context)


@dataclass(frozen=True)
class ConfidentialSpec(KindSpec):
    """Markers of confidential text; the built-in list unless the rule names its own."""

    kind = "confidential"
    keys = ("markers",)
    indexed = True
    markers: tuple[str, ...] | None
    compiled: tuple[Phrase, ...] = field(compare=False, repr=False)

    @classmethod
    def read(cls, fields: Fields) -> ConfidentialSpec | None:
        mark = fields.report.count
        markers = fields.texts("markers", allow_empty=False)
        compiled = _compile_phrases(fields, "markers", markers or DEFAULT_MARKERS, False)
        if fields.report.count > mark:
            return None
        return cls(markers, compiled)

    def as_json(self) -> dict[str, Any]:
        return {} if self.markers is None else {"markers": list(self.markers)}

    def phrases(self) -> Iterable[Phrase]:
        return self.compiled

    def check(self, rule: Rule, context: CheckContext) -> list[Finding]:
        return _phrase_findings(rule, context)


@dataclass(frozen=True)
class RegexSpec(KindSpec):
    """An RE2 pattern, matched on the text as written."""

    kind = "regex"
    keys = ("pattern", "flags")
    pattern: str
    flags: tuple[str, ...]
    compiled: AdminRegex = field(compare=False, repr=False)

    @classmethod
    def read(cls, fields: Fields) -> RegexSpec | None:
        mark = fields.report.count
        pattern = fields.text("pattern")
        flags = fields.subset("flags", REGEX_FLAGS)
        if fields.report.count > mark or pattern is None:
            return None
        try:
            compiled = AdminRegex(pattern, ignorecase="ignorecase" in (flags or ()))
        except AdminRegexError as exc:
            fields.report.add("bad_regex", p.BAD_REGEX, key="pattern", error=str(exc))
            return None
        return cls(pattern, flags or (), compiled)

    def as_json(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "flags": list(self.flags)}

    def check(self, rule: Rule, context: CheckContext) -> list[Finding]:
        findings = []
        for name, text in context.subject.fields.items():
            spans = self.compiled.spans(text)
            if spans:
                findings.append(rule.finding(context, name, spans))
        return findings


@dataclass(frozen=True)
class PiiSpec(KindSpec):
    """Personal data: e-mail addresses, phone numbers, IBANs, BSNs, rijksregisternummers."""

    kind = "pii"
    keys = ("types",)
    types: tuple[str, ...]

    @classmethod
    def read(cls, fields: Fields) -> PiiSpec | None:
        mark = fields.report.count
        types = fields.subset("types", PII_TYPES, allow_empty=False)
        if fields.report.count > mark:
            return None
        return cls(types or DEFAULT_PII_TYPES)

    def as_json(self) -> dict[str, Any]:
        return {"types": list(self.types)}

    def check(self, rule: Rule, context: CheckContext) -> list[Finding]:
        findings = []
        for name in context.subject.fields:
            spans = personal_data(context.normalised(name), self.types)
            if spans:
                findings.append(rule.finding(context, name, spans))
        return findings


def _read_hosts(fields: Fields, key: str) -> tuple[str, ...] | None:
    """Domains as compared; ``https://www.Example.com/`` and ``*.example.com`` are read as
    ``example.com`` (subdomains are always included)."""
    entries = fields.texts(key)
    if entries is None:
        return None
    hosts = []
    for entry in entries:
        rest = entry.strip().split("://", 1)[-1].removeprefix("*.")
        host = normalise_host(re.split(r"[/?#]", rest, maxsplit=1)[0])
        if not _HOST.fullmatch(host):
            fields.report.add("bad_value", p.BAD_HOST, key=key, field=key, value=entry)
            return None
        hosts.append(host)
    return tuple(dict.fromkeys(hosts))


@dataclass(frozen=True)
class LinkDomainsSpec(KindSpec):
    """Which sites links may go to: an allow list, a deny list, and no link shorteners."""

    kind = "link_domains"
    keys = ("allow", "deny", "flag_shorteners")
    allow: tuple[str, ...]
    deny: tuple[str, ...]
    flag_shorteners: bool

    @classmethod
    def read(cls, fields: Fields) -> LinkDomainsSpec | None:
        mark = fields.report.count
        allow = _read_hosts(fields, "allow")
        deny = _read_hosts(fields, "deny")
        flag_shorteners = fields.flag("flag_shorteners", True)
        if fields.report.count > mark:
            return None
        return cls(allow or (), deny or (), flag_shorteners)

    def as_json(self) -> dict[str, Any]:
        return {"allow": list(self.allow), "deny": list(self.deny),
                "flag_shorteners": self.flag_shorteners}

    def breaks(self, link: Link) -> bool:
        """Whether ``link`` breaks the rule. A deny entry beats an allow entry, and an
        allowed shortener is not flagged; bare ``domain.tld`` mentions are only checked
        against the deny list and (with a path) the shorteners."""
        if host_in(link.host, self.deny):
            return True
        allowed = host_in(link.host, self.allow)
        if self.allow and not allowed and not link.bare:
            return True
        return (self.flag_shorteners and not allowed and host_in(link.host, SHORTENERS)
                and (link.has_path or not link.bare))

    def check(self, rule: Rule, context: CheckContext) -> list[Finding]:
        findings = []
        for name in context.subject.fields:
            spans = [(link.start, link.end) for link in context.links(name) if self.breaks(link)]
            if spans:
                findings.append(rule.finding(context, name, spans))
        return findings


@dataclass(frozen=True)
class DisclosureSpec(KindSpec):
    """A text that share texts for some networks must contain (``#ad``, "I work at ...")."""

    kind = "disclosure"
    keys = ("networks", "text")
    networks: tuple[str, ...]
    text: str
    folded: str = field(compare=False, repr=False)

    @classmethod
    def read(cls, fields: Fields) -> DisclosureSpec | None:
        mark = fields.report.count
        networks = fields.subset("networks", NETWORKS)
        text = fields.text("text")
        folded = fold_spaced(text or "")
        if text is not None and not folded:
            fields.report.add("bad_value", p.NOT_TEXT, key="text", field="text")
        if fields.report.count > mark or text is None:
            return None
        return cls(networks or (), text, folded)

    def as_json(self) -> dict[str, Any]:
        return {"networks": list(self.networks), "text": self.text}

    def check(self, rule: Rule, context: CheckContext) -> list[Finding]:
        network = context.subject.network
        if network is None or (self.networks and network.lower() not in self.networks):
            return []
        if any(contains_words(context.spaced(name), self.folded)
               for name in context.subject.fields):
            return []
        return [rule.finding(context, addition=self.text)]


def contains_words(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` and not as part of a longer word: "#ad" is
    not in "#adidas"."""
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        before_ok = not needle[0].isalnum() or start == 0 or not haystack[start - 1].isalnum()
        after_ok = not needle[-1].isalnum() or end == len(haystack) or not haystack[end].isalnum()
        if before_ok and after_ok:
            return True
        start = haystack.find(needle, start + 1)
    return False
