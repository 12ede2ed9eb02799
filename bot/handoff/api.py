"""The engine-facing HTTP API: what Rasa's actions and event broker call.

Every route but ``/health`` wants ``Authorization: Bearer <SERVICE_TOKEN>``.
Bodies are validated by the pydantic models below, built from the limits of
:mod:`bot.contract.handoff` (the action server's client sends the same
dataclasses); a bad body gets a 400/422 that names the field and never reaches
the queue.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from bot.contract import handoff as contract
from bot.contract.labels import language_code
from bot.contract.paths import (
    HANDOFF_API_PREFIX,
    HANDOFFS_PATH,
    NOTIFY_PATH,
    TICKETS_PATH,
    route,
)
from bot.handoff.errors import NotAuthenticated
from bot.handoff.service import HandoffService, language

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,24}$")
MAX_CONVERSATION_ID_CHARS = contract.MAX_CONVERSATION_ID_CHARS


def _conversation_id(value: str) -> str:
    """Any id a channel can produce (Slack's ``slack:T:C:ts``, Teams' ``19:…;messageid=…``,
    non-ASCII ids); only what cannot travel in one URL path segment is refused."""
    if (
        not 1 <= len(value) <= MAX_CONVERSATION_ID_CHARS
        or not value.isprintable()
        or value != value.strip()
        or "/" in value
    ):
        raise ValueError(
            f"use 1 to {MAX_CONVERSATION_ID_CHARS} printable characters without '/' and without "
            "leading or trailing spaces (Rasa's sender id)"
        )
    return value


ConversationId = Annotated[str, AfterValidator(_conversation_id)]
Text = Annotated[str, StringConstraints(strip_whitespace=True)]

UNAVAILABLE_MESSAGES = {
    "closed": (
        "Our team is available {hours}, so nobody can take over right now; they're next "
        "available {next_open}. Leave your e-mail address or phone number and we'll get back "
        "to you."
    ),
    "too_many": (
        "You've asked for a person several times recently, and you're not in the queue just "
        "now; please try again a little later. Or leave your e-mail address or phone number "
        "and we'll get back to you."
    ),
    "queue_full": (
        "All our colleagues are busy and the queue is full right now. Leave your e-mail address "
        "or phone number and we'll get back to you."
    ),
}


UNAVAILABLE_KEYS = {"closed": "handoff.unavailable.closed_until"}
"""The catalog keys of the messages above in other languages (``handoff.unavailable.<reason>``
unless named here)."""


def unavailable_message(
    service: HandoffService, reason: str, language: str | None, now: datetime
) -> str:
    """Why nobody can take over, in ``language`` (English when the catalog lacks it)."""
    hours = service.settings.open_hours
    english = UNAVAILABLE_MESSAGES[reason]
    values = {"hours": hours.describe(language), "next_open": hours.describe_next(now, language)}
    if not language or language == service.catalog.default:
        return english.format(**values)
    key = UNAVAILABLE_KEYS.get(reason, f"handoff.unavailable.{reason}")
    return service.catalog.get(key, language, english, **values)


def _channel(value: str) -> str:
    if not 1 <= len(value) <= 64 or not re.match(r"^[A-Za-z0-9_.\-]+$", value):
        raise ValueError("give Rasa's input channel name (letters, digits, . _ -; at most 64)")
    return value


def _language(value: str) -> str:
    code = language_code(value)
    if code is None:
        raise ValueError("give the conversation's language as a code such as 'en' or 'zh-CN'")
    return code


def _client_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError as e:
        raise ValueError("give the customer's IPv4 or IPv6 address, or leave it out") from e


Short = Annotated[Text, StringConstraints(min_length=1, max_length=contract.MAX_FORM_FIELD_CHARS)]


class InterruptedForm(BaseModel):
    """The form the customer was filling in; offered again (a button) when the bot is back."""

    model_config = ConfigDict(extra="ignore")

    name: Short
    title: Short
    payload: Short


class HandoffRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    conversation_id: ConversationId
    channel: Annotated[str, AfterValidator(_channel)]
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=contract.MAX_REASON_CHARS)]
    priority: int = Field(
        default=0,
        ge=contract.PRIORITY_RANGE[0],
        le=contract.PRIORITY_RANGE[1],
        description="0 routine ... 9 most urgent",
    )
    customer_name: Annotated[Text, StringConstraints(max_length=contract.MAX_NAME_CHARS)] | None = (
        None
    )
    client_ip: Annotated[str, AfterValidator(_client_ip)] | None = Field(
        default=None, description="The customer's address as the channel saw it, if it did."
    )
    form: InterruptedForm | None = None
    language: (
        Annotated[
            str,
            StringConstraints(max_length=contract.MAX_LANGUAGE_CHARS),
            AfterValidator(_language),
        ]
        | None
    ) = Field(default=None, description="The conversation's language; answers are worded in it.")


class TicketRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    conversation_id: ConversationId
    contact: Annotated[Text, StringConstraints(min_length=3, max_length=contract.MAX_CONTACT_CHARS)]
    note: Annotated[Text, StringConstraints(max_length=contract.MAX_NOTE_CHARS)] | None = None

    @field_validator("contact")
    @classmethod
    def _email_or_phone(cls, value: str) -> str:
        if _EMAIL.match(value):
            return value.lower()
        digits = sum(c.isdigit() for c in value)
        if _PHONE.match(value) and 7 <= digits <= 15:
            return value
        raise ValueError("give an e-mail address or a phone number (7 to 15 digits)")


def service_of(request: Request) -> HandoffService:
    service: HandoffService = request.app.state.runtime.service
    return service


def require_service_token(request: Request) -> None:
    """Only Tandem's own processes hold the token; compare it in constant time."""
    expected = request.app.state.runtime.settings.service_token.encode()
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise NotAuthenticated(
            "Send the service token as 'Authorization: Bearer <TANDEM_HANDOFF_SERVICE_TOKEN>'."
        )


