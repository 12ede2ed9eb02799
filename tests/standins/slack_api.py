"""A loopback stand-in for Slack's Web API, for tests that cannot reach slack.com.

Serves ``POST /api/<method>`` on 127.0.0.1 the way Slack does: HTTP 200 with
``{"ok": false, "error": ...}`` for a missing (``not_authed``) or wrong
(``invalid_auth``) bearer token and for bad arguments, HTTP 429 with
``Retry-After`` when told to rate-limit. It records every request, accepted or
not, so tests assert on exactly what the channel sent.

* ``chat.postMessage``: needs ``channel`` and ``text`` or ``blocks``; blocks are
  checked against Block Kit's limits (:func:`block_problems`), like Slack's
  ``invalid_blocks``; answers with the new message's ``ts``;
* ``chat.update``: needs ``channel`` and the ``ts`` of a message posted here;
* ``auth.test``: names the bot user.

Usage::

    with SlackApiStandIn(token="xoxb-test") as slack:
        channel = SlackInput(slack_token="xoxb-test", ..., slack_api_url=slack.url)
        ...
        [call] = slack.wait_for_calls(1)
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MAX_BLOCKS = 50
_TEXT_LIMITS = {"section": 3000, "header": 150, "context": 3000}


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in received."""

    method: str
    http_method: str
    token: str | None
    content_type: str
    body: dict[str, Any]
    status: int
    answer: dict[str, Any]


@dataclass
class _Script:
    errors: dict[str, list[str]] = field(default_factory=dict)
    rate_limits: dict[str, list[int]] = field(default_factory=dict)


def _text_problems(where: str, obj: Any, limit: int, kinds: tuple[str, ...]) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return [f"{where}: a text object of type {'/'.join(kinds)} is required"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"{where}: text must be a non-empty string"]
    if len(text) > limit:
        return [f"{where}: text has {len(text)} characters, the limit is {limit}"]
    return []


def block_problems(blocks: Any) -> list[str]:
    """What Slack would reject in ``blocks``; empty when they are valid."""
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    problems = [] if len(blocks) <= MAX_BLOCKS else [f"{len(blocks)} blocks, the limit is 50"]
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        kind = block.get("type") if isinstance(block, dict) else None
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is not None:
            if block_id in block_ids or len(str(block_id)) > 255:
                problems.append(f"{where}: block_id {block_id!r} is repeated or too long")
            block_ids.add(block_id)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"{where}: a section needs text or fields")
            if "text" in block:
                problems += _text_problems(where, block["text"], 3000, ("mrkdwn", "plain_text"))
            for j, item in enumerate(block.get("fields", [])):
                problems += _text_problems(f"{where}.fields[{j}]", item, 2000, ("mrkdwn",))
            if len(block.get("fields", [])) > 10:
                problems.append(f"{where}: more than 10 fields")
        elif kind == "header":
            problems += _text_problems(where, block.get("text"), 150, ("plain_text",))
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                problems.append(f"{where}: a context needs 1 to 10 elements")
            for j, item in enumerate(elements):
                problems += _text_problems(
                    f"{where}.elements[{j}]", item, 3000, ("mrkdwn", "plain_text")
                )
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                problems.append(f"{where}: an actions block needs 1 to 25 elements")
            for j, button in enumerate(elements):
                at = f"{where}.elements[{j}]"
                if button.get("type") != "button":
                    problems.append(f"{at}: only buttons are expected")
                problems += _text_problems(at, button.get("text"), 75, ("plain_text",))
                if "value" in button and len(str(button["value"])) > 2000:
                    problems.append(f"{at}: value over 2000 characters")
                action_id = button.get("action_id")
                if not action_id or action_id in action_ids or len(action_id) > 255:
                    problems.append(f"{at}: action_id {action_id!r} missing, repeated or long")
                action_ids.add(action_id)
        elif kind == "image":
            if not block.get("image_url") or not block.get("alt_text"):
                problems.append(f"{where}: an image needs image_url and alt_text")
        elif kind != "divider":
            problems.append(f"{where}: unknown block type {kind!r}")
    return problems


