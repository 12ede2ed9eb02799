"""The custom payloads channels render: structured results and handoff messages.

A structured result reaches a channel as a custom payload, the envelope
:class:`StructuredPayload` ``{"type", "schema_version", "data"}``, next to a
one-line lead-in text. The result types are the JSON schemas in ``schemas/``:
``<type>.schema.json`` names the type, its ``$id`` (``tandem:<type>:v<n>``) the
version, and the schema itself the shape of ``data``. Adding a schema file adds
the type here; ``tests/unit/bot/contract/test_renderers.py`` then fails until
the web widget, Slack and Teams each have a renderer for it
(docs/howto/structured-type.md).

A version changes when a field is removed or changes meaning (a consumer that
reads it would break; edit the ``$id``); adding an optional field does not.
History:

* ``credit_score`` 2: ``probability_of_default`` removed (customers see the
  decision band, the monthly cost and the representative APR instead) and
  ``financing`` added.

The handoff messages (:data:`HANDOFF`, :data:`AGENT_MESSAGE`) are not results:
they tell who speaks (the bot, a queue, a person) and every channel shows them
as text.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.contract.errors import ContractError

SCHEMA_DIR = Path(__file__).parent / "schemas"
SCHEMA_SUFFIX = ".schema.json"
_ID = re.compile(r"^tandem:(?P<type>[a-z][a-z0-9_]*):v(?P<version>[1-9][0-9]*)$")

HANDOFF = "handoff"
"""``{"type": "handoff", "state": ...}``: the conversation moves between bot, queue and person."""
HANDOFF_STATES = ("waiting", "agent", "bot", "unavailable")
AGENT_MESSAGE = "agent_message"
"""``{"type": "agent_message", "agent": "<name>"}``: a person's words, sent with the text."""
MESSAGE_TYPES = (HANDOFF, AGENT_MESSAGE)


def schema_id(result_type: str, version: int) -> str:
    return f"tandem:{result_type}:v{version}"


def schema_path(result_type: str, directory: Path = SCHEMA_DIR) -> Path:
    return directory / f"{result_type}{SCHEMA_SUFFIX}"


def read_schemas(directory: Path = SCHEMA_DIR) -> dict[str, dict[str, Any]]:
    """Every result type's JSON schema, by type name, from ``directory``."""
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob(f"*{SCHEMA_SUFFIX}")):
        result_type = path.name[: -len(SCHEMA_SUFFIX)]
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as e:
            raise ContractError(
                f"{path} is not JSON ({e}); regenerate it.", code="bad_schema"
            ) from e
        match = _ID.match(str(schema.get("$id", "")))
        if match is None or match["type"] != result_type:
            raise ContractError(
                f'{path} must have "$id": "{schema_id(result_type, 1)}" (the type and its '
                "version); regenerate it with `python -m generators.schemas`.",
                code="bad_schema",
            )
        schemas[result_type] = schema
    return schemas


@functools.lru_cache(maxsize=1)
def schemas() -> Mapping[str, Mapping[str, Any]]:
    """The JSON schemas this release sends and renders (read once)."""
    return read_schemas()


def schema(result_type: str) -> Mapping[str, Any]:
    try:
        return schemas()[result_type]
    except KeyError:
        raise ContractError(
            f"unknown result type {result_type!r}; known: {', '.join(result_types())}. Add "
            f"bot/contract/schemas/{result_type}{SCHEMA_SUFFIX} (docs/howto/structured-type.md).",
            code="unknown_type",
        ) from None


def result_types() -> tuple[str, ...]:
    return tuple(schemas())


def schema_versions() -> dict[str, int]:
    versions = {}
    for result_type, body in schemas().items():
        match = _ID.match(str(body.get("$id", "")))
        if match is not None:
            versions[result_type] = int(match["version"])
    return versions


def schema_version(result_type: str) -> int | None:
    """The version this release sends and renders; None for an unknown type."""
    return schema_versions().get(result_type)


def payload_types() -> tuple[str, ...]:
    """Every ``custom`` payload type a channel must handle: the results and the handoff messages."""
    return result_types() + MESSAGE_TYPES


@dataclass(frozen=True)
class StructuredPayload:
    """The envelope of a structured result: ``{"type", "schema_version", "data"}``."""

    type: str
    schema_version: int
    data: Mapping[str, Any]

    @classmethod
    def current(cls, result_type: str, data: Mapping[str, Any]) -> StructuredPayload:
        """A payload of ``result_type`` at this release's version."""
        schema(result_type)
        return cls(result_type, schema_versions()[result_type], data)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "schema_version": self.schema_version, "data": dict(self.data)}

    @classmethod
    def from_dict(cls, body: Any) -> StructuredPayload:
        if not isinstance(body, Mapping):
            raise ContractError(
                'A structured payload is {"type": ..., "schema_version": ..., "data": {...}}.'
            )
        if not is_current(body):
            raise ContractError(
                f"{body.get('type')!r} v{body.get('schema_version')!r} is not a result type this "
                f"release renders; known: {schema_versions()}.",
                code="unknown_type",
            )
        data = body.get("data")
        if not isinstance(data, Mapping):
            raise ContractError('"data" must be the result, as a JSON object.', code="bad_data")
        return cls(str(body["type"]), int(body["schema_version"]), data)


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
