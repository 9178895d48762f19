"""The kinds of rule the engine knows, by name."""

from __future__ import annotations

from advocacy.guidelines.kindbase import KindSpec
from advocacy.guidelines.subjectkinds import MediaSpec, QuietPeriodSpec, RestrictedTopicSpec
from advocacy.guidelines.textkinds import (
    ConfidentialSpec,
    DisclosureSpec,
    LinkDomainsSpec,
    PhraseSpec,
    PiiSpec,
    RegexSpec,
)

SPECS: dict[str, type[KindSpec]] = {
    spec.kind: spec
    for spec in (PhraseSpec, RegexSpec, RestrictedTopicSpec, PiiSpec, ConfidentialSpec,
                 LinkDomainsSpec, DisclosureSpec, QuietPeriodSpec, MediaSpec)
}
#: The supported kinds of rule.
KINDS: tuple[str, ...] = tuple(SPECS)
