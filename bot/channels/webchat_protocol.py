"""The web chat's wire rules as pure functions: what the widget may send, what it gets.

Kept apart from the socket.io and Sanic plumbing in ``webchat.py`` so that every
rule (session ids, message limits, payload shape, the transcript, origins) is
tested without a server.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from bot.channels.inbound import Rejected, check_metadata, check_text, loads_json
from bot.contract import stream
from bot.contract.analytics import METADATA_KEY as ANALYTICS_KEY
from bot.contract.errors import ContractError
from bot.contract.labels import LANGUAGE_KEY, language_code
from bot.contract.stream import MAX_STREAM_BODY_BYTES, STREAM_ID_KEY, StreamDraft

DEFAULT_MAX_MESSAGE_CHARS = 4000
DEFAULT_HISTORY_LIMIT = 200
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
CONTENT_KEYS = ("text", "buttons", "quick_replies", "custom", "image", "attachment", "elements")


def session_id_from(value: Any) -> str:
    """The canonical (lower-case, hyphenated) form of a UUID session id, or :class:`Rejected`.

    Only UUIDs are accepted so that a session id cannot be guessed, cannot collide
    with another channel's sender ids and is safe in a URL and a room name.
    """
    try:
        return stream.session_id_from(value)
    except ContractError as e:
        raise Rejected(e.code, str(e)) from e


def parse_user_message(
    data: Any, *, max_message_chars: int, metadata_key: str = "metadata"
) -> tuple[str, dict[str, Any] | None]:
    """Validate a ``user_uttered`` event; return ``(text, metadata)``."""
    if not isinstance(data, Mapping):
        raise Rejected("bad_message", 'Send an object: {"message": "<text>", "metadata": {...}}.')
    text = data.get("message")
    if not isinstance(text, str):
        raise Rejected("bad_message", '"message" must be the text of the message, as a string.')
    if len(text) > max_message_chars:
        raise Rejected(
            "message_too_long",
            f"The message has {len(text)} characters; the limit is {max_message_chars}. "
            "Split it into shorter messages.",
            status=413,
        )
    check_text(text)
    metadata = data.get(metadata_key)
    if isinstance(metadata, str):
        metadata = loads_json(metadata, what=f'"{metadata_key}"', code="bad_metadata")
    return text, check_metadata(metadata, what=f'"{metadata_key}"')


def _buttons(value: Any) -> list[dict[str, str]]:
    buttons = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("title"), str):
            continue
        button = {"title": item["title"]}
        for key in ("payload", "url"):
            if isinstance(item.get(key), str):
                button[key] = item[key]
        if "payload" in button or "url" in button:
            buttons.append(button)
    return buttons


def bot_payload(message: Mapping[str, Any]) -> dict[str, Any]:
    """One ``bot_uttered`` event from a Rasa bot message (``BotUttered.message()``).

    Everything a message may carry is kept; empty fields are dropped so that the
    widget can test for presence. ``metadata`` is always an object, without the
    analytics records (:mod:`bot.contract.analytics`), which are not for the
    customer's browser; a top-level
    ``stream_id`` (``utter_message(..., stream_id=...)``) and the message's
    ``language`` (:mod:`bot.engine.language`) are moved into it.
    """
    payload: dict[str, Any] = {}
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        payload["text"] = text
    for key in ("buttons", "quick_replies"):
        buttons = _buttons(message.get(key))
        if buttons:
            payload[key] = buttons
    for key in ("custom", "attachment"):
        if message.get(key):
            payload[key] = message[key]
    if isinstance(message.get("image"), str) and message["image"]:
        payload["image"] = message["image"]
        if payload.get("attachment") == payload["image"]:
            del payload["attachment"]
    if message.get("elements"):
        payload["elements"] = list(message["elements"])
    metadata = message.get("metadata")
    payload["metadata"] = (
        {k: v for k, v in metadata.items() if k != ANALYTICS_KEY}  # for the analytics store only
        if isinstance(metadata, Mapping)
        else {}
    )
    if isinstance(message.get(STREAM_ID_KEY), str):
        payload["metadata"].setdefault(STREAM_ID_KEY, message[STREAM_ID_KEY])
    language = language_code(message.get(LANGUAGE_KEY))
    if language:
        payload["metadata"].setdefault(LANGUAGE_KEY, language)
    timestamp = message.get("timestamp")
    payload["timestamp"] = float(timestamp) if isinstance(timestamp, int | float) else time.time()
    return payload


def has_content(payload: Mapping[str, Any]) -> bool:
    return any(key in payload for key in CONTENT_KEYS)


def _is_agent(payload: Mapping[str, Any]) -> bool:
    custom = payload.get("custom")
    return isinstance(custom, Mapping) and custom.get("type") == "agent_message"


def transcript(events: Iterable[Mapping[str, Any]], *, limit: int) -> list[dict[str, Any]]:
    """The last ``limit`` messages of a conversation, from a tracker's serialized events.

    Bot entries have the same shape as live ``bot_uttered`` events, plus ``role``
    (``bot`` or ``agent``), so the widget renders both with one function. A user
    message that was a button's payload shows the button's title, as it did live.
    """
    messages: list[dict[str, Any]] = []
    offered: list[dict[str, str]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = event.get("text")
            if not isinstance(text, str) or not text.strip():
                continue
            shown = next((b["title"] for b in offered if b.get("payload") == text), text)
            messages.append({"role": "user", "text": shown, "timestamp": event.get("timestamp")})
        elif kind == "bot":
            message = dict(event.get("data") or {})
            message.update(event.get("metadata") or {})
            message["text"] = event.get("text")
            message["timestamp"] = event.get("timestamp")
            payload = bot_payload(message)
            if not has_content(payload):
                continue
            offered = payload.get("buttons", []) + payload.get("quick_replies", []) or offered
            payload["role"] = "agent" if _is_agent(payload) else "bot"
            messages.append(payload)
    return messages[-limit:]


def parse_stream(raw: bytes) -> dict[str, Any]:
    """Validate a ``POST stream`` body (:class:`bot.contract.stream.StreamDraft`) as a dict."""
    if len(raw) > MAX_STREAM_BODY_BYTES:
        raise Rejected(
            "too_large", f"Send at most {MAX_STREAM_BODY_BYTES} bytes per chunk.", status=413
        )
    body = loads_json(raw, hint=f"send {stream.EXAMPLE}.")
    try:
        return StreamDraft.from_dict(body).to_dict()
    except ContractError as e:
        raise Rejected(e.code, str(e)) from e


def parse_origins(value: Sequence[str] | str | None) -> tuple[str, ...]:
    """``cors_allowed_origins`` from credentials: a list, a comma-separated string or nothing."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(str(item).strip().rstrip("/") for item in items if str(item).strip())


def origin_allowed(origin: str | None, *, host: str | None, allowed: Sequence[str]) -> bool:
    """Whether a browser on ``origin`` may use the channel.

    Requests without an ``Origin`` (not from a browser script) and same-origin ones
    are always allowed. With no configured list, pages on loopback are allowed too,
    so a developer can embed the widget in a local page; ``"*"`` allows everyone.
    """
    if not origin:
        return True
    origin = origin.rstrip("/")
    parts = urlsplit(origin)
    if host and parts.netloc.lower() == host.lower():
        return True
    if "*" in allowed or origin in allowed:
        return True
    return (
        not allowed
        and parts.scheme in ("http", "https")
        and ((parts.hostname or "") in LOOPBACK_HOSTS)
    )
