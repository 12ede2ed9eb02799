"""action_handoff and the contact-details path, against a scripted handoff service."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import (
    ActionHandoff,
    ActionLeaveContact,
    HandoffClient,
    handoff_reason,
    parse_contact,
    wait_phrase,
)


def _tracker(
    *,
    intent: str = "ask_human",
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    latest_extra: dict[str, Any] | None = None,
) -> Tracker:
    events = events or [
        {"event": "user", "text": "a person please", "input_channel": "webchat",
         "parse_data": {"intent": {"name": intent}}},
    ]  # fmt: skip
    latest = {"text": "a person please", "intent": {"name": intent}, **(latest_extra or {})}
    return Tracker(
        sender_id="conv-1",
        slots={"customer_name": "Ada", **(slots or {})},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


class Service:
    """A scripted handoff service: records requests, answers what it is told."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body
        self.requests: list[tuple[str, dict[str, Any], str]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(
            (request.url.path, json.loads(request.content), request.headers["Authorization"])
        )
        return httpx.Response(self.status, json=self.body)

    def client(self) -> HandoffClient:
        return HandoffClient(
            url="http://handoff", service_token="tok", transport=httpx.MockTransport(self.handler)
        )


async def _run(action: Any, tracker: Tracker, service: Service) -> tuple[list, list]:
    action.client_factory = service.client
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


async def test_an_accepted_handoff_tells_the_wait_and_pauses_the_conversation() -> None:
    service = Service(201, {"id": "h1", "status": "waiting", "position": 3, "expected_wait_s": 240})
    messages, events = await _run(ActionHandoff(), _tracker(), service)
    path, body, auth = service.requests[0]
    assert (path, auth) == ("/api/handoffs", "Bearer tok")
    assert body == {
        "conversation_id": "conv-1",
        "channel": "webchat",
        "reason": "customer_request",
        "priority": 4,
        "customer_name": "Ada",
    }
    assert "number 3 in the queue" in messages[0]["text"]
    assert "about 4 minutes" in messages[0]["text"]
    assert messages[0]["custom"] == {
        "type": "handoff", "state": "waiting", "position": 3, "expected_wait_s": 240,
    }  # fmt: skip
    assert ConversationPaused() in events
    assert SlotSet("handoff_reason", None) in events


@pytest.mark.parametrize("down", [(503, {"error": "x"}), None])
async def test_no_agent_or_no_service_asks_for_contact_details(down: Any) -> None:
    if down is None:
        service = Service(200, {"status": "unavailable", "reason": "closed",
                                "message": "Our team is closed until 9:00 tomorrow."})  # fmt: skip
    else:
        service = Service(*down)
    messages, events = await _run(ActionHandoff(), _tracker(), service)
    assert ConversationPaused() not in events
    assert FollowupAction("contact_form") in events
    assert "0800 555 0199" in messages[0]["text"]
    assert messages[0]["custom"]["state"] == "unavailable"
    if down is None:
        assert messages[0]["text"].startswith("Our team is closed until 9:00 tomorrow.")


async def test_contact_details_become_a_ticket() -> None:
    service = Service(201, {"id": "t1"})
    tracker = _tracker(slots={"handoff_contact": "ada@example.com", "handoff_reason": "complaint"})
    messages, events = await _run(ActionLeaveContact(), tracker, service)
    path, body, _ = service.requests[0]
    assert path == "/api/tickets"
    assert body["contact"] == "ada@example.com"
    assert "complaint" in body["note"]
    assert "ada@example.com" in messages[0]["text"]
    assert SlotSet("handoff_contact", None) in events


async def test_a_ticket_that_cannot_be_stored_gives_the_phone_number() -> None:
    service = Service(500, {})
    tracker = _tracker(slots={"handoff_contact": "+447700900123"})
    messages, _ = await _run(ActionLeaveContact(), tracker, service)
    assert "0800 555 0199" in messages[0]["text"]


def test_the_reason_comes_from_the_conversation() -> None:
    assert handoff_reason(_tracker()) == "customer_request"
    assert handoff_reason(_tracker(intent="complaint")) == "complaint"
    upset = _tracker(latest_extra={"frustration": {"score": 0.9, "frustrated": True}})
    assert handoff_reason(upset) == "frustration"
    assert (
        handoff_reason(_tracker(slots={"handoff_reason": "credit_declined"})) == "credit_declined"
    )
    missed = [
        {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "bot", "metadata": {"utter_action": "utter_fallback_clarify"}},
        {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "bot", "metadata": {"utter_action": "utter_fallback_offer_human"}},
        {"event": "user", "parse_data": {"intent": {"name": "ask_human"}}},
    ]
    assert handoff_reason(_tracker(events=missed)) == "repeated_fallback"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("it's Ada@Example.com thanks", "ada@example.com"),
        ("call me on +44 7700 900123", "+447700900123"),
        ("(020) 7946-0958", "02079460958"),
    ],
)
def test_contact_details_are_read_from_free_text(text: str, value: str) -> None:
    assert parse_contact(text).value == value


@pytest.mark.parametrize("text", ["tomorrow", "123", "my name is Ada", ""])
def test_no_contact_details_means_a_clear_reask(text: str) -> None:
    parsed = parse_contact(text)
    assert parsed.value is None and "e-mail address" in (parsed.error or "")


def test_wait_phrase() -> None:
    assert wait_phrase(30) == "about a minute"
    assert wait_phrase(61) == "about 2 minutes"


async def test_the_address_a_channel_saw_goes_with_the_request() -> None:
    service = Service(201, {"id": "h1", "status": "waiting", "position": 1, "expected_wait_s": 60})
    verified = {"metadata": {"tandem_auth": {"client_ip": "203.0.113.5"}}}
    await _run(ActionHandoff(), _tracker(latest_extra=verified), service)
    assert service.requests[0][1]["client_ip"] == "203.0.113.5"
    # an address a client put anywhere else is not the channel's word
    service = Service(201, {"id": "h1", "status": "waiting", "position": 1, "expected_wait_s": 60})
    spoofed = {"metadata": {"client_ip": "198.51.100.1"}}
    await _run(ActionHandoff(), _tracker(latest_extra=spoofed), service)
    assert "client_ip" not in service.requests[0][1]
