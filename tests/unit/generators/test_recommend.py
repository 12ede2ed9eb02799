from __future__ import annotations

import functools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.embeddings import HashingEmbedder
from generators.errors import ModelLoadError, ValidationFailed
from generators.recommend import (
    HybridRecommender,
    Interaction,
    Product,
    Recommendations,
    load_interactions,
    load_products,
)
from tests.conftest import CATALOG_DIR


@functools.cache
def voltline() -> HybridRecommender:
    return HybridRecommender.from_catalog(CATALOG_DIR, embedder=HashingEmbedder())


def small() -> HybridRecommender:
    products = [
        Product(
            id="phone",
            name="Nova 8",
            category="phones",
            price=699,
            description="smartphone camera 5G",
        ),
        Product(
            id="case",
            name="Nova 8 Case",
            category="accessories",
            price=25,
            description="case for smartphone",
        ),
        Product(
            id="glass",
            name="Nova 8 Glass",
            category="accessories",
            price=19,
            description="screen glass smartphone",
        ),
        Product(
            id="tv", name="Vista 55", category="tvs", price=599, description="television 4K HDR"
        ),
        Product(
            id="bar",
            name="Soundbar",
            category="audio",
            price=279,
            description="soundbar for television",
        ),
        Product(
            id="fold",
            name="Flip Z",
            category="phones",
            price=899,
            description="foldable smartphone camera",
        ),
    ]
    log = []
    for n in range(20):
        items = ["phone", "case", "glass"] if n % 2 else ["tv", "bar"]
        log += [Interaction(customer_id=f"u{n}", product_id=i, weight=3.0) for i in items]
    return HybridRecommender(
        products, log, embedder=HashingEmbedder(), factors=4, iterations=10, business="Voltline"
    )


def test_catalog_ships_products_and_a_consistent_log() -> None:
    products, currency = load_products(CATALOG_DIR / "products.yml")
    ids = {p.id for p in products}
    assert currency == "GBP" and len(products) >= 30
    assert {"nova-8", "aerobook-14", "pulse-anc"} <= ids
    log = load_interactions(CATALOG_DIR / "interactions.csv")
    assert {i.product_id for i in log} <= ids
    assert {"flip-z", "terra-x"} & {i.product_id for i in log} == set()


def test_the_reference_catalogue_speaks_chinese_and_falls_back_to_english() -> None:
    products, _ = load_products(CATALOG_DIR / "products.yml")
    han = re.compile(r"[\u3400-\u9fff]")
    for product in products:  # every product, so no card mixes the languages
        zh = product.in_language("zh")
        assert han.search(zh.description), product.id
        assert zh.id == product.id and zh.price == product.price
        assert product.in_language("en") is product and product.in_language(None) is product
    terra = next(p for p in products if p.id == "terra-x")
    assert terra.names() == ["Terra X Rugged", "Terra X 三防手机"]
    nova = next(p for p in products if p.id == "nova-8")
    assert nova.in_language("zh").name == "Nova 8"  # no zh name: the name stays


def test_a_translation_needs_a_description(tmp_path) -> None:
    bad = tmp_path / "products.yml"
    bad.write_text(
        "currency: GBP\nproducts:\n  - {id: a, name: A, category: x, price: 1, "
        "description: An A., translations: {zh: {name: 甲}}}\n"
    )
    with pytest.raises(ModelLoadError, match="description"):
        load_products(bad)


def test_collaborative_signal_completes_a_basket() -> None:
    result = small().recommend({"seen_product_ids": ["phone"], "k": 2})
    assert {i.product_id for i in result.items} == {"case", "glass"}
    assert all(i.reason == "Because you looked at Nova 8" for i in result.items)
    assert all(i.source == "hybrid" for i in result.items)


def test_known_customer_gets_items_from_their_cluster_and_never_what_they_had() -> None:
    rec = small()
    rec_items = rec.recommend({"customer_id": "u0", "k": 2}).items
    assert "tv" not in {i.product_id for i in rec_items} and "bar" not in {
        i.product_id for i in rec_items
    }


def test_new_item_reaches_customers_through_content() -> None:
    result = small().recommend({"seen_product_ids": ["phone", "case", "glass"], "k": 1})
    assert result.items[0].product_id == "fold"
    assert result.items[0].source == "content"


def test_new_customer_with_a_wish_gets_content_matches() -> None:
    result = small().recommend({"query": "television soundbar", "k": 2})
    assert {i.product_id for i in result.items} == {"tv", "bar"}
    reasons = {i.product_id: i.reason for i in result.items}
    assert reasons == {"tv": "£599: television 4K HDR", "bar": "£279: soundbar"}


def test_nobody_and_nothing_gets_the_most_popular() -> None:
    result = small().recommend({"k": 2})
    assert all(i.source == "popular" for i in result.items)
    assert result.items[0].reason == "Popular with Voltline customers"


def test_category_filter_and_k() -> None:
    result = voltline().recommend(
        {"seen_product_ids": ["aerobook-14"], "category": "accessories", "k": 4}
    )
    assert len(result.items) == 4
    assert all(i.category == "accessories" for i in result.items)


def test_reason_names_what_the_customer_actually_did() -> None:
    rec = voltline()
    result = rec.recommend({"customer_id": "c0000", "k": 3})
    assert all(i.reason.startswith("Because you") for i in result.items)


@pytest.mark.parametrize("bad", [{"k": 0}, {"k": 500}, {"query": "x" * 1000}, {"user": "c1"}])
def test_bad_requests_raise_validation_failed(bad: dict) -> None:
    with pytest.raises(ValidationFailed):
        small().recommend(bad)


