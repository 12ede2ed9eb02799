# ruff: noqa: RUF001  (Chinese messages, on purpose)
"""The reference assistant's NLU, trained as config.yml says, reads Chinese messages.

Trains the NLU part of the real pipeline (Jieba tokens, MiniLM + multilingual-e5-small,
the calibrated classifier, CRF, lookups and regexes, the offline value parsers,
synonyms) on the real ``data/nlu`` files, then parses messages a Chinese customer
might send, none of them a training example, and checks intents and entities.
The encoders are referenced, not copied into the model (``embed_encoder: false``),
which is the only change to config.yml's pipeline.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[4]
FEATURIZER = "bot.nlu.featurizer.SentenceEncoderFeaturizer"


def _config(target: Path) -> Path:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == FEATURIZER:
            folder = ROOT / component["encoder_path"]
            if not (folder / "encoder.json").exists():
                pytest.skip(f"{folder} is missing: `make setup` exports it")
            component.update(encoder_path=str(folder), embed_encoder=False, num_threads=2)
    config.pop("policies", None)
    target.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory):
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    project = tmp_path_factory.mktemp("zh-nlu")
    model = train_nlu(
        config=str(_config(project / "config.yml")),
        nlu_data=str(ROOT / "data" / "nlu"),
        output=str(project / "models"),
        fixed_model_name="zh-nlu",
        domain=str(ROOT / "domain.yml"),
    )
    assert model, "rasa train nlu produced no model"
    return Agent.load(model)


def _parse(agent, text: str) -> dict[str, Any]:
    return asyncio.run(agent.parse_message(text))


def _entities(parsed: dict[str, Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for entity in parsed["entities"]:
        found.setdefault(entity["entity"], []).append(entity["value"])
    return found


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("您好，请问在吗", "greet"),
        ("谢谢你啊", "thanks"),
        ("帮我转一下人工客服", "ask_human"),
        ("我买的耳机不想要了，能退货吗", "ask_faq"),
        ("我上周下的单到现在还没收到", "ask_order_status"),
        ("我想分期买个电视", "ask_credit_check"),
        ("我要投诉你们的快递", "complaint"),
        ("不想弄了，取消吧", "stop"),
        ("你是真人还是机器人啊", "bot_challenge"),
        ("给我五星好评", "rate_csat"),
    ],
)
def test_chinese_intents(agent, text: str, intent: str) -> None:
    parsed = _parse(agent, text)
    assert parsed["intent"]["name"] == intent, parsed["intent_ranking"][:3]


def test_a_budget_in_chinese_words_and_a_category(agent) -> None:
    parsed = _parse(agent, "两千块左右的手机有什么推荐")
    assert parsed["intent"]["name"] == "ask_recommendation"
    entities = _entities(parsed)
    assert set(entities["product_category"]) == {"phones"}  # CRF and the lookup agree
    assert entities["money"] == [2000.0]


def test_a_budget_in_digits_and_a_two_word_category(agent) -> None:
    parsed = _parse(agent, "预算3000，买什么笔记本电脑好")
    assert parsed["intent"]["name"] == "ask_recommendation"
    entities = _entities(parsed)
    # one span, not 笔记本 + 电脑: CRF and the lookup each find it once
    assert [
        (e["start"], e["end"]) for e in parsed["entities"] if e["entity"] == "product_category"
    ] in (
        [(10, 15)],
        [(10, 15), (10, 15)],
    )
    assert set(entities["product_category"]) == {"laptops"}
    assert entities["count"] == [3000]


def test_a_product_name_inside_chinese_text(agent) -> None:
    parsed = _parse(agent, "我想买Nova 8，现在多少钱")
    entities = _entities(parsed)
    assert set(entities["product"]) == {"nova-8"}
    assert "count" not in entities  # the 8 belongs to the product name


def test_a_data_amount_for_the_plan_form(agent) -> None:
    parsed = _parse(agent, "我每个月大概用二十个G，办哪个套餐好")
    assert parsed["intent"]["name"] == "ask_plan_advice"
    counts = [e for e in parsed["entities"] if e["entity"] == "count"]
    assert [(c["value"], c["additional_info"]["unit"]) for c in counts] == [(20, "GB")]


def test_a_plan_name_next_to_chinese(agent) -> None:
    parsed = _parse(agent, "Plus套餐去法国能用流量吗")
    assert parsed["intent"]["name"] == "ask_faq"
    assert set(_entities(parsed)["plan"]) == {"plus"}


def test_a_store_by_its_chinese_name(agent) -> None:
    parsed = _parse(agent, "机场店周日几点关门")
    assert parsed["intent"]["name"] == "ask_store_hours"
    assert set(_entities(parsed)["store"]) == {"airport"}


def test_a_duration_answer(agent) -> None:
    parsed = _parse(agent, "五年")
    assert parsed["intent"]["name"] == "inform"
    durations = [e for e in parsed["entities"] if e["entity"] == "duration"]
    assert [d["additional_info"]["unit"] for d in durations] == ["year"]
    assert durations[0]["additional_info"]["amount"] == 5.0


def test_the_language_is_chinese(agent) -> None:
    parsed = _parse(agent, "你们的笔记本保修多久")
    assert parsed["language"]["code"] == "zh"
    assert {e["entity"]: e["value"] for e in parsed["entities"] if e["entity"] == "language"} == {
        "language": "zh"
    }


def test_english_is_still_understood(agent) -> None:
    parsed = _parse(agent, "which laptop should I get for uni, max 700")
    assert parsed["intent"]["name"] == "ask_recommendation"
    assert set(_entities(parsed)["product_category"]) == {"laptops"}
