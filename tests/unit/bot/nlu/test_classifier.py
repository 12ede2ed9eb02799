"""SentenceEmbeddingIntentClassifier on hand-made features: train, persist, load, process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.engine

INTENTS = {"greet": 0, "goodbye": 1, "ask_store_hours": 2}
WORDS = {
    "greet": "hello hi hey I'm",
    "goodbye": "bye later ciao",
    "ask_store_hours": "open hours time",
}


def _message(intent: str | None, vector: np.ndarray, text: str):
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    data = {"text": text, **({"intent": intent} if intent else {})}
    message = Message(data=data)
    message.add_features(Features(vector[np.newaxis, :], "sentence", "text", "feat"))
    return message


def _vector(center: int, rng: np.random.Generator, noise: float = 0.2) -> np.ndarray:
    vector = rng.normal(0, noise, 8).astype(np.float32)
    vector[center] += 1.0
    return vector


def _training_data(rng: np.random.Generator, per_intent: int = 12):
    from rasa.shared.nlu.training_data.training_data import TrainingData

    examples = [
        _message(intent, _vector(center, rng), f"{WORDS[intent]} {k}")
        for intent, center in INTENTS.items()
        for k in range(per_intent)
    ]
    return TrainingData(examples)


@pytest.fixture
def storage(tmp_path: Path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    (tmp_path / "storage").mkdir()
    return (
        LocalModelStorage(tmp_path / "storage"),
        Resource("classifier"),
        ExecutionContext(GraphSchema({}), node_name="clf"),
    )


def _config(**overrides):
    from bot.nlu.classifier import SentenceEmbeddingIntentClassifier

    return {**SentenceEmbeddingIntentClassifier.get_default_config(), **overrides}


def test_trains_persists_loads_and_predicts_the_same(storage) -> None:
    from bot.nlu.classifier import SentenceEmbeddingIntentClassifier

    model_storage, resource, context = storage
    rng = np.random.default_rng(0)
    clf = SentenceEmbeddingIntentClassifier.create(_config(), model_storage, resource, context)
    clf.train(_training_data(rng))
    loaded = SentenceEmbeddingIntentClassifier.load(_config(), model_storage, resource, context)

    probe = _message(None, _vector(2, rng, noise=0.05), "what time are you open")
    [fresh] = clf.process([probe])
    [again] = loaded.process([_message(None, probe.features[0].features[0], probe.get("text"))])

    assert fresh.get("intent")["name"] == "ask_store_hours"
    assert again.get("intent")["name"] == fresh.get("intent")["name"]
    assert again.get("intent")["confidence"] == pytest.approx(fresh.get("intent")["confidence"])
    # The same ranking; confidences equal up to float summation order after reloading.
    ranked = [(r["name"], r["confidence"]) for r in again.get("intent_ranking")]
    expected = [(r["name"], r["confidence"]) for r in fresh.get("intent_ranking")]
    assert [name for name, _ in ranked] == [name for name, _ in expected]
    assert [c for _, c in ranked] == pytest.approx([c for _, c in expected], abs=1e-7)
    assert 0.0 < loaded.threshold < 1.0


def test_full_coverage_is_persisted_with_the_model(storage) -> None:
    from bot.nlu.classifier import SentenceEmbeddingIntentClassifier

    model_storage, resource, context = storage
    config = _config(lexical_full_coverage=0.5)
    clf = SentenceEmbeddingIntentClassifier.create(config, model_storage, resource, context)
    clf.train(_training_data(np.random.default_rng(0)))
    # the trained model's setting wins over the config it is loaded with
    loaded = SentenceEmbeddingIntentClassifier.load(_config(), model_storage, resource, context)
    assert loaded.model is not None and loaded.model.full_coverage == 0.5


def test_low_confidence_becomes_nlu_fallback_but_keeps_the_ranking(storage) -> None:
    from bot.nlu.classifier import SentenceEmbeddingIntentClassifier

    model_storage, resource, context = storage
    clf = SentenceEmbeddingIntentClassifier.create(
        _config(fallback_threshold=0.9), model_storage, resource, context
    )
    clf.train(_training_data(np.random.default_rng(1)))
    between = np.zeros(8, dtype=np.float32)
    between[[0, 1]] = 0.5

    [message] = clf.process([_message(None, between, "hmm")])

    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.9}
    ranking = [r["name"] for r in message.get("intent_ranking")]
    assert ranking[0] == "nlu_fallback"
    assert set(ranking[1:3]) == {"greet", "goodbye"}


def test_calibrated_threshold_uses_out_of_scope_examples(storage) -> None:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.classifier import SentenceEmbeddingIntentClassifier

    model_storage, resource, context = storage
    rng = np.random.default_rng(2)
    data = _training_data(rng)
    oos = [
        _message("out_of_scope", rng.normal(0, 0.6, 8).astype(np.float32), "poem")
        for _ in range(12)
    ]
    clf = SentenceEmbeddingIntentClassifier.create(_config(), model_storage, resource, context)
    clf.train(TrainingData(data.training_examples + oos))

    assert "out_of_scope" in clf.intents
    assert clf.threshold is not None and 0.0 < clf.threshold < 1.0


def test_message_without_features_gets_no_intent(storage) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.classifier import SentenceEmbeddingIntentClassifier

    model_storage, resource, context = storage
    clf = SentenceEmbeddingIntentClassifier.create(_config(), model_storage, resource, context)
    clf.train(_training_data(np.random.default_rng(3)))

    [message] = clf.process([Message(data={"text": ""})])

    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []


def test_invalid_threshold_setting_is_rejected(storage) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from bot.nlu.classifier import SentenceEmbeddingIntentClassifier

    model_storage, resource, context = storage
    with pytest.raises(InvalidConfigException, match="fallback_threshold"):
        SentenceEmbeddingIntentClassifier.create(
            _config(fallback_threshold="high"), model_storage, resource, context
        )


def test_a_message_of_unknown_words_is_not_understood_however_confident(storage) -> None:
    from bot.nlu.classifier import SentenceEmbeddingIntentClassifier

    model_storage, resource, context = storage
    config = _config(fallback_threshold=0.2, unknown_words_fallback=True)
    rng = np.random.default_rng(2)
    clf = SentenceEmbeddingIntentClassifier.create(config, model_storage, resource, context)
    clf.train(_training_data(rng))
    loaded = SentenceEmbeddingIntentClassifier.load(config, model_storage, resource, context)
    clear = _vector(0, rng, noise=0.01)

    [gibberish] = loaded.process([_message(None, clear, "blorp fizzle wug")])
    [typo] = loaded.process([_message(None, clear, "helo, hello there")])
    [number] = loaded.process([_message(None, clear, "£30")])

    assert gibberish.get("intent")["name"] == "nlu_fallback"
    assert gibberish.get("all_words_unknown") is True  # in the parse data, for the actions
    assert "all_words_unknown" in gibberish.as_dict(only_output_properties=True)
    assert typo.get("all_words_unknown") is None
    assert typo.get("intent")["name"] == "greet"  # one known word is enough
    assert number.get("intent")["name"] == "greet"  # no words: the gate does not apply

    [name] = loaded.process([_message(None, clear, "I\u2019m Priya")])
    assert name.get("intent")["name"] == "greet"  # "I'm" is a known word, the name is new


def test_the_unknown_words_gate_is_off_by_default(storage) -> None:
    from bot.nlu.classifier import SentenceEmbeddingIntentClassifier

    model_storage, resource, context = storage
    clf = SentenceEmbeddingIntentClassifier.create(
        _config(fallback_threshold=0.2), model_storage, resource, context
    )
    clf.train(_training_data(np.random.default_rng(3)))
    [message] = clf.process([_message(None, _vector(0, np.random.default_rng(4), 0.01), "blorp")])
    assert message.get("intent")["name"] == "greet"


def test_the_ngram_model_has_no_say_about_a_message_in_an_unseen_script() -> None:
    from bot.nlu.classifier import CharNgrams, IntentModel

    texts = ["set an alarm", "wake me up", "what is the weather", "will it rain"]
    labels = np.array([0, 0, 1, 1])
    # Embeddings that say "weather" for every message: only the n-gram model disagrees.
    features = np.tile(np.array([[0.0, 1.0]], dtype=np.float32), (4, 1))
    model = IntentModel.fit(features, texts, labels, c=1.0, lexical_weight=0.9, lexical_c=100.0)
    assert CharNgrams.coverage(model.ngrams, ["set an alarm", "定个闹钟"]).tolist() == [1.0, 0.0]
    embedding_only = IntentModel(model.weights, model.bias).predict(features[:1], ["定个闹钟"])
    assert np.allclose(model.predict(features[:1], ["定个闹钟"]), embedding_only)
    assert model.predict(features[:1], ["set an alarm"])[0, 0] > embedding_only[0, 0]


def test_full_coverage_keeps_the_ngram_weight_for_a_partly_known_message() -> None:
    """With ``full_coverage`` 0.5 a message half of whose n-grams are known gets the
    n-gram model's whole weight; one in an unseen script still gets none. The setting
    travels with the persisted model's meta (see the round-trip test)."""
    from bot.nlu.classifier import CharNgrams, IntentModel

    texts = ["set an alarm", "wake me up", "what is the weather", "will it rain"]
    labels = np.array([0, 0, 1, 1])
    features = np.tile(np.array([[0.0, 1.0]], dtype=np.float32), (4, 1))
    scaled = IntentModel.fit(features, texts, labels, c=1.0, lexical_weight=0.9, lexical_c=100.0)
    kept = IntentModel.fit(
        features, texts, labels, c=1.0, lexical_weight=0.9, lexical_c=100.0, full_coverage=0.5
    )
    partly = "set an alarm qqqq zzzz"
    [share] = CharNgrams.coverage(kept.ngrams, [partly])
    assert 0.5 < share < 1.0
    # the partly known message: the whole weight with 0.5, a share of it with 1.0
    whole_weight = 1e-9  # any known n-gram gives the whole weight
    full = IntentModel(
        kept.weights, kept.bias, 0.9, kept.ngrams, kept.lexical_weights, kept.lexical_bias,
        whole_weight,
    )  # fmt: skip
    assert np.allclose(kept.predict(features[:1], [partly]), full.predict(features[:1], [partly]))
    assert kept.predict(features[:1], [partly])[0, 0] > scaled.predict(features[:1], [partly])[0, 0]
    embedding_only = IntentModel(kept.weights, kept.bias).predict(features[:1], ["定个闹钟"])
    assert np.allclose(kept.predict(features[:1], ["定个闹钟"]), embedding_only)


