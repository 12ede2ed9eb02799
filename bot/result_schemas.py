"""Versions of the structured-result payloads: the contract between both venvs.

An action sends ``{"type", "schema_version", "data"}`` (built by
``generators.schemas.payload``); the channel renderers (``bot/channels/cards.py``,
``bot/channels/blocks.py``) draw a card only for the version they know and show
anything else as JSON. Both sides import this standard-library-only module, so
the two can never disagree.

A version changes when a field is removed or changes meaning (a consumer that
reads it would break); adding an optional field does not. History:

* ``credit_score`` 2: ``probability_of_default`` removed (customers see the
  decision band, the monthly cost and the representative APR instead) and
  ``financing`` added.
"""

from __future__ import annotations

from collections.abc import Mapping

SCHEMA_VERSIONS: Mapping[str, int] = {
    "credit_score": 2,
    "mobile_plan": 1,
    "savings_plan": 1,
    "recommendations": 1,
    "marketing_copy": 1,
}


def schema_version(result_type: str) -> int | None:
    """The version this release sends and renders; None for an unknown type."""
    return SCHEMA_VERSIONS.get(result_type)


def is_current(payload: Mapping[str, object]) -> bool:
    """Whether a custom payload is a result of a known type at the current version."""
    kind = payload.get("type")
    version = payload.get("schema_version")
    return (
        isinstance(kind, str)
        and isinstance(version, int)
        and not isinstance(version, bool)
        and schema_version(kind) == version
    )


def lead_in(text: str | None) -> str:
    """What of a card's message text a channel shows beside the card.

    Results come as a card plus a one-line lead-in ("Here are my top 3 picks.");
    the card carries the facts, so the text must not repeat them. A text of
    several lines is the card's plain-text twin, for channels that cannot draw
    cards (REST clients), and is not shown again next to the card.
    """
    text = (text or "").strip()
    return "" if "\n" in text else text


def without_repeats(data: Mapping[str, object], text: str | None) -> dict[str, object]:
    """The card's data without a ``note`` the lead-in already says."""
    shown = dict(data)
    note = shown.get("note")
    if isinstance(note, str) and note.strip() and note.strip() in lead_in(text):
        shown["note"] = None
    return shown
