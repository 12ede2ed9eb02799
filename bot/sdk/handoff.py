"""Handing a conversation to a person: the action server's side of the handoff service.

:class:`HandoffClient` speaks the service's engine API (:mod:`bot.contract.handoff`).
:class:`ActionHandoff` asks for a person: when the service accepts, the customer
is told what happens next and the conversation is paused in Rasa, so every
message goes to the agent's console until the agent hands it back. When nobody
can take it (outside opening hours, the queue is full, or the service is down),
the customer is told so plainly and the contact form runs, whose details
:class:`ActionLeaveContact` stores as a ticket. Nothing is silently dropped: if
even the ticket cannot be stored the customer gets the phone number.

Why a person is asked for is worked out from the conversation
(:func:`handoff_reason`) and travels with the request, so the agent's queue shows
it. A form the request interrupted (:func:`interrupted_form`) travels with it
too, and the bot offers to carry on with it when it is back.

What the customer reads comes from the message catalog (:mod:`bot.sdk.i18n`,
keys ``handoff.*``) in the conversation's language; an assistant's own
``apologies`` and ``resumable_forms`` are its English texts, and
``handoff.apology.<reason>`` / ``handoff.resume.<form>`` in its catalog give
them in other languages.

Both actions are abstract: an assistant subclasses them with its action names
and its own values (``phone_number``, ``apologies``, ``priorities``,
``resumable_forms``)::

    class ActionHandoff(bot.sdk.ActionHandoff):
        phone_number = "0800 555 0199"
        priorities = {"complaint": 7}

        def name(self) -> str:
            return "action_handoff"
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import httpx
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.contract.errors import ContractError
from bot.contract.handoff import (
    HandoffAccepted,
    HandoffRequest,
    HandoffUnavailable,
    InterruptedForm,
    TicketRequest,
    handoff_reply_from_dict,
)
from bot.contract.paths import HANDOFFS_PATH, TICKETS_PATH
from bot.errors import TandemError
from bot.sdk.analytics import attach, handoff_reason_record
from bot.sdk.buttons import consecutive_misses
from bot.sdk.forms import Parsed
from bot.sdk.i18n import Catalog, language_of, project_catalog

logger = logging.getLogger(__name__)

Accepted = HandoffAccepted
"""Queued: ``words`` says the place and the wait in the service's own words."""
Unavailable = HandoffUnavailable
"""Nobody can take the conversation; ``reason`` is ``closed``, ``too_many``, ``queue_full``
or ``service_down``."""

CONTACT_FORM = "contact_form"
CONTACT_SLOT = "handoff_contact"
REASON_SLOT = "handoff_reason"
OFFER_RESPONSE = "utter_fallback_offer_human"
"""The response that offers a person after repeated misses (``repeated_fallback``)."""
MISSES_BEFORE_HUMAN = 2
REASON_ALIASES = {"ask_human": "customer_request"}
"""The HandoffPolicy labels a request by its trigger; the queue calls a plain one this."""


class HandoffServiceError(TandemError):
    """The handoff service could not be reached or refused the request."""


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
        from bot.sdk.runtime import get_runtime  # the runtime imports this package

        settings = get_runtime().settings
        return cls(url=settings.handoff_url, service_token=settings.handoff_service_token)

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport
            ) as client:
                response = await client.post(f"{self.url}{path}", json=body, headers=self._headers)
        except httpx.HTTPError as e:
            raise HandoffServiceError(
                f"handoff service at {self.url} unreachable: {e}; is it running "
                "(TANDEM_HANDOFF_URL)?"
            ) from e
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
        form: InterruptedForm | Mapping[str, str] | None = None,
        language: str | None = None,
    ) -> Accepted | Unavailable:
        if form is not None and not isinstance(form, InterruptedForm):
            form = InterruptedForm.from_dict(form)
        body = HandoffRequest(
            conversation_id=conversation_id,
            channel=channel,
            reason=reason,
            priority=priority,
            customer_name=customer_name,
            client_ip=client_ip or None,
            form=form,
            language=language or None,
        ).to_dict()
        try:
            return handoff_reply_from_dict((await self._post(HANDOFFS_PATH, body)).json())
        except (ContractError, ValueError) as e:
            raise HandoffServiceError(f"the handoff service's answer is not a reply: {e}") from e

    async def leave_contact(self, *, conversation_id: str, contact: str, note: str) -> str:
        body = TicketRequest(conversation_id=conversation_id, contact=contact, note=note)
        response = await self._post(TICKETS_PATH, body.to_dict())
        return str(response.json().get("id", ""))


def handoff_reason(
    tracker: Tracker,
    *,
    misses_before_human: int = MISSES_BEFORE_HUMAN,
    offer_response: str = OFFER_RESPONSE,
) -> str:
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
    if consecutive_misses(earlier) >= misses_before_human - 1 and _offered_a_person(
        events, offer_response
    ):
        return "repeated_fallback"
    return "customer_request"


def _offered_a_person(events: list[dict[str, Any]], offer_response: str) -> bool:
    for event in reversed(events[:-1]):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot":
            meta = event.get("metadata") or {}
            if meta.get("utter_action") == offer_response:
                return True
    return False


