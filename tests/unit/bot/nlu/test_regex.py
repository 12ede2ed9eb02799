# ruff: noqa: RUF001  (Chinese text, on purpose)
"""MultilingualRegexEntityExtractor: lookups inside Chinese text, boundaries in English."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.engine

PRODUCTS = ["Nova 8", "nova 8", "AeroBook 14", "iPad"]
CATEGORIES = ["phone", "laptop", "手机", "笔记本", "笔记本电脑", "电脑", "平板"]


def _matches(elements: list[str], text: str) -> list[str]:
    from bot.nlu.regex import lookup_pattern

    return [m.group() for m in re.finditer(lookup_pattern(elements), text)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("我想买Nova 8", ["Nova 8"]),
        ("Nova 8多少钱", ["Nova 8"]),
        ("is the Nova 8 good?", ["Nova 8"]),
        ("nova 8，有货吗", ["nova 8"]),
        ("Nova 80", []),  # a digit is no boundary
        ("the AeroBook 14s", []),  # nor is a letter
        ("买个iPad给孩子", ["iPad"]),
        ("iPads", []),
    ],
)
def test_spaced_names_need_a_boundary_only_against_letters_and_digits(
    text: str, found: list[str]
) -> None:
    assert _matches(PRODUCTS, text) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("买什么手机好", ["手机"]),  # Chinese words match inside Chinese text
        ("5G手机", ["手机"]),
        ("笔记本电脑多少钱", ["笔记本电脑"]),  # the longest element, not 笔记本 + 电脑
        ("平板电脑", ["平板", "电脑"]),  # only what the table lists
        ("a phone and a laptop", ["phone", "laptop"]),
        ("telephone", []),
    ],
)
def test_chinese_elements_match_anywhere_and_the_longest_wins(text: str, found: list[str]) -> None:
    assert _matches(CATEGORIES, text) == found


def test_without_word_boundaries_elements_match_anywhere() -> None:
    from bot.nlu.regex import lookup_pattern

    assert re.findall(lookup_pattern(["phone"], word_boundaries=False), "telephone") == ["phone"]


def test_special_characters_are_literal() -> None:
    assert _matches(["USB-C Hub 7-in-1", "65W (USB-C)"], "买个65W (USB-C)充电器") == ["65W (USB-C)"]


def test_the_component_trains_persists_and_extracts(tmp_path) -> None:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.regex import MultilingualRegexEntityExtractor

    annotated = Message(
        data={
            "text": "is the Nova 8 a good phone for the Plus plan",
            "intent": "ask",
            "entities": [
                {"entity": "product", "start": 7, "end": 13, "value": "Nova 8"},
                {"entity": "product_category", "start": 21, "end": 26, "value": "phone"},
                {"entity": "plan", "start": 35, "end": 39, "value": "Plus"},
            ],
        }
    )
    training_data = TrainingData(
        training_examples=[annotated],
        lookup_tables=[
            {"name": "product", "elements": PRODUCTS},
            {"name": "product_category", "elements": CATEGORIES},
            {"name": "store", "elements": ["机场店"]},  # no annotated store: not used
        ],
        regex_features=[{"name": "plan", "pattern": r"Plus(?=套餐|\s+plan)"}],
    )
    storage = LocalModelStorage(tmp_path)
    resource = Resource("regex")
    context = ExecutionContext(GraphSchema({}), node_name="regex")
    config = {**MultilingualRegexEntityExtractor.get_default_config(), "case_sensitive": True}
    extractor = MultilingualRegexEntityExtractor.create(config, storage, resource, context)
    extractor.train(training_data)
    assert sorted(p["name"] for p in extractor.patterns) == ["plan", "product", "product_category"]

    loaded = MultilingualRegexEntityExtractor.load(config, storage, resource, context)
    [message] = loaded.process([Message(data={"text": "我想买Nova 8手机，办Plus套餐"})])
    found = [(e["entity"], e["value"], e["extractor"]) for e in message.get("entities")]
    assert sorted(found) == [
        ("plan", "Plus", "MultilingualRegexEntityExtractor"),
        ("product", "Nova 8", "MultilingualRegexEntityExtractor"),
        ("product_category", "手机", "MultilingualRegexEntityExtractor"),
    ]


def test_the_reference_plan_pattern_reads_chinese_neighbours() -> None:
    """data/nlu/entities.yml's plan pattern: a Han neighbour is a boundary, a letter is not."""
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[4]
    data = yaml.safe_load((root / "data" / "nlu" / "entities.yml").read_text(encoding="utf-8"))
    [block] = [b for b in data["nlu"] if b.get("regex") == "plan"]
    patterns = [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]

    def plans(text: str) -> list[str]:
        return [m.group() for p in patterns for m in re.finditer(p, text)]

    assert plans("Plus套餐有漫游吗") == ["Plus"]
    assert plans("换成plus套餐") == ["plus"]
    assert plans("the Plus plan") == ["Plus"]
    assert plans("plus shipping") == []
    assert plans("Pluses") == []
