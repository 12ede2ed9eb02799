"""A REST channel that checks what it is sent before Rasa sees it.

Same URL and reply format as Rasa's ``rest`` channel
(``POST /webhooks/rest/webhook`` with ``{"sender": ..., "message": ...}``), so
existing clients keep working. What it adds:

* malformed bodies (invalid JSON, not UTF-8, not an object, a missing or odd
  ``sender``, a non-text ``message``) get a 400 with a JSON error that says
  what to send instead;
* messages above ``max_message_chars`` get a 413;
* an empty message gets a polite prompt instead of a trip through the model;
* an unexpected failure while handling a message gets an apology, never an
  empty 200 or a 500.

Enable it in ``credentials.yml``::

    bot.channels.rest.RestInput:
      max_message_chars: 4000
"""

from __future__ import annotations

import json
import logging
import re
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 4000
MAX_SENDER_CHARS = 128
_SENDER_PATTERN = re.compile(r"^[\w.@:+\-]+$")

EMPTY_MESSAGE_REPLY = "It looks like your message was empty. What can I help you with?"
FAILURE_REPLY = "Sorry, something went wrong on our side. Please try again in a moment."


class BadRequest(ValueError):
    """A request body the channel cannot accept; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_body(raw: bytes, *, max_message_chars: int) -> tuple[str, str, dict[str, Any] | None]:
    """Validate a webhook body; return ``(sender, message, metadata)``.

    Pure function so every rule is unit-testable without a server.
    """
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise BadRequest("The request body is not UTF-8 text; send JSON encoded as UTF-8.") from e
    except ValueError as e:
        raise BadRequest(
            'The request body is not valid JSON; send {"sender": "<id>", "message": "<text>"}.'
        ) from e
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

    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object when given.')
    return sender, message, metadata


class RestInput(RasaRestInput):
    """Rasa's REST channel with input validation; see the module docstring."""

    def __init__(self, *, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS) -> None:
        if max_message_chars < 1:
            raise ValueError("max_message_chars must be a positive number of characters.")
        self.max_message_chars = max_message_chars

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            max_message_chars=int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS))
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"tandem_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> ResponseStream | HTTPResponse:
            try:
                sender, text, metadata = parse_body(
                    request.body, max_message_chars=self.max_message_chars
                )
            except BadRequest as e:
                return response.json({"error": str(e)}, status=e.status)

            if not text.strip():
                return response.json([{"recipient_id": sender, "text": EMPTY_MESSAGE_REPLY}])

            if request.args.get("stream", "false").lower() == "true":
                return response.stream(
                    self.stream_response(on_new_message, text, sender, self.name(), metadata),
                    content_type="text/event-stream",
                )

            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text, collector, sender, input_channel=self.name(), metadata=metadata
                    )
                )
            except CancelledError:
                logger.error("handling a message from %s timed out", sender)
                collector.messages.append({"recipient_id": sender, "text": FAILURE_REPLY})
            except Exception:
                logger.exception("handling a message from %s failed", sender)
                collector.messages.append({"recipient_id": sender, "text": FAILURE_REPLY})
            return response.json(collector.messages)

        return webhook
