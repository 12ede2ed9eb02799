"""The tracker and lock stores endpoints.yml can name, against real services.

SQLite always runs; PostgreSQL and Redis tests skip when the service is not on
its default loopback port.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import pytest
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

DOMAIN = Domain.from_yaml(
    'version: "3.1"\nslots:\n  customer_name:\n    type: text\n    mappings: [{type: custom}]\n'
)


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def round_trip(make_store) -> None:
    sender = f"store-test-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered("my name is Ana", {"name": "tell_name", "confidence": 1.0}),
            SlotSet("customer_name", "Ana"),
        ],
        slots=DOMAIN.slots,
    )
    asyncio.run(make_store().save(tracker))
    restored = asyncio.run(make_store().retrieve(sender))  # a new store: nothing cached
    assert restored is not None
    assert restored.get_slot("customer_name") == "Ana"
    assert restored.latest_message.text == "my name is Ana"


def test_sqlite_tracker_store_survives_a_new_store_object(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    round_trip(lambda: SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db)))
    assert db.exists()


@pytest.mark.postgres
@pytest.mark.skipif(not reachable(5432), reason="PostgreSQL is not on 127.0.0.1:5432")
def test_postgresql_tracker_store() -> None:
    round_trip(
        lambda: SQLTrackerStore(
            DOMAIN,
            dialect="postgresql",
            host="127.0.0.1",
            port=5432,
            db="test",
            username="postgres",
        )
    )


@pytest.mark.redis
@pytest.mark.skipif(not reachable(6379), reason="Redis is not on 127.0.0.1:6379")
def test_redis_lock_store_serialises_one_conversation() -> None:
    store = RedisLockStore(host="127.0.0.1", port=6379, key_prefix=f"t{uuid.uuid4().hex[:6]}")
    sender = "lock-test"
    first = store.issue_ticket(sender)
    second = store.issue_ticket(sender)
    lock = store.get_lock(sender)
    assert lock is not None
    assert lock.now_serving == first
    assert not lock.is_locked(first)  # the first ticket holder may go
    assert lock.is_locked(second)  # the second waits for it
    store.finish_serving(sender, first)
    lock = store.get_lock(sender)
    assert lock is not None and not lock.is_locked(second)
    store.cleanup(sender, second)  # nobody waits any more: the lock goes
    assert store.get_lock(sender) is None
