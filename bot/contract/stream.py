"""A draft of an answer while the model writes it: action server -> web chat channel.

The action server posts each batch of new text to the channel's
:data:`bot.contract.paths.STREAM_PATH`; the last post has ``done: true``::

    {"session_id": "<uuid>", "stream_id": "answer-<uuid>", "delta": "<text>", "done": false}

The final bot message carries ``{"stream_id": ...}`` in its metadata
(:data:`STREAM_ID_KEY`), so the widget replaces the draft with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.contract.errors import ContractError

MAX_STREAM_BODY_BYTES = 65536
STREAM_ID_KEY = "stream_id"
STREAMING_CHANNEL = "webchat"
"""The input channel whose sessions can show drafts."""

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_STREAM_ID = re.compile(r"^[\w.:-]{1,128}$")
EXAMPLE = '{"session_id": "<uuid>", "stream_id": "<id>", "delta": "<text>", "done": false}'


def session_id_from(value: Any) -> str:
    """The canonical (lower-case, hyphenated) form of a UUID session id.

    Only UUIDs are accepted so that a session id cannot be guessed, cannot collide
    with another channel's sender ids and is safe in a URL and a room name.
    """
    if isinstance(value, str) and _UUID.match(value.strip().lower()):
        return value.strip().lower()
    raise ContractError(
        "session_id must be a UUID such as crypto.randomUUID() makes "
        "(8-4-4-4-12 hexadecimal digits).",
        code="invalid_session_id",
    )


def is_session_id(value: Any) -> bool:
    try:
        session_id_from(value)
    except ContractError:
        return False
    return True


@dataclass(frozen=True)
class StreamDraft:
    """One post of a draft: the next piece of text, and whether the draft is complete."""

    session_id: str
    stream_id: str
    delta: str = ""
    done: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "stream_id": self.stream_id,
            "delta": self.delta,
            "done": self.done,
        }

    @classmethod
    def from_dict(cls, body: Any) -> StreamDraft:
        if not isinstance(body, Mapping):
            raise ContractError(f"The body must be a JSON object: {EXAMPLE}.", code="bad_json")
        session_id = session_id_from(body.get("session_id"))
        stream_id = body.get("stream_id")
        if not isinstance(stream_id, str) or not _STREAM_ID.match(stream_id):
            raise ContractError(
                '"stream_id" must be 1-128 letters, digits or . _ : - characters.',
                code="bad_stream_id",
            )
        delta = body.get("delta", "")
        if not isinstance(delta, str):
            raise ContractError(
                '"delta" must be the next piece of text, as a string.', code="bad_delta"
            )
        done = body.get("done", False)
        if not isinstance(done, bool):
            raise ContractError('"done" must be true or false.', code="bad_done")
        return cls(session_id=session_id, stream_id=stream_id, delta=delta, done=done)
