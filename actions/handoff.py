"""Handing a conversation to a person, and what happens when nobody is there.

``action_handoff`` asks the handoff service (bot/handoff) for an agent. When
the service accepts, the customer is told what happens next and the
conversation is paused in Rasa: from then on every message goes to the agent's
console, until the agent hands the conversation back. When nobody can take it
(outside opening hours, the queue is full, or the service is down), the
customer is told so plainly and asked for contact details, which
``action_leave_contact`` records as a ticket. Nothing is silently dropped: if
even the ticket cannot be stored the customer gets the phone number.

Why a person is asked for is worked out from the conversation (see
:func:`handoff_reason`) and travels with the request, so the agent's queue
shows it; an upset customer hears a short apology first. The place in the
queue and the expected wait are the handoff service's (one estimate, the same
words the web widget's banner shows and updates). A form the request
interrupted keeps its answers: it travels with the request, the agent sees
it, and the bot offers to carry on with it when it is back.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import MISSES_BEFORE_HUMAN, consecutive_misses
from actions.forms import Parsed, SlotSpec, TextFormValidation
from actions.identity import client_ip
from bot.errors import TandemError
from bot.handoff.settings import open_hours_from_env
from bot.sdk.runtime import get_runtime

logger = logging.getLogger(__name__)

PHONE_NUMBER = "0800 555 0199"
CONTACT_FORM = "contact_form"
CONTACT_SLOT = "handoff_contact"
REASON_SLOT = "handoff_reason"

# The HandoffPolicy labels a request by its trigger; the queue calls a plain one this.
REASON_ALIASES = {"ask_human": "customer_request"}
APOLOGIES = {
    "frustration": "I'm sorry this has been frustrating.",
    "complaint": "I'm sorry about this, and thank you for telling us.",
}
# Forms a request for a person may interrupt, with the button that carries on
# with them once the bot is back (the intent that starts the form; its answers
# are kept, so only the missing questions are asked).
RESUMABLE_FORMS = {
    "mobile_plan_form": ("Carry on with the mobile plan questions", "/ask_plan_advice"),
    "savings_plan_form": ("Carry on with the savings plan", "/ask_savings_plan"),
    "credit_form": ("Carry on with the credit pre-check", "/ask_credit_check"),
}

# Priority in the agents' queue (0-9, higher first): upset customers first.
PRIORITIES = {
    "frustration": 8,
    "complaint": 7,
    "credit_declined": 6,
    "order_late": 6,
    "repeated_fallback": 5,
    "low_confidence": 4,
    "customer_request": 4,
}


class HandoffServiceError(TandemError):
    """The handoff service could not be reached or refused the request."""


@dataclass(frozen=True)
class Accepted:
    """Queued; ``status`` is the service's queue status (``place_text``, ``wait_text``, ...)."""

    handoff_id: str
    position: int
    expected_wait_s: int | None
    status: dict[str, Any]

    @property
    def words(self) -> str:
        place = self.status.get("place_text")
        wait = self.status.get("wait_text")
        if place and wait:
            return f"{place} {wait}"
        # An older service without the wording: say no more than the numbers.
        return (
            "You're next in the queue."
            if self.position <= 1
            else (f"You're number {self.position} in the queue.")
        )


@dataclass(frozen=True)
class Unavailable:
    reason: str
    message: str


