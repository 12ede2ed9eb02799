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

    moved = _config(tmp_path / "not-exported", allow_spinning=True)
    loaded = SentenceEncoderFeaturizer.load(moved, storage, resource, context)
    [actual] = loaded.process(_messages("hello there"))

    spinning = "session.intra_op.allow_spinning"
    assert trained._encoder._session.get_session_options().get_session_config_entry(spinning) == "0"
    assert loaded._encoder._session.get_session_options().get_session_config_entry(spinning) == "1"
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


def _intent_messages(pairs: list[tuple[str, str]]):
    messages = _messages(*[t for t, _ in pairs])
    for message, (_, intent) in zip(messages, pairs, strict=True):
        message.set("intent", intent)
    return messages


FINE_TUNE_DATA = [
    ("I lost my card", "lost_card"),
    ("I misplaced my bank card", "lost_card"),
    ("someone stole my card", "stolen_card"),
    ("a thief took my card", "stolen_card"),
    ("when will my transfer arrive", "transfer_time"),
    ("is my transfer still pending", "transfer_time"),
]


def test_fine_tune_adapts_the_encoder_in_the_actions_venv_and_stores_it(
    graph, encoder_dir: Path, tmp_path: Path
) -> None:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    storage, resource, context = graph
    config = _config(
        encoder_dir, fine_tune=True, fine_tune_max_steps=5, fine_tune_epochs=5.0, num_threads=1
    )
    frozen = SentenceEncoderFeaturizer.create(_config(encoder_dir), storage, resource, context)
    tuned = SentenceEncoderFeaturizer.create(config, storage, resource, context)
    tuned.train(TrainingData(_intent_messages(FINE_TUNE_DATA)))

    def vector(featurizer: SentenceEncoderFeaturizer) -> np.ndarray:
        [message] = featurizer.process(_messages("my card was stolen"))
        return message.get_dense_features("text")[1].features[0]

    assert not np.allclose(vector(tuned), vector(frozen), atol=1e-3)
    # The model carries the adapted encoder: loading needs neither the folder nor torch.
    loaded = SentenceEncoderFeaturizer.load(
        {**config, "encoder_path": str(tmp_path / "gone")}, storage, resource, context
    )
    assert np.allclose(vector(loaded), vector(tuned), atol=1e-5)
    manifest = loaded._encoder.manifest
    assert manifest["fine_tune"]["steps"] == 5 and manifest["fine_tune"]["intents"] == 3


def test_fine_tune_without_the_actions_python_says_how_to_fix(
    graph, encoder_dir: Path, tmp_path: Path
) -> None:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.errors import NLUError
    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    storage, resource, context = graph
    config = _config(encoder_dir, fine_tune=True, fine_tune_python=str(tmp_path / "no-python"))
    featurizer = SentenceEncoderFeaturizer.create(config, storage, resource, context)
    with pytest.raises(NLUError, match=r"fine_tune_python.*make setup"):
        featurizer.train(TrainingData(_intent_messages(FINE_TUNE_DATA)))


def test_fine_tune_needs_the_encoder_embedded_in_the_model(encoder_dir: Path) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    with pytest.raises(InvalidConfigException, match="embed_encoder"):
        SentenceEncoderFeaturizer.validate_config(
            _config(encoder_dir, fine_tune=True, embed_encoder=False)
        )


def test_actions_python_is_made_absolute_without_leaving_the_venv(monkeypatch) -> None:
    from bot.nlu.featurizer import actions_python

    root = Path(__file__).resolve().parents[4]
    monkeypatch.chdir(root)
    monkeypatch.delenv("TANDEM_ACTIONS_PYTHON", raising=False)
    monkeypatch.delenv("TANDEM_VENV_DIR", raising=False)
    python = actions_python(".venv/actions/bin/python")
    # Absolute, so the subprocess finds it from any directory, but not resolved: the
    # venv's python is a symlink to the base interpreter, which has no torch.
    assert python.is_absolute()
    assert python == root / ".venv" / "actions" / "bin" / "python"
    assert actions_python(None) == python


