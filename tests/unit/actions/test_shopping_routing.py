"""Shopping requests the classifier read as a form answer or a store question still
reach the recommender: action_inform_outside_form and action_answer_question."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.recommend as recommend_actions
from actions.answer import ActionAnswerQuestion
from actions.recommend import ActionInformOutsideForm, ActionRecommendProducts
from generators.answer import AnswerPipeline
from generators.embeddings import HashingEmbedder
from generators.recommend import HybridRecommender
from generators.retrieval import KnowledgeBase, chunk_markdown
from generators.text import ScriptedGenerator
from tests.conftest import BRAND, CATALOG_DIR

PRICES = {p.id: p.price for p in recommend_actions.catalogue()[0]}


@pytest.fixture(autouse=True)
def fake_recommender(monkeypatch) -> HybridRecommender:
    rec = HybridRecommender.from_catalog(CATALOG_DIR, embedder=HashingEmbedder())
    monkeypatch.setattr(recommend_actions, "default_recommender", lambda: rec)
    return rec


def conversation(
    text: str, intent: str, events: list[dict[str, Any]] | None = None, **slots: Any
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    return Tracker(
        sender_id="shopper",
        slots=slots,
        latest_message=latest,
        events=[*(events or []), {"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def items(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    [card] = [m["custom"] for m in messages if m.get("custom")]
    assert card["type"] == "recommendations"
    return list(card["data"]["items"])


async def inform(tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await ActionInformOutsideForm().run(dispatcher, tracker, {})
    return dispatcher.messages, events


async def test_a_shopping_request_read_as_inform_gets_recommendations() -> None:
    messages, events = await inform(conversation("smart tv cheaper than 450", "inform"))
    shown = items(messages)
    assert shown and all(i["category"] == "tvs" and i["price"] <= 450 for i in shown)
    assert events[0]["name"] == "shown_products"


async def test_anything_else_read_as_inform_keeps_the_old_reply() -> None:
    messages, events = await inform(conversation("12 GB", "inform"))
    assert messages == [
        {
            "text": None,
            "buttons": [],
            "elements": [],
            "custom": {},
            "template": "utter_inform_without_question",
            "response": "utter_inform_without_question",
            "image": None,
            "attachment": None,
        }
    ]
    assert events == []


async def recommended(text: str) -> list[dict[str, Any]]:
    """The events of a conversation where ``text`` got a recommendation card."""
    dispatcher = CollectingDispatcher()
    first = conversation(text, "ask_recommendation")
    slots = await ActionRecommendProducts().run(dispatcher, first, {})
    bot = [{"event": "bot", "text": m.get("text"), "data": m} for m in dispatcher.messages]
    return [*first.events, *slots, *bot]


async def test_a_budget_right_after_a_recommendation_narrows_it() -> None:
    history = await recommended("could you suggest a gaming laptop")
    request = next(e["value"] for e in history if e.get("name") == "recommendation_request")
    messages, _ = await inform(
        conversation("no more than 1400 please", "inform", history, recommendation_request=request)
    )
    shown = items(messages)
    assert [i["product_id"] for i in shown] == ["forge-g15"]


async def test_a_budget_nothing_meets_is_said_honestly() -> None:
    history = await recommended("what tablet would you suggest")
    request = next(e["value"] for e in history if e.get("name") == "recommendation_request")
    messages, _ = await inform(
        conversation("€20", "inform", history, recommendation_request=request)
    )
    assert "Nothing in our range fits tablets under" in messages[0]["text"]
    assert all(not i["fits"] and i["category"] == "tablets" for i in items(messages))


async def test_a_bare_amount_without_a_recommendation_before_is_not_a_budget() -> None:
    messages, _ = await inform(conversation("£30", "inform"))
    assert messages[0]["response"] == "utter_inform_without_question"


def answering_action() -> ActionAnswerQuestion:
    kb = KnowledgeBase(
        chunk_markdown("returns", "# Returns\nReturn any product within 30 days."),
        embedder=HashingEmbedder(),
        threshold=0.3,
    )
    gen = ScriptedGenerator(replies=["Return any product within 30 days [1]."])
    return ActionAnswerQuestion(AnswerPipeline(brand=BRAND, knowledge_base=kb, generator=gen))


async def test_a_shopping_request_read_as_a_question_goes_to_the_recommender() -> None:
    dispatcher = CollectingDispatcher()
    tracker = conversation("earbuds with anc, 160 max", "ask_faq")
    await answering_action().run(dispatcher, tracker, {})
    shown = items(dispatcher.messages)
    assert shown and all(i["category"] == "headphones" and i["price"] <= 160 for i in shown)
    assert {i["product_id"] for i in shown} == {"pulse-buds"}


async def test_a_store_question_naming_a_category_and_price_is_still_answered() -> None:
    dispatcher = CollectingDispatcher()
    tracker = conversation("can I return headphones that cost over 100?", "ask_faq")
    events = await answering_action().run(dispatcher, tracker, {})
    assert not any(m.get("custom") for m in dispatcher.messages)
    assert events[0]["name"] == "answer_outcome"


async def test_a_question_with_figures_read_as_inform_is_answered() -> None:
    """ "can I return any product after 40 days?" reads like an answer (a number and a unit),
    but with no form open it asks something: the knowledge base answers it."""
    dispatcher = CollectingDispatcher()
    tracker = conversation("can i return any product after 40 days?", "inform")
    events = await ActionInformOutsideForm(answering_action()).run(dispatcher, tracker, {})
    assert events[0]["name"] == "answer_outcome"
    assert dispatcher.messages[0].get("response") != "utter_inform_without_question"
    bare = CollectingDispatcher()
    await ActionInformOutsideForm(answering_action()).run(
        bare, conversation("24 months?", "inform"), {}
    )
    assert bare.messages[0]["response"] == "utter_inform_without_question"
