"""A REST channel that checks who sends what before Rasa sees it.

Same URL and reply format as Rasa's ``rest`` channel
(``POST /webhooks/rest/webhook`` with ``{"sender": ..., "message": ...}``), so
existing clients keep working. What it adds:

* **Authentication** whenever a secret is configured (``bot run`` always gives one
  off loopback): ``Authorization: Bearer <token>`` with either the channel's shared
  secret ``auth_token`` (``TANDEM_REST_TOKEN``; for your own servers, which may
  speak for any sender) or a visitor JWT signed with ``jwt_key``
  (``TANDEM_JWT_SECRET``) whose ``sub`` is the ``sender``
  (:mod:`bot.channels.visitor_token`). Missing or invalid: 401; another sender: 403.
* **Its own namespace:** the conversation of sender ``s`` is ``rest:s``
  (:func:`conversation_id`), so a REST client can never address a web chat, Slack
  or Teams conversation. Replies still name the client's ``sender`` as
  ``recipient_id``.
* **Checked input** (:mod:`bot.channels.inbound`): malformed bodies (invalid or too
  deeply nested JSON, not UTF-8, not an object, a missing or odd ``sender``, a
  non-text ``message``, an unpaired surrogate, bad ``metadata``) get a 400 with a
  JSON error that says what to send instead; messages above ``max_message_chars``
  and ``metadata`` above 8 KiB get a 413. Client-sent ``tandem_auth`` metadata is
  dropped; the channel sets it to a verified JWT's ``customer_id`` claim and the
  request's ``client_ip``.
* An empty message gets a polite prompt instead of a trip through the model, and
  an unexpected failure while handling a message gets an apology, never an empty
  200 or a 500.

Enable it in ``credentials.yml``::

    bot.channels.rest.RestInput:
      max_message_chars: 4000
      auth_token: ${TANDEM_REST_TOKEN}
      jwt_key: ${TANDEM_JWT_SECRET}
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from asyncio import CancelledError
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.channels import visitor_token
from bot.channels.inbound import (
    Rejected,
    check_metadata,
    check_text,
    client_ip,
    loads_json,
    with_identity,
)
from bot.contract.labels import DEFAULT_LANGUAGE, labels_for, message_language
from bot.errors import ConfigError

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 4000
MAX_SENDER_CHARS = 128
MIN_AUTH_TOKEN_CHARS = 16
NAMESPACE = "rest:"
_SENDER_PATTERN = re.compile(r"^[\w.@:+\-]+$")

EMPTY_MESSAGE_REPLY = "It looks like your message was empty. What can I help you with?"
FAILURE_REPLY = "Sorry, something went wrong on our side. Please try again in a moment."
_HAN = re.compile(r"[\u4e00-\u9fff]")


def customer_language(text: str | None = None, metadata: Any = None) -> str:
    """The customer's language as a channel can guess it without the tracker (a failure
    may be the tracker's): the ``language`` the channel reports, else Chinese when the
    message is written in Chinese characters, else the default."""
    language = message_language(metadata) if isinstance(metadata, Mapping) else DEFAULT_LANGUAGE
    if language == DEFAULT_LANGUAGE and text and _HAN.search(text):
        language = "zh"
    return language


def failure_reply(text: str | None = None, metadata: Any = None) -> str:
    """:data:`FAILURE_REPLY` in the customer's language (:func:`customer_language`)."""
    return labels_for(customer_language(text, metadata)).get("channel.failure", FAILURE_REPLY)


def empty_reply(metadata: Any = None) -> str:
    """:data:`EMPTY_MESSAGE_REPLY` in the language the channel reports."""
    language = customer_language(None, metadata)
    return labels_for(language).get("channel.empty_message", EMPTY_MESSAGE_REPLY)


class BadRequest(Rejected):
    """A request body the channel cannot accept; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__("bad_request", message, status=status)


def conversation_id(sender: str) -> str:
    """The Rasa conversation of a REST ``sender``: in the channel's own namespace."""
    return NAMESPACE + sender


def parse_body(raw: bytes, *, max_message_chars: int) -> tuple[str, str, dict[str, Any] | None]:
    """Validate a webhook body; return ``(sender, message, metadata)``.

    Pure function so every rule is unit-testable without a server. ``metadata``
    never carries the reserved ``tandem_auth`` key.
    """
    body = loads_json(raw, hint='send {"sender": "<id>", "message": "<text>"}.')
    if not isinstance(body, dict):
        raise BadRequest('The request body must be a JSON object: {"sender": ..., "message": ...}.')

    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest('"sender" is missing or empty; give the conversation id as a string.')
    if len(sender) > MAX_SENDER_CHARS or not _SENDER_PATTERN.match(sender):
        raise BadRequest(
            f'"sender" must be at most {MAX_SENDER_CHARS} characters of letters, digits '
            "and . _ - @ : +."
        )

    message = body.get("message")
    if not isinstance(message, str):
        raise BadRequest('"message" is missing or not a string; send the user\'s text.')
    if len(message) > max_message_chars:
        raise BadRequest(
            f"The message has {len(message)} characters; the limit is {max_message_chars}. "
            "Split it into shorter messages.",
            status=413,
        )
    check_text(message)
    return sender, message, check_metadata(body.get("metadata"))


class _RestOutput(CollectingOutputChannel):
    """Collects (or queues, for ``?stream=true``) replies addressed to the client's sender."""

    def __init__(self, sender: str, queue: asyncio.Queue[Any] | None = None) -> None:
        super().__init__()
        self.sender = sender
        self.queue = queue

    async def _persist_message(self, message: dict[str, Any]) -> None:
        message = {**message, "recipient_id": self.sender}
        if self.queue is None:
            self.messages.append(message)
        else:
            await self.queue.put(message)


