"""Session start: carry the customer's details over and greet returning customers.

Rasa starts a new session after ``session_expiration_time`` minutes of silence.
Replacing the default ``action_session_start`` lets the assistant welcome a
returning customer by name while keeping Rasa's carry-over of slots, and
start a new customer in the language their channel reports (the ``language``
slot; the customer's own messages change it, docs/languages.md).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.sdk.i18n import LANGUAGE_SLOT, project_catalog


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
        language = tracker.get_slot(LANGUAGE_SLOT) or channel_language(
            tracker.get_slot("session_started_metadata")
        )
        if language and tracker.get_slot(LANGUAGE_SLOT) is None:
            carried.append(SlotSet(LANGUAGE_SLOT, language))
        if name:
            text = project_catalog().text("session.welcome_back", language, name=name)
            dispatcher.utter_message(text=text)
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]


def channel_language(metadata: Any) -> str | None:
    """The language a channel reports for the customer (``{"language": "zh-CN"}``), if any.

    Only a language the project has texts for counts; the first message's own
    language still wins once the customer writes.
    """
    if not isinstance(metadata, dict):
        return None
    value = metadata.get("language") or metadata.get("locale")
    if not isinstance(value, str) or not value:
        return None
    code = value.split("-")[0].split("_")[0].lower()
    return code if code in project_catalog().languages else None
