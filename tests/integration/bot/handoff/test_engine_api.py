# ruff: noqa: RUF001  (Chinese text, on purpose)
"""The engine-facing API: what Rasa's actions and event broker rely on."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from bot.handoff import HandoffSettings, OpenHours

from .conftest import SERVICE, TOKEN, Harness, running


async def test_health_needs_no_token(harness: Harness) -> None:
    response = await harness.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong-token"}, {"authorization": TOKEN}, {"authorization": ""}],
)
async def test_every_engine_route_wants_the_service_token(
    harness: Harness, headers: dict[str, str]
) -> None:
    body = {"conversation_id": "c1", "channel": "rest", "reason": "asked"}
    answers = [
        await harness.client.post("/api/handoffs", json=body, headers=headers),
        await harness.client.post(
            "/api/tickets", json={"conversation_id": "c1", "contact": "a@b.co"}, headers=headers
        ),
        await harness.client.post("/api/conversations/c1/notify", headers=headers),
    ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert "Authorization: Bearer" in answers[0].json()["error"]
    assert harness.runtime.store.active() == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"channel": "rest", "reason": "x"}, 422, "conversation_id"),
        ({"conversation_id": " ab", "channel": "rest", "reason": "x"}, 422, "conversation_id"),
        ({"conversation_id": "a\nb", "channel": "rest", "reason": "x"}, 422, "conversation_id"),
        ({"conversation_id": "c" * 257, "channel": "rest", "reason": "x"}, 422, "conversation_id"),
        ({"conversation_id": "c1", "channel": "rest", "reason": "   "}, 422, "reason"),
        ({"conversation_id": "c1", "channel": "rest", "reason": "x" * 501}, 422, "reason"),
        ({"conversation_id": "c1", "channel": "re st", "reason": "x"}, 422, "channel"),
        (
            {"conversation_id": "c1", "channel": "rest", "reason": "x", "priority": 10},
            422,
            "priority",
        ),
        (
            {"conversation_id": "c1", "channel": "rest", "reason": "x", "priority": -1},
            422,
            "priority",
        ),
        (
            {"conversation_id": "c1", "channel": "rest", "reason": "x", "customer_name": "n" * 101},
            422,
            "customer_name",
        ),
        ([1, 2], 400, None),
    ],
)
async def test_bad_handoff_requests_are_refused_and_queue_nothing(
    harness: Harness, body: object, status: int, field: str | None
) -> None:
    response = await harness.client.post("/api/handoffs", json=body, headers=SERVICE)
    assert response.status_code == status
    if field:
        assert response.json()["error"].startswith(f"{field}:")
    assert harness.runtime.store.active() == []


async def test_invalid_json_and_huge_bodies(harness: Harness) -> None:
    headers = {**SERVICE, "content-type": "application/json"}
    broken = await harness.client.post(
        "/api/handoffs", content=b'{"conversation_id": ', headers=headers
    )
    assert broken.status_code == 400
    assert "not valid JSON" in broken.json()["error"]
    huge = await harness.client.post("/api/handoffs", content=b"x" * 200_000, headers=headers)
    assert huge.status_code == 413


async def test_queue_positions_follow_priority_then_arrival(harness: Harness) -> None:
    first = (await harness.request_handoff("c1")).json()
    second = (await harness.request_handoff("c2")).json()
    urgent = await harness.request_handoff("c3", priority=9)
    assert urgent.status_code == 201
    assert (first["position"], second["position"]) == (1, 2)
    assert urgent.json()["position"] == 1
    assert urgent.json()["status"] == "waiting"
    # nobody from the team is signed in: no made-up figure (test_queue_status.py has more)
    assert first["expected_wait_s"] is None and second["expected_wait_s"] is None
    assert "nobody from the team is online" in second["wait_text"]
    assert second["place_text"] == "You're number 2 in the queue."
    again = await harness.request_handoff("c2")
    assert again.status_code == 200
    assert again.json()["id"] == second["id"]
    assert (again.json()["status"], again.json()["position"]) == ("waiting", 3)
    assert again.json()["place_text"] == "You're number 3 in the queue."


async def test_idempotent_while_active_and_new_after_close(harness: Harness) -> None:
    first = await harness.request_handoff("c1", customer_name="Ana")
    assert first.status_code == 201
    repeat = await harness.request_handoff("c1", reason="asked again")
    assert repeat.status_code == 200
    assert repeat.json()["id"] == first.json()["id"]
    assert len(harness.runtime.store.active()) == 1
    harness.runtime.store.close(first.json()["id"], "returned")
    later = await harness.request_handoff("c1")
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]


async def test_outside_open_hours_the_answer_is_unavailable(settings: HandoffSettings) -> None:
    # Open only on Sundays 03:00-03:01 in Tokyo: closed practically always.
    hours = OpenHours.parse("sun 03:00-03:01", timezone="Asia/Tokyo")
    if hours.is_open(datetime.now(UTC)):
        pytest.skip("the one open minute of the week")
    async with running(replace(settings, open_hours=hours)) as h:
        response = await h.request_handoff("c1")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["reason"] == "closed"
        assert "Sun 03:00-03:01 (Asia/Tokyo time)" in body["message"]
        assert "e-mail" in body["message"]
        assert h.runtime.store.active() == []


async def test_a_full_queue_offers_a_ticket_instead(settings: HandoffSettings) -> None:
    async with running(replace(settings, max_queue=2)) as h:
        assert [(await h.request_handoff(c)).status_code for c in ("a", "b")] == [201, 201]
        full = await h.request_handoff("c")
        assert full.status_code == 200
        assert full.json()["status"] == "unavailable"
        assert full.json()["reason"] == "queue_full"
        # a customer already queued still gets an answer about their place
        assert (await h.request_handoff("a")).json()["position"] == 1


@pytest.mark.parametrize(
    ("contact", "ok"),
    [
        ("Ana@Example.com", True),
        ("+44 20 7946 0101", True),
        ("(020) 7946-0101", True),
        ("not a contact", False),
        ("123", False),
        ("+1 234 567 890 123 456 7", False),
        ("ana@", False),
    ],
)
async def test_tickets_need_an_email_or_phone(harness: Harness, contact: str, ok: bool) -> None:
    response = await harness.client.post(
        "/api/tickets",
        json={"conversation_id": "c1", "contact": contact, "note": "call me after 5"},
        headers=SERVICE,
    )
    if ok:
        assert response.status_code == 201
        assert isinstance(response.json()["id"], int)
        assert [e.target for e in harness.audit("ticket_created")] == [
            f"ticket:{response.json()['id']}"
        ]
    else:
        assert response.status_code == 422
        assert "contact" in response.json()["error"]


async def test_notify_syncs_the_conversation_soon(harness: Harness) -> None:
    harness.gateway.customer_says("c1", "I need a person")
    await harness.request_handoff("c1")
    harness.gateway.customer_says("c1", "hello? anyone there?")
    response = await harness.client.post("/api/conversations/c1/notify", headers=SERVICE)
    assert response.status_code == 202
    await harness.runtime.service.syncer.drain()
    [handoff] = harness.runtime.store.active()
    assert [m.text for m in harness.runtime.store.messages(handoff.id)] == ["hello? anyone there?"]
    for bad_id in ("%20ab", "a%09b", "a%0Ab"):  # edge space, tab, newline
        bad = await harness.client.post(f"/api/conversations/{bad_id}/notify", headers=SERVICE)
        assert bad.status_code == 422, bad_id


@pytest.mark.parametrize(
    "conversation_id",
    ["slack:T1:C2:1700000000.000100", "19:abc@thread.tacv2;messageid=1", "rest:ünï çødé"],
)
async def test_every_channel_id_shape_reaches_the_queue(
    harness: Harness, conversation_id: str
) -> None:
    """Slack, Teams and non-ASCII ids are requested, queued and notified like any other."""
    harness.gateway.customer_says(conversation_id, "a person please")
    response = await harness.client.post(
        "/api/handoffs",
        json={"conversation_id": conversation_id, "channel": "rest", "reason": "asked"},
        headers=SERVICE,
    )
    assert response.status_code in (200, 201), response.text
    quoted = quote(conversation_id, safe="")
    notified = await harness.client.post(f"/api/conversations/{quoted}/notify", headers=SERVICE)
    assert notified.status_code == 202
    [handoff] = harness.runtime.store.active()
    assert handoff.conversation_id == conversation_id


async def test_a_request_while_rasa_is_down_still_queues(harness: Harness) -> None:
    harness.gateway.customer_says("c1", "hi")
    harness.gateway.customer_says("c1", "a person please")
    harness.gateway.down = True
    response = await harness.request_handoff("c1")
    assert response.status_code == 201
    harness.gateway.down = False
    await harness.sync("c1")
    [handoff] = harness.runtime.store.active()
    # the last customer message before the request is where the handoff began
    assert handoff.start_index == 1
    assert [m.text for m in harness.runtime.store.messages(handoff.id)] == ["a person please"]
    assert handoff.context["messages"] == [
        {"sender": "customer", "text": "hi", "at": handoff.context["messages"][0]["at"]}
    ]


def test_settings_without_a_service_token_fail_at_start() -> None:
    from bot.errors import ConfigError
    from bot.handoff import create_app

    with pytest.raises(ConfigError, match="TANDEM_HANDOFF_SERVICE_TOKEN"):
        create_app(HandoffSettings(db_url="sqlite://", service_token=""))


async def test_one_sender_cannot_keep_asking_for_a_person(harness: Harness) -> None:
    limit = harness.runtime.settings.max_requests_per_sender
    for _ in range(limit):
        queued = await harness.request_handoff("rest:flood")
        assert queued.status_code == 201
        # asking again while queued is the same place in the queue, not a new one
        assert (await harness.request_handoff("rest:flood")).json()["id"] == queued.json()["id"]
        harness.runtime.store.close(queued.json()["id"], "returned")
    refused = await harness.request_handoff("rest:flood")
    assert refused.status_code == 200
    assert refused.json()["status"] == "unavailable"
    assert refused.json()["reason"] == "too_many"
    assert "try again a little later" in refused.json()["message"]
    assert harness.runtime.store.active() == []
    assert harness.audit("handoff_limited")
    # someone else is not affected
    assert (await harness.request_handoff("rest:someone-else")).status_code == 201


async def test_one_address_cannot_fill_the_queue(harness: Harness) -> None:
    """A burst from one client address, each request under a new sender id."""
    settings = harness.runtime.settings
    answers = await asyncio.gather(
        *(harness.request_handoff(f"rest:bot{n}", client_ip="203.0.113.5") for n in range(50))
    )
    queued = [a for a in answers if a.status_code == 201]
    assert len(queued) == settings.max_waiting_per_ip < settings.max_queue
    assert {a.json()["reason"] for a in answers if a.status_code == 200} == {"too_many"}
    assert harness.runtime.store.waiting_count() == settings.max_waiting_per_ip
    # other customers still get a place, and IPv6 addresses are compared in one spelling
    assert (await harness.request_handoff("web:ana", client_ip="198.51.100.7")).status_code == 201
    first = await harness.request_handoff("web:v6a", client_ip="2001:DB8::1")
    assert first.status_code == 201
    assert harness.runtime.store.get(first.json()["id"]).client_ip == "2001:db8::1"
    # once the queue moves, the address may ask again
    harness.runtime.store.close(queued[0].json()["id"], "resolved")
    assert (await harness.request_handoff("rest:bot99", client_ip="203.0.113.5")).status_code == 201


async def test_loopback_addresses_are_not_limited(harness: Harness) -> None:
    """Loopback is a local client or a proxy relaying every customer: limiting it would
    turn one address's limit into a limit on the whole queue."""
    settings = harness.runtime.settings
    for n in range(settings.max_waiting_per_ip + 2):
        answer = await harness.request_handoff(f"rest:local{n}", client_ip="127.0.0.1")
        assert answer.status_code == 201, answer.text


