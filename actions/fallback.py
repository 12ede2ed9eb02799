"""``action_fallback_clarify``: what the assistant does when it did not understand.

The NLU pipeline marks such a message ``nlu_fallback`` (its threshold is
calibrated from data, see ``docs/nlu.md``) but keeps its intent ranking. A
first miss asks a clarifying question with the two most likely intents as
buttons, so the customer answers with one tap; a second miss in a row offers a
person, because a third guess rarely helps. Misses are counted from the
tracker's events, so the action keeps no state and needs no slot.

A message the engine found to be in a language the assistant does not speak
(``language`` in the parse data, :mod:`bot.nlu.language`) gets no guesses:
it gets a note, in that language where possible and in English, on which
languages the assistant speaks. Everything else is said in the conversation's
language: the responses by their ``language`` condition in ``domain.yml``, the
button titles from the catalog (``locales/``, :mod:`bot.sdk.i18n`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.access import STAFF_INTENTS, is_staff
from bot.nlu.language import unsupported_note
from bot.sdk.buttons import MISS_INTENTS, consecutive_misses
from bot.sdk.i18n import Catalog, language_of, project_catalog

FALLBACK_INTENT = "nlu_fallback"
MISSES_BEFORE_HUMAN = 2
# Intents that only mean something as an answer to a question ("yes", "24 months",
# "stop"): offered as a guess out of context they lead nowhere.
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "stop"})
# Social and follow-up intents: as a guess for a message that was not understood
# they lead nowhere useful ("Telling me your name", "Why was I declined?" with no
# pre-check, "Rate csat" with no question to rate), so every button offered starts
# something the customer can use.
NOT_OFFERED = frozenset(
    {
        "greet",
        "goodbye",
        "thanks",
        "tell_name",
        "ask_remember_me",
        "bot_challenge",
        "ask_credit_reasons",
        "ask_product_details",
        "compare_products",
        "rate_csat",
    }
)

# Button titles for the reference assistant's intents; others are derived from the name.
INTENT_TITLES = {
    "ask_store_hours": "Store opening hours",
    "ask_faq": "A question about our store",
    "ask_recommendation": "A product recommendation",
    "ask_plan_advice": "Help choosing a mobile plan",
    "ask_savings_plan": "A savings plan",
    "ask_credit_check": "A credit pre-check",
    "ask_marketing_copy": "Marketing copy for a product",
    "ask_human": "Talk to a person",
    "complaint": "Make a complaint",
    "ask_remember_me": "Whether I remember you",
    "tell_name": "Telling me your name",
    "bot_challenge": "Whether I am a bot",
}


def intent_title(intent: str, language: str | None = None, catalog: Catalog | None = None) -> str:
    english = (
        INTENT_TITLES.get(intent) or intent.removeprefix("ask_").replace("_", " ").capitalize()
    )
    return catalog.get(f"fallback.intent.{intent}", language, english) if catalog else english


# When NLU's ranking (its top 10) holds fewer intents worth a button than asked
# for (noise ranks the social intents high), these fill the rest: the commonest
# things customers come for.
FILL_GUESSES = ("ask_faq", "ask_recommendation")


def top_guesses(
    latest_message: dict[str, Any],
    count: int = 2,
    *,
    staff: bool = False,
    fill: tuple[str, ...] = FILL_GUESSES,
) -> list[str]:
    """The likeliest intents worth a button, then ``fill``; staff tools only for staff."""
    ranking = latest_message.get("intent_ranking") or []
    skip = MISS_INTENTS | ANSWER_INTENTS | NOT_OFFERED | (frozenset() if staff else STAFF_INTENTS)
    names = [r.get("name") for r in ranking if r.get("name") not in skip]
    guesses = [name for name in names if name][:count]
    if guesses:  # nothing at all: the customer is asked to rephrase
        guesses += [f for f in fill if f not in guesses and f not in skip]
    return guesses[:count]


MIN_WORDS_TO_LOOK_UP = 3
"""A message this long that NLU missed is looked up in the knowledge base first;
shorter ones ("helo", "zzzz", "?") are too bare for retrieval to mean anything."""
ANSWERED = frozenset({"answered", "fallback"})


class ActionFallbackClarify(Action):
    catalog_factory: Callable[[], Catalog] = staticmethod(project_catalog)

    def __init__(self, answer: Action | None = None) -> None:
        self._answer = answer

    def name(self) -> str:
        return "action_fallback_clarify"

    def _answering(self) -> Action:
        if self._answer is None:
            from actions.answer import ActionAnswerQuestion

            self._answer = ActionAnswerQuestion()
        return self._answer

    async def _answer_from_knowledge(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType] | None:
        """The knowledge base's answer when it has a confident one, else None.

        NLU misses wordings it was not trained on ("need a vat invoice for my
        company"); the documents may still answer them, and an answer beats
        two guesses as buttons. An abstention is not shown: the guesses are.
        """
        latest = tracker.latest_message or {}
        text = (latest.get("text") or "").strip()
        if len(text.split()) < MIN_WORDS_TO_LOOK_UP or text.startswith("/"):
            return None
        if latest.get("all_words_unknown"):  # bot.nlu.classifier: no word anyone taught
            return None
        scratch = CollectingDispatcher()
        events = await self._answering().run(scratch, tracker, domain)
        outcome = next((e.get("value") for e in events if e.get("name") == "answer_outcome"), None)
        if outcome not in ANSWERED or not scratch.messages:
            return None
        dispatcher.messages.extend(scratch.messages)
        return events

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = (tracker.latest_message or {}).get("language") or {}
        if language.get("supported") is False:
            note = unsupported_note(language.get("code"), language.get("supported_codes") or ())
            dispatcher.utter_message(text=note)
            return []
        catalog, lang = self.catalog_factory(), language_of(tracker)
        misses = max(1, consecutive_misses(tracker.events))
        if misses < MISSES_BEFORE_HUMAN and not is_staff(tracker):
            answered = await self._answer_from_knowledge(dispatcher, tracker, domain)
            if answered is not None:
                return answered
        if misses >= MISSES_BEFORE_HUMAN:
            yes = catalog.get("fallback.offer_yes", lang, "Yes, a person please")
            no = catalog.get("fallback.offer_no", lang, "No, I'll rephrase")
            dispatcher.utter_message(
                response="utter_fallback_offer_human",
                buttons=[
                    {"title": yes, "payload": "/ask_human"},
                    {"title": no, "payload": "/deny"},
                ],
            )
            return []
        guesses = top_guesses(tracker.latest_message, staff=is_staff(tracker))
        if not guesses:
            dispatcher.utter_message(response="utter_fallback_rephrase")
            return []
        dispatcher.utter_message(
            response="utter_fallback_clarify",
            buttons=[
                {"title": intent_title(g, lang, catalog), "payload": f"/{g}"} for g in guesses
            ],
        )
        return []
