"""Web chat across replicas: a socket on replica A gets what replica B sends.

Two engine replicas run as two OS processes (``webchat_replica.py``: Rasa's own
app with Tandem's web chat channel, conversations in one Redis tracker store).
A python-socketio client, standing in for the widget, talks to A only. Then,
on B: an agent's reply goes in through Rasa's
``/conversations/<id>/tracker/events?execute_side_effects=true&output_channel=latest``
(the handoff service's path, bot/handoff/gateway.py) and a draft through the
channel's stream endpoint (the action server's path). With ``client_manager_url``
both reach the socket on A; without it (today's in-process manager) neither
does, which is what this change fixes. Needs Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import socketio

from tests.integration.bot.channels.replicas import REDIS_URL, Replica, http, redis_up
from tests.integration.bot.channels.webchat_replica import STREAM_TOKEN

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not redis_up(), reason="Redis is not on 127.0.0.1:6379"),
]


def pair(tmp_path: Path, redis_url: str) -> Iterator[tuple[Replica, Replica]]:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    a = Replica(prefix, redis_url, tmp_path / "a.log")
    b = Replica(prefix, redis_url, tmp_path / "b.log")
    try:
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        a.stop()
        b.stop()
        probe = redis.Redis(host="127.0.0.1", port=6379)
        keys = list(probe.scan_iter(f"{prefix}*"))
        if keys:
            probe.delete(*keys)
        for log in (a.log, b.log):
            assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    yield from pair(tmp_path, REDIS_URL)


@pytest.fixture
def separate(tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    yield from pair(tmp_path, "")


async def journey(a: Replica, b: Replica, *, expect: bool) -> dict[str, list[Any]]:
    """The widget on A; an agent reply and a draft through B; what A's socket saw."""
    session = str(uuid.uuid4())
    seen: dict[str, list[Any]] = {}
    arrived = asyncio.Event()
    client = socketio.AsyncClient(reconnection=False)

    @client.on("*")
    async def anything(event: str, data: Any = None) -> None:
        seen.setdefault(event, []).append(data)
        arrived.set()

    async def wait_for(event: str, count: int, timeout: float) -> None:
        async def enough() -> None:
            while len(seen.get(event, [])) < count:
                arrived.clear()
                await arrived.wait()

        try:
            await asyncio.wait_for(enough(), timeout)
        except asyncio.TimeoutError:
            if expect:
                raise

    # Polling: python-engineio's websocket client needs aiohttp >= 3.10 and rasa pins
    # 3.9; the socket talks to A alone, so no balancer or stickiness is involved.
    await client.connect(a.base, transports=["polling"], wait_timeout=10)
    try:
        await client.emit("session_request", {"session_id": session})
        await wait_for("session_confirm", 1, 10)
        assert seen["session_confirm"] == [session]
        await client.emit("user_uttered", {"message": "I want a person"})
        await wait_for("bot_uttered", 1, 10)
        assert seen["bot_uttered"][0]["text"] == f"echo from {a.port}: I want a person"

        agent_reply = {
            "event": "bot",
            "text": "Hi, I'm Maya from the team.",
            "data": {"custom": {"type": "agent_message", "agent": "Maya"}},
            "metadata": {"agent": "Maya"},
        }
        status, _ = await asyncio.to_thread(
            http,
            "POST",
            f"{b.base}/conversations/{session}/tracker/events"
            "?execute_side_effects=true&output_channel=latest",
            agent_reply,
        )
        assert status == 200
        await wait_for("bot_uttered", 2, 10 if expect else 3)

        draft = {"session_id": session, "stream_id": "answer-1", "delta": "Our ", "done": False}
        status, body = await asyncio.to_thread(
            http,
            "POST",
            f"{b.base}/webhooks/webchat/stream",
            draft,
            {"Authorization": f"Bearer {STREAM_TOKEN}"},
        )
        assert (status, json.loads(body)) == (200, {"status": "sent"})
        await wait_for("bot_stream", 1, 10 if expect else 3)
    finally:
        await client.eio.disconnect(abort=True)
    return seen


def test_a_socket_on_a_gets_the_agent_reply_and_the_draft_sent_through_b(
    shared: tuple[Replica, Replica],
) -> None:
    a, b = shared
    seen = asyncio.run(journey(a, b, expect=True))
    assert len(seen["bot_uttered"]) == 2
    reply = seen["bot_uttered"][1]
    assert reply["text"] == "Hi, I'm Maya from the team."
    assert reply["custom"] == {"type": "agent_message", "agent": "Maya"}
    assert seen["bot_stream"] == [{"stream_id": "answer-1", "delta": "Our ", "done": False}]
    assert "emits shared with other replicas through redis://127.0.0.1:6379/0" in (
        b.log.read_text()
    )


def test_without_the_manager_b_cannot_reach_a_socket_on_a(
    separate: tuple[Replica, Replica],
) -> None:
    """Today's in-process manager: B accepts both, and A's socket never hears of them."""
    a, b = separate
    seen = asyncio.run(journey(a, b, expect=False))
    assert len(seen["bot_uttered"]) == 1  # only A's own echo
    assert "bot_stream" not in seen
