"""Chunking, top-k search, abstention and threshold calibration."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from generators.embeddings import HashingEmbedder
from generators.errors import ModelLoadError
from generators.retrieval import (
    KnowledgeBase,
    KnowledgeRetriever,
    calibrate_threshold,
    chunk_markdown,
    load_chunks,
)
from tests.conftest import BRAND, KNOWLEDGE_DIR

ROOT = Path(__file__).resolve().parents[3]


def test_chunks_are_sections_with_title_and_heading() -> None:
    chunks = chunk_markdown(
        "faq", "# FAQ\nintro\n## One\nfirst  text\n\n## Two\nsecond\n## Empty\n"
    )
    assert [(c.title, c.section, c.text) for c in chunks] == [
        ("FAQ", "One", "first text"),
        ("FAQ", "Two", "second"),
    ]
    assert chunks[0].citation == "FAQ: One"


def test_the_shipped_knowledge_base_loads() -> None:
    chunks = load_chunks(ROOT / "data" / "knowledge")
    doc_ids = {c.doc_id for c in chunks}
    assert {
        "returns",
        "shipping",
        "warranty",
        "store-hours",
        "financing",
        "mobile-plans",
    } <= doc_ids


def test_an_empty_folder_fails_with_a_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="TANDEM_KNOWLEDGE_DIR"):
        load_chunks(tmp_path)


def test_retrieve_ranks_by_overlap_and_abstains_below_threshold(knowledge_base) -> None:
    hit = knowledge_base.retrieve("how many days to return a product with the receipt")
    assert hit.confident
    assert hit.hits[0].chunk.section == "Return window"
    assert [h.score for h in hit.hits] == sorted((h.score for h in hit.hits), reverse=True)
    assert not knowledge_base.retrieve("weather tomorrow in paris").confident


def test_company_name_is_ignored_when_embedding(knowledge_base) -> None:
    plain = knowledge_base.search("refunds payment method")[0].score
    branded = knowledge_base.search("Voltline's refunds payment method")[0].score
    assert plain == pytest.approx(branded)


def test_calibrate_threshold_separates_the_two_sets() -> None:
    cut = calibrate_threshold([0.6, 0.7, 0.5], [0.2, 0.3, 0.45])
    assert 0.45 < cut < 0.5
    with pytest.raises(ValueError):
        calibrate_threshold([], [0.1])


def test_langchain_retriever_returns_cited_documents_or_nothing(knowledge_base) -> None:
    retriever = KnowledgeRetriever(knowledge_base=knowledge_base, k=2)
    docs = retriever.invoke("is shipping free on orders over $50")
    assert docs[0].metadata["citation"] == "Shipping and delivery: Delivery costs"
    assert retriever.invoke("weather tomorrow in paris") == []


def test_hashing_embedder_is_the_default_fake_for_this_module() -> None:
    kb = KnowledgeBase(chunk_markdown("d", "# D\n## S\nalpha beta"), embedder=HashingEmbedder())
    assert kb.search("alpha")[0].chunk.section == "S"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "doc_id"),
    [
        ("what is your return policy?", "returns"),
        ("what is your warranty policy?", "warranty"),
        ("tell me about shipping", "shipping"),
        ("what is your privacy policy?", "privacy"),
    ],
)
def test_a_broad_policy_question_gets_the_documents_overview(question: str, doc_id: str) -> None:
    from generators.embeddings import SentenceTransformerEmbedder

    kb = _real_knowledge_base(SentenceTransformerEmbedder)
    top = kb.search(question, k=1)[0].chunk
    assert (top.doc_id, top.section) == (doc_id, "At a glance")


@functools.cache
def _real_knowledge_base(embedder_class: type) -> KnowledgeBase:
    return KnowledgeBase.from_directory(
        KNOWLEDGE_DIR, embedder=embedder_class(), ignore_terms=(BRAND.business,)
    )
