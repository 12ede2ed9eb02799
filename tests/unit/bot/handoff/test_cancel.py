# ruff: noqa: RUF001  (Chinese messages, on purpose)
"""A waiting customer who takes back the request for a person, and one who does not."""

from __future__ import annotations

import pytest

from bot.handoff.cancel import wants_to_cancel


@pytest.mark.parametrize(
    "text",
    [
        "never mind",
        "Nevermind!!",
        "nvm thx",
        "ok forget it",
        "forget about it then",
        "cancel",
        "Cancel that please",
        "cancel the request",
        "actually no, I changed my mind",
        "i dont need a person anymore",
        "no need, sorted it",
        "stop waiting",
        "I'll wait for the bot",
        "ok i'll just talk to the assistant",
        "forget it, i'll just use the bot",
        "let me go back to Volt",
        "It\u2019s fine, I\u2019ll stick with the chatbot",
    ],
)
def test_taking_the_request_back(text: str) -> None:
    assert wants_to_cancel(text)


@pytest.mark.parametrize(
    "text",
    [
        "can I cancel my order?",
        "I want to cancel my contract",
        "cancel my subscription please",
        "never mind the charger, the phone doesn't turn on either",
        "my nova 8 wont charge",
        "hello? is anyone there",
        "how long will this take",
        "the bot was useless",
        "stop charging me twice",
        "",
        "   ",
    ],
)
def test_messages_for_the_colleague_stay_in_the_queue(text: str) -> None:
    assert not wants_to_cancel(text)


def test_the_assistant_is_known_by_its_configured_name() -> None:
    assert wants_to_cancel("I'll carry on with Max", assistant_names=("Max",))
    assert not wants_to_cancel("I'll carry on with Max", assistant_names=("Volt",))


@pytest.mark.parametrize(
    "text",
    [
        "算了",
        "好的，算了",
        "不用了，谢谢",
        "取消",
        "我不等了",
        "嗯 不需要了",
        "算了，不用了",
        "还是不用了",
    ],
)
def test_chinese_cancel_phrases_take_the_request_back(text: str) -> None:
    assert wants_to_cancel(text)


@pytest.mark.parametrize(
    "text", ["我的订单取消了吗", "算了吧，手机还是充不了电", "不用了的配件能退吗"]
)
def test_chinese_messages_for_the_colleague_stay(text: str) -> None:
    assert not wants_to_cancel(text)
