"""The REST channel served by a real Sanic server in this process.

One server (tests/integration/bot/channels/harness.py) serves the whole module;
each test swaps the handler that plays the bot.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.rest import EMPTY_MESSAGE_REPLY, FAILURE_REPLY, RestInput
from tests.integration.bot.channels.harness import ChannelServer, Handler, echo


async def _explode(message: UserMessage) -> None:
    raise RuntimeError("model crashed")


class _Server(ChannelServer):
    def __init__(self) -> None:
        super().__init__(RestInput(max_message_chars=1000), url_prefix="/webhooks/rest")

    def post(self, raw: bytes) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/webhooks/rest/webhook", data=raw, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


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
    assert "not valid JSON" in results[0][1]["error"]
    assert "limit is 1000" in results[3][1]["error"]
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
