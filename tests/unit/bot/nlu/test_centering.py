"""Per-language centering of sentence embeddings (bot/nlu/centering.py)."""

from __future__ import annotations

import numpy as np

from bot.nlu.centering import OTHER, LanguageMeans, language_key, sample


def test_the_language_of_a_text_is_its_script_and_latin_text_shares_one_key() -> None:
    assert language_key("我想退货") == "zh"
    assert language_key("Где мой заказ") == "ru"
    assert language_key("where is my order") == OTHER
    assert language_key("wo ist meine Bestellung") == OTHER
    assert language_key("42") == OTHER


def test_centering_removes_a_languages_shift() -> None:
    rng = np.random.default_rng(0)
    meaning = rng.normal(size=(6, 8)).astype(np.float32)
    shift = np.full(8, 3.0, dtype=np.float32)
    english = ["a b", "c d", "e f", "g h", "i j", "k l"]
    chinese = ["一二", "三四", "五六", "七八", "九十", "十一"]
    vectors = np.vstack([meaning, meaning + shift])
    means = LanguageMeans.fit(vectors, english + chinese)
    assert set(means.means) == {"zh", OTHER}
    centered = means.center(vectors, english + chinese)
    # The same meanings in both languages: the same vectors once each language is centred.
    assert np.allclose(centered[:6], centered[6:], atol=1e-5)
    assert np.allclose(centered[:6], meaning - meaning.mean(axis=0), atol=1e-5)


def test_a_script_without_a_mean_falls_back_to_the_shared_one() -> None:
    means = LanguageMeans({OTHER: np.array([1.0, 0.0], dtype=np.float32)})
    [row] = means.center(np.array([[2.0, 1.0]], dtype=np.float32), ["Где мой заказ"])
    assert np.allclose(row, [1.0, 1.0])
    assert LanguageMeans().center(np.array([[2.0, 1.0]]), ["x"]).tolist() == [[2.0, 1.0]]


def test_means_round_trip_through_json_and_samples_are_per_language() -> None:
    means = LanguageMeans({"zh": np.array([0.5, -0.25], dtype=np.float32)})
    assert np.allclose(LanguageMeans.from_json(means.to_json()).means["zh"], [0.5, -0.25])
    texts = [f"text {i}" for i in range(100)] + [f"中文{i}" for i in range(10)]
    chosen = sample(texts, per_language=20)
    assert sum(language_key(t) == "zh" for t in chosen) == 10
    assert sum(language_key(t) == OTHER for t in chosen) == 20
    assert chosen[:2] == ["text 0", "text 5"]
