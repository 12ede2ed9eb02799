"""The URL paths one Tandem process calls on another.

Servers register their routes from these constants and clients build their
URLs from them, so a renamed route breaks both sides at once, in one place.
"""

from __future__ import annotations

from urllib.parse import quote

STREAM_PATH = "/webhooks/webchat/stream"
"""Web chat channel (engine): drafts of an answer, posted by the action server."""

REPHRASE_PATH = "/rephrase"
"""Action server: rewording of a marked response, asked for by the engine's NLG."""

HANDOFF_API_PREFIX = "/api"
"""Handoff service: the prefix of every route Tandem's own processes call."""

HANDOFFS_PATH = f"{HANDOFF_API_PREFIX}/handoffs"
"""Handoff service: ask for a person (action server)."""

TICKETS_PATH = f"{HANDOFF_API_PREFIX}/tickets"
"""Handoff service: leave contact details when nobody is available (action server)."""

NOTIFY_PATH = f"{HANDOFF_API_PREFIX}/conversations/{{conversation_id}}/notify"
"""Handoff service: a conversation with a person has news (engine's event broker)."""


def notify_path(conversation_id: str) -> str:
    """``NOTIFY_PATH`` for one conversation, its id escaped as one path segment."""
    return NOTIFY_PATH.format(conversation_id=quote(conversation_id, safe=""))


def route(path: str, prefix: str) -> str:
    """``path`` relative to a router mounted at ``prefix`` (``/api/tickets`` -> ``/tickets``)."""
    if not path.startswith(prefix):
        raise ValueError(f"{path!r} is not under {prefix!r}")
    return path[len(prefix) :]
