"""The OpenAI-compatible backend against a stand-in server on 127.0.0.1.

The stand-in speaks the chat-completions protocol (JSON and server-sent
events) over real HTTP, so the openai client, its retries and its timeouts run
for real; ``behaviour`` scripts failures per request.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from generators.errors import GenerationTimeout, GeneratorError, ModelLoadError
from generators.text import GenerationOptions, Message, build_generator

QUESTION = [Message("system", "Be brief."), Message("user", "Is shipping free?")]


class StandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict] = []
        self.behaviour: list[str] = []  # per request: "ok", "503", "slow"
        self.reply = "Yes, over $50."

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the client timed out: expected
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: StandIn

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        mode = self.server.behaviour.pop(0) if self.server.behaviour else "ok"
        if mode == "503":
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "overloaded"}}')
            return
        if mode == "slow":
            time.sleep(1.0)
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for word in self.server.reply.split(" "):
                chunk = {
                    "id": "c1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body["model"],
                    "choices": [{"index": 0, "delta": {"content": word + " "}}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        payload = {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": self.server.reply},
                }
            ],
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server() -> Iterator[StandIn]:
    srv = StandIn()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _generator(server: StandIn, **kwargs):
    host, port = server.server_address[:2]
    return build_generator("openai", base_url=f"http://{host}:{port}/v1", model="smollm2", **kwargs)


def test_generate_sends_the_chat_and_decoding_options(server: StandIn) -> None:
    gen = _generator(server)
    assert gen.generate(QUESTION, GenerationOptions(max_new_tokens=12)) == "Yes, over $50."
    sent = server.requests[0]
    assert sent["model"] == "smollm2"
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Is shipping free?"},
    ]
    assert sent["max_tokens"] == 12 and sent["temperature"] == 0.0
    assert sent["repetition_penalty"] == pytest.approx(1.15)


def test_stream_yields_server_sent_events(server: StandIn) -> None:
    assert list(_generator(server).stream(QUESTION)) == ["Yes, ", "over ", "$50. "]


def test_retries_a_503_then_succeeds(server: StandIn) -> None:
    server.behaviour = ["503"]
    assert _generator(server, max_retries=1).generate(QUESTION) == "Yes, over $50."
    assert len(server.requests) == 2


def test_persistent_errors_raise_a_generator_error(server: StandIn) -> None:
    server.behaviour = ["503", "503"]
    with pytest.raises(GeneratorError, match="answered with an error"):
        _generator(server, max_retries=1).generate(QUESTION)


def test_a_slow_server_raises_generation_timeout(server: StandIn) -> None:
    server.behaviour = ["slow"]
    with pytest.raises(GenerationTimeout):
        _generator(server, timeout_s=0.2, max_retries=0).generate(QUESTION)


def test_no_server_raises_model_load_error_with_a_fix() -> None:
    gen = build_generator("openai", base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(ModelLoadError, match="is it running"):
        gen.generate(QUESTION)
