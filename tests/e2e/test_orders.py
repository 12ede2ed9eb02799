""" "Where is my order?" on the real servers: verified status from the demo order system.

The action server seeds the SQLite order system from data/catalog/orders.yml
(dates relative to today), so VL-10003 is on its way with Royal Mail, VL-10008
is days late, and VL-10014 waits in a store.
"""

from __future__ import annotations

import json

import pytest

from bot.supervisor import Supervisor
from tests.e2e.conftest import say, send, tracker

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def text_of(messages: list[str]) -> str:
    return " ".join(messages)


def test_number_then_email_shows_the_order_and_nothing_personal_is_stored(
    assistant: Supervisor,
) -> None:
    sender = "orders-1"
    asked = text_of(say(assistant, sender, "hi, where's my order?"))
    assert "order number" in asked and "VL-" in asked
    asked = text_of(say(assistant, sender, "it's VL-10003"))
    assert "e-mail address or the postcode" in asked
    reply = text_of(say(assistant, sender, "Priya.N@example.com"))
    assert "VL-10003 (Pulse ANC) is on its way" in reply
    assert "Royal Mail" in reply and "RM482915067GB" in reply
    stored = json.dumps(tracker(assistant, sender)["events"])
    assert "priya.n@example.com" not in stored.lower()


def test_both_details_in_one_message_with_a_postcode(assistant: Supervisor) -> None:
    reply = text_of(
        say(
            assistant,
            "orders-2",
            "my parcel hasnt arrived yet - order vl10014, postcode E1 6AN",
        )
    )
    assert "ready to collect at Voltline Downtown" in reply
    stored = json.dumps(tracker(assistant, "orders-2")["events"])
    assert "E1 6AN" not in stored and "[postcode]" in stored


def test_wrong_pairs_get_one_neutral_refusal_and_are_limited(assistant: Supervisor) -> None:
    sender = "orders-3"
    say(assistant, sender, "can you check on my delivery please")
    say(assistant, sender, "VL-10003")
    wrong_email = text_of(say(assistant, sender, "someone.else@example.com"))
    assert "couldn't find an order" in wrong_email and "Pulse ANC" not in wrong_email
    assert "order number" in wrong_email  # asked again
    say(assistant, sender, "VL-19999")
    unknown = text_of(say(assistant, sender, "priya.n@example.com"))
    assert unknown == wrong_email
    say(assistant, sender, "VL-10003")
    locked = text_of(say(assistant, sender, "B15 2TU"))
    assert "can't check more orders in this chat" in locked
    # Even the right pair is refused now, in this conversation.
    say(assistant, sender, "where is my parcel")
    say(assistant, sender, "VL-10003")
    still = text_of(say(assistant, sender, "priya.n@example.com"))
    assert "can't check more orders" in still and "Pulse ANC" not in still


def test_a_late_order_is_handed_to_a_person(assistant: Supervisor) -> None:
    sender = "orders-4"
    say(assistant, sender, "can you tell me when my order will arrive")
    messages = send(assistant, sender, "VL-10008 lena.f@example.com")
    reply = text_of([m.get("text", "") for m in messages])
    assert "Forge G15" in reply and "days late" in reply
    handoffs = [m["custom"] for m in messages if (m.get("custom") or {}).get("type") == "handoff"]
    assert handoffs, messages


def test_never_mind_leaves_the_order_check(assistant: Supervisor) -> None:
    sender = "orders-5"
    assert "order number" in text_of(say(assistant, sender, "wheres my oder"))
    reply = text_of(say(assistant, sender, "never mind"))
    assert "stopped" in reply
    assert tracker(assistant, sender)["active_loop"] in ({}, None) or not tracker(
        assistant, sender
    )["active_loop"].get("name")
