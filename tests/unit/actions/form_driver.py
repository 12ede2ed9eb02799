"""Drive a form the way Rasa's FormAction does, in-process, for conversation tests.

Each turn builds a real ``Tracker`` with the customer's text, runs the real
validation action, applies its ``SlotSet`` events, then asks for the first
empty required slot (``utter_ask_<slot>``), exactly like the engine's form
loop. When nothing is missing the submit action runs on the final slots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction


def domain_for(form: str, required: list[str]) -> dict[str, Any]:
    return {
        "forms": {form: {"required_slots": required}},
        "slots": {s: {"type": "any", "mappings": [{"type": "custom"}]} for s in required},
    }


def tracker(
    text: str,
    slots: dict[str, Any],
    *,
    intent: str = "inform",
    sender: str = "c0001",
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    return Tracker(
        sender_id=sender,
        slots=dict(slots),
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": [],
        },
        events=list(events or []),
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@dataclass
class Conversation:
    form: str
    required: list[str]
    validator: FormValidationAction
    submit: Action
    slots: dict[str, Any] = field(default_factory=dict)
    bot: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    """The customer's messages and the slots set so far, in order, as in a tracker."""

    def __post_init__(self) -> None:
        self.domain = domain_for(self.form, self.required)
        self._ask_next()

    def _ask_next(self) -> None:
        missing = [s for s in self.required if self.slots.get(s) is None]
        self.slots["requested_slot"] = missing[0] if missing else None
        if missing:
            self.bot.append({"response": f"utter_ask_{missing[0]}"})

    @property
    def requested(self) -> str | None:
        return self.slots.get("requested_slot")

    async def say(self, text: str, *, intent: str = "inform") -> list[dict[str, Any]]:
        """One customer turn; returns what the bot sent back (validation, ask, or result)."""
        start = len(self.bot)
        dispatcher = CollectingDispatcher()
        self.events.append({"event": "user", "text": text})
        turn = tracker(text, self.slots, intent=intent, events=self.events)
        events = await self.validator.run(dispatcher, turn, self.domain)
        self.bot += dispatcher.messages
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
                self.events.append(event)
        self._ask_next()
        if self.requested is None:
            dispatcher = CollectingDispatcher()
            for event in await self.submit.run(dispatcher, tracker("", self.slots), self.domain):
                if event["event"] == "slot":
                    self.slots[event["name"]] = event["value"]
            self.bot += dispatcher.messages
        return self.bot[start:]

    def texts(self, messages: list[dict[str, Any]]) -> str:
        return " ".join(m.get("text") or m.get("response") or "" for m in messages)
