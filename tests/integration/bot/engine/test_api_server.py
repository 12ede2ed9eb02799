"""Rasa's real API app, built the way ``rasa run`` builds it, behind the engine's guard.

No model is loaded, so a request the guard lets through reaches Rasa's handler
and gets its "no agent loaded" 409; a refused one never gets that far. Requests
are written by hand on a socket so that ``Host``, half-sent bodies and sizes are
exactly what a test says (issue 19 #5, #8, #13).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.supervisor import free_port

TOKEN = "engine-test-token-0123456789abcdef"
AUTH = ("Authorization", f"Bearer {TOKEN}")
JSON = ("Content-Type", "application/json")
NO_AGENT = 409  # Rasa's answer once a request is past the guard
MAX_BODY = 64 * 1024


class Engine:
    def __init__(self, port: int) -> None:
        self.port = port

    def call(
        self,
        method: str,
        path: str,
        *headers: tuple[str, str],
        body: bytes = b"",
        host: str | None = None,
        timeout_s: float = 10.0,
    ) -> tuple[int, dict[str, Any]]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{self.port}'}"]
        lines += [f"{name}: {value}" for name, value in headers]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout_s) as sock:
            sock.sendall("\r\n".join(lines).encode() + body)
            return _read_response(sock)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, {"raw": payload.decode(errors="replace")}


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    import rasa.core.run

    from bot.engine import install

    with pytest.MonkeyPatch.context() as env:
        env.setenv("TANDEM_RASA_TOKEN", TOKEN)
        env.setenv("TANDEM_MAX_BODY_BYTES", str(MAX_BODY))
        env.setenv("TANDEM_REQUEST_TIMEOUT_S", "1")
        env.delenv("TANDEM_ENABLE_MODEL_API", raising=False)
        env.delenv("TANDEM_ALLOWED_HOSTS", raising=False)
        env.delenv("TANDEM_ALLOWED_ORIGINS", raising=False)
        install()
        app = rasa.core.run.configure_app(enable_api=True)

    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)

        async def boot() -> None:
            server = await app.create_server(
                host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
            )
            assert server is not None
            await server.startup()
            ready.set()

        loop.run_until_complete(boot())
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    assert ready.wait(30), "the engine app did not start"
    yield Engine(port)
    loop.call_soon_threadsafe(loop.stop)


def test_every_api_route_needs_the_token_in_the_header(engine: Engine) -> None:
    for path in ("/status", "/version", "/domain", "/conversations/x/tracker"):
        status, body = engine.call("GET", path)
        assert status == 401, path
        assert "Authorization: Bearer <TANDEM_RASA_TOKEN>" in body["message"]
    assert engine.call("GET", "/status", ("Authorization", "Bearer wrong"))[0] == 401
    assert engine.call("GET", "/status", AUTH)[0] == NO_AGENT
    assert engine.call("GET", "/version", AUTH)[0] == 200
    assert engine.call("GET", "/")[0] == 200  # Rasa's hello stays open


def test_a_token_in_the_url_is_refused_with_a_hint(engine: Engine) -> None:
    status, body = engine.call("GET", f"/status?token={TOKEN}")
    assert status == 401
    assert "remove ?token=" in body["message"]
    assert engine.call("GET", f"/status?token={TOKEN}", AUTH)[0] == 401


def test_a_foreign_host_is_refused(engine: Engine) -> None:
    """DNS rebinding: a page at attacker.example whose name now points at 127.0.0.1."""
    status, body = engine.call("GET", "/status", AUTH, host="attacker.example:5005")
    assert status == 403
    assert "TANDEM_ALLOWED_HOSTS" in body["message"]
    assert engine.call("GET", "/status", AUTH, host="localhost")[0] == NO_AGENT


def test_cross_site_text_plain_posts_are_refused(engine: Engine) -> None:
    event = json.dumps({"event": "slot", "name": "name", "value": "CSRF"}).encode()
    path = "/conversations/x/tracker/events"
    foreign = ("Origin", "https://evil.example")
    assert engine.call("POST", path, foreign, ("Content-Type", "text/plain"), body=event)[0] == 403
    assert engine.call("POST", path, AUTH, foreign, JSON, body=event)[0] == 403
    status, body = engine.call("POST", path, AUTH, ("Content-Type", "text/plain"), body=event)
    assert status == 415
    assert "application/json" in body["message"]
    assert engine.call("POST", path, AUTH, JSON, body=event)[0] == NO_AGENT


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/model"),
        ("DELETE", "/model"),
        ("POST", "/model/train"),
        ("POST", "/model/test/stories"),
        ("POST", "/model/test/intents"),
    ],
)
def test_model_changing_endpoints_are_off(engine: Engine, method: str, path: str) -> None:
    status, body = engine.call(method, path, AUTH, JSON, body=b'{"model_file": "/tmp/m.tar.gz"}')
    assert status == 403
    assert "TANDEM_ENABLE_MODEL_API=true" in body["message"]


def test_an_oversized_body_is_413(engine: Engine) -> None:
    big = json.dumps([{"event": "slot", "name": "n", "value": "x" * MAX_BODY}]).encode()
    with socket.create_connection(("127.0.0.1", engine.port), timeout=10) as sock:
        head = (
            "POST /conversations/x/tracker/events HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{engine.port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(big)}\r\n\r\n"
        )
        sock.sendall(head.encode())  # the size is refused from the header alone
        status, _ = _read_response(sock)
    assert status == 413


def test_a_half_sent_body_is_dropped_promptly(engine: Engine) -> None:
    """Rasa's response timeout is an hour; the body has its own deadline (1 s here)."""
    with socket.create_connection(("127.0.0.1", engine.port), timeout=10) as sock:
        head = (
            "POST /conversations/x/tracker/events HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{engine.port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: 100\r\n\r\n"
        )
        sock.sendall(head.encode() + b'[{"event": ')
        started = time.monotonic()
        status, _ = _read_response(sock)
    assert status == 408
    assert time.monotonic() - started < 5
