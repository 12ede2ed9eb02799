"""Product recommendations: the customer's history, this conversation and their wish.

The customer's history (the interaction log) is used only for a customer a
channel verified (:func:`actions.identity.verified_customer_id`), never for the
sender id, which any client chooses. Products viewed in this conversation come
from the ``viewed_products`` slot, which a channel can set from page metadata;
the wish is whatever the message says beyond "what do you recommend?".
Budget, category and use are parsed from the message
(:func:`generators.constraints.parse_constraints`) and bind the recommender:
an item outside them is only ever shown as "the closest", said to be outside.
A budget stated earlier in the conversation ("my budget is 500", then "show me
headphones") still binds a request that states none.

The result goes out as a card with a short lead-in (the card carries the
items; the text does not repeat them), the shown items are remembered in the
``shown_products`` slot, and the buttons under it lead on: details of each
item, a comparison of them, financing. :class:`ActionProductDetails` and
:class:`ActionCompareProducts` answer those from the catalogue.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import verified_customer_id
from actions.texts import say
from bot.sdk.buttons import words_behind
from bot.sdk.form_text import is_question
from bot.sdk.forms import apology_for
from bot.sdk.i18n import DEFAULT_LANGUAGE, language_of
from bot.sdk.runtime import get_runtime
from generators import constraints_zh
from generators.compose import join_sentences
from generators.constraints import (
    Constraints,
    carried_budget,
    headline,
    parse_constraints,
)
from generators.errors import GeneratorError
from generators.financing import FinancingTerms
from generators.product_details import compare, details, find_product
from generators.recommend import HybridRecommender, Product, Recommendations
from generators.schemas import payload
from generators.shopping import about_a_price_elsewhere, refinement, shopping_request

logger = logging.getLogger(__name__)

_GENERIC = frozenset(
    re.findall(
        r"\w+",
        "a an any anything best buy can could do for get give good got have i id ill im "
        "is it me my need new please recommend recommendation recommendations should some "
        "something suggest suggestion suggestions the to want what which would you your",
    )
)


def wish_from(text: str) -> str | None:
    """The part of a request that says what the customer wants, or None if it's generic."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    return text.strip() if any(w not in _GENERIC for w in words) else None


def catalog_category(value: str | None, categories: set[str]) -> str | None:
    """ "Headphone", "TVs", "phone" → the catalog's category name; None if there is none."""
    if not value:
        return None
    word = value.strip().lower()
    forms = (word, f"{word}s", word.removesuffix("s"), word.removesuffix("y") + "ies")
    return next((c for c in forms if c in categories), None)


SHOWN_SLOT = "shown_products"
PRODUCT_SLOT = "last_product"
"""The product the conversation is on: a follow-up ("what colours?") is about it."""
FINANCING_STEP = {"title": "Check financing", "payload": "/ask_credit_check"}


def financing_step(language: str | None = None) -> dict[str, str]:
    title = say("results.recommendation.financing", language, FINANCING_STEP["title"])
    return {**FINANCING_STEP, "title": title}


def compare_step(language: str | None = None) -> dict[str, str]:
    return {
        "title": say("results.recommendation.compare", language, "Compare these"),
        "payload": "/compare_products",
    }


def next_steps(result: Recommendations, language: str | None = None) -> list[dict[str, str]]:
    """Buttons under a result: details of each item, a comparison, financing."""
    if not result.items:
        return []
    buttons = [
        {
            "title": say(
                "results.recommendation.details", language, "Details: {name}", name=item.name
            ),
            "payload": f'/ask_product_details{{"product": "{item.product_id}"}}',
        }
        for item in result.items
    ]
    if len(result.items) > 1:
        buttons.append(compare_step(language))
    return [*buttons, financing_step(language)]


