"""Summaries and suggested replies: deterministic fallback, prompt, parsing, background model."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.console.assist import Assistant, build_prompt, extractive, parse
from bot.handoff.live import Hub
from bot.handoff.models import Handoff, Message
from generators.errors import GenerationTimeout, ValidationFailed
from generators.text import ScriptedGenerator

NOW = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
GOOD = (
    "Summary: Ana's Nova 8 does not charge; the bot could not help.\n"
    "Reply 1: Hi Ana, I'm sorry about your phone. Which charger do you use?\n"
    "Reply 2: Could you tell me when you bought it?\n"
    "Reply 3: Let me check the warranty for you."
)


def handoff() -> Handoff:
    return Handoff(
        id=7,
        reason="asked for a person",
        customer_name="Ana",
        status="assigned",
        agent_id=1,
        context={
            "messages": [
                {"sender": "customer", "text": "hi, I'm ana@example.com", "at": NOW.isoformat()},
                {"sender": "bot", "text": "Hi! How can I help?", "at": NOW.isoformat()},
            ],
            "slots": {"customer_name": "Ana", "phone": "+44 20 7946 0101"},
        },
    )


def messages(*texts: tuple[str, str]) -> list[Message]:
    return [Message(seq=10 + i, sender=s, text=t, sent_at=NOW) for i, (s, t) in enumerate(texts)]


def test_extractive_summary_names_request_details_and_last_messages() -> None:
    result = extractive(handoff(), messages(("customer", "My Nova 8 won't charge. Can you help?")))
    assert result.source == "extractive"
    lines = result.summary.splitlines()
    assert lines[0] == "Request: My Nova 8 won't charge. Can you help?"
    assert lines[1] == "Handed over because: asked for a person"
    # the name is known once, from the slot; the phone number is not shown (tickets keep it)
    assert lines[2] == "Known details: customer name: Ana; phone: [phone]"
    assert lines[-1] == "Customer: My Nova 8 won't charge. Can you help?"
    assert result.suggestions == [
        "Hi Ana, thanks for waiting. I've read your conversation with Volt and I'm here to help.",
        "Let me check that for you; it will take a moment.",
        "Could you tell me a little more, for example which product or order this is about?",
    ]


def test_extractive_without_a_transcript_uses_what_came_before() -> None:
    result = extractive(handoff(), [])
    assert result.summary.startswith("Request: hi, I'm [email]")
    after_reply = extractive(handoff(), messages(("customer", "hello"), ("agent", "Hi!")))
    assert not after_reply.suggestions[0].startswith("Hi Ana")


def test_prompt_redacts_personal_data() -> None:
    prompt = build_prompt(handoff(), messages(("customer", "call me on +44 20 7946 0101")))
    text = "\n".join(m.content for m in prompt)
    assert "ana@example.com" not in text and "7946" not in text
    assert "[EMAIL]" in text and "[PHONE]" in text
    assert prompt[0].role == "system" and "Reply 1:" in prompt[0].content


def test_parse_accepts_the_format_and_keeps_raw_output_on_failure() -> None:
    result = parse(GOOD)
    assert result.source == "model"
    assert result.summary == "Ana's Nova 8 does not charge; the bot could not help."
    assert len(result.suggestions) == 3
    with pytest.raises(ValidationFailed) as caught:
        parse("I think the customer is upset.")
    assert caught.value.raw == "I think the customer is upset."


async def test_the_model_answers_in_the_background_and_is_cached() -> None:
    hub = Hub()
    generator = ScriptedGenerator(replies=[GOOD])
    assistant = Assistant(hub=hub, factory=lambda: generator, deadline_s=5)
    with hub.subscribe() as inbox:
        first = assistant.for_handoff(handoff(), messages(("customer", "help")))
        assert first.source == "extractive"  # never waits for the model
        await assistant.drain()
        event = inbox.get_nowait()
    assert event["type"] == "assist" and event["handoff_id"] == 7 and event["last_seq"] == 10
    assert event["assist"]["source"] == "model"
    second = assistant.for_handoff(handoff(), messages(("customer", "help")))
    assert second.source == "model" and second.summary.startswith("Ana's Nova 8")
    assert len(generator.calls) == 1


@pytest.mark.parametrize(
    "reply",
    ["no format at all", GenerationTimeout("too slow", deadline_s=0.1)],
)
async def test_a_failing_model_leaves_the_extractive_version(reply: object) -> None:
    hub = Hub()
    generator = ScriptedGenerator(replies=[reply])  # type: ignore[list-item]
    assistant = Assistant(hub=hub, factory=lambda: generator, deadline_s=2)
    with hub.subscribe() as inbox:
        assistant.for_handoff(handoff(), messages(("customer", "help")))
        await assistant.drain()
        assert inbox.empty()
    assert assistant.for_handoff(handoff(), messages(("customer", "help"))).source == "extractive"
    await assistant.cancel()


async def test_a_hanging_model_is_abandoned_at_the_deadline() -> None:
    hub = Hub()
    assistant = Assistant(
        hub=hub, factory=lambda: ScriptedGenerator(replies=[GOOD], delay_s=5), deadline_s=0.2
    )
    assistant.for_handoff(handoff(), [])
    started = asyncio.get_running_loop().time()
    await assistant.drain()
    assert asyncio.get_running_loop().time() - started < 2


async def test_without_a_model_nothing_runs_in_the_background() -> None:
    assistant = Assistant(hub=Hub(), factory=None)
    assert assistant.for_handoff(handoff(), []).source == "extractive"
    assert assistant._running == {}


def test_the_summary_never_shows_a_card_number() -> None:
    """Even from a transcript stored before redaction, and whatever a model answers."""
    card = "4111 1111 1111 1111"
    result = extractive(handoff(), messages(("customer", f"charge my card {card} please?")))
    shown = result.summary + " ".join(result.suggestions)
    assert card not in shown and "4111" not in shown and "[card]" in result.summary
    replies = GOOD.split("\n", 1)[1]
    parsed = parse(f"Summary: The customer gave card {card} for the order.\n{replies}")
    assert card not in parsed.summary and "[card]" in parsed.summary
    # an order number of the same shape that fails the Luhn check is kept
    order = extractive(handoff(), messages(("customer", "order 4111 1111 1111 1112?")))
    assert "4111 1111 1111 1112" in order.summary
