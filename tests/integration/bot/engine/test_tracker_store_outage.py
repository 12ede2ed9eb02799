"""A PostgreSQL restart costs the tracker store a wait, never a conversation.

Rasa's ``FailSafeTrackerStore`` answered a database outage with an empty
tracker and a save into process memory (benchmarks/faults.py measured 52 lost
messages in one restart). These tests restart a private PostgreSQL
(tests/support/services.py; the machine's shared one is never touched) under
the store and check what is stored. Skipped when PostgreSQL 15 is not installed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.engine import tracker_store
from bot.engine.tracker_store import RedactingSQLTrackerStore, TrackerStoreUnavailable
from tests.support.services import PrivatePostgres, missing

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(bool(missing("postgres")), reason="PostgreSQL 15 binaries are missing"),
]

DOMAIN = Domain.empty()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    with PrivatePostgres() as server:
        yield server


def store_on(postgres: PrivatePostgres, *, outage_s: float) -> RedactingSQLTrackerStore:
    return RedactingSQLTrackerStore(
        DOMAIN,
        dialect="postgresql",
        host="127.0.0.1",
        port=postgres.port,
        db="tandem",
        username="tandem",
        outage_s=outage_s,
    )


def turn(tracker: DialogueStateTracker, text: str) -> None:
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(BotUttered(f"you said {text}"))
    tracker.update(ActionExecuted("action_listen"))


def texts(tracker: DialogueStateTracker | None) -> list[str]:
    assert tracker is not None
    return [e.text or "" for e in tracker.events if isinstance(e, UserUttered)]


def test_a_restart_between_turns_and_during_one_loses_nothing(postgres: PrivatePostgres) -> None:
    store = store_on(postgres, outage_s=30)
    tracker = DialogueStateTracker("outage-1", DOMAIN.slots)
    turn(tracker, "before")
    asyncio.run(store.save(tracker))

    postgres.restart()  # every pooled connection is dead now
    turn(tracker, "after a restart")
    asyncio.run(store.save(tracker))

    postgres.stop()
    back = threading.Timer(2.0, postgres.start)
    back.start()
    turn(tracker, "while it was down")
    began = time.monotonic()
    asyncio.run(store.save(tracker))  # waits until the server is back
    back.join()
    assert time.monotonic() - began >= 1.0
    assert texts(asyncio.run(store.retrieve("outage-1"))) == [
        "before",
        "after a restart",
        "while it was down",
    ]


def test_a_longer_outage_fails_the_turn_instead_of_forgetting_it(
    postgres: PrivatePostgres,
) -> None:
    store = store_on(postgres, outage_s=1)
    tracker = DialogueStateTracker("outage-2", DOMAIN.slots)
    turn(tracker, "kept")
    asyncio.run(store.save(tracker))
    postgres.stop()
    try:
        turn(tracker, "refused")
        with pytest.raises(TrackerStoreUnavailable, match="unreachable for 1 s"):
            asyncio.run(store.save(tracker))
        with pytest.raises(TrackerStoreUnavailable):
            asyncio.run(store.retrieve("outage-2"))
    finally:
        postgres.start()
    assert texts(asyncio.run(store.retrieve("outage-2"))) == ["kept"]


def test_rasa_does_not_wrap_it_in_the_in_memory_fallback(postgres: PrivatePostgres) -> None:
    tracker_store.install()
    tracker_store.install()  # twice is once
    ours = store_on(postgres, outage_s=1)
    assert Agent._create_tracker_store(ours, DOMAIN) is ours
    other = Agent._create_tracker_store(InMemoryTrackerStore(DOMAIN), DOMAIN)
    assert isinstance(other, FailSafeTrackerStore)
