"""Cards and handoff lines in the bot message's language, on Slack and Teams.

Each payload type is rendered with the language the engine puts on a bot
message (``{"language": "zh"}``); the output must carry the Chinese labels of
``bot/contract/locales/zh.json`` and none of the English ones. English, the
default, is what the other card tests check.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.channels import blocks, cards
from bot.contract.labels import labels_for, locales, message_language
from bot.contract.payloads import MESSAGE_TYPES, result_types
from tests.unit.bot.channels.test_slack import CREDIT, MOBILE, RECOMMENDATIONS, SAVINGS

pytestmark = pytest.mark.engine

MARKETING = {
    "type": "marketing_copy",
    "schema_version": 1,
    "data": {
        "brief": {"product": "Nova 8", "audience": "students", "tone": "playful"},
        "variants": [{"text": "Charge once, study all week.", "source": "template"}],
    },
}
OUTSIDE = copy.deepcopy(RECOMMENDATIONS)
OUTSIDE["data"]["items"][0]["fits"] = False
NOTHING = {**RECOMMENDATIONS, "data": {**RECOMMENDATIONS["data"], "items": []}}
RESULTS = [CREDIT, MOBILE, SAVINGS, RECOMMENDATIONS, OUTSIDE, NOTHING, MARKETING]
HANDOFF = [
    {"type": "handoff", "state": "waiting", "position": 3},
    {"type": "handoff", "state": "agent"},
    {"type": "handoff", "state": "bot"},
    {"type": "agent_message"},
]
# What each card must say in Chinese on both channels (a label the English card has too).
CHINESE = {
    "credit_score": ["信用预审", "每月还款", "代表性年利率", "影响评分的因素"],
    "mobile_plan": ["次选", "GB"],
    "savings_plan": ["目标", "每月存入", "资产配置", "股票", "稳健型"],
    "recommendations": ["为您"],
    "marketing_copy": ["Nova 8 的文案"],
}


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def english_words(channel: str) -> set[str]:
    """The English parts of the labels a channel draws ("Monthly payment", " a month")."""
    english = locales()["en"]
    words = set()
    for key, template in english.items():
        if key.startswith(("common.", f"{channel}.")):
            for part in re.split(r"\{\w+\}", template):
                part = part.strip(" :;,.()_*")
                if len(re.findall(r"[A-Za-z]", part)) >= 3:
                    words.add(part)
    return words


def without_data(shown: str, payload: dict[str, Any]) -> str:
    """The rendered text with the payload's own strings (names, reasons, disclaimers) cut out."""
    for value in sorted(set(strings(payload)), key=len, reverse=True):
        shown = shown.replace(value, "")
    return shown


def slack(payload: dict[str, Any], language: str | None) -> str:
    message = {"text": "", "custom": copy.deepcopy(payload)}
    if language:
        message["language"] = language
    rendered = blocks.render(message, team_label="Team")
    assert rendered is not None
    return rendered.text + "\n" + json.dumps(rendered.blocks, ensure_ascii=False)


def teams(payload: dict[str, Any], language: str | None) -> str:
    rendered = cards.render_custom(copy.deepcopy(payload), language=language)
    return rendered.text + "\n" + json.dumps(rendered.attachments, ensure_ascii=False)


RENDERERS = {"slack": slack, "teams": teams}


def test_every_result_type_and_handoff_message_is_covered_here() -> None:
    assert {p["type"] for p in RESULTS} == set(result_types())
    assert {p["type"] for p in HANDOFF} == set(MESSAGE_TYPES)


@pytest.mark.parametrize("channel", sorted(RENDERERS))
@pytest.mark.parametrize("payload", RESULTS + HANDOFF, ids=lambda p: f"{p['type']}")
def test_chinese_messages_get_no_english_labels(channel: str, payload: dict[str, Any]) -> None:
    chinese = RENDERERS[channel](payload, "zh")
    english = RENDERERS[channel](payload, None)
    assert chinese != english
    assert re.search(r"[\u4e00-\u9fff]", chinese)
    leftover = without_data(chinese, payload)
    assert [w for w in english_words(channel) if w in leftover] == []
    # the same words are English when the message says so, or says nothing
    assert RENDERERS[channel](payload, "en") == english


@pytest.mark.parametrize("channel", sorted(RENDERERS))
@pytest.mark.parametrize("payload", [CREDIT, MOBILE, SAVINGS, RECOMMENDATIONS, MARKETING])
def test_chinese_cards_say_their_labels(channel: str, payload: dict[str, Any]) -> None:
    shown = RENDERERS[channel](payload, "zh-CN")
    for label in CHINESE[payload["type"]]:
        assert label in shown, (channel, label)


def test_a_language_without_labels_falls_back_to_english() -> None:
    assert slack(CREDIT, "fr") == slack(CREDIT, None)
    assert teams(CREDIT, "de-DE") == teams(CREDIT, None)


def test_a_missing_chinese_label_falls_back_to_the_english_one() -> None:
    zh = labels_for("zh")
    partial = type(zh)("zh", {}, zh.fallback)
    assert partial("common.credit_score.title") == "Credit pre-check"
    assert zh("common.credit_score.title") == "信用预审"


def test_the_message_says_its_language_at_the_top_or_in_its_metadata() -> None:
    assert message_language({"language": "zh"}) == "zh"
    assert message_language({"metadata": {"language": "zh-CN"}}) == "zh"
    assert message_language({"language": "<script>"}) == "en"
    assert message_language({}) == "en"


def test_every_language_has_every_label_and_chinese_translates_them() -> None:
    shipped = locales()
    english = shipped["en"]
    for language, texts in shipped.items():
        assert set(texts) == set(english), language
        for key, text in texts.items():
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", english[key]))
    same = {k for k, v in shipped["zh"].items() if v == english[k]}
    # only fills such as "{amount} GB" may read the same in both languages
    assert [k for k in same if re.search(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", english[k]))] == []
