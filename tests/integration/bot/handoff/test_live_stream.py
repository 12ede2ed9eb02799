"""Server-Sent Events from a real uvicorn server on loopback.

The engine notifies over HTTP while the customer keeps writing and the agent
replies; the console's stream must deliver every message once, in tracker order.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import uvicorn

from bot.handoff import FakeRasaGateway, HandoffSettings, create_app
from bot.supervisor import free_port

from .conftest import PASSWORD, SERVICE


class LiveServer:
    def __init__(self, settings: HandoffSettings) -> None:
        self.gateway = FakeRasaGateway()
        self.app = create_app(settings, gateway=self.gateway, text_generator=None)
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def browser(self, email: str) -> tuple[httpx.Client, str]:
        client = httpx.Client(base_url=self.origin, timeout=10)
        form = client.get("/console/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        done = client.post(
            "/console/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
            headers={"origin": self.origin},
        )
        assert done.status_code == 303
        meta = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/console/").text)
        assert meta
        return client, meta.group(1)


def read_events(
    response: httpx.Response, sink: list[tuple[str, Any]], stop: threading.Event
) -> None:
    event = "message"
    for line in response.iter_lines():
        if stop.is_set():
            return
        if line.startswith(":"):
            sink.append(("comment", line))
        elif line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: "):
            sink.append((event, json.loads(line[len("data: ") :])))
            event = "message"


@pytest.fixture
def live(settings: HandoffSettings) -> Iterator[LiveServer]:
    with LiveServer(replace(settings, keepalive_s=0.5)) as server:
        yield server


def test_stream_delivers_every_message_in_tracker_order(live: LiveServer) -> None:
    live.app.state.runtime.accounts.create_user(
        email="ana@example.com", name="Ana", role="agent", password=PASSWORD
    )
    engine = httpx.Client(base_url=live.origin, headers=SERVICE, timeout=10)
    live.gateway.customer_says("live", "a person please")
    handoff_id = engine.post(
        "/api/handoffs", json={"conversation_id": "live", "channel": "socketio", "reason": "asked"}
    ).json()["id"]
    browser, csrf = live.browser("ana@example.com")
    posting = {"origin": live.origin, "x-csrf-token": csrf}
    assert (
        browser.post(f"/console/api/handoffs/{handoff_id}/claim", headers=posting).status_code
        == 200
    )

    events: list[tuple[str, Any]] = []
    stop = threading.Event()
    with browser.stream("GET", "/console/api/stream", timeout=None) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        reader = threading.Thread(target=read_events, args=(stream, events, stop), daemon=True)
        reader.start()
        deadline = time.monotonic() + 10
        while not any(kind == "queue" for kind, _ in events):  # subscribed
            assert time.monotonic() < deadline
            time.sleep(0.02)

        expected = []
        for i in range(200):
            live.gateway.customer_says("live", f"customer message {i}")
            expected.append(("customer", f"customer message {i}"))
            if i % 10 == 9:
                assert engine.post("/api/conversations/live/notify").status_code == 202
            if i % 25 == 0:
                sent = browser.post(
                    f"/console/api/handoffs/{handoff_id}/reply",
                    json={"text": f"agent reply {i}"},
                    headers=posting,
                )
                assert sent.status_code == 200, sent.text
                expected.append(("agent", f"agent reply {i}"))
        engine.post("/api/conversations/live/notify")

        def delivered() -> list[dict[str, Any]]:
            return [data["message"] for kind, data in list(events) if kind == "message"]

        deadline = time.monotonic() + 30
        while len([m for m in delivered() if m["sender"] != "system"]) < len(expected):
            assert time.monotonic() < deadline, f"only {len(delivered())} messages arrived"
            time.sleep(0.05)
        time.sleep(0.6)  # long enough for a keep-alive
        stop.set()

    messages = [m for m in delivered() if m["sender"] != "system"]
    assert [(m["sender"], m["text"]) for m in messages] == expected
    seqs = [m["seq"] for m in delivered()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "duplicates or disorder"
    assert any(kind == "comment" and "keep-alive" in data for kind, data in events)
    stored = live.app.state.runtime.store.messages(handoff_id)
    assert [m.seq for m in stored if m.sender != "system"] == [m["seq"] for m in messages]


def test_stream_ends_when_the_session_does(live: LiveServer) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from bot.handoff.models import ConsoleSession, utcnow

    runtime = live.app.state.runtime
    runtime.accounts.create_user(email="bo@example.com", name="Bo", role="agent", password=PASSWORD)
    browser, _ = live.browser("bo@example.com")
    events: list[tuple[str, Any]] = []
    with browser.stream("GET", "/console/api/stream", timeout=10) as stream:
        reader = threading.Thread(
            target=read_events, args=(stream, events, threading.Event()), daemon=True
        )
        reader.start()
        deadline = time.monotonic() + 10
        while not events:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        with runtime.store._db.begin() as db:
            db.execute(update(ConsoleSession).values(last_seen=utcnow() - timedelta(hours=1)))
        reader.join(timeout=10)
    assert not reader.is_alive(), "the stream outlived its session"
    assert events[-1] == ("signed_out", {"login": "/console/login"})