def test_language_means_come_from_examples_and_samples_and_travel_with_the_model(
    graph, encoder_dir: Path, tmp_path: Path
) -> None:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.centering import OTHER
    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    samples = tmp_path / "samples.txt"
    samples.write_text("我想退货\n我的卡在哪里\n", encoding="utf-8")
    storage, resource, context = graph
    config = _config(encoder_dir, center_languages=True, language_samples=str(samples))
    trained = SentenceEncoderFeaturizer.create(config, storage, resource, context)
    trained.train(TrainingData(_messages("hi", "where is my card")))
    assert trained._means is not None and set(trained._means.means) == {"zh", OTHER}

    loaded = SentenceEncoderFeaturizer.load(config, storage, resource, context)
    [message] = loaded.process(_messages("where is my card"))
    [raw] = SentenceEncoderFeaturizer.create(
        _config(encoder_dir), storage, resource, context
    ).process(_messages("where is my card"))
    centered = message.get_dense_features("text")[1].features[0]
    plain = raw.get_dense_features("text")[1].features[0]
    assert np.allclose(centered, plain - trained._means.means[OTHER], atol=1e-5)


def test_skip_han_gives_chinese_text_zero_features_and_encodes_the_rest(
    graph, encoder_dir: Path
) -> None:
    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    storage, resource, context = graph
    config = _config(encoder_dir, skip_han=True)
    featurizer = SentenceEncoderFeaturizer.create(config, storage, resource, context)
    plain = SentenceEncoderFeaturizer.create(_config(encoder_dir), storage, resource, context)
    chinese, english = featurizer.process(_messages("我想买 Nova 8", "where is my new card"))

    sequence, sentence = chinese.get_dense_features("text")
    assert sentence.features.shape == (1, 384) and not sentence.features.any()
    assert sequence.features.shape[1] == 384 and not sequence.features.any()
    [reference] = plain.process(_messages("where is my new card"))
    assert np.allclose(
        english.get_dense_features("text")[1].features,
        reference.get_dense_features("text")[1].features,
        atol=1e-5,
    )


def test_sentence_layers_widen_the_sentence_features_only(graph, encoder_dir: Path) -> None:
    """With ``sentence_layers`` the sentence features are the chosen layers' pooled
    vectors side by side (each unit length); the word features stay 384 wide, and a
    Chinese message skipped by ``skip_han`` gets zeros of the same widths."""
    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    storage, resource, context = graph
    config = _config(encoder_dir, sentence_layers=[-1, -3, -5], skip_han=True)
    featurizer = SentenceEncoderFeaturizer.create(config, storage, resource, context)
    message, chinese = featurizer.process(_messages("where is my new card", "我想退货"))
    sequence, sentence = message.get_dense_features("text")
    assert sentence.features.shape == (1, 3 * 384)
    assert sequence.features.shape == (5, 384)
    parts = sentence.features[0].reshape(3, 384)
    assert np.allclose(np.linalg.norm(parts, axis=1), 1.0, atol=1e-5)
    plain = SentenceEncoderFeaturizer.create(_config(encoder_dir), storage, resource, context)
    [same] = plain.process(_messages("where is my new card"))
    assert np.allclose(parts[0], same.get_dense_features("text")[1].features[0], atol=1e-5)
    _, zeros = chinese.get_dense_features("text")
    assert zeros.features.shape == (1, 3 * 384) and not zeros.features.any()


@pytest.mark.parametrize("layers", [[], "last", [1.5], [True]])
def test_bad_sentence_layers_are_refused_with_an_example(encoder_dir: Path, layers) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from bot.nlu.featurizer import SentenceEncoderFeaturizer

    with pytest.raises(InvalidConfigException, match=r"\[-1, -3, -5, -7\]"):
        SentenceEncoderFeaturizer.validate_config(_config(encoder_dir, sentence_layers=layers))
