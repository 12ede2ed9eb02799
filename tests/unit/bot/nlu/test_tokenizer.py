"""MultilingualTokenizer: Jieba words for Chinese, whitespace words for English, in Rasa."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.engine


def _tokens(text: str, **config: str) -> list[tuple[str, int, int]]:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.tokenizer import MultilingualTokenizer

    tokenizer = MultilingualTokenizer({**MultilingualTokenizer.get_default_config(), **config})
    [message] = tokenizer.process([Message(data={"text": text})])
    return [(t.text, t.start, t.end) for t in message.get("text_tokens")]


def test_chinese_is_cut_into_jieba_words() -> None:
    assert _tokens("我想退货") == [("我", 0, 1), ("想", 1, 2), ("退货", 2, 4)]


def test_mixed_text_keeps_english_words_whole_and_drops_punctuation() -> None:
    tokens = _tokens("olly\uff0c明天早上七点叫醒我 please!")
    assert [t for t, _, _ in tokens] == ["olly", "明天", "早上", "七点", "叫醒", "我", "please"]


def test_character_mode_needs_no_dictionary() -> None:
    assert [t for t, _, _ in _tokens("两千块", chinese="characters")] == ["两", "千", "块"]


def test_text_without_words_is_one_token() -> None:
    assert _tokens("🙂") == [("🙂", 0, 1)]


def test_the_unknown_words_check_sees_chinese() -> None:
    from bot.nlu.classifier import known_words, words_of

    known = known_words(["我想退货", "return my phone"], [])
    assert words_of("退货") <= known
    assert not words_of("天气") & known
