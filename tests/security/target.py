"""The system under attack: a real server set, started the way `make run` starts it.

:func:`start_target` runs Rasa, the action server and the handoff service under
:class:`bot.supervisor.Supervisor` on free ports with their own state directory,
plus the channels an attacker meets in production: REST, the web chat (with a
visitor key, as off loopback) and Slack (signed events; its Web API is a
loopback stand-in that records what the bot posts). Only loopback is used.

The helpers speak each protocol as its real client does: Rasa's API with
``Authorization: Bearer``, a socket.io (Engine.IO v4 polling) web-chat visitor,
Slack's request signatures, and an agent in the console (tests/e2e/console_client.py).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml

from bot.channels.slack_events import signature
from bot.settings import Settings
from bot.supervisor import Supervisor, free_port
from bot.training import ensure_model
from tests.e2e.console_client import Console, create_agent

SLACK_TEAM, SLACK_BOT_USER = "T1", "UBOT"
AGENT_EMAIL = "mallory-check@voltline.example"

# The web chat channel's refusal event (bot/channels/webchat.py ERROR_EVENT, engine venv).
ERROR_EVENT = "webchat_error"


class SlackApiStub:
    """Slack's Web API on loopback: answers ``ok`` and records each call's JSON."""

    def __init__(self) -> None:
        calls: list[tuple[str, dict[str, Any]]] = []
        self.calls = calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                calls.append((self.path.rsplit("/", 1)[-1], body))
                answer = json.dumps({"ok": True, "ts": f"{time.time():.6f}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def posts_to(self, channel: str) -> list[dict[str, Any]]:
        return [b for m, b in self.calls if m == "chat.postMessage" and b.get("channel") == channel]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Target:
    """A running server set and the secrets its operator configured."""

    supervisor: Supervisor
    slack: SlackApiStub
    slack_secret: str
    agent_password: str
    extra_secrets: dict[str, str] = field(default_factory=dict)
    _console: Console | None = None

    @property
    def settings(self) -> Settings:
        return self.supervisor.settings

    @property
    def rasa(self) -> str:
        return self.settings.rasa_url

    @property
    def handoff(self) -> str:
        return self.settings.handoff_url

    @property
    def visitor_key(self) -> str:
        return self.settings.jwt_secret

    def secrets(self) -> dict[str, str]:
        """Every secret of this run that must never reach a log or a command line."""
        s = self.settings
        named = {
            "TANDEM_RASA_TOKEN": s.rasa_token,
            "TANDEM_HANDOFF_SERVICE_TOKEN": s.service_token,
            "TANDEM_STREAM_TOKEN": s.stream_token,
            "TANDEM_JWT_SECRET": s.jwt_secret,
            "slack signing secret": self.slack_secret,
            "console password": self.agent_password,
            **self.extra_secrets,
        }
        return {name: value for name, value in named.items() if value}

    # Rasa's HTTP API, as Tandem's own clients call it

    def api_headers(self) -> dict[str, str]:
        token = self.settings.rasa_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.api_headers(), **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.rasa}{path}", headers=headers, timeout=60, **kwargs)

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        response = self.api("GET", f"/conversations/{quote(conversation_id, safe='')}/tracker")
        response.raise_for_status()
        return dict(response.json())

    # channels

    def rest_headers(self) -> dict[str, str]:
        """What a legitimate server-to-server REST client sends: the REST channel's token.

        Attacks go through it too, so they test what even an authenticated REST
        client cannot do (reach another channel's conversation, send bad input).
        """
        return {"Authorization": f"Bearer {self.extra_secrets['TANDEM_REST_TOKEN']}"}

    def rest(self, sender: str, text: str, **extra: Any) -> httpx.Response:
        return httpx.post(
            f"{self.rasa}/webhooks/rest/webhook",
            json={"sender": sender, "message": text, **extra},
            headers=self.rest_headers(),
            timeout=120,
        )

    def say(self, sender: str, text: str) -> list[str]:
        response = self.rest(sender, text)
        response.raise_for_status()
        return [m.get("text") or "" for m in response.json()]

    def slack_event(self, event: dict[str, Any]) -> int:
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": SLACK_TEAM,
                "api_app_id": "ASEC",
                "event_id": "Ev" + secrets.token_hex(6).upper(),
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": SLACK_TEAM, "user_id": SLACK_BOT_USER, "is_bot": True}
                ],
                "event": event,
            }
        ).encode()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(self.slack_secret, ts, body),
        }
        response = httpx.post(
            f"{self.rasa}/webhooks/slack/webhook", content=body, headers=headers, timeout=30
        )
        return response.status_code

    def visitor_token(self, sub: str, *, ttl_s: int = 600, **claims: Any) -> str:
        return jwt_hs256({"sub": sub, "exp": int(time.time()) + ttl_s, **claims}, self.visitor_key)

    def visitor(self, session_id: str | None = None) -> WebChatVisitor:
        session_id = session_id or str(uuid.uuid4())
        return WebChatVisitor(self.rasa, self.visitor_token(session_id), session_id)

    def console(self) -> Console:
        """The agent, signed in once per target (logins are throttled)."""
        if self._console is None:
            self._console = Console(self.handoff).login(AGENT_EMAIL, self.agent_password)
        return self._console

    def state_files(self) -> list[Path]:
        root = self.settings.state_dir
        return sorted(p for p in root.rglob("*") if p.is_file())

    def child_pids(self) -> list[int]:
        """The servers' processes and everything they started."""
        pids: list[int] = []
        todo = [s.pid for s in self.supervisor.servers if s.pid is not None]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in task.read_text().split()]
        return pids


