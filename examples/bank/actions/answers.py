"""``action_answer_question``: fees, accounts, cards and savings, from the bank's own pages.

The kit's :class:`generators.answer.AnswerPipeline` over the folder that
``assistant.yml`` names as ``knowledge``. Answers are composed from the sources
(extractive), so every figure a customer reads is one the bank wrote; a question
the pages do not cover gets an honest "I don't know" and the offer of a
colleague (``answer_outcome: abstained``, see data/rules.yml).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.bank import assistant
from bot.sdk.forms import apology_for
from bot.sdk.runtime import get_runtime
from generators.answer import AnswerPipeline
from generators.backends.extractive import ExtractiveGenerator
from generators.errors import GeneratorError
from generators.retrieval import KnowledgeBase

log = logging.getLogger(__name__)

_pipeline: AnswerPipeline | None = None
_lock = asyncio.Lock()


async def pipeline() -> AnswerPipeline:
    """Built once per process, off the event loop, on the runtime's shared embedder."""
    global _pipeline
    async with _lock:
        if _pipeline is None:
            about = assistant()
            embedder = await get_runtime().embedder()
            knowledge = await asyncio.to_thread(
                KnowledgeBase.from_directory,
                about.knowledge,
                embedder=embedder,
                ignore_terms=(about.business, "Harbor"),
            )
            _pipeline = AnswerPipeline(
                knowledge_base=knowledge, generator=ExtractiveGenerator(), generate=False
            )
    return _pipeline


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
            answer = await asyncio.to_thread((await pipeline()).answer, question)
        except GeneratorError as e:
            log.error("answer pipeline unavailable: %s", e)
            dispatcher.utter_message(text=apology_for(e, what="an answer to that"))
            return [SlotSet("answer_outcome", "failed")]
        log.info("answer: %s (%s)", answer.outcome, answer.cause or "ok")
        dispatcher.utter_message(text=answer.reply)
        return [SlotSet("answer_outcome", answer.outcome)]
