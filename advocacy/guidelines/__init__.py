"""The brand-guideline rule engine: rules admins write, checked against stories and share texts.

Pure Python (no Flask, no database), so it runs the same in a request, a task, the CLI
and a benchmark::

    rules = RuleSet.parse(open("brand-guidelines.json").read())   # RuleFileError: all problems
    findings = rules.check(Subject(fields={"title": title, "body": body}), language="nl")

A rule file is ``{"version": 1, "rules": [...]}``; each rule has an ``id``, a ``kind``
(see :data:`KINDS`), a ``severity`` (block, warn, info), a ``message`` and optional
``hint`` in English and Dutch, an optional ``enabled`` flag, and the fields of its kind.
Phrases match case-, accent- and disguise-insensitively (zero-width characters, soft
hyphens, full-width letters, Cyrillic and Greek lookalikes) on whole words or word
prefixes; every span of a finding indexes the text as given. Admin regular expressions run
on RE2, so no pattern can take more than linear time.
"""

from advocacy.guidelines.findings import (
    MAX_TEXT_LENGTH,
    N_,
    Finding,
    MediaFacts,
    Severity,
    Subject,
)
from advocacy.guidelines.kinds import KINDS
from advocacy.guidelines.problems import RuleFileError, RuleProblem
from advocacy.guidelines.rules import Rule
from advocacy.guidelines.ruleset import RuleSet

__all__ = [
    "KINDS",
    "MAX_TEXT_LENGTH",
    "N_",
    "Finding",
    "MediaFacts",
    "Rule",
    "RuleFileError",
    "RuleProblem",
    "RuleSet",
    "Severity",
    "Subject",
]