async def test_client_ip_must_be_an_address(harness: Harness) -> None:
    bad = await harness.request_handoff("rest:x", client_ip="203.0.113.5; DROP TABLE")
    assert bad.status_code == 422 and "client_ip" in bad.json()["error"]
    assert harness.runtime.store.active() == []


async def test_a_chinese_customer_is_answered_in_chinese(settings: HandoffSettings) -> None:
    async with running(settings) as h:
        first = (await h.request_handoff("c1", language="zh")).json()
        second = (await h.request_handoff("c2", language="zh-CN")).json()
        english = (await h.request_handoff("c3")).json()
        assert first["place_text"] == "下一位就轮到您了。"
        assert second["place_text"] == "您前面还有 1 位，排在第 2 位。"
        assert "没有同事在线" in second["wait_text"]
        assert english["place_text"] == "You're number 3 in the queue."
        [queued] = [x for x in h.runtime.store.active() if x.conversation_id == "c2"]
        assert queued.context["slots"]["language"] == "zh"  # later messages speak it too
    hours = OpenHours.parse("sun 03:00-03:01", timezone="Asia/Tokyo")
    if hours.is_open(datetime.now(UTC)):
        pytest.skip("the one open minute of the week")
    async with running(replace(settings, open_hours=hours)) as h:
        body = (await h.request_handoff("c9", language="zh")).json()
        assert (body["reason"], body["language"]) == ("closed", "zh")
        assert "周日 03:00-03:01（Asia/Tokyo 时间）" in body["message"]
        assert "电子邮箱或电话号码" in body["message"]
