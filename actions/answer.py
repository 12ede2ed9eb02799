"""``action_answer_question``: grounded answers to store questions, with sources.

The action only reads the customer's message, hands it to
:class:`generators.answer.AnswerPipeline` (which redacts, retrieves, generates
under a deadline and falls back) and utters the reply. The pipeline is built
once per process from :class:`generators.settings.TextSettings`.

On the web chat the draft is shown while it is generated: the pipeline feeds
it to a stream from :mod:`actions.streaming`, and the final message carries the
stream's id so that the widget replaces the draft with it. Elsewhere the stream
shows nothing and the message carries no id.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.buttons import FAQ_TOPICS, words_behind
from actions.forms import apology_for
from actions.streaming import WebChatStreams
from generators.answer import AnswerPipeline
from generators.embeddings import SentenceTransformerEmbedder
from generators.errors import GeneratorError
from generators.retrieval import KnowledgeBase
from generators.settings import TextSettings

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def default_pipeline() -> AnswerPipeline:
    settings = TextSettings.from_env()
    kb = KnowledgeBase.from_directory(
        settings.knowledge_dir,
        embedder=SentenceTransformerEmbedder(model_path=settings.embedder_path),
        threshold=settings.retrieval_threshold,
    )
    return AnswerPipeline(
        knowledge_base=kb, generator=settings.build_generator(), deadline_s=settings.deadline_s
    )


@lru_cache(maxsize=1)
def default_streams() -> WebChatStreams:
    return WebChatStreams.from_env()


class ActionAnswerQuestion(Action):
    def __init__(
        self, pipeline: AnswerPipeline | None = None, *, streams: WebChatStreams | None = None
    ) -> None:
        self._pipeline = pipeline
        self._streams = streams

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        question = words_behind(tracker.latest_message.get("text"), tracker.events)
        if not question:
            dispatcher.utter_message(
                text="Sure, what would you like to know? Ask me in your own words, "
                "or pick a topic:",
                buttons=list(FAQ_TOPICS),
            )
            return []
        async with (self._streams or default_streams()).open(tracker) as draft:
            try:
                pipeline = self._pipeline
                if pipeline is None:
                    pipeline = await asyncio.to_thread(default_pipeline)
                answer = await asyncio.to_thread(pipeline.answer, question, on_chunk=draft.feed)
            except GeneratorError as e:
                log.error("action_answer_question: pipeline unavailable: %s", e)
                apology = apology_for(e, what="an answer to that")
                dispatcher.utter_message(text=apology, metadata=draft.metadata)
                return [SlotSet("answer_outcome", "failed")]
        log.info("action_answer_question: %s (%s)", answer.outcome, answer.cause or "ok")
        dispatcher.utter_message(text=answer.reply, metadata=draft.metadata)
        return [SlotSet("answer_outcome", answer.outcome)]
