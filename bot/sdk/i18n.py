"""Text built in Python, in the conversation's language: message catalogs.

Rasa picks a response variation by a ``language`` slot condition
(docs/languages.md); text an action builds itself needs the same choice. A
catalog is a folder of YAML files, one per language, ``en.yml``, ``zh.yml``,
each mapping keys (nested mappings read as dotted keys) to
:meth:`str.format` templates::

    handoff:
      queued: "I've asked a colleague to join us. {words}"

The kit's own texts live in ``bot/sdk/locales``; an assistant's ``locales``
folder (next to its ``assistant.yml``) adds languages and replaces any of the
kit's texts. A text missing in the conversation's language falls back to
English, so a half-translated catalog still answers::

    from bot.sdk.i18n import language_of, project_catalog

    text = project_catalog().text("handoff.queued", language_of(tracker), words=words)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

import yaml

from bot.errors import ConfigError

LANGUAGE_SLOT = "language"
"""The slot that holds the conversation's language (``en``, ``zh``; unset means the default)."""
DEFAULT_LANGUAGE = "en"
KIT_LOCALES = Path(__file__).with_name("locales")
PROJECT_LOCALES = "locales"
"""The folder, next to ``assistant.yml``, that holds an assistant's own catalog files."""


class CatalogError(ConfigError):
    """A catalog file is unreadable, or a text is missing or lacks a value it names."""


class _HasSlots(Protocol):
    def get_slot(self, key: str) -> Any: ...


def language_of(tracker: _HasSlots, default: str = DEFAULT_LANGUAGE) -> str:
    """The conversation's language: the ``language`` slot, else ``default``."""
    value = tracker.get_slot(LANGUAGE_SLOT)
    return value.lower() if isinstance(value, str) and value else default


def _flatten(raw: Mapping[str, Any], prefix: str, source: Path) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}.", source))
        elif isinstance(value, str):
            flat[name] = value
        else:
            raise CatalogError(f"{source}: {name} must be text or a mapping, not {value!r}.")
    return flat


def read_folder(folder: Path) -> dict[str, dict[str, str]]:
    """``{language: {key: template}}`` from ``<folder>/<language>.yml``."""
    messages: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as e:
            raise CatalogError(f"{path} cannot be read as YAML ({e}); fix its syntax.") from e
        if not isinstance(raw, Mapping):
            raise CatalogError(f"{path} must map keys to texts, e.g. `greeting: Hello!`.")
        messages[path.stem.lower()] = _flatten(raw, "", path)
    return messages


@dataclass(frozen=True)
class Catalog:
    """Texts by language and key; a missing text falls back to ``default``'s."""

    messages: Mapping[str, Mapping[str, str]]
    default: str = DEFAULT_LANGUAGE

    @classmethod
    def load(cls, *folders: Path | str, default: str = DEFAULT_LANGUAGE) -> Catalog:
        """The catalog files of ``folders``; a later folder's texts replace an earlier's."""
        merged: dict[str, dict[str, str]] = {}
        for folder in folders:
            for language, texts in read_folder(Path(folder)).items():
                merged.setdefault(language, {}).update(texts)
        frozen = {lang: MappingProxyType(texts) for lang, texts in merged.items()}
        return cls(messages=MappingProxyType(frozen), default=default)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.messages))

    def template(self, key: str, language: str | None = None) -> str | None:
        """The raw text for ``key`` in ``language``, else in the default language, else None."""
        for lang in (language, self.default):
            if lang and key in self.messages.get(lang, {}):
                return self.messages[lang][key]
        return None

    def text(self, key: str, language: str | None = None, /, **values: Any) -> str:
        """``key``'s text in ``language`` (else the default language), filled with ``values``."""
        template = self.template(key, language)
        if template is None:
            raise CatalogError(
                f"No text for {key!r} in {language or self.default} nor {self.default}; "
                f"add `{key}: ...` to {self.default}.yml in a catalog folder "
                f"({PROJECT_LOCALES}/ next to assistant.yml)."
            )
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError) as e:
            raise CatalogError(
                f"The {language or self.default} text for {key!r} names {e} but is given "
                f"{sorted(values)}; use only those names in braces."
            ) from e

    def get(self, key: str, language: str | None, fallback: str, /, **values: Any) -> str:
        """Like :meth:`text`, but ``fallback`` (filled the same way) when no catalog has it."""
        if self.template(key, language) is None:
            return fallback.format(**values) if values else fallback
        return self.text(key, language, **values)


@lru_cache(maxsize=1)
def kit_catalog() -> Catalog:
    """The kit's own texts (``bot/sdk/locales``), in every language it ships."""
    return Catalog.load(KIT_LOCALES)


def catalog_for(project_dir: Path | str) -> Catalog:
    """The kit's texts with the project's ``locales`` folder over them."""
    folder = Path(project_dir) / PROJECT_LOCALES
    return Catalog.load(KIT_LOCALES, *([folder] if folder.is_dir() else []))


def project_catalog() -> Catalog:
    """The running assistant's catalog (built once per runtime)."""
    from bot.sdk.runtime import get_runtime  # the runtime imports this package

    runtime = get_runtime()
    return _cached_catalog(runtime.assistant.project_dir)


@lru_cache(maxsize=4)
def _cached_catalog(project_dir: Path) -> Catalog:
    return catalog_for(project_dir)
