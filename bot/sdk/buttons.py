"""What a button that names only an intent means, so that no button leads nowhere.

A clarifying button ("A question about our store") sends ``/ask_faq``: the
intent, with none of the customer's words. The actions behind such intents
need words (a question to answer, a wish to recommend for), so they take them
from the message the customer wrote just before, the one that was not
understood and made the assistant ask; with none, they ask for them instead of
answering the payload itself ("I don't know that one").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_PAYLOAD = re.compile(r"^\s*/\w+(?:\{.*\})?\s*$", re.S)
MISS_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
"""Intents that mean the message was not understood."""


def consecutive_misses(events: Iterable[Mapping[str, Any]]) -> int:
    """How many of the latest user messages in a row were not understood."""
    misses = 0
    for event in reversed(list(events)):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent not in MISS_INTENTS:
            break
        misses += 1
    return misses


def is_bare_payload(text: str | None) -> bool:
    """``/ask_faq`` or ``/ask_faq{"x": 1}``: a button's intent, not a customer's words."""
    return bool(_PAYLOAD.match(text or ""))


def words_behind(latest_text: str | None, events: Iterable[Mapping[str, Any]]) -> str | None:
    """The customer's own words a request stands for.

    For typed text, the text itself. For a bare payload, the message before it
    if that one was not understood (the button answered "did you mean…?"); else
    None: the customer has said nothing yet that the action could use.
    """
    if not is_bare_payload(latest_text):
        return latest_text
    users = [e for e in events if e.get("event") == "user"]
    if len(users) < 2:
        return None
    before = users[-2]
    intent = ((before.get("parse_data") or {}).get("intent") or {}).get("name")
    text = str(before.get("text") or "")
    if intent in MISS_INTENTS and text and not is_bare_payload(text):
        return text
    return None
