# ruff: noqa: RUF001  (Chinese text and punctuation, on purpose)
"""The knowledge base behind grounded answers: load, chunk, embed, retrieve, rerank.

Documents are Markdown files in the project's knowledge folder (``knowledge:``
in ``assistant.yml``, e.g. ``data/knowledge/``): a ``#`` title and ``##``
sections. A section is the unit of retrieval, because each one answers one
kind of question and fits a small model's context; its text is embedded
together with the document title and heading so short sections keep their
topic. Answers cite ``doc_id`` (the file stem) and the heading.

Ranking has two stages. The first scores every section by a blend of the
encoder's cosine (query vs section), the best cosine of any one of its
sentences, and BM25 (:mod:`generators.lexical`) on the query expanded with
the documents' own words; the top ``candidates`` go on. The second,
:class:`SentenceReranker`, scores each candidate by its best sentences (cosine
and word coverage of that sentence alone), because a section answers a
question when one of its sentences does; the per-sentence scores travel with
each :class:`Hit`, so :mod:`generators.compose` quotes the sentences that
answer. The weights were tuned on the development half of
``benchmarks/data/knowledge_qa.yml`` (``python -m benchmarks.knowledge``).

:meth:`KnowledgeBase.retrieve` returns the top-k sections and whether the best
one scores above ``threshold``; below it the assistant says it does not know
instead of letting a model improvise. The company's own name
(``ignore_terms``) is removed before scoring: every document is about the
company, so the name carries no signal, yet it lifts the score of any
off-topic question that mentions it (the company's share price).
:class:`KnowledgeRetriever` exposes the same search as a langchain-core
retriever for chains built with LCEL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from generators.embeddings import Embedder
from generators.errors import ModelLoadError
from generators.lexical import BM25, HAN, Expansions, terms

log = logging.getLogger(__name__)

DEFAULT_EXPANSIONS = "expansions.yml"
"""The query-expansion lexicon, looked for inside the knowledge folder."""
DEFAULT_THRESHOLD = 0.38
"""Blended score of the best section below which we abstain (see the knowledge benchmark)."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'£])|(?<=[。！？；])\s*")
"""Where a sentence ends: English punctuation and a capital, or Chinese 。！？ and ；."""


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    title: str
    section: str
    text: str

    @property
    def citation(self) -> str:
        return f"{self.title}{'：' if HAN.search(self.title) else ': '}{self.section}"

    @property
    def sentences(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in _SENTENCE_END.split(self.text) if s.strip())

    def embedding_text(self) -> str:
        return f"{self.section}. {self.text}"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    sentence_scores: tuple[float, ...] = ()
    """How well each of ``chunk.sentences`` answers the query on its own (same order)."""


@dataclass(frozen=True)
class Retrieval:
    query: str
    hits: tuple[Hit, ...]
    confident: bool

    @property
    def top_score(self) -> float:
        return self.hits[0].score if self.hits else 0.0


@dataclass(frozen=True)
class Weights:
    """How the ranking signals are blended; each stage's weights sum to one.

    First stage: ``section`` (cosine of the query and the whole section),
    ``sentence`` (best cosine of one of its sentences), ``lexical`` (BM25
    coverage of the expanded query). Second stage (:class:`SentenceReranker`):
    ``rerank`` is the share of the final score taken by the best sentence's
    own score, which blends its cosine and its word coverage by
    ``sentence_lexical``.
    """

    section: float = 1 / 3
    sentence: float = 1 / 3
    lexical: float = 1 / 3
    rerank: float = 0.4
    sentence_lexical: float = 0.2
    candidates: int = 8


DENSE_ONLY = Weights(section=1.0, sentence=0.0, lexical=0.0, rerank=0.0, sentence_lexical=0.0)
"""Cosine of query and section alone: the ranking before reranking (the benchmark's baseline)."""


