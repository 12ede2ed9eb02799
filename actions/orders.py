""" "Where is my order?": ``order_status_form`` collects, ``action_order_status`` answers.

The form takes the order number and the e-mail address or postcode on the
order, in either order or both in one message ("VL-10023, jo@example.com").
The e-mail or postcode never becomes a slot value: the slot holds a keyed hash
(:func:`generators.orders.verifier_digest`), and the message itself is
redacted by the tracker store. The action looks the order up in the configured
:class:`~generators.orders.OrderSystem`, shows it only when the pair matches,
answers every wrong pair with the same sentence, and stops checking after
``TANDEM_ORDERS_MAX_ATTEMPTS`` wrong pairs in one conversation. An order past
its promised date goes to a person (``handoff_reason`` ``order_late``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any, ClassVar, cast

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import VoltlineFormValidation
from actions.handoff import PHONE_NUMBER
from actions.texts import say
from bot.sdk.form_text import is_question
from bot.sdk.forms import Parsed, SlotSpec, is_dont_know
from bot.sdk.handoff import REASON_SLOT
from bot.sdk.i18n import language_of
from bot.sdk.runtime import get_runtime
from generators.errors import GeneratorError
from generators.orders import (
    Order,
    OrderError,
    OrderSettings,
    OrderSystem,
    describe,
    find_order_number,
    find_verifier,
    matches,
    verifier_digest,
)
from generators.orders_zh import describe_zh

log = logging.getLogger(__name__)

FORM = "order_status_form"
NUMBER_SLOT = "order_number"
VERIFIER_SLOT = "order_verifier"
ATTEMPTS_SLOT = "order_attempts"
LATE_REASON = "order_late"

NOT_FOUND = (
    "I couldn't find an order with that order number and e-mail address or postcode. "
    "Please check both: the order number starts with VL- and is in your confirmation e-mail."
)
LOCKED = (
    "For your security I can't check more orders in this chat. "
    f'A colleague can help: just say "talk to a person", or call us on {PHONE_NUMBER}.'
)
_DIGEST = re.compile(r"^(email|postcode):[0-9a-f]{64}$")


def default_orders() -> tuple[OrderSettings, OrderSystem]:
    """The settings and order system of this process (the runtime's, built and seeded once);
    call it in a worker thread."""
    runtime = get_runtime()
    return runtime.settings.orders, cast(OrderSystem, runtime.get_sync("orders"))


def product_names(language: str) -> dict[str, str]:
    """The catalogue's English product names (case-folded) → their names in ``language``,
    where it has one; empty when the catalogue can't be read. Call it in a worker thread."""
    try:
        products, _ = get_runtime().get_sync("products")
    except GeneratorError as e:
        log.warning("Product names unavailable for the order's items: %s", e)
        return {}
    named = ((p.name, p.in_language(language).name) for p in products)
    return {english.casefold(): name for english, name in named if name != english}


def describe_in(language: str, order: Order, today: dt.date) -> str:
    """The reply about a verified order, in the conversation's language."""
    if language == "zh":
        return describe_zh(order, today, product_names(language))
    return describe(order, today)


def parse_order_number(text: str) -> Parsed:
    number = find_order_number(text, bare=True)
    if number:
        return Parsed(value=number)
    if is_dont_know(text):
        return Parsed(
            error='It\'s in your order confirmation e-mail and in "My orders" on '
            "voltline.example, and starts with VL-. If you can't find it, say \"talk to a "
            'person" and a colleague will help.'
        )
    return Parsed(
        error="I couldn't spot an order number there. It starts with VL- and has five "
        "digits, like VL-12345. What's yours?"
    )


def parse_verifier(text: str, *, key: bytes) -> Parsed:
    """A digest from an earlier extraction, or the e-mail/postcode in ``text`` as one."""
    if _DIGEST.match(text):
        return Parsed(value=text)
    found = find_verifier(text)
    if found:
        return Parsed(value=verifier_digest(key, *found))
    return Parsed(
        error="To keep your order private I need the e-mail address or the postcode "
        "the order was placed with. Which one can you give me?"
    )


def _answered(tracker: Tracker) -> bool:
    """Whether action_order_status already ran on the latest message (and refused it)."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") == "action_order_status":
            return True
    return False


class ValidateOrderStatusForm(VoltlineFormValidation):
    """Fills the order number and the verifier from whatever the customer writes."""

    slots: ClassVar[dict[str, SlotSpec]] = {
        NUMBER_SLOT: SlotSpec(parse=parse_order_number, label="order number"),
        VERIFIER_SLOT: SlotSpec(parse=lambda text: Parsed(error="unused"), label="e-mail"),
    }

    def name(self) -> str:
        return f"validate_{FORM}"

    def is_bare_answer(self, tracker: Tracker, text: str) -> bool:
        """An order number or an e-mail/postcode is an answer, whatever NLU made of it
        ("jo@example.com" can read like a question for the knowledge base)."""
        if is_question(text):
            return False
        requested = tracker.get_slot("requested_slot")
        return bool(find_verifier(text) or find_order_number(text, bare=requested == NUMBER_SLOT))

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # After a wrong pair the form is started again by action_order_status; the
        # message that held the wrong pair must not fill it a second time.
        if _answered(tracker):
            return []
        text = (tracker.latest_message or {}).get("text") or ""
        requested = tracker.get_slot("requested_slot")
        settings, _ = await asyncio.to_thread(default_orders)
        number = find_order_number(text, bare=requested == NUMBER_SLOT)
        found = find_verifier(text)
        values: dict[str, Any] = {}
        if number or requested == NUMBER_SLOT:
            values[NUMBER_SLOT] = number or text
        if found:
            values[VERIFIER_SLOT] = verifier_digest(settings.verify_key, *found)
        elif requested == VERIFIER_SLOT and not number:
            values[VERIFIER_SLOT] = "" if is_dont_know(text) else text
        return [SlotSet(slot, value) for slot, value in values.items()]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        settings, _ = await asyncio.to_thread(default_orders)
        values: dict[str, Any] = {}
        for slot, raw in tracker.slots_to_validate().items():
            if slot not in self.slots or not isinstance(raw, str):
                continue
            if slot == NUMBER_SLOT:
                parsed = parse_order_number(raw)
            else:
                parsed = parse_verifier(raw, key=settings.verify_key)
            if parsed.error:
                dispatcher.utter_message(text=self.reask(tracker, slot, parsed.error))
            values[slot] = parsed.value
        tracker.slots.update(values)
        return [SlotSet(slot, value) for slot, value in values.items()]


def _clear() -> list[EventType]:
    return [SlotSet(NUMBER_SLOT, None), SlotSet(VERIFIER_SLOT, None)]


class ActionOrderStatus(Action):
    """Shows a verified order's status; hands a late one to a person."""

    def __init__(self, orders: OrderSystem | None = None, *, today: dt.date | None = None) -> None:
        self._orders = orders
        self._today = today

    def name(self) -> str:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        settings, system = await asyncio.to_thread(default_orders)
        orders = self._orders or system
        attempts = int(tracker.get_slot(ATTEMPTS_SLOT) or 0)
        language = language_of(tracker)
        not_found = say("orders.not_found", language, NOT_FOUND)
        locked = say("orders.locked", language, LOCKED, phone=PHONE_NUMBER)
        if attempts >= settings.max_attempts:
            dispatcher.utter_message(text=locked)
            return _clear()
        number = tracker.get_slot(NUMBER_SLOT)
        digest = tracker.get_slot(VERIFIER_SLOT)
        if not isinstance(number, str) or not isinstance(digest, str) or not digest:
            dispatcher.utter_message(response="utter_ask_order_number")
            return [*_clear(), FollowupAction(FORM)]
        try:
            order = await asyncio.to_thread(orders.lookup, number)
        except OrderError as e:
            log.error("action_order_status: order system unavailable: %s", e)
            dispatcher.utter_message(
                text=say(
                    "orders.unreachable",
                    language,
                    "Sorry, I can't reach our order system right now. A colleague can check "
                    'it for you: say "talk to a person", or call us on {phone}.',
                    phone=PHONE_NUMBER,
                )
            )
            return _clear()
        if not matches(order, digest, key=settings.verify_key) or order is None:
            attempts += 1
            counted = [*_clear(), SlotSet(ATTEMPTS_SLOT, attempts)]
            if attempts >= settings.max_attempts:
                dispatcher.utter_message(text=f"{not_found}\n\n{locked}")
                return counted
            again = say("orders.try_again", language, "Let's try once more.")
            dispatcher.utter_message(text=f"{not_found} {again}")
            return [*counted, FollowupAction(FORM)]
        today = self._today or dt.date.today()
        reply = await asyncio.to_thread(describe_in, language, order, today)
        dispatcher.utter_message(text=reply)
        if order.days_late(today):
            dispatcher.utter_message(
                text=say(
                    "orders.chase",
                    language,
                    "I'm getting a colleague to chase it with the carrier for you.",
                )
            )
            return [*_clear(), SlotSet(REASON_SLOT, LATE_REASON), FollowupAction("action_handoff")]
        return _clear()
