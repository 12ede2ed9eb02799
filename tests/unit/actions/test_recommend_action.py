from __future__ import annotations

import jsonschema
import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.recommend as recommend_actions
from actions.recommend import ActionRecommendProducts, catalog_category, wish_from
from generators.embeddings import HashingEmbedder
from generators.errors import ModelLoadError
from generators.recommend import HybridRecommender
from generators.schemas import json_schema
from tests.conftest import CATALOG_DIR
from tests.unit.actions.form_driver import tracker


@pytest.fixture
def fake_recommender(monkeypatch) -> HybridRecommender:
    rec = HybridRecommender.from_catalog(CATALOG_DIR, embedder=HashingEmbedder())
    monkeypatch.setattr(recommend_actions, "default_recommender", lambda: rec)
    return rec


async def ask(
    text: str, *, sender: str = "web-123", metadata: dict | None = None, **slots
) -> list[dict]:
    dispatcher = CollectingDispatcher()
    t = tracker(text, slots, intent="ask_recommendation", sender=sender)
    if metadata is not None:
        t.latest_message["metadata"] = metadata
    events = await ActionRecommendProducts().run(dispatcher, t, {})
    custom = dispatcher.messages[0].get("custom") if dispatcher.messages else None
    shown = [i["product_id"] for i in custom["data"]["items"]] if custom else []
    assert events[:1] == ([SlotSet("shown_products", shown)] if shown else [])
    return dispatcher.messages


def test_generic_requests_carry_no_wish() -> None:
    assert wish_from("What would you recommend?") is None
    assert wish_from("Can you suggest something good?") is None
    assert wish_from("I'd like headphones for running") == "I'd like headphones for running"


def test_categories_are_matched_to_the_catalog() -> None:
    cats = {"headphones", "tvs", "phones"}
    assert catalog_category("Headphone", cats) == "headphones"
    assert catalog_category("TVs", cats) == "tvs"
    assert catalog_category("drones", cats) is None


async def test_returning_customer_gets_reasons_from_their_history(fake_recommender) -> None:
    [message] = await ask(
        "what do you recommend?", metadata={"tandem_auth": {"customer_id": "c0001"}}
    )
    data = message["custom"]["data"]
    jsonschema.validate(data, json_schema("recommendations"))
    assert message["custom"]["type"] == "recommendations" and len(data["items"]) == 3
    assert all(i["reason"].startswith("Because you") for i in data["items"])
    assert message["text"] == "Here are my top 3 picks."


async def test_new_visitor_with_a_category_and_viewed_item(fake_recommender) -> None:
    [message] = await ask(
        "any accessories?", product_category="accessory", viewed_products=["nova-8"]
    )
    items = message["custom"]["data"]["items"]
    assert {i["category"] for i in items} == {"accessories"}
    assert all(i["reason"] == "Because you looked at Nova 8" for i in items)


async def test_new_visitor_with_nothing_gets_popular_items(fake_recommender) -> None:
    [message] = await ask("what do you recommend?")
    assert {i["source"] for i in message["custom"]["data"]["items"]} == {"popular"}


async def test_recommender_failure_becomes_a_polite_message(monkeypatch) -> None:
    def broken():
        raise ModelLoadError("no model", path="x")

    monkeypatch.setattr(recommend_actions, "default_recommender", broken)
    [message] = await ask("recommend me headphones")
    assert "can't work out recommendations right now" in message["text"]
    assert not message["custom"]


@pytest.mark.slow
async def test_real_minilm_matches_a_wish(monkeypatch) -> None:
    from generators.embeddings import SentenceTransformerEmbedder

    rec = HybridRecommender.from_catalog(CATALOG_DIR, embedder=SentenceTransformerEmbedder())
    monkeypatch.setattr(recommend_actions, "default_recommender", lambda: rec)
    [message] = await ask("I need headphones for running")
    assert message["custom"]["data"]["items"][0]["product_id"] in {"pulse-sport", "pulse-buds"}


async def _ask_with(metadata: dict | None, *, sender: str) -> dict:
    dispatcher = CollectingDispatcher()
    t = tracker("what do you recommend?", {}, intent="ask_recommendation", sender=sender)
    if metadata is not None:
        t.latest_message["metadata"] = metadata
    await ActionRecommendProducts().run(dispatcher, t, {})
    [message] = dispatcher.messages
    return message


