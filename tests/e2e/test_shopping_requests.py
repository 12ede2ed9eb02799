"""Shopping requests with a budget, a use or a feature reach the recommender on the
real servers, whatever intent the classifier gives them, and what it shows keeps
to the request (never a product outside it presented as a fit)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.supervisor import Supervisor
from generators.recommend import load_products
from tests.conftest import CATALOG_DIR
from tests.e2e.conftest import send

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

PRODUCTS = {p.id: p for p in load_products(CATALOG_DIR / "products.yml")[0]}


def shown(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cards = [m["custom"] for m in messages if m.get("custom")]
    assert len(cards) == 1 and cards[0]["type"] == "recommendations", messages
    items = list(cards[0]["data"]["items"])
    assert items, messages
    return items


@pytest.mark.parametrize(
    ("text", "category", "max_price", "min_price"),
    [
        ("smart tv cheaper than 450", "tvs", 450, None),
        ("earbuds for jogging, 120 max", "headphones", 120, None),
        ("notebook between 1200 and 1700", "laptops", 1700, 1200),
        ("speaker under 95", "audio", 95, None),
        ("something for a 12 year old under 40 quid", None, 40, None),
    ],
)
def test_budget_and_use_requests_get_fitting_recommendations(
    assistant: Supervisor,
    text: str,
    category: str | None,
    max_price: float,
    min_price: float | None,
) -> None:
    items = shown(send(assistant, f"e2e-shop-{abs(hash(text))}", text))
    for item in items:
        assert item["fits"], item
        assert category is None or item["category"] == category, item
        assert item["price"] <= max_price and (min_price is None or item["price"] >= min_price)


def test_a_budget_after_a_recommendation_narrows_it(assistant: Supervisor) -> None:
    sender = "e2e-shop-then-budget"
    first = shown(send(assistant, sender, "which laptop would you go for?"))
    assert {i["category"] for i in first} == {"laptops"}
    items = shown(send(assistant, sender, "can only spend 600 max"))
    assert items and all(i["category"] == "laptops" and i["price"] <= 600 for i in items)
    cheap = send(assistant, sender, "£15")
    assert "Nothing in our range fits laptops under £15" in (cheap[0].get("text") or "")


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("an oled telly", "OLED"),
        ("a laptop for photo editing", "dedicated graphics"),
        ("sports watch with gps", "GPS"),
    ],
)
def test_features_and_uses_are_required(assistant: Supervisor, text: str, needs: str) -> None:
    items = shown(send(assistant, f"e2e-shop-{abs(hash(text))}", text))
    for item in items:
        assert needs in PRODUCTS[item["product_id"]].description, item


def test_sound_for_a_tv_is_audio(assistant: Supervisor) -> None:
    items = shown(
        send(assistant, "e2e-shop-sound", "recommend something to make my tv sound better")
    )
    assert {i["category"] for i in items} == {"audio"}


def test_a_store_question_with_a_category_and_a_price_is_still_answered(
    assistant: Supervisor,
) -> None:
    reply = send(assistant, "e2e-shop-policy", "can I send back a tv that cost over 500?")
    assert not any(m.get("custom") for m in reply), reply
    assert any(m.get("text") for m in reply)
