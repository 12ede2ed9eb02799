"""The shopping-request detector: what goes to the recommender whatever the classifier said."""

from __future__ import annotations

import pytest

from generators.recommend import load_products
from generators.shopping import budget_refinement, names_product, refinement, shopping_request
from tests.conftest import CATALOG_DIR

PRODUCTS, _ = load_products(CATALOG_DIR / "products.yml")
CATEGORIES = {p.category for p in PRODUCTS}
NAMES = [p.name for p in PRODUCTS]


@pytest.mark.parametrize(
    ("text", "category", "low", "high"),
    [
        ("tablet cheaper than 250", "tablets", None, 250),
        ("smart tv between 400 and 800", "tvs", 400, 800),
        ("earbuds for the gym, max 120", "headphones", None, 120),
        ("a laptop for coding under a grand", "laptops", None, 1000),
        ("present for my nephew up to £40", None, None, 40),
        ("soundbar, 250 tops", "audio", None, 250),
        ("smartwatch for cycling", "wearables", None, None),
        ("oled telly", "tvs", None, None),
        ("cheap phone pls", "phones", None, None),
        ("i got my eye on a gaming laptop under 900", "laptops", None, 900),
    ],
)
def test_shopping_requests_are_recognised(
    text: str, category: str | None, low: float | None, high: float | None
) -> None:
    found = shopping_request(text, CATEGORIES, NAMES)
    assert found is not None
    assert (found.category, found.min_price, found.max_price) == (category, low, high)


@pytest.mark.parametrize(
    "text",
    [
        "can I send back a tablet that cost over 300?",
        "how long is the warranty on tvs over 1000",
        "is delivery free for laptops above £500",
        "my phone is broken, it was under 400",
        "does the Slate 11 cost under 500?",
        "is the Forge G15 good for gaming",
        "how much is the Pulse ANC",
        "tell me about your laptops",
        "what are your opening hours",
        "1500",
        "can I pay for a tv in instalments under 600",
        "could I pay off a £700 laptop over 24 months",
        "a sim only deal under 15",
        "what is the cheapest tablet you have",
        "what discount do teachers get on tablets",
        "saw the same tv £50 cheaper at currys after i bought it",
        "this laptop is 100 less online, can you match that",
        "i just bought headphones for 80 and now they are 60",
    ],
)
def test_questions_and_answers_are_not_shopping_requests(text: str) -> None:
    assert shopping_request(text, CATEGORIES, NAMES) is None


def test_a_product_is_named_by_its_full_name_or_its_model_mark() -> None:
    assert names_product("what about the terra x?", NAMES)
    assert names_product("aerobook 16 for gaming", NAMES)
    assert not names_product("a pulse for running", NAMES)
    assert not names_product("a laptop for gaming", NAMES)


@pytest.mark.parametrize(
    ("text", "high"),
    [
        ("below 700 please", 700),
        ("I could spend 250 max", 250),
        ("€90", 90),
        ("about 400", 400),
        ("1.2k", 1200),
    ],
)
def test_a_budget_on_its_own_is_a_refinement(text: str, high: float) -> None:
    assert (budget := budget_refinement(text)) is not None
    assert budget.max_price == high


@pytest.mark.parametrize(
    "text",
    ["thanks", "ok cool", "8 GB", "3 years", "can I return it", "is the second one waterproof?"],
)
def test_other_replies_are_not_a_budget(text: str) -> None:
    assert budget_refinement(text) is None
    assert refinement(text, CATEGORIES) is None


def test_a_use_or_feature_refines_too() -> None:
    assert refinement("ones for gaming", CATEGORIES).uses == ("gaming",)  # type: ignore[union-attr]
    assert refinement("only with gps", CATEGORIES).features == ("GPS",)  # type: ignore[union-attr]