class HandoffClient:
    """The action server's side of the handoff service's engine API."""

    def __init__(
        self,
        *,
        url: str,
        service_token: str,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {service_token}"}
        self._timeout = httpx.Timeout(timeout_s)
        self._transport = transport

    @classmethod
    def from_runtime(cls) -> HandoffClient:
        """The client to the service named by the runtime's settings (``TANDEM_HANDOFF_URL``,
        ``TANDEM_HANDOFF_SERVICE_TOKEN``)."""
        settings = get_runtime().settings
        return cls(url=settings.handoff_url, service_token=settings.handoff_service_token)

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport
            ) as client:
                response = await client.post(f"{self.url}{path}", json=body, headers=self._headers)
        except httpx.HTTPError as e:
            raise HandoffServiceError(f"handoff service at {self.url} unreachable: {e}") from e
        if response.status_code >= 300:
            raise HandoffServiceError(
                f"handoff service answered {response.status_code} to {path}: {response.text[:300]}"
            )
        return response

    async def request(
        self,
        *,
        conversation_id: str,
        channel: str,
        reason: str,
        priority: int,
        customer_name: str | None,
        client_ip: str | None = None,
        form: dict[str, str] | None = None,
    ) -> Accepted | Unavailable:
        body: dict[str, Any] = {
            "conversation_id": conversation_id,
            "channel": channel,
            "reason": reason,
            "priority": priority,
            "customer_name": customer_name,
        }
        if client_ip:
            body["client_ip"] = client_ip  # the service limits waiting requests per address
        if form:
            body["form"] = form
        answer = (await self._post("/api/handoffs", body)).json()
        if answer.get("status") == "unavailable":
            return Unavailable(str(answer.get("reason", "")), str(answer.get("message", "")))
        wait = answer.get("expected_wait_s")
        status = {k: v for k, v in answer.items() if k not in ("id", "status")}
        return Accepted(
            handoff_id=str(answer["id"]),
            position=int(answer.get("position", 1)),
            expected_wait_s=None if wait is None else int(wait),
            status=status,
        )

    async def leave_contact(self, *, conversation_id: str, contact: str, note: str) -> str:
        response = await self._post(
            "/api/tickets", {"conversation_id": conversation_id, "contact": contact, "note": note}
        )
        return str(response.json().get("id", ""))


def handoff_reason(tracker: Tracker) -> str:
    """Why this conversation goes to a person, from the latest message and its history."""
    reason = tracker.get_slot(REASON_SLOT)
    if isinstance(reason, str) and reason:
        # set by the engine's HandoffPolicy or an earlier action
        return REASON_ALIASES.get(reason, reason)
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    if (latest.get("frustration") or {}).get("frustrated"):
        return "frustration"
    if intent == "complaint":
        return "complaint"
    events = list(tracker.events)
    earlier = [e for e in events if e.get("event") == "user"][:-1]
    if consecutive_misses(earlier) >= MISSES_BEFORE_HUMAN - 1 and _offered_a_person(events):
        return "repeated_fallback"
    return "customer_request"


def _offered_a_person(events: list[dict[str, Any]]) -> bool:
    for event in reversed(events[:-1]):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot":
            meta = event.get("metadata") or {}
            if meta.get("utter_action") == "utter_fallback_offer_human":
                return True
    return False


def interrupted_form(tracker: Tracker) -> str | None:
    """The form that was active when the customer asked for a person, if any.

    The HandoffPolicy ends the form just before this action runs (an
    ``active_loop`` event after the latest message); a rule may run the action
    with the form still active.
    """
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    if last_user < 0:
        return None
    active = None
    for event in events[:last_user]:
        if event.get("event") == "active_loop":
            active = event.get("name")
    if not active:
        return None
    later = [e.get("name") for e in events[last_user + 1 :] if e.get("event") == "active_loop"]
    if (later and later[-1] is None) or (tracker.active_loop or {}).get("name") == active:
        return str(active)
    return None


def resumable(form: str | None) -> dict[str, str] | None:
    """What the handoff service needs to offer the form again: name, button title, payload."""
    if form not in RESUMABLE_FORMS:
        return None
    title, payload = RESUMABLE_FORMS[form]
    return {"name": form, "title": title, "payload": payload}


