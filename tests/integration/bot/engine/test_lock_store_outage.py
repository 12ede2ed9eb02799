"""A Redis restart makes a turn wait for the lock, not fail.

A private Redis (tests/support/services.py; the machine's shared one is never
touched) is stopped under :class:`AtomicRedisLockStore` and started again.
Skipped when ``redis-server`` is not installed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from rasa.core.lock_store import LockError

from bot.engine.lock_store import AtomicRedisLockStore
from tests.support.services import PrivateRedis, missing

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(bool(missing("redis")), reason="redis-server is not installed"),
]


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    with PrivateRedis() as server:
        yield server


async def one_turn(store: AtomicRedisLockStore, conversation: str) -> int:
    async with store.lock(conversation) as lock:
        return lock.now_serving or 0


def test_a_turn_waits_through_a_restart_and_then_takes_its_ticket(
    redis_server: PrivateRedis,
) -> None:
    store = AtomicRedisLockStore(port=redis_server.port, outage_s=20)
    assert asyncio.run(one_turn(store, "rest:outage")) == 1
    redis_server.stop()
    back = threading.Timer(1.0, redis_server.start)
    back.start()
    ticket = asyncio.run(one_turn(store, "rest:outage"))  # Redis is down when this starts
    back.join()
    assert ticket == 1  # Redis came back empty (no persistence): the counter starts again
    assert store.get_lock("rest:outage") is None  # given back


def test_a_longer_outage_fails_with_lock_error_that_says_what_to_check(
    redis_server: PrivateRedis,
) -> None:
    store = AtomicRedisLockStore(port=redis_server.port, outage_s=0.5)
    redis_server.stop()
    with pytest.raises(LockError, match=r"unreachable for 0\.5 s while trying to take a ticket"):
        asyncio.run(one_turn(store, "rest:outage-long"))


def test_a_live_holder_renews_its_ticket_and_a_dead_one_blocks_one_lifetime(
    redis_server: PrivateRedis,
) -> None:
    store = AtomicRedisLockStore(port=redis_server.port, lock_lifetime=0.4, poll_s=0.02)
    order: list[str] = []

    async def long_turn() -> None:
        async with store.lock("rest:renew"):
            order.append("long turn in")
            await asyncio.sleep(1.5)  # almost four lifetimes
            order.append("long turn out")

    async def next_turn() -> None:
        await asyncio.sleep(0.1)
        async with store.lock("rest:renew"):
            order.append("next turn")

    async def both() -> None:
        await asyncio.gather(long_turn(), next_turn())

    asyncio.run(both())
    assert order == ["long turn in", "long turn out", "next turn"]

    store.issue_ticket("rest:dead", lock_lifetime=0.4)  # a replica killed holding it
    began = time.monotonic()
    asyncio.run(one_turn(store, "rest:dead"))
    assert 0.3 <= time.monotonic() - began < 5