class RestInput(RasaRestInput):
    """Rasa's REST channel with authentication, a namespace and input checks; see the module."""

    def __init__(
        self,
        *,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        auth_token: str | None = None,
        jwt_key: str | None = None,
        jwt_method: str = "HS256",
        max_token_age_s: float = visitor_token.DEFAULT_MAX_TOKEN_AGE_S,
    ) -> None:
        if max_message_chars < 1:
            raise ConfigError("max_message_chars must be a positive number of characters.")
        if auth_token and len(auth_token) < MIN_AUTH_TOKEN_CHARS:
            raise ConfigError(
                f"auth_token (TANDEM_REST_TOKEN) must have at least {MIN_AUTH_TOKEN_CHARS} "
                "characters; generate one with `python -c 'import secrets; "
                "print(secrets.token_urlsafe())'`."
            )
        if max_token_age_s <= 0:
            raise ConfigError("max_token_age_s must be a positive number of seconds.")
        self.max_message_chars = max_message_chars
        self.auth_token = auth_token or None
        self.jwt_key = jwt_key or None
        self.jwt_method = jwt_method
        self.max_token_age_s = max_token_age_s

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        channel = cls(
            max_message_chars=int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
            auth_token=credentials.get("auth_token") or None,
            jwt_key=credentials.get("jwt_key") or None,
            jwt_method=str(credentials.get("jwt_method") or "HS256"),
            max_token_age_s=float(
                credentials.get("max_token_age_s") or visitor_token.DEFAULT_MAX_TOKEN_AGE_S
            ),
        )
        if not channel.requires_auth:
            # `auth_token: ${TANDEM_REST_TOKEN}` and `jwt_key: ${TANDEM_JWT_SECRET}` are
            # empty on loopback, where `bot run` allows it; off loopback it requires the key.
            logger.warning(
                "rest: neither auth_token nor jwt_key is set, so the REST channel needs no "
                "token; set TANDEM_JWT_SECRET (or TANDEM_REST_TOKEN) wherever the server "
                "is reachable by others"
            )
        return channel

    @property
    def requires_auth(self) -> bool:
        return bool(self.auth_token or self.jwt_key)

    def authenticate(self, authorization: Any) -> visitor_token.Visitor | None:
        """Who may send: ``None`` for any sender (no auth, or the shared secret), else the
        visitor whose ``sub`` must be the sender. Raises :class:`~visitor_token.TokenRefused`.
        """
        if not self.requires_auth:
            return None
        given = visitor_token.bearer(authorization)
        if self.auth_token and hmac.compare_digest(given.encode(), self.auth_token.encode()):
            return None
        if self.jwt_key is None:
            raise visitor_token.TokenRefused(
                "Send the channel's token as 'Authorization: Bearer <TANDEM_REST_TOKEN>'."
            )
        return visitor_token.verify(
            given, key=self.jwt_key, algorithm=self.jwt_method, max_age_s=self.max_token_age_s
        )

    async def _handle(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        message: UserMessage,
        output: _RestOutput,
        sender: str,
    ) -> None:
        try:
            await on_new_message(message)
        except CancelledError:
            logger.error("handling a message from %s timed out", message.sender_id)
            await output.send_text_message(sender, failure_reply(message.text, message.metadata))
        except Exception:
            logger.exception("handling a message from %s failed", message.sender_id)
            await output.send_text_message(sender, failure_reply(message.text, message.metadata))

    def _stream(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender: str,
        metadata: dict[str, Any] | None,
    ) -> Callable[[Any], Coroutine[Any, Any, None]]:
        async def stream(resp: Any) -> None:
            queue: asyncio.Queue[Any] = asyncio.Queue()
            output = _RestOutput(sender, queue)
            message = UserMessage(
                text,
                output,
                conversation_id(sender),
                input_channel=self.name(),
                metadata=metadata,
            )

            async def run() -> None:
                try:
                    await self._handle(on_new_message, message, output, sender)
                finally:
                    await queue.put(None)

            task = asyncio.ensure_future(run())
            while (item := await queue.get()) is not None:
                await resp.write(json.dumps(item) + "\n")
            await task

        return stream

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"tandem_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> ResponseStream | HTTPResponse:
            try:
                visitor = self.authenticate(request.headers.get("authorization"))
                sender, text, metadata = parse_body(
                    request.body, max_message_chars=self.max_message_chars
                )
                if visitor is not None:
                    visitor.require(sender)
            except Rejected as e:
                headers = {"WWW-Authenticate": "Bearer"} if e.status == 401 else None
                return response.json({"error": str(e)}, status=e.status, headers=headers)
            # A call with the shared secret comes from the business's own server,
            # which relays many customers: its address says nothing about the customer.
            relayed = self.requires_auth and visitor is None
            metadata = with_identity(
                metadata,
                customer_id=visitor.customer_id if visitor else None,
                role=visitor.role if visitor else None,
                client_ip=None if relayed else client_ip(request),
            )

            if not text.strip():
                return response.json([{"recipient_id": sender, "text": empty_reply(metadata)}])

            if request.args.get("stream", "false").lower() == "true":
                return response.stream(
                    self._stream(on_new_message, text, sender, metadata),
                    content_type="text/event-stream",
                )

            output = _RestOutput(sender)
            message = UserMessage(
                text, output, conversation_id(sender), input_channel=self.name(), metadata=metadata
            )
            await self._handle(on_new_message, message, output, sender)
            return response.json(output.messages)

        return webhook
