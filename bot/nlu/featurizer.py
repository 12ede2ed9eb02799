"""A Rasa dense featurizer backed by a pretrained sentence encoder (ONNX Runtime).

Use it from ``config.yml`` after a tokenizer::

    - name: WhitespaceTokenizer
    - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
      encoder_path: models/encoders/all-minilm-l6-v2

Sentence features are the encoder's pooled, normalised embedding, so a linear
classifier on them sees exactly what sentence-transformers would produce.
Sequence features (one vector per Rasa token, the mean of the word pieces that
overlap it) are added too, so DIET and entity extraction can use the encoder.

By default the exported encoder is copied into the trained model, so a model
``.tar.gz`` runs on any machine with the engine venv, with no folder to ship
beside it; ``embed_encoder: false`` references ``encoder_path`` instead (smaller
models, but the folder must exist wherever the model is served).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.encoder import DEFAULT_ENCODER_DIR, ENCODER_FILES, Encoded, OnnxSentenceEncoder

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds pretrained sentence-encoder features to every message."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "encoder_path": str(DEFAULT_ENCODER_DIR),
            "embed_encoder": True,
            "batch_size": 32,
            # 0 lets ONNX Runtime use every core; set 1-2 on a shared host.
            "num_threads": 0,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not config.get("encoder_path"):
            raise InvalidConfigException(
                "SentenceEncoderFeaturizer needs `encoder_path`: a folder written by "
                "`python -m bot.nlu.export` (default models/encoders/all-minilm-l6-v2)."
            )

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        encoder: OnnxSentenceEncoder | None = None,
    ) -> None:
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._encoder = encoder or self._open(Path(config["encoder_path"]))

    def _open(self, folder: Path) -> OnnxSentenceEncoder:
        return OnnxSentenceEncoder(
            folder,
            batch_size=int(self._config["batch_size"]),
            num_threads=int(self._config["num_threads"]) or None,
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(config, model_storage, resource, execution_context)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceEncoderFeaturizer:
        """Load the encoder stored in the model, else the configured folder."""
        if config.get("embed_encoder", True):
            try:
                with model_storage.read_from(resource) as folder:
                    if all((folder / name).exists() for name in ENCODER_FILES):
                        encoder = OnnxSentenceEncoder(
                            folder,
                            batch_size=int(config["batch_size"]),
                            num_threads=int(config["num_threads"]) or None,
                        )
                        return cls(config, model_storage, resource, execution_context, encoder)
            except ValueError:
                logger.debug("model has no stored encoder; using %s", config["encoder_path"])
        return cls(config, model_storage, resource, execution_context)

    def train(self, training_data: TrainingData) -> Resource:
        """Copy the encoder into the model, so that the model is self-contained."""
        if self._config["embed_encoder"]:
            with self._model_storage.write_to(self._resource) as folder:
                for name in ENCODER_FILES:
                    shutil.copyfile(self._encoder.folder / name, folder / name)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            messages = [m for m in training_data.training_examples if m.get(attribute)]
            self._featurize(messages, attribute)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for attribute in (TEXT, ACTION_TEXT):
            self._featurize([m for m in messages if m.get(attribute)], attribute)
        return messages

    def _featurize(self, messages: list[Message], attribute: str) -> None:
        if not messages:
            return
        encoded = self._encoder.encode([m.get(attribute) for m in messages])
        for message, enc in zip(messages, encoded, strict=True):
            tokens = message.get(TOKENS_NAMES[attribute]) or []
            sequence = _align(enc, [(t.start, t.end) for t in tokens], self._encoder.dim)
            self.add_features_to_message(
                sequence=sequence,
                sentence=enc.sentence[np.newaxis, :],
                attribute=attribute,
                message=message,
            )


def _align(encoded: Encoded, spans: list[tuple[int, int]], dim: int) -> np.ndarray:
    """One row per Rasa token: the mean of the word pieces overlapping its span.

    Tokens past the encoder's window (truncated text) or without pieces (e.g.
    characters the vocabulary drops) get zeros, which Rasa treats as absent.
    """
    out = np.zeros((len(spans), dim), dtype=np.float32)
    if not encoded.offsets:
        return out
    starts = np.array([o[0] for o in encoded.offsets])
    ends = np.array([o[1] for o in encoded.offsets])
    for row, (start, end) in enumerate(spans):
        overlap = (starts < end) & (ends > start)
        if overlap.any():
            out[row] = encoded.tokens[overlap].mean(axis=0)
    return out