def jwt_hs256(payload: dict[str, Any], key: str) -> str:
    """A JWT signed with HS256 (what the web chat's visitor tokens are)."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    mac = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


class WebChatRefused(RuntimeError):
    """The socket refused the connection or the session."""


class WebChatVisitor:
    """A web-chat visitor on socket.io's HTTP long-polling transport (Engine.IO v4)."""

    def __init__(self, base_url: str, token: str, session_id: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=40)
        opened = self.http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
        opened.raise_for_status()
        self.params = {
            "EIO": "4",
            "transport": "polling",
            "sid": json.loads(opened.text[1:])["sid"],
        }
        self.pending: list[Any] = []
        self._post("40" + json.dumps({"token": token}))
        connected = self._until(lambda p: p.startswith(("40", "44")))
        if connected.startswith("44"):
            raise WebChatRefused(connected[2:])
        self._post("42" + json.dumps(["session_request", {"session_id": session_id}]))
        confirm = self._event("session_confirm", ERROR_EVENT)
        if confirm[0] == ERROR_EVENT:
            raise WebChatRefused(json.dumps(confirm[1:]))
        self.session_id = str(confirm[1])

    def _post(self, packet: str) -> None:
        self.http.post("/socket.io/", params=self.params, content=packet).raise_for_status()

    def _until(self, wanted: Any, timeout_s: float = 60) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            while self.pending:
                packet = self.pending.pop(0)
                if packet == "2":
                    self._post("3")
                elif wanted(packet):
                    return str(packet)
            response = self.http.get("/socket.io/", params=self.params)
            response.raise_for_status()
            self.pending += response.text.split("\x1e")
        raise TimeoutError("the web chat socket sent nothing expected in time")

    def _event(self, *names: str, timeout_s: float = 60) -> list[Any]:
        packet = self._until(
            lambda p: p.startswith("42") and json.loads(p[2:])[0] in names, timeout_s
        )
        return list(json.loads(packet[2:]))

    def emit(self, event: str, data: Any) -> None:
        self._post("42" + json.dumps([event, data]))

    def next_event(self, *names: str, timeout_s: float = 60) -> list[Any] | None:
        """The next of the named events as ``[name, data]``; ``None`` when none came."""
        try:
            return self._event(*names, timeout_s=timeout_s)
        except TimeoutError:
            return None

    def say(self, text: str) -> list[str]:
        """Send a message; the text of the bot's first reply."""
        self.emit("user_uttered", {"message": text})
        first = self._event("bot_uttered", ERROR_EVENT)
        return [str(first[1].get("text") or "")] if isinstance(first[1], dict) else []

    def close(self) -> None:
        with contextlib.suppress(httpx.HTTPError):
            self._post("1")
        self.http.close()


def _credentials(path: Path, slack: SlackApiStub, slack_secret: str) -> Path:
    """The project's credentials.yml plus Slack wired to the stand-in."""
    config = yaml.safe_load(Settings().credentials.read_text(encoding="utf-8")) or {}
    config["bot.channels.slack.SlackInput"] = {
        "slack_token": "xoxb-security-suite",
        "slack_signing_secret": slack_secret,
        "slack_api_url": slack.url,
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@contextlib.contextmanager
def start_target(state_dir: Path) -> Iterator[Target]:
    """Start the server set with a visitor key set, as a deployment has it.

    The Rasa token is set too (today's supervisor cannot health-check Rasa with a
    JWT secret and no token); that the token is also set by default is checked
    without a server (``api_token_by_default``). Everything else keeps its
    `make run` default, so the attacks meet what operators actually run.
    """
    slack = SlackApiStub()
    slack_secret = secrets.token_urlsafe(24)
    state_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "TANDEM_JWT_SECRET": os.environ.get("TANDEM_JWT_SECRET") or secrets.token_urlsafe(32),
        "TANDEM_API_JWT_SECRET": secrets.token_urlsafe(32),
        "TANDEM_RASA_TOKEN": secrets.token_urlsafe(32),
        # the shop's own server posts REST turns with this (docs/channels/rest.md)
        "TANDEM_REST_TOKEN": secrets.token_urlsafe(32),
    }
    extra = {
        "TANDEM_API_JWT_SECRET": env["TANDEM_API_JWT_SECRET"],
        "TANDEM_REST_TOKEN": env["TANDEM_REST_TOKEN"],
    }
    saved = dict(os.environ)
    os.environ.update(env)  # the supervisor hands its own environment to the servers
    try:
        settings = Settings.from_env(env).with_overrides(
            state_dir=state_dir / "state",
            rasa_port=free_port(),
            action_port=free_port(),
            handoff_port=free_port(),
            credentials=_credentials(state_dir / "credentials.yml", slack, slack_secret),
        )
        supervisor = Supervisor(settings, model=ensure_model(settings))
        # the attacks need a queue to attack whatever the hour (support hours: docs/handoff.md)
        supervisor.handoff.env["TANDEM_HANDOFF_OPEN_HOURS"] = "always"
        supervisor.start()
    except BaseException:
        slack.close()
        os.environ.clear()
        os.environ.update(saved)
        raise
    password = secrets.token_urlsafe(18)
    target = Target(supervisor, slack, slack_secret, password, extra)
    try:
        create_agent(supervisor, email=AGENT_EMAIL, name="Mallory", password=password)
        yield target
    finally:
        if target._console is not None:
            target._console.http.close()
        supervisor.stop()
        slack.close()
        os.environ.clear()
        os.environ.update(saved)
