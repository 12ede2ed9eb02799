# ruff: noqa: RUF001  (Chinese text, on purpose)
"""Who may see and do what, queue order and expected waits: pure rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from bot.handoff import OpenHours, errors
from bot.handoff.accounts import Staff
from bot.handoff.api import UNAVAILABLE_MESSAGES, HandoffRequest, TicketRequest, unavailable_message
from bot.handoff.live import DROPPED, Hub
from bot.handoff.models import Handoff
from bot.handoff.service import can_act, can_view
from bot.handoff.store import queue_order
from bot.sdk.i18n import kit_catalog

T0 = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
AGENT = Staff(1, "a@x.io", "Ana", "agent")
OTHER = Staff(2, "b@x.io", "Bo", "agent")
BOSS = Staff(3, "s@x.io", "Sue", "supervisor")


def h(
    id: int, status: str = "waiting", priority: int = 0, minutes: int = 0, agent: int | None = None
) -> Handoff:
    return Handoff(
        id=id,
        status=status,
        priority=priority,
        agent_id=agent,
        created_at=T0 + timedelta(minutes=minutes),
        assigned_at=T0 + timedelta(minutes=minutes + 1) if agent else None,
    )


def test_permissions() -> None:
    waiting, mine, theirs, closed = (
        h(1),
        h(2, "assigned", agent=1),
        h(3, "assigned", agent=2),
        h(4, "resolved", agent=2),
    )
    assert [can_view(AGENT, x) for x in (waiting, mine, theirs, closed)] == [
        True,
        True,
        False,
        False,
    ]
    assert [can_act(AGENT, x) for x in (waiting, mine, theirs, closed)] == [
        False,
        True,
        False,
        False,
    ]
    assert all(can_view(BOSS, x) and can_act(BOSS, x) for x in (waiting, mine, theirs, closed))
    assert can_view(OTHER, theirs) and not can_view(OTHER, mine)
    # A request the customer cancelled while waiting: whoever saw it queued sees why it left.
    cancelled = h(5, "cancelled")
    assert can_view(AGENT, cancelled) and can_view(OTHER, cancelled)
    assert not can_act(AGENT, cancelled)


def test_queue_order_is_waiting_by_priority_then_age_then_assigned() -> None:
    ordered = queue_order(
        [h(1, minutes=0), h(2, "assigned", agent=1), h(3, priority=5, minutes=5), h(4, minutes=1)]
    )
    assert [x.id for x in ordered] == [3, 1, 4, 2]


def test_handoff_request_contract() -> None:
    ok = HandoffRequest.model_validate(
        {
            "conversation_id": "19:abc@thread.skype;messageid=1",
            "channel": "bot.channels.teams",
            "reason": "  frustrated  ",
            "extra": "ignored",
        }
    )
    assert ok.priority == 0 and ok.reason == "frustrated" and ok.customer_name is None
    with pytest.raises(ValidationError):
        HandoffRequest.model_validate({"conversation_id": "x/y", "channel": "rest", "reason": "r"})


@pytest.mark.parametrize("contact", ["+44 20 7946 0101", "ana@example.com", "0044-20-7946-0101"])
def test_ticket_contacts(contact: str) -> None:
    assert TicketRequest.model_validate({"conversation_id": "c", "contact": contact}).contact


def test_error_statuses() -> None:
    assert errors.http_status(errors.GatewayError("x")) == 502
    assert errors.http_status(errors.NotFound("x")) == 404
    assert errors.http_status(errors.Conflict("x")) == 409
    assert errors.http_status(errors.Forbidden("x")) == 403
    assert errors.http_status(errors.NotAuthenticated("x")) == 401
    assert errors.http_status(errors.InvalidInput("x")) == 400


async def test_hub_drops_a_subscriber_that_falls_behind() -> None:
    hub = Hub(max_backlog=3)
    with hub.subscribe() as slow, hub.subscribe() as fast:
        for i in range(3):
            hub.publish({"type": "x", "i": i})
            fast.get_nowait()
        hub.publish({"type": "x", "i": 3})
        assert fast.get_nowait()["i"] == 3
        assert [slow.get_nowait()["i"] for _ in range(3)] == [0, 1, 2]
        assert slow.get_nowait() is DROPPED
        assert hub.subscribers == 1


def test_public_names_are_pinned() -> None:
    import bot.handoff

    assert sorted(bot.handoff.__all__) == [
        "Accounts",
        "Conflict",
        "FakeRasaGateway",
        "Forbidden",
        "GatewayError",
        "HandoffError",
        "HandoffSettings",
        "HttpxRasaGateway",
        "InvalidInput",
        "NotAuthenticated",
        "NotFound",
        "OpenHours",
        "RasaGateway",
        "Staff",
        "create_app",
    ]
    for name in bot.handoff.__all__:
        assert getattr(bot.handoff, name) is not None


def test_the_request_names_the_conversations_language() -> None:
    body = {"conversation_id": "c1", "channel": "rest", "reason": "r"}
    assert HandoffRequest.model_validate(body).language is None
    assert HandoffRequest.model_validate({**body, "language": "zh-CN"}).language == "zh"
    with pytest.raises(ValidationError):
        HandoffRequest.model_validate({**body, "language": "<script>"})


@pytest.mark.parametrize("reason", ["closed", "too_many", "queue_full"])
def test_nobody_available_is_said_in_the_conversations_language(reason: str) -> None:
    hours = OpenHours.parse("mon-sat 09:00-18:00", timezone="Europe/London")
    service = SimpleNamespace(settings=SimpleNamespace(open_hours=hours), catalog=kit_catalog())
    sunday = datetime(2026, 12, 6, 21, 30, tzinfo=UTC)
    english = unavailable_message(service, reason, None, sunday)  # type: ignore[arg-type]
    assert english == UNAVAILABLE_MESSAGES[reason].format(
        hours=hours.describe(), next_open=hours.describe_next(sunday)
    )
    assert unavailable_message(service, reason, "en", sunday) == english  # type: ignore[arg-type]
    chinese = unavailable_message(service, reason, "zh", sunday)  # type: ignore[arg-type]
    assert "电子邮箱或电话号码" in chinese
    assert not re.search(r"\b[a-z]{3,}\b", chinese.replace("Europe/London", "")), chinese
    if reason == "closed":
        assert "周一至周六 09:00-18:00" in chinese and "明天（周一）09:00" in chinese
