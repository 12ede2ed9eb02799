"""Hand-built event streams, as the engine publishes them (bot.contract.analytics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.contract.analytics import SEQ_KEY, record


@dataclass
class Stream:
    """One conversation's envelopes; each call appends events ``step`` seconds apart."""

    sender: str
    channel: str = "socketio"
    t: float = 1_700_000_000.0
    events: list[dict[str, Any]] = field(default_factory=list)

    def add(self, event: str, *, after: float = 1.0, **fields: Any) -> Stream:
        self.t += after
        envelope = {
            "event": event,
            "timestamp": self.t,
            **fields,
            "sender_id": self.sender,
            SEQ_KEY: len(self.events),
        }
        self.events.append(envelope)
        return self

    def session(self, after: float = 1.0) -> Stream:
        self.add("action", after=after, name="action_session_start")
        self.add("session_started", after=0.0)
        self.add("action", after=0.0, name="action_listen")
        return self

    def user(
        self,
        text: str,
        intent: str,
        confidence: float = 0.9,
        *,
        entities: list[dict[str, Any]] | None = None,
        after: float = 1.0,
    ) -> Stream:
        self.add(
            "user",
            after=after,
            text=text,
            input_channel=self.channel,
            metadata={"display_name": "raw channel metadata"},
            parse_data={
                "text": text,
                "intent": {"name": intent, "confidence": confidence},
                "entities": entities or [],
                "intent_ranking": [{"name": intent, "confidence": confidence}],
            },
        )
        return self

    def action(self, name: str, *, after: float = 0.1, **fields: Any) -> Stream:
        self.add("action", after=after, name=name, policy="RulePolicy", confidence=1.0, **fields)
        return self

    def bot(
        self,
        text: str | None,
        *,
        utter: str | None = None,
        custom: dict[str, Any] | None = None,
        records: list[dict[str, Any]] | None = None,
        after: float = 0.4,
    ) -> Stream:
        metadata: dict[str, Any] = {}
        if utter:
            metadata["utter_action"] = utter
        if records:
            metadata["analytics"] = records
        self.add(
            "bot", after=after, text=text, data={"custom": custom} if custom else {},
            metadata=metadata,
        )  # fmt: skip
        return self

    def slot(self, name: str, value: Any, *, after: float = 0.0) -> Stream:
        self.add("slot", after=after, name=name, value=value)
        return self

    def loop(self, name: str | None, *, after: float = 0.0) -> Stream:
        self.add("active_loop", after=after, name=name)
        return self

    def listen(self) -> Stream:
        return self.action("action_listen", after=0.0)


def knowledge(outcome: str, *sources: str) -> dict[str, Any]:
    return record("knowledge", outcome=outcome, sources=list(sources))


def generator(latency_ms: float, deadline_hit: bool = False) -> dict[str, Any]:
    return record(
        "generator", backend="local", task="answer", latency_ms=latency_ms,
        deadline_hit=deadline_hit,
    )  # fmt: skip


def recommendations(*product_ids: str) -> dict[str, Any]:
    items = [
        {"product_id": p, "name": f"Product {p}", "category": "phones", "price": 199.0,
         "score": 0.8, "source": "hybrid", "reason": "fits"}
        for p in product_ids
    ]  # fmt: skip
    return {
        "type": "recommendations",
        "schema_version": 1,
        "data": {"customer_id": "C-0042", "items": items},
    }
