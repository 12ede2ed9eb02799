"""What every channel refuses in what a client sends, decided in one place.

The REST channel answers a :class:`Rejected` with its HTTP ``status`` and a JSON
error, the web chat with a ``webchat_error`` event; both apply the same rules:

* JSON that is not UTF-8, not JSON, or nested so deeply that the parser gives up
  (a ``RecursionError``, which would otherwise be a 500 or a silent drop);
* text with an unpaired surrogate such as ``\\ud800``: it is not text, cannot be
  stored or logged as UTF-8, and would fail later as "something went wrong";
* ``metadata`` that is not an object, is over :data:`MAX_METADATA_BYTES` as JSON
  (it is stored with every turn, several times) or nested over
  :data:`MAX_METADATA_DEPTH` levels (Rasa copies it recursively);
* the reserved key :data:`IDENTITY_KEY`, which only a channel may set
  (:func:`with_identity`): ``customer_id`` and ``role`` after it verified a
  credential, ``client_ip`` from the connection.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.engine.errors import ChannelError

MAX_METADATA_BYTES = 8192
MAX_METADATA_DEPTH = 32
IDENTITY_KEY = "tandem_auth"


class Rejected(ChannelError, ValueError):
    """Input a channel refuses; it never reaches the bot. ``code`` is for programs."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    def as_event(self) -> dict[str, str]:
        return {"code": self.code, "message": str(self)}


def loads_json(
    raw: bytes | str, *, what: str = "The request body", code: str = "bad_json", hint: str = ""
) -> Any:
    """``json.loads`` that answers every malformed input with :class:`Rejected`."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as e:
        raise Rejected(code, f"{what} is not UTF-8 text; send JSON encoded as UTF-8.") from e
    try:
        return json.loads(text)
    except RecursionError as e:
        raise Rejected(code, f"{what} is JSON nested too deeply; send a flat object.") from e
    except ValueError as e:
        raise Rejected(code, f"{what} is not valid JSON{'; ' + hint if hint else '.'}") from e


def check_text(text: str, *, what: str = '"message"') -> str:
    """``text`` itself, or :class:`Rejected` when it holds an unpaired surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise Rejected(
            "bad_text",
            f"{what} contains an unpaired surrogate ({text[e.start]!a} at position {e.start}), "
            "which is not text; send the message as valid UTF-8.",
        ) from e
    return text


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_METADATA_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def check_metadata(value: Any, *, what: str = '"metadata"') -> dict[str, Any] | None:
    """Client-sent metadata as the bot may see it, without :data:`IDENTITY_KEY`.

    ``None`` stays ``None``; anything but a small, shallow JSON object of text is
    :class:`Rejected` (413 when it is too large).
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Rejected("bad_metadata", f"{what} must be a JSON object when given.")
    if _depth(value) > MAX_METADATA_DEPTH:
        raise Rejected(
            "bad_metadata", f"{what} is nested over {MAX_METADATA_DEPTH} levels; send less."
        )
    try:
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    except UnicodeEncodeError as e:
        raise Rejected(
            "bad_metadata", f"{what} contains an unpaired surrogate, which is not text."
        ) from e
    except (TypeError, ValueError) as e:
        raise Rejected("bad_metadata", f"{what} must hold JSON values only.") from e
    if size > MAX_METADATA_BYTES:
        raise Rejected(
            "metadata_too_large",
            f"{what} is {size} bytes as JSON; the limit is {MAX_METADATA_BYTES}. Send less.",
            status=413,
        )
    return {key: item for key, item in value.items() if key != IDENTITY_KEY}


def client_ip(request: Any) -> str | None:
    """The address a Sanic request came from; forwarded headers count only where Sanic
    was told to trust them (``PROXIES_COUNT`` / ``FORWARDED_SECRET``)."""
    address = getattr(request, "remote_addr", "") or getattr(request, "ip", "")
    return address if isinstance(address, str) and address else None


def with_identity(
    metadata: dict[str, Any] | None,
    *,
    customer_id: str | None = None,
    client_ip: str | None = None,
    role: str | None = None,
) -> dict[str, Any] | None:
    """``metadata`` with what the channel itself knows under :data:`IDENTITY_KEY`.

    ``customer_id`` and ``role`` (``staff``, say) must come from a credential the channel
    verified, ``client_ip`` from the connection; any client-sent value under the key is
    replaced or dropped.
    """
    rest = {key: item for key, item in (metadata or {}).items() if key != IDENTITY_KEY}
    known = {
        key: value
        for key, value in (
            ("customer_id", customer_id),
            ("client_ip", client_ip),
            ("role", role),
        )
        if value
    }
    if not known:
        return rest if metadata is not None else None
    return {**rest, IDENTITY_KEY: known}