def chunk_markdown(doc_id: str, markdown: str) -> list[Chunk]:
    """Split one document into its ``##`` sections (text before the first one is dropped)."""
    title_match = re.search(r"^#\s+(.+)$", markdown, re.MULTILINE)
    title = title_match.group(1).strip() if title_match else doc_id.replace("-", " ").title()
    parts = re.split(r"^##\s+(.+)$", markdown, flags=re.MULTILINE)
    chunks = []
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        text = " ".join(body.split())
        if text:
            chunks.append(Chunk(doc_id=doc_id, title=title, section=heading.strip(), text=text))
    return chunks


def load_chunks(directory: Path | str) -> list[Chunk]:
    folder = Path(directory)
    files = sorted(folder.glob("*.md"))
    if not files:
        raise ModelLoadError(
            f"No knowledge documents (*.md) in {folder}; set TANDEM_KNOWLEDGE_DIR to a folder "
            "of Markdown files with '## ' sections.",
            path=folder,
        )
    chunks = [c for f in files for c in chunk_markdown(f.stem, f.read_text(encoding="utf-8"))]
    if not chunks:
        raise ModelLoadError(
            f"The documents in {folder} have no '## ' sections to retrieve.", path=folder
        )
    return chunks


@dataclass
class _Candidate:
    index: int
    score: float
    sentence_scores: list[float] = field(default_factory=list)


class SentenceReranker:
    """Second stage: a candidate section is as good as its best sentences.

    Each sentence is scored alone (cosine with the query, blended with the
    share of the query's weighted words it contains), and the candidate's
    score becomes ``(1 - w) * first_stage + w * best_sentence``. This is what
    puts "covers manufacturing defects … buttons that stop working" above a
    section that merely shares the word "headphones".
    """

    def __init__(self, weights: Weights) -> None:
        self.weights = weights

    def rerank(self, candidates: list[_Candidate]) -> list[_Candidate]:
        w = self.weights.rerank
        for c in candidates:
            if c.sentence_scores:
                c.score = (1 - w) * c.score + w * max(c.sentence_scores)
        return sorted(candidates, key=lambda c: -c.score)


