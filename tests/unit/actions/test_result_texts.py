# ruff: noqa: RUF001  (Chinese text, on purpose)
"""The texts above the structured results in a Chinese conversation (locales/zh.yml)."""

from __future__ import annotations

import jsonschema
import pytest

from actions.texts import say
from generators.schemas import json_schema
from tests.unit.actions.test_credit_form import WEAK
from tests.unit.actions.test_credit_form import conversation as credit_conversation
from tests.unit.actions.test_plans import card, mobile, savings


@pytest.fixture(autouse=True)
def _runtime(install_runtime) -> None:
    install_runtime()


def test_english_never_reads_the_catalog_and_a_missing_text_falls_back() -> None:
    assert say("results.nowhere", None, "Hello {name}.", name="Ann") == "Hello Ann."
    assert say("results.nowhere", "zh", "Hello {name}.", name="Ann") == "Hello Ann."
    assert (
        say("results.credit.score", "zh", "unused", score=640) == "参考评分：640 分（满分 1000）。"
    )


async def test_a_declined_pre_check_is_explained_in_chinese() -> None:
    chat = credit_conversation()
    chat.slots["language"] = "zh"
    for text in WEAK:
        final = await chat.say(text)
    result = card(final)
    assert result["text"].startswith("根据这些回答，目前您获得分期付款的可能性不大。参考评分：")
    assert "拉低您评分的主要因素：" in result["text"]
    assert "代表性示例：借款 £9,000.00，分 36 个月" in result["text"]
    assert result["text"].endswith("包括查询信用参考机构的记录。")
    reasons = [r["reason"] for r in result["custom"]["data"]["reasons"]]
    assert reasons and all(not r.isascii() for r in reasons), reasons  # the card's, in Chinese
    example = result["custom"]["data"]["financing"]["representative_example"]
    assert example.startswith("代表性示例：借款 £9,000.00")  # the card's too
    offer = final[-1]
    assert offer["text"] == "需要请我们金融团队的同事和您详细谈谈吗？"
    assert [b["title"] for b in offer["buttons"]] == ["好的，转人工", "不用了，谢谢"]


def test_an_interest_free_example_says_so_in_chinese() -> None:
    from actions.credit import representative_example
    from generators.financing import FinancingOffer

    offer = FinancingOffer(
        currency="GBP",
        amount=1200,
        term_months=12,
        apr_percent=0,
        monthly_payment=100,
        total_payable=1200,
        representative_example="Representative example: …",
    )
    assert representative_example(offer, "zh") == (
        "代表性示例：借款 £1,200.00，分 12 个月，代表性年利率 0%，每月还款 £100.00；"
        "应还总额 £1,200.00，按时还款无利息、无手续费。"
    )
    assert representative_example(offer) == "Representative example: …"


async def test_plan_and_savings_cards_have_chinese_lead_ins() -> None:
    chat = mobile()
    chat.slots["language"] = "zh"
    for text in ("about 12 GB", "500 minutes", "actually my budget is 30", "3 days a month"):
        final = await chat.say(text)
    assert card(final)["text"] == "这是能满足您用量的最便宜的方案。"
    chat = savings()
    chat.slots["language"] = "zh"
    for text in ["£10,000", "in 5 years", "I've got 1000", "I'd wait it out", "a little"]:
        final = await chat.say(text)
    message = card(final)
    assert message["text"] == "这是为您的目标制定的储蓄计划，以及我的计算方法。"
    data = message["custom"]["data"]
    jsonschema.validate(data, json_schema("savings_plan"))
    assert data["steps"][0].startswith("风险评分 ") and "平衡型" in data["steps"][0]
    assert data["disclaimer"].startswith("本计划仅为示例，并非理财建议。")
    assert data["risk_profile"] == "balanced"  # codes stay codes


async def test_the_last_pre_check_is_explained_in_chinese_with_its_example() -> None:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.credit import LAST_RESULT_SLOT, ActionExplainCreditResult

    chat = credit_conversation()
    chat.slots["language"] = "zh"
    for text in WEAK:
        final = await chat.say(text)
    data = card(final)["custom"]["data"]
    data["financing"]["representative_example"] = "Representative example: stored in English"
    slots = {"language": "zh", LAST_RESULT_SLOT: data}
    tracker = Tracker("c", slots, {}, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    await ActionExplainCreditResult().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"].startswith("您上一次预审的结果是可能性不大")
    assert "代表性示例：借款 £9,000.00" in message["text"]
    assert "Representative example" not in message["text"]
