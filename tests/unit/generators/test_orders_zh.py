# ruff: noqa: RUF001  (Chinese text, on purpose)
"""An order's status in Chinese: the same facts as the English reply, no English sentence."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from generators.orders_zh import day_zh, describe_zh, items_zh
from tests.unit.generators.test_orders import TODAY, order

_ENGLISH_WORDS = re.compile(r"\b(?:the|is|was|your|order|it|and|on|by|of|to)\b", re.I)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({}, ["正在配送途中", "Royal Mail", "RM123454321GB", "3月14日（周五）"]),
        (
            {"status": "delivered", "delivered_on": TODAY - dt.timedelta(days=1)},
            ["已于3月11日（周二）送达", "索赔"],
        ),
        ({"status": "cancelled"}, ["已取消", "5 个工作日内退还"]),
        (
            {"status": "ready_for_collection", "collect_store": "Voltline Riverside"},
            ["已可以在 Voltline Riverside 取货", "身份证件", "7 天"],
        ),
        ({"status": "processing", "carrier": None}, ["正在我们的仓库备货", "3月14日（周五）"]),
        (
            {"status": "delayed", "promised_by": TODAY - dt.timedelta(days=3)},
            ["本应在3月9日（周日）前送达", "晚了 3 天", "RM123454321GB"],
        ),
        ({"status": "delayed"}, ["延误了", "3月14日（周五）"]),
    ],
)
def test_each_status_is_said_in_chinese(changes: dict, says: list[str]) -> None:
    text = describe_zh(order(**changes), TODAY)
    assert text.startswith("您的订单 VL-10023（Nova 8）")
    for part in says:
        assert part in text
    # only the order's own data (items, carrier, store, numbers) is in Latin letters
    data = ("Nova 8", "Royal Mail", "RM123454321GB", "VL-10023", "Voltline Riverside")
    rest = text
    for value in data:
        rest = rest.replace(value, "")
    assert not _ENGLISH_WORDS.search(rest), rest
    assert "example.com" not in text.lower() and "LS1" not in text


def test_days_in_chinese() -> None:
    assert day_zh(TODAY) == "3月12日（周三）"


def test_items_the_catalogue_names_in_chinese_are_so_named() -> None:
    names = {
        "aerobook sleeve 14": "AeroBook 14 英寸电脑内胆包",
        "echo go speaker": "Echo Go 便携音箱",
    }
    text = describe_zh(order(items="AeroBook 14, AeroBook Sleeve 14"), TODAY, names)
    assert text.startswith("您的订单 VL-10023（AeroBook 14、AeroBook 14 英寸电脑内胆包）")
    assert items_zh("echo go speaker", names) == "Echo Go 便携音箱"
    # what the catalogue doesn't sell stays as the order system wrote it
    assert items_zh("Gift wrap, Echo Go Speaker", names) == "Gift wrap、Echo Go 便携音箱"
    assert items_zh("", names) == ""
