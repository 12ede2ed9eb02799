"""Product recommendations: the customer's history, this conversation and their wish.

The customer's history (the interaction log) is used only for a customer a
channel verified (:func:`actions.identity.verified_customer_id`), never for the
sender id, which any client chooses. Products viewed in this conversation come
from the ``viewed_products`` slot, which a channel can set from page metadata;
the wish is whatever the message says beyond "what do you recommend?".
Budget, category and use are parsed from the message
(:func:`generators.constraints.parse_constraints`) and bind the recommender:
an item outside them is only ever shown as "the closest", said to be outside.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import apology_for
from actions.identity import verified_customer_id
from generators.constraints import money, parse_constraints
from generators.embeddings import SentenceTransformerEmbedder
from generators.errors import GeneratorError
from generators.recommend import HybridRecommender, Recommendations
from generators.schemas import payload

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


# Next steps the assistant can already take; details and comparison need intents of their own.
NEXT_STEPS = ({"title": "Check financing", "payload": "/ask_credit_check"},)


def summary(result: Recommendations, *, asked_currency: str | None = None) -> str:
    if not result.items:
        return "I couldn't find anything to suggest. Could you tell me what you're looking for?"
    lines = [result.note] if result.note else ["Here's what I'd suggest:"]
    for i in result.items:
        price = money(i.price, result.currency)
        if i.reason.startswith(price):
            lines.append(f"• {i.name}: {i.reason}")
        else:
            lines.append(f"• {i.name} ({price}): {i.reason[0].lower()}{i.reason[1:]}")
    if asked_currency and asked_currency != result.currency:
        lines.append(
            f"Our prices are in {result.currency}, so I've read your budget in "
            f"{asked_currency} as {result.currency}; tell me the amount in "
            f"{result.currency} if that's not right."
        )
    return "\n".join(lines)


@functools.cache
def default_recommender() -> HybridRecommender:
    embedder = SentenceTransformerEmbedder(
        model_path=os.environ.get("TANDEM_EMBEDDING_MODEL") or None
    )
    return HybridRecommender.from_catalog(embedder=embedder)


class ActionRecommendProducts(Action):
    def name(self) -> str:
        return "action_recommend_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            recommender = default_recommender()
            asked = tracker.get_slot("product_category")
            categories = {p.category for p in recommender.products}
            text = (tracker.latest_message or {}).get("text") or ""
            limits = parse_constraints(text, categories)
            category = limits.category or catalog_category(asked, categories)
            wish = wish_from(text)
            result = recommender.recommend(
                {
                    "customer_id": verified_customer_id(tracker),
                    "seen_product_ids": list(tracker.get_slot("viewed_products") or []),
                    "query": wish or (asked if asked and not category else None),
                    "category": category,
                    "max_price": limits.max_price,
                    "min_price": limits.min_price,
                    "uses": list(limits.uses),
                    "prefer_cheap": limits.prefer_cheap,
                    "k": 3,
                }
            )
        except GeneratorError as e:
            logger.warning("Recommendation failed: %s", e)
            dispatcher.utter_message(text=apology_for(e, what="recommendations"))
            return []
        dispatcher.utter_message(
            text=summary(result, asked_currency=limits.currency),
            json_message=payload("recommendations", result),
            buttons=list(NEXT_STEPS) if result.items else [],
        )
        return []
