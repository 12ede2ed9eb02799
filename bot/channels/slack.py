"""Tandem's Slack channel: Events API and interactivity, replies through the Web API.

Enable it in ``credentials.yml`` (secrets come from the environment; Rasa
expands ``${VAR}``)::

    bot.channels.slack.SlackInput:
      slack_token: ${SLACK_BOT_TOKEN}
      slack_signing_secret: ${SLACK_SIGNING_SECRET}

What it adds to Rasa's own ``slack`` channel:

* every request is checked before anything is parsed: the ``X-Slack-Signature``
  HMAC over ``v0:{timestamp}:{body}`` and a timestamp inside the replay window,
  else 401; malformed bodies then get a 400;
* Slack gets its 200 at once and the message is handled in a background task,
  so a slow model never makes Slack retry; retries (same ``event_id``) are
  dropped by a TTL cache, so nobody gets the same answer twice;
* bots, including this one, and edits or deletions never reach the model;
* conversation ids carry the reply address (``slack:<team>:<channel>[:<thread
  ts>]``), so an agent's message sent later through Rasa's HTTP API
  (``output_channel=latest``) lands in the right DM or thread;
* replies are Block Kit: buttons, cards for structured results, a speaker line
  for human agents (see ``bot/channels/blocks.py``).

The dedup cache lives in process memory unless ``state_url`` (or
``TANDEM_CHANNELS_REDIS_URL``, which the production profile sets) names a
Redis: then every replica takes each ``event_id`` with ``SET NX EX``
(:mod:`bot.channels.shared_state`), so a retry that reaches another replica
is still dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.blocks import SlackMessage, mark_chosen, render
from bot.channels.rest import customer_language, empty_reply, failure_reply
from bot.channels.shared_state import (
    DEFAULT_PREFIX,
    Deduplicator,
    RedisEventDeduplicator,
    redis_client,
)
from bot.channels.slack_events import (
    Click,
    EventDeduplicator,
    Ignored,
    Incoming,
    RejectedRequest,
    SlackAddress,
    parse_event,
    parse_interaction,
    parse_json,
    require_str,
    verify_request,
)
from bot.contract.labels import labels_for
from bot.engine.settings import EngineSettings
from bot.errors import ConfigError

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api"
DEFAULT_REPLAY_WINDOW_S = 300
DEFAULT_MAX_MESSAGE_CHARS = 4000
DEFAULT_TIMEOUT_S = 10.0
MAX_RETRY_AFTER_S = 30.0
TOO_LONG_REPLY = (
    "Sorry, that message is too long for me ({length} characters; I can read up to "
    "{limit}). Could you shorten it or send it in parts?"
)
_ERROR_HINTS = {
    "invalid_auth": "check slack_token: it must be the app's Bot User OAuth Token (xoxb-...)",
    "not_authed": "check slack_token: it must be the app's Bot User OAuth Token (xoxb-...)",
    "token_revoked": "the app was uninstalled or the token revoked; reinstall the app",
    "missing_scope": "add the scope Slack names in 'needed' to the app and reinstall it",
    "not_in_channel": "invite the app to the channel (/invite @<app>)",
    "channel_not_found": "the app cannot see that conversation; invite it or check the id",
}


class SlackWebClient:
    """The few Web API calls the channel makes, with timeouts and one 429 retry."""

    def __init__(self, *, token: str, api_url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.timeout_s = timeout_s
        self._http: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._http is None or self._http.closed or self._loop is not loop:
            timeout = aiohttp.ClientTimeout(total=self.timeout_s)
            self._http, self._loop = aiohttp.ClientSession(timeout=timeout), loop
        return self._http

    async def close(self) -> None:
        if self._http is not None and not self._http.closed:
            await self._http.close()

    async def call(self, method: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
        """The JSON answer when Slack says ``ok``; failures are logged and give ``None``.

        Replies are best effort: a failed post must not fail the conversation turn.
        """
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/json; charset=utf-8",
        }
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        for attempt in (1, 2):
            try:
                async with self._session().post(
                    f"{self.api_url}/{method}", data=data, headers=headers
                ) as reply:
                    if reply.status == 429 and attempt == 1:
                        delay = _retry_after(reply.headers.get("Retry-After"))
                        logger.warning("Slack rate-limited %s; retrying in %.0f s", method, delay)
                        await asyncio.sleep(delay)
                        continue
                    if reply.status != 200:
                        logger.error("Slack %s answered HTTP %d", method, reply.status)
                        return None
                    body = await reply.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
                logger.error("calling Slack %s at %s failed: %r", method, self.api_url, e)
                return None
            if not isinstance(body, dict) or not body.get("ok"):
                error = body.get("error") if isinstance(body, dict) else body
                hint = _ERROR_HINTS.get(str(error), "see https://api.slack.com/methods/" + method)
                needed = body.get("needed") if isinstance(body, dict) else None
                needed = f" (needed: {needed})" if needed else ""
                logger.error("Slack refused %s: %s%s; %s", method, error, needed, hint)
                return None
            return body
        return None


def _retry_after(raw: str | None) -> float:
    try:
        delay = float(raw or 1)
    except ValueError:
        return 1.0
    return min(max(delay, 0.0), MAX_RETRY_AFTER_S) if math.isfinite(delay) else 1.0


class SlackOutput(OutputChannel):
    """Posts to the DM or thread named by the recipient id alone."""

    def __init__(self, client: SlackWebClient, *, team_label: str) -> None:
        self.client = client
        self.team_label = team_label

    @classmethod
    def name(cls) -> str:
        return "slack"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """One Slack message for text, buttons and custom payload together."""
        rendered = render(message, team_label=self.team_label)
        if rendered is not None:
            await self.post(recipient_id, rendered)

    async def post(self, recipient_id: str, message: SlackMessage) -> dict[str, Any] | None:
        try:
            address = SlackAddress.parse(recipient_id)
        except ValueError:
            logger.error("cannot reply to %r: not a Slack conversation id", recipient_id)
            return None
        payload: dict[str, Any] = {
            "channel": address.channel,
            "text": message.text,
            "blocks": message.blocks,
        }
        if address.thread_ts:
            payload["thread_ts"] = address.thread_ts
        return await self.client.call("chat.postMessage", payload)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": quick_replies})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"custom": json_message})


class SlackInput(InputChannel):
    """Slack's Events API and interactivity; see the module docstring."""

    REQUIRED = ("slack_token", "slack_signing_secret")

    def __init__(
        self,
        *,
        slack_token: str,
        slack_signing_secret: str,
        slack_api_url: str = DEFAULT_API_URL,
        replay_window_s: float = DEFAULT_REPLAY_WINDOW_S,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        request_timeout_s: float = DEFAULT_TIMEOUT_S,
        team_label: str = "Voltline team",
        clock: Callable[[], float] = time.time,
        state_url: str | None = None,
        state_key_prefix: str = DEFAULT_PREFIX,
    ) -> None:
        for key, value in (
            ("slack_token", slack_token),
            ("slack_signing_secret", slack_signing_secret),
        ):
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"The Slack channel needs {key}; {_where(key)}")
        if replay_window_s <= 0 or max_message_chars < 1 or request_timeout_s <= 0:
            raise ConfigError(
                "replay_window_s, max_message_chars and request_timeout_s must be positive."
            )
        self.signing_secret = slack_signing_secret
        self.replay_window_s = replay_window_s
        self.max_message_chars = max_message_chars
        self.team_label = team_label
        self.clock = clock
        self.client = SlackWebClient(
            token=slack_token, api_url=slack_api_url, timeout_s=request_timeout_s
        )
        self.dedup: Deduplicator = EventDeduplicator()
        if state_url:
            self.dedup = RedisEventDeduplicator(redis_client(state_url), prefix=state_key_prefix)
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def name(cls) -> str:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = dict(credentials or {})
        for key in cls.REQUIRED:
            if not credentials.get(key):
                raise ConfigError(f"credentials.yml: the Slack channel lacks {key}; {_where(key)}")
        options: dict[str, Any] = {"slack_api_url": credentials.get("slack_api_url")}
        options |= {"team_label": credentials.get("team_label")}
        engine = EngineSettings.from_env()
        options |= {
            "state_url": credentials.get("state_url") or engine.channels_redis_url or None,
            "state_key_prefix": engine.redis_key_prefix,
        }
        for key, kind in (
            ("replay_window_s", float),
            ("max_message_chars", int),
            ("request_timeout_s", float),
        ):
            if credentials.get(key) is not None:
                try:
                    options[key] = kind(credentials[key])
                except (TypeError, ValueError) as e:
                    raise ConfigError(f"credentials.yml: slack {key} must be a number.") from e
        return cls(
            slack_token=str(credentials["slack_token"]),
            slack_signing_secret=str(credentials["slack_signing_secret"]),
            **{k: v for k, v in options.items() if v is not None},
        )

    def get_output_channel(self) -> OutputChannel:
        return SlackOutput(self.client, team_label=self.team_label)

    async def close(self) -> None:
        await self.client.close()

    async def _repeated(self, event_id: str) -> bool:
        if isinstance(self.dedup, EventDeduplicator):
            return self.dedup.seen_before(event_id)
        return await asyncio.to_thread(self.dedup.seen_before, event_id)  # a network call

    def _verify(self, request: Request) -> None:
        verify_request(
            self.signing_secret,
            request.headers,
            request.body,
            now=self.clock(),
            window_s=self.replay_window_s,
        )

    def _spawn(self, work: Awaitable[None], what: str) -> None:
        """Run ``work`` after the 200 went out; keep a reference so it is not collected."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                logger.error("handling %s failed", what, exc_info=finished.exception())

        task.add_done_callback(done)

    async def _deliver(
        self, incoming: Incoming, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        output = self.get_output_channel()
        sender = incoming.address.conversation_id
        if isinstance(incoming, Click) and incoming.message_ts:
            blocks = mark_chosen(
                incoming.original_blocks,
                block_id=incoming.block_id,
                user_id=incoming.metadata["user_id"],
                title=incoming.title,
                language=customer_language(incoming.title, incoming.metadata),
            )
            await self.client.call(
                "chat.update",
                {"channel": incoming.address.channel, "ts": incoming.message_ts}
                | {"text": incoming.original_text or incoming.title, "blocks": blocks},
            )
        if len(incoming.text) > self.max_message_chars:
            labels = labels_for(customer_language(incoming.text, incoming.metadata))
            reply = labels.get("channel.too_long", TOO_LONG_REPLY).format(
                length=len(incoming.text), limit=self.max_message_chars
            )
            await output.send_response(sender, {"text": reply})
            return
        if not incoming.text.strip():
            await output.send_response(sender, {"text": empty_reply(incoming.metadata)})
            return
        message = UserMessage(
            incoming.text, output, sender, input_channel=self.name(), metadata=incoming.metadata
        )
        try:
            await on_new_message(message)
        except Exception:
            logger.exception("handling a Slack message in %s failed", sender)
            await output.send_response(
                sender, {"text": failure_reply(incoming.text, incoming.metadata)}
            )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"tandem_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def events(request: Request) -> HTTPResponse:
            try:
                self._verify(request)
                body = parse_json(request.body)
                if body["type"] == "url_verification":
                    return response.json({"challenge": require_str(body, "challenge", "The body")})
                if body["type"] != "event_callback":
                    return response.json({"status": "ignored", "reason": body["type"]})
                outcome = parse_event(body)
            except RejectedRequest as e:
                return response.json({"error": str(e)}, status=e.status)
            if isinstance(outcome, Ignored):
                return response.json({"status": "ignored", "reason": outcome.reason})
            if outcome.event_id and await self._repeated(outcome.event_id):
                logger.info(
                    "Slack resent event %s (retry %s); already handled",
                    outcome.event_id,
                    request.headers.get("X-Slack-Retry-Num", "?"),
                )
                return response.json({"status": "duplicate"})
            self._spawn(self._deliver(outcome, on_new_message), f"event {outcome.event_id}")
            return response.json({"status": "accepted"})

        @webhook.route("/interactive", methods=["POST"])
        async def interactive(request: Request) -> HTTPResponse:
            try:
                self._verify(request)
                outcome = parse_interaction(request.body)
            except RejectedRequest as e:
                return response.json({"error": str(e)}, status=e.status)
            if isinstance(outcome, Click):
                self._spawn(self._deliver(outcome, on_new_message), "a button click")
            return response.text("")

        @webhook.listener("after_server_stop")
        async def close_client(*_: Any) -> None:
            await self.close()

        return webhook


def _where(key: str) -> str:
    env = {"slack_token": "SLACK_BOT_TOKEN", "slack_signing_secret": "SLACK_SIGNING_SECRET"}[key]
    return (
        f"set it in credentials.yml as {key}: ${{{env}}} and export {env} "
        "(see docs/channels/slack.md)."
    )