@pytest.mark.parametrize("value", [0, 1.5, "half", True])
def test_a_bad_full_coverage_is_refused(storage, value) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from bot.nlu.classifier import SentenceEmbeddingIntentClassifier

    model_storage, resource, context = storage
    with pytest.raises(InvalidConfigException, match="lexical_full_coverage"):
        SentenceEmbeddingIntentClassifier.create(
            _config(lexical_full_coverage=value), model_storage, resource, context
        )


@pytest.mark.parametrize(
    ("word", "other", "apart"),
    [
        ("helo", "hello", True),
        ("thnaks", "thanks", True),
        ("recieve", "receive", True),  # two letters swapped
        ("recieved", "receive", False),  # a swap and a letter more
        ("hullo", "hello", True),
        ("hello", "hello", False),
        ("zzzz", "jazz", False),
        ("abc", "abcde", False),
    ],
)
def test_one_edit_apart(word: str, other: str, apart: bool) -> None:
    from bot.nlu.classifier import one_edit_apart

    assert one_edit_apart(word, other) is apart
    assert one_edit_apart(other, word) is apart


def test_a_typo_of_a_known_word_is_known_but_short_words_are_not_guessed() -> None:
    from bot.nlu.classifier import known_or_typo

    vocabulary = frozenset({"hello", "thanks", "order", "the"})
    assert known_or_typo("helo", vocabulary)
    assert known_or_typo("thnaks", vocabulary)
    assert known_or_typo("oder", vocabulary)
    assert not known_or_typo("zzzz", vocabulary)
    assert not known_or_typo("thy", vocabulary)  # three letters: too short to read as a typo


def test_the_one_pass_ngram_features_are_scikit_learns_tfidf() -> None:
    from bot.nlu.classifier import CharNgrams

    ngrams = CharNgrams().fit(["set an alarm for seven", "wake me up", "will it rain 明天", "天气"])
    texts = ["set the alarm alarm", "明天天气", "zzz", "", "rain or shine, wake up"]
    matrix, coverage = ngrams.transform_with_coverage(texts)
    expected = ngrams.transform(texts)
    assert matrix.shape == expected.shape
    assert np.allclose(matrix.toarray(), expected.toarray(), atol=1e-6)
    assert coverage[2] == 0.0 and coverage[3] == 0.0 and 0 < coverage[0] < 1
