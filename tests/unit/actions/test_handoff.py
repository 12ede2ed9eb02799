# ruff: noqa: RUF001  (Chinese texts, on purpose)
"""action_handoff and the contact-details path, against a scripted handoff service."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff, ActionLeaveContact
from bot.sdk.handoff import HandoffClient, handoff_reason, interrupted_form, parse_contact


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


# What the handoff service answers for a queued customer (bot/handoff/estimate.py).
QUEUED = {
    "id": "h1",
    "status": "waiting",
    "position": 3,
    "expected_wait_s": 240,
    "expected_wait_min": 4,
    "waited_s": 0,
    "agents_online": 1,
    "place_text": "You're number 3 in the queue.",
    "wait_text": "The wait is about 4 minutes.",
}


async def test_an_accepted_handoff_tells_the_wait_and_pauses_the_conversation() -> None:
    service = Service(201, QUEUED)
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
    # the service's words, so the bot and the widget's banner say the same
    assert messages[0]["text"].startswith(
        "I've asked a colleague to join us. You're number 3 in the queue. "
        "The wait is about 4 minutes."
    )
    assert "never mind" in messages[0]["text"]  # how to take it back
    custom = messages[0]["custom"]
    assert (custom["type"], custom["state"]) == ("handoff", "waiting")
    assert {k: custom[k] for k in QUEUED if k not in ("id", "status")} == {
        k: v for k, v in QUEUED.items() if k not in ("id", "status")
    }
    assert ConversationPaused() in events
    assert SlotSet("handoff_reason", None) in events


async def test_no_estimate_is_said_honestly() -> None:
    unknown = {
        **QUEUED,
        "position": 1,
        "expected_wait_s": None,
        "expected_wait_min": None,
        "place_text": "You're next in the queue.",
        "wait_text": "I can't estimate the wait yet.",
    }
    messages, _ = await _run(ActionHandoff(), _tracker(), Service(201, unknown))
    assert "You're next in the queue. I can't estimate the wait yet." in messages[0]["text"]
    assert "minute" not in messages[0]["text"]


@pytest.mark.parametrize(
    ("tracker", "apology"),
    [
        (_tracker(intent="complaint"), "I'm sorry about this"),
        (
            _tracker(latest_extra={"frustration": {"score": 0.8, "frustrated": True}}),
            "I'm sorry this has been frustrating.",
        ),
        (_tracker(slots={"handoff_reason": "frustration"}), "I'm sorry this has been frustrating."),
    ],
)
async def test_an_upset_customer_hears_an_apology_first(tracker: Tracker, apology: str) -> None:
    for answer in (QUEUED, {"status": "unavailable", "reason": "closed", "message": "Closed."}):
        messages, _ = await _run(ActionHandoff(), tracker, Service(200, answer))
        assert messages[0]["text"].startswith(apology)
        assert len(messages) == 2 and "sorry" not in messages[1]["text"].lower()


async def test_a_plain_request_gets_no_apology() -> None:
    messages, _ = await _run(ActionHandoff(), _tracker(), Service(201, QUEUED))
    assert len(messages) == 1 and "sorry" not in messages[0]["text"].lower()


def _mid_form(*, ended_by_policy: bool) -> Tracker:
    events = [
        {"event": "user", "text": "which plan?", "parse_data": {"intent": {"name": "x"}}},
        {"event": "active_loop", "name": "mobile_plan_form"},
        {"event": "slot", "name": "plan_data_gb", "value": 12},
        {"event": "user", "text": "a person please", "input_channel": "webchat",
         "parse_data": {"intent": {"name": "ask_human"}}},
    ]  # fmt: skip
    if ended_by_policy:
        events += [
            {"event": "active_loop", "name": None},
            {"event": "slot", "name": "handoff_reason", "value": "ask_human"},
        ]
    return Tracker(
        sender_id="conv-1",
        slots={"plan_data_gb": 12, "handoff_reason": "ask_human" if ended_by_policy else None},
        latest_message={"text": "a person please", "intent": {"name": "ask_human"}},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={} if ended_by_policy else {"name": "mobile_plan_form"},
        latest_action_name="action_listen",
    )


async def test_a_form_interrupted_by_the_request_travels_with_it() -> None:
    tracker = _mid_form(ended_by_policy=True)
    assert interrupted_form(tracker) == "mobile_plan_form"
    assert interrupted_form(_mid_form(ended_by_policy=False)) == "mobile_plan_form"
    assert interrupted_form(_tracker()) is None
    service = Service(201, QUEUED)
    _, events = await _run(ActionHandoff(), tracker, service)
    body = service.requests[0][1]
    assert body["form"] == {
        "name": "mobile_plan_form",
        "title": "Carry on with the mobile plan questions",
        "payload": "/ask_plan_advice",
    }
    assert body["reason"] == "customer_request"  # the policy's "ask_human" is a plain request
    # the answers stay: nothing resets the form's slots
    assert not any(e.get("name") == "plan_data_gb" for e in events)


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


# A Chinese conversation: the same flow, the customer reads Chinese.


def _chinese(**slots: Any) -> Tracker:
    return _tracker(slots={"language": "zh", **slots})


async def test_a_chinese_customer_hears_the_queue_in_chinese_from_the_numbers() -> None:
    messages, events = await _run(ActionHandoff(), _chinese(), Service(201, QUEUED))
    text = messages[0]["text"]
    assert text.startswith(
        "我已请一位同事加入对话。您前面还有 2 位，排在第 3 位。预计等待约 4 分钟。"
    )
    assert "算了" in text  # how to take it back, in words the cancel check knows
    assert messages[0]["custom"]["place_text"] == QUEUED["place_text"]  # the widget's contract
    assert ConversationPaused() in events


async def test_a_chinese_apology_and_form_button_come_from_the_assistants_catalog() -> None:
    service = Service(201, QUEUED)
    tracker = _mid_form(ended_by_policy=True)
    tracker.slots.update(language="zh", handoff_reason="complaint")
    messages, _ = await _run(ActionHandoff(), tracker, service)
    assert messages[0]["text"].startswith("对此我们深表歉意")
    assert service.requests[0][1]["form"]["title"] == "继续回答手机套餐的问题"


async def test_nobody_free_is_said_in_chinese_with_the_phone_number() -> None:
    closed = {"status": "unavailable", "reason": "closed", "message": "Our team is closed."}
    messages, events = await _run(ActionHandoff(), _chinese(), Service(200, closed))
    assert messages[0]["text"].startswith("我们的团队现在不在服务时间内")
    assert "0800 555 0199" in messages[0]["text"] and "营业时间" in messages[0]["text"]
    assert FollowupAction("contact_form") in events
    messages, _ = await _run(ActionHandoff(), _chinese(), Service(503, {"error": "x"}))
    assert messages[0]["text"].startswith("很抱歉，我现在联系不上我们的团队。")


async def test_a_chinese_ticket_is_confirmed_in_chinese() -> None:
    tracker = _chinese(handoff_contact="ada@example.com")
    messages, _ = await _run(ActionLeaveContact(), tracker, Service(201, {"id": "t1"}))
    assert messages[0]["text"].startswith("谢谢，我已把 ada@example.com 转给我们的团队")


async def test_the_service_is_told_the_language_and_its_chinese_words_are_kept() -> None:
    worded = "我们团队的服务时间是周一至周六 09:00-18:00（Europe/London 时间），现在无人接待。"
    closed = {"status": "unavailable", "reason": "closed", "message": worded, "language": "zh"}
    service = Service(200, closed)
    messages, events = await _run(ActionHandoff(), _chinese(), service)
    assert service.requests[0][1]["language"] == "zh"
    assert messages[0]["text"].startswith(worded)  # with the hours, not the catalog's words
    assert "0800 555 0199" in messages[0]["text"]
    assert FollowupAction("contact_form") in events


async def test_a_failed_ticket_gives_the_opening_hours_in_chinese(monkeypatch) -> None:
    monkeypatch.setattr(ActionLeaveContact, "opening_hours", lambda self, language=None: (
        "周一至周六 09:00-18:00" if language == "zh" else "Mon-Sat 09:00-18:00"
    ))  # fmt: skip
    tracker = _chinese(handoff_contact="ada@example.com")
    messages, _ = await _run(ActionLeaveContact(), tracker, Service(503, {"error": "x"}))
    assert messages[0]["text"].startswith("很抱歉，我暂时无法转交您的联系方式。")
    assert "周一至周六 09:00-18:00" in messages[0]["text"]
