"""Microsoft Teams through the Bot Framework, with every incoming token checked.

Teams posts Bot Framework activities to ``POST /webhooks/teams/webhook``. The
channel checks the bearer token (``botframework_auth``), then the activity,
answers at once (202) and lets the bot reply through the connector API, which
is how Teams expects bots to talk: ``POST {serviceUrl}/v3/conversations/{id}/
activities/{replyToId}``. Bad input never reaches the bot: 401 for a missing or
invalid token, 403 for a valid token that does not cover the activity, 400 for
malformed JSON or missing fields, 413 for an oversized message.

Each validated activity stores a conversation reference (service URL, ids,
accounts, tenant) in SQLite (in Redis, shared by every engine replica, when
``state_url`` or ``TANDEM_CHANNELS_REDIS_URL`` names one), keyed by the Rasa
sender id ``teams:<conversation id>``, so that
:meth:`TeamsInput.get_output_channel` can deliver messages that arrive later
without a request, such as a human agent's reply sent through
Rasa's ``/conversations/<id>/tracker/events?output_channel=latest``, also after
the engine restarts. Replies go only to service URLs that came in a validated
token. Enable it in ``credentials.yml``::

    bot.channels.teams.TeamsInput:
      app_id: ${TEAMS_APP_ID}
      app_password: ${TEAMS_APP_PASSWORD}
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import botframework_auth as auth
from bot.channels.botframework_connector import (
    ConnectorClient,
    ConversationReference,
    ConversationReferenceStore,
    UnknownConversation,
)
from bot.channels.cards import Rendered, buttons_card, image_card, render_custom
from bot.channels.rest import BadRequest, empty_reply, failure_reply
from bot.channels.shared_state import (
    DEFAULT_PREFIX,
    RedisReferenceStore,
    ReferenceStore,
    redis_client,
)
from bot.contract.labels import message_language
from bot.engine.settings import EngineSettings
from bot.errors import ConfigError

logger = logging.getLogger(__name__)

REFERENCE_DB_NAME = "teams_conversations.db"
DEFAULT_MAX_MESSAGE_CHARS = 4000
_AT_TAG = re.compile(r"</?at>")
_SPACES = re.compile(r"[ \t]{2,}")


def _field(activity: Mapping[str, Any], *path: str) -> str:
    value: Any = activity
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"The activity has no {'.'.join(path)!r}; Bot Framework sends one.")
    return value


def message_text(activity: Mapping[str, Any]) -> str:
    """The user's words: a card's ``Action.Submit`` payload, or the text without @bot."""
    value = activity.get("value")
    if isinstance(value, dict) and isinstance(value.get("payload"), str):
        return str(value["payload"]).strip()
    text = activity.get("text") or ""
    if not isinstance(text, str):
        raise BadRequest("The activity's 'text' must be a string.")
    bot = activity["recipient"]
    entities = activity.get("entities")
    for entity in entities if isinstance(entities, list) else []:
        mentioned = entity.get("mentioned") if isinstance(entity, dict) else None
        if (
            isinstance(mentioned, dict)
            and mentioned.get("id") == bot["id"]
            and entity.get("type") == "mention"
            and isinstance(entity.get("text"), str)
        ):
            text = text.replace(entity["text"], " ")
    if isinstance(bot.get("name"), str):
        text = text.replace(f"<at>{bot['name']}</at>", " ")
    return _SPACES.sub(" ", _AT_TAG.sub("", text)).strip()


def parse_activity(raw: bytes, *, max_message_chars: int) -> tuple[dict[str, Any], str | None]:
    """Validate an activity body; return it and, for a message, the user's text."""
    try:
        activity = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise BadRequest("The body is not UTF-8 JSON; send a Bot Framework activity.") from e
    if not isinstance(activity, dict):
        raise BadRequest("The body must be a JSON object (a Bot Framework activity).")
    _field(activity, "type")
    _field(activity, "channelId")
    _field(activity, "conversation", "id")
    if urlsplit(_field(activity, "serviceUrl")).scheme not in ("http", "https"):
        raise BadRequest("The activity's 'serviceUrl' must be an http(s) URL.")
    if activity["type"] != "message":
        return activity, None
    for path in (("id",), ("from", "id"), ("recipient", "id")):
        _field(activity, *path)
    text = message_text(activity)
    if len(text) > max_message_chars:
        raise BadRequest(
            f"The message has {len(text)} characters; the limit is {max_message_chars}.",
            status=413,
        )
    return activity, text


