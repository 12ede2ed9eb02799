"""The httpx gateway against a small HTTP server on loopback that imitates Rasa's API.

The stand-in answers ``GET /conversations/<id>/tracker`` and
``POST /conversations/<id>/tracker/events`` and records every request, so the
exact URL, query, headers and body the service sends are asserted.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from bot.handoff import GatewayError, HttpxRasaGateway
from bot.supervisor import free_port


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str | None = None


@dataclass
class RasaStandIn:
    port: int
    seen: list[Seen] = field(default_factory=list)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def rasa() -> Iterator[RasaStandIn]:
    state = RasaStandIn(free_port())

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _record(self) -> tuple[str, Seen]:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            seen = Seen(
                self.command,
                parts.path,
                parse_qs(parts.query),
                json.loads(raw) if raw else None,
                self.headers.get("authorization"),
            )
            state.seen.append(seen)
            return unquote(parts.path.split("/")[2]), seen

        def _maybe_fail(self) -> bool:
            if state.fail_next:
                self._answer(state.fail_next.pop(0), {"message": "boom"})
                return True
            return False

        def do_GET(self) -> None:
            sender, _ = self._record()
            if self._maybe_fail():
                return
            self._answer(200, {"sender_id": sender, "events": state.events.get(sender, [])})

        def do_POST(self) -> None:
            sender, seen = self._record()
            if self._maybe_fail():
                return
            state.events.setdefault(sender, []).extend(seen.body)
            self._answer(200, {"sender_id": sender, "events": state.events[sender]})

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


async def test_reads_the_whole_tracker_with_the_token_in_a_header(rasa: RasaStandIn) -> None:
    rasa.events["conv:1"] = [{"event": "user", "text": "hi", "timestamp": 1.0}]
    gateway = HttpxRasaGateway(rasa.url, token="rasa-secret")
    events = await gateway.tracker_events("conv:1")
    await gateway.aclose()
    assert events == [{"event": "user", "text": "hi", "timestamp": 1.0}]
    [seen] = rasa.seen
    assert (seen.method, seen.path) == ("GET", "/conversations/conv%3A1/tracker")
    assert seen.query == {"include_events": ["ALL"]}
    assert seen.authorization == "Bearer rasa-secret"


async def test_the_token_never_reaches_a_url_or_the_log(
    rasa: RasaStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """httpx logs every request URL at INFO; the handoff log keeps it (issue 19 #2)."""
    caplog.set_level(logging.DEBUG)
    ids = ["slack:T1:C2:1700.1", "19:abc@thread.tacv2;messageid=1", "x|y,z=w+v", "ünï çødé"]
    gateway = HttpxRasaGateway(rasa.url, token="rasa-secret-0123456789")
    for conversation_id in ids:
        await gateway.send_agent_message(conversation_id, "hello", "Ana")
        assert await gateway.tracker_events(conversation_id)
    await gateway.aclose()
    assert [s.path.split("/")[2] for s in rasa.seen] == [
        quote(i, safe="") for i in ids for _ in (0, 1)
    ]
    assert all(s.authorization == "Bearer rasa-secret-0123456789" for s in rasa.seen)
    assert "HTTP Request" in caplog.text  # httpx did log the URLs
    assert "rasa-secret" not in caplog.text


async def test_agent_messages_announcements_and_resume_are_exact(rasa: RasaStandIn) -> None:
    gateway = HttpxRasaGateway(rasa.url)
    await gateway.send_agent_message("c1", "Hello, Ana here", "Ana")
    await gateway.announce(
        "c1",
        "Ana from our team has joined the conversation.",
        {"type": "handoff", "state": "agent", "agent": "Ana"},
    )
    await gateway.resume("c1", "You're back with Volt, our assistant.")
    await gateway.aclose()
    assert [(s.method, s.path) for s in rasa.seen] == [
        ("POST", "/conversations/c1/tracker/events")
    ] * 3
    for seen in rasa.seen:
        assert seen.query == {"execute_side_effects": ["true"], "output_channel": ["latest"]}
    assert rasa.seen[0].body == [
        {
            "event": "bot",
            "text": "Hello, Ana here",
            "data": {"custom": {"type": "agent_message", "agent": "Ana"}},
            "metadata": {"agent": "Ana"},
        }
    ]
    assert rasa.seen[1].body == [
        {
            "event": "bot",
            "text": "Ana from our team has joined the conversation.",
            "data": {"custom": {"type": "handoff", "state": "agent", "agent": "Ana"}},
        }
    ]
    assert rasa.seen[2].body == [
        {"event": "resume"},
        {
            "event": "bot",
            "text": "You're back with Volt, our assistant.",
            "data": {"custom": {"type": "handoff", "state": "bot"}},
        },
        {"event": "action", "name": "action_listen"},
    ]


async def test_reads_retry_on_5xx_but_appends_do_not(rasa: RasaStandIn) -> None:
    gateway = HttpxRasaGateway(rasa.url, backoff_s=0.01)
    rasa.fail_next = [503, 502]
    assert await gateway.tracker_events("c1") == []
    assert len(rasa.seen) == 3
    rasa.fail_next = [500]
    with pytest.raises(GatewayError, match="500") as caught:
        await gateway.send_agent_message("c1", "once", "Ana")
    assert caught.value.status == 500 and caught.value.conversation_id == "c1"
    assert len(rasa.seen) == 4  # not retried: it might have been applied
    rasa.fail_next = [401]
    with pytest.raises(GatewayError, match="TANDEM_HANDOFF_RASA_TOKEN"):
        await gateway.tracker_events("c1")
    await gateway.aclose()


async def test_an_unreachable_rasa_is_retried_then_reported() -> None:
    gateway = HttpxRasaGateway(f"http://127.0.0.1:{free_port()}", retries=2, backoff_s=0.01)
    with pytest.raises(GatewayError, match=r"not reachable.*--enable-api"):
        await gateway.send_agent_message("c1", "hello", "Ana")
    await gateway.aclose()


async def test_a_slow_rasa_times_out_without_a_duplicate_append(rasa: RasaStandIn) -> None:
    import asyncio

    import httpx

    calls = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow", request=request)

    gateway = HttpxRasaGateway(rasa.url, transport=httpx.MockTransport(slow), backoff_s=0.01)
    with pytest.raises(GatewayError, match="may not have reached"):
        await gateway.send_agent_message("c1", "hello", "Ana")
    assert calls == 1
    with pytest.raises(GatewayError):
        await gateway.tracker_events("c1")
    assert calls == 1 + 4  # reads retry: three more attempts
    await gateway.aclose()
    await asyncio.sleep(0)
