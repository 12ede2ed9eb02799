"""From Rasa tracker events to transcript lines: pure functions, no I/O.

A handoff's transcript is the ``user`` and ``bot`` events of the tracker from
the event at which the customer asked for a person; each line keeps its event
index (``seq``), so the order and the de-duplication both come from Rasa.
What was said and set before that point is kept as *context* for the agent.

Every text and slot value leaves here redacted (:func:`bot.privacy.redact`:
Luhn-checked card numbers, e-mail addresses and phone numbers), so neither the
handoff database nor the console ever holds them; the one place a customer's
contact details are kept on purpose is a ticket's ``contact`` field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.privacy import redact

CONTEXT_MESSAGES = 10
_MAX_SLOT_CHARS = 200
_HIDDEN_SLOTS = frozenset({"requested_slot", "session_started_metadata"})


@dataclass(frozen=True)
class Line:
    seq: int
    sender: str  # customer | bot | agent | system
    text: str
    sent_at: datetime
    agent: str | None = None


def _when(event: dict[str, Any]) -> datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float):
        return datetime.fromtimestamp(stamp, UTC)
    return datetime.now(UTC)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def classify(event: dict[str, Any]) -> tuple[str, str | None] | None:
    """``(sender, agent)`` of a user or bot event with text; ``None`` for anything else."""
    text = event.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    if event.get("event") == "user":
        return "customer", None
    if event.get("event") != "bot":
        return None
    data = _mapping(event.get("data"))
    custom = _mapping(data.get("custom"))
    metadata = _mapping(event.get("metadata"))
    agent = metadata.get("agent") or custom.get("agent")
    if custom.get("type") == "agent_message":
        return "agent", str(agent or "agent")
    if custom.get("type") == "handoff":
        return "system", str(agent) if agent else None
    return "bot", None


def lines(events: Sequence[dict[str, Any]], *, start: int, after: int = -1) -> list[Line]:
    """Transcript lines of the events with index ``>= start`` and ``> after``."""
    result = []
    for seq in range(max(start, after + 1), len(events)):
        kind = classify(events[seq])
        if kind is not None:
            sender, agent = kind
            text = redact(str(events[seq]["text"]))
            result.append(Line(seq, sender, text, _when(events[seq]), agent))
    return result


def infer_start(events: Sequence[dict[str, Any]], requested_at: datetime) -> int:
    """Where a handoff began when Rasa could not be asked at request time.

    The last customer message sent before the request is the one that asked
    for a person; without one the whole tracker belongs to the handoff.
    """
    start = 0
    for seq, event in enumerate(events):
        if event.get("event") == "user" and _when(event) <= requested_at:
            start = seq
    return start


def context(events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The last messages and the filled slots before the handoff, JSON-ready."""
    slots: dict[str, str] = {}
    for event in events:
        if event.get("event") == "slot" and isinstance(event.get("name"), str):
            name, value = event["name"], event.get("value")
            if name in _HIDDEN_SLOTS or name.startswith("_"):
                continue
            if value is None or value == "" or value == []:
                slots.pop(name, None)
            else:
                slots[name] = redact(str(value))[:_MAX_SLOT_CHARS]
        elif event.get("event") in ("restart", "session_started"):
            slots.clear()
    before = lines(events, start=0)[-CONTEXT_MESSAGES:]
    messages = []
    for line in before:
        item = {"sender": line.sender, "text": line.text, "at": line.sent_at.isoformat()}
        intent = _intent(events[line.seq])
        if intent:
            item["intent"] = intent  # lets the summary tell a problem from "a person please"
        messages.append(item)
    return {"messages": messages, "slots": slots}


def _intent(event: dict[str, Any]) -> str | None:
    if event.get("event") != "user":
        return None
    name = _mapping(_mapping(event.get("parse_data")).get("intent")).get("name")
    return name if isinstance(name, str) and name else None
