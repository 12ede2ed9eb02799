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


def test_extractive_summary_names_problem_details_and_last_messages() -> None:
    result = extractive(
        handoff(),
        messages(("customer", "My Nova 8 won't charge. Can you help?")),
        assistant_name="Volt",
    )
    assert result.source == "extractive"
    lines = result.summary.splitlines()
    assert lines[0] == "Problem (in the customer's words): My Nova 8 won't charge. Can you help?"
    assert lines[1] == "Handed over because: asked for a person"
    # the name is known once, from the slot; the phone number is not shown (tickets keep it)
    assert lines[2] == "Known details: customer name: Ana; phone: [phone]"
    assert lines[-1] == "Customer: My Nova 8 won't charge. Can you help?"
    assert result.suggestions == [
        "Hi Ana, thanks for waiting. I've read what you told Volt about \"My Nova 8 won't "
        "charge. Can you help?\" and I'm here to help.",
        "Let me check that for you; it will take a moment.",
        "Could you tell me a little more, for example when this started and your order number "
        "if you have one?",
    ]


def test_extractive_without_a_problem_says_so() -> None:
    result = extractive(handoff(), [])
    assert result.summary.startswith("Problem: not said yet")
    assert "What can I help you with today?" in result.suggestions
    after_reply = extractive(handoff(), messages(("customer", "hello"), ("agent", "Hi!")))
    assert not after_reply.suggestions[0].startswith("Hi Ana")


def _asked_for_a_person_after(
    *earlier: tuple[str, str, str | None], reason: str = "customer_request"
) -> Handoff:
    """A handoff whose context holds ``(sender, text, intent)`` messages and a fallback slot."""
    context_messages = [
        {"sender": s, "text": t, "at": NOW.isoformat(), **({"intent": i} if i else {})}
        for s, t, i in earlier
    ]
    return Handoff(
        id=8,
        reason=reason,
        customer_name=None,
        status="waiting",
        context={
            "messages": context_messages,
            "slots": {"answer_outcome": "fallback", "handoff_reason": reason, "plan_data_gb": "12"},
            "form": {
                "name": "mobile_plan_form",
                "title": "Carry on",
                "payload": "/ask_plan_advice",
            },
        },
    )


def test_the_summary_states_the_customers_problem_not_the_request_for_a_person() -> None:
    handoff = _asked_for_a_person_after(
        ("customer", "hello", "greet"),
        ("bot", "Hi! How can I help?", None),
        ("customer", "my nova 8 wont charge after 2 days, email me at ana@example.com", None),
        ("bot", "Sorry, I don't know that one.", None),
        ("customer", "I want to talk to a person", "ask_human"),
    )
    result = extractive(handoff, messages(("customer", "I want to talk to a person")))
    lines = result.summary.splitlines()
    assert lines[0] == (
        "Problem (in the customer's words): my nova 8 wont charge after 2 days, email me at [email]"
    )
    assert lines[1] == "Handed over because: the customer asked for a person"
    assert lines[2].startswith("Interrupted: the mobile plan questions")
    assert "plan data gb: 12" in result.summary
    # bookkeeping slots are not the customer's details
    assert "answer outcome" not in result.summary and "fallback" not in result.summary
    assert "Request:" not in result.summary
    # the suggested replies use the conversation: the problem and the unfinished form
    assert "my nova 8 wont charge" in result.suggestions[0]
    assert any("mobile plan questions" in s for s in result.suggestions)
    prompt = build_prompt(handoff, [])[1].content
    assert "The customer's problem, in their words: my nova 8 wont charge" in prompt
    assert "answer_outcome" not in prompt


def test_an_upset_customer_gets_an_apology_among_the_suggestions() -> None:
    handoff = _asked_for_a_person_after(
        ("customer", "this is the third time my refund has not arrived!!!", None),
        reason="frustration",
    )
    result = extractive(handoff, [])
    assert "the customer sounded frustrated" in result.summary
    assert any(s.startswith("I'm sorry") for s in result.suggestions)


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