def in_language(
    result: Recommendations,
    request: Constraints,
    products: Iterable[Product],
    language: str | None,
) -> Recommendations:
    """The result with its note and one-line reasons in ``language`` (English as it is).

    The reasons cite the same catalogue attributes, quoted as the catalogue writes them.
    """
    if not language or language == DEFAULT_LANGUAGE or language != "zh":
        return result
    by_id = {p.id: p for p in products}
    currency = result.currency
    items = []
    for item in result.items:
        product = by_id.get(item.product_id)
        if product is None or item.source == "popular":
            reason = say("results.recommendation.popular", language, item.reason)
        elif request.budget or request.uses or request.features or not item.fits:
            text = f"{product.name}. {product.description}"
            shown = product.in_language(language)
            reason = constraints_zh.reason(
                request,
                price=product.price,
                text=text,
                currency=currency,
                text_zh=shown.description if shown is not product else None,
            )
        else:
            reason = f"{constraints_zh.money(item.price, result.currency)}\uff1a{item.reason}"
        missed = (
            []
            if product is None
            else constraints_zh.misses(
                request,
                price=product.price,
                text=f"{product.name}. {product.description}",
                currency=currency,
            )
        )
        name = item.name if product is None else product.in_language(language).name
        items.append(item.model_copy(update={"reason": reason, "misses": missed, "name": name}))
    note = result.note
    if note:
        what = constraints_zh.headline(
            category=request.category,
            uses=request.uses,
            features=request.features,
            min_price=request.min_price,
            max_price=request.max_price,
            currency=result.currency,
        )
        note = say("results.recommendation.nothing_fits", language, note, what=what)
    return result.model_copy(update={"items": items, "note": note})


def lead_in(
    result: Recommendations,
    *,
    asked_currency: str | None = None,
    carried: Constraints | None = None,
    language: str | None = None,
) -> str:
    """What the text says above the card: not the items (the card has them), only
    what frames them: that nothing fits, a budget kept from earlier, a currency."""
    if not result.items:
        return say(
            "results.recommendation.nothing",
            language,
            "I couldn't find anything to suggest. Could you tell me what you're looking for?",
        )
    count = len(result.items)
    if result.note:
        lines = [result.note]
    elif carried is not None:
        budget = (
            constraints_zh.price_words(carried.min_price, carried.max_price, result.currency)
            if language == "zh"
            else headline(carried, result.currency).removeprefix("products ")
        )
        lines = [
            say(
                "results.recommendation.kept_budget",
                language,
                "Keeping to the budget you mentioned ({budget}), here's what I'd suggest.",
                budget=budget,
            )
        ]
    elif count == 1:
        lines = [say("results.recommendation.top_pick", language, "Here's my top pick.")]
    else:
        lines = [
            say(
                "results.recommendation.top_picks",
                language,
                "Here are my top {count} picks.",
                count=count,
            )
        ]
    if asked_currency and asked_currency != result.currency:
        lines.append(
            say(
                "results.recommendation.currency",
                language,
                "Our prices are in {currency}, so I've read your budget in {asked} as "
                "{currency}; tell me the amount in {currency} if that's not right.",
                currency=result.currency,
                asked=asked_currency,
            )
        )
    return join_sentences(lines)


