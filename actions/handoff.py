"""Voltline's handoff to a person: its phone number, apologies, queue priorities and forms.

The behaviour is the kit's (:mod:`bot.sdk.handoff`): ``action_handoff`` asks the
handoff service for an agent and pauses the conversation, or says plainly that
nobody can take it and runs the contact form, whose details
``action_leave_contact`` stores as a ticket. This module only says what is
Voltline's: the number customers can call, what an upset customer hears first,
who goes first in the agents' queue, and which forms can be carried on with
once the bot is back.
"""

from __future__ import annotations

from typing import ClassVar

from rasa_sdk import Tracker

from actions.forms import VoltlineFormValidation
from actions.identity import client_ip
from bot.sdk.forms import SlotSpec
from bot.sdk.handoff import CONTACT_SLOT, parse_contact
from bot.sdk.handoff import ActionHandoff as KitActionHandoff
from bot.sdk.handoff import ActionLeaveContact as KitActionLeaveContact

PHONE_NUMBER = "0800 555 0199"

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


class ActionHandoff(KitActionHandoff):
    """Asks for a person; pauses the conversation when one is coming."""

    phone_number = PHONE_NUMBER
    apologies = APOLOGIES
    priorities = PRIORITIES
    resumable_forms = RESUMABLE_FORMS

    def name(self) -> str:
        return "action_handoff"

    def client_ip(self, tracker: Tracker) -> str | None:
        return client_ip(tracker)


class ValidateContactForm(VoltlineFormValidation):
    slots: ClassVar[dict[str, SlotSpec]] = {
        CONTACT_SLOT: SlotSpec(parse=parse_contact, label="contact"),
    }
    interruptions: ClassVar[frozenset[str]] = frozenset({"stop", "deny"})
    digressions: ClassVar[frozenset[str]] = frozenset()

    def name(self) -> str:
        return "validate_contact_form"


class ActionLeaveContact(KitActionLeaveContact):
    """Records the customer's contact details as a ticket for the team."""

    phone_number = PHONE_NUMBER

    def name(self) -> str:
        return "action_leave_contact"
