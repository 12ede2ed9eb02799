"""One example of every message in bot.contract, shared by the tests of both venvs."""

from __future__ import annotations

from typing import Any

from bot.contract.handoff import (
    HandoffAccepted,
    HandoffRequest,
    HandoffUnavailable,
    InterruptedForm,
    NotifyReply,
    TicketRequest,
    handoff_reply_from_dict,
)
from bot.contract.payloads import StructuredPayload
from bot.contract.rephrase import RephraseReply, RephraseRequest, RephraseTurn
from bot.contract.stream import StreamDraft

SESSION = "0f8fad5b-d9cb-469f-a165-70867728950e"


def messages() -> list[Any]:
    return [
        StreamDraft(session_id=SESSION, stream_id="answer-1", delta="Our returns", done=False),
        StreamDraft(session_id=SESSION, stream_id="answer-1", delta="", done=True),
        RephraseRequest(
            text="Hi! I'm Volt.",
            turns=(RephraseTurn("user", "hello"), RephraseTurn("bot", "Hi there")),
            response="utter_greet",
            keep=("Volt",),
            deadline_s=1.5,
        ),
        RephraseRequest(text="Hello"),
        RephraseReply(text="Hello there!", rephrased=True),
        RephraseReply(text="Hello", rephrased=False, reason="a fact was lost"),
        HandoffRequest(
            conversation_id="slack:T1:C1:1700000000.1",
            channel="slack",
            reason="complaint",
            priority=7,
            customer_name="Ada",
            client_ip="203.0.113.5",
            form=InterruptedForm("credit_form", "Carry on", "/ask_credit_check"),
            language="zh",
        ),
        HandoffRequest(conversation_id="c1", channel="rest", reason="customer_request"),
        TicketRequest(conversation_id="c1", contact="ada@example.com", note="nobody was free"),
        NotifyReply(),
        StructuredPayload.current("marketing_copy", {"brief": {"product": "Nova 8"}}),
    ]


def round_trip(message: Any) -> Any:
    """``message`` through JSON-compatible dicts and back."""
    return type(message).from_dict(message.to_dict())


def handoff_replies() -> list[HandoffAccepted | HandoffUnavailable]:
    return [
        HandoffAccepted(
            handoff_id="h1",
            position=3,
            expected_wait_s=240,
            status={"position": 3, "expected_wait_s": 240, "place_text": "You're number 3."},
        ),
        HandoffUnavailable(reason="closed", message="We're closed.", next_open="2026-01-05T09:00"),
        HandoffUnavailable(reason="queue_full", message="The queue is full."),
        HandoffUnavailable(reason="too_many", message="请稍后再试。", language="zh"),
    ]


def reply_round_trip(reply: HandoffAccepted | HandoffUnavailable) -> Any:
    return handoff_reply_from_dict(reply.to_dict())
