"""The customer's name: tidied before it is stored, recalled on request."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

MAX_NAME_CHARS = 40
_NAME_PART = re.compile(r"^[^\W\d_]+(?:['-][^\W\d_]+)*$")
# When the entity extractor misses a name (names are an open class and lower-case
# "ana" looks like any word), the usual ways of saying it still give it away.
_INTRODUCTION = re.compile(
    r"\b(?:my name is|my name's|name's|the name is|i am|i'm|im|call me|it's|this is)\s+"
    r"([^\W\d_]+(?:['-][^\W\d_]+)*)",
    re.IGNORECASE,
)


def name_from_text(text: str | None) -> str | None:
    """``"hi, my name is ana"`` → ``"ana"``; None when no introduction is found."""
    match = _INTRODUCTION.search(text or "")
    return match.group(1) if match else None


def normalize_name(raw: str | None) -> str | None:
    """``"  ana-maria  "`` → ``"Ana-Maria"``; ``None`` for anything that is not a name."""
    if not raw:
        return None
    parts = raw.strip().strip(".,!?").split()
    if not parts or len(" ".join(parts)) > MAX_NAME_CHARS:
        return None
    if not all(_NAME_PART.match(part) for part in parts):
        return None
    return " ".join(
        "-".join(piece[:1].upper() + piece[1:].lower() for piece in part.split("-"))
        for part in parts
    )


class ActionRememberName(Action):
    def name(self) -> str:
        return "action_remember_name"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        raw = next(tracker.get_latest_entity_values("name"), None)
        text = (tracker.latest_message or {}).get("text")
        name = normalize_name(raw) or normalize_name(name_from_text(text))
        if name is None:
            dispatcher.utter_message(
                text="Sorry, I didn't catch your name. What should I call you?"
            )
            return []
        dispatcher.utter_message(text=f"Nice to meet you, {name}! How can I help you today?")
        return [SlotSet("customer_name", name)]


class ActionRecallName(Action):
    def name(self) -> str:
        return "action_recall_name"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        name = tracker.get_slot("customer_name")
        if name:
            dispatcher.utter_message(text=f"Of course, you're {name}.")
        else:
            dispatcher.utter_message(text="I don't know your name yet. What should I call you?")
        return []
