# ruff: noqa: RUF001  (Chinese punctuation, on purpose)
"""Recommendations in a Chinese conversation: constraints from Chinese words, Chinese texts."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.recommend as recommend_actions
from actions.recommend import ActionInformOutsideForm, ActionRecommendProducts
from generators.embeddings import HashingEmbedder
from generators.recommend import HybridRecommender, load_products
from generators.schemas import json_schema
from tests.conftest import CATALOG_DIR
from tests.unit.actions.form_driver import tracker


@pytest.fixture(autouse=True)
def chinese_catalog(install_runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    install_runtime()
    rec = HybridRecommender.from_catalog(CATALOG_DIR, embedder=HashingEmbedder())
    monkeypatch.setattr(recommend_actions, "default_recommender", lambda: rec)


async def ask(text: str, *, intent: str = "ask_recommendation") -> dict[str, Any]:
    dispatcher = CollectingDispatcher()
    action = (
        ActionRecommendProducts() if intent == "ask_recommendation" else ActionInformOutsideForm()
    )
    await action.run(dispatcher, tracker(text, {"language": "zh"}, intent=intent), {})
    [message] = dispatcher.messages
    return message


async def test_a_cheap_phone_under_400_pounds() -> None:
    message = await ask("便宜点的手机，最多400镑")
    data = message["custom"]["data"]
    jsonschema.validate(data, json_schema("recommendations"))
    assert data["items"] and all(i["category"] == "phones" for i in data["items"])
    assert all(i["price"] <= 400 and i["fits"] for i in data["items"])
    assert data["items"][0]["reason"].startswith("£329，在您 £400 的预算内")
    assert message["text"] == "这是我的首选推荐。"
    assert [b["title"] for b in message["buttons"]][-1] == "了解分期付款"
    assert message["buttons"][0]["title"].startswith("详情：")


async def test_nothing_fits_is_said_honestly_in_chinese() -> None:
    message = await ask("一千以下的游戏笔记本")
    data = message["custom"]["data"]
    assert all(not i["fits"] and i["price"] > 1000 for i in data["items"])
    assert data["note"].startswith("我们的商品里没有符合“£1,000 以下的适合游戏的笔记本电脑”的")
    assert message["text"] == data["note"]
    first = data["items"][0]
    assert "超出您 £1,000 的预算" in first["reason"] and "适合游戏" in first["reason"]
    assert first["misses"] == ["超出您 £1,000 的预算 £299"]


async def test_a_gaming_laptop_under_three_thousand_fits() -> None:
    message = await ask("三千块以下的游戏笔记本")
    items = message["custom"]["data"]["items"]
    assert items and all(i["fits"] and i["price"] <= 3000 for i in items)
    assert all(i["category"] == "laptops" and "适合游戏" in i["reason"] for i in items)


async def test_a_chinese_shopping_request_read_as_an_answer_is_still_recommended() -> None:
    message = await ask("想买个降噪耳机，预算两百", intent="inform")
    items = message["custom"]["data"]["items"]
    assert items and all(i["category"] == "headphones" and i["price"] <= 200 for i in items)


async def test_the_card_and_its_buttons_name_products_as_the_chinese_catalogue_does() -> None:
    message = await ask("户外用的三防手机")
    items = message["custom"]["data"]["items"]
    names = {i["product_id"]: i["name"] for i in items}
    assert names.get("terra-x") == "Terra X 三防手机", names
    details = [b["title"] for b in message["buttons"] if b["title"].startswith("详情：")]
    assert "详情：Terra X 三防手机" in details
    payloads = [b["payload"] for b in message["buttons"]]
    assert all(p.startswith("/") and "三防" not in p for p in payloads)


def test_pick_buttons_title_in_the_language_and_payload_by_id() -> None:
    products = load_products(CATALOG_DIR / "products.yml")[0]
    terra = [p for p in products if p.id in ("terra-x", "nova-8")]
    buttons = recommend_actions.pick_buttons(terra, "ask_product_details", "zh")
    assert [b["title"] for b in buttons] == ["Nova 8", "Terra X 三防手机"]
    assert buttons[1]["payload"] == '/ask_product_details{"product": "terra-x"}'
    english = recommend_actions.pick_buttons(terra, "ask_product_details")
    assert english[1]["title"] == "Terra X Rugged"


async def test_the_reasons_quote_the_chinese_description() -> None:
    message = await ask("三千块以下的游戏笔记本")
    reasons = {i["product_id"]: i["reason"] for i in message["custom"]["data"]["items"]}
    assert "165 Hz 屏幕" in reasons["forge-g15"], reasons
    assert "display" not in reasons["forge-g15"] and "graphics" not in reasons["forge-g15"]
    sport = await ask("跑步用的耳机")
    items = sport["custom"]["data"]["items"]
    assert any("防汗运动耳机" in i["reason"] for i in items), [i["reason"] for i in items]