class KnowledgeBase:
    """Sections, their sentences and their embeddings, searched in two stages."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        *,
        embedder: Embedder,
        threshold: float = DEFAULT_THRESHOLD,
        ignore_terms: Sequence[str] = (),
        expansions: Expansions | None = None,
        weights: Weights | None = None,
    ) -> None:
        self.chunks = list(chunks)
        self.embedder = embedder
        self.threshold = threshold
        self.expansions = expansions or Expansions()
        self.weights = weights or Weights()
        self.reranker = SentenceReranker(self.weights)
        self._ignore = (
            re.compile(r"\b(?:" + "|".join(map(re.escape, ignore_terms)) + r")(?:'s)?\b", re.I)
            if ignore_terms
            else None
        )
        self._matrix = embedder.embed_passages(
            [self._normalise(c.embedding_text()) for c in self.chunks]
        )
        self._owner: list[int] = []
        sentences: list[str] = []
        for i, chunk in enumerate(self.chunks):
            for sentence in chunk.sentences:
                self._owner.append(i)
                sentences.append(sentence)
        self._owner_array = np.asarray(self._owner, dtype=np.int64)
        self._sentences = embedder.embed_passages(
            [
                self._normalise(f"{c.section}: {s}")
                for c, s in zip(self._owners(), sentences, strict=True)
            ]
        )
        self._bm25 = BM25(
            [terms(self._normalise(f"{c.title} {c.embedding_text()}")) for c in self.chunks]
        )
        self._bm25_sentences = BM25([terms(self._normalise(s)) for s in sentences])
        log.info(
            "knowledge base: %d sections, %d sentences embedded", len(self.chunks), len(sentences)
        )

    def _owners(self) -> list[Chunk]:
        return [self.chunks[i] for i in self._owner]

    def _normalise(self, text: str) -> str:
        return " ".join(self._ignore.sub(" ", text).split()) if self._ignore else text

    @classmethod
    def from_directory(
        cls,
        directory: Path | str,
        *,
        embedder: Embedder,
        threshold: float = DEFAULT_THRESHOLD,
        ignore_terms: Sequence[str] = (),
        weights: Weights | None = None,
    ) -> KnowledgeBase:
        """The documents of ``directory``, with its ``expansions.yml`` lexicon if there is one."""
        lexicon = Path(directory) / DEFAULT_EXPANSIONS
        return cls(
            load_chunks(directory),
            embedder=embedder,
            threshold=threshold,
            ignore_terms=ignore_terms,
            expansions=Expansions.from_file(lexicon) if lexicon.exists() else None,
            weights=weights,
        )

    def search(self, query: str, *, k: int = 3) -> list[Hit]:
        w = self.weights
        expanded = self._normalise(self.expansions.expand(query))
        vector = self.embedder.embed([expanded])[0]
        dense = self._matrix @ vector
        sentence_dense = self._sentences @ vector
        query_terms = terms(expanded)
        lexical = np.asarray(self._bm25.scores(query_terms))
        sentence_lexical = np.asarray(self._bm25_sentences.scores(query_terms))
        per_sentence = (
            1 - w.sentence_lexical
        ) * sentence_dense + w.sentence_lexical * sentence_lexical
        best_sentence = np.full(len(self.chunks), -1.0)
        np.maximum.at(best_sentence, self._owner_array, sentence_dense)
        best_sentence[best_sentence < -0.5] = 0.0
        first = w.section * dense + w.sentence * best_sentence + w.lexical * lexical
        order = np.argsort(-first, kind="stable")[: max(k, w.candidates)]
        candidates = [
            _Candidate(
                int(i),
                float(first[i]),
                [float(per_sentence[j]) for j in np.flatnonzero(self._owner_array == i)],
            )
            for i in order
        ]
        ranked = self.reranker.rerank(candidates)[:k]
        return [
            Hit(chunk=self.chunks[c.index], score=c.score, sentence_scores=tuple(c.sentence_scores))
            for c in ranked
        ]

    def retrieve(self, query: str, *, k: int = 3) -> Retrieval:
        hits = tuple(self.search(query, k=k))
        confident = bool(hits) and hits[0].score >= self.threshold
        return Retrieval(query=query, hits=hits, confident=confident)


def calibrate_threshold(answerable: Iterable[float], unanswerable: Iterable[float]) -> float:
    """The top-score cut that best separates the two sets (balanced accuracy).

    Candidates are midpoints between neighbouring observed scores; ties go to
    the lower cut, since a wrong "I don't know" costs less than a wrong answer
    only when retrieval really found nothing.
    """
    pos, neg = np.asarray(list(answerable)), np.asarray(list(unanswerable))
    if not len(pos) or not len(neg):
        raise ValueError("Calibration needs both answerable and unanswerable scores.")
    values = np.unique(np.concatenate([pos, neg]))
    candidates = (values[:-1] + values[1:]) / 2 if len(values) > 1 else values
    best, best_score = float(candidates[0]), -1.0
    for cut in candidates:
        balanced = ((pos >= cut).mean() + (neg < cut).mean()) / 2
        if balanced > best_score:
            best, best_score = float(cut), float(balanced)
    return round(best, 3)


class KnowledgeRetriever(BaseRetriever):
    """The knowledge base as a langchain-core retriever (only confident hits)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    knowledge_base: KnowledgeBase
    k: int = 3

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        retrieval = self.knowledge_base.retrieve(query, k=self.k)
        if not retrieval.confident:
            return []
        return [
            Document(
                page_content=hit.chunk.text,
                metadata={
                    "doc_id": hit.chunk.doc_id,
                    "citation": hit.chunk.citation,
                    "score": hit.score,
                },
            )
            for hit in retrieval.hits
        ]
