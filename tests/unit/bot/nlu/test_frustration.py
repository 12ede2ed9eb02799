# ruff: noqa: RUF001, RUF003  (Chinese text and punctuation, on purpose)
"""FrustrationDetector: cues in context, the parse-data shape, and the Rasa component."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.nlu.frustration import (
    DEFAULT_THRESHOLD,
    FRUSTRATION,
    FrustrationScorer,
    Lexicon,
    LexiconError,
    normalise,
    score_text,
)

pytestmark = pytest.mark.engine


def kinds(text: str) -> list[str]:
    return [cue.kind for cue in score_text(text).cues]


@pytest.mark.parametrize(
    "text",
    [
        "This is absolutely ridiculous, I've been without a phone for two weeks",
        "where the hell is my order",
        "I want to talk to a f*&%*g agent",
        "WHERE IS MY REFUND",
        "How many times do I have to explain this?",
        "Thanks for nothing",
        "you're useless",
        "I'm reporting you to trading standards",
        "Why is this so difficult?",
        "my phone is dead AGAIN 😡",
    ],
)
def test_frustrated_messages_are_flagged(text: str) -> None:
    result = score_text(text)
    assert result.frustrated, (result.score, result.cues)


@pytest.mark.parametrize(
    "text",
    [
        "my phone is broken, can you repair it?",
        "The screen on my Nova 8 cracked, is that covered by the warranty?",
        "I think I was charged twice this month, could you check?",
        "no thanks",
        "not bad at all, I'll take it",
        "No problem, I can wait",
        "I'm not angry, I just want to understand my bill",
        "I hate to be a pain, but could you check my bill again?",
        "What's the worst thing that can happen if I miss a payment?",
        "Is the offer still valid?",
        "Can you say that again?",
        "This phone is insanely fast, love it",
        "Is the OLED TV HDR? Does it support USB-C and 5G?",
    ],
)
def test_hard_negatives_are_not_flagged(text: str) -> None:
    result = score_text(text)
    assert not result.frustrated, (result.score, result.cues)


def test_cues_name_the_words_that_fired() -> None:
    result = score_text("This is ridiculous, the third time I ask!!!")
    assert [c.label() for c in result.cues] == [
        "anger:ridiculous",
        "repetition:third time",
        "punctuation:!!!",
    ]


def test_negation_drops_negative_words_and_turns_positive_ones() -> None:
    assert kinds("it is not terrible") == []
    assert kinds("never been unhappy with you") == []
    assert [c.label() for c in score_text("I'm not happy with this").cues] == ["unmet:not happy"]
    assert kinds("I'm happy with this") == []
    # "never been so ..." intensifies instead of negating
    assert kinds("I have never been so angry") == ["upset"]


def test_contractions_and_typos_are_normalised() -> None:
    assert normalise("I can't, it doesn\u2019t WORK")[0] == "i can not , it does not work"
    assert kinds("ur service isnt helpful") == ["unmet"]


def test_intensifiers_raise_and_downtoners_lower() -> None:
    plain = score_text("I'm disappointed").score
    assert score_text("I'm so disappointed").score > plain
    assert score_text("I'm a bit disappointed").score < plain


def test_if_clauses_and_politeness_weaken_cues() -> None:
    assert score_text("I'm not satisfied").frustrated
    assert not score_text("Can I return it if I'm not satisfied?").frustrated
    assert score_text("I'm disappointed, please help").score < score_text("I'm disappointed").score


def test_capitals_are_shouting_unless_they_are_acronyms_or_enthusiasm() -> None:
    assert "shouting" in kinds("I HAVE BEEN WAITING FOR AN HOUR")
    assert kinds("does the SIM work in the USA and EU") == []
    cheerful = score_text("GREAT NEWS, thanks for sorting my refund!!")
    assert cheerful.cues == () and cheerful.score == 0


def test_punctuation_and_elongation() -> None:
    assert [c.label() for c in score_text("answer me?!").cues] == ["punctuation:?!"]
    assert "elongation" in kinds("whyyyy is it down")
    assert kinds("see www.voltline.example") == []


def test_repetition_needs_a_problem_not_just_the_word() -> None:
    assert "repetition" in kinds("it's still not working")
    assert "repetition" in kinds("broken again")
    assert kinds("do you still sell the Nova 7?") == []
    assert "repetition" in kinds("I've called three times")
    assert kinds("I use my data three times a week") == []


def test_sarcasm_is_praise_over_a_problem() -> None:
    assert "sarcasm" in kinds("Fantastic, charged twice")
    assert "sarcasm" in kinds("Great, just great.")
    assert kinds("Great, thank you, it arrived broken but you replaced it") == []
    assert kinds("Wonderful, that solves my problem") == []
    assert kinds("Perfect, I'll order it now") == []


def test_emoji_count_both_ways() -> None:
    assert kinds("broken again 😡") == ["repetition", "emoji_anger"]
    assert kinds("😀🙈🎉") == []
    assert not score_text("Brilliant!!! 😀").frustrated


def test_masked_swearing_but_not_e_mail_addresses() -> None:
    assert "profanity" in kinds("what the f*** is this")
    assert kinds("mail me at a@b.co about the C# course and AT&T") == []


@pytest.mark.parametrize("text", ["", "   ", "\n", "😀🙈🎉", "Когда вы открыты? 营业时间"])
def test_empty_emoji_and_foreign_input_score_zero(text: str) -> None:
    assert score_text(text).as_dict() == {"score": 0.0, "frustrated": False, "cues": []}


def test_ten_thousand_characters_are_fast_and_bounded() -> None:
    text = ("still not working and nobody calls me back, this is ridiculous!!! " * 200)[:10_000]
    scorer = FrustrationScorer()
    start = time.perf_counter()
    result = scorer(text)
    assert time.perf_counter() - start < 1.0
    assert 0.0 <= result.score <= 1.0 and result.frustrated


def test_threshold_decides_the_flag_only() -> None:
    strict = FrustrationScorer(threshold=0.99)("This is ridiculous")
    default = FrustrationScorer()("This is ridiculous")
    assert strict.score == default.score and default.frustrated and not strict.frustrated
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        FrustrationScorer(threshold=1.5)


def test_result_is_small_json() -> None:
    out = score_text("This is ridiculous!!").as_dict()
    assert set(out) == {"score", "frustrated", "cues"}
    assert json.loads(json.dumps(out)) == out
    assert out["score"] == round(out["score"], 3)


def test_default_threshold_is_what_the_dev_half_chooses() -> None:
    """DEFAULT_THRESHOLD is a measurement: change the lexicon, rerun the benchmark."""
    from benchmarks.frustration import choose_threshold, load_examples

    dev = [ex for ex in load_examples() if ex.split == "dev"]
    scorer = FrustrationScorer()
    assert len(load_examples()) >= 300
    chosen = choose_threshold([scorer(ex.text).score for ex in dev], [ex.frustrated for ex in dev])
    assert chosen == DEFAULT_THRESHOLD


def test_lexicon_errors_say_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="cannot read the lexicon"):
        Lexicon.load(tmp_path / "missing.yml")
    with pytest.raises(LexiconError, match="`anger` needs a weight between 0 and 1"):
        Lexicon.from_dict({"cues": {"anger": {"weight": 2, "terms": ["mad"]}}})
    with pytest.raises(LexiconError, match="unknown word set 'nope'"):
        Lexicon.from_dict({"cues": {"x": {"weight": 0.5, "patterns": ["{nope} again"]}}})
    with pytest.raises(LexiconError, match="neither terms nor patterns"):
        Lexicon.from_dict({"cues": {"x": {"weight": 0.5}}})


def test_custom_lexicon_replaces_the_packaged_one() -> None:
    lexicon = Lexicon.from_dict({"cues": {"anger": {"weight": 0.9, "terms": ["grr"]}}})
    result = FrustrationScorer(lexicon=lexicon)("grr, not again")
    assert [c.label() for c in result.cues] == ["anger:grr"] and result.frustrated


# The Rasa component ------------------------------------------------------------


def _detector(**config):
    from bot.nlu.frustration import FrustrationDetector

    return FrustrationDetector({**FrustrationDetector.get_default_config(), **config})


def test_component_is_registered_as_a_non_trainable_classifier() -> None:
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    registered = DefaultV1Recipe._from_registry("bot.nlu.frustration.FrustrationDetector")
    assert registered.types == {DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER}
    assert not registered.is_trainable


def test_component_result_reaches_the_parse_data_and_the_tracker() -> None:
    from rasa.shared.core.events import Event, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": "Still broken. This is a joke.", "intent": {"name": "inform"}})
    [out] = _detector().process([message])

    # What Rasa's processor puts into parse data: the message's output properties.
    parse_data = out.as_dict(only_output_properties=True)
    assert parse_data[FRUSTRATION]["frustrated"] is True
    assert "anger:is a joke" in parse_data[FRUSTRATION]["cues"]

    event = UserUttered(parse_data["text"], {"name": "inform"}, [], parse_data)
    stored = Event.from_parameters(json.loads(json.dumps(event.as_dict())))  # tracker store
    tracker = DialogueStateTracker.from_events("u1", [stored])
    assert tracker.latest_message.parse_data[FRUSTRATION] == parse_data[FRUSTRATION]


def test_component_config_errors() -> None:
    from rasa.shared.exceptions import InvalidConfigException

    with pytest.raises(InvalidConfigException, match="between 0 and 1"):
        _detector(threshold="high")
    with pytest.raises(InvalidConfigException, match="Point `lexicon` at a valid file"):
        _detector(lexicon="/nonexistent/lexicon.yml")


def test_component_threshold_from_config() -> None:
    from rasa.shared.nlu.training_data.message import Message

    [out] = _detector(threshold=0.95).process([Message(data={"text": "This is ridiculous"})])
    assert out.get(FRUSTRATION)["frustrated"] is False


# Chinese: the lexicon's `chinese` section (messages here are not in the evaluation set).
@pytest.mark.parametrize(
    "text",
    [
        "你们这服务也太垃圾了吧",
        "耳机买回来就坏，真是气人",
        "我已经催了三次了，到现在还没发货",
        "等了两个星期，一点消息都没有",
        "我要找你们领导",
        "再这样我就去消费者协会",
        "你是机器人吗？听不懂人话",
        "呵呵，又延误了",
        "为什么总是出问题！！",
        "卧槽，屏幕又黑了",
    ],
)
def test_chinese_frustration_is_flagged(text: str) -> None:
    assert score_text(text).frustrated, score_text(text).as_dict()


@pytest.mark.parametrize(
    "text",
    [
        "请问退货要带什么",
        "手机屏幕碎了，能修吗",
        "一点都不麻烦，谢谢",
        "不错不错，比我想的好",
        "提醒我明天倒垃圾",  # the bin, not rubbish
        "我想给妈妈买个生日礼物，妈妈的手机很旧了",  # mother's, not a swear word
        "usb 线有卖吗",  # the letters sb inside a word
        "相机的曝光设置在哪",
        "要是我对耳机不满意，可以退吗？",  # a question about a condition
        "第二台电视有优惠吗",
        "太棒了！！！终于到了",
        "一天都没有",  # a form's answer: not a single day abroad
        "一次都没有出过国",
        "一个月都没有用完流量",
    ],
)
def test_chinese_hard_negatives_are_not_flagged(text: str) -> None:
    assert not score_text(text).frustrated, score_text(text).as_dict()


def test_chinese_negation_turns_words_round_and_two_negators_cancel() -> None:
    assert kinds("我不生气") == []
    assert kinds("我很不满意") == ["unmet"] and score_text("我很不满意").frustrated
    assert score_text("非常不满意").score > score_text("不满意").score  # intensified
    assert kinds("没有什么不满意的") == []
    # the cue's words are the negator and the word, wherever the clause starts
    assert [c.label() for c in score_text("说实话，我很不满意").cues] == ["unmet:不满意"]
    assert kinds("挺满意的") == []  # "satisfied" counts only when negated


def test_chinese_cues_name_their_words_and_overlapping_cues_both_count() -> None:
    result = score_text("订单拖了半个月了还不发货")
    assert [c.label() for c in result.cues] == ["delay:拖了半个月", "waiting:半个月了还不发"]
    assert result.frustrated
    # a downtoner and politeness weaken a complaint below the threshold
    assert not score_text("麻烦问一下，有点失望，颜色和图片不太一样").frustrated
    # full-width "！！" is punctuation as "!!" is
    assert "punctuation" in kinds("怎么还没到！！")


def test_a_chinese_section_with_a_bad_entry_says_what_to_fix() -> None:
    base = {"cues": {"anger": {"weight": 0.5, "terms": ["mad"]}}}
    with pytest.raises(LexiconError, match=r"`chinese\.sets` lacks negator"):
        Lexicon.from_dict({**base, "chinese": {"sets": {}, "cues": {}}})
    sets = {
        name: ["x"]
        for name in ("negator", "softener", "intensifier", "downtoner", "conditional",
                     "clause_break", "politeness", "thanks", "positive", "problem")
    }  # fmt: skip
    bad = {"sets": sets, "cues": {"anger": {"weight": 0.5, "patterns": ["{nope}"]}}}
    with pytest.raises(LexiconError, match=r"chinese\.anger: unknown word set 'nope'"):
        Lexicon.from_dict({**base, "chinese": bad})
    assert Lexicon.from_dict(base).han is None  # no section: English cues only