class SlackApiStandIn:
    """Slack's Web API on a free loopback port, in its own thread and event loop."""

    def __init__(
        self, *, token: str = "xoxb-test-token", team: str = "T0001", bot_user: str = "UBOT"
    ) -> None:
        self.token, self.team, self.bot_user = token, team, bot_user
        self.port = 0
        self._calls: list[RecordedCall] = []
        self._messages: list[dict[str, Any]] = []
        self._script = _Script()
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        """What ``slack_api_url`` should be set to."""
        return f"http://127.0.0.1:{self.port}/api"

    def __enter__(self) -> SlackApiStandIn:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Slack API stand-in did not start")

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)

        async def boot() -> None:
            assert self._runner is not None
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self._ready.set()

        self._loop.run_until_complete(boot())
        self._loop.run_forever()

    def fail_next(self, method: str, error: str) -> None:
        """The next call of ``method`` gets ``{"ok": false, "error": error}``."""
        with self._changed:
            self._script.errors.setdefault(method, []).append(error)

    def rate_limit_next(self, method: str, *, retry_after_s: int = 1) -> None:
        """The next call of ``method`` gets HTTP 429 with ``Retry-After``."""
        with self._changed:
            self._script.rate_limits.setdefault(method, []).append(retry_after_s)

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        with self._changed:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for_calls(
        self, count: int, *, method: str | None = None, timeout: float = 10.0
    ) -> list[RecordedCall]:
        """The first ``count`` calls (of ``method``), waiting up to ``timeout`` for them."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.calls(method)) >= count, timeout)
            return self.calls(method)

    def reset(self) -> None:
        with self._changed:
            self._calls.clear()
            self._messages.clear()
            self._script = _Script()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        content_type = request.headers.get("Content-Type", "")
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        try:
            if content_type.startswith("application/json"):
                body = json.loads(raw.decode("utf-8"))
            else:
                body = dict(urllib.parse.parse_qsl(raw.decode("utf-8")))
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        with self._changed:
            limits = self._script.rate_limits.get(method) or []
            retry_after = limits.pop(0) if limits else None
            errors = self._script.errors.get(method) or []
            scripted = errors.pop(0) if errors else None
            status, answer = self._answer(method, token, body, retry_after, scripted)
            self._calls.append(
                RecordedCall(method, request.method, token, content_type, body, status, answer)
            )
            self._changed.notify_all()
        headers = {"Retry-After": str(retry_after)} if status == 429 else None
        return web.json_response(answer, status=status, headers=headers)

    def _answer(
        self,
        method: str,
        token: str | None,
        body: dict[str, Any],
        retry_after: int | None,
        scripted: str | None,
    ) -> tuple[int, dict[str, Any]]:
        if retry_after is not None:
            return 429, {"ok": False, "error": "ratelimited"}
        if token is None:
            return self._error("not_authed")
        if token != self.token:
            return self._error("invalid_auth")
        if "_unparsed" in body:
            return self._error("invalid_json")
        if scripted:
            return self._error(scripted)
        if method == "chat.postMessage":
            return self._post_message(body)
        if method == "chat.update":
            return self._update(body)
        if method == "auth.test":
            return 200, {"ok": True, "team_id": self.team, "user_id": self.bot_user}
        return 404, {"ok": False, "error": "unknown_method"}

    @staticmethod
    def _error(error: str, **extra: Any) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": False, "error": error, **extra}

    def messages(self) -> list[dict[str, Any]]:
        """Every message posted so far, with the ``ts`` Slack gave it."""
        with self._changed:
            return [dict(m) for m in self._messages]

    def _post_message(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel = body.get("channel")
        if not channel:
            return self._error("channel_not_found")
        if not body.get("text") and not body.get("blocks"):
            return self._error("no_text")
        if "blocks" in body and (problems := block_problems(body["blocks"])):
            return self._error("invalid_blocks", errors=problems)
        if len(str(body.get("text", ""))) > 40_000:
            return self._error("msg_too_long")
        n = len(self._messages)
        message = {
            "type": "message",
            "user": self.bot_user,
            "channel": channel,
            "ts": f"{1_700_000_000 + n}.{n:06d}",
            "text": body.get("text"),
            "blocks": body.get("blocks", []),
        }
        if body.get("thread_ts"):
            message["thread_ts"] = body["thread_ts"]
        self._messages.append(message)
        return 200, {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _update(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        known = {(m["channel"], m["ts"]) for m in self._messages}
        if (body.get("channel"), body.get("ts")) not in known:
            return self._error("message_not_found")
        if "blocks" in body and (problems := block_problems(body["blocks"])):
            return self._error("invalid_blocks", errors=problems)
        return 200, {"ok": True, "channel": body["channel"], "ts": body["ts"]}
