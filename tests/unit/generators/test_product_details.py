# ruff: noqa: RUF001  (Chinese text, on purpose)
from __future__ import annotations

import pytest

from generators.constraints import carried_budget, parse_budget
from generators.financing import FinancingTerms
from generators.product_details import compare, details, find_product
from generators.recommend import load_products
from tests.conftest import CATALOG_DIR

PRODUCTS, CURRENCY = load_products(CATALOG_DIR / "products.yml")
CATEGORIES = {p.category for p in PRODUCTS}


def product(key: str):
    found = find_product(key, PRODUCTS)
    assert found is not None, key
    return found


def test_find_product_by_id_name_or_loose_mention() -> None:
    assert product("nova-8").name == "Nova 8"
    assert product("Nova 8").id == "nova-8"
    assert product("the nova 8").id == "nova-8"
    assert product("AeroBook 16 Pro").id == "aerobook-16"
    assert find_product("Nova 9", PRODUCTS) is None and find_product(None, PRODUCTS) is None


def test_details_are_the_catalogue_facts_with_financing() -> None:
    text = details(product("pulse-anc"), currency=CURRENCY, terms=FinancingTerms.load())
    assert text.splitlines()[0] == "Pulse ANC: £249."
    assert product("pulse-anc").description in text
    assert "Financing" not in text  # £249 is not above the £300 minimum
    nova = details(product("nova-8"), currency=CURRENCY, terms=FinancingTerms.load())
    assert "Nova 8: £599." in nova and "0% APR over 12 months, £49.92 a month" in nova


def test_compare_orders_by_price_and_states_the_gap() -> None:
    text = compare([product("nova-8"), product("nova-7a"), product("terra-x")], currency=CURRENCY)
    lines = text.splitlines()
    assert lines[0] == "Comparing Nova 8, Nova 7a and Terra X Rugged:"
    assert [line.split(",")[0] for line in lines[1:4]] == [
        "• Nova 7a",
        "• Terra X Rugged",
        "• Nova 8",
    ]
    assert "£329" in lines[1] and "£599" in lines[3]
    assert lines[-1] == "The Nova 7a is the cheapest, £270 less than the Nova 8."
    with pytest.raises(ValueError, match="at least two"):
        compare([product("nova-8"), product("nova-8")])


@pytest.mark.parametrize(
    ("history", "category", "expected"),
    [
        (["my budget is 500"], "headphones", (None, 500.0)),
        (["hi", "I can spend up to £300 on it", "hello"], None, (None, 300.0)),
        (["between 200 and 400 quid please"], "phones", (200.0, 400.0)),
        (["no more than 150", "max 900"], "headphones", (None, 150.0)),  # newest first
    ],
)
def test_a_stated_budget_is_carried_over(history, category, expected) -> None:
    carried = carried_budget(history, CATEGORIES, category=category)
    assert carried is not None and (carried.min_price, carried.max_price) == expected


@pytest.mark.parametrize(
    ("history", "category"),
    [
        (["£30"], "headphones"),  # a bare amount answers some other question
        (["24 months", "I earn 2500 a month"], None),
        (["laptops under 1000"], "headphones"),  # stated for another category
        ([], "phones"),
    ],
)
def test_what_is_not_a_budget_for_this_request_is_not_carried(history, category) -> None:
    assert carried_budget(history, CATEGORIES, category=category) is None


def test_parse_budget_can_ignore_bare_amounts() -> None:
    assert parse_budget("£30")[1] == 30
    assert parse_budget("£30", bare=False)[:2] == (None, None)


def test_details_and_comparison_in_chinese() -> None:
    nova = details(product("nova-8"), currency=CURRENCY, terms=FinancingTerms.load(), language="zh")
    lines = nova.splitlines()
    assert lines[0] == "Nova 8：£599。"
    assert lines[1] == product("nova-8").translations["zh"].description  # the catalogue's zh text
    assert lines[1].startswith("畅销智能手机")
    assert lines[2] == "分期付款：12 个月，年利率 0%，每月 £49.92。"
    text = compare(
        [product("nova-8"), product("nova-7a"), product("terra-x")],
        currency=CURRENCY,
        language="zh",
    )
    lines = text.splitlines()
    assert lines[0] == "比较 Nova 8、Nova 7a、Terra X 三防手机："
    assert lines[1] == "• Nova 7a，£329：实惠的 5G 智能手机，大电池、双摄像头、6.5 英寸明亮屏幕"
    assert lines[-1] == "Nova 7a 最便宜，比 Nova 8 便宜 £270。"
    mixed = compare([product("nova-8"), product("pulse-anc")], currency=CURRENCY, language="zh")
    assert mixed.splitlines()[-1] == "它们属于不同类别的产品，请按您的需要来比较。"


def test_a_product_without_a_chinese_text_is_quoted_in_english() -> None:
    plain = product("nova-7a").model_copy(update={"translations": {}})
    lines = details(plain, currency=CURRENCY, language="zh").splitlines()
    assert lines == ["Nova 7a：£329。", plain.description]
    text = compare([plain, product("terra-x")], currency=CURRENCY, language="zh")
    assert "• Nova 7a，£329：affordable 5G smartphone with a large battery" in text
    assert "• Terra X 三防手机，£449：适合户外工作的坚固防水手机" in text


def test_english_conversations_keep_the_english_catalogue() -> None:
    text = compare([product("terra-x"), product("nova-7a")], currency=CURRENCY, language="en")
    assert "Terra X Rugged" in text and "三防" not in text
    assert details(product("terra-x"), currency=CURRENCY).startswith("Terra X Rugged: £449.")


def test_a_translated_name_finds_the_product() -> None:
    assert product("Nova 8 透明保护壳").id == "case-nova-8"
    assert product("无线充电板").id == "wireless-pad"
    assert product("terra x 三防手机").id == "terra-x"
    assert find_product("透明保护壳", PRODUCTS) is None  # part of a name is not a name
