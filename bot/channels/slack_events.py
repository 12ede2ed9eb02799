"""What Slack sends, checked and parsed: signatures, events, button clicks.

Pure functions and small value types, no Rasa and no network, so every rule
(signature, replay window, which events reach the bot, how a conversation id is
formed) is unit-testable on its own. ``bot/channels/slack.py`` wires them into
the channel.

A conversation id names where the conversation lives, so a reply can be
routed from the id alone:

* a mention in a channel starts one conversation per thread,
  ``slack:<team>:<channel>:<thread root ts>``, answered in that thread;
* a DM is ``slack:<team>:<channel>``, answered in the DM, or
  ``slack:<team>:<channel>:<thread ts>`` when the user wrote in a thread.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.engine.errors import ChannelError

_ADDRESS = re.compile(r"^slack:([A-Z0-9]+):([A-Z0-9]+)(?::(\d+\.\d+))?$")
HANDLED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


class RejectedRequest(ChannelError, ValueError):
    """A request the channel refuses; ``status`` is the HTTP answer (401 or 400)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def verify_request(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float, window_s: float
) -> None:
    """Raise a 401 :class:`RejectedRequest` unless Slack signed ``body`` recently."""
    timestamp = headers.get("X-Slack-Request-Timestamp") or headers.get("x-slack-request-timestamp")
    sent = headers.get("X-Slack-Signature") or headers.get("x-slack-signature")
    if not timestamp or not sent:
        raise RejectedRequest(
            "X-Slack-Signature and X-Slack-Request-Timestamp are required; requests must "
            "come from Slack.",
            status=401,
        )
    if not timestamp.isdigit():
        raise RejectedRequest("X-Slack-Request-Timestamp must be Unix seconds.", status=401)
    if abs(now - int(timestamp)) > window_s:
        raise RejectedRequest(
            f"The request timestamp is more than {window_s:g} s away from this server's clock "
            "(a replay, or a clock that needs NTP).",
            status=401,
        )
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(), sent.encode()):
        raise RejectedRequest(
            "The signature does not match; check slack_signing_secret.", status=401
        )


@dataclass(frozen=True)
class SlackAddress:
    """Where a conversation lives; its string form is the Rasa sender id."""

    team: str
    channel: str
    thread_ts: str | None = None

    def __post_init__(self) -> None:
        if not _ADDRESS.match(self.conversation_id):
            raise ValueError(
                f"team {self.team!r}, channel {self.channel!r} and thread {self.thread_ts!r} "
                "must be Slack ids (A-Z, 0-9) and a Slack ts (digits.digits)."
            )

    @property
    def conversation_id(self) -> str:
        base = f"slack:{self.team}:{self.channel}"
        return f"{base}:{self.thread_ts}" if self.thread_ts else base

    @classmethod
    def parse(cls, conversation_id: str) -> SlackAddress:
        match = _ADDRESS.match(conversation_id)
        if not match:
            raise ValueError(
                f"{conversation_id!r} is not a Slack conversation id "
                "(slack:<team>:<channel>[:<thread_ts>])."
            )
        return cls(match[1], match[2], match[3])


@dataclass(frozen=True)
class Incoming:
    """A user message the bot should answer."""

    address: SlackAddress
    text: str
    metadata: dict[str, Any]
    event_id: str | None = None


@dataclass(frozen=True)
class Click(Incoming):
    """A button click; ``message_ts``/``blocks`` let the original message be updated."""

    title: str = ""
    block_id: str | None = None
    message_ts: str | None = None
    original_text: str = ""
    original_blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Ignored:
    """A request Slack needs acknowledged but the bot should not answer."""

    reason: str


def _is_dm(channel: str) -> bool:
    return channel.startswith("D")


def _address(team: Any, channel: Any, thread_ts: Any = None) -> SlackAddress:
    try:
        return SlackAddress(team, channel, thread_ts)
    except (TypeError, ValueError) as e:
        raise RejectedRequest(f"The payload names no valid Slack conversation: {e}") from e


