"""A waiting customer's queue status, cancelling, the interrupted form and support hours.

The service runs in-process with a fake Rasa and an injected clock, so "14
minutes later" and "Sunday night" need no waiting and no luck with the time
the tests run at.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.handoff import HandoffSettings, OpenHours
from bot.handoff.models import Handoff

from .conftest import Harness, running


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


@pytest.fixture
async def service(settings: HandoffSettings, clock: Clock) -> AsyncIterator[Harness]:
    # An agent counts as online for an hour after their console last checked in,
    # so the clock can jump ahead without the agent "leaving".
    async with running(replace(settings, online_window_s=3600), clock=clock) as h:
        yield h


def seed_history(h: Harness, now: datetime, waits_s: list[float]) -> None:
    """Claimed handoffs of the past hour that waited ``waits_s`` each."""
    for i, wait in enumerate(waits_s):
        created = now - timedelta(minutes=30 + i)
        h.runtime.store.create(
            Handoff(
                conversation_id=f"old-{i}",
                channel="webchat",
                reason="asked",
                status="resolved",
                created_at=created,
                assigned_at=created + timedelta(seconds=wait),
                closed_at=created + timedelta(seconds=wait + 60),
            )
        )


def updates(h: Harness, conversation_id: str) -> list[dict[str, Any]]:
    """The queue updates appended to a conversation (text-less handoff messages)."""
    return [
        event["data"]["custom"]
        for cid, events in h.gateway.appended
        if cid == conversation_id
        for event in events
        if event.get("event") == "bot" and "text" not in event
    ]


async def ask(h: Harness, conversation_id: str, **body: Any) -> dict[str, Any]:
    response = await h.request_handoff(conversation_id, channel="webchat", **body)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def test_the_estimate_comes_from_recent_claims_and_the_agents_online(
    service: Harness, clock: Clock
) -> None:
    seed_history(service, clock.now, [90.0, 150.0, 120.0])  # typical: 2 minutes
    answer = await ask(service, "nobody-online")
    assert answer["expected_wait_s"] is None
    assert "nobody from the team is online" in answer["wait_text"]

    await service.user("ana.agent@example.com", "Marta")
    await service.console("ana.agent@example.com")  # signed in: one agent online
    second = await ask(service, "second")
    assert (second["position"], second["agents_online"]) == (2, 1)
    assert (second["expected_wait_s"], second["expected_wait_min"]) == (240, 4)
    assert second["wait_text"] == "The wait is about 4 minutes."
    assert second["place_text"] == "You're number 2 in the queue."


async def test_a_long_wait_updates_the_customer_instead_of_keeping_about_1_minute(
    service: Harness, clock: Clock
) -> None:
    seed_history(service, clock.now, [60.0])
    await service.user("ana.agent@example.com", "Marta")
    await service.console("ana.agent@example.com")
    first = await ask(service, "w1")
    assert first["wait_text"] == "The wait is about 1 minute."
    assert await service.runtime.service.refresh_statuses() == 0  # nothing new to say yet

    clock.now += timedelta(minutes=14)
    assert await service.runtime.service.refresh_statuses() == 1
    [update] = updates(service, "w1")
    assert update["state"] == "waiting" and update["expected_wait_s"] is None
    assert update["wait_text"] == "It's taking longer than usual, sorry; you keep your place."
    assert update["waited_s"] == 14 * 60
    # said once: the next sweep sends nothing while nothing changes
    assert await service.runtime.service.refresh_statuses() == 0


async def test_the_next_customer_hears_they_are_next_when_the_one_ahead_is_claimed(
    service: Harness, clock: Clock
) -> None:
    # the claim below adds a wait of a few seconds; the median stays at 2 minutes
    seed_history(service, clock.now, [120.0, 120.0, 120.0])
    await service.user("ana.agent@example.com", "Marta")
    marta = await service.console("ana.agent@example.com")
    ahead = await ask(service, "ahead")
    behind = await ask(service, "behind")
    rest = (await service.request_handoff("over-rest", channel="rest")).json()
    assert (behind["position"], behind["wait_text"]) == (2, "The wait is about 4 minutes.")

    assert (await marta.act(ahead["id"], "claim")).status_code == 200
    await service.runtime.service.drain()
    [update] = updates(service, "behind")
    assert update["place_text"] == "You're next in the queue."
    assert update["position"] == 1
    assert update["wait_text"] == "The wait is about 2 minutes."
    # the REST channel cannot show an update: none is sent there
    assert rest["position"] == 3 and updates(service, "over-rest") == []


async def test_never_mind_while_waiting_cancels_and_the_console_shows_it(
    service: Harness,
) -> None:
    g = service.gateway
    g.customer_says("c1", "my nova 8 wont charge")
    g.customer_says("c1", "can I talk to a person")
    handoff = await ask(service, "c1")
    g.pause("c1")
    await service.user("ana.agent@example.com", "Marta")
    marta = await service.console("ana.agent@example.com")

    g.customer_says("c1", "can I cancel my order instead?")  # a message for the colleague
    await service.sync("c1")
    assert service.runtime.store.active_handoff("c1") is not None

    g.customer_says("c1", "ah never mind, I'll wait for the bot")
    await service.sync("c1")
    assert service.runtime.store.active_handoff("c1") is None
    resumed = [
        events for cid, events in g.appended if cid == "c1" and events[0]["event"] == "resume"
    ]
    assert len(resumed) == 1
    said = resumed[0][1]
    assert said["text"].startswith("OK, I've cancelled your request for a colleague.")
    assert said["data"]["custom"] == {"type": "handoff", "state": "bot", "cancelled": True}

    detail = (await marta.get(f"/console/api/handoffs/{handoff['id']}")).json()
    assert detail["handoff"]["status"] == "cancelled"
    assert [m["sender"] for m in detail["messages"]][-2:] == ["customer", "system"]
    assert (await marta.get("/console/api/queue")).json() == []
    assert [e.target for e in service.audit("cancel")] == [f"handoff:{handoff['id']}"]
    assert (await marta.act(handoff["id"], "claim")).status_code == 409

    # once an agent has joined, "never mind" is for the agent
    joined = await ask(service, "c2")
    g.pause("c2")
    await marta.act(joined["id"], "claim")
    g.customer_says("c2", "never mind")
    await service.sync("c2")
    assert service.runtime.store.active_handoff("c2").status == "assigned"  # type: ignore[union-attr]


async def test_returning_to_the_bot_offers_the_interrupted_form(service: Harness) -> None:
    form = {"name": "mobile_plan_form", "title": "Carry on with the plan", "payload": "/plan"}
    handoff = await ask(service, "c3", form=form)
    stored = service.runtime.store.get(handoff["id"])
    assert stored.context["form"] == form
    await service.user("ana.agent@example.com", "Marta")
    marta = await service.console("ana.agent@example.com")
    await marta.act(handoff["id"], "claim")
    assert (await marta.act(handoff["id"], "return")).status_code == 200
    back = [e for cid, events in service.gateway.appended if cid == "c3" for e in events]
    said = [e for e in back if e.get("event") == "bot" and "back with" in e.get("text", "")]
    assert said[-1]["data"]["buttons"] == [{"title": "Carry on with the plan", "payload": "/plan"}]


async def test_outside_support_hours_the_answer_says_when_the_team_is_back(
    settings: HandoffSettings,
) -> None:
    sunday_night = Clock(datetime(2026, 12, 6, 21, 30, tzinfo=UTC))
    hours = OpenHours.parse("mon-sat 09:00-18:00", timezone="Europe/London")
    async with running(replace(settings, open_hours=hours), clock=sunday_night) as h:
        answer = (await h.request_handoff("late")).json()
        assert answer["status"] == "unavailable" and answer["reason"] == "closed"
        assert "next available tomorrow (Monday) at 09:00" in answer["message"]
        assert "Mon-Sat 09:00-18:00 (Europe/London time)" in answer["message"]
        assert answer["next_open"] == "2026-12-07T09:00:00+00:00"
        assert h.runtime.store.active() == []
        monday_morning = datetime(2026, 12, 7, 9, 5, tzinfo=UTC)
        sunday_night.now = monday_morning
        assert (await h.request_handoff("early")).json()["status"] == "waiting"


async def test_queue_updates_run_in_the_sweep(settings: HandoffSettings, clock: Clock) -> None:
    async with running(replace(settings, sweep_s=0.05, online_window_s=3600), clock=clock) as h:
        seed_history(h, clock.now, [60.0])
        await h.user("ana.agent@example.com", "Marta")
        await h.console("ana.agent@example.com")
        await ask(h, "swept")
        clock.now += timedelta(minutes=5)

        def overdue() -> bool:
            said = updates(h, "swept")
            return bool(said) and said[-1]["wait_text"].startswith("It's taking longer")

        for _ in range(300):  # up to 15 s on a busy machine
            if overdue():
                break
            await asyncio.sleep(0.05)
        assert overdue(), updates(h, "swept")
