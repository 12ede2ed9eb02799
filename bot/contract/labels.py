"""The words channels draw around a bot message, in the conversation's language.

A bot message says its language: the engine puts the conversation's
``language`` slot (``en`` when it is unset) into every bot message's metadata
under :data:`LANGUAGE_KEY` (:mod:`bot.engine.language`), so a channel reads it
from the message it renders, with no tracker at hand::

    labels = labels_for(message_language(message))
    labels("common.credit_score.monthly_payment")          # "每月还款" in Chinese
    labels("slack.mobile_plan.title", name="Essential")

The labels of the result cards, the channels' handoff lines and the web
widget's interface strings live in one JSON file per language, ``locales/<code>.json``
(nested objects read as dotted keys; ``{name}`` placeholders as in
:meth:`str.format`). ``common`` holds what every channel says alike; ``widget``,
``slack`` and ``teams`` what one channel words its own way. A key missing in a
language falls back to English, so a half-translated file still renders; the
widget gets the same files, written into ``web/widget.js`` by
``python -m bot.channels.widget_strings``. Adding a language is adding a file
(docs/languages.md). Standard library only: both venvs import it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.contract.errors import ContractError

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGE_KEY = "language"
"""The bot message metadata key that holds the message's language (``"zh"``)."""
LANGUAGE_SLOT = "language"
"""The slot that holds the conversation's language (``en``, ``zh``; unset means the default)."""
DEFAULT_LANGUAGE = "en"
_CODE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")


def language_code(value: Any) -> str | None:
    """The language part of a code or locale, lower-case: ``"zh-CN"`` -> ``"zh"``; else None."""
    if not isinstance(value, str):
        return None
    match = _CODE.match(value.strip())
    return match.group(1).lower() if match else None


def message_language(message: Mapping[str, Any], default: str = DEFAULT_LANGUAGE) -> str:
    """The language a bot message says it is in (:data:`LANGUAGE_KEY`), else ``default``.

    Read from the message itself (Rasa's ``BotUttered.message()`` puts the
    metadata at the top level) or from its ``metadata`` object (the web chat's
    ``bot_uttered`` events and transcripts).
    """
    metadata = message.get("metadata")
    nested = metadata.get(LANGUAGE_KEY) if isinstance(metadata, Mapping) else None
    return language_code(message.get(LANGUAGE_KEY)) or language_code(nested) or default


def _flatten(raw: Mapping[str, Any], prefix: str, source: Path) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}.", source))
        elif isinstance(value, str):
            flat[name] = value
        else:
            raise ContractError(f"{source}: {name} must be text or an object, not {value!r}.")
    return flat


def read_locales(directory: Path = LOCALES_DIR) -> dict[str, dict[str, str]]:
    """``{language: {dotted key: template}}`` from ``<directory>/<language>.json``."""
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as e:
            raise ContractError(f"{path} is not JSON ({e}); fix its syntax.") from e
        if not isinstance(raw, Mapping):
            raise ContractError(f'{path} must be an object of labels, e.g. {{"widget": {{...}}}}.')
        texts[path.stem.lower()] = _flatten(raw, "", path)
    if DEFAULT_LANGUAGE not in texts:
        raise ContractError(f"{directory} has no {DEFAULT_LANGUAGE}.json, the fallback language.")
    return texts


@functools.lru_cache(maxsize=1)
def locales() -> Mapping[str, Mapping[str, str]]:
    """Every language's labels shipped in ``locales/`` (read once)."""
    return MappingProxyType(
        {language: MappingProxyType(texts) for language, texts in read_locales().items()}
    )


def languages() -> tuple[str, ...]:
    return tuple(sorted(locales()))


@dataclass(frozen=True)
class Labels:
    """One language's labels; a key it lacks is taken from English."""

    language: str
    texts: Mapping[str, str]
    fallback: Mapping[str, str]

    def __call__(self, key: str, /, **values: Any) -> str:
        template = self.texts.get(key, self.fallback.get(key))
        if template is None:
            raise ContractError(
                f"No label {key!r}; add it to bot/contract/locales/{DEFAULT_LANGUAGE}.json.",
                code="unknown_label",
            )
        return template.format(**values) if values else template

    def get(self, key: str, default: str) -> str:
        """The label for ``key``, or ``default`` where no language has one (a data value)."""
        return self.texts.get(key, self.fallback.get(key, default))


def labels_for(language: str | None) -> Labels:
    """The labels of ``language`` (a code or a locale such as ``zh-CN``), else English's."""
    shipped = locales()
    code = language_code(language) or DEFAULT_LANGUAGE
    fallback = shipped[DEFAULT_LANGUAGE]
    return Labels(
        code if code in shipped else DEFAULT_LANGUAGE, shipped.get(code, fallback), fallback
    )
