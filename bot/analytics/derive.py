"""From events to analytics rows: what is kept of an event, and what each table says.

Two pure steps, used by :class:`bot.analytics.store.AnalyticsStore`:

* :func:`redact_event` turns an event envelope (:mod:`bot.contract.analytics`)
  into the body stored in ``events``: a whitelist of each event type's fields,
  every text redacted (:func:`bot.privacy.redact_personal`: cards, e-mails,
  phones, postcodes and person names), slot values dropped except those of
  :data:`KEPT_SLOTS`, structured results reduced to what was shown.
* :func:`derive` turns one conversation's stored bodies, in ``seq`` order,
  into the rows of every other table. The store deletes a conversation's
  derived rows and inserts these whenever new events of it arrive, so
  duplicates and out-of-order delivery give the same tables.

docs/analytics-ingest.md states the rules; in short:

* **sessions**: from each ``session_started`` to the next (events before the
  first one form a session of their own, unless nobody spoke in it: then the
  ``session_started`` only marks its start).
* **turns**: one per ``user`` event. ``intent``/``confidence`` from its
  parse data; ``fallback`` when the intent is ``nlu_fallback`` or a fallback
  action (:data:`FALLBACK_ACTIONS`) runs before the next user message;
  ``clarified`` when the bot asks which intent was meant (a bot message from
  :data:`CLARIFY_RESPONSES`, or ``action_two_stage_fallback``);
  ``unhandled_reason``: ``handoff`` for the last fallback turn before a handoff
  is requested, else ``abstained`` when a knowledge record of the turn
  abstained, else ``nlu_fallback`` for a fallback turn; ``response_ms`` to the
  first bot message after it; ``by_agent`` while the conversation is paused.
* **actions**: every ``action`` event but ``action_listen``.
* **forms**: an ``active_loop`` event with a name starts one; the
  ``requested_slot`` values are its ``slots_asked``. It is ``completed`` when it
  ends with the last requested slot filled (Rasa clears ``requested_slot``
  first), ``abandoned`` when it ends with the slot unanswered, or when another
  form replaces it, or when it is still active and the conversation has been
  quiet for ``abandon_after_s``; ``abandoned_at_slot`` is that slot.
* **results**: bot messages whose custom payload is a structured result:
  ``label`` (:func:`result_summary`: the plan id, the credit decision band, the
  risk profile) and ``items`` (product ids shown). A later user message whose
  ``product`` entity names one of the items is a click (the buttons under a
  recommendation send ``/ask_product_details{"product": "<id>"}``).
* **knowledge_answers** and **generator_calls**: the analytics records of bot
  messages.
* **handoffs**: a request starts at a ``handoff`` payload in state ``waiting``
  or ``unavailable``, or at a ``pause``; ``agent`` is the assignment, the first
  ``agent_message`` the first response, state ``bot`` or a ``resume`` the
  return to the bot. ``queue_wait_s`` = assigned - requested,
  ``first_response_s`` = first agent reply - requested, ``resolution_s`` =
  returned - requested. The reason: the ``handoff_reason`` record, else the
  ``handoff_reason`` slot or action metadata set in that turn.
* **csat**: each ``csat_score`` SlotSet (1-5), its context the latest
  ``csat_context`` slot, else the latest ``csat_prompt`` record, else
  ``conversation``.
* **conversations**: the rollup; ``journey`` is the first journey started
  (:class:`Journeys` maps intents and forms to journeys; smalltalk only when
  nothing else was started), ``journey_completed`` when its form completed, its
  result was shown, a knowledge answer was grounded or quoted (knowledge), or a
  person joined (handoff); ``outcome``: ``escalated`` if a handoff was
  requested, else ``contained`` if the journey completed, else ``abandoned`` if
  a form was abandoned or the last customer message was not handled, else
  ``contained``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.contract.analytics import (
    CSAT_CONTEXT_SLOT,
    CSAT_CONTEXTS,
    CSAT_PROMPT,
    CSAT_SCORES,
    CSAT_SLOT,
    GENERATOR,
    HANDOFF_REASON,
    KNOWLEDGE,
    KNOWLEDGE_OUTCOMES,
    METADATA_KEY,
    SEQ_KEY,
    records_in,
)
from bot.contract.payloads import AGENT_MESSAGE, HANDOFF
from bot.errors import TandemError
from bot.privacy import redact_json, redact_personal

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset(
    {"action_fallback_clarify", "action_default_fallback", "action_two_stage_fallback"}
)
CLARIFY_RESPONSES = frozenset({"utter_fallback_clarify", "utter_ask_rephrase"})
CLARIFY_ACTIONS = frozenset({"action_two_stage_fallback"})
NAME_ENTITIES = frozenset({"name", "PERSON", "person", "customer_name"})
NAME_SLOTS = frozenset({"customer_name", "name", "person", "first_name", "last_name", "full_name"})
PRODUCT_ENTITY = "product"
REQUESTED_SLOT = "requested_slot"
HANDOFF_REASON_SLOT = "handoff_reason"
# Slot values kept in the events' bodies: names chosen by code, never a customer's answer.
KEPT_SLOTS = frozenset(
    {REQUESTED_SLOT, CSAT_SLOT, CSAT_CONTEXT_SLOT, "answer_outcome", HANDOFF_REASON_SLOT}
)
SLOT_SET = "[value]"
# What a customer answers in a form (an income, a date of birth, an order number) is
# theirs: analytics keeps the words around it, not the figure. "iPhone 15" stays.
_NUMBER = re.compile(r"(?<![\w.])\d(?:[,.' ]?\d){2,}(?![\w])")
MAX_RANKING = 5


class MalformedEvent(TandemError, ValueError):
    """An event the store cannot read; the message names the problem, never the content."""


# journeys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Journeys:
    """Which journey an intent, a form or a result belongs to (the reference assistant's)."""

    intents: Mapping[str, str] = field(
        default_factory=lambda: {
            "ask_faq": "knowledge",
            "ask_store_hours": "knowledge",
            "ask_plan_advice": "plan",
            "ask_savings_plan": "savings",
            "ask_credit_check": "credit",
            "ask_credit_reasons": "credit",
            "ask_recommendation": "recommendation",
            "ask_product_details": "recommendation",
            "compare_products": "recommendation",
            "ask_order_status": "orders",
            "ask_marketing_copy": "marketing",
            "ask_human": "handoff",
            "complaint": "handoff",
            "greet": "smalltalk",
            "goodbye": "smalltalk",
            "thanks": "smalltalk",
            "bot_challenge": "smalltalk",
            "tell_name": "smalltalk",
            "ask_remember_me": "smalltalk",
        }
    )
    forms: Mapping[str, str] = field(
        default_factory=lambda: {
            "mobile_plan_form": "plan",
            "savings_plan_form": "savings",
            "credit_form": "credit",
            "order_status_form": "orders",
            "marketing_copy_form": "marketing",
            "contact_form": "handoff",
        }
    )
    results: Mapping[str, str] = field(
        default_factory=lambda: {
            "mobile_plan": "plan",
            "savings_plan": "savings",
            "credit_score": "credit",
            "recommendations": "recommendation",
            "marketing_copy": "marketing",
        }
    )
    minor: frozenset[str] = frozenset({"smalltalk"})


# redaction --------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def names_in(event: Mapping[str, Any]) -> set[str]:
    """Person names an event gives (name entities, name slots): redacted wherever they recur."""
    found: set[str] = set()
    value = event.get("value")
    if event.get("event") == "slot" and event.get("name") in NAME_SLOTS and isinstance(value, str):
        found.add(value)
    custom = _mapping(_mapping(event.get("data")).get("custom"))
    for agent in (custom.get("agent"), _mapping(event.get("metadata")).get("agent")):
        if isinstance(agent, str):
            found.add(agent)  # a person of the team: their name stays out too
    for entity in _mapping(event.get("parse_data")).get("entities") or []:
        value = _mapping(entity).get("value")
        if _mapping(entity).get("entity") in NAME_ENTITIES and isinstance(value, str):
            found.add(value)
    return {name for name in found if len(name.strip()) >= 2}


def _text(value: Any, names: tuple[str, ...] = ()) -> str:
    """Redacted text, numbers of three digits or more as ``[number]`` (amounts, order numbers)."""
    if not isinstance(value, str):
        return ""
    return _NUMBER.sub("[number]", redact_personal(value, names))


def _short(value: Any, limit: int = 120) -> str | None:
    """An identifier chosen by code (a plan id, an intent), trimmed; None if not a string."""
    return value[:limit] if isinstance(value, str) and value else None


def result_summary(result_type: str, data: Any) -> tuple[str | None, list[str]]:
    """``(label, items)`` of a structured result: what was shown, never what was answered."""
    data = data if isinstance(data, Mapping) else {}
    items: list[str] = []
    for item in data.get("items") or []:
        if isinstance(item, Mapping) and isinstance(item.get("product_id"), str):
            items.append(item["product_id"][:120])
    label: str | None = None
    if result_type == "mobile_plan":
        best = data.get("best")
        label = _short(best.get("plan_id")) if isinstance(best, Mapping) else None
    elif result_type == "credit_score":
        label = _short(data.get("decision"))
    elif result_type == "savings_plan":
        label = _short(data.get("risk_profile"))
    elif result_type == "marketing_copy":
        brief = data.get("brief")
        label = _short(brief.get("tone"), 40) if isinstance(brief, Mapping) else None
    return label, items


def _custom(custom: Any) -> dict[str, Any] | None:
    """What is kept of a bot message's custom payload."""
    if not isinstance(custom, Mapping) or not isinstance(custom.get("type"), str):
        return None
    kind = custom["type"][:40]
    if kind == HANDOFF:
        kept = {"type": kind, "state": _short(custom.get("state"), 20)}
        if _short(custom.get("reason"), 80):
            kept["reason"] = custom["reason"][:80]
        return kept
    if kind == AGENT_MESSAGE:
        return {"type": kind}  # the agent's name stays out
    label, items = result_summary(kind, custom.get("data"))
    return {"type": kind, "label": label, "items": items}


def _slot_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name not in KEPT_SLOTS:
        return SLOT_SET
    if name == HANDOFF_REASON_SLOT and isinstance(value, Mapping):
        return _short(value.get("reason"), 80)
    if isinstance(value, str):
        return value[:80]
    if isinstance(value, (int, float, bool)):
        return value
    return SLOT_SET


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _entities(entities: Any, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The entities kept, with names and contacts replaced."""
    kept: list[dict[str, Any]] = []
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, Mapping) or not isinstance(entity.get("entity"), str):
            continue
        kind = entity["entity"][:80]
        value = entity.get("value")
        if kind in NAME_ENTITIES:
            value = "[name]"
        elif kind == PRODUCT_ENTITY and isinstance(value, str):
            value = redact_personal(value, names)[:120]  # a catalogue id, matched to clicks
        elif isinstance(value, str):
            value = _text(value, names)
        elif isinstance(value, (int, float)) and abs(value) >= 100:
            value = "[number]"
        elif not isinstance(value, (int, float, bool)) and value is not None:
            value = SLOT_SET
        kept.append({"entity": kind, "value": value})
    return kept


def _user(event: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    parse = _mapping(event.get("parse_data"))
    entities = _entities(parse.get("entities"), names)
    intent = _mapping(parse.get("intent"))
    ranking = [
        {"name": r["name"][:80], "confidence": _number(r.get("confidence"))}
        for r in (parse.get("intent_ranking") or [])[:MAX_RANKING]
        if isinstance(r, Mapping) and isinstance(r.get("name"), str)
    ]
    return {
        "text": _text(event.get("text"), names),
        "input_channel": _short(event.get("input_channel"), 40),
        "parse_data": {
            "intent": {
                "name": _short(intent.get("name"), 80),
                "confidence": _number(intent.get("confidence")),
            },
            "entities": entities,
            "intent_ranking": ranking,
        },
    }


def _bot(event: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    data = _mapping(event.get("data"))
    meta = _mapping(event.get("metadata"))
    buttons = [
        {"title": _text(b.get("title"), names), "payload": _text(b.get("payload"), names)}
        for b in (data.get("buttons") or [])
        if isinstance(b, Mapping)
    ]
    kept_meta: dict[str, Any] = {}
    if _short(meta.get("utter_action"), 80):
        kept_meta["utter_action"] = meta["utter_action"][:80]
    records = records_in(meta)
    if records:
        kept_meta[METADATA_KEY] = redact_json(records, lambda t: redact_personal(t, names))
    return {
        "text": _text(event.get("text"), names),
        "data": {"custom": _custom(data.get("custom")), "buttons": buttons},
        "metadata": kept_meta,
    }


def _action(event: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": _short(event.get("name"), 80),
        "policy": _short(event.get("policy"), 80),
        "confidence": _number(event.get("confidence")),
    }
    meta = event.get("metadata")
    if isinstance(meta, Mapping) and meta.get(HANDOFF_REASON_SLOT) is not None:
        body["handoff_reason"] = _slot_value(HANDOFF_REASON_SLOT, meta[HANDOFF_REASON_SLOT])
    return body


def redact_event(
    event: Mapping[str, Any], names: tuple[str, ...] = ()
) -> tuple[str, float, dict[str, Any]]:
    """``(type, ts, body)`` of an envelope; :class:`MalformedEvent` when it cannot be read.

    ``names``: the conversation's person names known so far (:func:`names_in`),
    replaced wherever they occur, beyond the names the redactor spots itself.
    """
    kind = event.get("event")
    if not isinstance(kind, str) or not kind:
        raise MalformedEvent("it has no 'event' type")
    ts = _number(event.get("timestamp"))
    if ts is None:
        raise MalformedEvent(f"its 'timestamp' is not a number (a {kind!r} event)")
    body: dict[str, Any] = {"event": kind[:40], "timestamp": ts}
    if kind == "user":
        body.update(_user(event, names))
    elif kind == "bot":
        body.update(_bot(event, names))
    elif kind == "action":
        body.update(_action(event))
    elif kind == "slot":
        name = _short(event.get("name"), 80) or ""
        body.update({"name": name, "value": _slot_value(name, event.get("value"))})
    elif kind in ("active_loop", "followup", "action_execution_rejected"):
        body["name"] = _short(event.get("name"), 80)
    return kind[:40], ts, body


# derivation -------------------------------------------------------------------------------


@dataclass
class _Turn:
    row: dict[str, Any]
    responded: bool = False
    knowledge_abstained: bool = False


@dataclass
class _Derivation:
    """One conversation's rows, built event by event."""

    conversation: str
    journeys: Journeys
    abandon_after_s: float
    now: float
    sessions: list[dict[str, Any]] = field(default_factory=list)
    turns: list[_Turn] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    forms: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    knowledge: list[dict[str, Any]] = field(default_factory=list)
    generator: list[dict[str, Any]] = field(default_factory=list)
    handoffs: list[dict[str, Any]] = field(default_factory=list)
    csat: list[dict[str, Any]] = field(default_factory=list)
    paused: bool = False
    form: dict[str, Any] | None = None
    pending_slot: str | None = None
    pending_filled: bool = False
    handoff: dict[str, Any] | None = None
    turn_reason: str | None = None
    csat_context: str | None = None
    csat_prompted: bool = False
    bot_messages: int = 0
    journey_events: list[tuple[str, str]] = field(default_factory=list)  # (journey, via)
    first_ts: float | None = None
    last_ts: float = 0.0

    def base(self, seq: int, ts: float) -> dict[str, Any]:
        return {"conversation": self.conversation, "seq": seq, "ts": ts}

    # events -------------------------------------------------------------------------

    def feed(self, seq: int, ts: float, body: Mapping[str, Any]) -> None:
        if self.first_ts is None:
            self.first_ts = ts
        self.last_ts = max(self.last_ts, ts)
        kind = body.get("event")
        if kind == "session_started" and self.sessions and not self.sessions[-1]["user_turns"]:
            # action_session_start comes first, and a session nobody spoke in is no session
            self.sessions[-1].update(started_seq=seq, started_at=ts)
        elif kind == "session_started" or not self.sessions:
            self.sessions.append(
                {
                    "conversation": self.conversation,
                    "started_seq": seq,
                    "started_at": ts,
                    "ended_at": ts,
                    "user_turns": 0,
                }
            )
        self.sessions[-1]["ended_at"] = max(self.sessions[-1]["ended_at"], ts)
        handler = getattr(self, f"on_{kind}", None)
        if handler is not None:
            handler(seq, ts, body)

    def on_user(self, seq: int, ts: float, body: Mapping[str, Any]) -> None:
        parse = body.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        channel = body.get("input_channel") or "unknown"
        row = {
            **self.base(seq, ts),
            "channel": channel,
            "text": body.get("text") or "",
            "intent": intent,
            "confidence": (parse.get("intent") or {}).get("confidence"),
            "fallback": intent == FALLBACK_INTENT,
            "clarified": False,
            "handled": True,
            "unhandled_reason": None,
            "response_ms": None,
            "by_agent": self.paused,
        }
        self.turns.append(_Turn(row))
        self.turn_reason = None
        self.sessions[-1]["user_turns"] += 1
        journey = self.journeys.intents.get(intent) if isinstance(intent, str) else None
        if journey is not None and not self.paused:
            self.journey_events.append((journey, "intent"))
        products = {
            e.get("value")
            for e in parse.get("entities") or []
            if e.get("entity") == PRODUCT_ENTITY and isinstance(e.get("value"), str)
        }
        for result in reversed(self.results):
            if result["clicked_item"] is None and products & set(result["items"]):
                result["clicked_item"] = next(i for i in result["items"] if i in products)
                result["clicked_at"] = ts
                break

    def on_bot(self, seq: int, ts: float, body: Mapping[str, Any]) -> None:
        self.bot_messages += 1
        turn = self.turns[-1] if self.turns else None
        if turn is not None and not turn.responded:
            turn.responded = True
            turn.row["response_ms"] = max(0.0, (ts - turn.row["ts"]) * 1000.0)
        meta = body.get("metadata") or {}
        if turn is not None and meta.get("utter_action") in CLARIFY_RESPONSES:
            turn.row["clarified"] = True
        records = records_in(meta)
        self._records(seq, ts, records, turn)
        custom = (body.get("data") or {}).get("custom")
        if isinstance(custom, Mapping):
            self._custom(seq, ts, custom, records)

    def _records(
        self, seq: int, ts: float, records: list[dict[str, Any]], turn: _Turn | None
    ) -> None:
        ordinal = 0
        for record in records:
            kind = record.get("kind")
            if kind == KNOWLEDGE and record.get("outcome") in KNOWLEDGE_OUTCOMES:
                if not any(k["seq"] == seq for k in self.knowledge):
                    sources = [str(s)[:200] for s in record.get("sources") or []]
                    self.knowledge.append(
                        {**self.base(seq, ts), "outcome": record["outcome"], "sources": sources}
                    )
                if record["outcome"] == "abstained" and turn is not None:
                    turn.knowledge_abstained = True
            elif kind == GENERATOR:
                self.generator.append(
                    {
                        **self.base(seq, ts),
                        "ordinal": ordinal,
                        "backend": str(record.get("backend") or "unknown")[:40],
                        "task": _short(record.get("task"), 40),
                        "latency_ms": _number(record.get("latency_ms")) or 0.0,
                        "deadline_hit": bool(record.get("deadline_hit")),
                    }
                )
                ordinal += 1
            elif kind == CSAT_PROMPT:
                self.csat_prompted = True
                if record.get("context") in CSAT_CONTEXTS:
                    self.csat_context = record["context"]
            elif kind == HANDOFF_REASON and _short(record.get("reason"), 80):
                self.turn_reason = record["reason"][:80]
                if self.handoff is not None and self.handoff["reason"] is None:
                    self.handoff["reason"] = self.turn_reason

    def _custom(
        self, seq: int, ts: float, custom: Mapping[str, Any], records: list[dict[str, Any]]
    ) -> None:
        kind = custom.get("type")
        if kind == HANDOFF:
            state = custom.get("state")
            if state in ("waiting", "unavailable"):
                handoff = self._request(seq, ts)
                if state == "unavailable":
                    handoff["reason"] = handoff["reason"] or _short(custom.get("reason"), 80)
                    self.handoff = None  # nobody to take it: the bot carries on
            elif state == "agent":
                handoff = self._request(seq, ts)
                if handoff["assigned_at"] is None:
                    handoff["assigned_at"] = ts
                    handoff["queue_wait_s"] = ts - handoff["requested_at"]
            elif state == "bot":
                self._return(ts)
        elif kind == AGENT_MESSAGE:
            handoff = self._request(seq, ts)
            if handoff["first_agent_reply_at"] is None:
                handoff["first_agent_reply_at"] = ts
                handoff["first_response_s"] = ts - handoff["requested_at"]
                if handoff["assigned_at"] is None:
                    handoff["assigned_at"] = ts
                    handoff["queue_wait_s"] = ts - handoff["requested_at"]
        elif isinstance(kind, str):
            items = [str(i) for i in custom.get("items") or []]
            self.results.append(
                {
                    **self.base(seq, ts),
                    "result_type": kind[:40],
                    "label": _short(custom.get("label")),
                    "items": items,
                    "clicked_item": None,
                    "clicked_at": None,
                }
            )

    def _request(self, seq: int, ts: float) -> dict[str, Any]:
        """The open handoff, or a new one requested at ``seq``."""
        if self.handoff is None:
            self.handoff = {
                "conversation": self.conversation,
                "requested_seq": seq,
                "requested_at": ts,
                "reason": self.turn_reason,
                "assigned_at": None,
                "first_agent_reply_at": None,
                "resolved_at": None,
                "returned_to_bot": False,
                "queue_wait_s": None,
                "first_response_s": None,
                "resolution_s": None,
            }
            self.handoffs.append(self.handoff)
            self._unhandled_before_handoff()
        return self.handoff

    def _unhandled_before_handoff(self) -> None:
        """The message that was not understood, and went to a person, is unhandled: handoff."""
        for turn in reversed(self.turns[-2:]):
            if turn.row["fallback"]:
                turn.row["unhandled_reason"] = "handoff"
                return

    def _return(self, ts: float) -> None:
        if self.handoff is not None:
            self.handoff["resolved_at"] = ts
            self.handoff["returned_to_bot"] = True
            self.handoff["resolution_s"] = ts - self.handoff["requested_at"]
            self.handoff = None

    def on_pause(self, seq: int, ts: float, body: Mapping[str, Any]) -> None:
        self.paused = True
        self._request(seq, ts)

    def on_resume(self, seq: int, ts: float, body: Mapping[str, Any]) -> None:
        self.paused = False
        self._return(ts)

    def on_action(self, seq: int, ts: float, body: Mapping[str, Any]) -> None:
        name = body.get("name")
        if not isinstance(name, str) or name == "action_listen":
            return
        self.actions.append(
            {
                **self.base(seq, ts),
                "name": name,
                "policy": body.get("policy"),
                "confidence": body.get("confidence"),
            }
        )
        if body.get("handoff_reason"):
            self.turn_reason = body["handoff_reason"]
        if self.turns:
            turn = self.turns[-1]
            if name in FALLBACK_ACTIONS:
                turn.row["fallback"] = True
            if name in CLARIFY_ACTIONS:
                turn.row["clarified"] = True

    def on_slot(self, seq: int, ts: float, body: Mapping[str, Any]) -> None:
        name, value = body.get("name"), body.get("value")
        if name == REQUESTED_SLOT:
            if self.form is not None and isinstance(value, str):
                if not self.form["slots_asked"] or self.form["slots_asked"][-1] != value:
                    self.form["slots_asked"].append(value)
                self.pending_slot, self.pending_filled = value, False
            elif value is None and self.pending_filled:
                self.pending_slot = None
        elif name == self.pending_slot and value is not None:
            self.pending_filled = True
        elif name == HANDOFF_REASON_SLOT and isinstance(value, str):
            self.turn_reason = value
        elif name == CSAT_CONTEXT_SLOT and value in CSAT_CONTEXTS:
            self.csat_context = value
        elif name == CSAT_SLOT:
            score = _score(value)
            if score is not None:
                self.csat.append(
                    {
                        **self.base(seq, ts),
                        "score": score,
                        "context": self.csat_context or "conversation",
                    }
                )

    def on_active_loop(self, seq: int, ts: float, body: Mapping[str, Any]) -> None:
        name = body.get("name")
        if self.form is not None and name == self.form["name"]:
            return
        if self.form is not None:
            self._end_form(ts)
        if isinstance(name, str) and name:
            self.form = {
                "conversation": self.conversation,
                "name": name,
                "started_seq": seq,
                "started_at": ts,
                "ended_at": None,
                "outcome": "active",
                "slots_asked": [],
                "abandoned_at_slot": None,
            }
            self.pending_slot, self.pending_filled = None, False
            self.forms.append(self.form)
            if name in self.journeys.forms:
                self.journey_events.append((self.journeys.forms[name], "form"))

    def _end_form(self, ts: float | None) -> None:
        assert self.form is not None
        self.form["ended_at"] = ts
        if self.pending_slot is not None and not self.pending_filled:
            self.form["outcome"] = "abandoned"
            self.form["abandoned_at_slot"] = self.pending_slot
        else:
            self.form["outcome"] = "completed"
        self.form = None
        self.pending_slot, self.pending_filled = None, False

    # rollup -------------------------------------------------------------------------

    def finish(self) -> dict[str, list[dict[str, Any]]]:
        if self.form is not None and self.now - self.last_ts >= self.abandon_after_s:
            slot = self.pending_slot or (self.form["slots_asked"] or [None])[-1]
            self.form.update(ended_at=None, outcome="abandoned", abandoned_at_slot=slot)
            self.form = None
        turns = [t.row for t in self.turns]
        for turn in self.turns:
            row = turn.row
            if row["unhandled_reason"] is None:
                if turn.knowledge_abstained:
                    row["unhandled_reason"] = "abstained"
                elif row["fallback"]:
                    row["unhandled_reason"] = FALLBACK_INTENT
            row["handled"] = row["unhandled_reason"] is None
        return {
            "conversations": [self._conversation(turns)],
            "sessions": self.sessions,
            "turns": turns,
            "actions": self.actions,
            "forms": self.forms,
            "results": self.results,
            "knowledge_answers": self.knowledge,
            "generator_calls": self.generator,
            "handoffs": self.handoffs,
            "csat": self.csat,
        }

    def _journey(self) -> str | None:
        major = [j for j, _ in self.journey_events if j not in self.journeys.minor]
        if major:
            return major[0]
        return self.journey_events[0][0] if self.journey_events else None

    def _completed(self, journey: str | None) -> bool:
        if journey is None:
            return False
        forms = self.journeys.forms
        if any(forms.get(f["name"]) == journey and f["outcome"] == "completed" for f in self.forms):
            return True
        if any(self.journeys.results.get(r["result_type"]) == journey for r in self.results):
            return True
        if journey == "knowledge":
            return any(k["outcome"] in ("grounded", "quoted") for k in self.knowledge) or any(
                self.journeys.intents.get(t.row["intent"]) == journey and t.row["handled"]
                for t in self.turns
                if not t.knowledge_abstained
            )
        if journey == "handoff":
            return any(h["assigned_at"] is not None for h in self.handoffs)
        if journey in self.journeys.minor:
            return any(t.row["handled"] for t in self.turns)
        return False

    def _conversation(self, turns: list[dict[str, Any]]) -> dict[str, Any]:
        journey = self._journey()
        completed = self._completed(journey)
        customer = [t for t in turns if not t["by_agent"]]
        if self.handoffs:
            outcome = "escalated"
        elif completed:
            outcome = "contained"
        elif any(f["outcome"] == "abandoned" for f in self.forms) or (
            customer and not customer[-1]["handled"]
        ):
            outcome = "abandoned"
        else:
            outcome = "contained"
        responses = [t["response_ms"] for t in customer if t["response_ms"] is not None]
        channel = next((t["channel"] for t in turns if t["channel"] != "unknown"), "unknown")
        return {
            "conversation": self.conversation,
            "channel": channel,
            "started_at": self.first_ts or 0.0,
            "last_event_at": self.last_ts,
            "sessions": len(self.sessions),
            "user_turns": len(turns),
            "bot_messages": self.bot_messages,
            "fallbacks": sum(1 for t in turns if t["fallback"]),
            "journey": journey,
            "journey_completed": completed,
            "handed_off": bool(self.handoffs),
            "outcome": outcome,
            "avg_response_ms": sum(responses) / len(responses) if responses else None,
            "csat": self.csat[-1]["score"] if self.csat else None,
            "csat_prompted": self.csat_prompted or bool(self.csat),
        }


def _score(value: Any) -> int | None:
    try:
        score = int(value)
    except (TypeError, ValueError):
        return None
    return score if score in CSAT_SCORES and not isinstance(value, bool) else None


def derive(
    conversation: str,
    events: list[tuple[int, float, Mapping[str, Any]]],
    *,
    now: float,
    abandon_after_s: float = 1800.0,
    journeys: Journeys | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Every derived table's rows for one conversation, from its ``(seq, ts, body)`` in order."""
    state = _Derivation(conversation, journeys or Journeys(), abandon_after_s, now)
    for seq, ts, body in sorted(events, key=lambda e: e[0]):
        state.feed(seq, ts, body)
    return state.finish()


__all__ = [
    "SEQ_KEY",
    "Journeys",
    "MalformedEvent",
    "derive",
    "names_in",
    "redact_event",
    "result_summary",
]
