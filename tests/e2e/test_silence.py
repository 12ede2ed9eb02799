"""Issue 18 #1 on the real servers: every customer message gets a bot message,
unless a person has the conversation.

Each message is the first of a fresh conversation, as in the trial that found
them silent (``[]`` over REST), except "£30", which is also sent after a result.
"""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest

from bot.handoff.gateway import HttpxRasaGateway
from bot.supervisor import Supervisor
from tests.e2e.conftest import (
    conversation_url,
    rasa_api_headers,
    rest_conversation_id,
    say,
    send,
    tracker,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

ONCE_SILENT = [
    "ok",
    "?",
    "sure",
    "zzzz",
    "£30",
    "whats the interest rate if I pay over 24 months",
]


def fresh(name: str) -> str:
    return f"e2e-silence-{name}-{secrets.token_hex(3)}"


@pytest.mark.parametrize("text", ONCE_SILENT)
def test_a_message_that_got_no_reply_gets_one(assistant: Supervisor, text: str) -> None:
    reply = say(assistant, fresh("first"), text)
    assert reply and all(t.strip() for t in reply), reply


def test_an_amount_after_a_result_gets_a_reply(assistant: Supervisor) -> None:
    sender = fresh("after")
    assert say(assistant, sender, "can you recommend a laptop?")
    # The amount is a budget for the laptops just shown: nothing fits, and the
    # reply says so above the closest (a card message carries no text).
    reply = send(assistant, sender, "£30")
    assert reply and all((m.get("text") or "").strip() or m.get("custom") for m in reply), reply
    assert "Nothing in our range fits laptops under £30" in reply[0]["text"]


def test_a_yes_with_no_question_pending_offers_the_main_options(assistant: Supervisor) -> None:
    [message] = send(assistant, fresh("options"), "ok")
    assert "What can I help you with?" in message["text"]
    assert {"/ask_store_hours", "/ask_human"} <= {b["payload"] for b in message["buttons"]}


def test_a_conversation_with_a_person_gets_nothing_from_the_bot(assistant: Supervisor) -> None:
    sender = fresh("paused")
    reply = say(assistant, sender, "I want to talk to a person")
    assert any("colleague" in text for text in reply), reply
    assert tracker(assistant, sender)["paused"] is True
    for text in ONCE_SILENT:
        assert send(assistant, sender, text) == [], text


def test_a_greeting_after_the_return_to_the_bot_is_answered(assistant: Supervisor) -> None:
    """The customer's turn after "return to bot", as the handoff service leaves the
    tracker, sent as a triggered intent the way API-based channels send turns."""
    sender = fresh("returned")
    assert any("colleague" in t for t in say(assistant, sender, "I want to talk to a person"))
    conversation_id = rest_conversation_id(sender)

    async def give_back() -> None:
        settings = assistant.settings
        gateway = HttpxRasaGateway(settings.rasa_url, token=settings.rasa_token)
        try:
            await gateway.resume(conversation_id, "You're back with Volt.")
        finally:
            await gateway.aclose()

    asyncio.run(give_back())
    assert tracker(assistant, sender)["paused"] is False
    response = httpx.post(
        f"{conversation_url(assistant, conversation_id)}/trigger_intent",
        json={"name": "greet"},
        headers=rasa_api_headers(assistant),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    texts = [m.get("text") or "" for m in response.json()["messages"]]
    assert texts and all(t.strip() for t in texts), texts
    assert say(assistant, sender, "ok"), "and so is the next message over REST"
