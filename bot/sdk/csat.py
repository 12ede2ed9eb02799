"""CSAT: ask the customer for a 1-5 rating, and record the answer.

Two abstract actions; an assistant subclasses each with its action name and,
if it likes, its own wording (domain responses by default)::

    class ActionAskCsat(bot.sdk.ActionAskCsat):
        def name(self) -> str:
            return "action_ask_csat"

    class ActionRecordCsat(bot.sdk.ActionRecordCsat):
        def name(self) -> str:
            return "action_record_csat"

and wires them in its domain and rules: ``goodbye`` -> ``utter_goodbye`` ->
``action_ask_csat``; ``rate_csat`` -> ``action_record_csat``. Its config adds
:class:`bot.engine.csat_policy.CsatPolicy`, which sends typed answers ("4",
"great") right after the question to the rating action. The handoff service
asks the same question (context ``handoff``) when a person gives the
conversation back; the rating action records either.

What a rating is, the buttons and the analytics record live in
:mod:`bot.contract.csat`, shared with the engine and the handoff service.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.contract.analytics import CSAT_CONTEXT_SLOT, CSAT_SCORES, CSAT_SLOT
from bot.contract.csat import (
    CLOSING_INTENTS,
    SCORE_LABELS,
    asked_recently,
    find_rating,
    handed_back,
    last_prompt_context,
    prompt_metadata,
    rating_buttons,
)

CONVERSATION = "conversation"
HANDOFF = "handoff"


def score_in(message: dict[str, Any]) -> int | None:
    """The score of a rating message: a ``csat_score`` entity, else a score in its text."""
    for entity in message.get("entities") or []:
        if entity.get("entity") == CSAT_SLOT:
            value = entity.get("value")
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if isinstance(value, int) and value in CSAT_SCORES:
                return value
    return find_rating(message.get("text"))


class ActionAskCsat(Action, ABC):
    """Asks for a 1-5 rating, unless the customer was just asked.

    The question is the domain response ``question_response`` (override
    :meth:`ask` for other wording) with five buttons titled ``labels`` and the
    ``csat_prompt`` analytics record. Its context is ``handoff`` when a person
    gave the conversation back since the customer last wrote, else
    ``conversation``. Not asked when a question is still unanswered and the
    customer has since only rated, thanked or said bye (``closing_intents``).
    """

    question_response: ClassVar[str] = "utter_ask_csat"
    labels: ClassVar[Sequence[str]] = SCORE_LABELS
    closing_intents: ClassVar[frozenset[str]] = CLOSING_INTENTS

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain, usually ``action_ask_csat``."""

    def ask(self, dispatcher: CollectingDispatcher, context: str, **message: Any) -> None:
        """Send the question; ``message`` holds its buttons and metadata."""
        dispatcher.utter_message(response=self.question_response, **message)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events = tracker.events
        if asked_recently(events, closing_intents=self.closing_intents):
            return []
        context = HANDOFF if handed_back(events) else CONVERSATION
        self.ask(
            dispatcher,
            context,
            buttons=rating_buttons(self.labels),
            metadata=prompt_metadata(context),
        )
        return []


class ActionRecordCsat(Action, ABC):
    """Records a rating in ``csat_score`` and ``csat_context`` and thanks the customer.

    The context is that of the latest question (``conversation`` if there was
    none: a rating nobody asked for is still a rating). A message with no score
    in it gets ``not_a_rating_response`` and changes nothing.
    """

    thanks_response: ClassVar[str] = "utter_csat_thanks"
    low_score_response: ClassVar[str | None] = None
    """Said instead of the thanks for a 1 or 2 (an offer of a person, say); None: the thanks."""
    not_a_rating_response: ClassVar[str] = "utter_csat_not_a_rating"

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain, usually ``action_record_csat``."""

    def thank(self, dispatcher: CollectingDispatcher, score: int, context: str) -> None:
        low = self.low_score_response if score <= 2 else None
        dispatcher.utter_message(response=low or self.thanks_response)

    def not_a_rating(self, dispatcher: CollectingDispatcher) -> None:
        dispatcher.utter_message(response=self.not_a_rating_response)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        score = score_in(tracker.latest_message or {})
        if score is None:
            self.not_a_rating(dispatcher)
            return []
        context = last_prompt_context(tracker.events) or CONVERSATION
        self.thank(dispatcher, score, context)
        return [SlotSet(CSAT_SLOT, score), SlotSet(CSAT_CONTEXT_SLOT, context)]
