"""The widget in Chromium, through HAProxy, gets an agent's reply sent through the
other replica.

Two engine replica processes (tests/integration/bot/channels/webchat_replica.py,
run in the engine venv) share one Redis: conversations in Rasa's Redis tracker
store, socket.io emits through the channel's ``client_manager_url``. In front of
them runs HAProxy with the configuration ``python -m bot run --replicas``
renders (bot/cluster.py: round-robin, no stickiness). The demo page and the
widget's socket come through the balancer; the bot's echo names the replica
that holds the socket, and the agent's reply goes to the OTHER replica through
Rasa's events API the way the handoff service sends it. The widget connects by
WebSocket first (no long-polling request, which would need stickiness).
"""

from __future__ import annotations

import importlib.util
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.cluster import balancer_process, find_haproxy, render_haproxy_config
from bot.errors import SetupError
from bot.supervisor import ServerProcess, free_port, http_ok
from tests.integration.bot.channels.replicas import REDIS_URL, Replica, redis_up


def haproxy_or_none() -> Path | None:
    try:
        return find_haproxy()
    except SetupError:
        return None


HAPROXY = haproxy_or_none()

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
    pytest.mark.skipif(
        HAPROXY is None, reason="HAProxy is not installed: bash scripts/setup-cluster.sh"
    ),
]


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[Replica, Replica, ServerProcess]]:
    """Two replicas and HAProxy in front of them (its ``url`` is the balancer's)."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    a = Replica(prefix, REDIS_URL, tmp_path / "a.log", python=str(ENGINE_PYTHON))
    b = Replica(prefix, REDIS_URL, tmp_path / "b.log", python=str(ENGINE_PYTHON))
    port = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        render_haproxy_config(
            host="127.0.0.1",
            public_port=port,
            replicas=[("rasa-1", a.port), ("rasa-2", b.port)],
            admin_socket=tmp_path / "haproxy.sock",
        )
    )
    assert HAPROXY is not None
    url = f"http://127.0.0.1:{port}"
    balancer = balancer_process(
        HAPROXY,
        config,
        health=lambda: http_ok(f"{url}/webhooks/webchat/"),
        log_file=tmp_path / "haproxy.log",
        url=url,
    )
    try:
        a.wait_ready()
        b.wait_ready()
        balancer.start()
        balancer.wait_ready(time.monotonic() + 30)
        yield a, b, balancer
    finally:
        balancer.stop()
        a.stop()
        b.stop()  # the replicas' tracker keys expire on their own (record_exp)


def test_the_widget_through_the_balancer_shows_an_agent_reply_sent_through_the_other_replica(
    replicas: tuple[Replica, Replica, ServerProcess],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    a, b, balancer = replicas
    base = str(balancer.url)
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
            page.goto(f"{base}/webhooks/webchat/demo")
            page.get_by_role("button", name=re.compile("Open chat")).click()
            expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
            box = page.get_by_label("Your message")
            box.fill("I want a person")
            box.press("Enter")
            bot = page.locator(".tw-bot .tw-text")
            expect(bot.last).to_have_text(re.compile(r"echo from \d+: I want a person"))
            holder = int(re.findall(r"\d+", bot.last.inner_text())[0])
            other = b if holder == a.port else a
            assert holder in (a.port, b.port)
            session = page.evaluate(
                "key => localStorage.getItem(key)", f"tandem.webchat.session:{base}"
            )
            assert isinstance(session, str) and len(session) == 36

            agent_reply: dict[str, Any] = {
                "event": "bot",
                "text": "Hi, I'm Maya from the team.",
                "data": {"custom": {"type": "agent_message", "agent": "Maya"}},
                "metadata": {"agent": "Maya"},
            }
            response = httpx.post(
                f"{other.base}/conversations/{session}/tracker/events",
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
    assert sockets and all(f"{base.removeprefix('http://')}/socket.io/" in u for u in sockets)
    assert polls == [], "the widget should connect by WebSocket first, without long-polling"
