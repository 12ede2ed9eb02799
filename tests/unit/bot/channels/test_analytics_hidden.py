"""Analytics records ride on bot messages for the store, never to the customer.

A message as the action server sends it (text, a custom payload, and
``metadata`` with a stream id and analytics records) becomes Rasa's BotUttered
the way Rasa makes it (``create_bot_utterance``), and each channel's output
sends ``BotUttered.message()``, as Rasa's processor does.
"""

from __future__ import annotations

import asyncio
import json

from rasa.core.actions.action import create_bot_utterance

from bot.channels.rest import _RestOutput
from bot.channels.webchat import WebChatOutput
from tests.unit.bot.channels.test_webchat import SESSION, RecordingSio

RECORDS = [
    {"kind": "knowledge", "outcome": "grounded", "sources": ["Returns: Return window"]},
    {"kind": "generator", "backend": "local", "task": "answer", "latency_ms": 812.0,
     "deadline_hit": False},
]  # fmt: skip


def bot_message() -> dict:
    response = {
        "text": "You can return any product within 30 days.",
        "buttons": [],
        "custom": {"type": "handoff", "state": "waiting", "position": 2},
        "response": None,
        "image": None,
        "attachment": None,
        "elements": [],
        "metadata": {"stream_id": "answer-1", "analytics": RECORDS},
    }
    event = create_bot_utterance(response)
    assert event.as_dict()["metadata"]["metadata"]["analytics"] == RECORDS  # stored for analytics
    return event.message()


def test_the_web_chat_sends_the_stream_id_but_not_the_records() -> None:
    sio = RecordingSio()
    output = WebChatOutput(sio, namespace=None)  # type: ignore[arg-type]
    asyncio.run(output.send_response(SESSION, bot_message()))
    sent = [data for event, data, _ in sio.emitted if event == "bot_uttered"]
    assert sent and all("analytics" not in json.dumps(data) for data in sent)
    assert sent[0]["metadata"] == {"stream_id": "answer-1"}
    assert sent[0]["text"].startswith("You can return")


def test_the_rest_channel_returns_no_records() -> None:
    output = _RestOutput("alice")
    asyncio.run(output.send_response("alice", bot_message()))
    assert output.messages and "analytics" not in json.dumps(output.messages)
    assert output.messages[0]["text"].startswith("You can return")