def test_missing_catalog_is_a_model_load_error(tmp_path) -> None:
    with pytest.raises(ModelLoadError, match="product catalog"):
        HybridRecommender.from_catalog(
            CATALOG_DIR, embedder=HashingEmbedder(), products_path=tmp_path / "none.yml"
        )


ids = [p.id for p in load_products(CATALOG_DIR / "products.yml")[0]]
requests = st.fixed_dictionaries(
    {},
    optional={
        "customer_id": st.sampled_from(["c0000", "c0042", "new-customer"]),
        "seen_product_ids": st.lists(st.sampled_from([*ids, "unknown-sku"]), max_size=5),
        "query": st.text(max_size=80),
        "category": st.sampled_from(["phones", "accessories", "tvs", "headphones"]),
        "k": st.integers(min_value=1, max_value=20),
    },
)


@settings(max_examples=100, deadline=None)
@given(requests)
def test_every_valid_request_gets_schema_valid_unique_unseen_items(request: dict) -> None:
    result = voltline().recommend(request)
    assert Recommendations.model_validate(result.model_dump(mode="json")) == result
    got = [i.product_id for i in result.items]
    assert len(got) == len(set(got)) <= request.get("k", 3)
    assert not set(got) & set(request.get("seen_product_ids", []))


@settings(max_examples=40, deadline=None)
@given(
    budget=st.integers(min_value=0, max_value=2000),
    category=st.sampled_from([None, "laptops", "phones", "headphones", "tvs", "accessories"]),
    use=st.sampled_from([[], ["gaming"], ["students"], ["running and the gym"]]),
    cheap=st.booleans(),
)
def test_items_that_fit_never_break_a_hard_constraint(
    budget: int, category: str | None, use: list[str], cheap: bool
) -> None:
    rec = voltline()
    result = rec.recommend(
        {"max_price": budget, "category": category, "uses": use, "prefer_cheap": cheap, "k": 5}
    )
    for item in result.items:
        if category:
            assert item.category == category
        if item.fits:
            assert item.price <= budget and not item.misses
        else:
            assert item.misses and result.note
    assert all(i.fits for i in result.items) or not any(i.fits for i in result.items)


def test_a_budget_filters_before_ranking() -> None:
    result = voltline().recommend({"category": "phones", "max_price": 400, "prefer_cheap": True})
    assert [i.name for i in result.items] == ["Nova 7a"]
    assert result.note is None
    assert result.items[0].reason == "£329, within your £400 budget: affordable 5G smartphone"


def test_a_use_is_served_by_the_items_own_attributes() -> None:
    result = voltline().recommend({"category": "laptops", "uses": ["gaming"], "k": 5})
    assert {i.product_id for i in result.items} == {"forge-g15", "aerobook-16"}
    reasons = {i.product_id: i.reason for i in result.items}
    assert reasons["forge-g15"] == "£1,299: 165 Hz display and powerful graphics for gaming"
    assert reasons["aerobook-16"] == "£1,599: dedicated graphics card for gaming"


def test_nothing_fits_says_so_and_shows_the_closest_marked_outside() -> None:
    result = voltline().recommend({"category": "laptops", "uses": ["gaming"], "max_price": 1000})
    assert result.note is not None
    assert result.note.startswith("Nothing in our range fits laptops for gaming under £1,000.")
    first = result.items[0]
    assert (first.product_id, first.fits) == ("forge-g15", False)
    assert first.misses == ["£299 over your £1,000 budget"]
    assert first.reason == (
        "£1,299, £299 over your £1,000 budget: 165 Hz display and powerful graphics for gaming"
    )
    # a cheap laptop that isn't for gaming is not "the closest" gaming laptop
    assert "studybook-13" not in {i.product_id for i in result.items}


def test_reasons_do_not_echo_the_question() -> None:
    result = voltline().recommend({"query": "gaming laptop under 1000", "category": "laptops"})
    assert not any("gaming laptop under 1000" in i.reason for i in result.items)


# --- Shopping requests (recs2): parsed constraints bind the real catalogue --------


@pytest.mark.parametrize(
    ("text", "category", "needs"),
    [
        ("oled telly please", "tvs", "oled"),
        ("laptop for editing my videos", "laptops", "graphics"),
        ("watch with gps for my runs", "wearables", "gps"),
        ("earbuds with noise cancelling", "headphones", "noise cancelling"),
    ],
)
def test_requests_show_only_products_that_have_what_was_asked(
    text: str, category: str, needs: str
) -> None:
    from generators.constraints import parse_constraints

    rec = voltline()
    c = parse_constraints(text, {p.category for p in rec.products})
    assert c.category == category
    result = rec.recommend(
        {"query": text, "category": c.category, "uses": list(c.uses), "features": list(c.features)}
    )
    assert result.items and result.note is None
    by_id = {p.id: p for p in rec.products}
    for item in result.items:
        assert needs in by_id[item.product_id].description.lower(), item


def test_sound_for_the_tv_shows_audio() -> None:
    from generators.constraints import parse_constraints

    rec = voltline()
    c = parse_constraints("the sound on my tv is rubbish", {p.category for p in rec.products})
    result = rec.recommend({"query": "sound", "category": c.category})
    assert {i.category for i in result.items} == {"audio"}


def test_a_feature_nothing_has_is_said_honestly() -> None:
    result = voltline().recommend({"category": "laptops", "features": ["OLED"]})
    assert result.note and "with OLED" in result.note
    assert all(not i.fits and "without OLED" in i.misses for i in result.items)


def test_a_tv_budget_shows_tvs_not_a_streaming_stick() -> None:
    result = voltline().recommend({"category": "tvs", "max_price": 150})
    assert result.note and all(not i.fits for i in result.items)
    assert result.items[0].product_id == "vista-43"
    assert "console-stand" not in {i.product_id for i in result.items}
