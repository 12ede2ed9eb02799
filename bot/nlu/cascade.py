"""An intent classifier that asks a second, larger encoder only when it is unsure.

A fine-tuned MiniLM head answers most messages in a few milliseconds; a frozen
all-mpnet-base-v2 beside it makes the classifier more accurate on few examples
per intent, but costs ~23 ms per message on two cores, more than the whole
parse budget. The cascade keeps both: the fast head (the
:class:`~bot.nlu.classifier.SentenceEmbeddingIntentClassifier` it extends, on the
pipeline's dense features) classifies every message, and only when its top
probability is below ``escalate_below`` does the second encoder embed the text
for a second-opinion head (logistic regression on both encoders' vectors)::

    - name: WhitespaceTokenizer
    - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
      fine_tune: true
    - name: bot.nlu.cascade.CascadeIntentClassifier
      second_encoder_path: models/encoders/all-mpnet-base-v2

The fallback to ``nlu_fallback`` uses the fast head's calibrated threshold on the
answer that is finally given; ``escalate_below`` is raised to at least that
threshold, so no message falls back without the second opinion. The second
encoder is referenced by path (like ``embed_encoder: false``), not copied into
the model: the folder must exist wherever the model is served. How
``escalate_below`` was chosen, and what it costs and buys: ``docs/nlu.md``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.classifier import SentenceEmbeddingIntentClassifier, fit_logistic, softmax
from bot.nlu.encoder import OnnxSentenceEncoder
from bot.nlu.featurizer import _open_encoder

logger = logging.getLogger(__name__)

SECOND_OPINION_FILE = "second_opinion.npz"
CASCADE_FILE = "cascade.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CascadeIntentClassifier(SentenceEmbeddingIntentClassifier):
    """The fast head answers when sure; below ``escalate_below`` a second encoder helps."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **SentenceEmbeddingIntentClassifier.get_default_config(),
            # An exported encoder folder (`make encoder-mpnet` writes all-mpnet-base-v2).
            "second_encoder_path": None,
            # Ask the second encoder when the fast head's top probability is below this;
            # 0 never asks (the plain classifier), 1 always asks.
            "escalate_below": 0.5,
            # Inverse regularisation of the second-opinion logistic regression.
            "second_C": 10.0,
            # The second encoder's ONNX Runtime settings, as the featurizer's.
            "batch_size": 32,
            "num_threads": 0,
            "allow_spinning": False,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        *,
        second_encoder: OnnxSentenceEncoder | None = None,
        second_opinion: tuple[np.ndarray, np.ndarray] | None = None,
        escalate_below: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, model_storage, resource, **kwargs)
        self._validate_cascade(config)
        self._second_encoder = second_encoder or _open_encoder(
            Path(config["second_encoder_path"]), config
        )
        self.second_opinion = second_opinion
        self.escalate_below = (
            float(config["escalate_below"]) if escalate_below is None else escalate_below
        )
        # How many messages asked the second encoder, of how many classified.
        self.escalated = 0
        self.classified = 0

    @staticmethod
    def _validate_cascade(config: dict[str, Any]) -> None:
        if not config.get("second_encoder_path"):
            raise InvalidConfigException(
                "CascadeIntentClassifier needs `second_encoder_path`: an exported encoder "
                "folder (`make encoder-mpnet` writes models/encoders/all-mpnet-base-v2)."
            )
        value = config.get("escalate_below")
        if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
            raise InvalidConfigException(
                f"CascadeIntentClassifier: `escalate_below` must be a number in [0, 1] "
                f"(the fast head's confidence below which the second encoder is asked); "
                f"got {value!r}."
            )

    def train(self, training_data: TrainingData) -> Resource:
        """Train the fast head (the parent's), then the second opinion on both encoders."""
        super().train(training_data)
        if self.model is None:
            return self._resource
        index = {intent: i for i, intent in enumerate(self.intents)}
        examples = [
            (index[m.get(INTENT)], m.get(TEXT), vector)
            for m in training_data.intent_examples
            if (vector := self._features(m)) is not None and m.get(INTENT) in index
        ]
        labels = np.array([label for label, _, _ in examples])
        primary = np.stack([vector for _, _, vector in examples]).astype(np.float32)
        second = self._second_encoder.embed([text for _, text, _ in examples])
        self.second_opinion = fit_logistic(
            np.hstack([primary, second]), labels, c=float(self.component_config["second_C"])
        )
        if self.threshold is not None and self.escalate_below < self.threshold:
            logger.info(
                "escalate_below raised from %.3f to the fallback threshold %.3f",
                self.escalate_below,
                self.threshold,
            )
            self.escalate_below = float(self.threshold)
        self.persist()
        return self._resource

    def predict(self, features: np.ndarray, texts: list[str]) -> np.ndarray:
        """The fast head's probabilities, replaced by the second opinion's where unsure."""
        probs = super().predict(features, texts)
        if self.second_opinion is None:
            return probs
        unsure = np.flatnonzero(probs.max(axis=1) < self.escalate_below)
        self.classified += len(texts)
        self.escalated += len(unsure)
        if unsure.size:
            second = self._second_encoder.embed([texts[i] for i in unsure])
            weights, bias = self.second_opinion
            both = np.hstack([features[unsure], second])
            probs[unsure] = softmax(both @ weights.T + bias)
        return probs

    def persist(self) -> None:
        super().persist()
        if self.model is None or self.second_opinion is None:
            return
        weights, bias = self.second_opinion
        with self._model_storage.write_to(self._resource) as folder:
            np.savez(folder / SECOND_OPINION_FILE, weights=weights, bias=bias)
            (folder / CASCADE_FILE).write_text(
                json.dumps(
                    {
                        "escalate_below": self.escalate_below,
                        "second_dim": int(weights.shape[1] - self.model.weights.shape[1]),
                    }
                )
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CascadeIntentClassifier:
        head = super().load(config, model_storage, resource, execution_context, **kwargs)
        assert isinstance(head, CascadeIntentClassifier)
        try:
            with model_storage.read_from(resource) as folder:
                arrays = dict(np.load(folder / SECOND_OPINION_FILE, allow_pickle=False))
                meta = json.loads((folder / CASCADE_FILE).read_text())
        except (ValueError, FileNotFoundError):
            logger.warning("No second-opinion head in the model; only the fast head classifies.")
            return head
        if int(meta["second_dim"]) != head._second_encoder.dim:
            raise InvalidConfigException(
                f"CascadeIntentClassifier was trained with a {meta['second_dim']}-dimensional "
                f"second encoder, but {config['second_encoder_path']} gives "
                f"{head._second_encoder.dim}; point `second_encoder_path` at the encoder it "
                "was trained with, or retrain."
            )
        head.second_opinion = (arrays["weights"], arrays["bias"])
        head.escalate_below = float(meta["escalate_below"])
        return head
