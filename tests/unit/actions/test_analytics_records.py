"""Analytics records on real action runs, through the action server's executor.

Each action runs the way ``python -m bot.actionserver`` runs it: an action call
(the engine's ``/webhook`` body) handed to :class:`RecordingExecutor`, with a
real AnswerPipeline over a real knowledge base and a scripted model, and the
real handoff action against a scripted handoff service. The records are read
back with the contract's own parser, and the action server's Prometheus series
are checked to move.
"""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from rasa_sdk import Action

from actions.answer import ActionAnswerQuestion
from actions.handoff import ActionHandoff
from bot.contract.analytics import record, records_in
from bot.sdk.analytics import RecordingExecutor, attach
from generators.answer import DONT_KNOW, AnswerPipeline
from generators.embeddings import HashingEmbedder
from generators.retrieval import KnowledgeBase, chunk_markdown
from generators.text import ScriptedGenerator
from tests.conftest import BRAND
from tests.unit.actions.test_handoff import QUEUED, Service

DOC = """# Returns and refunds
## Return window
You can return any product within 30 days of purchase with the receipt.
"""
SOURCE = "Returns and refunds: Return window"


def answer_action(*replies: str, delay_s: float = 0.0) -> ActionAnswerQuestion:
    kb = KnowledgeBase(chunk_markdown("returns", DOC), embedder=HashingEmbedder(), threshold=0.3)
    gen = ScriptedGenerator(replies=list(replies) or ["unused"], delay_s=delay_s)
    return ActionAnswerQuestion(
        AnswerPipeline(brand=BRAND, knowledge_base=kb, generator=gen, deadline_s=0.3)
    )


def action_call(name: str, text: str, *, intent: str = "ask_faq") -> dict[str, Any]:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    return {
        "next_action": name,
        "sender_id": "conv-1",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "conv-1",
            "slots": {"customer_name": "Ada"},
            "latest_message": latest,
            "events": [
                {"event": "user", "text": text, "input_channel": "rest", "parse_data": latest}
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


async def run(action: Action, text: str, **kw: Any) -> list[dict[str, Any]]:
    executor = RecordingExecutor()
    executor.register_action(action)
    result = await executor.run(action_call(action.name(), text, **kw))
    assert result is not None
    return result.responses


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_generated_answer_says_grounded_with_its_sources_and_the_model_call() -> None:
    calls = sample("tandem_generator_duration_seconds_count", backend="scripted", task="answer")
    runs = sample("tandem_action_duration_seconds_count", action="action_answer_question")
    messages = await run(
        answer_action("You can return any product within 30 days [1]."),
        "how many days to return a product",
    )
    assert len(messages) == 1
    knowledge, generator = records_in(messages[0]["metadata"])
    assert knowledge == {"kind": "knowledge", "outcome": "grounded", "sources": [SOURCE]}
    assert generator["kind"] == "generator"
    assert (generator["backend"], generator["task"]) == ("scripted", "answer")
    assert generator["deadline_hit"] is False
    assert 0 <= generator["latency_ms"] < 5000
    assert (
        sample("tandem_generator_duration_seconds_count", backend="scripted", task="answer")
        == calls + 1
    )
    assert (
        sample("tandem_action_duration_seconds_count", action="action_answer_question") == runs + 1
    )


async def test_a_model_past_its_deadline_is_a_deadline_hit_and_the_answer_is_quoted() -> None:
    hits = sample("tandem_generator_deadline_hits_total", backend="scripted", task="answer")
    messages = await run(
        answer_action("You can return any product within 30 days [1].", delay_s=1.0),
        "how many days to return a product",
    )
    knowledge, generator = records_in(messages[0]["metadata"])
    assert knowledge == {"kind": "knowledge", "outcome": "quoted", "sources": [SOURCE]}
    assert generator["deadline_hit"] is True
    assert generator["latency_ms"] >= 250  # the deadline is 0.3 s
    assert (
        sample("tandem_generator_deadline_hits_total", backend="scripted", task="answer")
        == hits + 1
    )


async def test_a_question_the_knowledge_does_not_cover_is_abstained_without_a_model_call() -> None:
    messages = await run(answer_action(), "what's the weather in paris")
    assert messages[0]["text"] == DONT_KNOW
    assert records_in(messages[0]["metadata"]) == [
        {"kind": "knowledge", "outcome": "abstained", "sources": []}
    ]


async def test_the_message_that_hands_over_carries_the_reason() -> None:
    action = ActionHandoff()
    action.client_factory = Service(201, QUEUED).client  # type: ignore[method-assign]
    messages = await run(action, "a person please", intent="ask_human")
    assert messages[-1]["custom"]["state"] == "waiting"
    assert records_in(messages[-1]["metadata"]) == [
        {"kind": "handoff_reason", "reason": "customer_request"}
    ]


async def test_an_unavailable_team_hands_nothing_over_so_no_reason_is_recorded() -> None:
    action = ActionHandoff()
    unavailable = {"status": "unavailable", "reason": "closed", "message": "Closed."}
    action.client_factory = Service(200, unavailable).client  # type: ignore[method-assign]
    messages = await run(action, "a person please", intent="ask_human")
    assert all(records_in(m.get("metadata")) == [] for m in messages)


def test_attach_keeps_what_the_metadata_had() -> None:
    merged = attach({"stream_id": "s1", "analytics": [record("csat_prompt", context="handoff")]},
                    record("handoff_reason", reason="complaint"))  # fmt: skip
    assert merged["stream_id"] == "s1"
    assert [r["kind"] for r in records_in(merged)] == ["csat_prompt", "handoff_reason"]


async def test_an_unknown_action_is_timed_under_one_label() -> None:
    executor = RecordingExecutor()
    before = sample("tandem_action_duration_seconds_count", action="<unknown>")
    with pytest.raises(Exception, match="action_nope"):
        await executor.run(action_call("action_nope", "hi"))
    assert sample("tandem_action_duration_seconds_count", action="<unknown>") == before + 1
