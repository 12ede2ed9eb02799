# ruff: noqa: RUF001, RUF002  (Chinese text and punctuation, on purpose)
"""Extractive answers: the sentences of the best passage(s) that answer, in context.

One quoted sentence often misses the point: "Accidental damage … is not
covered" without "Accidental damage is covered by the shop's care plan" answers half
of "my screen cracked, is that covered?". :func:`compose` starts from the
sentence the reranker scored best (:attr:`generators.retrieval.Hit.sentence_scores`),
adds the sentence before it when the best one leans on it ("It", "They",
"This" …), the sentences that score nearly as well, and the next one when it
goes on about the same thing, up to ``max_sentences``, in document order. A
second passage joins only when it scores nearly as well as the first, so two
topics are not spliced on a whim.

It is pure: no model, no embedding, which makes it the default way to answer
(see ``docs/text-generators.md`` for why generation is off by default) and the
fallback when a model fails.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from generators.retrieval import Hit

_LEANS_BACK = re.compile(
    r"^(it|its|it's|they|their|them|this|these|that|those|there|such|otherwise|also|"
    r"however|but|then|here|both|each|which)\b"
    r"|^(?:它|他们|这|那|此|其|但|不过|否则|另外|同时|两者)",  # Chinese: no word boundaries
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Composition:
    """Tunable shape of a composed answer."""

    max_sentences: int = 3
    max_chars: int = 420
    keep_ratio: float = 0.85
    """Another sentence of the passage joins when it scores this share of the best one."""
    follow_ratio: float = 0.6
    """The sentence after the best one joins when it scores this share of it."""
    second_passage_ratio: float = 0.97
    """A second passage joins when its score is this share of the first's."""
    whole_sections: bool = True
    """A section short enough to quote whole is quoted whole: its sentences were
    written together ("a £12 late fee" before "missed payments may be reported")."""


@dataclass(frozen=True)
class Composed:
    text: str
    hits: tuple[Hit, ...]
    """The passages quoted, best first: the answer's citations."""


def pick_sentences(hit: Hit, shape: Composition = Composition()) -> list[int]:
    """Indices of the sentences of ``hit`` that answer, in document order."""
    sentences = hit.chunk.sentences
    scores = list(hit.sentence_scores) or [0.0] * len(sentences)
    if not sentences:
        return []
    if shape.whole_sections and (
        len(sentences) <= shape.max_sentences
        and sum(len(s) + 1 for s in sentences) <= shape.max_chars
    ):
        return list(range(len(sentences)))
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    chosen = {best}
    if best > 0 and _LEANS_BACK.match(sentences[best]):
        chosen.add(best - 1)
    top = scores[best]
    nearly = [
        i
        for i in sorted(range(len(sentences)), key=lambda i: -scores[i])
        if i not in chosen and top > 0 and scores[i] >= shape.keep_ratio * top
    ]
    chosen.update(nearly[: max(0, shape.max_sentences - len(chosen))])
    after = best + 1
    if (
        len(chosen) < shape.max_sentences
        and after < len(sentences)
        and (_LEANS_BACK.match(sentences[after]) or scores[after] >= shape.follow_ratio * top)
    ):
        chosen.add(after)
    picked: list[int] = []
    length = 0
    for i in sorted(chosen, key=lambda i: (i != best, -scores[i])):
        if picked and length + len(sentences[i]) > shape.max_chars:
            continue
        picked.append(i)
        length += len(sentences[i]) + 1
    return sorted(picked)


def compose(hits: Sequence[Hit], shape: Composition = Composition()) -> Composed:
    """The answer quoted from ``hits`` (best first); empty text when there are none."""
    if not hits:
        return Composed("", ())
    first = hits[0]
    parts = [join_sentences([first.chunk.sentences[i] for i in pick_sentences(first, shape)])]
    used = [first]
    if len(hits) > 1:
        second = hits[1]
        if (
            second.chunk != first.chunk
            and first.score > 0
            and second.score >= shape.second_passage_ratio * first.score
            and second.sentence_scores
        ):
            best = max(range(len(second.sentence_scores)), key=lambda i: second.sentence_scores[i])
            sentence = second.chunk.sentences[best]
            if sentence not in parts[0] and len(parts[0]) + len(sentence) <= shape.max_chars:
                parts.append(sentence)
                used.append(second)
    return Composed(join_sentences(parts), tuple(used))


def join_sentences(sentences: Sequence[str]) -> str:
    """Sentences as one text: a space after English ones, none after Chinese "。！？；"."""
    text = ""
    for sentence in sentences:
        text += sentence if not text or text.endswith(_FULL_WIDTH_END) else f" {sentence}"
    return text


_FULL_WIDTH_END = ("。", "！", "？", "；", "，", "：")
