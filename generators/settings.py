"""Settings of the text generators, read from ``TANDEM_*`` variables at the edge.

The action server's runtime (:mod:`bot.sdk.runtime`) calls
:meth:`TextSettings.from_env` once, through :class:`bot.settings.ActionSettings`,
and passes the project's folders (models, knowledge, catalogue) as defaults;
everything below receives the object. Defaults are safe for the embedded run:
answers composed from the sources with no model (``answer_mode="extractive"``:
the local 135M model's answers fail the grounding check, see
``docs/text-generators.md``), the local int8 model built by ``make setup`` under
the project's ``models/`` for the other text generators, a deadline on every
generation, and the extractive backend whenever the configured model cannot be
loaded.

==============================  ==========================================
``TANDEM_ANSWER_MODE``          ``extractive`` (default) | ``generate``: model-written answers
``TANDEM_TEXT_BACKEND``         ``ortgenai`` | ``transformers`` | ``openai`` | ``extractive``
``TANDEM_TEXT_MODEL_PATH``      model folder for the local backends (default under models/)
``TANDEM_TEXT_DEADLINE_S``      seconds before the user gets the fallback
``TANDEM_KNOWLEDGE_DIR``        folder of Markdown documents (default: ``knowledge:``)
``TANDEM_CATALOG_DIR``          product data folder (default: ``catalog:`` in assistant.yml)
``TANDEM_EMBEDDER_PATH``        sentence-transformers folder (MiniLM default);
                                ``TANDEM_EMBEDDING_MODEL`` is its deprecated old name
``TANDEM_RETRIEVAL_THRESHOLD``  top retrieval score below which we abstain
``TANDEM_EMBEDDER_PATH_<LANG>`` encoder of one language's knowledge base, e.g.
                                ``TANDEM_EMBEDDER_PATH_ZH`` (default: multilingual-e5-small
                                under models/, else the embedder above)
``TANDEM_RETRIEVAL_THRESHOLD_<LANG>``  that language's abstention threshold
``TANDEM_OPENAI_BASE_URL``      e.g. ``http://gpu-box:8000/v1``
``TANDEM_OPENAI_MODEL``         model name the server expects
``TANDEM_OPENAI_API_KEY``       only if the server wants one
==============================  ==========================================

A bad value raises :class:`bot.errors.ConfigError` naming the variable and the fix.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.errors import ConfigError
from generators.backends.convert import default_model_dir
from generators.errors import ModelLoadError
from generators.languages import LANGUAGE_THRESHOLDS
from generators.retrieval import DEFAULT_THRESHOLD
from generators.text import BACKENDS, TextGenerator, build_generator

log = logging.getLogger(__name__)

EMBEDDER_ENV = "TANDEM_EMBEDDER_PATH"
DEPRECATED_EMBEDDER_ENV = "TANDEM_EMBEDDING_MODEL"


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as e:
        raise ConfigError(f"{key}={raw!r} is not a number; unset it or give one.") from e


def embedder_path_from(env: Mapping[str, str]) -> Path | None:
    """``TANDEM_EMBEDDER_PATH``, or the deprecated ``TANDEM_EMBEDDING_MODEL`` with a warning."""
    path = env.get(EMBEDDER_ENV)
    old = env.get(DEPRECATED_EMBEDDER_ENV)
    if old and not path:
        warnings.warn(
            f"{DEPRECATED_EMBEDDER_ENV} is deprecated; rename it to {EMBEDDER_ENV} "
            "(one embedder serves retrieval and recommendations).",
            DeprecationWarning,
            stacklevel=2,
        )
        path = old
    elif old and old != path:
        log.warning("%s is ignored: %s is set", DEPRECATED_EMBEDDER_ENV, EMBEDDER_ENV)
    return Path(path) if path else None


ANSWER_MODES = ("extractive", "generate")
MULTILINGUAL_EMBEDDER = Path("encoders/multilingual-e5-small/source")
"""Under the models folder: the sentence-transformers folder of multilingual-e5-small."""


def per_language(env: Mapping[str, str], prefix: str) -> dict[str, str]:
    """``{"zh": value}`` from ``<prefix>_ZH=value`` (``_ZH_TW`` → ``zh-tw``)."""
    start = f"{prefix}_"
    return {
        key[len(start) :].lower().replace("_", "-"): value
        for key, value in env.items()
        if key.startswith(start) and value and key[len(start) :].replace("_", "").isalpha()
    }


@dataclass(frozen=True)
class TextSettings:
    answer_mode: str = "extractive"
    backend: str = "ortgenai"
    model_path: Path | None = None
    """The local backend's model folder; ``None``: the build under ``models_dir``."""
    models_dir: Path = Path("models")
    deadline_s: float = 8.0
    knowledge_dir: Path | None = None
    """The project's knowledge folder (``knowledge:`` in assistant.yml)."""
    catalog_dir: Path | None = None
    embedder_path: Path | None = None
    retrieval_threshold: float = DEFAULT_THRESHOLD
    language_embedder_paths: Mapping[str, Path] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Encoders of other languages' knowledge bases (``TANDEM_EMBEDDER_PATH_ZH``)."""
    language_thresholds: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "default"
    openai_api_key: str = field(default="not-needed", repr=False)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        models_dir: Path | None = None,
        knowledge_dir: Path | None = None,
        catalog_dir: Path | None = None,
    ) -> TextSettings:
        """The settings in ``env``; the keyword folders are the project's defaults."""
        env = os.environ if env is None else env
        base = cls()
        backend = env.get("TANDEM_TEXT_BACKEND") or base.backend
        if backend not in BACKENDS:
            raise ConfigError(
                f"TANDEM_TEXT_BACKEND={backend!r} is unknown; use one of {', '.join(BACKENDS)}."
            )
        answer_mode = env.get("TANDEM_ANSWER_MODE") or base.answer_mode
        if answer_mode not in ANSWER_MODES:
            raise ConfigError(
                f"TANDEM_ANSWER_MODE={answer_mode!r} is unknown; use one of "
                f"{', '.join(ANSWER_MODES)}."
            )
        model = env.get("TANDEM_TEXT_MODEL_PATH")
        catalog = env.get("TANDEM_CATALOG_DIR")
        knowledge = env.get("TANDEM_KNOWLEDGE_DIR")
        return cls(
            answer_mode=answer_mode,
            backend=backend,
            model_path=Path(model) if model else None,
            models_dir=models_dir or base.models_dir,
            deadline_s=_float(env, "TANDEM_TEXT_DEADLINE_S", base.deadline_s),
            knowledge_dir=Path(knowledge) if knowledge else knowledge_dir,
            catalog_dir=Path(catalog) if catalog else catalog_dir,
            embedder_path=embedder_path_from(env),
            retrieval_threshold=_float(env, "TANDEM_RETRIEVAL_THRESHOLD", base.retrieval_threshold),
            language_embedder_paths=MappingProxyType(
                {k: Path(v) for k, v in per_language(env, EMBEDDER_ENV).items()}
            ),
            language_thresholds=MappingProxyType(
                {
                    code: _float(env, f"TANDEM_RETRIEVAL_THRESHOLD_{code.upper()}", 0.0)
                    for code in per_language(env, "TANDEM_RETRIEVAL_THRESHOLD")
                }
            ),
            openai_base_url=env.get("TANDEM_OPENAI_BASE_URL") or base.openai_base_url,
            openai_model=env.get("TANDEM_OPENAI_MODEL") or base.openai_model,
            openai_api_key=env.get("TANDEM_OPENAI_API_KEY") or base.openai_api_key,
        )

    @property
    def local_model_path(self) -> Path:
        """The folder the local backend loads: ``model_path`` or the build under ``models_dir``."""
        return self.model_path or default_model_dir(self.models_dir, self.backend)

    def backend_kwargs(self) -> dict[str, Any]:
        if self.backend == "openai":
            return {
                "base_url": self.openai_base_url,
                "model": self.openai_model,
                "api_key": self.openai_api_key,
                "timeout_s": self.deadline_s,
            }
        if self.backend in ("ortgenai", "transformers"):
            return {"model_path": self.local_model_path}
        return {}

    def language_embedder_path(self, language: str) -> Path | None:
        """The encoder folder of ``language``'s knowledge base; None: the shared embedder.

        Set per language, else multilingual-e5-small under ``models_dir`` when
        it was built (``make setup``), since the default MiniLM reads English only.
        """
        if language in self.language_embedder_paths:
            return self.language_embedder_paths[language]
        multilingual = self.models_dir / MULTILINGUAL_EMBEDDER
        return multilingual if multilingual.is_dir() else None

    def language_threshold(self, language: str) -> float:
        """``language``'s abstention threshold: set, else calibrated for its own encoder.

        A language searched with the shared embedder (no encoder of its own
        built) takes the shared threshold: the calibrated one belongs to e5.
        """
        if language in self.language_thresholds:
            return self.language_thresholds[language]
        if self.language_embedder_path(language) is None:
            return self.retrieval_threshold
        return LANGUAGE_THRESHOLDS.get(language, self.retrieval_threshold)

    @property
    def generates_answers(self) -> bool:
        return self.answer_mode == "generate"

    def build_generator(self) -> TextGenerator:
        """The configured backend, or the extractive one (logged) if its model is missing."""
        try:
            return build_generator(self.backend, **self.backend_kwargs())
        except ModelLoadError as e:
            log.warning("backend %r unavailable (%s); using the extractive one", self.backend, e)
            return build_generator("extractive")
