"""The no-model backend: answers by quoting the best sentences of the sources.

It is the fallback when a model is slow, failing or absent, and the backend of
tests and of CI. It reads the grounded prompt that :mod:`generators.answer`
builds (``[n] source`` lines, then ``Question: …``), so swapping it for a
model changes nothing else. A prompt without sources has nothing to quote:
it raises :class:`EmptyGeneration` and the caller uses its template.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from generators.errors import EmptyGeneration
from generators.text import DEFAULT_OPTIONS, GenerationOptions, Message, TextGenerator

SOURCE_LINE = re.compile(r"^\[(\d+)\]\s+(?:\([^)]*\)\s+)?(.*)$", re.MULTILINE)
"""``[2] (Title > Section) text``: the label in brackets is for the model, not quoted."""
QUESTION_LINE = re.compile(r"^Question:\s*(.*)$", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")
_STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "there",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "voltline",
    }
)


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9%$]+", text.lower()) if w not in _STOPWORDS}


def extract_answer(question: str, sources: Sequence[str], *, max_sentences: int = 2) -> str:
    """The sentence of ``sources`` sharing most words with ``question``, marked ``[n]``.

    Up to ``max_sentences - 1`` more overlapping sentences of the same source
    follow in document order; mixing sources would splice unrelated facts.
    Sources come best-first, so ties go to the better-ranked one and, within
    a source, to the earlier sentence. With no overlap at all the opening
    sentence of the first source is returned, because retrieval already judged
    it relevant.
    """
    if not sources:
        raise EmptyGeneration("No sources to extract an answer from.")
    wanted = _terms(question)
    scored = []
    for rank, source in enumerate(sources):
        for pos, sentence in enumerate(_SENTENCE_END.split(source)):
            overlap = len(wanted & _terms(sentence))
            scored.append((-overlap, rank, pos, sentence.strip(), rank + 1))
    scored.sort()
    top = scored[0]
    same_source = [s for s in scored[1:] if s[1] == top[1] and s[0] < 0]
    best = sorted([top, *same_source[: max_sentences - 1]], key=lambda s: s[2])
    return " ".join(f"{sentence} [{n}]" for *_, sentence, n in best)


def parse_grounded_prompt(text: str) -> tuple[str, list[str]]:
    """Split a grounded user message into its question and its numbered sources."""
    question = QUESTION_LINE.search(text)
    sources = [body for _, body in sorted(SOURCE_LINE.findall(text), key=lambda m: int(m[0]))]
    return (question.group(1).strip() if question else ""), sources


class ExtractiveGenerator(TextGenerator):
    """Quotes the sources of a grounded prompt; deterministic and instant."""

    name = "extractive"

    def __init__(self, *, max_sentences: int = 2) -> None:
        self.max_sentences = max_sentences

    def generate(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> str:
        user = next((m.content for m in reversed(messages) if m.role == "user"), "")
        question, sources = parse_grounded_prompt(user)
        if not sources:
            raise EmptyGeneration(
                "The extractive backend only answers grounded prompts ('[n] source' lines); "
                "use a model backend for free-form text."
            )
        return extract_answer(question, sources, max_sentences=self.max_sentences)
