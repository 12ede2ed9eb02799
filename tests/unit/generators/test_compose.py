"""Extractive answers composed from the sentences that answer, with their context."""

from __future__ import annotations

from generators.compose import Composition, compose, pick_sentences
from generators.retrieval import Chunk, Hit

CARE = Chunk(
    "warranty",
    "Warranty and repairs",
    "What the warranty does not cover",
    "Accidental damage (drops, cracked screens) is not covered by the warranty. "
    "It is covered by Voltline Care. Cosmetic scratches are not covered. "
    "Repairs take 5-10 working days.",
)


def hit(chunk: Chunk, scores: tuple[float, ...], score: float = 0.6) -> Hit:
    return Hit(chunk=chunk, score=score, sentence_scores=scores)


def test_a_sentence_that_leans_back_brings_the_one_before() -> None:
    assert pick_sentences(hit(CARE, (0.2, 0.7, 0.1, 0.0))) == [0, 1]


def test_the_best_sentence_comes_with_the_next_when_it_goes_on() -> None:
    assert pick_sentences(hit(CARE, (0.7, 0.5, 0.1, 0.0))) == [0, 1]
    assert pick_sentences(hit(CARE, (0.1, 0.1, 0.1, 0.8))) == [3]


def test_sentences_that_score_nearly_as_well_join_in_document_order() -> None:
    picked = pick_sentences(hit(CARE, (0.1, 0.1, 0.68, 0.7)))
    assert picked == [2, 3]


def test_length_and_count_are_capped() -> None:
    shape = Composition(max_sentences=2, keep_ratio=0.1)
    assert len(pick_sentences(hit(CARE, (0.5, 0.6, 0.5, 0.5)), shape)) == 2
    short = Composition(max_chars=60, keep_ratio=0.1)
    assert pick_sentences(hit(CARE, (0.5, 0.6, 0.5, 0.5)), short) == [1]


def test_a_second_passage_joins_only_when_nearly_as_good() -> None:
    other = Chunk(
        "returns", "Returns", "Return window", "You can return any product within 30 days."
    )
    close = compose([hit(CARE, (0.1, 0.1, 0.1, 0.8), 0.6), hit(other, (0.7,), 0.59)])
    assert (
        close.text == "Repairs take 5-10 working days. You can return any product within 30 days."
    )
    assert [h.chunk.doc_id for h in close.hits] == ["warranty", "returns"]
    far = compose([hit(CARE, (0.1, 0.1, 0.1, 0.8), 0.6), hit(other, (0.7,), 0.4)])
    assert far.text == "Repairs take 5-10 working days."
    assert compose([]).text == ""


LATE = Chunk(
    "financing",
    "Financing terms",
    "Late or missed payments",
    "If an instalment is late we charge a £12 late fee. "
    "Missed payments may be reported to credit reference agencies.",
)


def test_a_short_section_is_quoted_whole() -> None:
    assert pick_sentences(hit(LATE, (0.2, 0.8))) == [0, 1]
    assert pick_sentences(hit(LATE, (0.2, 0.8)), Composition(whole_sections=False)) == [1]
    # CARE has four sentences, more than max_sentences: it is picked from as before.
    assert pick_sentences(hit(CARE, (0.1, 0.1, 0.1, 0.8))) == [3]
