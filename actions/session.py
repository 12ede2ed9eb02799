"""Session start: carry the customer's details over and greet returning customers.

Rasa starts a new session after ``session_expiration_time`` minutes of silence.
Replacing the default ``action_session_start`` lets the assistant welcome a
returning customer by name while keeping Rasa's carry-over of slots.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        carried = [
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if value is not None and name != "session_started_metadata"
        ]
        name = tracker.get_slot("customer_name")
        if name:
            dispatcher.utter_message(text=f"Welcome back, {name}! How can I help you today?")
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]
