"""SentenceEncoderFeaturizer: featurize, persist into the model, load, process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.engine, pytest.mark.slow]


@pytest.fixture
def graph(tmp_path: Path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    return storage, Resource("featurizer"), ExecutionContext(GraphSchema({}), node_name="feat")


def _messages(*texts: str):
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message

    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    return tokenizer.process([Message(data={"text": t}) for t in texts])


def _config(encoder_dir: Path, **overrides):
    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    return {
        **SentenceEncoderFeaturizer.get_default_config(),
        "encoder_path": str(encoder_dir),
        "num_threads": 1,
        **overrides,
    }


def test_process_adds_sentence_and_token_features(graph, encoder_dir: Path) -> None:
    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    storage, resource, context = graph
    featurizer = SentenceEncoderFeaturizer.create(_config(encoder_dir), storage, resource, context)
    [message] = featurizer.process(_messages("where is my new card"))

    sequence, sentence = message.get_dense_features("text")
    assert sentence.features.shape == (1, 384)
    assert sequence.features.shape == (5, 384)
    assert np.isclose(np.linalg.norm(sentence.features[0]), 1.0, atol=1e-5)
    assert np.abs(sequence.features).sum(axis=1).min() > 0


def test_trained_featurizer_carries_the_encoder_and_loads_without_the_folder(
    graph, encoder_dir: Path, tmp_path: Path
) -> None:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    storage, resource, context = graph
    trained = SentenceEncoderFeaturizer.create(_config(encoder_dir), storage, resource, context)
    trained.train(TrainingData(_messages("hi")))
    [expected] = trained.process(_messages("hello there"))

    moved = _config(tmp_path / "not-exported")
    loaded = SentenceEncoderFeaturizer.load(moved, storage, resource, context)
    [actual] = loaded.process(_messages("hello there"))

    assert np.allclose(
        expected.get_dense_features("text")[1].features,
        actual.get_dense_features("text")[1].features,
    )


def test_process_training_data_featurizes_every_example(graph, encoder_dir: Path) -> None:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    storage, resource, context = graph
    featurizer = SentenceEncoderFeaturizer.create(_config(encoder_dir), storage, resource, context)
    data = featurizer.process_training_data(TrainingData(_messages("hi", "bye now", "thanks")))

    assert all(m.features_present("text", None) for m in data.training_examples)


@pytest.mark.parametrize("text", ["", "😀🙈🎉", "card " * 2000, "Мой платёж 未到 hasn't arrived"])
def test_bad_input_is_featurized_without_errors(graph, encoder_dir: Path, text: str) -> None:
    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    storage, resource, context = graph
    featurizer = SentenceEncoderFeaturizer.create(_config(encoder_dir), storage, resource, context)
    [message] = featurizer.process(_messages(text))

    sequence, sentence = message.get_dense_features("text")
    if not text:
        assert sentence is None  # Rasa featurizers skip empty text; classifiers handle it
        return
    tokens = message.get("text_tokens")
    assert sequence.features.shape == (len(tokens), 384)
    assert np.isfinite(sentence.features).all()
