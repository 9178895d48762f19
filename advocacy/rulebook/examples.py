"""One example rule of every kind, shown on the Brand guidelines page to copy from."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l

from advocacy.errors import Message


def _rule(rule_id: str, kind: str, severity: str, en: str, nl: str,
          **fields: Any) -> dict[str, Any]:
    return {"id": rule_id, "kind": kind, "severity": severity, **fields,
            "message": {"en": en, "nl": nl}}


EXAMPLES: list[tuple[str, Message, dict[str, Any]]] = [
    ("phrase", _l("Words and phrases, also inside Dutch compounds with prefix matching."),
     _rule("no-price-talk", "phrase", "warn", "Prices are for Sales to announce.",
           "Prijzen maakt Sales bekend.", phrases=["prijs", "korting", "discount"],
           match="prefix")),
    ("regex", _l("A pattern in RE2 syntax, for what words cannot describe."),
     _rule("project-codes", "regex", "block", "Internal project codes stay inside.",
           "Interne projectcodes blijven binnen.", pattern="PRJ-[0-9]{4}")),
    ("restricted_topic", _l("Only the listed departments may submit or approve a topic."),
     _rule("pricing-by-sales", "restricted_topic", "block",
           "Only Sales may write about pricing.", "Alleen Sales schrijft over prijzen.",
           topic="pricing", departments=["Sales"])),
    ("pii", _l("Personal data: e-mail, phone, IBAN, and optionally BSN and rijksregisternummer."),
     _rule("personal-data", "pii", "block", "This looks like personal data.",
           "Dit lijken persoonsgegevens.", types=["email", "phone", "iban"])),
    ("confidential", _l("Markers such as “vertrouwelijk”, “intern”, “NDA” (a built-in list)."),
     _rule("confidential", "confidential", "block", "This text is marked confidential.",
           "Deze tekst is als vertrouwelijk gemarkeerd.")),
    ("link_domains", _l("Links: allowed and denied sites, and URL shorteners."),
     _rule("links", "link_domains", "warn", "Link to our own sites only.",
           "Link alleen naar onze eigen sites.", allow=["example.com"], deny=[],
           flag_shorteners=True)),
    ("disclosure", _l("A text that shares on some networks must contain."),
     _rule("work-disclosure", "disclosure", "warn", "Say that you work here: #werkenbij.",
           "Laat weten dat je hier werkt: #werkenbij.", networks=["x", "bluesky"],
           text="#werkenbij")),
    ("quiet_period", _l("Dates in which stories on some topics are blocked or held back."),
     _rule("q4-results", "quiet_period", "block", "No financial news before the results.",
           "Geen financieel nieuws voor de cijfers.", start="2026-12-15", end="2027-01-20",
           topics=["finance"], action="embargo")),
    ("media", _l("Photos: consent of the people shown, and a minimum size."),
     _rule("photo-consent", "media", "block",
           "Confirm that the people shown agreed, and use photos of at least 800 × 600.",
           "Bevestig dat de mensen op de foto akkoord zijn en gebruik foto's van minstens "
           "800 × 600.", require_consent=True, min_width=800, min_height=600)),
]


def examples() -> list[tuple[str, Message, str]]:
    """(kind, what it is for, the rule as JSON) for every kind."""
    return [(kind, purpose, json.dumps(rule, indent=2, ensure_ascii=False))
            for kind, purpose, rule in EXAMPLES]
