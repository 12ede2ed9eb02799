# ruff: noqa: RUF001  (Chinese text, on purpose)
"""OfflineValueExtractor inside Rasa: entities in Duckling's shape, next to others."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = pytest.mark.engine


def _extractor(**config):
    from bot.nlu.entities import OfflineValueExtractor

    return OfflineValueExtractor({**OfflineValueExtractor.get_default_config(), **config})


def test_adds_entities_after_existing_ones() -> None:
    from rasa.shared.nlu.training_data.message import Message

    existing = {"entity": "product_category", "value": "laptop", "start": 8, "end": 14}
    message = Message(data={"text": "I need 2 laptops under $900", "entities": [existing]})

    [out] = _extractor().process([message], today=date(2026, 11, 28))

    entities = out.get("entities")
    assert entities[0] == existing
    assert [(e["entity"], e["value"]) for e in entities[1:]] == [("count", 2), ("money", 900.0)]
    assert entities[2]["extractor"] == "OfflineValueExtractor"
    assert entities[2]["additional_info"]["currency"] == "USD"


def test_dimensions_limit_what_is_extracted() -> None:
    from rasa.shared.nlu.training_data.message import Message

    [out] = _extractor(dimensions=["email"]).process(
        [Message(data={"text": "2 phones, mail a@b.co"})]
    )
    assert [e["entity"] for e in out.get("entities")] == ["email"]


def test_unknown_dimension_is_a_config_error() -> None:
    from rasa.shared.exceptions import InvalidConfigException

    with pytest.raises(InvalidConfigException, match="choose from"):
        _extractor(dimensions=["weather"])


def test_values_inside_entities_found_earlier_are_skipped() -> None:
    from rasa.shared.nlu.training_data.message import Message

    product = {"entity": "product", "value": "aerobook-14", "start": 7, "end": 18}
    message = Message(data={"text": "is the AeroBook 14 under $900?", "entities": [product]})

    [out] = _extractor().process([message])

    assert [e["entity"] for e in out.get("entities")] == ["product", "money"]


def test_chinese_values_have_the_english_shape_and_exact_offsets() -> None:
    from rasa.shared.nlu.training_data.message import Message

    text = "我预算两千块左右，要用两年半"
    [out] = _extractor().process([Message(data={"text": text})])

    money, duration = out.get("entities")
    assert (money["entity"], money["value"], text[money["start"] : money["end"]]) == (
        "money",
        2000.0,
        "两千块",
    )
    assert money["additional_info"]["currency"] == "CNY"
    assert duration["additional_info"] == {"text": "两年半", "amount": 2.5, "unit": "year"}
    assert text[duration["start"] : duration["end"]] == "两年半"
