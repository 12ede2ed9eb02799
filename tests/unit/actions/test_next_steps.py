"""Every button the assistant offers leads somewhere; Details, Compare and a carried budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.recommend as recommend_actions
from actions.answer import FAQ_TOPICS, ActionAnswerQuestion
from actions.fallback import INTENT_TITLES, ActionFallbackClarify
from actions.recommend import (
    ActionCompareProducts,
    ActionProductDetails,
    ActionRecommendProducts,
    earlier_requests,
)
from bot.sdk.buttons import is_bare_payload, words_behind
from generators.embeddings import HashingEmbedder
from generators.recommend import HybridRecommender
from tests.conftest import CATALOG_DIR

ROOT = Path(__file__).resolve().parents[3]
DEAD_ENDS = (
    "I don't know that one",
    "didn't get that",
    "not sure I understood",
    "not sure what that refers to",
    "couldn't find anything to suggest",
)


@pytest.fixture(autouse=True)
def fake_recommender(monkeypatch) -> HybridRecommender:
    rec = HybridRecommender.from_catalog(CATALOG_DIR, embedder=HashingEmbedder())
    monkeypatch.setattr(recommend_actions, "default_recommender", lambda: rec)
    return rec


def conversation(
    text: str,
    intent: str,
    *,
    before: list[dict[str, Any]] | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
    }
    return Tracker(
        sender_id="t",
        slots=slots or {},
        latest_message=latest,
        events=[*(before or []), {"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )  # fmt: skip


def misunderstood(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": "nlu_fallback"}}}


def offered_buttons() -> list[dict[str, str]]:
    """Every button in domain.yml's responses, the fallback's and the actions' own."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    buttons = [
        button
        for variants in domain["responses"].values()
        for variant in variants
        for button in variant.get("buttons") or []
    ]
    buttons += [{"title": t, "payload": f"/{i}"} for i, t in INTENT_TITLES.items()]
    buttons += [
        {"title": "Yes, a person please", "payload": "/ask_human"},
        {"title": "No, I'll rephrase", "payload": "/deny"},
    ]
    return buttons + list(FAQ_TOPICS)


def handled_intents() -> set[str]:
    """Intents that a story or a rule answers outside a form (no condition but that one)."""
    handled: set[str] = set()
    for path in ("data/rules.yml", "data/stories.yml"):
        data = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
        for block in data.get("rules", []) + data.get("stories", []):
            steps = block.get("steps") or []
            outside_forms = all(c == {"active_loop": None} for c in block.get("condition") or [])
            if steps and "intent" in steps[0] and outside_forms:
                handled.add(steps[0]["intent"])
    return handled


def test_every_offered_intent_is_in_the_domain_and_answered_from_any_state() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    handled = handled_intents()
    for button in offered_buttons():
        payload = button["payload"]
        if not is_bare_payload(payload):
            continue  # a question in words: NLU reads it (e2e clicks these)
        intent = payload.lstrip("/").split("{")[0]
        assert intent in domain["intents"], button
        assert intent in handled, f"nothing answers {payload} outside a form ({button['title']})"


async def run(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def assert_useful(messages: list[dict[str, Any]]) -> None:
    assert messages, "no reply"
    text = " ".join(m.get("text") or "" for m in messages)
    assert not any(phrase in text for phrase in DEAD_ENDS), text
    assert text.strip() or messages[0].get("custom") or messages[0].get("response")


async def test_a_store_question_button_with_no_question_asks_for_one() -> None:
    messages, events = await run(ActionAnswerQuestion(), conversation("/ask_faq", "ask_faq"))
    assert_useful(messages)
    assert "what would you like to know" in messages[0]["text"]
    assert messages[0]["buttons"] == list(FAQ_TOPICS)
    assert events == []


def test_a_button_after_a_misunderstood_message_stands_for_that_message() -> None:
    before = [misunderstood("retrns polcy??")]
    assert words_behind("/ask_faq", conversation("/ask_faq", "ask_faq", before=before).events) == (
        "retrns polcy??"
    )
    assert words_behind("/ask_faq", conversation("/ask_faq", "ask_faq").events) is None
    typed = conversation("do you deliver on sundays", "ask_faq", before=before)
    assert words_behind("do you deliver on sundays", typed.events) == "do you deliver on sundays"


async def test_a_recommendation_button_uses_the_misunderstood_wish() -> None:
    tracker = conversation(
        "/ask_recommendation",
        "ask_recommendation",
        before=[misunderstood("smth 4 gaming laptop undr £1500 pls")],
    )
    messages, _ = await run(ActionRecommendProducts(), tracker)
    items = messages[0]["custom"]["data"]["items"]
    assert items and all(i["category"] == "laptops" and i["price"] <= 1500 for i in items)


async def test_the_clarifying_buttons_are_never_social_intents() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "tell_name", "confidence": 0.3},
        {"name": "greet", "confidence": 0.2},
        {"name": "ask_credit_reasons", "confidence": 0.1},
        {"name": "ask_store_hours", "confidence": 0.05},
        {"name": "ask_faq", "confidence": 0.04},
    ]
    tracker = conversation("blah", "nlu_fallback")
    tracker.latest_message["intent_ranking"] = ranking
    messages, _ = await run(ActionFallbackClarify(), tracker)
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/ask_store_hours", "/ask_faq"]


# --- Details and Compare ----------------------------------------------------------


