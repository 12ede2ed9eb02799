"""The reference assistant's texts built in actions, in the conversation's language.

English stays in the code beside the logic that picks it; another language's
text comes from the assistant's catalog (``locales/<code>.yml``, see
:mod:`bot.sdk.i18n` and ``docs/languages.md``) under the key given, and falls
back to the English one when the catalog lacks it. An English conversation
never reads the catalog, so the functions that build these texts stay pure
for it.
"""

from __future__ import annotations

from typing import Any

from bot.sdk.i18n import DEFAULT_LANGUAGE, project_catalog


def say(key: str, language: str | None, english: str, /, **values: Any) -> str:
    """``key``'s text in ``language``, else ``english``; both filled with ``values``."""
    if not language or language == DEFAULT_LANGUAGE:
        return english.format(**values) if values else english
    return project_catalog().get(key, language, english, **values)
