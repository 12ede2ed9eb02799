"""What a load-test customer says, what it writes down, and how the trackers are checked.

Plain functions with no Locust or gevent import, so the runner (``benchmarks/scale.py``)
and the tests use them too.

Every user message a Locust user sends is written to a journal (JSON lines) twice:
``sent`` before it goes out and ``acked`` when its reply came back. After the run each
conversation's tracker must hold its acknowledged messages exactly once, in the order
they were sent. A message whose reply never came (the run ended while it was in flight,
or it failed) may be in the tracker once or not at all, never twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Step:
    """One message of a journey; ``name`` is the Locust request name (the reply type)."""

    name: str
    text: str


JOURNEY: tuple[Step, ...] = (
    Step("greeting", "hello"),
    Step("knowledge", "how long does standard delivery take?"),
    Step("plan_start", "I need a new mobile plan"),
    Step("plan_slot", "about 12 GB"),
    Step("plan_slot", "500 minutes"),
    Step("plan_slot", "my budget is 30"),
    Step("plan_result", "3 days a month"),
    Step("recommendation", "can you recommend a laptop?"),
    Step("handoff", "I want to talk to a person"),
)
"""The reference assistant's journeys in one conversation (tests/e2e/test_journeys.py,
test_knowledge.py, test_handoff.py use the same messages): a greeting, a knowledge
question, the mobile-plan form to its card, a recommendation card, and a request for a
person, which pauses the conversation, so it comes last."""


STOCK_JOURNEY: tuple[Step, ...] = (
    Step("stock_greet", "hello"),
    Step("stock_mood", "I am sad"),
    Step("stock_affirm", "yes"),
    Step("stock_goodbye", "bye"),
)
"""A conversation with the bot ``rasa init`` writes (its mood bot), for the stock figure."""


def expected_reply(step: Step, messages: Sequence[Mapping[str, Any]]) -> str | None:
    """Why the bot's ``messages`` are not a reply to ``step``, or None when they are.

    Loose on purpose: the load test counts wrong kinds of reply (a fallback where a
    card was due) as errors without pinning wording that other tests check.
    """
    customs = [m.get("custom") or {} for m in messages]
    kinds = {c.get("type") for c in customs if isinstance(c, Mapping)}
    text = " ".join(str(m.get("text") or "") for m in messages)
    if step.name == "handoff":
        return None  # a person is asked for: the bot may say so, or stay silent if paused
    if not messages:
        return "no reply"
    if step.name == "plan_result" and "mobile_plan" not in kinds:
        return f"no mobile_plan card: {text[:120]!r}"
    if step.name == "recommendation" and "recommendations" not in kinds:
        return f"no recommendations card: {text[:120]!r}"
    return None


class Journal:
    """Appends ``sent``/``acked`` records as JSON lines; safe across threads and greenlets."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def _write(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line)

    def sent(self, conversation: str, channel: str, seq: int, text: str) -> None:
        self._write({"kind": "sent", "conversation": conversation, "channel": channel,
                     "seq": seq, "text": text})  # fmt: skip

    def acked(self, conversation: str, seq: int) -> None:
        self._write({"kind": "acked", "conversation": conversation, "seq": seq})


@dataclass
class Sent:
    """What one conversation's customer sent, in order, and which replies came back."""

    channel: str
    texts: list[str] = field(default_factory=list)
    acked: set[int] = field(default_factory=set)


def read_journal(lines: Iterable[str]) -> dict[str, Sent]:
    """Conversation id -> what was sent there, from a journal's lines."""
    conversations: dict[str, Sent] = {}
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        conversation = conversations.setdefault(
            record["conversation"], Sent(channel=record.get("channel", ""))
        )
        if record["kind"] == "sent":
            if record["seq"] != len(conversation.texts):
                raise ValueError(
                    f"journal out of order for {record['conversation']}: seq {record['seq']} "
                    f"after {len(conversation.texts)} messages; one user per conversation"
                )
            conversation.texts.append(record["text"])
        elif record["kind"] == "acked":
            conversation.acked.add(record["seq"])
    return conversations


def tracker_id(conversation: str, channel: str) -> str:
    """The tracker's id: REST senders live under ``rest:``; web chat ids are bare UUIDs."""
    return f"rest:{conversation}" if channel == "rest" else conversation


def user_texts(events: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(e.get("text") or "") for e in events if e.get("event") == "user"]


@dataclass
class Verdict:
    """One conversation's tracker against its journal."""

    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    unacked_missing: int = 0
    problems: list[str] = field(default_factory=list)


def check(sent: Sent, tracked: Sequence[str]) -> Verdict:
    """Compare the messages sent with the user messages of the tracker.

    ``lost``: acknowledged messages not in the tracker; ``duplicated``: messages in the
    tracker more often than they were sent; ``out_of_order``: messages in the tracker in
    another order than sent. A journey never repeats a text, so texts identify messages.
    """
    verdict = Verdict()
    for seq, text in enumerate(sent.texts):
        found = tracked.count(text)
        if found > 1:
            verdict.duplicated += found - 1
            verdict.problems.append(f"{text!r} is in the tracker {found} times")
        elif found == 0 and seq in sent.acked:
            verdict.lost += 1
            verdict.problems.append(f"{text!r} was answered but is not in the tracker")
        elif found == 0:
            verdict.unacked_missing += 1
    strangers = [t for t in tracked if t not in sent.texts]
    if strangers:
        verdict.duplicated += len(strangers)
        verdict.problems.append(f"messages nobody sent here: {strangers[:3]!r}")
    order = [t for t in dict.fromkeys(tracked) if t in sent.texts]
    if order != [t for t in sent.texts if t in order]:
        verdict.out_of_order += 1
        verdict.problems.append(f"order differs: tracker {order!r}")
    return verdict
