"""A correction right after a form's result redoes it.

"actually make that 20 GB" after the plan advice changes the one answer it
names, using the form's own parsers, and shows the result for the corrected
answers. The answers come from the slot the submission actions keep
(:func:`bot.sdk.forms.remember`). An assistant subclasses
:class:`ActionReviseAnswers` with its action name and ``forms``: each form that
can be corrected, with its validation and its submission action.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.sdk.forms import LAST_ANSWERS_SLOT, TextFormValidation

NOTHING_TO_CHANGE = (
    "Thanks. Which answer would you like to change? For example "
    '"make the budget 25" or "actually 20 GB".'
)
NO_FORM_RESPONSE = "utter_inform_without_question"
"""Said when there is no recent form result to correct."""


class ActionReviseAnswers(Action, ABC):
    forms: ClassVar[Mapping[str, tuple[TextFormValidation, Action]]]
    """Each form that can be corrected after its result: its validation and its submission."""
    nothing_to_change: ClassVar[str] = NOTHING_TO_CHANGE
    no_form_response: ClassVar[str] = NO_FORM_RESPONSE

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain, usually ``action_revise_answers``."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        last = tracker.get_slot(LAST_ANSWERS_SLOT) or {}
        form = self.forms.get(last.get("form", ""))
        if form is None:
            dispatcher.utter_message(response=self.no_form_response)
            return []
        validator, submit = form
        raw = (tracker.latest_message or {}).get("text") or ""
        mentions = validator.corrections(validator.readable(tracker, raw), None)
        if not mentions:
            dispatcher.utter_message(
                text=validator.say(tracker, "forms.nothing_to_change", self.nothing_to_change)
            )
            return []
        answers = dict(last.get("answers") or {})
        changed = []
        for slot, (_, value) in mentions.items():
            spec = validator.slots[slot]
            parsed = spec.parse(value)
            if parsed.error:
                dispatcher.utter_message(text=validator.reask(tracker, slot, parsed.error))
                return []
            answers[slot] = parsed.value
            shown = f"{parsed.value:,g}" if isinstance(parsed.value, float | int) else parsed.value
            changed.append(f"{validator.label(tracker, slot)} {shown}")
            if parsed.note:
                dispatcher.utter_message(
                    text=validator.say(tracker, "forms.note", parsed.note, value=shown)
                )
        changes = ", ".join(changed)
        dispatcher.utter_message(
            text=validator.say(
                tracker,
                "forms.revised",
                f"Got it: {changes}. Here's the updated result.",
                changes="\uff0c".join(changed),
            )
        )
        revised = copy.deepcopy(tracker)
        revised.slots.update(answers)
        return await submit.run(dispatcher, revised, domain)