class TeamsOutput(OutputChannel):
    """Replies (and later messages) into one Teams conversation or any stored one."""

    def __init__(
        self,
        *,
        connector: ConnectorClient,
        references: ReferenceStore,
        reference: ConversationReference | None = None,
        reply_to_id: str | None = None,
    ) -> None:
        self.connector = connector
        self.references = references
        self.reference = reference
        self.reply_to_id = reply_to_id

    @classmethod
    def name(cls) -> str:
        return "teams"

    async def _reference_for(self, recipient_id: str) -> ConversationReference:
        if self.reference is not None and self.reference.sender_id == recipient_id:
            return self.reference
        reference = await asyncio.to_thread(self.references.load, recipient_id)
        if reference is None:
            raise UnknownConversation(
                f"No Teams conversation is known for {recipient_id!r}; the user has to write "
                "to the bot first."
            )
        return reference

    async def send_rendered(self, recipient_id: str, rendered: Rendered) -> None:
        reference = await self._reference_for(recipient_id)
        activity: dict[str, Any] = {
            "type": "message",
            "from": reference.bot,
            "recipient": reference.user,
            "conversation": {"id": reference.conversation_id},
            "textFormat": "markdown",
            "text": rendered.text,
        }
        if rendered.attachments:
            activity["attachments"] = rendered.attachments
        if reference.tenant_id:
            activity["channelData"] = {"tenant": {"id": reference.tenant_id}}
        reply_to = self.reply_to_id if reference is self.reference else None
        if reply_to:
            activity["replyToId"] = reply_to
        await self.connector.send(reference, activity, reply_to)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_rendered(recipient_id, Rendered(text=text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_rendered(recipient_id, Rendered(attachments=[buttons_card(text, buttons)]))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_rendered(recipient_id, Rendered(attachments=[image_card(image)]))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        rendered = render_custom(json_message, language=message_language(kwargs))
        await self.send_rendered(recipient_id, rendered)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A custom payload and its text become one activity: a card under its summary,
        or a human agent's words with the agent's name."""
        message = dict(message)
        if message.get("custom") and not (message.get("buttons") or message.get("quick_replies")):
            rendered = render_custom(
                message.pop("custom"),
                text=message.pop("text", None),
                language=message_language(message),
            )
            await self.send_rendered(recipient_id, rendered)
        await super().send_response(recipient_id, message)


def _check_url(key: str, url: str) -> str:
    """https only, except loopback (local stand-ins and tunnels)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ConfigError(f"Teams channel: {key} must be an https URL, got {url!r}.")
    return url


_TEXT_SETTINGS = frozenset(
    {"app_id", "app_password", "openid_metadata_url", "issuer", "token_url", "token_scope"}
)
_NUMBER_SETTINGS = frozenset({"clock_skew_s", "jwks_refresh_s", "max_message_chars"})


class TeamsInput(InputChannel):
    """The Teams webhook; see the module docstring."""

    def __init__(
        self,
        *,
        app_id: str,
        app_password: str,
        openid_metadata_url: str = auth.DEFAULT_OPENID_METADATA_URL,
        issuer: str = auth.DEFAULT_ISSUER,
        token_url: str = auth.DEFAULT_TOKEN_URL,
        token_scope: str = auth.DEFAULT_TOKEN_SCOPE,
        clock_skew_s: float = auth.DEFAULT_CLOCK_SKEW_S,
        jwks_refresh_s: float = auth.DEFAULT_JWKS_REFRESH_S,
        jwks_min_refetch_s: float = auth.MIN_REFETCH_S,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        reference_db: Path | str = Path(".tandem") / REFERENCE_DB_NAME,
        state_url: str | None = None,
        state_key_prefix: str = DEFAULT_PREFIX,
    ) -> None:
        for key, value in (("app_id", app_id), ("app_password", app_password)):
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(
                    f"Teams channel: `{key}` is empty; set it under bot.channels.teams.TeamsInput "
                    "in credentials.yml (app_password: ${TEAMS_APP_PASSWORD})."
                )
        if not 0 <= clock_skew_s <= 3600:
            raise ConfigError("Teams channel: clock_skew_s must be between 0 and 3600 seconds.")
        if jwks_refresh_s < 60 or max_message_chars < 1:
            raise ConfigError(
                "Teams channel: jwks_refresh_s must be at least 60 and max_message_chars positive."
            )
        self.app_id = app_id
        self.max_message_chars = max_message_chars
        self.sessions = auth.HttpSessions()
        keys = auth.JwksCache(
            auth.openid_key_fetcher(
                self.sessions, _check_url("openid_metadata_url", openid_metadata_url)
            ),
            refresh_s=jwks_refresh_s,
            min_refetch_s=jwks_min_refetch_s,
        )
        self.validator = auth.TokenValidator(
            app_id=app_id, keys=keys, issuer=issuer, clock_skew_s=clock_skew_s
        )
        credentials = auth.ConnectorCredentials(
            app_id=app_id,
            app_password=app_password,
            token_url=_check_url("token_url", token_url),
            scope=token_scope,
            sessions=self.sessions,
        )
        self.connector = ConnectorClient(credentials=credentials, sessions=self.sessions)
        self.references: ReferenceStore = (
            RedisReferenceStore(redis_client(state_url), prefix=state_key_prefix)
            if state_url
            else ConversationReferenceStore(reference_db)
        )
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def name(cls) -> str:
        return "teams"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings: dict[str, Any] = dict(credentials or {})
        for key in ("app_id", "app_password"):
            if not settings.get(key):
                raise ConfigError(
                    f"Teams channel: credentials.yml lacks `{key}` under "
                    "bot.channels.teams.TeamsInput; see docs/channels/teams.md."
                )
        unknown = sorted(
            set(settings) - _TEXT_SETTINGS - _NUMBER_SETTINGS - {"reference_db", "state_url"}
        )
        if unknown:
            raise ConfigError(
                f"Teams channel: unknown credentials {unknown}; see docs/channels/teams.md."
            )
        for key in _NUMBER_SETTINGS & set(settings):
            try:
                settings[key] = float(settings[key])
            except (TypeError, ValueError) as e:
                raise ConfigError(f"Teams channel: `{key}` must be a number.") from e
        if "max_message_chars" in settings:
            settings["max_message_chars"] = int(settings["max_message_chars"])
        engine = EngineSettings.from_env()
        if not settings.get("reference_db"):
            settings["reference_db"] = engine.state_dir / REFERENCE_DB_NAME
        settings["state_url"] = settings.get("state_url") or engine.channels_redis_url or None
        settings["state_key_prefix"] = engine.redis_key_prefix
        return cls(**settings)

    def get_output_channel(self) -> OutputChannel:
        """An output for any stored conversation; Rasa passes the sender id on each send."""
        return TeamsOutput(connector=self.connector, references=self.references)

    async def close(self) -> None:
        await self.sessions.close()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage
    ) -> None:
        output = message.output_channel
        try:
            if message.text:
                await on_new_message(message)
            else:
                await output.send_text_message(message.sender_id, empty_reply(message.metadata))
            return
        except auth.BotFrameworkError as e:
            logger.error("could not reply in Teams conversation %s: %s", message.sender_id, e)
            return
        except Exception:
            logger.exception("handling a Teams message from %s failed", message.sender_id)
        try:
            await output.send_text_message(
                message.sender_id, failure_reply(message.text, message.metadata)
            )
        except auth.BotFrameworkError as e:
            logger.error("could not apologise in %s: %s", message.sender_id, e)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"tandem_webhook_{type(self).__name__}", __name__)

        @webhook.listener("after_server_stop")
        async def close_sessions(*_: Any) -> None:
            await self.close()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                token = await self.validator.verify(request.headers.get("Authorization"))
                activity, text = parse_activity(
                    request.body, max_message_chars=self.max_message_chars
                )
                self.validator.authorize(
                    token, channel_id=activity["channelId"], service_url=activity["serviceUrl"]
                )
            except (auth.BotFrameworkError, BadRequest) as e:
                logger.warning("rejected a Teams request (%s): %s", e.status, e)
                return response.json({"error": str(e)}, status=e.status)

            reference = ConversationReference.from_activity(activity)
            if reference is not None:
                await asyncio.to_thread(self.references.save, reference)
            if text is None or reference is None:
                return response.json({"status": "ignored", "type": activity["type"]})

            output = TeamsOutput(
                connector=self.connector,
                references=self.references,
                reference=reference,
                reply_to_id=activity["id"],
            )
            user_message = UserMessage(
                text,
                output,
                reference.sender_id,
                input_channel=self.name(),
                message_id=activity["id"],
                metadata={"teams": _metadata(activity, reference)},
            )
            self._spawn(self._handle(on_new_message, user_message))
            return response.json({"status": "accepted"}, status=202)

        return webhook


def _metadata(activity: Mapping[str, Any], reference: ConversationReference) -> dict[str, Any]:
    return {
        "channel_id": activity["channelId"],
        "conversation_type": activity["conversation"].get("conversationType"),
        "tenant_id": reference.tenant_id,
        "user": reference.user,
    }
