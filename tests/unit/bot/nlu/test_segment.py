"""Word segmentation for Chinese + English text (no rasa, no model)."""

from __future__ import annotations

from bot.nlu.segment import characters, has_han, lexical_words, segment


def test_english_is_split_like_the_whitespace_tokenizer() -> None:
    assert segment("Hi, I'd like a 5.5 GB plan!", han=characters) == [
        ("Hi", 0), ("I'd", 4), ("like", 8), ("a", 13), ("5.5", 15), ("GB", 19), ("plan", 22),
    ]  # fmt: skip


def test_chinese_runs_are_cut_and_offsets_point_into_the_text() -> None:
    text = "olly 明天叫醒我, please"
    pieces = segment(text, han=characters)
    assert [w for w, _ in pieces] == ["olly", "明", "天", "叫", "醒", "我", "please"]
    assert all(text[start : start + len(word)] == word for word, start in pieces)


def test_a_custom_segmenter_gets_each_han_run_alone() -> None:
    runs: list[str] = []

    def cut(run: str) -> list[tuple[str, int]]:
        runs.append(run)
        return [(run, 0)]

    assert segment("二十个G的套餐", han=cut) == [("二十个", 0), ("G", 3), ("的套餐", 4)]
    assert runs == ["二十个", "的套餐"]


def test_default_segmentation_covers_every_han_character() -> None:
    text = "我想退货\uff0c谢谢"
    words = [w for w, _ in segment(text)]  # Jieba where installed, else characters
    assert "".join(words) == "我想退货谢谢"


def test_lexical_words_keep_han_characters_and_long_latin_words() -> None:
    assert lexical_words("how much is 二十个G?") == {"how", "much", "二", "十", "个"}
    assert has_han("退货") and not has_han("return it")
