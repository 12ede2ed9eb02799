"""Two handoff service processes behind one balancer, sharing one PostgreSQL database.

Each is a real ``python -m bot.handoff serve`` on its own port, as two
replicas would run, both started at once on an empty database (so their
migrations meet). Rasa is a small stand-in HTTP server with the two endpoints
the service calls. What one process does must reach a console connected to
the other, and the sign-in throttle must count attempts made on both.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from sqlalchemy.orm import sessionmaker

from bot.handoff.accounts import Accounts
from bot.handoff.db import make_engine
from bot.handoff.store import Store
from bot.handoff.throttle import FREE_ATTEMPTS, LoginThrottle
from bot.supervisor import free_port
from tests.conftest import PROJECT_ROOT

from .conftest import PASSWORD, SERVICE, TOKEN
from .test_live_stream import read_events

pytestmark = pytest.mark.postgres


class FakeRasa:
    """Rasa's tracker API for the service: ``GET .../tracker`` and ``POST .../tracker/events``."""

    def __init__(self) -> None:
        self.trackers: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        rasa = self

        class Handler(BaseHTTPRequestHandler):
            def _conversation(self) -> str:
                return unquote(urlsplit(self.path).path.split("/")[2])

            def _answer(self, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                with rasa.lock:
                    events = list(rasa.trackers.get(self._conversation(), []))
                self._answer({"events": events})

            def do_POST(self) -> None:
                events = json.loads(self.rfile.read(int(self.headers["content-length"])))
                rasa.add(self._conversation(), events)
                self._answer({})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        with self.lock:
            tracker = self.trackers.setdefault(conversation_id, [])
            tracker.extend({**e, "timestamp": e.get("timestamp", time.time())} for e in events)

    def customer_says(self, conversation_id: str, text: str) -> None:
        self.add(conversation_id, [{"event": "user", "text": text, "parse_data": {}}])


class Replica:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.handoff", "serve"],
                env={**env, "TANDEM_HANDOFF_PORT": str(self.port)},
                cwd=PROJECT_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, deadline: float) -> None:
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.origin}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def browser(self, email: str, password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
        client = httpx.Client(base_url=self.origin, timeout=10)
        form = client.get("/console/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        done = client.post(
            "/console/login",
            data={"email": email, "password": password, "csrf_token": token.group(1)},
            headers={"origin": self.origin},
        )
        return client, done


@contextmanager
def started(
    postgres_url: str, tmp_path: Path, live: str = "auto", sweep_s: float = 3600
) -> Iterator[tuple[Replica, Replica, FakeRasa]]:
    rasa = FakeRasa()
    env = {
        **os.environ,
        "TANDEM_HANDOFF_DB_URL": postgres_url,
        "TANDEM_HANDOFF_SERVICE_TOKEN": TOKEN,
        "TANDEM_HANDOFF_RASA_URL": rasa.url,
        "TANDEM_HANDOFF_OPEN_HOURS": "always",
        "TANDEM_HANDOFF_SWEEP_S": str(sweep_s),
        "TANDEM_ANALYTICS_DB_URL": f"sqlite:///{tmp_path / 'analytics.db'}",
        "TANDEM_STATE_DIR": str(tmp_path),
        "TANDEM_HANDOFF_LIVE": live,  # auto: PostgreSQL's NOTIFY, as in production
    }
    a, b = Replica(env, tmp_path / "a.log"), Replica(env, tmp_path / "b.log")
    try:
        deadline = time.monotonic() + 45
        a.wait_ready(deadline)
        b.wait_ready(deadline)
        yield a, b, rasa
    finally:
        a.stop()
        b.stop()
        rasa.server.shutdown()


@pytest.fixture
def replicas(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Replica, Replica, FakeRasa]]:
    with started(postgres_url, tmp_path) as running:
        yield running


def _listen(response: httpx.Response, sink: list[tuple[str, Any]], stop: threading.Event) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the test closes the stream under the reader
        read_events(response, sink, stop)


