"""Benchmark: 1,000 phrase rules against a 5,000-character story, ours against naive regexes.

Generates, deterministically (seeded ``random``), 1,000 phrase rules from English and Dutch
vocabulary (about 15 % one word, 70 % two words, 15 % three words; one in five in prefix
mode), and a story of about 5,000 characters of plain-ASCII prose (paragraphs, line breaks)
with a handful of those phrases in it. Then times, in alternation after a warm-up:

* ours: ``RuleSet.check(Subject(fields={"body": story}))`` - the whole check, findings and all;
* naive: a loop over 1,000 precompiled stdlib ``re`` patterns, one per phrase,
  ``\\bword1[\\s-]+word2\\b`` (``\\w*`` instead of the last ``\\b`` for prefix phrases),
  IGNORECASE, ``finditer`` each.

Before timing it asserts that both find exactly the same (rule, span) hits on the story,
so the comparison is honest. Prints the median and p90 of each in ms, the ratio of the
medians naive/ours, and the targets with PASS or MISS:

* median of ours < 5 ms per check;
* naive/ours >= 20x.

For information it also times ours on the same story in typographic Dutch (accents, curly
quotes), which takes the slower non-ASCII path, and how long compiling the rules takes.

    .venv/bin/python bench/guidelines.py [--runs N]

Exit code 0 when both targets pass, 1 when one is missed.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout as well

from advocacy.guidelines import RuleSet, Subject  # noqa: E402  (needs the path above)

TARGET_MS = 5.0
TARGET_RATIO = 20.0
SEED = 20250101
RULES = 1000
STORY_CHARS = 5000
HITS = 8

# Words the comms team worries about, in English and Dutch: what phrases are made of.
SENSITIVE = (
    "prijs", "prijzen", "korting", "aanbieding", "tarief", "offerte", "contract", "omzet", "winst",
    "verlies", "ontslag", "reorganisatie", "fusie", "overname", "vertrouwelijk", "geheim",
    "embargo", "concurrent", "lancering", "budget", "salaris", "bonus", "beurs", "aandeel",
    "koers", "garantie", "gratis", "goedkoopste", "marktleider", "revolutionair", "uniek",
    "beloofd", "storing", "datalek", "incident", "boete", "rechtszaak", "claim", "schade",
    "aansprakelijk", "verzekering", "subsidie", "belasting", "fraude", "schandaal", "staking",
    "vakbond", "verzuim", "prognose", "dividend", "waardering", "belegger", "handelsvoorkennis",
    "gerucht", "crisis", "terugroepactie", "defect", "bezuiniging", "faillissement", "schuld",
    "lening", "rente", "klacht", "ontevreden", "opzegging", "migratie", "price", "pricing",
    "discount", "offer", "quote", "revenue", "profit", "loss", "layoff", "layoffs", "merger",
    "acquisition", "confidential", "secret", "launch", "salary", "stock", "shares", "guarantee",
    "cheapest", "leader", "revolutionary", "promise", "outage", "breach", "lawsuit", "penalty",
    "liability", "insurance", "subsidy", "tax", "fraud", "scandal", "strike", "union", "forecast",
    "earnings", "guidance", "buyback", "valuation", "investor", "insider", "rumour",
    "leak", "recall", "bankruptcy", "debt", "loan", "interest", "complaint", "churn",
    "cancellation", "roadmap", "competitor", "exclusive", "preliminary", "unaudited", "quarterly",
    "annual", "target", "targets"
)
# Everyday story words, none of them a sensitive word or starting with one.
FILLER = (
    "the", "a", "and", "of", "to", "in", "our", "we", "with", "for", "on", "this", "that", "is",
    "was", "were", "have", "has", "new", "week", "colleagues", "project", "office", "city",
    "people", "work", "together", "great", "day", "event", "learned", "shared", "built", "helped",
    "community", "volunteers", "school", "garden", "bike", "morning", "coffee", "lunch",
    "training", "workshop", "team", "proud", "happy", "visit", "visited", "young", "talented",
    "engineers", "designers", "nurses", "teachers", "students", "river", "park", "bridge",
    "station", "library", "museum", "kitchen", "meeting", "ideas", "stories", "photos", "music",
    "de", "het", "een", "en", "van", "met", "voor", "op", "onze", "wij", "mooi", "dag", "samen",
    "werken", "nieuw", "gebouw", "stad", "mensen", "collega's", "vrijwilligers", "tuin", "fiets",
    "ochtend", "koffie", "middag", "leerden", "deelden", "bouwden", "hielpen", "trots", "blij",
    "bezoek", "jonge", "talentvolle", "ingenieurs", "verpleegkundigen", "leraren", "studenten",
    "rivier", "brug", "perron", "bibliotheek", "theater", "keuken", "ideeen", "verhalen", "muziek",
    "zomer", "winter"
)


def make_rules(rng: random.Random) -> list[dict[str, Any]]:
    """1,000 phrase rules, each with one phrase, no word twice in a phrase."""
    phrases: dict[str, str] = {}
    while len(phrases) < RULES:
        size = rng.choices([1, 2, 3], weights=[15, 70, 15])[0]
        phrase = " ".join(rng.sample(SENSITIVE, size))
        phrases.setdefault(phrase, "prefix" if rng.random() < 0.2 else "word")
    return [{"id": f"rule-{number:04d}", "kind": "phrase",
             "severity": rng.choice(["block", "warn", "info"]),
             "message": {"en": "Check this wording", "nl": "Kijk naar deze woorden"},
             "phrases": [phrase], "match": match}
            for number, (phrase, match) in enumerate(phrases.items())]


def make_story(rng: random.Random, rules: list[dict[str, Any]]) -> str:
    """Plain-ASCII prose of about 5,000 characters with a handful of the phrases in it."""
    planted = rng.sample(rules, HITS)
    sentences: list[str] = []
    length = 0
    while length < STORY_CHARS:
        words = [rng.choice(FILLER) for _ in range(rng.randint(8, 20))]
        if planted and rng.random() < 0.15:
            rule = planted.pop()
            phrase = rule["phrases"][0] + ("verhoging" if rule["match"] == "prefix" else "")
            words.insert(rng.randint(1, len(words) - 1), phrase)
        sentence = " ".join(words)
        sentence = sentence[0].upper() + sentence[1:] + rng.choice([".", ".", "!", "?"])
        sentences.append(sentence)
        length += len(sentence) + 1
    paragraphs, start = [], 0
    while start < len(sentences):
        size = rng.randint(3, 6)
        paragraphs.append(" ".join(sentences[start:start + size]))
        start += size
    return "\n\n".join(paragraphs)[:STORY_CHARS]


def naive_patterns(rules: list[dict[str, Any]]) -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for rule in rules:
        words = [re.escape(word) for word in rule["phrases"][0].split()]
        end = r"\w*" if rule["match"] == "prefix" else r"\b"
        patterns.append((rule["id"], re.compile(r"\b" + r"[\s-]+".join(words) + end,
                                                re.IGNORECASE)))
    return patterns


def naive_check(patterns: list[tuple[str, re.Pattern[str]]], text: str,
                ) -> set[tuple[str, tuple[int, int]]]:
    return {(rule_id, match.span()) for rule_id, pattern in patterns
            for match in pattern.finditer(text)}


def our_hits(rules: RuleSet, text: str) -> set[tuple[str, tuple[int, int]]]:
    return {(finding.rule, span) for finding in rules.check(Subject(fields={"body": text}))
            for span in finding.spans}


def time_ms(call: Callable[[], object]) -> float:
    started = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - started) / 1e6


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def typographic(text: str) -> str:
    """The story as a Dutch editor would type it: accents and curly quotes."""
    return (text.replace("collega's", "collega’s").replace("ideeen", "ideeën")
            .replace("samen", "sámen").replace(" een ", " één "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="timed runs of each side")
    args = parser.parse_args()
    rng = random.Random(SEED)
    raw_rules = make_rules(rng)
    story = make_story(rng, raw_rules)
    started = time.perf_counter()
    rules = RuleSet.from_rules(raw_rules)
    compile_ms = (time.perf_counter() - started) * 1000
    patterns = naive_patterns(raw_rules)
    ours, naive = our_hits(rules, story), naive_check(patterns, story)
    assert story.isascii() and len(story) == STORY_CHARS
    assert ours == naive, (sorted(ours ^ naive), "ours and naive disagree")
    assert len(ours) >= HITS // 2, "too few hits planted"

    subject = Subject(fields={"body": story})
    dutch = Subject(fields={"body": typographic(story)})
    for _ in range(20):  # warm-up: caches, branch predictors, the CPU clock
        rules.check(subject)
        naive_check(patterns, story)
    our_times, naive_times, dutch_times = [], [], []
    for _ in range(args.runs):
        our_times.append(time_ms(lambda: rules.check(subject)))
        naive_times.append(time_ms(lambda: naive_check(patterns, story)))
        dutch_times.append(time_ms(lambda: rules.check(dutch)))
    (ours_median, ours_p90), (naive_median, naive_p90) = summary(our_times), summary(naive_times)
    dutch_median, dutch_p90 = summary(dutch_times)
    ratio = naive_median / ours_median

    print(f"{RULES} phrase rules, story of {len(story)} characters, {len(ours)} hits "
          f"(ours and naive agree), {args.runs} runs each")
    print(f"compiling the rules:            {compile_ms:8.1f} ms (once per rule set)")
    print(f"ours  (RuleSet.check):   median {ours_median:8.3f} ms   p90 {ours_p90:8.3f} ms")
    print(f"naive (1,000 re.finditer): median {naive_median:6.3f} ms   p90 {naive_p90:8.3f} ms")
    print(f"ours on typographic Dutch:  median {dutch_median:6.3f} ms   p90 {dutch_p90:8.3f} ms")
    print(f"ratio naive/ours (medians): {ratio:.1f}x")
    speed_ok, ratio_ok = ours_median < TARGET_MS, ratio >= TARGET_RATIO
    print(f"target median < {TARGET_MS:.0f} ms: {'PASS' if speed_ok else 'MISS'}")
    print(f"target ratio >= {TARGET_RATIO:.0f}x:   {'PASS' if ratio_ok else 'MISS'}")
    return 0 if speed_ok and ratio_ok else 1


if __name__ == "__main__":
    sys.exit(main())
