"""Two service instances on one PostgreSQL database: queue updates and the sweep.

Each instance is a whole app with its own connections (its own PostgreSQL
sessions, so its own advisory locks), as two replicas are; their Rasa
gateways are separate fakes, so what each sent is counted apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.handoff import FakeRasaGateway, HandoffSettings
from bot.handoff.service import Actor

from .conftest import Harness, running, with_db
from .test_queue_status import Clock, ask, updates

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pair(
    settings: HandoffSettings, postgres_url: str
) -> AsyncIterator[tuple[Harness, Harness, FakeRasaGateway]]:
    clock = Clock(datetime.now(UTC))  # one instant: the estimate's words depend on time only
    shared = replace(with_db(settings, postgres_url), online_window_s=3600)
    rasa_b = FakeRasaGateway()
    async with running(shared, clock=clock) as a, running(shared, rasa_b, clock=clock) as b:
        yield a, b, rasa_b


async def test_a_queue_update_one_process_sent_is_not_sent_again_by_the_other(
    pair: tuple[Harness, Harness, FakeRasaGateway],
) -> None:
    a, b, _ = pair
    agent = await b.user("ana@example.com", "Ana")
    first = await ask(a, "q-1")
    await ask(a, "q-2")
    await a.runtime.service.drain()
    assert updates(a, "q-2") == []  # told "2nd in the queue" in the answer to the request

    await b.runtime.service.claim(Actor(agent), first["id"])
    await b.runtime.service.drain()
    moved = updates(b, "q-2")
    assert [u["position"] for u in moved] == [1], moved

    # A last told q-2 "2nd"; it must read that B told them "1st" since.
    assert await a.runtime.service.refresh_statuses() == 0
    assert await b.runtime.service.refresh_statuses() == 0
    assert updates(a, "q-2") == []
    handoff = a.runtime.store.active_handoff("q-2")
    assert handoff is not None and handoff.announced == [
        moved[0]["place_text"],
        moved[0]["wait_text"],
    ]
