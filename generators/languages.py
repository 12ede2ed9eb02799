"""One knowledge base per language, searched with an encoder that reads that language.

The documents of the default language sit in the knowledge folder
(``data/knowledge/*.md``); those of another language in a subfolder named by
its code (``data/knowledge/zh/*.md``), with the same ``##`` sections, so that
an answer cites the document in the customer's language. Each language may
have its own ``expansions.yml`` lexicon next to its documents.

English retrieval was tuned with all-MiniLM-L6-v2, which does not read
Chinese, so a language's knowledge base can have its own encoder (by default
the multilingual-e5-small folder built by ``make setup``, see
:mod:`generators.settings`) and its own abstention threshold, calibrated by
``python -m benchmarks.knowledge_languages``.

:meth:`KnowledgeBases.for_language` returns the knowledge base of a
conversation's language, or the default one when that language has no
documents of its own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from generators.retrieval import KnowledgeBase

DEFAULT_LANGUAGE = "en"
_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")

LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Simplified Chinese (简体中文)",
}
"""How the text backend is told which language to answer in."""
LANGUAGE_THRESHOLDS = {"zh": 0.67}
"""Abstention thresholds calibrated for each language's documents and encoder (e5 for zh)."""


def language_folders(knowledge_dir: Path | str) -> dict[str, Path]:
    """The subfolders of ``knowledge_dir`` named by a language code that hold documents."""
    folder = Path(knowledge_dir)
    if not folder.is_dir():
        return {}
    return {
        sub.name.lower(): sub
        for sub in sorted(folder.iterdir())
        if sub.is_dir() and _CODE.match(sub.name.lower()) and any(sub.glob("*.md"))
    }


def base_language(language: str | None) -> str | None:
    """``zh-cn`` → ``zh``: a conversation's language as the knowledge folders name it."""
    return language.lower().split("-")[0] if language else None


class KnowledgeBases:
    """The knowledge base of each language; ``default`` answers the others.

    A language's knowledge base may be given as a factory, built on the first
    question in that language (loading its encoder takes seconds), so that an
    English conversation never waits for the Chinese one.
    """

    def __init__(
        self,
        default: KnowledgeBase,
        languages: Mapping[str, KnowledgeBase | Callable[[], KnowledgeBase]] | None = None,
        *,
        default_language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.default = default
        self.default_language = default_language
        self._languages = dict(languages or {})
        self._lock = threading.Lock()

    def for_language(self, language: str | None) -> tuple[str, KnowledgeBase]:
        """The language actually searched and its knowledge base (the default as fallback)."""
        for code in (language and language.lower(), base_language(language)):
            if code and code in self._languages:
                return code, self._built(code)
        return self.default_language, self.default

    def _built(self, code: str) -> KnowledgeBase:
        entry = self._languages[code]
        if isinstance(entry, KnowledgeBase):
            return entry
        with self._lock:
            entry = self._languages[code]
            if not isinstance(entry, KnowledgeBase):
                entry = self._languages[code] = entry()
            return entry

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.default_language, *sorted(self._languages))
