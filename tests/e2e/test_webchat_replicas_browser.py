"""The widget in Chromium on replica A gets an agent's reply sent through replica B.

Two engine replica processes (tests/integration/bot/channels/webchat_replica.py,
run in the engine venv) share one Redis: conversations in Rasa's Redis tracker
store, socket.io emits through the channel's ``client_manager_url``. The demo
page comes from A, so the widget's socket is held by A; the agent's reply goes to
B through Rasa's events API the way the handoff service sends it. The widget
connects by WebSocket first (no long-polling request ever reaches a replica).
"""

from __future__ import annotations

import importlib.util
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.bot.channels.replicas import REDIS_URL, Replica, redis_up

CHROMIUM = Path("/usr/bin/chromium")
ENGINE_PYTHON = Path(__file__).resolve().parents[2] / ".venv" / "engine" / "bin" / "python"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.redis,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not redis_up(), reason="Redis is not on 127.0.0.1:6379"),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None or not CHROMIUM.exists(),
        reason="playwright or /usr/bin/chromium is missing: run scripts/setup-web.sh --browser",
    ),
    pytest.mark.skipif(not ENGINE_PYTHON.exists(), reason="the engine venv is missing"),
]


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    a = Replica(prefix, REDIS_URL, tmp_path / "a.log", python=str(ENGINE_PYTHON))
    b = Replica(prefix, REDIS_URL, tmp_path / "b.log", python=str(ENGINE_PYTHON))
    try:
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        a.stop()
        b.stop()  # the replicas' tracker keys expire on their own (record_exp)


def test_the_widget_on_a_shows_an_agent_reply_sent_through_b(
    replicas: tuple[Replica, Replica],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    a, b = replicas
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page()
        errors: list[str] = []
        sockets: list[str] = []
        polls: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.on(
            "request",
            lambda r: polls.append(r.url) if "transport=polling" in r.url else None,
        )
        try:
            page.goto(f"{a.base}/webhooks/webchat/demo")
            page.get_by_role("button", name=re.compile("Open chat")).click()
            expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
            box = page.get_by_label("Your message")
            box.fill("I want a person")
            box.press("Enter")
            bot = page.locator(".tw-bot .tw-text")
            expect(bot.last).to_have_text(f"echo from {a.port}: I want a person")
            session = page.evaluate(
                "key => localStorage.getItem(key)", f"tandem.webchat.session:{a.base}"
            )
            assert isinstance(session, str) and len(session) == 36

            agent_reply: dict[str, Any] = {
                "event": "bot",
                "text": "Hi, I'm Maya from the team.",
                "data": {"custom": {"type": "agent_message", "agent": "Maya"}},
                "metadata": {"agent": "Maya"},
            }
            response = httpx.post(
                f"{b.base}/conversations/{session}/tracker/events",
                params={"execute_side_effects": "true", "output_channel": "latest"},
                content=json.dumps(agent_reply),
                headers={"Content-Type": "application/json"},
                timeout=30,
            )
            assert response.status_code == 200
            reply = page.locator(".tw-msg").last
            expect(reply).to_contain_text("Hi, I'm Maya from the team.")
            expect(reply).to_contain_text("Maya (from our team)")
        finally:
            browser.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
    assert sockets and all(f"127.0.0.1:{a.port}/socket.io/" in url for url in sockets)
    assert polls == [], "the widget should connect by WebSocket first, without long-polling"