router = APIRouter(prefix=HANDOFF_API_PREFIX, dependencies=[Depends(require_service_token)])


@router.post(route(HANDOFFS_PATH, HANDOFF_API_PREFIX), status_code=201)
async def request_handoff(body: HandoffRequest, request: Request, response: Response) -> Any:
    service = service_of(request)
    outcome = await service.request(
        conversation_id=body.conversation_id,
        channel=body.channel,
        reason=body.reason,
        priority=body.priority,
        customer_name=body.customer_name or None,
        client_ip=body.client_ip,
        form=body.form.model_dump() if body.form else None,
        language=body.language,
    )
    handoff = outcome.handoff
    if handoff is None:
        assert outcome.unavailable is not None
        hours = service.settings.open_hours
        now = service.clock()
        opens = hours.next_open(now)
        answer = contract.HandoffUnavailable(
            reason=outcome.unavailable,
            message=unavailable_message(service, outcome.unavailable, body.language, now),
            next_open=(
                opens.isoformat() if outcome.unavailable == "closed" and opens is not None else None
            ),
            language=body.language,
        )
        return JSONResponse(answer.to_dict())
    if not outcome.created:
        response.status_code = 200
    status = await service.status(handoff)
    if status is None:  # with an agent already
        return {"id": handoff.id, "status": handoff.status, "position": 0, "expected_wait_s": 0}
    words = status.as_json(language(handoff), service.catalog)
    return {"id": handoff.id, "status": handoff.status, **words}


@router.post(route(TICKETS_PATH, HANDOFF_API_PREFIX), status_code=201)
async def create_ticket(body: TicketRequest, request: Request) -> dict[str, int]:
    ticket_id = await service_of(request).create_ticket(
        body.conversation_id, body.contact, body.note or None
    )
    return {"id": ticket_id}


@router.post(route(NOTIFY_PATH, HANDOFF_API_PREFIX), status_code=202)
async def notify(
    conversation_id: Annotated[str, Path(max_length=MAX_CONVERSATION_ID_CHARS)],
    request: Request,
) -> dict[str, str]:
    try:
        _conversation_id(conversation_id)
    except ValueError as e:
        raise RequestValidationError(
            [{"loc": ("path", "conversation_id"), "msg": str(e), "type": "value_error"}]
        ) from e
    service_of(request).syncer.schedule(conversation_id)
    return contract.NotifyReply().to_dict()
