# ruff: noqa: RUF001  (Chinese punctuation, on purpose)
"""Chinese form answers rewritten for the English parsers, phrase by phrase."""

from __future__ import annotations

import pytest

from bot.sdk.form_text import is_exit, is_question
from bot.sdk.form_zh import english_answer


@pytest.mark.parametrize(
    ("answer", "read_as"),
    [
        ("大概10个G", "10 GB"),
        ("一个月二十个G吧", "20 GB 吧"),
        ("500兆", "500 MB"),
        ("不限", "unlimited"),
        ("每月一百分钟", "100 minutes"),
        ("一周两天", "2 days a week"),
        ("预算两千块", "budget 2000 pounds"),
        ("年薪三万", "30000 a year"),
        ("1.5万", "15000"),
        ("改成20G", "actually make it 20 GB"),
        ("没有", "none"),
        ("不出国", "none"),
        ("一天都没有", "none"),
        ("基本不打电话", "none"),
        ("不知道", "don't know"),
        ("没有账户", "no account"),
        ("透支两百", "overdrawn 200"),
        ("没工作", "not working"),
        ("2030年6月", "June 2030"),
        ("五年内", "5 years 内"),
        ("两年半", "2.5 years"),
        ("一直按时还", "一直按时还"),  # a numeral inside a word is not a number
        ("投过一点", "投过一点"),
        ("10gb", "10gb"),  # not Chinese: unchanged
        ("一个月三四千", "3500"),  # "three or four thousand": the middle, said back
        ("存款有五六万", "savings 有 55000"),
        ("两三次", "两三次"),  # a count without a unit to scale stays
    ],
)
def test_chinese_answers_in_the_parsers_words(answer: str, read_as: str) -> None:
    assert english_answer(answer) == read_as


@pytest.mark.parametrize(
    "text", ["算了", "不要了", "算了吧，谢谢", "取消", "不用了", "好吧，不弄了"]
)
def test_chinese_exits(text: str) -> None:
    assert is_exit(text)


@pytest.mark.parametrize("text", ["算了，我还是要10G", "不要超过30镑", "10G", "不限"])
def test_answers_that_only_start_like_an_exit_are_not_one(text: str) -> None:
    assert not is_exit(text)


def test_chinese_questions() -> None:
    assert is_question("10G够用吗") and is_question("请问保修多久") and is_question("多少钱？")
    assert not is_question("大概10个G") and not is_question("每月一百分钟")
