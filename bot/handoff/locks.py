"""Per-conversation locks that hold across the service's processes: PostgreSQL advisory locks.

Within one process an asyncio lock per conversation keeps a sync, a claim or
a reply from overlapping another one of the same conversation. Two replicas
need the same guarantee, or two agents claiming one handoff on two replicas
at the same instant both make Rasa announce them before the database refuses
the second claim. On PostgreSQL the lock is also taken as a session-level
advisory lock, ``pg_try_advisory_lock(namespace, key)``, polled every
``poll_s`` on one connection of this process's own (a blocking
``pg_advisory_lock`` would hold that connection for everybody).

PostgreSQL releases a session's locks when its connection ends, so a replica
that dies frees its conversations at once. If the connection fails the lock
is skipped with a warning, never waited for: the service then behaves as one
process does, and its database work fails on its own anyway.

:meth:`SharedLocks.lead` elects one process for work that one process should
do for all, the sync sweep: a try-lock that its winner keeps while its
connection lives, so the others skip the work until the winner's connection
(or process) ends and one of them takes it on its next try.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg

from bot.handoff.relay import Connect

logger = logging.getLogger(__name__)

NAMESPACE = 0x7A4D  # the first key of Tandem's conversation locks; migrations use another form
LEADER_NAMESPACE = 0x7A4E  # kept for good: apart, so it never blocks a conversation's key


def lock_key(name: str) -> int:
    """A stable signed 32-bit key for ``name`` (a collision only serialises two conversations)."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=4).digest(), "big", signed=True
    )


class SharedLocks:
    """Advisory locks by name on one PostgreSQL connection; see the module's notes."""

    def __init__(self, connect: Connect, *, poll_s: float = 0.02) -> None:
        self.poll_s = poll_s
        self._connect = connect
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._opening = asyncio.Lock()
        # Leader locks held, by name: the connection they were taken on.
        self._leading: dict[str, psycopg.AsyncConnection[Any]] = {}

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        async with self._opening:
            if self._conn is None or self._conn.closed:
                self._conn = await self._connect()
            return self._conn

    async def _call(self, function: str, key: int, namespace: int = NAMESPACE) -> bool:
        conn = await self._connection()
        cursor = await conn.execute(f"SELECT {function}(%s, %s)", (namespace, key))
        row = await cursor.fetchone()
        return bool(row and row[0])

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        """Hold ``name`` in every process; call with this process's own lock of it held."""
        key, taken = lock_key(name), False
        try:
            while not (taken := await self._call("pg_try_advisory_lock", key)):
                await asyncio.sleep(self.poll_s)
        except (psycopg.Error, OSError) as e:
            logger.warning("no cross-process lock for %s (%s); going on without it", name, e)
            await self.aclose()
        try:
            yield
        finally:
            if taken:
                try:
                    await self._call("pg_advisory_unlock", key)
                except (psycopg.Error, OSError) as e:  # a lost session has released it
                    logger.info("could not release the lock of %s (%s)", name, e)
                    await self.aclose()

    async def lead(self, name: str) -> bool:
        """Whether this process leads ``name`` now: takes the leader lock when it is free.

        Asked again by the leader it confirms that the session still holds the
        lock (PostgreSQL counts a session's locks, so the extra one is given
        back). A failed connection leads nothing until it is open again.
        """
        key, was = lock_key(name), name in self._leading
        try:
            conn = await self._connection()
            taken = await self._call("pg_try_advisory_lock", key, LEADER_NAMESPACE)
            if taken and self._leading.get(name) is conn:
                await self._call("pg_advisory_unlock", key, LEADER_NAMESPACE)
        except (psycopg.Error, OSError) as e:
            logger.warning("cannot tell who leads %s (%s); skipping it this time", name, e)
            await self.aclose()
        else:
            if taken:
                self._leading[name] = conn
            else:
                self._leading.pop(name, None)
        leads = name in self._leading
        if leads != was:
            logger.info("this process %s %s", "now leads" if leads else "no longer leads", name)
        return leads

    async def aclose(self) -> None:
        self._leading.clear()  # a closed session holds nothing
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()