def _obj(container: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = container.get(key)
    return value if isinstance(value, dict) else {}


def require_str(container: Mapping[str, Any], key: str, what: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise RejectedRequest(f'{what} has no "{key}"; is this a Slack payload?')
    return value


def clean_text(text: str, bot_user_ids: frozenset[str], *, mention: bool = False) -> str:
    """Slack's markup back to what the user typed, without the mention of the bot."""
    if mention and not bot_user_ids:
        text = re.sub(r"^\s*<@[UW][A-Z0-9]+(\|[^>]*)?>", "", text)
    for uid in bot_user_ids:
        text = re.sub(rf"<@{re.escape(uid)}(\|[^>]*)?>", " ", text)
    text = re.sub(r"<@([A-Z0-9]+)\|([^>]+)>", r"@\2", text)
    text = re.sub(r"<@([A-Z0-9]+)>", r"@\1", text)
    text = re.sub(r"<#[A-Z0-9]+\|([^>]*)>", r"#\1", text)
    text = re.sub(r"<!(here|channel|everyone)(\|[^>]*)?>", r"@\1", text)
    text = re.sub(r"<(?:mailto:)?([^<>|]+)\|([^<>]+)>", r"\2", text)
    text = re.sub(r"<(?:mailto:)?([^<>|]+)>", r"\1", text)
    return re.sub(r"[ \t]+", " ", html.unescape(text)).strip()


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise RejectedRequest("The body is not valid UTF-8 JSON; Slack sends JSON events.") from e
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise RejectedRequest('The body must be a JSON object with a "type".')
    return body


def parse_event(body: Mapping[str, Any]) -> Incoming | Ignored:
    """An ``event_callback`` envelope to the message to answer, or why it is ignored."""
    event = body.get("event")
    if not isinstance(event, dict):
        raise RejectedRequest('An event_callback needs an "event" object.')
    event_id = require_str(body, "event_id", "The event_callback")
    team = body.get("team_id") or event.get("team")
    if not isinstance(team, str) or not team:
        raise RejectedRequest('The event_callback has no "team_id".')
    kind, subtype = event.get("type"), event.get("subtype")
    if kind not in ("message", "app_mention"):
        return Ignored(f"{kind!r} events are not handled")
    if event.get("bot_id") or event.get("bot_profile") or subtype == "bot_message":
        return Ignored("sent by a bot")
    if subtype not in HANDLED_SUBTYPES or event.get("hidden"):
        return Ignored(f"message subtype {subtype!r} is not a new user message")
    authorizations = body.get("authorizations") or []
    bots = frozenset(
        a["user_id"] for a in authorizations if isinstance(a, dict) and a.get("is_bot")
    )
    user = require_str(event, "user", "The message event")
    if user in bots:
        return Ignored("the bot's own message")
    channel = require_str(event, "channel", "The message event")
    ts = require_str(event, "ts", "The message event")
    text = event.get("text") or ""
    if not isinstance(text, str):
        raise RejectedRequest('The event\'s "text" must be a string.')
    thread_ts = event.get("thread_ts") if isinstance(event.get("thread_ts"), str) else None
    if kind == "message":
        if event.get("channel_type") != "im":
            return Ignored("channel messages reach the bot only when it is mentioned")
        address = _address(team, channel, thread_ts)
    else:
        if _is_dm(channel):
            return Ignored("mentions in a DM also arrive as message.im events")
        address = _address(team, channel, thread_ts or ts)
    strip = bots | frozenset(u for u in body.get("authed_users") or [] if isinstance(u, str))
    metadata: dict[str, Any] = {"user_id": user, "team_id": team, "channel_id": channel}
    metadata |= {"ts": ts, "thread_ts": address.thread_ts, "event_id": event_id}
    return Incoming(
        address, clean_text(text, strip, mention=kind == "app_mention"), metadata, event_id
    )


def parse_interaction(raw: bytes) -> Click | Ignored:
    """A form-encoded ``payload=<json>`` to the button click it reports."""
    try:
        form = urllib.parse.parse_qs(raw.decode("utf-8"), strict_parsing=True)
        payload = json.loads(form["payload"][0])
    except (UnicodeDecodeError, ValueError, KeyError, RecursionError) as e:
        raise RejectedRequest(
            "Interactivity requests are form-encoded payload=<JSON>; this one is not."
        ) from e
    if not isinstance(payload, dict):
        raise RejectedRequest("The interaction payload must be a JSON object.")
    if payload.get("type") != "block_actions":
        return Ignored(f"{payload.get('type')!r} interactions are not handled")
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise RejectedRequest('A block_actions payload needs an "actions" list.')
    action = actions[0]
    if action.get("type") != "button" or not isinstance(action.get("value"), str):
        return Ignored("only buttons with a value become messages")
    user, container, message = (
        _obj(payload, "user"),
        _obj(payload, "container"),
        _obj(payload, "message"),
    )
    user_id = require_str(user, "id", "The payload's user")
    team = _obj(payload, "team").get("id") or user.get("team_id")
    channel = _obj(payload, "channel").get("id") or container.get("channel_id")
    message_ts = container.get("message_ts") or message.get("ts")
    thread_ts = message.get("thread_ts") or container.get("thread_ts")
    if isinstance(channel, str) and _is_dm(channel) and thread_ts in (None, message_ts):
        address = _address(team, channel)
    else:
        address = _address(team, channel, thread_ts or message_ts)
    text = _obj(action, "text")
    return Click(
        address,
        action["value"],
        {"user_id": user_id, "team_id": team, "channel_id": channel}
        | {"thread_ts": address.thread_ts, "action_id": action.get("action_id")},
        title=str(text.get("text") or action["value"]),
        block_id=action.get("block_id"),
        message_ts=None if container.get("is_ephemeral") else message_ts,
        original_text=str(message.get("text") or ""),
        original_blocks=[b for b in message.get("blocks") or [] if isinstance(b, dict)],
    )


class EventDeduplicator:
    """Event ids seen in the last ``ttl_s`` seconds, at most ``max_entries`` of them."""

    def __init__(
        self,
        *,
        ttl_s: float = 3600.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s, self.max_entries, self._clock = ttl_s, max_entries, clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def seen_before(self, event_id: str) -> bool:
        """True for a repeat; otherwise remember ``event_id`` and return False."""
        now = self._clock()
        while self._seen and next(iter(self._seen.values())) <= now - self.ttl_s:
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return True
        self._seen[event_id] = now
        if len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._seen)
