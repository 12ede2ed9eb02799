"""``action_answer_question``: grounded answers to store questions, with sources.

The action only reads the customer's message and the conversation's context
(the earlier questions it answered and the ``last_product`` slot, see
:func:`conversation_context`), hands them to
:class:`generators.answer.AnswerPipeline` (which redacts, resolves follow-ups,
answers product facts from the catalogue, retrieves, composes or generates
under a deadline and falls back) in the conversation's language (the
``language`` slot: its knowledge base, its citations) and utters the reply; it keeps the product
the question was about in ``last_product``, so that "how much is it?" next
turn is about it. The pipeline is built once per process by the runtime
(:func:`bot.sdk.runtime.get_runtime`), off the event loop.

On the web chat the draft is shown while it is generated: the pipeline feeds
it to a stream from :mod:`bot.sdk.streaming`, and the final message carries the
stream's id so that the widget replaces the draft with it. Elsewhere the stream
shows nothing and the message carries no id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.recommend import PRODUCT_SLOT, recommend, shopping_turn
from actions.texts import say
from bot.sdk.analytics import attach, knowledge_record
from bot.sdk.buttons import words_behind
from bot.sdk.forms import apology_for
from bot.sdk.i18n import language_of
from bot.sdk.runtime import get_runtime
from bot.sdk.streaming import WebChatStreams
from generators.answer import AnswerPipeline
from generators.errors import GeneratorError
from generators.followup import Context

ACTION_NAME = "action_answer_question"
CONTEXT_QUESTIONS = 2
"""How many earlier questions a follow-up may lean on."""
# Topics of the knowledge base offered when "A question about our store" comes
# with no question: each payload is a question the answer action can answer.
FAQ_TOPICS = (
    {"title": "Returns and refunds", "payload": "How do returns and refunds work?"},
    {"title": "Delivery", "payload": "How long does delivery take and what does it cost?"},
    {"title": "Warranty and repairs", "payload": "What does the warranty cover?"},
    {"title": "Paying and financing", "payload": "Which payment methods do you accept?"},
)

log = logging.getLogger(__name__)


def faq_topics(language: str | None = None) -> list[dict[str, str]]:
    """The topic buttons, each asking its question in the conversation's language."""
    keys = ("returns", "delivery", "warranty", "payment")
    return [
        {
            "title": say(f"answers.topics.{key}.title", language, topic["title"]),
            "payload": say(f"answers.topics.{key}.question", language, topic["payload"]),
        }
        for key, topic in zip(keys, FAQ_TOPICS, strict=True)
    ]


@lru_cache(maxsize=1)
def default_streams() -> WebChatStreams:
    return WebChatStreams.from_env(get_runtime().settings.env)


class ActionAnswerQuestion(Action):
    def __init__(
        self, pipeline: AnswerPipeline | None = None, *, streams: WebChatStreams | None = None
    ) -> None:
        self._pipeline = pipeline
        self._streams = streams

    def name(self) -> str:
        return ACTION_NAME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        question = words_behind(tracker.latest_message.get("text"), tracker.events)
        if not question:
            language = language_of(tracker)
            dispatcher.utter_message(
                text=say(
                    "answers.which_topic",
                    language,
                    "Sure, what would you like to know? Ask me in your own words, or pick a topic:",
                ),
                buttons=faq_topics(language),
            )
            return []
        if shopping_turn(tracker, question):
            # "4k tv under 700" read as a question: the recommender keeps to the
            # budget and use, one product fact from the knowledge base would not.
            return await recommend(dispatcher, tracker, question)
        context = conversation_context(tracker)
        async with (self._streams or default_streams()).open(tracker) as draft:
            try:
                pipeline = self._pipeline or await get_runtime().answer_pipeline()
                answer = await asyncio.to_thread(
                    pipeline.answer,
                    question,
                    context=context,
                    on_chunk=draft.feed,
                    language=language_of(tracker),
                )
            except GeneratorError as e:
                log.error("action_answer_question: pipeline unavailable: %s", e)
                apology = apology_for(e, what="an answer to that", language=language_of(tracker))
                dispatcher.utter_message(text=apology, metadata=draft.metadata)
                return [SlotSet("answer_outcome", "failed")]
        log.info("action_answer_question: %s (%s)", answer.outcome, answer.cause or "ok")
        dispatcher.utter_message(
            text=answer.reply, metadata=attach(draft.metadata, knowledge_record(answer))
        )
        events: list[EventType] = [SlotSet("answer_outcome", answer.outcome)]
        if answer.product_id and answer.product_id != context.product_id:
            events.append(SlotSet(PRODUCT_SLOT, answer.product_id))
        return events


def conversation_context(tracker: Tracker) -> Context:
    """The earlier questions this action answered, and the product they were about."""
    product = tracker.get_slot(PRODUCT_SLOT)
    return Context(
        previous=tuple(answered_questions(tracker.events)[-CONTEXT_QUESTIONS:]),
        product_id=str(product) if product else None,
    )


def answered_questions(events: Iterable[dict[str, Any]]) -> list[str]:
    """Texts of the user messages this action answered, oldest first (this turn's excluded).

    The current message's action has not run yet, so its text is never
    among them; a question answered by another action (store hours, a
    form) is not context for a knowledge follow-up.
    """
    questions: list[str] = []
    pending: str | None = None
    for event in events:
        if event.get("event") == "user":
            pending = event.get("text") or None
        elif event.get("event") == "action" and event.get("name") == ACTION_NAME and pending:
            questions.append(pending)
            pending = None
    return questions
