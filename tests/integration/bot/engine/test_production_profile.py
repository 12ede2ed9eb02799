"""endpoints.production.yml as Rasa reads it, built against the real services.

The environment is the one ``bot run --profile production`` gives the engine
(:meth:`bot.settings.Settings.engine_env`), pointed at the loopback
PostgreSQL's ``test`` database. Building the stores skips when PostgreSQL
(:5432) or Redis (:6379) is absent; reading the file needs neither.
"""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
import sqlalchemy as sa
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import create_tracker_store
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.engine.lock_store import AtomicRedisLockStore
from bot.engine.tracker_store import RedactingSQLTrackerStore
from bot.settings import Settings
from tests.conftest import PROJECT_ROOT


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def endpoints(monkeypatch: pytest.MonkeyPatch) -> AvailableEndpoints:
    settings = Settings.from_env({"TANDEM_PROFILE": "production"})
    local = {
        "TANDEM_POSTGRES_DB": "test",
        "TANDEM_POSTGRES_USER": "postgres",
        "TANDEM_REDIS_KEY_PREFIX": f"t{uuid.uuid4().hex[:10]}",
    }
    for key, value in settings.engine_env(local).items():
        monkeypatch.setenv(key, value)
    return AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / settings.endpoints_file))


def test_rasa_reads_every_section_of_the_production_profile(
    endpoints: AvailableEndpoints,
) -> None:
    assert endpoints.tracker_store is not None and endpoints.lock_store is not None
    assert endpoints.event_broker is not None and endpoints.action is not None
    assert endpoints.tracker_store.type == "bot.engine.tracker_store.RedactingSQLTrackerStore"
    assert endpoints.tracker_store.kwargs["dialect"] == "postgresql"
    assert endpoints.tracker_store.url == "127.0.0.1:5432"
    assert endpoints.lock_store.type == "bot.engine.lock_store.AtomicRedisLockStore"
    assert [b["type"] for b in endpoints.event_broker.kwargs["brokers"]] == [
        "bot.engine.notifier.HandoffNotifier",
        "bot.engine.pika_broker.ReliablePikaBroker",
    ]


@pytest.mark.redis
@pytest.mark.skipif(not reachable(6379), reason="Redis is not on 127.0.0.1:6379")
def test_the_lock_store_is_tandems_on_the_real_redis(endpoints: AvailableEndpoints) -> None:
    store = LockStore.create(endpoints.lock_store)
    assert isinstance(store, AtomicRedisLockStore)

    async def turn() -> int:
        async with store.lock("rest:profile") as lock:
            return lock.now_serving or 0

    assert asyncio.run(turn()) >= 1
    assert store.get_lock("rest:profile") is None  # given back
    keys = list(store.red.scan_iter(f"{store.key_prefix}*"))
    store.red.delete(*keys)


@pytest.mark.postgres
@pytest.mark.skipif(not reachable(5432), reason="PostgreSQL is not on 127.0.0.1:5432")
def test_the_tracker_store_is_the_redacting_one_on_the_real_postgresql(
    endpoints: AvailableEndpoints,
) -> None:
    domain = Domain.empty()
    store = create_tracker_store(endpoints.tracker_store, domain)
    assert isinstance(store, RedactingSQLTrackerStore)
    assert store.engine.dialect.name == "postgresql"
    sender = f"rest:profile-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_listen"), UserUttered("mail me at ana@example.com")]
    )
    try:
        asyncio.run(store.save(tracker))
        restored = asyncio.run(store.retrieve(sender))
        assert restored is not None
        assert restored.latest_message is not None
        assert "ana@example.com" not in (restored.latest_message.text or "")
    finally:
        with store.engine.begin() as connection:
            connection.execute(
                sa.text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender}
            )
