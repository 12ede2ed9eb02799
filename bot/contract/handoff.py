"""The handoff service's engine API: what the action server and the engine send it.

* ``POST /api/handoffs`` (:data:`~bot.contract.paths.HANDOFFS_PATH`):
  :class:`HandoffRequest` -> :class:`HandoffAccepted` (201 new, 200 already queued)
  or :class:`HandoffUnavailable` (200, ``status: "unavailable"``);
* ``POST /api/tickets``: :class:`TicketRequest` -> ``{"id": <ticket id>}``;
* ``POST /api/conversations/<id>/notify`` (no body): :class:`NotifyReply`, 202.

Every call carries ``Authorization: Bearer <TANDEM_HANDOFF_SERVICE_TOKEN>``.
The service's pydantic models check the same limits (:data:`MAX_CONVERSATION_ID_CHARS`,
:data:`PRIORITY_RANGE`, ...) and say which field is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.contract.errors import ContractError

MAX_CONVERSATION_ID_CHARS = 256
MAX_REASON_CHARS = 500
MAX_NAME_CHARS = 100
MAX_CONTACT_CHARS = 254
MAX_NOTE_CHARS = 2000
MAX_FORM_FIELD_CHARS = 100
MAX_LANGUAGE_CHARS = 16
PRIORITY_RANGE = (0, 9)
"""0 routine ... 9 most urgent; the agents' queue shows higher first."""
UNAVAILABLE = "unavailable"
UNAVAILABLE_REASONS = ("closed", "too_many", "queue_full")
"""Why the service takes nobody now; ``service_down`` is the client's own (no answer)."""
QUEUE_STATUS_KEYS = (
    "position",
    "expected_wait_s",
    "expected_wait_min",
    "waited_s",
    "agents_online",
    "place_text",
    "wait_text",
)
"""The queue status the service reports, and the widget's banner shows."""


def _text(body: Mapping[str, Any], key: str, *, limit: int, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not (1 if required else 0) <= len(value) <= limit:
        raise ContractError(
            f'"{key}" must be a string of {"1" if required else "0"} to {limit} characters.',
            code=f"bad_{key}",
        )
    return value


def _object(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ContractError(f"{what} must be a JSON object.", code="bad_json")
    return body


@dataclass(frozen=True)
class InterruptedForm:
    """The form a request for a person interrupted; offered again (a button) afterwards."""

    name: str
    title: str
    payload: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "payload": self.payload}

    @classmethod
    def from_dict(cls, body: Any) -> InterruptedForm:
        body = _object(body, '"form"')
        name, title, payload = (
            _text(body, key, limit=MAX_FORM_FIELD_CHARS) for key in ("name", "title", "payload")
        )
        return cls(name=str(name), title=str(title), payload=str(payload))


@dataclass(frozen=True)
class HandoffRequest:
    conversation_id: str
    channel: str
    reason: str
    priority: int = 0
    customer_name: str | None = None
    client_ip: str | None = None
    """The customer's address as the channel saw it; the service limits requests per address."""
    form: InterruptedForm | None = None
    language: str | None = None
    """The conversation's language (``zh``); the service words its answers in it."""

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "conversation_id": self.conversation_id,
            "channel": self.channel,
            "reason": self.reason,
            "priority": self.priority,
            "customer_name": self.customer_name,
        }
        if self.client_ip:
            body["client_ip"] = self.client_ip
        if self.form is not None:
            body["form"] = self.form.to_dict()
        if self.language:
            body["language"] = self.language
        return body

    @classmethod
    def from_dict(cls, body: Any) -> HandoffRequest:
        body = _object(body, "A handoff request")
        priority = body.get("priority", 0)
        low, high = PRIORITY_RANGE
        if (
            isinstance(priority, bool)
            or not isinstance(priority, int)
            or not low <= priority <= high
        ):
            raise ContractError(
                f'"priority" must be a whole number {low} to {high}.', code="bad_priority"
            )
        form = body.get("form")
        return cls(
            conversation_id=str(_text(body, "conversation_id", limit=MAX_CONVERSATION_ID_CHARS)),
            channel=str(_text(body, "channel", limit=64)),
            reason=str(_text(body, "reason", limit=MAX_REASON_CHARS)),
            priority=priority,
            customer_name=_text(body, "customer_name", limit=MAX_NAME_CHARS, required=False),
            client_ip=_text(body, "client_ip", limit=64, required=False),
            form=None if form is None else InterruptedForm.from_dict(form),
            language=_text(body, "language", limit=MAX_LANGUAGE_CHARS, required=False),
        )