def interrupted_form(tracker: Tracker) -> str | None:
    """The form that was active when the customer asked for a person, if any.

    The HandoffPolicy ends the form just before the handoff action runs (an
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


class ActionHandoff(Action, ABC):
    """Asks for a person; pauses the conversation when one is coming.

    Set ``phone_number`` (said when nobody can take over); optionally
    ``apologies`` (reason -> words said first), ``priorities`` (reason -> 0-9,
    higher first in the agents' queue) and ``resumable_forms`` (form -> (button
    title, payload) that carries on with it once the bot is back).
    """

    phone_number: ClassVar[str]
    apologies: ClassVar[Mapping[str, str]] = {}
    priorities: ClassVar[Mapping[str, int]] = {}
    default_priority: ClassVar[int] = 4
    resumable_forms: ClassVar[Mapping[str, tuple[str, str]]] = {}
    contact_form: ClassVar[str] = CONTACT_FORM
    client_factory: Callable[[], HandoffClient] = staticmethod(HandoffClient.from_runtime)
    catalog_factory: Callable[[], Catalog] = staticmethod(project_catalog)

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain, usually ``action_handoff``."""

    def client_ip(self, tracker: Tracker) -> str | None:
        """The customer's address as the channel verified it (limits requests per address)."""
        return None

    def reason(self, tracker: Tracker) -> str:
        return handoff_reason(tracker)

    def resumable(self, form: str | None, language: str | None = None) -> InterruptedForm | None:
        """What the handoff service needs to offer the form again: name, button title, payload."""
        if form is None or form not in self.resumable_forms:
            return None
        title, payload = self.resumable_forms[form]
        title = self.catalog_factory().get(f"handoff.resume.{form}", language, title)
        return InterruptedForm(name=form, title=title, payload=payload)

    def queue_words(self, outcome: Accepted, language: str, catalog: Catalog) -> str:
        """The place and wait: the service's English words, or the catalog's from the numbers."""
        if language == catalog.default or catalog.template("handoff.queued", language) is None:
            return outcome.words
        position = max(1, int(outcome.position or 1))
        place = (
            catalog.text("handoff.place_next", language)
            if position <= 1
            else catalog.text(
                "handoff.place_number", language, position=position, ahead=position - 1
            )
        )
        minutes = outcome.status.get("expected_wait_min")
        wait = (
            catalog.text("handoff.wait_minutes", language, minutes=minutes)
            if isinstance(minutes, int)
            else catalog.text("handoff.wait_unknown", language)
        )
        return place + wait

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reason = self.reason(tracker)
        channel = tracker.get_latest_input_channel() or "unknown"
        catalog, language = self.catalog_factory(), language_of(tracker)
        if reason in self.apologies:
            apology = catalog.get(f"handoff.apology.{reason}", language, self.apologies[reason])
            dispatcher.utter_message(text=apology)
        outcome: Accepted | Unavailable
        try:
            outcome = await self.client_factory().request(
                conversation_id=tracker.sender_id,
                channel=channel,
                reason=reason,
                priority=self.priorities.get(reason, self.default_priority),
                customer_name=tracker.get_slot("customer_name"),
                client_ip=self.client_ip(tracker),
                form=self.resumable(interrupted_form(tracker), language),
                # the service speaks the default language unless told otherwise
                language=None if language == catalog.default else language,
            )
        except HandoffServiceError as e:
            logger.error("handoff for %s failed: %s", tracker.sender_id, e)
            text = catalog.text("handoff.service_down", language)
            outcome = Unavailable("service_down", text, language=language)
        if isinstance(outcome, Unavailable):
            offer = outcome.message or catalog.text("handoff.nobody_free", language)
            if language != catalog.default and outcome.language != language:
                # worded in the default language (a service that was not told the language)
                offer = catalog.get(f"handoff.unavailable.{outcome.reason}", language, offer)
            call = "handoff.call_us_when_open" if outcome.reason == "closed" else "handoff.call_us"
            dispatcher.utter_message(
                text=catalog.text(call, language, offer=offer, phone=self.phone_number),
                json_message={"type": "handoff", "state": "unavailable", "reason": outcome.reason},
            )
            return [SlotSet(REASON_SLOT, reason), FollowupAction(self.contact_form)]
        words = self.queue_words(outcome, language, catalog)
        dispatcher.utter_message(
            text=catalog.text("handoff.queued", language, words=words),
            json_message={"type": "handoff", "state": "waiting", **outcome.status},
            metadata=attach(None, handoff_reason_record(reason)),
        )
        # The reason went with the request; a later handoff works out its own.
        return [SlotSet(REASON_SLOT, None), ConversationPaused()]


class ActionLeaveContact(Action, ABC):
    """Records the customer's contact details as a ticket for the team; set ``phone_number``."""

    phone_number: ClassVar[str]
    client_factory: Callable[[], HandoffClient] = staticmethod(HandoffClient.from_runtime)
    catalog_factory: Callable[[], Catalog] = staticmethod(project_catalog)

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain, usually ``action_leave_contact``."""

    def opening_hours(self, language: str | None = None) -> str:
        """When the team answers the phone, in words ("Mon-Fri 09:00-17:00 (Europe/London
        time)"), in ``language`` where the hours have words for it (``zh``)."""
        # imported here: bot.handoff.settings reads assistant.yml through this package
        from bot.handoff.settings import open_hours_from_env
        from bot.sdk.runtime import get_runtime

        runtime = get_runtime()
        return open_hours_from_env(
            runtime.settings.env, hours_file=runtime.assistant.support_hours
        ).describe(language)

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
            text = self.catalog_factory().text(
                "handoff.ticket_failed",
                language_of(tracker),
                phone=self.phone_number,
                hours=self.opening_hours(language_of(tracker)),
            )
            dispatcher.utter_message(text=text)
        else:
            text = self.catalog_factory().text(
                "handoff.ticket_stored", language_of(tracker), contact=contact
            )
            dispatcher.utter_message(text=text)
        return [SlotSet(CONTACT_SLOT, None), SlotSet(REASON_SLOT, None)]
