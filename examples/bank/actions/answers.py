"""``action_answer_question``: fees, accounts, cards and savings, from the bank's own pages.

The runtime's :class:`generators.answer.AnswerPipeline` over the folder that
``assistant.yml`` names as ``knowledge``, built once per process off the event
loop. Answers are composed from the sources (extractive, unless the runtime is
set to generate), so every figure a customer reads is one the bank wrote; a
question the pages do not cover gets an honest "I don't know" and the offer of
a colleague (``answer_outcome: abstained``, see data/rules.yml).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.sdk.analytics import attach, knowledge_record
from bot.sdk.forms import apology_for
from bot.sdk.runtime import get_runtime
from generators.errors import GeneratorError

log = logging.getLogger(__name__)


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        question = (tracker.latest_message or {}).get("text") or ""
        if not question or question.startswith("/"):
            dispatcher.utter_message(
                text="Of course. What would you like to know about our fees, accounts, cards "
                "or savings?"
            )
            return []
        try:
            pipeline = await get_runtime().answer_pipeline()
            answer = await asyncio.to_thread(pipeline.answer, question)
        except GeneratorError as e:
            log.error("answer pipeline unavailable: %s", e)
            dispatcher.utter_message(text=apology_for(e, what="an answer to that"))
            return [SlotSet("answer_outcome", "failed")]
        log.info("answer: %s (%s)", answer.outcome, answer.cause or "ok")
        dispatcher.utter_message(text=answer.reply, metadata=attach(None, knowledge_record(answer)))
        return [SlotSet("answer_outcome", answer.outcome)]