@dataclass(frozen=True)
class HandoffAccepted:
    """Queued (or already with an agent); ``status`` holds the queue status keys."""

    handoff_id: str
    position: int
    expected_wait_s: int | None
    status: Mapping[str, Any] = field(default_factory=dict)
    """The service's answer less ``id`` and ``status``: ``place_text``, ``wait_text``, ..."""
    state: str = "waiting"

    @property
    def words(self) -> str:
        """How the customer is told their place: the service's wording, else the numbers."""
        place = self.status.get("place_text")
        wait = self.status.get("wait_text")
        if place and wait:
            return f"{place} {wait}"
        return (
            "You're next in the queue."
            if self.position <= 1
            else f"You're number {self.position} in the queue."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.status,
            "id": self.handoff_id,
            "status": self.state,
            "position": self.position,
            "expected_wait_s": self.expected_wait_s,
        }


@dataclass(frozen=True)
class HandoffUnavailable:
    """Nobody can take the conversation; ``message`` says so in the customer's words."""

    reason: str
    message: str
    next_open: str | None = None
    """ISO 8601 time the team is next available, when ``reason`` is ``closed``."""
    language: str | None = None
    """The language ``message`` is in, when the request named one (else the default)."""

    def to_dict(self) -> dict[str, Any]:
        body = {"status": UNAVAILABLE, "reason": self.reason, "message": self.message}
        if self.next_open is not None:
            body["next_open"] = self.next_open
        if self.language is not None:
            body["language"] = self.language
        return body


def handoff_reply_from_dict(body: Any) -> HandoffAccepted | HandoffUnavailable:
    """The service's answer to a :class:`HandoffRequest`."""
    body = _object(body, "A handoff reply")
    if body.get("status") == UNAVAILABLE:
        next_open, language = body.get("next_open"), body.get("language")
        return HandoffUnavailable(
            reason=str(body.get("reason", "")),
            message=str(body.get("message", "")),
            next_open=next_open if isinstance(next_open, str) else None,
            language=language if isinstance(language, str) else None,
        )
    handoff_id = body.get("id")
    if handoff_id is None or str(handoff_id) == "":
        raise ContractError(
            'A handoff reply has "id" unless its "status" is "unavailable".', code="bad_reply"
        )
    try:
        position = int(body.get("position", 1))
        wait = body.get("expected_wait_s")
        expected_wait_s = None if wait is None else int(wait)
    except (TypeError, ValueError) as e:
        raise ContractError(
            '"position" and "expected_wait_s" must be whole numbers.', code="bad_reply"
        ) from e
    return HandoffAccepted(
        handoff_id=str(handoff_id),
        position=position,
        expected_wait_s=expected_wait_s,
        status={k: v for k, v in body.items() if k not in ("id", "status")},
        state=str(body.get("status") or "waiting"),
    )


@dataclass(frozen=True)
class TicketRequest:
    conversation_id: str
    contact: str
    """An e-mail address or a phone number (7 to 15 digits)."""
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"conversation_id": self.conversation_id, "contact": self.contact, "note": self.note}

    @classmethod
    def from_dict(cls, body: Any) -> TicketRequest:
        body = _object(body, "A ticket request")
        return cls(
            conversation_id=str(_text(body, "conversation_id", limit=MAX_CONVERSATION_ID_CHARS)),
            contact=str(_text(body, "contact", limit=MAX_CONTACT_CHARS)),
            note=_text(body, "note", limit=MAX_NOTE_CHARS, required=False),
        )


@dataclass(frozen=True)
class NotifyReply:
    """The service's answer to a notification: it will read the conversation soon."""

    status: str = "accepted"

    def to_dict(self) -> dict[str, str]:
        return {"status": self.status}

    @classmethod
    def from_dict(cls, body: Any) -> NotifyReply:
        body = _object(body, "A notify reply")
        if body.get("status") != "accepted":
            raise ContractError('A notify reply is {"status": "accepted"}.', code="bad_reply")
        return cls()
