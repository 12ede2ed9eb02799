"""Console live updates across handoff service processes, through PostgreSQL LISTEN/NOTIFY.

Several service processes share one PostgreSQL database (the production
profile, Kubernetes' replicas), so that database also carries their live
events: no extra service to run. Each process keeps two connections of its
own: one sends what its hub publishes (``pg_notify`` in one transaction per
event), one ``LISTEN``\\ s and hands what the others sent to its hub.

* **Size.** A notification's payload must stay under 8,000 bytes, and a
  message may be 4,000 characters of any script. An event is written as ASCII
  JSON and cut into chunks (:func:`encode`); the chunks go out in one
  transaction, which PostgreSQL delivers together and in order, and
  :class:`Assembler` joins them.
* **Order.** One sender connection per process sends events in the order they
  were published; PostgreSQL delivers notifications in commit order.
* **Gaps.** A sender that loses its connection keeps the event and retries
  until it goes out. A listener that loses its connection reconnects, then
  ends the streams of its process (:meth:`bot.handoff.live.Hub.drop_all`):
  the consoles reconnect and reload from the database, so what passed during
  the gap is not missed, only shown a little later.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine

from bot.handoff.live import LiveEvent

logger = logging.getLogger(__name__)

CHANNEL = "tandem_handoff_live"
CHUNK_CHARS = 7000  # PostgreSQL refuses payloads of 8000 bytes or more
MAX_OUTBOX = 10_000
_HEADER_PARTS = 4

Connect = Callable[[], Awaitable[psycopg.AsyncConnection[Any]]]


def encode(
    origin: str, number: int, event: LiveEvent, *, chunk_chars: int = CHUNK_CHARS
) -> list[str]:
    """The notification payloads of one event: ``<origin> <number> <index> <total> <chunk>``.

    ``ensure_ascii`` keeps one byte per character, so a chunk's size is known.
    """
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=True)
    parts = [body[i : i + chunk_chars] for i in range(0, len(body), chunk_chars)] or [""]
    return [f"{origin} {number} {n} {len(parts)} {part}" for n, part in enumerate(parts)]


class Assembler:
    """Joins each sender's chunks back into events; ignores what ``origin`` (this process) sent."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._partial: dict[str, tuple[str, list[str]]] = {}

    def add(self, payload: str) -> LiveEvent | None:
        """The event once its last chunk arrived; ``None`` before that or for a bad payload."""
        try:
            origin, number, index_s, total_s, part = payload.split(" ", _HEADER_PARTS)
            index, total = int(index_s), int(total_s)
        except ValueError:
            logger.warning("ignoring a live event that is not Tandem's (%.40r)", payload)
            return None
        if origin == self.origin:
            return None
        held_number, parts = self._partial.pop(origin, (number, []))
        if index == 0:
            held_number, parts = number, []
        if number != held_number or index != len(parts):
            logger.warning("a live event from %s arrived incomplete; dropped", origin)
            return None
        parts.append(part)
        if len(parts) < total:
            self._partial[origin] = (number, parts)
            return None
        try:
            event = json.loads("".join(parts))
        except ValueError:
            logger.warning("a live event from %s is not JSON; dropped", origin)
            return None
        return event if isinstance(event, dict) else None

    def clear(self) -> None:
        self._partial.clear()


def connector(engine: Engine) -> Connect:
    """Open psycopg connections with the SQLAlchemy engine's own parameters (password included,
    never written into a URL or a log line)."""
    args, kwargs = engine.dialect.create_connect_args(engine.url)
    kwargs.pop("context", None)  # SQLAlchemy's adapters, for its own connections

    async def connect() -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(*args, autocommit=True, **kwargs)

    return connect


class PostgresRelay:
    """A :class:`bot.handoff.live.Relay` on PostgreSQL's ``NOTIFY``; see the module's notes."""

    def __init__(
        self,
        connect: Connect,
        *,
        channel: str = CHANNEL,
        retry_s: float = 1.0,
        check_s: float = 15.0,
        max_outbox: int = MAX_OUTBOX,
    ) -> None:
        self.origin = uuid.uuid4().hex[:16]
        self.channel = channel
        self.retry_s = retry_s
        self.check_s = check_s
        self.listening = asyncio.Event()
        self._connect = connect
        self._outbox: asyncio.Queue[LiveEvent] = asyncio.Queue()
        self._max_outbox = max_outbox
        self._numbers = itertools.count()
        self._assembler = Assembler(self.origin)
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def for_engine(cls, engine: Engine, **kwargs: Any) -> PostgresRelay:
        return cls(connector(engine), **kwargs)

    def send(self, event: LiveEvent) -> None:
        if self._outbox.qsize() >= self._max_outbox:
            logger.warning(
                "PostgreSQL has been away for %d live events; dropping the oldest", self._max_outbox
            )
            self._outbox.get_nowait()
        self._outbox.put_nowait(event)

    async def start(self, deliver: Callable[[LiveEvent], None], reset: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._listen_forever(deliver, reset)),
            loop.create_task(self._send_forever()),
        ]

    async def aclose(self, *, flush_s: float = 1.0) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_s):
                while not self._outbox.empty():
                    await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _send_forever(self) -> None:
        conn: psycopg.AsyncConnection[Any] | None = None
        event: LiveEvent | None = None
        failing = False
        notify = sql.SQL("SELECT pg_notify({}, %s)").format(sql.Literal(self.channel))
        try:
            while True:
                if event is None:
                    event = await self._outbox.get()
                try:
                    if conn is None or conn.closed:
                        conn = await self._connect()
                    async with conn.transaction():
                        for payload in encode(self.origin, next(self._numbers), event):
                            await conn.execute(notify, (payload,))
                except (psycopg.Error, OSError) as e:
                    if not failing:
                        logger.warning("cannot send live events to PostgreSQL (%s); retrying", e)
                    failing = True
                    if conn is not None:
                        await conn.close()
                    conn = None
                    await asyncio.sleep(self.retry_s)
                    continue
                if failing:
                    logger.info("sending live events to PostgreSQL again")
                failing = False
                event = None
        finally:
            if conn is not None:
                await conn.close()

    async def _listen_forever(
        self, deliver: Callable[[LiveEvent], None], reset: Callable[[], None]
    ) -> None:
        gap = False
        while True:
            try:
                conn = await self._connect()
                async with conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self.listening.set()
                    if gap:
                        logger.info("listening for live events again; consoles here reload")
                        reset()
                    gap = False
                    while True:
                        async for notify in conn.notifies(timeout=self.check_s):
                            event = self._assembler.add(notify.payload)
                            if event is not None:
                                deliver(event)
                        await conn.execute("SELECT 1")  # a quiet link is checked, not trusted
            except (psycopg.Error, OSError) as e:
                if not gap:
                    logger.warning("lost PostgreSQL's live events (%s); reconnecting", e)
                gap = True
                self.listening.clear()
                self._assembler.clear()
                await asyncio.sleep(self.retry_s)