class ActionHandoff(Action):
    """Asks for a person; pauses the conversation when one is coming."""

    client_factory = staticmethod(HandoffClient.from_runtime)

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reason = handoff_reason(tracker)
        channel = tracker.get_latest_input_channel() or "unknown"
        if reason in APOLOGIES:
            dispatcher.utter_message(text=APOLOGIES[reason])
        try:
            outcome = await self.client_factory().request(
                conversation_id=tracker.sender_id,
                channel=channel,
                reason=reason,
                priority=PRIORITIES.get(reason, 4),
                customer_name=tracker.get_slot("customer_name"),
                client_ip=client_ip(tracker),
                form=resumable(interrupted_form(tracker)),
            )
        except HandoffServiceError as e:
            logger.error("handoff for %s failed: %s", tracker.sender_id, e)
            outcome = Unavailable(
                "service_down",
                "I'm sorry, I can't reach our team from here right now.",
            )
        if isinstance(outcome, Unavailable):
            offer = (
                outcome.message
                or "Nobody from our team is free right now. If you leave an e-mail address or "
                "phone number, a colleague will get back to you."
            )
            when = " when we're open" if outcome.reason == "closed" else ""
            dispatcher.utter_message(
                text=f"{offer} You can also call us on {PHONE_NUMBER}{when}.",
                json_message={"type": "handoff", "state": "unavailable", "reason": outcome.reason},
            )
            return [SlotSet(REASON_SLOT, reason), FollowupAction(CONTACT_FORM)]
        dispatcher.utter_message(
            text=f"I've asked a colleague to join us. {outcome.words} Anything you write now "
            'goes straight to them, or say "never mind" to carry on with me instead.',
            json_message={"type": "handoff", "state": "waiting", **outcome.status},
        )
        # The reason went with the request; a later handoff works out its own.
        return [SlotSet(REASON_SLOT, None), ConversationPaused()]


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,18}\d")


def parse_contact(text: str) -> Parsed:
    """An e-mail address or a phone number from the customer's words."""
    email = _EMAIL.search(text)
    if email:
        return Parsed(value=email.group(0).lower())
    phone = _PHONE.search(text)
    if phone and 7 <= sum(c.isdigit() for c in phone.group(0)) <= 15:
        return Parsed(value=re.sub(r"[\s().-]", "", phone.group(0)))
    return Parsed(
        error="Could you give me an e-mail address (like name@example.com) or a phone number? "
        'Or say "stop" if you\'d rather not.'
    )


class ValidateContactForm(TextFormValidation):
    slots: ClassVar[dict[str, SlotSpec]] = {
        CONTACT_SLOT: SlotSpec(parse=parse_contact, label="contact"),
    }
    interruptions: ClassVar[frozenset[str]] = frozenset({"stop", "deny"})

    def name(self) -> str:
        return "validate_contact_form"


class ActionLeaveContact(Action):
    """Records the customer's contact details as a ticket for the team."""

    client_factory = staticmethod(HandoffClient.from_runtime)

    def name(self) -> str:
        return "action_leave_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        contact = tracker.get_slot(CONTACT_SLOT)
        reason = tracker.get_slot(REASON_SLOT) or "customer_request"
        try:
            await self.client_factory().leave_contact(
                conversation_id=tracker.sender_id,
                contact=str(contact),
                note=f"Asked for a person ({reason}); nobody was available.",
            )
        except HandoffServiceError as e:
            logger.error("ticket for %s not stored: %s", tracker.sender_id, e)
            runtime = get_runtime()
            hours = open_hours_from_env(
                runtime.settings.env, hours_file=runtime.assistant.support_hours
            ).describe()
            dispatcher.utter_message(
                text="I'm sorry, I couldn't pass your details on just now. Please call us on "
                f"{PHONE_NUMBER} (we're there {hours})."
            )
        else:
            dispatcher.utter_message(
                text=f"Thanks, I've passed {contact} to our team; a colleague will be in touch "
                "on the next working day. Anything else I can help with meanwhile?"
            )
        return [SlotSet(CONTACT_SLOT, None), SlotSet(REASON_SLOT, None)]