def _accounts(postgres_url: str) -> tuple[Accounts, LoginThrottle]:
    sessions = sessionmaker(make_engine(postgres_url), expire_on_commit=False)
    return Accounts(sessions), LoginThrottle(sessions)


def _wait(condition: Any, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_console_on_one_process_sees_what_happens_on_the_other(
    replicas: tuple[Replica, Replica, FakeRasa], postgres_url: str
) -> None:
    a, b, rasa = replicas
    accounts, _ = _accounts(postgres_url)
    accounts.create_user(email="ana@example.com", name="Ana", role="agent", password=PASSWORD)
    on_b, done = b.browser("ana@example.com")
    assert done.status_code == 303
    on_a, done = a.browser("ana@example.com")
    assert done.status_code == 303
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', on_a.get("/console/").text)
    assert csrf
    engine_a = httpx.Client(base_url=a.origin, headers=SERVICE, timeout=10)
    long_text = "Grüße aus Köln, " * 600  # 18,600 bytes as ASCII JSON: three NOTIFY payloads

    events: list[tuple[str, Any]] = []
    stop = threading.Event()
    with on_b.stream("GET", "/console/api/stream", timeout=None) as stream:
        assert stream.status_code == 200
        threading.Thread(target=_listen, args=(stream, events, stop), daemon=True).start()
        _wait(lambda: [k for k, _ in events].count("queue") == 1, "the first snapshot")

        rasa.customer_says("shared", "a person please")
        created = engine_a.post(
            "/api/handoffs",
            json={"conversation_id": "shared", "channel": "socketio", "reason": "asked"},
        )
        assert created.status_code in (200, 201), created.text
        handoff_id = created.json()["id"]

        def queue_shows_it() -> bool:
            return any(
                kind == "queue" and any(h["id"] == handoff_id for h in data)
                for kind, data in list(events)
            )

        _wait(queue_shows_it, "the request made on A in B's queue")

        claimed = on_a.post(
            f"/console/api/handoffs/{handoff_id}/claim",
            headers={"origin": a.origin, "x-csrf-token": csrf.group(1)},
        )
        assert claimed.status_code == 200, claimed.text
        rasa.customer_says("shared", "my order 123 has not arrived")
        rasa.customer_says("shared", long_text)
        assert engine_a.post("/api/conversations/shared/notify").status_code == 202

        def texts() -> list[str]:
            return [data["message"]["text"] for kind, data in list(events) if kind == "message"]

        _wait(lambda: long_text in texts(), "the long message on B")
        stop.set()

    said = texts()
    assert any("Ana from our team has joined" in t for t in said), said
    assert [t for t in said if "joined" not in t][-2:] == [
        "my order 123 has not arrived",
        long_text,
    ]
    seqs = [data["message"]["seq"] for kind, data in events if kind == "message"]
    assert seqs == sorted(set(seqs)), "a message came twice or out of order"


def test_two_agents_claiming_at_once_on_two_processes_are_announced_once(
    replicas: tuple[Replica, Replica, FakeRasa], postgres_url: str
) -> None:
    a, b, rasa = replicas
    accounts, _ = _accounts(postgres_url)
    browsers = []
    for replica, (email, name) in zip(
        (a, b), [("di@example.com", "Di"), ("ed@example.com", "Ed")], strict=True
    ):
        accounts.create_user(email=email, name=name, role="agent", password=PASSWORD)
        client, done = replica.browser(email)
        assert done.status_code == 303
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/console/").text)
        assert csrf
        browsers.append((replica, client, csrf.group(1)))
    ids = []
    for n in range(3):
        rasa.customer_says(f"race-{n}", "a person please")
        created = httpx.post(
            f"{a.origin}/api/handoffs",
            json={"conversation_id": f"race-{n}", "channel": "socketio", "reason": "asked"},
            headers=SERVICE,
        )
        ids.append(created.json()["id"])

    def claim(replica: Replica, client: httpx.Client, csrf: str, hid: int, sink: list[int]) -> None:
        answer = client.post(
            f"/console/api/handoffs/{hid}/claim",
            headers={"origin": replica.origin, "x-csrf-token": csrf},
        )
        sink.append(answer.status_code)

    for n, handoff_id in enumerate(ids):
        statuses: list[int] = []
        threads = [
            threading.Thread(target=claim, args=(*b, handoff_id, statuses)) for b in browsers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses)[0] == 200 and sorted(statuses)[1] in (403, 404, 409), statuses
        joined = [e for e in rasa.trackers[f"race-{n}"] if "has joined" in str(e.get("text", ""))]
        assert len(joined) == 1, joined


def test_without_the_relay_the_other_process_sees_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    with started(postgres_url, tmp_path, live="process") as (a, b, rasa):
        accounts, _ = _accounts(postgres_url)
        accounts.create_user(email="cy@example.com", name="Cy", role="agent", password=PASSWORD)
        on_b, _ = b.browser("cy@example.com")
        events: list[tuple[str, Any]] = []
        stop = threading.Event()
        with on_b.stream("GET", "/console/api/stream", timeout=None) as stream:
            threading.Thread(target=_listen, args=(stream, events, stop), daemon=True).start()
            _wait(lambda: [k for k, _ in events].count("queue") == 1, "the first snapshot")
            rasa.customer_says("alone", "a person please")
            created = httpx.post(
                f"{a.origin}/api/handoffs",
                json={"conversation_id": "alone", "channel": "socketio", "reason": "asked"},
                headers=SERVICE,
            )
            assert created.status_code == 201, created.text
            time.sleep(3)
            stop.set()
        assert [k for k, _ in events].count("queue") == 1, "B heard of A's request after all"


def test_sign_in_attempts_count_on_every_process(
    replicas: tuple[Replica, Replica, FakeRasa], postgres_url: str
) -> None:
    a, b, _ = replicas
    accounts, throttle = _accounts(postgres_url)
    accounts.create_user(email="bo@example.com", name="Bo", role="agent", password=PASSWORD)
    for n in range(FREE_ATTEMPTS):
        _, refused = (a, b)[n % 2].browser("bo@example.com", "wrong password")
        assert refused.status_code == 401, refused.text
    assert throttle.failures("bo@example.com", "127.0.0.1") == FREE_ATTEMPTS
    for replica in (a, b):  # the right password now waits, on either process
        _, waited = replica.browser("bo@example.com")
        assert waited.status_code == 429, waited.text


def test_one_process_sweeps_and_the_other_takes_over_when_it_dies(
    postgres_url: str, tmp_path: Path
) -> None:
    with started(postgres_url, tmp_path, sweep_s=0.5) as (a, b, rasa):
        leads = "now leads sweep"
        _wait(lambda: (leads in a.log.read_text()) != (leads in b.log.read_text()), "a sweeper")
        time.sleep(2)  # four more sweeps: the other still does not lead
        leader, other = (a, b) if leads in a.log.read_text() else (b, a)
        assert leads not in other.log.read_text()

        rasa.customer_says("swept", "a person please")
        created = httpx.post(
            f"{other.origin}/api/handoffs",
            json={"conversation_id": "swept", "channel": "socketio", "reason": "asked"},
            headers=SERVICE,
        )
        assert created.status_code == 201, created.text
        store = Store(sessionmaker(make_engine(postgres_url), expire_on_commit=False))

        def stored() -> list[str]:
            return [m.text for m in store.messages(created.json()["id"])]

        rasa.customer_says("swept", "hello? (nobody notified the service)")
        _wait(lambda: "hello? (nobody notified the service)" in stored(), "the leader's sweep")

        leader.process.kill()  # kill -9: PostgreSQL frees the lock with the connection
        leader.process.wait()
        _wait(lambda: leads in other.log.read_text(), "the other process to take over", 10)
        rasa.customer_says("swept", "still there?")
        _wait(lambda: "still there?" in stored(), "the new leader's sweep")
