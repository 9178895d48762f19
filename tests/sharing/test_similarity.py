"""Similarity of share texts: what counts as the same words, and nearly identical."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.sharing.similarity import (
    MAX_COMPARED,
    NEARLY_IDENTICAL,
    closest,
    lcs_length,
    similarity,
)

BOUNDED = settings(max_examples=200, deadline=None)
FIFTY_WORDS = " ".join(f"word{n}" for n in range(50))


@pytest.mark.parametrize(("a", "b"), [
    ("Great news! {link}", "great   NEWS https://hub.example/s/Ab3dE5gH"),
    ("Read it: www.example.com/story today", "read it today"),
    ("Café, déjà vu!", "cafe deja-vu"),
    ("ﬁne ｗｏｒｋ", "fine work"),
    ("Straße", "STRASSE"),
    ("{link}", "https://a.example/b"),
])
def test_texts_that_differ_only_in_links_case_accents_and_punctuation_are_identical(
        a: str, b: str) -> None:
    assert similarity(a, b) == 1.0


def test_one_word_changed_in_five_is_not_nearly_identical() -> None:
    score = similarity("We launch the new app", "We launch the old app")
    assert score == pytest.approx(0.8)
    assert score < NEARLY_IDENTICAL


def test_one_word_changed_in_fifty_is_nearly_identical() -> None:
    changed = FIFTY_WORDS.replace("word25", "other")
    assert similarity(FIFTY_WORDS, changed) == pytest.approx(0.98)
    assert similarity(FIFTY_WORDS, changed) >= NEARLY_IDENTICAL


def test_one_word_put_in_front_of_a_long_text_of_common_words_stays_nearly_identical() -> None:
    text = "the news is great and the team is proud " * 30
    assert similarity(text, "so " + text) >= NEARLY_IDENTICAL


def test_texts_without_a_word_in_common_score_zero() -> None:
    assert similarity("Proud of our team", "Nieuwe vacatures bij ons") == 0.0
    assert similarity("", "Proud of our team") == 0.0


def test_only_the_first_characters_are_compared() -> None:
    start = "word " * (MAX_COMPARED // 5)
    assert similarity(start + "one ending", start + "a completely different ending") == 1.0


def test_closest_is_the_best_match() -> None:
    others = ["Nothing alike here", "We launch the old app", "We launch the new app!"]
    assert closest("We launch the new app", others) == 1.0
    assert closest("We launch the new app", iter(others[:2])) == pytest.approx(0.8)
    assert closest("We launch the new app", []) == 0.0


WORDS = st.lists(st.sampled_from(["a", "b", "c", "d", "news"]), max_size=40)


def dynamic_lcs(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1],
                                                                     table[i + 1][j])
    return table[-1][-1]


@BOUNDED
@given(WORDS, WORDS)
def test_the_bit_parallel_lcs_is_the_textbook_one(a: list[str], b: list[str]) -> None:
    assert lcs_length(a, b) == dynamic_lcs(a, b)


TEXTS = st.one_of(st.text(max_size=200),
                  st.lists(st.sampled_from(["News", "news!", "é", "e\u0301", "{link}",
                                            "https://x.co/a", "日本", " ", "\n"]),
                           max_size=30).map(" ".join))


@BOUNDED
@given(TEXTS, TEXTS)
def test_similarity_is_a_symmetric_score_between_zero_and_one(a: str, b: str) -> None:
    score = similarity(a, b)
    assert 0.0 <= score <= 1.0
    assert score == similarity(b, a)
    assert similarity(a, a) == 1.0


@BOUNDED
@given(TEXTS, st.lists(TEXTS, max_size=5))
def test_closest_is_the_highest_similarity(text: str, others: list[str]) -> None:
    assert closest(text, others) == max((similarity(text, o) for o in others), default=0.0)
