"""Who the customer is, as far as a channel verified it; never guessed from the sender id.

A sender id is chosen by the client (any REST caller can call itself ``c0001``),
so it links a conversation to nobody. Channels put what they verified into the
user message's metadata under the reserved key :data:`IDENTITY_KEY`, after
dropping whatever a client sent under that key::

    {"tandem_auth": {"customer_id": "c0001", "client_ip": "203.0.113.5"}}

``customer_id`` and ``role`` are set only after a credential was verified (JWT
claims signed with the visitor key); ``client_ip`` is the address the channel saw, when it
saw one. Both are read from the latest user message, or else from the earliest
message of the current session that carried them (a token is often sent once,
with the first message).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rasa_sdk import Tracker

IDENTITY_KEY = "tandem_auth"
_MAX_ID_CHARS = 128


def _claims(metadata: Any) -> Mapping[str, Any]:
    if not isinstance(metadata, Mapping):
        return {}
    claims = metadata.get(IDENTITY_KEY)
    return claims if isinstance(claims, Mapping) else {}


def _session_messages(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The user events since the last session start, oldest first."""
    session: list[Mapping[str, Any]] = []
    for event in events:
        if event.get("event") == "session_started":
            session = []
        elif event.get("event") == "user":
            session.append(event)
    return session


def _claim(tracker: Tracker, name: str) -> str | None:
    candidates = [_claims((tracker.latest_message or {}).get("metadata"))]
    candidates += [_claims(e.get("metadata")) for e in _session_messages(tracker.events or [])]
    for claims in candidates:
        value = claims.get(name)
        if isinstance(value, str) and 0 < len(value) <= _MAX_ID_CHARS:
            return value
    return None


def verified_customer_id(tracker: Tracker) -> str | None:
    """The catalogue customer a channel verified for this conversation, if any."""
    return _claim(tracker, "customer_id")


def client_ip(tracker: Tracker) -> str | None:
    """The customer's address as the channel saw it, if it said."""
    return _claim(tracker, "client_ip")


def verified_role(tracker: Tracker) -> str | None:
    """What a channel verified this person is (``staff``, say), if it said."""
    return _claim(tracker, "role")
