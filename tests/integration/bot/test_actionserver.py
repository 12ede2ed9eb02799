"""``python -m bot.actionserver`` as a real process, its text model a local stand-in.

The action server runs the ``openai`` backend against an OpenAI-compatible
stand-in on 127.0.0.1 (chat completions, streamed as server-sent events), so
the whole path is real: HTTP in, the generator's client, the deadline, the
fact checks, HTTP out. The stand-in answers each template from a script.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.settings import QUIET_ENV
from bot.supervisor import ServerProcess, free_port, http_ok

PROJECT_ROOT = Path(__file__).resolve().parents[3]
HOURS = "The Downtown store opens at 9am today."
PRICE = "The Nova 8 costs $499 at Voltline."
SLOW = "Our stores close at 6pm on Sundays."
SCRIPT = {
    HOURS: "Good news: the Downtown store opens at 9am today.",
    PRICE: "The Nova 8 costs just $399 at Voltline!",  # a changed price must never get through
    SLOW: "On Sundays our stores close at 6pm.",
}


class ModelStandIn(ThreadingHTTPServer):
    """An OpenAI-compatible chat server that rewords the templates in ``SCRIPT``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ModelHandler)
        self.requests: list[dict[str, Any]] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client gave up: expected
            super().handle_error(request, client_address)


class _ModelHandler(BaseHTTPRequestHandler):
    server: ModelStandIn

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        template = body["messages"][-1]["content"].split("Message to rewrite:\n")[-1]
        reply = SCRIPT.get(template, "")
        if template == SLOW:
            time.sleep(2)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for word in reply.split(" "):
            delta = {"content": word if word == reply.split(" ")[0] else " " + word}
            chunk = {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "delta": delta}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


class ActionServer:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def post(self, path: str, raw: bytes) -> tuple[int, Any]:
        request = urllib.request.Request(f"{self.url}{path}", data=raw, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def rephrase(self, text: str, **extra: Any) -> dict[str, Any]:
        body = {
            "text": text,
            "turns": [{"role": "user", "text": "is downtown open this morning?"}],
            "response": "utter_test",
            **extra,
        }
        status, answer = self.post("/rephrase", json.dumps(body).encode())
        assert status == 200, answer
        return answer

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def model() -> Iterator[ModelStandIn]:
    stand_in = ModelStandIn()
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    yield stand_in
    stand_in.shutdown()


@pytest.fixture(scope="module")
def server(model: ModelStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    port = free_port()
    env = {
        **os.environ,
        **QUIET_ENV,
        "TANDEM_TEXT_BACKEND": "openai",
        "TANDEM_OPENAI_BASE_URL": f"http://127.0.0.1:{model.server_address[1]}/v1",
        "TANDEM_STATE_DIR": str(tmp_path_factory.mktemp("state")),
    }
    env.pop("SANIC_HOST", None)
    process = ServerProcess(
        "actions",
        [sys.executable, "-m", "bot.actionserver", "--actions", "actions", "--port", str(port)],
        health=lambda: http_ok(f"http://127.0.0.1:{port}/health"),
        log_file=tmp_path_factory.mktemp("logs") / "actions.log",
        cwd=PROJECT_ROOT,
        env=env,
    )
    process.start()
    try:
        process.wait_ready(time.monotonic() + 120)
        yield ActionServer(port)
    finally:
        process.stop(grace_s=10)


def test_the_rasa_sdk_routes_are_all_there(server: ActionServer) -> None:
    assert server.get("/health") == {"status": "ok"}
    names = {action["name"] for action in server.get("/actions")}
    assert {"action_answer_question", "action_store_hours"} <= names


def test_a_faithful_rephrasing_is_returned(server: ActionServer, model: ModelStandIn) -> None:
    answer = server.rephrase(HOURS)
    assert answer == {"text": SCRIPT[HOURS], "rephrased": True, "reason": None}
    prompt = model.requests[-1]["messages"]
    assert prompt[0]["role"] == "system" and "Keep every fact" in prompt[0]["content"]
    assert "Customer: is downtown open this morning?" in prompt[-1]["content"]


def test_an_invalid_rephrasing_returns_the_original(server: ActionServer) -> None:
    answer = server.rephrase(PRICE)
    assert answer["text"] == PRICE
    assert answer["rephrased"] is False
    assert "$399" in answer["reason"] and "$499" in answer["reason"]


def test_a_rephrasing_past_the_deadline_returns_the_original(server: ActionServer) -> None:
    started = time.monotonic()
    answer = server.rephrase(SLOW, deadline_s=0.5)
    assert time.monotonic() - started < 1.8
    assert answer == {"text": SLOW, "rephrased": False, "reason": "No rephrasing within 0.5 s."}


@pytest.mark.parametrize(
    ("raw", "status", "says"),
    [
        (b"{oops", 400, "not JSON"),
        (b"[]", 400, "JSON object"),
        (b'{"turns": []}', 400, "text: Field required"),
        (json.dumps({"text": HOURS, "turns": [{"role": "agent", "text": "x"}]}).encode(), 400,
         "turns.0.role"),
        (json.dumps({"text": HOURS, "deadline_s": 60}).encode(), 400, "deadline_s"),
        (json.dumps({"text": HOURS, "tone": "pirate"}).encode(), 400, "tone: Extra inputs"),
        (json.dumps({"text": "x" * 100_000}).encode(), 413, "limit is 65536"),
    ],
)  # fmt: skip
def test_bad_requests_get_a_4xx_that_says_what_to_send(
    server: ActionServer, model: ModelStandIn, raw: bytes, status: int, says: str
) -> None:
    calls = len(model.requests)
    got, body = server.post("/rephrase", raw)
    assert (got, list(body)) == (status, ["error"])
    assert says in body["error"]
    assert len(model.requests) == calls  # never reached the model
    assert server.rephrase(HOURS)["rephrased"] is True  # and the server is fine


def _outside_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_it_listens_on_loopback_only(server: ActionServer) -> None:
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection((address, port), timeout=2):
        pass


def _scrape(server: ActionServer) -> dict[tuple[str, tuple], float]:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"{server.url}/metrics", timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(series: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    return series.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_generator_calls_deadline_hits_and_actions(
    server: ActionServer,
) -> None:
    before = _scrape(server)
    assert server.rephrase(HOURS)["rephrased"] is True
    assert server.rephrase(SLOW, deadline_s=0.5)["rephrased"] is False
    status, _ = server.post("/webhook", json.dumps({"next_action": "action_nope"}).encode())
    assert status == 404
    after = _scrape(server)

    model = {"backend": "openai", "task": "rephrase"}
    calls = "tandem_generator_duration_seconds_count"
    assert _value(after, calls, **model) == _value(before, calls, **model) + 2
    hits = "tandem_generator_deadline_hits_total"
    assert _value(after, hits, **model) == _value(before, hits, **model) + 1
    route = {"service": "actions", "method": "POST", "route": "/rephrase"}
    responses = "tandem_http_responses_total"
    assert _value(after, responses, **route, status_class="2xx") == (
        _value(before, responses, **route, status_class="2xx") + 2
    )
    webhook = {"service": "actions", "method": "POST", "route": "/webhook"}
    assert _value(after, responses, **webhook, status_class="4xx") == (
        _value(before, responses, **webhook, status_class="4xx") + 1
    )
    runs = "tandem_action_duration_seconds_count"
    assert _value(after, runs, action="<unknown>") == _value(before, runs, action="<unknown>") + 1
