"""Plays conversations against the real servers over Rasa's REST channel and judges them.

Each conversation gets a fresh sender, so no state leaks between them. After
every turn the runner reads the tracker through Rasa's HTTP API (slots, the
active form, whether a person has the conversation, the actions run) and
hands reply and tracker to :func:`~benchmarks.convsuite.judge.judge_turn`.
The latency of a turn is the REST call alone, as a customer waits for it.

While a person has the conversation, the bot's words reach a REST customer
only out of band (the handoff service resumes the bot through Rasa's API, as
when a waiting customer cancels; the web widget shows them live). For such a
turn the runner waits up to ``late_wait_s`` for bot messages stored after the
customer's message and judges them as the reply the customer reads.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from benchmarks.convsuite.judge import Observation, Product, Verdict, excerpt, judge_turn
from benchmarks.convsuite.schema import Conversation

REST_NAMESPACE = "rest:"  # bot/channels/rest.py: the conversation of sender s is "rest:s"


class RestClient:
    """One Rasa server: the REST webhook for turns, the HTTP API for trackers."""

    def __init__(
        self,
        rasa_url: str,
        *,
        token: str,
        timeout_s: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = rasa_url.rstrip("/")
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
        )

    def send(self, sender: str, text: str) -> tuple[list[dict[str, Any]], float]:
        start = time.perf_counter()
        response = self._client.post(
            f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        )
        elapsed_ms = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise RuntimeError(
                f"REST turn for {sender!r} answered {response.status_code}: {response.text[:300]}"
            )
        return list(response.json()), elapsed_ms

    def tracker(self, sender: str) -> dict[str, Any]:
        conversation = quote(f"{REST_NAMESPACE}{sender}", safe="")
        response = self._client.get(f"{self.url}/conversations/{conversation}/tracker")
        response.raise_for_status()
        return dict(response.json())

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class TurnResult:
    user: str
    verdict: Verdict
    latency_ms: float
    reply: str  # a one-line excerpt, for the failure listing
    digression: bool


@dataclass(frozen=True)
class ConversationResult:
    conversation: Conversation
    sender: str
    turns: tuple[TurnResult, ...]

    @property
    def success(self) -> bool:
        return all(t.verdict.helpful for t in self.turns)


def bot_messages_after_last_user(tracker: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The bot messages stored after the customer's latest message, REST-shaped."""
    events = list(tracker.get("events") or [])
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    messages = []
    for event in events[last_user + 1 :]:
        if event.get("event") != "bot":
            continue
        data = event.get("data") or {}
        message: dict[str, Any] = {"text": event.get("text") or ""}
        for key in ("buttons", "custom", "image"):
            if data.get(key):
                message[key] = data[key]
        messages.append(message)
    return messages


def play(
    conversation: Conversation,
    client: RestClient,
    catalog: Sequence[Product],
    *,
    run_id: str,
    late_wait_s: float = 6.0,
    poll_s: float = 0.25,
) -> ConversationResult:
    """All turns of one conversation, each judged right after it."""
    sender = f"suite-{run_id}-{conversation.id}"[:120]
    paused = False
    results = []
    for turn in conversation.turns:
        messages, ms = client.send(sender, turn.user)
        tracker = client.tracker(sender)
        if paused and not messages:
            deadline = time.monotonic() + late_wait_s
            # Until the words are stored and, if they gave the bot back, the
            # tracker says so (the service stores them first, then resumes).
            while not (messages := bot_messages_after_last_user(tracker)) or tracker.get("paused"):
                if time.monotonic() >= deadline:
                    break
                time.sleep(poll_s)
                tracker = client.tracker(sender)
        verdict = judge_turn(turn, Observation(messages, tracker, paused, ms), catalog)
        results.append(TurnResult(turn.user, verdict, ms, excerpt(messages), turn.digression))
        paused = bool(tracker.get("paused"))
    return ConversationResult(conversation, sender, tuple(results))


def play_all(
    conversations: Sequence[Conversation],
    client: RestClient,
    catalog: Sequence[Product],
    *,
    workers: int = 1,
    progress: Callable[[ConversationResult], None] | None = None,
) -> list[ConversationResult]:
    """Every conversation, ``workers`` at a time, in the suite's order."""
    run_id = secrets.token_hex(3)

    def one(c: Conversation) -> ConversationResult:
        result = play(c, client, catalog, run_id=run_id)
        if progress:
            progress(result)
        return result

    if workers <= 1:
        return [one(c) for c in conversations]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, conversations))


def transcript(results: Sequence[ConversationResult]) -> list[Mapping[str, Any]]:
    """Every turn with its verdict, for the test results folder (not for commits)."""
    return [
        {
            "id": r.conversation.id,
            "category": r.conversation.category,
            "heldout": r.conversation.heldout,
            "sender": r.sender,
            "turns": [
                {
                    "user": t.user,
                    "reply": t.reply,
                    "helpful": t.verdict.helpful,
                    "failures": list(t.verdict.failures),
                    "reply_type": t.verdict.reply_type,
                    "latency_ms": round(t.latency_ms, 1),
                }
                for t in r.turns
            ],
        }
        for r in results
    ]
