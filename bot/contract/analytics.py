"""What the analytics pipeline reads: event envelopes and analytics records.

**Event envelope** (engine -> analytics consumer, through the embedded outbox or
RabbitMQ): a Rasa event's ``as_dict()`` plus ``sender_id`` and
:data:`SEQ_KEY`, the event's 0-based index in its conversation (all sessions).
``(sender_id, seq)`` is the idempotency key: a consumer that sees it twice
stores it once::

    {"sender_id": "<id>", "tandem_seq": 12, "event": "user", "timestamp": 1.7e9, ...}

**Analytics records** ride on the bot messages the action server sends, in the
message's metadata under :data:`METADATA_KEY`: a list of records, each a dict
with ``kind`` and the fields below. They carry what the events alone cannot
tell (how a knowledge answer was made, what a generator call cost)::

    dispatcher.utter_message(text=..., metadata={"analytics": [
        {"kind": "knowledge", "outcome": "grounded", "sources": ["returns.md#refunds"]},
        {"kind": "generator", "backend": "local", "task": "answer",
         "latency_ms": 812.0, "deadline_hit": False},
    ]})

Structured results need no record: the custom payload (``data.custom``,
:mod:`bot.contract.payloads`) says what was shown. A CSAT rating is the slot
:data:`CSAT_SLOT` (1-5) set by the rating action; the question that asked for
it is a bot message with a ``csat_prompt`` record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.contract.errors import ContractError

SEQ_KEY = "tandem_seq"
METADATA_KEY = "analytics"
CSAT_SLOT = "csat_score"
CSAT_CONTEXT_SLOT = "csat_context"
CSAT_SCORES = (1, 2, 3, 4, 5)

KNOWLEDGE = "knowledge"
"""``{"kind": "knowledge", "outcome": "grounded"|"quoted"|"abstained", "sources": [str]}``"""
GENERATOR = "generator"
"""``{"kind": "generator", "backend": str, "task": str, "latency_ms": float,
"deadline_hit": bool}``"""
CSAT_PROMPT = "csat_prompt"
"""``{"kind": "csat_prompt", "context": "conversation"|"handoff"}``"""
HANDOFF_REASON = "handoff_reason"
"""``{"kind": "handoff_reason", "reason": str}`` on the message that hands over."""
KINDS = (KNOWLEDGE, GENERATOR, CSAT_PROMPT, HANDOFF_REASON)
KNOWLEDGE_OUTCOMES = ("grounded", "quoted", "abstained")
CSAT_CONTEXTS = ("conversation", "handoff")


def records_in(metadata: Any) -> list[dict[str, Any]]:
    """The well-formed analytics records in a bot event's metadata (others are skipped).

    Reads them at the top level (events appended through Rasa's HTTP API) and
    one level down under ``"metadata"``, where Rasa keeps the ``metadata``
    argument of an action server's ``utter_message``.
    """
    if not isinstance(metadata, Mapping):
        return []
    found: list[dict[str, Any]] = []
    for where in (metadata, metadata.get("metadata")):
        records = where.get(METADATA_KEY) if isinstance(where, Mapping) else None
        if isinstance(records, list):
            found += [dict(r) for r in records if isinstance(r, Mapping) and r.get("kind") in KINDS]
    return found


def record(kind: str, **fields: Any) -> dict[str, Any]:
    """One analytics record, checked: ``record("knowledge", outcome="quoted", sources=[...])``."""
    if kind not in KINDS:
        raise ContractError(f"analytics record kind {kind!r} is unknown; use one of {KINDS}.")
    if kind == KNOWLEDGE and fields.get("outcome") not in KNOWLEDGE_OUTCOMES:
        raise ContractError(
            f"a knowledge record's outcome must be one of {KNOWLEDGE_OUTCOMES}, "
            f"not {fields.get('outcome')!r}."
        )
    if kind == CSAT_PROMPT and fields.get("context") not in CSAT_CONTEXTS:
        raise ContractError(
            f"a csat_prompt record's context must be one of {CSAT_CONTEXTS}, "
            f"not {fields.get('context')!r}."
        )
    return {"kind": kind, **fields}


def event_key(event: Mapping[str, Any]) -> tuple[str, int]:
    """``(sender_id, seq)`` of an event envelope; ContractError when either is missing."""
    sender = event.get("sender_id")
    seq = event.get(SEQ_KEY)
    if not isinstance(sender, str) or not sender or not isinstance(seq, int) or seq < 0:
        raise ContractError(
            f"an analytics event needs a non-empty 'sender_id' and a non-negative integer "
            f"{SEQ_KEY!r} (its index in the conversation); got sender_id={sender!r}, "
            f"{SEQ_KEY}={seq!r}. Publish events through Tandem's tracker store."
        )
    return sender, seq
