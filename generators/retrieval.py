"""The knowledge base behind grounded answers: load, chunk, embed, retrieve.

Documents are Markdown files in ``data/knowledge/``: a ``#`` title and ``##``
sections. A section is the unit of retrieval, because each one answers one
kind of question and fits a small model's context; its text is embedded
together with the document title and heading so short sections keep their
topic. Answers cite ``doc_id`` (the file stem) and the heading.

:meth:`KnowledgeBase.retrieve` returns the top-k sections and whether the best
one scores above ``threshold``; below it the assistant says it does not know
instead of letting a model improvise. The threshold is calibrated on the
benchmark question set with :func:`calibrate_threshold`. The company's own
name (``ignore_terms``) is removed before embedding: every document is about
the company, so the name carries no signal, yet it lifts the score of any
off-topic question that mentions it ("Voltline's share price").
:class:`KnowledgeRetriever` exposes the same search as a langchain-core
retriever for chains built with LCEL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from generators.embeddings import Embedder
from generators.errors import ModelLoadError

log = logging.getLogger(__name__)

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "data" / "knowledge"
DEFAULT_THRESHOLD = 0.36
"""Cosine score of the best section below which we abstain (all-MiniLM-L6-v2; see the benchmark)."""


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    title: str
    section: str
    text: str

    @property
    def citation(self) -> str:
        return f"{self.title}: {self.section}"

    def embedding_text(self) -> str:
        return f"{self.section}. {self.text}"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Retrieval:
    query: str
    hits: tuple[Hit, ...]
    confident: bool

    @property
    def top_score(self) -> float:
        return self.hits[0].score if self.hits else 0.0


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


def load_chunks(directory: Path | str = DEFAULT_KNOWLEDGE_DIR) -> list[Chunk]:
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


class KnowledgeBase:
    """Sections and their embeddings, searched by cosine similarity."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        *,
        embedder: Embedder,
        threshold: float = DEFAULT_THRESHOLD,
        ignore_terms: Sequence[str] = ("Voltline",),
    ) -> None:
        self.chunks = list(chunks)
        self.embedder = embedder
        self.threshold = threshold
        self._ignore = (
            re.compile(r"\b(?:" + "|".join(map(re.escape, ignore_terms)) + r")(?:'s)?\b", re.I)
            if ignore_terms
            else None
        )
        self._matrix = embedder.embed([self._normalise(c.embedding_text()) for c in self.chunks])
        log.info("knowledge base: %d sections embedded", len(self.chunks))

    def _normalise(self, text: str) -> str:
        return " ".join(self._ignore.sub(" ", text).split()) if self._ignore else text

    @classmethod
    def from_directory(
        cls,
        directory: Path | str = DEFAULT_KNOWLEDGE_DIR,
        *,
        embedder: Embedder,
        threshold: float = DEFAULT_THRESHOLD,
        ignore_terms: Sequence[str] = ("Voltline",),
    ) -> KnowledgeBase:
        return cls(
            load_chunks(directory),
            embedder=embedder,
            threshold=threshold,
            ignore_terms=ignore_terms,
        )

    def search(self, query: str, *, k: int = 3) -> list[Hit]:
        scores = self._matrix @ self.embedder.embed([self._normalise(query)])[0]
        order = np.argsort(-scores, kind="stable")[:k]
        return [Hit(chunk=self.chunks[i], score=float(scores[i])) for i in order]

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
