"""Handing a customer to a colleague, and leaving a form.

``action_handoff`` asks the kit's handoff service for a person
(:class:`bot.sdk.handoff.HandoffClient`) and pauses the conversation while they
come; the queue ranks a lost or stolen card first. When nobody can take it, the
customer gets the number to call, and for a card the 24-hour card line, since a
lost card cannot wait for the next working day.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.sdk.forms import ActionAbandonForm
from bot.sdk.handoff import Accepted, HandoffClient, HandoffServiceError

log = logging.getLogger(__name__)

PHONE = "0800 555 0142"
CARD_LINE = "0800 555 0100"
REASON_SLOT = "handoff_reason"
PRIORITY = {
    "report_card_lost": 9,
    "frustration": 8,
    "complaint": 7,
    "loan_declined": 6,
    "loan_review": 5,
    "account_question": 4,
    "customer_request": 4,
}
OPENING = {
    "report_card_lost": "Let's get your card stopped. If you have the Harbor app, freeze the "
    "card there now under Cards, so nobody can use it while you wait.",
    "complaint": "I'm sorry about this, and thank you for telling us.",
    "frustration": "I'm sorry this has been frustrating.",
}


def reason_for(tracker: Tracker) -> str:
    """Why a person is needed: the HandoffPolicy's label, else the conversation so far."""
    label = tracker.get_slot(REASON_SLOT)
    if label and label != "ask_human":
        return str(label)
    intents = [
        (e.get("parse_data") or {}).get("intent", {}).get("name")
        for e in tracker.events
        if e.get("event") == "user"
    ]
    if "report_card_lost" in intents[-3:]:
        return "report_card_lost"
    if "check_balance" in intents[-3:]:
        return "account_question"
    decision = tracker.get_slot("loan_decision")
    if decision in ("declined", "review"):
        return f"loan_{decision}"
    return "customer_request"


class ActionHandoff(Action):
    client_factory = staticmethod(HandoffClient.from_runtime)

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reason = reason_for(tracker)
        if reason in OPENING:
            dispatcher.utter_message(text=OPENING[reason])
        try:
            outcome = await self.client_factory().request(
                conversation_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel() or "unknown",
                reason=reason,
                priority=PRIORITY.get(reason, 4),
                customer_name=None,
            )
        except HandoffServiceError as e:
            log.error("handoff for %s failed: %s", tracker.sender_id, e)
            outcome = None
        if isinstance(outcome, Accepted):
            dispatcher.utter_message(
                text=f"I've asked a colleague to join us. {outcome.words} Everything you write "
                "now goes straight to them.",
                json_message={"type": "handoff", "state": "waiting", **outcome.status},
            )
            return [SlotSet(REASON_SLOT, None), ConversationPaused()]
        number = CARD_LINE if reason == "report_card_lost" else PHONE
        when = (
            "any time, day or night" if number == CARD_LINE else "Monday to Saturday, 08:00-20:00"
        )
        dispatcher.utter_message(
            text=f"I'm sorry, none of my colleagues can take the chat right now. Please call "
            f"us on {number} ({when}).",
            json_message={"type": "handoff", "state": "unavailable"},
        )
        return [SlotSet(REASON_SLOT, None)]


class ActionStopForm(ActionAbandonForm):
    """The kit's: ends the active form and forgets its answers, so asking again starts afresh."""

    def name(self) -> str:
        return "action_stop_form"
