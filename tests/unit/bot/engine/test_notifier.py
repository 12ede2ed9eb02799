from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from bot.engine.notifier import HandoffNotifier


def test_only_conversations_with_a_person_are_reported() -> None:
    n = HandoffNotifier(url="http://h", service_token="t")
    # unknown since start-up: the first user message is reported once, to find out
    assert n.should_notify("a", "user") is True
    assert n.should_notify("a", "user") is False
    assert n.should_notify("a", "bot") is False
    assert n.should_notify("a", "pause") is True
    assert n.should_notify("a", "user") is True
    assert n.should_notify("a", "bot") is True
    assert n.should_notify("a", "resume") is False
    assert n.should_notify("a", "user") is False


def test_a_missing_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="TANDEM_HANDOFF_URL"):
        HandoffNotifier(url="", service_token="t")


def test_notifications_reach_the_service_with_its_token() -> None:
    # the engine venv has no pytest-asyncio: each async test runs its own loop
    assert sorted(asyncio.run(_notify_through_a_real_server())) == [
        ("c1", "Bearer s3cret"),
        ("c1", "Bearer s3cret"),
        ("c2", "Bearer s3cret"),
    ]


async def _notify_through_a_real_server() -> list[tuple[str, str]]:
    received: list[tuple[str, str]] = []

    async def notify(request: web.Request) -> web.Response:
        received.append((request.match_info["cid"], request.headers.get("Authorization", "")))
        return web.json_response({"status": "accepted"}, status=202)

    app = web.Application()
    app.router.add_post("/api/conversations/{cid}/notify", notify)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        notifier = await HandoffNotifier.from_endpoint_config(
            EndpointConfig(url=f"http://127.0.0.1:{port}", service_token="s3cret")
        )
        events: list[dict[str, Any]] = [
            {"event": "pause", "sender_id": "c1"},
            {"event": "user", "sender_id": "c1", "text": "hello?"},
            {"event": "user", "sender_id": "c2", "text": "hi"},
            {"event": "user", "sender_id": "c2", "text": "again"},
            {"event": "slot", "sender_id": "c1"},
        ]
        for event in events:
            notifier.publish(event)
        await notifier.close()
    finally:
        await runner.cleanup()
    return received


def test_a_dead_service_costs_nothing_but_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    from bot.supervisor import free_port

    async def run() -> None:
        notifier = HandoffNotifier(url=f"http://127.0.0.1:{free_port()}", service_token="t")
        notifier.publish({"event": "pause", "sender_id": "c1"})
        notifier.publish({"event": "user", "sender_id": "c1"})
        await notifier.close()

    asyncio.run(run())
    assert "will catch up" in caplog.text
