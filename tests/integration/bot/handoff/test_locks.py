"""Conversation locks across processes: PostgreSQL advisory locks, one connection per holder.

Each :class:`SharedLocks` has its own connection, as each service process does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.handoff.db import make_engine
from bot.handoff.locks import SharedLocks
from bot.handoff.relay import connector

pytestmark = pytest.mark.postgres

# The other connections of this database that hold an advisory lock end, as with
# kill -9. With a timeout, pg_terminate_backend waits until each has ended (and its
# locks are free) instead of returning once the signal is sent, which raced the
# takeover below on a busy machine.
TERMINATE_HOLDERS = (
    "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks "
    "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


@pytest.fixture
async def two(postgres_url: str) -> AsyncIterator[tuple[SharedLocks, SharedLocks]]:
    engine = make_engine(postgres_url)
    a, b = SharedLocks(connector(engine)), SharedLocks(connector(engine))
    yield a, b
    await a.aclose()
    await b.aclose()
    engine.dispose()


async def test_the_other_process_waits_for_the_same_conversation_only(
    two: tuple[SharedLocks, SharedLocks],
) -> None:
    a, b = two
    order: list[str] = []

    async def b_takes(name: str) -> None:
        async with b.hold(name):
            order.append(f"b {name}")

    async with a.hold("conversation:x"):
        other = asyncio.ensure_future(b_takes("conversation:y"))
        same = asyncio.ensure_future(b_takes("conversation:x"))
        await other  # a different conversation is not held up
        await asyncio.sleep(0.3)  # room for b to get in if the lock did not hold
        order.append("a out")
    await same
    assert order == ["b conversation:y", "a out", "b conversation:x"]


async def test_a_dead_process_frees_its_conversations(
    two: tuple[SharedLocks, SharedLocks], postgres_url: str
) -> None:
    a, b = two
    entered = asyncio.Event()
    async with a.hold("conversation:z"):
        waiting = asyncio.ensure_future(_enter(b, "conversation:z", entered))
        await asyncio.sleep(0.1)
        assert not entered.is_set()
        engine = make_engine(postgres_url)
        with engine.begin() as db:  # the holder's connection dies, as with kill -9
            db.execute(text(TERMINATE_HOLDERS))
        engine.dispose()
        await asyncio.wait_for(waiting, 10)
    assert entered.is_set()


async def _enter(locks: SharedLocks, name: str, entered: asyncio.Event) -> None:
    async with locks.hold(name):
        entered.set()


async def test_one_process_leads_until_its_connection_ends(
    two: tuple[SharedLocks, SharedLocks], postgres_url: str
) -> None:
    a, b = two
    assert await a.lead("sweep")
    assert not await b.lead("sweep")
    for _ in range(3):  # asking again keeps it, and holds it once (it is freed at once below)
        assert await a.lead("sweep")
        assert not await b.lead("sweep")
    async with b.hold("conversation:sweep"):  # a conversation's key is never the leader's
        pass
    engine = make_engine(postgres_url)
    with engine.begin() as db:  # the leader's connection dies, as with kill -9
        db.execute(text(TERMINATE_HOLDERS))
    engine.dispose()
    assert await b.lead("sweep")
    assert not await a.lead("sweep")  # its failed connection leads nothing
    assert not await a.lead("sweep")  # nor does its new one, while b leads
