"""The REST channel served by a real Sanic server in this process.

One server (tests/integration/bot/channels/harness.py) serves the whole module;
each test swaps the handler that plays the bot.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.rest import EMPTY_MESSAGE_REPLY, FAILURE_REPLY, RestInput
from tests.integration.bot.channels.harness import ChannelServer, Handler, echo


async def _explode(message: UserMessage) -> None:
    raise RuntimeError("model crashed")


class _Server(ChannelServer):
    def __init__(self) -> None:
        super().__init__(RestInput(max_message_chars=1000), url_prefix="/webhooks/rest")

    def post(self, raw: bytes, *, token: str | None = None, query: str = "") -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/webhooks/rest/webhook{query}",
            data=raw,
            method="POST",
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
                if query:  # ?stream=true: one JSON message per line
                    return response.status, [json.loads(line) for line in body.splitlines()]
                return response.status, json.loads(body)
        except urllib.error.HTTPError as e:
            return e.code, (e.headers.get("WWW-Authenticate"), json.loads(e.read()))


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    srv = _Server()
    srv.start()
    yield srv
    srv.loop.call_soon_threadsafe(srv.loop.stop)


def exchange(server: _Server, handler: Handler, requests: list[bytes]) -> list[tuple[int, Any]]:
    server.handler = handler
    return [server.post(raw) for raw in requests]


def msg(sender: str = "u1", message: Any = "hi") -> bytes:
    return json.dumps({"sender": sender, "message": message}).encode()


def test_bad_requests_get_4xx_and_later_messages_still_work(server: _Server) -> None:
    results = exchange(
        server,
        echo,
        [
            b"{oops",
            b"\xff\xfe",
            json.dumps({"message": "no sender"}).encode(),
            msg(message="x" * 100_000),
            msg(message="still here?"),
        ],
    )
    assert [status for status, _ in results] == [400, 400, 400, 413, 200]
    assert "not valid JSON" in results[0][1][1]["error"]
    assert "limit is 1000" in results[3][1][1]["error"]
    assert results[4][1] == [{"recipient_id": "u1", "text": "echo: still here?"}]


def test_empty_message_gets_a_polite_prompt_without_reaching_the_bot(server: _Server) -> None:
    seen: list[str] = []

    async def record(message: UserMessage) -> None:
        seen.append(message.text or "")

    [(status, reply)] = exchange(server, record, [msg(message="   ")])
    assert status == 200
    assert reply == [{"recipient_id": "u1", "text": EMPTY_MESSAGE_REPLY}]
    assert seen == []


def test_a_crash_while_handling_becomes_an_apology_not_a_500(server: _Server) -> None:
    [(status, reply)] = exchange(server, _explode, [msg()])
    assert status == 200
    assert reply == [{"recipient_id": "u1", "text": FAILURE_REPLY}]


@pytest.mark.parametrize("text", ["👍🎉", "Hallo Привет 你好 مرحبا", "a" * 999])
def test_unusual_text_reaches_the_bot_intact(server: _Server, text: str) -> None:
    [(status, reply)] = exchange(server, echo, [msg(message=text)])
    assert status == 200
    assert reply[0]["text"] == f"echo: {text}"


# ---- namespaces, input the bot never sees, authentication -------------------------


def test_the_conversation_is_in_the_rest_namespace_and_replies_name_the_sender(
    server: _Server,
) -> None:
    server.seen.clear()
    [(status, reply)] = exchange(server, echo, [msg(sender="c0001")])
    streamed = server.post(msg(sender="c0001", message="again"), query="?stream=true")
    assert (status, reply) == (200, [{"recipient_id": "c0001", "text": "echo: hi"}])
    assert streamed == (200, [{"recipient_id": "c0001", "text": "echo: again"}])
    assert [m.sender_id for m in server.seen] == ["rest:c0001", "rest:c0001"]


def test_a_crash_while_streaming_becomes_an_apology(server: _Server) -> None:
    server.handler = _explode
    status, lines = server.post(msg(), query="?stream=true")
    assert (status, lines) == (200, [{"recipient_id": "u1", "text": FAILURE_REPLY}])


def test_input_that_used_to_crash_or_bloat_gets_a_4xx(server: _Server) -> None:
    server.seen.clear()
    deep = b'{"sender": "u1", "message": "hi", "metadata": ' + b"[" * 50_000 + b"]" * 50_000
    results = exchange(
        server,
        echo,
        [
            deep + b"}",
            json.dumps({"sender": "u1", "message": "\ud800"}).encode(),
            json.dumps({"sender": "u1", "message": "hi", "metadata": {"k": "v" * 9000}}).encode(),
        ],
    )
    assert [status for status, _ in results] == [400, 400, 413]
    assert "nested too deeply" in results[0][1][1]["error"]
    assert "unpaired surrogate" in results[1][1][1]["error"]
    assert "limit is 8192" in results[2][1][1]["error"]
    assert server.seen == []


REST_TOKEN = "rest-shared-secret-0123456789"
JWT_KEY = "visitor-key-0123456789abcdef0123"


def visitor(sub: str, **claims: Any) -> str:
    return jwt.encode(
        {"sub": sub, "exp": int(time.time()) + 600, **claims}, JWT_KEY, algorithm="HS256"
    )


@pytest.fixture
def secured(server: _Server) -> Iterator[_Server]:
    """The channel as `bot run` configures it off loopback."""
    channel = server.channel
    assert isinstance(channel, RestInput)
    channel.auth_token, channel.jwt_key = REST_TOKEN, JWT_KEY
    server.handler = echo
    server.seen.clear()
    yield server
    channel.auth_token = channel.jwt_key = None


def test_off_loopback_every_request_needs_a_token(secured: _Server) -> None:
    statuses = [
        secured.post(msg(sender="alice"))[0],
        secured.post(msg(sender="alice"), token="wrong-token-0123456789")[0],
        secured.post(msg(sender="alice"), token=jwt.encode({}, JWT_KEY))[0],
        secured.post(msg(sender="alice"), token=jwt.encode({"sub": "alice"}, JWT_KEY))[0],
        secured.post(msg(sender="alice"), token=visitor("mallory"))[0],
        secured.post(msg(sender="alice"), token=REST_TOKEN)[0],
        secured.post(msg(sender="bob"), token=REST_TOKEN)[0],
        secured.post(msg(sender="alice"), token=visitor("alice"))[0],
    ]
    assert statuses == [401, 401, 401, 401, 403, 200, 200, 200]
    assert [m.sender_id for m in secured.seen] == ["rest:alice", "rest:bob", "rest:alice"]
    challenge, error = secured.post(msg(sender="alice"))[1]
    assert challenge == "Bearer" and "Authorization: Bearer" in error["error"]


def test_identity_comes_from_a_verified_claim_only(secured: _Server) -> None:
    forged = {"tandem_auth": {"customer_id": "c0001"}, "page": "/"}

    def post(token: str) -> int:
        body = {"sender": "alice", "message": "hi", "metadata": forged}
        return secured.post(json.dumps(body).encode(), token=token)[0]

    assert [post(visitor("alice", customer_id="c0042")), post(REST_TOKEN)] == [200, 200]
    assert [m.metadata for m in secured.seen] == [
        {"page": "/", "tandem_auth": {"customer_id": "c0042", "client_ip": "127.0.0.1"}},
        # the shared secret is the business's server relaying customers: no address
        {"page": "/"},
    ]