async def test_the_sender_id_alone_links_to_no_customer_history(fake_recommender) -> None:
    """Any REST client can call itself c0001; only a verified identity links the history."""
    for metadata in (None, {}, {"customer_id": "c0001"}, {"tandem_auth": "c0001"}):
        message = await _ask_with(metadata, sender="c0001")
        assert not any(i["reason"].startswith("Because you") for i in _items(message)), metadata
        assert "because you added" not in message["text"].lower()


async def test_a_verified_customer_gets_their_own_history(fake_recommender) -> None:
    message = await _ask_with({"tandem_auth": {"customer_id": "c0001"}}, sender="web:any-uuid")
    assert all(i["reason"].startswith("Because you") for i in _items(message))


async def test_the_identity_may_come_from_an_earlier_message_of_the_session(
    fake_recommender,
) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("what do you recommend?", {}, intent="ask_recommendation", sender="web:x")
    t.events = [
        {"event": "session_started"},
        {"event": "user", "text": "hi", "metadata": {"tandem_auth": {"customer_id": "c0001"}}},
        {"event": "user", "text": "what do you recommend?", "metadata": {}},
    ]
    await ActionRecommendProducts().run(dispatcher, t, {})
    assert all(i["reason"].startswith("Because you") for i in _items(dispatcher.messages[0]))
    # ... but not from before the session started
    t.events = [
        {"event": "user", "text": "hi", "metadata": {"tandem_auth": {"customer_id": "c0001"}}},
        {"event": "session_started"},
        {"event": "user", "text": "what do you recommend?", "metadata": {}},
    ]
    dispatcher = CollectingDispatcher()
    await ActionRecommendProducts().run(dispatcher, t, {})
    assert not any(i["reason"].startswith("Because you") for i in _items(dispatcher.messages[0]))


def _items(message: dict) -> list[dict]:
    items: list[dict] = message["custom"]["data"]["items"]
    return items


async def test_a_budget_and_use_in_the_message_bind_the_reply(fake_recommender) -> None:
    [message] = await ask("cheap phone, max 400 pounds")
    data = message["custom"]["data"]
    jsonschema.validate(data, json_schema("recommendations"))
    assert [(i["name"], i["fits"]) for i in data["items"]] == [("Nova 7a", True)]
    assert data["items"][0]["reason"] == "£329, within your £400 budget: affordable 5G smartphone"
    assert message["text"] == "Here's my top pick."


async def test_nothing_fits_is_said_honestly(fake_recommender) -> None:
    [message] = await ask("gaming laptop under 1000")
    data = message["custom"]["data"]
    jsonschema.validate(data, json_schema("recommendations"))
    assert data["note"].startswith("Nothing in our range fits laptops for gaming under £1,000.")
    assert all(not i["fits"] and i["price"] > 1000 for i in data["items"])
    assert data["items"][0]["reason"] == (
        "£1,299, £299 over your £1,000 budget: 165 Hz display and powerful graphics for gaming"
    )
    assert message["text"] == data["note"]


async def test_the_parsed_category_wins_over_a_model_number(fake_recommender) -> None:
    [message] = await ask("a laptop for students, I had a Nova 8 before")
    items = message["custom"]["data"]["items"]
    assert {i["category"] for i in items} == {"laptops"}
    assert all(i["fits"] and "for students" in i["reason"] for i in items)


async def test_a_budget_in_another_currency_is_flagged(fake_recommender) -> None:
    [message] = await ask("headphones below €100")
    assert all(i["price"] <= 100 for i in message["custom"]["data"]["items"])
    assert "Our prices are in GBP" in message["text"]


async def test_next_steps_are_offered_as_buttons(fake_recommender) -> None:
    [message] = await ask("what do you recommend?")
    items = message["custom"]["data"]["items"]
    assert len(items) >= 2
    details = [
        {"title": f"Details: {i['name']}", "payload": f'/ask_product_details{{"product": "{pid}"}}'}
        for i in items
        if (pid := i["product_id"])
    ]
    assert message["buttons"] == [
        *details,
        {"title": "Compare these", "payload": "/compare_products"},
        {"title": "Check financing", "payload": "/ask_credit_check"},
    ]
