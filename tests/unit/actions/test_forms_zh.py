# ruff: noqa: RUF001  (Chinese punctuation, on purpose)
"""The forms in a Chinese conversation: Chinese answers, corrections, exits and re-asks."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.credit import CREDIT_SLOTS, ActionCreditPrecheck, ValidateCreditForm
from actions.plans import (
    MOBILE_SLOTS,
    SAVINGS_SLOTS,
    ActionMobilePlan,
    ActionSavingsPlan,
    ValidateMobilePlanForm,
    ValidateSavingsPlanForm,
)
from tests.unit.actions.form_driver import Conversation

pytestmark = pytest.mark.usefixtures("chinese_runtime")


@pytest.fixture
def chinese_runtime(install_runtime: Any) -> None:
    install_runtime()


def chinese(form: str, slots: dict[str, Any], validator: Any, submit: Any) -> Conversation:
    chat = Conversation(form, list(slots), validator, submit)
    chat.slots["language"] = "zh"
    return chat


def mobile() -> Conversation:
    return chinese("mobile_plan_form", MOBILE_SLOTS, ValidateMobilePlanForm(), ActionMobilePlan())


def card(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return next(m for m in messages if m.get("custom"))


async def test_a_plan_in_chinese_with_a_correction_mid_form() -> None:
    chat = mobile()
    await chat.say("大概10个G")
    assert chat.slots["plan_data_gb"] == 10
    await chat.say("每月一百分钟")
    assert chat.slots["plan_minutes"] == 100
    reply = await chat.say("改成20G")
    assert chat.slots["plan_data_gb"] == 20
    assert "好的：每月流量（GB） 20。" in chat.texts(reply)
    assert chat.requested == "plan_roaming_days"
    await chat.say("没有")
    assert chat.slots["plan_roaming_days"] == 0
    final = await chat.say("预算两千块")  # over the range: re-asked in Chinese
    assert chat.requested == "plan_budget"
    assert "预算" in chat.texts(final)
    final = await chat.say("30镑左右吧")
    message = card(final)
    assert message["custom"]["data"]["usage"]["data_gb"] == 20
    assert message["custom"]["data"]["usage"]["budget"] == 30
    assert message["text"].startswith("这是能满足您用量的最便宜的方案")


async def test_a_correction_after_the_plan_result_redoes_it_in_chinese() -> None:
    from actions.revise import ActionReviseAnswers
    from bot.sdk.forms import LAST_ANSWERS_SLOT
    from tests.unit.actions.form_driver import tracker

    answers = {"plan_data_gb": 5.0, "plan_minutes": 300.0, "plan_roaming_days": 0.0}
    slots = {
        "language": "zh",
        LAST_ANSWERS_SLOT: {"form": "mobile_plan_form", "answers": {**answers, "plan_budget": 20}},
    }
    dispatcher = CollectingDispatcher()
    await ActionReviseAnswers().run(dispatcher, tracker("改成30个G吧", slots), {})
    texts = [m.get("text") or "" for m in dispatcher.messages]
    assert texts[0] == "好的：每月流量（GB） 30。这是更新后的结果。"
    assert card(dispatcher.messages)["custom"]["data"]["usage"]["data_gb"] == 30


@pytest.mark.parametrize(
    ("answer", "value"),
    [("不限", 2000.0), ("无限流量", 2000.0), ("一个月二十个G吧", 20.0), ("500兆", 0.5)],
)
async def test_data_answers_in_chinese(answer: str, value: float) -> None:
    chat = mobile()
    await chat.say(answer)
    assert chat.slots["plan_data_gb"] == value


async def test_a_chinese_answer_that_makes_no_sense_is_reasked_in_chinese() -> None:
    chat = mobile()
    reply = await chat.say("挺多的")
    assert chat.slots["plan_data_gb"] is None
    assert "流量" in chat.texts(reply) and "GB" in chat.texts(reply)
    reply = await chat.say("300分钟")  # minutes named by their unit answer that question
    assert chat.slots["plan_minutes"] == 300 and "通话" in chat.texts(reply)


@pytest.mark.parametrize("exit_words", ["算了", "不要了", "算了吧，谢谢", "取消", "不用了"])
async def test_chinese_exit_words_leave_the_form(exit_words: str) -> None:
    chat = mobile()
    await chat.say("10G")
    reply = await chat.say(exit_words)
    assert chat.slots["plan_data_gb"] is None
    assert "停下" in chat.texts(reply)


async def test_a_savings_plan_in_chinese() -> None:
    chat = chinese(
        "savings_plan_form", SAVINGS_SLOTS, ValidateSavingsPlanForm(), ActionSavingsPlan()
    )
    await chat.say("存两万")
    assert chat.slots["savings_goal"] == 20000
    await chat.say("五年内")
    assert chat.slots["savings_date"] is not None
    await chat.say("已经存了三千")
    assert chat.slots["savings_current"] == 3000
    await chat.say("等等看吧")
    assert chat.slots["savings_loss_reaction"] == "wait"
    final = await chat.say("投过一点")
    assert chat.slots.get("savings_experience") is None  # reset after the result
    assert card(final)["custom"]["type"] == "savings_plan"


async def test_a_credit_pre_check_in_chinese() -> None:
    chat = chinese("credit_form", CREDIT_SLOTS, ValidateCreditForm(), ActionCreditPrecheck())
    answers = {
        "借一千五": ("credit_amount", 1500),
        "两年": ("credit_term_months", 24),
        "税后两千二左右": ("credit_monthly_income", 2200),
        "透支五十": ("credit_checking_balance", -50),
        "存款大概五百": ("credit_savings", 500),
        "干了三年了": ("credit_employment_years", 3),
        "租房": ("credit_housing", "rent"),
        "一直按时还": ("credit_history", "paid_on_time"),
    }
    for text, (slot, value) in answers.items():
        await chat.say(text)
        assert chat.slots[slot] == value, text
    final = await chat.say("没有")
    message = card(final)
    assert message["custom"]["type"] == "credit_score"
    assert any(ord(ch) > 0x4E00 for ch in message["text"])


async def test_a_term_the_amount_does_not_allow_is_refused_in_chinese() -> None:
    chat = chinese("credit_form", CREDIT_SLOTS, ValidateCreditForm(), ActionCreditPrecheck())
    reply = await chat.say("借两百")
    assert chat.slots["credit_amount"] is None and "300" in chat.texts(reply)
    await chat.say("借五百")
    reply = await chat.say("36个月")
    assert chat.slots["credit_term_months"] is None
    assert "还款期" in chat.texts(reply)


async def test_a_yearly_answer_is_converted_and_the_conversion_said_in_chinese() -> None:
    chat = mobile()
    await chat.say("10G")
    reply = await chat.say("每周大概两个小时电话")
    assert chat.slots["plan_minutes"] == 520
    assert "每周 120，约合每月 520，我按每月 520 来算。" in chat.texts(reply)
    assert "a week" not in chat.texts(reply)
