"""Locust customers of the reference assistant, over REST and over the web chat's socket.io.

    locust -f benchmarks/load/locustfile.py --headless --host http://127.0.0.1:5005 \
        -u 8 -r 4 --run-time 60s --journal /tmp/journal.jsonl RestCustomer WebChatCustomer

Each journey (benchmarks/load/journeys.py) is a new conversation with its own id; each
message is one Locust request named after its step, so the statistics come per reply
type. ``python -m benchmarks.scale`` runs this file and checks the trackers afterwards.
"""

from __future__ import annotations

import queue
import time
import uuid
from pathlib import Path
from typing import Any

import socketio
from locust import HttpUser, User, events, task

from benchmarks.load.journeys import JOURNEY, STOCK_JOURNEY, Journal, Step, expected_reply

REPLY_TIMEOUT_S = 60.0
_journals: dict[str, Journal] = {}


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--journal", default="", help="JSON lines of what each user sent")
    parser.add_argument("--think-time", type=float, default=0.0, help="seconds between messages")


def _journal(environment: Any) -> Journal | None:
    path = environment.parsed_options.journal if environment.parsed_options else ""
    if not path:
        return None
    if path not in _journals:
        _journals[path] = Journal(Path(path))
    return _journals[path]


class _Journeys:
    """The journey loop both channels share; a channel implements ``_say``."""

    channel = ""
    steps: tuple[Step, ...] = JOURNEY
    environment: Any

    def _say(self, conversation: str, step: Step) -> bool:
        """Send ``step`` and wait for the reply; True when the turn ran."""
        raise NotImplementedError

    def wait_time(self) -> float:
        options = self.environment.parsed_options
        return float(options.think_time) if options else 0.0

    def _journey(self) -> None:
        conversation = str(uuid.uuid4())
        self._start(conversation)
        journal = _journal(self.environment)
        for seq, step in enumerate(self.steps):
            if journal:
                journal.sent(conversation, self.channel, seq, step.text)
            if self._say(conversation, step) and journal:
                journal.acked(conversation, seq)
            pause = self.wait_time()
            if pause:
                time.sleep(pause)

    def _start(self, conversation: str) -> None:
        """Open a conversation before its first message (the web chat's session)."""


class RestCustomer(_Journeys, HttpUser):
    """``POST /webhooks/rest/webhook``: the reply comes in the HTTP response."""

    channel = "rest"

    def _say(self, conversation: str, step: Step) -> bool:
        with self.client.post(
            "/webhooks/rest/webhook",
            json={"sender": conversation, "message": step.text},
            name=step.name,
            timeout=REPLY_TIMEOUT_S,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return False
            problem = expected_reply(step, response.json())
            if problem:
                response.failure(problem)
            return True  # the turn ran: its message must be in the tracker

    @task
    def journey(self) -> None:
        self._journey()


class StockCustomer(RestCustomer):
    """The bot ``rasa init`` writes, over REST: only for ``python -m benchmarks.scale``'s
    stock figure (pick it by name on the command line)."""

    steps = STOCK_JOURNEY


class WebChatCustomer(_Journeys, User):
    """The widget's protocol: ``session_request``, then ``user_uttered``; the bot's
    ``bot_uttered`` messages end with ``bot_typing`` false. WebSocket transport only,
    as the widget connects (no sticky sessions needed)."""

    channel = "webchat"

    def on_start(self) -> None:
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)

        @self.sio.on("*")
        def anything(event: str, data: Any = None) -> None:
            self._events.put((event, data))

        started = time.perf_counter()
        try:
            self.sio.connect(self.host, transports=["websocket"], wait_timeout=30)
        except Exception as e:
            self._fire("connect", started, 0, e)
            raise
        self._fire("connect", started, 0, None)

    def on_stop(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()

    def _fire(self, name: str, started: float, length: int, error: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type="webchat",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=length,
            exception=error,
            context={},
        )

    def _next(self, deadline: float) -> tuple[str, Any]:
        return self._events.get(timeout=max(0.01, deadline - time.monotonic()))

    def _start(self, conversation: str) -> None:
        self.sio.emit("session_request", {"session_id": conversation})
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while True:
            event, data = self._next(deadline)
            if event == "session_confirm" and data == conversation:
                return

    def _say(self, conversation: str, step: Step) -> bool:
        started = time.perf_counter()
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        messages: list[dict[str, Any]] = []
        self.sio.emit("user_uttered", {"message": step.text})
        try:
            while True:
                event, data = self._next(deadline)
                if event == "bot_uttered":
                    messages.append(data)
                elif event == "webchat_error":
                    raise RuntimeError(f"webchat_error: {data}")
                elif event == "bot_typing" and not (data or {}).get("typing"):
                    break
        except queue.Empty:
            self._fire(step.name, started, 0, TimeoutError(f"no reply in {REPLY_TIMEOUT_S} s"))
            return False
        except RuntimeError as e:
            self._fire(step.name, started, 0, e)
            return False
        problem = expected_reply(step, messages)
        self._fire(step.name, started, len(messages), RuntimeError(problem) if problem else None)
        return True

    @task
    def journey(self) -> None:
        self._journey()
