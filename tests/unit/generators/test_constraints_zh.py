# ruff: noqa: RUF001  (Chinese punctuation, on purpose)
"""Constraints of Chinese shopping requests, phrase by phrase."""

from __future__ import annotations

import pytest

from generators.constraints import parse_budget, parse_constraints
from generators.constraints_zh import headline
from generators.shopping import budget_refinement, refinement, shopping_request

CATEGORIES = ("laptops", "phones", "headphones", "tvs", "tablets", "audio", "wearables")


@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("三千块以下的游戏笔记本", (None, 3000, None)),
        ("便宜点的手机，最多400镑", (None, 400, "GBP")),
        ("预算两千", (None, 2000, None)),
        ("不超过1500的电视", (None, 1500, None)),
        ("500以内", (None, 500, None)),
        ("两千块左右的手机", (None, 2000, None)),
        ("1000到1500的电视", (1000, 1500, None)),
        ("至少800的笔记本", (800, None, None)),
        ("人民币三千元以内", (None, 3000, "CNY")),
        ("两百欧元以下的耳机", (None, 200, "EUR")),
        ("65寸电视", (None, None, None)),
        ("16G内存的电脑", (None, None, None)),
        ("5G手机", (None, None, None)),
        ("用了两年的手机", (None, None, None)),
        # amounts said roughly, as people do
        ("学生党，笔记本预算四五千", (4000, 5000, None)),
        ("三四百的耳机", (300, 400, None)),
        ("别太贵，三百多就行", (None, 400, None)),
        ("预算2000多的手机", (None, 3000, None)),
        ("1k以下的手表", (None, 1000, None)),
        ("1.5w左右的电脑", (None, 15000, None)),
        ("想要4k电视", (None, None, None)),  # a resolution, not money
        ("十多个G的流量", (None, None, None)),
    ],
)
def test_chinese_budgets(text: str, budget: tuple) -> None:
    assert parse_budget(text) == budget


@pytest.mark.parametrize(
    ("text", "category", "uses", "features", "cheap"),
    [
        ("三千块以下的游戏笔记本", "laptops", ("gaming",), (), False),
        ("便宜点的手机，最多400镑", "phones", (), (), True),
        ("想买个降噪耳机", "headphones", (), ("noise cancelling",), False),
        ("给孩子买个平板", "tablets", ("children",), (), False),
        ("跑步用的防水手表", "wearables", ("running and the gym",), ("waterproofing",), False),
        ("我的电视声音太小了，想买个音箱", "audio", (), (), False),
        ("有没有性价比高的5G手机", "phones", (), ("5G",), True),
    ],
)
def test_chinese_categories_uses_and_features(
    text: str, category: str, uses: tuple, features: tuple, cheap: bool
) -> None:
    c = parse_constraints(text, CATEGORIES)
    assert (c.category, c.uses, c.features, c.prefer_cheap) == (category, uses, features, cheap)


@pytest.mark.parametrize(
    "text",
    [
        "笔记本电脑可以退货吗",
        "手机坏了能保修吗",
        "最便宜的手机是哪款",
        "我的订单到哪了",
        "手机分期利息多少",
    ],
)
def test_questions_about_the_shop_are_not_shopping_requests(text: str) -> None:
    assert shopping_request(text, CATEGORIES) is None


def test_a_bare_budget_narrows_the_last_recommendation() -> None:
    assert budget_refinement("最多五百吧").max_price == 500
    assert budget_refinement("500以内").max_price == 500
    assert budget_refinement("那个防水吗") is None
    assert refinement("第一个防水吗", CATEGORIES) is None
    assert refinement("要降噪的", CATEGORIES).features == ("noise cancelling",)


def test_the_headline_says_the_request_in_chinese() -> None:
    assert (
        headline(category="laptops", uses=("gaming",), max_price=1000)
        == "£1,000 以下的适合游戏的笔记本电脑"
    )
