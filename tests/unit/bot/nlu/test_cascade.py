"""CascadeIntentClassifier: a fast head on the pipeline's features, a second encoder when unsure.

The fast head sees hand-made 8-dimensional features; the second encoder is the
real exported all-MiniLM-L6-v2, so escalation runs the real ONNX encoder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.engine

CENTERS = {"greet": 0, "goodbye": 1, "ask_store_hours": 2}
TEXTS = {
    "greet": ["hello", "hi there", "good morning", "hey, how are you", "hiya", "hello bot"],
    "goodbye": ["bye", "see you later", "goodbye for now", "talk soon", "farewell", "ciao"],
    "ask_store_hours": [
        "when are you open",
        "what are your opening hours",
        "is the shop open on sunday",
        "what time do you close",
        "opening times please",
        "until when are you open today",
    ],
}


def _message(intent: str | None, vector: np.ndarray, text: str):
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text, **({"intent": intent} if intent else {})})
    message.add_features(Features(vector[np.newaxis, :], "sentence", "text", "feat"))
    return message


def _vector(center: int, rng: np.random.Generator, noise: float = 0.2) -> np.ndarray:
    vector = rng.normal(0, noise, 8).astype(np.float32)
    vector[center] += 1.0
    return vector


def _training_data(rng: np.random.Generator):
    from rasa.shared.nlu.training_data.training_data import TrainingData

    return TrainingData(
        [
            _message(intent, _vector(CENTERS[intent], rng), text)
            for intent, texts in TEXTS.items()
            for text in texts
        ]
    )


def _between_greet_and_goodbye() -> np.ndarray:
    vector = np.zeros(8, dtype=np.float32)
    vector[[0, 1]] = 0.5
    return vector


@pytest.fixture
def storage(tmp_path: Path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    (tmp_path / "storage").mkdir()
    return (
        LocalModelStorage(tmp_path / "storage"),
        Resource("cascade"),
        ExecutionContext(GraphSchema({}), node_name="cascade"),
    )


def _config(encoder_dir: Path, **overrides):
    from bot.nlu.cascade import CascadeIntentClassifier

    defaults = CascadeIntentClassifier.get_default_config()
    # Without the n-gram mix the fast head sees only the hand-made vectors.
    return {
        **defaults, "second_encoder_path": str(encoder_dir), "num_threads": 1,
        "lexical_weight": 0.0, **overrides,
    }  # fmt: skip


def _trained(storage, encoder_dir: Path, seed: int = 0, **overrides):
    from bot.nlu.cascade import CascadeIntentClassifier

    model_storage, resource, context = storage
    config = _config(encoder_dir, **overrides)
    clf = CascadeIntentClassifier.create(config, model_storage, resource, context)
    clf.train(_training_data(np.random.default_rng(seed)))
    return clf, config


def test_trains_persists_loads_and_predicts_the_same(storage, encoder_dir: Path) -> None:
    from bot.nlu.cascade import CascadeIntentClassifier

    model_storage, resource, context = storage
    clf, config = _trained(storage, encoder_dir, fallback_threshold=None)
    loaded = CascadeIntentClassifier.load(config, model_storage, resource, context)
    probes = [
        (_vector(2, np.random.default_rng(9), noise=0.05), "what time do you open"),
        (_between_greet_and_goodbye(), "what time do you open"),
    ]

    fresh = clf.process([_message(None, v, t) for v, t in probes])
    again = loaded.process([_message(None, v, t) for v, t in probes])

    assert loaded.second_opinion is not None
    assert loaded.escalate_below == clf.escalate_below == 0.5
    assert [m.get("intent") for m in again] == [m.get("intent") for m in fresh]
    assert [m.get("intent_ranking") for m in again] == [m.get("intent_ranking") for m in fresh]
    assert (loaded.classified, loaded.escalated) == (2, 1)


def test_sure_messages_never_reach_the_second_encoder(storage, encoder_dir: Path) -> None:
    clf, _ = _trained(storage, encoder_dir, fallback_threshold=None)
    clf._second_encoder = None  # any escalation would now fail loudly
    rng = np.random.default_rng(5)

    messages = clf.process(
        [_message(None, _vector(c, rng, noise=0.05), "x") for c in CENTERS.values()]
    )

    assert [m.get("intent")["name"] for m in messages] == list(CENTERS)
    assert (clf.classified, clf.escalated) == (3, 0)


def test_unsure_message_is_decided_by_the_second_opinion(storage, encoder_dir: Path) -> None:
    clf, _ = _trained(storage, encoder_dir, fallback_threshold=None)
    text = "what time does the store open"
    features = _between_greet_and_goodbye()[np.newaxis, :]

    fast = clf.model.predict(features, [text])[0]  # the fast head alone
    [message] = clf.process([_message(None, features[0], text)])

    assert clf.intents[int(fast.argmax())] in {"greet", "goodbye"}
    assert fast.max() < clf.escalate_below
    assert clf.escalated == 1
    assert message.get("intent")["name"] == "ask_store_hours"


@pytest.mark.parametrize(("escalate_below", "escalated"), [(0.0, 0), (1.0, 3)])
def test_escalate_below_bounds_are_never_and_always(
    storage, encoder_dir: Path, escalate_below: float, escalated: int
) -> None:
    clf, _ = _trained(storage, encoder_dir, fallback_threshold=None, escalate_below=escalate_below)
    rng = np.random.default_rng(6)

    clf.process([_message(None, _vector(c, rng), "hello") for c in CENTERS.values()])

    assert (clf.classified, clf.escalated) == (3, escalated)


def test_escalation_is_raised_to_the_fallback_threshold(storage, encoder_dir: Path) -> None:
    clf, _ = _trained(storage, encoder_dir, fallback_threshold=0.8, escalate_below=0.3)

    assert clf.threshold == 0.8
    assert clf.escalate_below == 0.8


def test_a_different_second_encoder_at_load_says_how_to_fix(storage, encoder_dir: Path) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from bot.nlu.cascade import CASCADE_FILE, CascadeIntentClassifier

    model_storage, resource, context = storage
    _, config = _trained(storage, encoder_dir)
    with model_storage.write_to(resource) as folder:
        meta = json.loads((folder / CASCADE_FILE).read_text())
        (folder / CASCADE_FILE).write_text(json.dumps({**meta, "second_dim": 768}))

    with pytest.raises(InvalidConfigException, match="second_encoder_path"):
        CascadeIntentClassifier.load(config, model_storage, resource, context)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"second_encoder_path": None}, "needs `second_encoder_path`"),
        ({"escalate_below": 1.5}, "escalate_below"),
        ({"escalate_below": "auto"}, "escalate_below"),
    ],
)
def test_invalid_config_is_rejected(storage, encoder_dir: Path, overrides, match: str) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from bot.nlu.cascade import CascadeIntentClassifier

    model_storage, resource, context = storage
    with pytest.raises(InvalidConfigException, match=match):
        CascadeIntentClassifier.create(
            _config(encoder_dir, **overrides), model_storage, resource, context
        )


def test_missing_second_encoder_folder_says_how_to_fix(storage, tmp_path: Path) -> None:
    from bot.nlu.cascade import CascadeIntentClassifier
    from bot.nlu.errors import EncoderNotFound

    model_storage, resource, context = storage
    with pytest.raises(EncoderNotFound, match="exported encoder"):
        CascadeIntentClassifier.create(
            _config(tmp_path / "nowhere"), model_storage, resource, context
        )