def earlier_requests(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """The customer's earlier messages in this session, newest first, leaving out the
    latest one and answers given inside a form (a "£30" there is a plan budget)."""
    texts: list[str] = []
    in_form = False
    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            texts, in_form = [], False
        elif kind == "active_loop":
            in_form = bool(event.get("name"))
        elif kind == "user" and not in_form:
            texts.append(str(event.get("text") or ""))
    return list(reversed(texts[:-1]))


def default_recommender() -> HybridRecommender:
    """The runtime's recommender (built once, sharing the runtime's one embedder); call it
    in a worker thread, as its first build trains a model."""
    return cast(HybridRecommender, get_runtime().get_sync("recommender"))


REQUEST_SLOT = "recommendation_request"
"""The constraints the shown items answer, so that "under 500 please" narrows them."""


def after_recommendation(events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the assistant's last message before the customer's latest one was a
    recommendation card."""
    last_bot: Mapping[str, Any] | None = None
    before_latest: Mapping[str, Any] | None = None
    for event in events:
        if event.get("event") == "bot":
            last_bot = event
        elif event.get("event") == "user":
            before_latest, last_bot = last_bot, None
    custom = ((before_latest or {}).get("data") or {}).get("custom") or {}
    return isinstance(custom, Mapping) and custom.get("type") == "recommendations"


def shopping_turn(tracker: Tracker, text: str | None) -> bool:
    """Whether a message the classifier did not call a recommendation request is one:
    a shopping request (:func:`generators.shopping.shopping_request`), or a budget,
    use or feature right after a recommendation."""
    if not text or next(tracker.get_latest_entity_values("product"), None):
        return False
    products, _ = catalogue()
    categories = {p.category for p in products}
    if after_recommendation(tracker.events) and refinement(text, categories):
        return True
    return shopping_request(text, categories, [p.name for p in products]) is not None


async def recommend(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str | None = None
) -> list[EventType]:
    """Show recommendations for ``text`` (the latest message by default): its
    constraints, narrowed from the last recommendation when it follows one, or a
    budget stated earlier."""
    try:
        recommender = await asyncio.to_thread(default_recommender)
        asked = tracker.get_slot("product_category")
        categories = {p.category for p in recommender.products}
        if text is None:
            text = words_behind((tracker.latest_message or {}).get("text"), tracker.events)
        text = text or ""
        limits = parse_constraints(text, categories)
        if not limits.category and after_recommendation(tracker.events):
            limits = Constraints.from_dict(tracker.get_slot(REQUEST_SLOT)).refined_by(limits)
        category = limits.category or catalog_category(asked, categories)
        carried = None
        if not limits.budget:
            carried = carried_budget(
                earlier_requests(tracker.events), categories, category=category
            )
        budget = carried or limits
        request = Constraints(
            max_price=budget.max_price,
            min_price=budget.min_price,
            currency=budget.currency,
            category=category,
            uses=limits.uses,
            prefer_cheap=limits.prefer_cheap,
            features=limits.features,
        )
        wish = wish_from(text)
        result = recommender.recommend(
            {
                "customer_id": verified_customer_id(tracker),
                "seen_product_ids": list(tracker.get_slot("viewed_products") or []),
                "query": wish or (asked if asked and not category else None),
                "category": category,
                "max_price": budget.max_price,
                "min_price": budget.min_price,
                "uses": list(limits.uses),
                "features": list(limits.features),
                "prefer_cheap": limits.prefer_cheap,
                "k": 3,
            }
        )
        language = language_of(tracker)
        result = in_language(result, request, recommender.products, language)
    except GeneratorError as e:
        logger.warning("Recommendation failed: %s", e)
        dispatcher.utter_message(
            text=apology_for(e, what="recommendations", language=language_of(tracker))
        )
        return []
    dispatcher.utter_message(
        text=lead_in(result, asked_currency=budget.currency, carried=carried, language=language),
        json_message=payload("recommendations", result),
        buttons=next_steps(result, language),
    )
    return [
        SlotSet(SHOWN_SLOT, [item.product_id for item in result.items]),
        SlotSet(REQUEST_SLOT, request.as_dict()),
    ]


class ActionRecommendProducts(Action):
    def __init__(self, answer: Action | None = None) -> None:
        self._answer = answer

    def name(self) -> str:
        return "action_recommend_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        if about_a_price_elsewhere(text):  # "£50 cheaper at Currys": price match, not a budget
            if self._answer is None:
                from actions.answer import ActionAnswerQuestion

                self._answer = ActionAnswerQuestion()
            return await self._answer.run(dispatcher, tracker, domain)
        return await recommend(dispatcher, tracker)


MIN_QUESTION_WORDS = 4
"""A shorter "how much?" or "24 months?" outside a form is too bare to look up."""


class ActionInformOutsideForm(Action):
    """A message read as a form answer with no form open: a shopping request or a
    budget for the recommendation just shown goes to the recommender; a question
    full of figures ("can I do 36 months on a £600 phone?") is answered as one;
    anything else is acknowledged and the customer asked what they need."""

    def __init__(self, answer: Action | None = None) -> None:
        self._answer = answer

    def name(self) -> str:
        return "action_inform_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = (tracker.latest_message or {}).get("text")
        if shopping_turn(tracker, text):
            return await recommend(dispatcher, tracker, text)
        if text and is_question(text) and len(text.split()) >= MIN_QUESTION_WORDS:
            return await self._answering().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_inform_without_question")
        return []

    def _answering(self) -> Action:
        if self._answer is None:
            from actions.answer import ActionAnswerQuestion  # it routes shopping back here

            self._answer = ActionAnswerQuestion()
        return self._answer


def catalogue() -> tuple[list[Product], str]:
    """The products and their currency, read once by the runtime (a small file, no model)."""
    return cast("tuple[list[Product], str]", get_runtime().get_sync("products"))


def financing_terms() -> FinancingTerms:
    return cast(FinancingTerms, get_runtime().get_sync("financing_terms"))


_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1}


def products_meant(
    tracker: Tracker, products: list[Product]
) -> tuple[list[Product], list[Product]]:
    """(products the message names or points at, products shown last), from the catalogue."""
    named = [find_product(m, products) for m in tracker.get_latest_entity_values("product")]
    mentioned = list({p.id: p for p in named if p is not None}.values())
    shown_ids = tracker.get_slot(SHOWN_SLOT) or []
    shown = [p for pid in shown_ids if (p := find_product(pid, products)) is not None]
    text = ((tracker.latest_message or {}).get("text") or "").lower()
    if not mentioned and shown:
        for word, index in _ORDINALS.items():
            if re.search(rf"\b{word}\b", text) and -len(shown) <= index < len(shown):
                mentioned = [shown[index]]
                break
    return mentioned, shown


def pick_buttons(
    products: list[Product], intent: str, language: str | None = None
) -> list[dict[str, str]]:
    return [
        {"title": p.in_language(language).name, "payload": f'/{intent}{{"product": "{p.id}"}}'}
        for p in products[:5]
    ]


class ActionProductDetails(Action):
    """ "Details" under a recommendation: the product's facts from the catalogue."""

    def name(self) -> str:
        return "action_product_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            products, currency = await asyncio.to_thread(catalogue)
            terms = await asyncio.to_thread(financing_terms)
        except GeneratorError as e:
            logger.warning("Product details failed: %s", e)
            dispatcher.utter_message(
                text=apology_for(e, what="the product details", language=language_of(tracker))
            )
            return []
        mentioned, shown = products_meant(tracker, products)
        if len(shown) == 1 and not mentioned:
            mentioned = shown
        language = language_of(tracker)
        if not mentioned:
            dispatcher.utter_message(
                text=say(
                    "results.recommendation.which_details",
                    language,
                    "Which product would you like the details of?",
                )
                if shown
                else say(
                    "results.recommendation.which_details_none_shown",
                    language,
                    "Which product would you like the details of? Tell me its name, "
                    "or ask me for a recommendation first.",
                ),
                buttons=pick_buttons(shown, "ask_product_details", language),
            )
            return []
        product = mentioned[0]
        others = [p for p in shown if p.id != product.id]
        buttons = [compare_step(language)] if others else []
        dispatcher.utter_message(
            text=details(product, currency=currency, terms=terms, language=language),
            buttons=[*buttons, financing_step(language)],
        )
        return [SlotSet(PRODUCT_SLOT, product.id)]


class ActionCompareProducts(Action):
    """ "Compare these" under a recommendation: the shown items side by side."""

    def name(self) -> str:
        return "action_compare_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            products, currency = await asyncio.to_thread(catalogue)
        except GeneratorError as e:
            logger.warning("Product comparison failed: %s", e)
            dispatcher.utter_message(
                text=apology_for(e, what="the comparison", language=language_of(tracker))
            )
            return []
        mentioned, shown = products_meant(tracker, products)
        chosen = mentioned if len(mentioned) >= 2 else shown
        language = language_of(tracker)
        if len(chosen) < 2:
            dispatcher.utter_message(
                text=say(
                    "results.recommendation.which_compare",
                    language,
                    "Which products shall I compare? Name two, for example "
                    '"compare the Nova 8 and the Nova 7a", or ask me for a recommendation first.',
                ),
                buttons=[
                    {
                        "title": say(
                            "results.recommendation.ask", language, "A product recommendation"
                        ),
                        "payload": "/ask_recommendation",
                    }
                ],
            )
            return []
        dispatcher.utter_message(
            text=compare(chosen, currency=currency, language=language),
            buttons=[
                *pick_buttons(chosen, "ask_product_details", language),
                financing_step(language),
            ],
        )
        return []