async def test_recommendations_remember_what_was_shown_and_details_answer_from_the_catalogue() -> (
    None
):
    messages, events = await run(
        ActionRecommendProducts(), conversation("headphones please", "ask_recommendation")
    )
    shown = [i["product_id"] for i in messages[0]["custom"]["data"]["items"]]
    assert events[0] == SlotSet("shown_products", shown)
    assert events[1]["name"] == "recommendation_request"
    assert events[1]["value"]["category"] == "headphones"
    details_button = messages[0]["buttons"][0]
    assert details_button["payload"] == f'/ask_product_details{{"product": "{shown[0]}"}}'

    product = recommend_actions.find_product(shown[0], recommend_actions.catalogue()[0])
    assert product is not None
    tracker = conversation(
        details_button["payload"],
        "ask_product_details",
        entities=[{"entity": "product", "value": shown[0]}],
        slots={"shown_products": shown},
    )
    messages, _ = await run(ActionProductDetails(), tracker)
    assert messages[0]["text"].startswith(f"{product.name}: £{product.price:,.0f}.")
    assert product.description in messages[0]["text"]
    assert {"title": "Compare these", "payload": "/compare_products"} in messages[0]["buttons"]


async def test_details_by_ordinal_and_asking_which_when_unclear() -> None:
    shown = ["nova-8", "nova-7a", "terra-x"]
    tracker = conversation(
        "tell me more about the second one", "ask_product_details", slots={"shown_products": shown}
    )
    messages, events = await run(ActionProductDetails(), tracker)
    assert messages[0]["text"].startswith("Nova 7a: £329.")
    # the conversation is now on it: "what colours?" next is about the Nova 7a
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"last_product": "nova-7a"}
    tracker = conversation("more details", "ask_product_details", slots={"shown_products": shown})
    messages, _ = await run(ActionProductDetails(), tracker)
    assert messages[0]["text"] == "Which product would you like the details of?"
    assert [b["title"] for b in messages[0]["buttons"]] == ["Nova 8", "Nova 7a", "Terra X Rugged"]


async def test_compare_shows_the_items_side_by_side() -> None:
    shown = ["pulse-anc", "pulse-buds", "pulse-lite"]
    tracker = conversation("/compare_products", "compare_products", slots={"shown_products": shown})
    messages, _ = await run(ActionCompareProducts(), tracker)
    text = messages[0]["text"]
    assert text.startswith("Comparing Pulse ANC, Pulse Buds and Pulse Lite:")
    assert "£59" in text and "£249" in text and "£190 less than the Pulse ANC" in text
    named = conversation(
        "compare the nova 8 and the terra x",
        "compare_products",
        entities=[
            {"entity": "product", "value": "nova-8"},
            {"entity": "product", "value": "terra-x"},
        ],
        slots={"shown_products": shown},
    )
    messages, _ = await run(ActionCompareProducts(), named)
    assert messages[0]["text"].startswith("Comparing Nova 8 and Terra X Rugged:")
    messages, _ = await run(
        ActionCompareProducts(), conversation("compare them", "compare_products")
    )
    assert "Which products shall I compare?" in messages[0]["text"]


# --- A budget from an earlier turn ---------------------------------------------------


async def test_a_budget_stated_earlier_binds_a_request_that_states_none() -> None:
    before = [
        {"event": "session_started"},
        {"event": "user", "text": "my budget is 100", "parse_data": {}},
        {"event": "bot", "text": "Thanks."},
    ]
    tracker = conversation("show me headphones", "ask_recommendation", before=before)
    messages, _ = await run(ActionRecommendProducts(), tracker)
    items = messages[0]["custom"]["data"]["items"]
    assert items and all(i["price"] <= 100 and i["category"] == "headphones" for i in items)
    assert "budget you mentioned (under £100)" in messages[0]["text"]


def test_earlier_requests_skip_form_answers_and_older_sessions() -> None:
    events = [
        {"event": "user", "text": "my budget is 50"},
        {"event": "session_started"},
        {"event": "user", "text": "a"},
        {"event": "active_loop", "name": "mobile_plan_form"},
        {"event": "user", "text": "£30"},
        {"event": "active_loop", "name": None},
        {"event": "user", "text": "b"},
        {"event": "user", "text": "latest"},
    ]
    assert earlier_requests(events) == ["b", "a"]


async def test_a_price_seen_elsewhere_is_a_price_match_question_not_a_budget() -> None:
    """NLU may read "£50 cheaper at Currys" as a shopping request; the recommender
    must not turn the £50 into a budget."""
    answered: list[str] = []

    class Answer:
        async def run(self, dispatcher: Any, tracker: Tracker, domain: Any) -> list[Any]:
            answered.append(tracker.latest_message["text"])
            return []

    for text in (
        "saw the same tv £50 cheaper at currys after i bought it",
        "can you price match a laptop?",
        "刚买的耳机就降价了，能退差价吗",  # noqa: RUF001
    ):
        tracker = conversation(text, "ask_recommendation")
        messages, _ = await run(ActionRecommendProducts(answer=Answer()), tracker)  # type: ignore[arg-type]
        assert messages == []
    assert len(answered) == 3
    # a shopping request that mentions an earlier purchase is still one
    tracker = conversation("headphones under £100 please", "ask_recommendation")
    messages, _ = await run(ActionRecommendProducts(answer=Answer()), tracker)  # type: ignore[arg-type]
    assert messages and len(answered) == 3
