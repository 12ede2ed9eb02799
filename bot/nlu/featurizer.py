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

``center_languages: true`` subtracts each language's mean sentence embedding
(:mod:`bot.nlu.centering`), read off the training examples and, for languages
the training data lacks, off unlabeled messages in ``language_samples`` (a
UTF-8 file, one message per line); the means are stored in the model.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
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
from rasa.shared.nlu.constants import ACTION_TEXT, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.engine.settings import EngineSettings, child_env
from bot.nlu.centering import LanguageMeans, sample
from bot.nlu.encoder import DEFAULT_ENCODER_DIR, ENCODER_FILES, Encoded, OnnxSentenceEncoder
from bot.nlu.errors import NLUError
from bot.nlu.segment import has_han

logger = logging.getLogger(__name__)

MEANS_FILE = "language_means.json"


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
            # Let idle ONNX Runtime threads busy-wait between operators: a little faster
            # for a lone encoder on an otherwise idle host, much slower beside other work.
            "allow_spinning": False,
            # Adapt the encoder to this bot's intents at training time (bot/encoders/finetune.py),
            # in the actions venv through a subprocess; the model keeps the adapted encoder.
            "fine_tune": False,
            # the actions venv's python; default $TANDEM_ACTIONS_PYTHON, else
            # $TANDEM_VENV_DIR/actions/bin/python, else .venv/actions/bin/python
            "fine_tune_python": None,
            # the sentence-transformers folder to start from; default: the manifest's source
            "fine_tune_base": None,
            "fine_tune_epochs": 10.0,
            "fine_tune_max_steps": 300,
            "fine_tune_seed": 42,
            "fine_tune_timeout": 3600,
            # Subtract each language's mean sentence embedding (bot/nlu/centering.py), so a
            # classifier trained in one language transfers to another.
            "center_languages": False,
            # Unlabeled messages (UTF-8, one per line) for languages the examples lack.
            "language_samples": None,
            # Messages per language whose embeddings make its mean.
            "language_sample_size": 1000,
            # An encoder that cannot read Chinese (all-MiniLM-L6-v2) beside one that can:
            # a text with Han characters gets zero features from this one, so the
            # classifier reads it through the other (docs/nlu.md, Chinese and English).
            "skip_han": False,
            # Hidden layers whose pooled vectors make the sentence features, e.g.
            # [-1, -3, -5, -7]: concatenated, each at unit length (bot/nlu/encoder.py).
            # None: the encoder's own sentence embedding (the last layer).
            "sentence_layers": None,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not config.get("encoder_path"):
            raise InvalidConfigException(
                "SentenceEncoderFeaturizer needs `encoder_path`: a folder written by "
                "`python -m bot.encoders.export` (default models/encoders/all-minilm-l6-v2)."
            )
        layers = config.get("sentence_layers")
        if layers is not None and (
            not isinstance(layers, list)
            or not layers
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in layers)
        ):
            raise InvalidConfigException(
                f"SentenceEncoderFeaturizer: `sentence_layers: {layers!r}` must be a list of "
                "hidden-layer indices such as [-1, -3, -5, -7] (-1 is the last layer), or null."
            )
        if config.get("fine_tune") and not config.get("embed_encoder", True):
            raise InvalidConfigException(
                "SentenceEncoderFeaturizer: `fine_tune: true` needs `embed_encoder: true`, "
                "because the adapted encoder exists only inside the trained model."
            )

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        encoder: OnnxSentenceEncoder | None = None,
        means: LanguageMeans | None = None,
    ) -> None:
        self.validate_config(config)
        # Rasa names every node of a graph; a component built by hand goes by its class.
        super().__init__(execution_context.node_name or type(self).__name__, config)
        self._model_storage = model_storage
        self._resource = resource
        self._encoder = encoder or self._open(Path(config["encoder_path"]))
        self._means = means

    def _open(self, folder: Path) -> OnnxSentenceEncoder:
        return _open_encoder(folder, self._config)

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
        encoder, means = None, None
        try:
            with model_storage.read_from(resource) as folder:
                if config.get("embed_encoder", True) and all(
                    (folder / name).exists() for name in ENCODER_FILES
                ):
                    encoder = _open_encoder(folder, config)
                if (folder / MEANS_FILE).exists():
                    means = LanguageMeans.from_json(json.loads((folder / MEANS_FILE).read_text()))
        except ValueError:
            logger.debug("model has no stored encoder; using %s", config["encoder_path"])
        return cls(config, model_storage, resource, execution_context, encoder, means)

    def train(self, training_data: TrainingData) -> Resource:
        """Copy the encoder into the model (adapted first with ``fine_tune``)."""
        if self._config["fine_tune"]:
            examples = [
                (m.get(TEXT), m.get(INTENT))
                for m in training_data.intent_examples
                if m.get(TEXT) and m.get(INTENT)
            ]
            with tempfile.TemporaryDirectory(prefix="tandem-encoder-") as tmp:
                tuned = run_fine_tune(self._config, self._encoder, examples, Path(tmp))
                self._store(tuned)
                # The session and tokenizer are read now; the folder may go afterwards.
                self._encoder = self._open(tuned)
        elif self._config["embed_encoder"]:
            self._store(self._encoder.folder)
        if self._config["center_languages"]:
            self._means = self._fit_means(training_data)
            with self._model_storage.write_to(self._resource) as folder:
                (folder / MEANS_FILE).write_text(json.dumps(self._means.to_json()))
        return self._resource

    def _fit_means(self, training_data: TrainingData) -> LanguageMeans:
        texts = [m.get(TEXT) for m in training_data.training_examples if m.get(TEXT)]
        if self._config["language_samples"]:
            path = Path(self._config["language_samples"])
            if not path.exists():
                raise NLUError(
                    f"`language_samples: {path}` does not exist; point it at a UTF-8 file of "
                    "unlabeled messages, one per line, or remove it."
                )
            texts += [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        chosen = sample([t for t in texts if t], int(self._config["language_sample_size"]))
        means = LanguageMeans.fit(self._encoder.embed(chosen), chosen)
        logger.info("language means from %d messages: %s", len(chosen), ", ".join(means.means))
        return means

    def _store(self, source: Path) -> None:
        with self._model_storage.write_to(self._resource) as folder:
            for name in ENCODER_FILES:
                shutil.copyfile(source / name, folder / name)

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
        texts = [m.get(attribute) for m in messages]
        skipped = [bool(self._config["skip_han"]) and has_han(text) for text in texts]
        read = [text for text, skip in zip(texts, skipped, strict=True) if not skip]
        encoded = iter(self._encoder.encode(read))
        dim = self._encoder.dim
        for message, skip in zip(messages, skipped, strict=True):
            tokens = message.get(TOKENS_NAMES[attribute]) or []
            if skip:
                sequence = np.zeros((len(tokens), dim), dtype=np.float32)
                sentence = np.zeros((1, self._encoder.sentence_dim), dtype=np.float32)
            else:
                enc = next(encoded)
                sequence = _align(enc, [(t.start, t.end) for t in tokens], dim)
                sentence = enc.sentence[np.newaxis, :]
                if self._means is not None:
                    sentence = self._means.center(sentence, [message.get(attribute)])
            self.add_features_to_message(
                sequence=sequence, sentence=sentence, attribute=attribute, message=message
            )


def _open_encoder(folder: Path, config: dict[str, Any]) -> OnnxSentenceEncoder:
    # The deployment's share of the cores (TANDEM_INFERENCE_THREADS) wins over the
    # model's config: a replica beside others must not take every core.
    threads = EngineSettings.from_env().inference_threads or int(config["num_threads"])
    return OnnxSentenceEncoder(
        folder,
        batch_size=int(config["batch_size"]),
        num_threads=threads or None,
        allow_spinning=bool(config.get("allow_spinning", False)),
        sentence_layers=config.get("sentence_layers") or None,
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


def actions_python(configured: str | None) -> Path:
    """The interpreter that has torch: where ``bot.encoders.finetune`` can run."""
    if configured:
        if not Path(configured).exists():
            raise NLUError(
                f"`fine_tune_python: {configured}` does not exist; point it at the actions "
                "venv's python (`make setup` builds .venv/actions)."
            )
        return Path(configured).absolute()  # not resolve(): a venv's python is a symlink
    settings = EngineSettings.from_env()
    venvs = settings.venv_dir
    candidates = [
        settings.actions_python,
        f"{venvs}/actions/bin/python" if venvs else None,
        ".venv/actions/bin/python",
    ]
    for candidate in filter(None, candidates):
        if Path(candidate).exists():
            return Path(candidate).absolute()
    raise NLUError(
        "`fine_tune: true` runs bot.encoders.finetune with the actions venv's python (it needs "
        "torch), but none was found: run `make setup`, or set `fine_tune_python` in "
        "config.yml or TANDEM_ACTIONS_PYTHON to a python that has the `actions` extra."
    )


def run_fine_tune(
    config: dict[str, Any],
    encoder: OnnxSentenceEncoder,
    examples: list[tuple[str, str]],
    workdir: Path,
) -> Path:
    """Fine-tune the encoder's source model on ``examples`` in a subprocess; return its folder."""
    base = config.get("fine_tune_base") or encoder.manifest.get("source")
    if not base or not Path(base).exists():
        raise NLUError(
            f"`fine_tune: true` needs the sentence-transformers folder the encoder was exported "
            f"from; {base!r} does not exist here. Set `fine_tune_base` to that folder."
        )
    examples_file = workdir / "examples.json"
    examples_file.write_text(json.dumps([{"text": t, "intent": i} for t, i in examples]))
    out = workdir / "encoder"
    python = actions_python(config.get("fine_tune_python"))
    # In a source checkout the actions venv may not have Tandem installed: put the
    # checkout on its path. An installed Tandem needs nothing (and the engine's own
    # site-packages must never reach the other interpreter).
    root = Path(__file__).resolve().parents[2]
    source_path = [str(root)] if (root / "pyproject.toml").exists() else []
    command = [
        str(python), "-m", "bot.encoders.finetune",
        "--examples", str(examples_file), "--out", str(out), "--base", str(Path(base).absolute()),
        "--epochs", str(float(config["fine_tune_epochs"])),
        "--max-steps", str(int(config["fine_tune_max_steps"])),
        "--seed", str(int(config["fine_tune_seed"])),
        "--threads", str(int(config["num_threads"])),
    ]  # fmt: skip
    env = child_env(
        {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}, pythonpath=source_path
    )
    logger.info("fine-tuning the encoder on %d examples: %s", len(examples), " ".join(command))
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True,
            timeout=float(config["fine_tune_timeout"]), check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise NLUError(
            f"Fine-tuning the encoder took longer than {config['fine_tune_timeout']} s; lower "
            "`fine_tune_max_steps` or raise `fine_tune_timeout`."
        ) from exc
    for line in done.stderr.splitlines()[-5:]:
        logger.debug("finetune: %s", line)
    if done.returncode != 0 or not all((out / name).exists() for name in ENCODER_FILES):
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise NLUError(
            f"Fine-tuning the encoder failed (exit {done.returncode}):\n{tail}\n"
            "Fix the cause above, or set `fine_tune: false` to use the encoder as exported."
        )
    return out
