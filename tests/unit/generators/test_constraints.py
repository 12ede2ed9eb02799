from __future__ import annotations

import pytest

from generators.constraints import Constraints, evidence, misses, parse_budget, parse_constraints

CATEGORIES = {"laptops", "phones", "headphones", "tvs", "tablets", "audio", "wearables"}


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("gaming laptop under 1000", None, 1000),
        ("cheap phone, max 400 pounds", None, 400),
        ("something £300-£500", 300, 500),
        ("between 200 and 300 quid", 200, 300),
        ("phone 300 to 500 pounds", 300, 500),
        ("no more than 1k for a notebook", None, 1000),
        ("below €700", None, 700),
        ("£1,200 or less", None, 1200),
        ("up to £1.5k", None, 1500),
        ("phone, 400 max", None, 400),
        ("my budget is 250", None, 250),
        ("a phone for £400", None, 400),
        ("something above £100", 100, None),
        ("at least 200 pounds but under 600", 200, 600),
        ("a tablet no more than 300€", None, 300),
        ("max. 450", None, 450),
        ("under 1.000", None, 1000),
        ("500 budget", None, 500),
        ("under a grand", None, 1000),
        ("up to £1,250.50", None, 1250.5),
        ("Galaxy S23 under 900", None, 900),
        ("laptop from 500 to 800", 500, 800),
        ("I can spend 500", None, 500),
    ],
)
def test_budgets_in_many_phrasings(text: str, low: float | None, high: float | None) -> None:
    assert parse_budget(text)[:2] == (low, high)


@pytest.mark.parametrize(
    "text",
    [
        "is the Nova 8 any good?",
        "a laptop with an RTX 4060",
        "Forge G15 or AeroBook 16",
        "a TV over 65 inches",
        "laptop with at least 16 GB",
        "earbuds with up to 30 hours battery",
        "less than 2 kg",
        "a 13-15 inch laptop",
        "Nova 7 to 8",
        "a 120 Hz screen",
        "iPhone 15 to 16",
        "pixel 8 to 9",
        "I want a 4K TV",
        "is it 5G?",
        'a TV under 65"',
        "Nova 8 128GB max",
        "cheaper than the Nova 8",
    ],
)
def test_model_names_and_specs_are_not_budgets(text: str) -> None:
    assert parse_budget(text)[:2] == (None, None)


def test_the_currency_is_kept() -> None:
    assert parse_budget("below €700")[2] == "EUR"
    assert parse_budget("max 400 pounds")[2] == "GBP"
    assert parse_budget("under 1000")[2] is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("gaming laptop under 1000", "laptops"),
        ("a notebook for uni", "laptops"),
        ("cheap mobile", "phones"),
        ("best smartphone", "phones"),
        ("earbuds for running", "headphones"),
        ("a gaming headset", "headphones"),
        ("new telly", "tvs"),
        ("a smartwatch", "wearables"),
        ("I want to watch films", None),
        ("something nice", None),
    ],
)
def test_category_synonyms(text: str, category: str | None) -> None:
    assert parse_constraints(text, CATEGORIES).category == category


def test_a_category_the_catalogue_lacks_is_never_returned() -> None:
    assert parse_constraints("a laptop", {"phones"}).category is None


@pytest.mark.parametrize(
    ("text", "uses"),
    [
        ("gaming laptop under 1000", ("gaming",)),
        ("laptop for photo editing", ("photo and video editing",)),
        ("something for my son at school", ("students", "children")),
        ("a laptop for students", ("students",)),
        ("headphones for the gym", ("running and the gym",)),
        ("a phone", ()),
    ],
)
def test_uses(text: str, uses: tuple[str, ...]) -> None:
    assert parse_constraints(text, CATEGORIES).uses == uses


def test_cheap_is_a_preference_not_a_cap() -> None:
    c = parse_constraints("a cheap phone", CATEGORIES)
    assert c.prefer_cheap and c.max_price is None
    assert parse_constraints("budget laptop", CATEGORIES).prefer_cheap
    assert not parse_constraints("my budget is 500", CATEGORIES).prefer_cheap
    assert not parse_constraints("a 500 budget", CATEGORIES).prefer_cheap


def test_evidence_is_quoted_from_the_product_text() -> None:
    text = "Gaming laptop with a 165 Hz display, RGB keyboard and powerful graphics."
    assert {"165 Hz display", "powerful graphics"} <= set(evidence("gaming", text))
    assert evidence("students", text) == []
    assert evidence("no such use", text) == []


# --- Shopping requests (recs2): categories from needs and owned devices, features ----

ALL = {*CATEGORIES, "accessories"}


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("a watch that tracks my swimming", "wearables"),
        ("sports watches under 200", "wearables"),
        ("I want to watch films, which tv?", "tvs"),
        ("louder sound for my telly", "audio"),
        ("music for my living room, smart", "audio"),
        ("my laptop is dying, need a new one under 700", "laptops"),
        ("something to go with my phone, under 20", "accessories"),
        ("earbuds for my phone", "headphones"),
        ("a tv with good sound", "tvs"),
    ],
)
def test_the_category_asked_for_not_the_device_owned(text: str, category: str) -> None:
    assert parse_constraints(text, ALL).category == category


@pytest.mark.parametrize(
    ("text", "features"),
    [
        ("an oled phone", ("OLED",)),
        ("4k telly for films", ("4K",)),
        ("laptop under 4k", ()),
        ("anc earbuds", ("noise cancelling",)),
        ("bluetooth speaker", ("wireless",)),
        ("foldable phone", ("a folding design",)),
        ("watch with gps", ("GPS",)),
    ],
)
def test_required_features(text: str, features: tuple[str, ...]) -> None:
    assert parse_constraints(text, ALL).features == features


def test_a_feature_the_product_lacks_is_a_miss() -> None:
    c = parse_constraints("oled tv", ALL)
    assert misses(c, price=599, text="55-inch 4K HDR smart TV") == ["without OLED"]
    assert not misses(c, price=1799, text="65-inch OLED TV with perfect blacks")


def test_video_editing_needs_graphics_not_just_memory() -> None:
    assert not evidence("photo and video editing", "Light laptop with 16 GB of memory")
    assert evidence("photo and video editing", "laptop with a dedicated graphics card")


def test_a_follow_up_narrows_the_request_and_survives_a_slot() -> None:
    first = parse_constraints("gaming laptop", ALL)
    narrowed = Constraints.from_dict(first.as_dict()).refined_by(
        parse_constraints("under 900", ALL)
    )
    assert (narrowed.category, narrowed.uses, narrowed.max_price) == (
        "laptops",
        ("gaming",),
        900,
    )
    other = narrowed.refined_by(parse_constraints("what about tablets", ALL))
    assert (other.category, other.uses, other.max_price) == ("tablets", (), 900)


def test_a_typo_in_the_use_still_counts() -> None:
    assert parse_constraints("gamin pc below 900", ALL).uses == ("gaming",)
