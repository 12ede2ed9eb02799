"""Terms, query expansion and normalised BM25."""

from __future__ import annotations

from pathlib import Path

import pytest

from generators.errors import ModelLoadError
from generators.lexical import BM25, Expansion, Expansions, stem, terms

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("words", "key"),
    [
        (("stopped", "stop", "stops"), "stop"),
        (("charge", "charged", "charges", "charging"), "charg"),
        (("policy", "policies"), "policy"),
        (("refund", "refunds", "refunded"), "refund"),
    ],
)
def test_forms_of_a_word_share_one_stem(words, key) -> None:
    assert {stem(w) for w in words} == {key}


def test_terms_drop_stopwords_and_the_company_name() -> None:
    assert terms("What is Voltline's return policy for my headphones?") == [
        "return",
        "policy",
        "headphon",
    ]


def test_bm25_scores_coverage_between_zero_and_one() -> None:
    docs = [terms("warranty covers defects and faults"), terms("return within 30 days")]
    bm25 = BM25(docs)
    full, none = bm25.scores(terms("warranty defects"))
    assert 0.5 < full <= 1.0 and none == 0.0
    partial = bm25.scores(terms("warranty boats"))[0]
    assert 0 < partial < full  # a word no document uses counts against coverage
    assert bm25.scores([]) == [0.0, 0.0]


def test_expansion_adds_the_documents_words() -> None:
    lexicon = Expansions([Expansion(when=("stopped working", "broke"), add="warranty fault")])
    assert lexicon.expand("My buds STOPPED working") == "My buds STOPPED working warranty fault"
    assert lexicon.expand("they broken") == "they broken warranty fault"
    assert lexicon.expand("how do returns work") == "how do returns work"


def test_the_shipped_lexicon_loads_and_a_broken_one_says_why(tmp_path: Path) -> None:
    shipped = Expansions.from_file(ROOT / "data" / "knowledge" / "expansions.yml")
    assert "warranty" in shipped.expand("one earbud stopped working")
    bad = tmp_path / "expansions.yml"
    bad.write_text("expansions:\n  - {when: [x]}\n")
    with pytest.raises(ModelLoadError, match=r"'when'.*'add'"):
        Expansions.from_file(bad)


def test_an_expansion_does_not_apply_with_its_unless_phrases() -> None:
    lexicon = Expansions([Expansion(when=("germany",), add="roaming", unless=("deliver",))])
    assert lexicon.expand("using my phone in germany") == "using my phone in germany roaming"
    assert lexicon.expand("can you deliver to germany") == "can you deliver to germany"
