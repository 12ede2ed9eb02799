"""Per-language centering of sentence embeddings, so that one language's classifier reads another.

A multilingual encoder puts each language's sentences around a mean of their own:
"set an alarm" and "定个闹钟" are close, but every Chinese sentence is shifted
by the same vector from its English counterpart. A linear classifier trained on
English alone reads that shift as evidence for some intents and against others,
so it answers Chinese messages worse than their meaning allows. Subtracting each
language's mean removes the shift; it is the
usual trick for zero-shot transfer with multilingual encoders (Libovický et al.,
"On the Language Neutrality of Pre-trained Multilingual Representations", 2020).

A language's mean needs its sentences but no labels: the training examples, or
unlabeled messages in a language the training data lacks (logs, a sample of
customer messages). The language of a text is its writing system
(:func:`bot.nlu.language.script_language`); Latin-script languages share one
mean (``OTHER``), and a text in a script with no mean of its own gets ``OTHER``'s.

Standard library and numpy only: the featurizer and tests use it without Rasa.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.nlu.language import script_language

OTHER = "other"
"""The key of texts whose script names no language of its own (Latin script, digits)."""


def language_key(text: str) -> str:
    return script_language(text) or OTHER


def sample(texts: Sequence[str], per_language: int) -> list[str]:
    """At most ``per_language`` texts of each language, spread evenly over ``texts``.

    A mean needs a few hundred sentences, not every training example: this bounds
    what centering adds to training at ``per_language`` encodings per language.
    """
    by_key: dict[str, list[str]] = {}
    for text in texts:
        by_key.setdefault(language_key(text), []).append(text)
    chosen: list[str] = []
    for group in by_key.values():
        step = max(1.0, len(group) / per_language)
        chosen += [group[int(i * step)] for i in range(min(per_language, len(group)))]
    return chosen


@dataclass
class LanguageMeans:
    """The mean sentence embedding of each language seen; :meth:`center` subtracts it."""

    means: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def fit(cls, vectors: np.ndarray, texts: Sequence[str]) -> LanguageMeans:
        keys = np.array([language_key(t) for t in texts])
        return cls({str(k): vectors[keys == k].mean(axis=0) for k in np.unique(keys)})

    def mean_for(self, text: str) -> np.ndarray | None:
        return self.means.get(language_key(text), self.means.get(OTHER))

    def center(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Each row minus its language's mean (rows unchanged without one).

        Not scaled back to unit length: the means of an anisotropic encoder are long
        (most of a unit vector), so rescaling would multiply every feature by about
        two, which is a weaker regularisation for the same ``C``; on MASSIVE it cost
        1.2 points en-US -> zh-CN and 0.7 on zh-CN for the joint model (int8 encoder,
        embedding-only logistic regression, C=10).
        """
        out = np.array(vectors, dtype=np.float32, copy=True)
        for row, text in enumerate(texts):
            mean = self.mean_for(text)
            if mean is not None:
                out[row] -= mean
        return out

    def to_json(self) -> dict[str, list[float]]:
        return {key: [float(x) for x in mean] for key, mean in self.means.items()}

    @classmethod
    def from_json(cls, data: dict[str, list[float]]) -> LanguageMeans:
        return cls({key: np.asarray(mean, dtype=np.float32) for key, mean in data.items()})
