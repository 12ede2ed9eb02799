"""The web chat's socket.io managers: a turn's emit waits neither for Redis nor the loop.

python-socketio's ``AsyncManager`` starts a task per socket and awaits them;
``DirectManager`` puts the packet in the socket's queue at once. Its
``AsyncRedisManager`` then awaits the publication for other replicas;
``BackgroundRedisManager`` publishes from a background task, in order. A
"Redis" that accepts connections and never answers shows the difference; a
real Redis (127.0.0.1:6379) shows that every emit is still published, in order.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from engineio import AsyncServer as EngineIO
from socketio import AsyncManager, AsyncRedisManager, AsyncServer
from socketio.packet import Packet

from bot.channels.webchat import BackgroundRedisManager, DirectManager
from tests.integration.bot.channels.replicas import REDIS_URL, redis_up


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A TCP server that accepts and reads, and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


async def _emit_takes(manager: AsyncRedisManager, timeout_s: float) -> float | None:
    """Seconds one emit to a room took, or None when it had not returned in ``timeout_s``."""
    sio = AsyncServer(async_mode="asgi", client_manager=manager)
    started = time.monotonic()
    try:
        await asyncio.wait_for(sio.emit("bot_typing", {"typing": False}, to="room"), timeout_s)
    except asyncio.TimeoutError:
        return None
    return time.monotonic() - started


def test_an_emit_does_not_wait_for_a_redis_that_does_not_answer(silent_redis: str) -> None:
    asyncio.run(_does_not_wait(silent_redis))


async def _does_not_wait(silent_redis: str) -> None:
    background = BackgroundRedisManager(silent_redis, channel="c")
    took = await _emit_takes(background, 2.0)
    assert took is not None and took < 0.2, took
    assert background._unsent is not None and background._unsent.qsize() <= 1
    await background.aclose(timeout_s=0.1)  # cannot send: gives up, stops the sender

    awaited = await _emit_takes(AsyncRedisManager(silent_redis, channel="c"), 1.0)
    assert awaited is None  # python-socketio's own manager holds the turn up


@pytest.mark.redis
@pytest.mark.skipif(not redis_up(), reason="Redis is not on 127.0.0.1:6379")
def test_every_emit_is_published_in_order() -> None:
    asyncio.run(_published_in_order())


async def _published_in_order() -> None:
    channel = f"t{uuid.uuid4().hex[:10]}-webchat"
    listener = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel)
    manager = BackgroundRedisManager(REDIS_URL, channel=channel)
    sio = AsyncServer(async_mode="asgi", client_manager=manager)
    for n in range(50):
        await sio.emit("bot_uttered", {"text": f"line {n}"}, to="room")
    await manager.aclose()
    got = []
    deadline = time.monotonic() + 5
    while len(got) < 50 and time.monotonic() < deadline:
        message = listener.get_message(timeout=0.5)
        if message:
            got.append(json.loads(message["data"])["data"][0]["text"])
    listener.close()
    assert got == [f"line {n}" for n in range(50)]


class _Server:
    """What a manager calls on its ``AsyncServer``: it sends, and records what it sent."""

    packet_class = Packet

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.eio = EngineIO()

    async def _send_packet(self, eio_sid: str, pkt: Packet) -> None:
        self.sent.append((eio_sid, pkt.data))

    async def _send_eio_packet(self, eio_sid: str, eio_pkt: Any) -> None:
        self.sent.append((eio_sid, json.loads(eio_pkt.data[1:])))


def test_an_emit_reaches_the_socket_without_waiting_for_the_event_loop() -> None:
    asyncio.run(_direct())


async def _direct() -> None:
    for manager, waits in ((DirectManager(), False), (AsyncManager(), True)):
        server = _Server()
        manager.set_server(server)
        manager.initialize()
        sid = await manager.connect("eio-1", "/")
        await manager.enter_room(sid, "/", "session")
        ticks: list[int] = []
        asyncio.get_running_loop().call_soon(ticks.append, 1)
        await manager.emit("bot_uttered", {"text": "hi"}, "/", to="session")
        assert server.sent == [("eio-1", ["bot_uttered", {"text": "hi"}])]
        assert bool(ticks) is waits, type(manager).__name__  # the loop ran others meanwhile
