# ruff: noqa: RUF001  (Chinese text, on purpose)
"""Offline value parsers: what a shop assistant hears, normalised."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.parsers import find_all, parse_number
from bot.nlu.zh_numbers import parse_zh_number

TODAY = date(2026, 11, 28)  # a Saturday


def _values(text: str) -> list[tuple[str, object]]:
    return [(f.entity, f.value) for f in find_all(text, today=TODAY)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my budget is $1,200", [("money", 1200.0)]),
        ("under 2k dollars", [("money", 2000.0)]),
        ("about 500 euros", [("money", 500.0)]),
        ("twenty-five bucks", [("money", 25.0)]),
        ("for 2 years", [("duration", 63113904)]),
        ("in a couple of weeks", [("duration", 1209600)]),
        ("1.5 hours", [("duration", 5400)]),
        ("three phones please", [("count", 3)]),
        ("a dozen cases", [("count", 12)]),
        ("deliver next friday", [("date", "2026-12-04")]),
        ("tomorrow", [("date", "2026-11-29")]),
        ("on 24/12/2026", [("date", "2026-12-24")]),
        ("on 3rd of march, 2027", [("date", "2027-03-03")]),
        ("dec 3rd", [("date", "2026-12-03")]),
        ("mail Jo.Doe@Example.com", [("email", "jo.doe@example.com")]),
        ("call +1 555 123 4567", [("phone", "+15551234567")]),
        (
            "2 laptops for 3 months under $900",
            [("count", 2), ("duration", 7889238), ("money", 900.0)],
        ),
    ],
)
def test_values_are_found_and_normalised(text: str, expected: list) -> None:
    assert _values(text) == expected


def test_money_keeps_its_currency_and_spans_are_exact() -> None:
    [found] = find_all("I can spend £300 max", today=TODAY)
    assert found.extra == {"currency": "GBP"}
    assert "I can spend £300 max"[found.start : found.end] == "£300"


@pytest.mark.parametrize("text", ["", "😀🙈🎉", "x" * 10_000, "Мой платёж 未到", "2026-02-30"])
def test_bad_input_yields_nothing_or_valid_values(text: str) -> None:
    for found in find_all(text, today=TODAY):
        assert text[found.start : found.end] == found.text


def test_number_words() -> None:
    assert parse_number("two hundred") == 200
    assert parse_number("1,250.5") == 1250.5
    assert parse_number("lots") is None


# Chinese: same entity names and values as English, spans exact in text without spaces.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("二十个G", [("count", 20)]),
        ("20G流量", [("count", 20)]),
        ("两千块", [("money", 2000.0)]),
        ("一百五十元", [("money", 150.0)]),
        ("3千", [("count", 3000)]),
        ("每月两百", [("count", 200)]),
        ("五年", [("duration", 5 * 31_556_952)]),
        ("两年半", [("duration", int(2.5 * 31_556_952))]),
        ("十个月", [("duration", 10 * 2_629_746)]),
        ("一个半月", [("duration", int(1.5 * 2_629_746))]),
        ("半小时", [("duration", 1800)]),
        ("十分钟", [("duration", 600)]),
        ("两个星期", [("duration", 2 * 604800)]),
        ("我预算两千块左右", [("money", 2000.0)]),
        ("给我推荐一个三千以下的手机", [("count", 3000)]),
        ("我要两台笔记本", [("count", 2)]),
        ("¥1500", [("money", 1500.0)]),
        ("人民币3000元", [("money", 3000.0)]),
        ("两千多块钱", [("money", 2000.0)]),
        ("大概1.5万元", [("money", 15000.0)]),
        ("预算两百英镑", [("money", 200.0)]),
        ("分24个月还，每月收入八千", [("duration", 24 * 2_629_746), ("count", 8000)]),
        ("我想要一个10GB的套餐，每月50元以内", [("count", 10), ("money", 50.0)]),
        ("三", [("count", 3)]),
        ("30G", [("count", 30)]),
    ],
)
def test_chinese_values_are_found_and_normalised(text: str, expected: list) -> None:
    assert _values(text) == expected
    for found in find_all(text, today=TODAY):
        assert text[found.start : found.end] == found.text


@pytest.mark.parametrize(
    "text",
    [
        "三星手机怎么样",  # Samsung
        "我们一起去",  # "together"
        "十分感谢",  # "very"
        "第三个问题",  # an ordinal
        "三月份到货吗",  # March, not three months
        "5G手机有哪些",  # a network, not five gigabytes
        "iPhone15多少钱",  # a model name
        "我想要一个",  # "a", not one
        "三四个",  # a range
    ],
)
def test_chinese_words_with_numerals_in_them_are_not_values(text: str) -> None:
    assert _values(text) == []


def test_chinese_money_and_data_keep_their_details() -> None:
    text = "我预算两千块左右"
    [money] = find_all(text, today=TODAY)
    assert (money.start, money.end, money.extra) == (3, 6, {"currency": "CNY"})
    [data] = find_all("每月二十个G流量", today=TODAY)
    assert (data.text, data.start, data.extra) == ("二十", 2, {"unit": "GB"})
    [years] = find_all("贷款五年", today=TODAY)
    assert years.extra == {"amount": 5.0, "unit": "year"}


def test_a_year_is_not_a_length_of_time() -> None:
    assert [f.entity for f in find_all("2030年之前", today=TODAY)] == ["count"]


def test_english_text_is_read_as_before() -> None:
    assert _values("the 3rd") == []
    assert _values("5G phone") == []
    assert _values("I use 30GB") == [("count", 30)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("二十", 20),
        ("十五", 15),
        ("一百五十", 150),
        ("一百五", 150),
        ("两千五", 2500),
        ("两千五百", 2500),
        ("三万五", 35000),
        ("一千零五", 1005),
        ("一千零五十", 1050),
        ("3千", 3000),
        ("3千5", 3500),
        ("1.5万", 15000),
        ("一亿两千万", 120_000_000),
        ("一百二十三万四千五百六十七", 1_234_567),
        ("一九九八", 1998),
        ("２０", 20),
        ("贰佰", 200),
    ],
)
def test_chinese_numbers(text: str, value: float) -> None:
    assert parse_zh_number(text) == value


@pytest.mark.parametrize(
    "text", ["", "万", "千万", "两千五六", "一两", "三四", "手机", "四五千", "三四百"]
)
def test_not_chinese_numbers(text: str) -> None:
    assert parse_zh_number(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("明天", "2026-11-29"),
        ("后天能到吗", "2026-11-30"),
        ("周五开门吗", "2026-12-04"),  # the coming Friday
        ("下周五", "2026-12-04"),  # Friday of next week (today is a Saturday)
        ("我想在下星期一之前收到", "2026-11-30"),
        ("上周三买的", "2026-11-18"),
        ("这周日", "2026-11-29"),
        ("12月24日", "2026-12-24"),
        ("十二月二十四号", "2026-12-24"),
        ("2027年3月3日", "2027-03-03"),
        ("5月1日", "2027-05-01"),  # past this year: next year's
    ],
)
def test_chinese_dates(text: str, value: str) -> None:
    [found] = find_all(text, today=TODAY)
    assert (found.entity, found.value) == ("date", value)
    assert text[found.start : found.end] == found.text
