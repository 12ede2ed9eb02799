"""The sentence encoder as Rasa's engine venv runs it: ONNX Runtime + ``tokenizers``.

No torch and no rasa import here, so the same class serves the Rasa components,
the benchmark and tests in either venv. The folder it loads is the one
``python -m bot.encoders.export`` writes (``encoder.onnx``, ``tokenizer.json``,
``encoder.json``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.nlu.errors import EncoderNotFound

MANIFEST = "encoder.json"
ONNX_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
ENCODER_FILES = (MANIFEST, ONNX_FILE, TOKENIZER_FILE)
DEFAULT_ENCODER_DIR = Path("models/encoders/all-minilm-l6-v2")
LAYERS_OUTPUT = "layer_embeddings"
"""The exported graph's third output: every hidden layer pooled, ``(batch, layers, dim)``."""


@dataclass(frozen=True)
class Encoded:
    """One text's encoding: the pooled vector and one vector per word piece.

    ``offsets`` are the character spans of the word pieces in the original text
    (special tokens excluded), so callers can align pieces with their own tokens.
    """

    sentence: np.ndarray
    tokens: np.ndarray
    offsets: list[tuple[int, int]]


class OnnxSentenceEncoder:
    """Runs an exported encoder; texts longer than the model's window are truncated.

    ``sentence_layers`` (e.g. ``[-1, -3, -5, -7]``, Python indices into the hidden
    states, ``-1`` the last layer) makes the sentence vector the concatenation of
    those layers' pooled vectors, each scaled to unit length: lower layers keep
    word-level detail the last one has smoothed over, which a linear classifier can
    use (docs/nlu.md, MASSIVE). ``sentence_dim`` is then ``dim`` times their number;
    the word-piece vectors stay the last layer's.
    """

    def __init__(
        self,
        folder: Path | str,
        *,
        batch_size: int = 32,
        num_threads: int | None = None,
        allow_spinning: bool = False,
        sentence_layers: Sequence[int] | None = None,
    ) -> None:
        folder = Path(folder)
        missing = [name for name in ENCODER_FILES if not (folder / name).exists()]
        if missing:
            raise EncoderNotFound(
                f"No exported encoder in {folder} (missing {', '.join(missing)}). Run "
                f"`.venv/actions/bin/python -m bot.encoders.export --out {folder}` (part of "
                "`make setup`) or point the component's `encoder_path` at an exported folder.",
                path=folder,
            )
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.folder = folder
        self.manifest = json.loads((folder / MANIFEST).read_text())
        self.dim = int(self.manifest["dim"])
        self.max_length = int(self.manifest.get("max_seq_length", 256))
        self.batch_size = batch_size
        self._inputs = list(self.manifest["inputs"])
        self._lower = bool(self.manifest.get("do_lower_case", False))
        # e5 models were trained with "query: " before every query; the offsets
        # handed back stay those of the caller's text.
        self.prefix = str(self.manifest.get("prefix", ""))
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self._tokenizer.enable_truncation(max_length=self.max_length)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
            options.inter_op_num_threads = 1
        # ONNX Runtime's idle worker threads busy-wait for the next operator (its default).
        # With a second session in the process (a second encoder, Rasa's TensorFlow
        # policies) they take the cores the running one needs: two encoders in a row took
        # 61 ms per text with spinning, 31 ms without, on two cores (docs/nlu.md).
        for pool in ("intra_op", "inter_op"):
            options.add_session_config_entry(
                f"session.{pool}.allow_spinning", "1" if allow_spinning else "0"
            )
        self._session = ort.InferenceSession(
            str(folder / ONNX_FILE), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.sentence_layers = tuple(int(n) for n in sentence_layers or ())
        if self.sentence_layers:
            outputs = [o.name for o in self._session.get_outputs()]
            count = int(self.manifest.get("hidden_layers", 0))
            if LAYERS_OUTPUT not in outputs or not count:
                raise EncoderNotFound(
                    f"The encoder in {folder} was exported without its hidden layers, which "
                    "`sentence_layers` reads; export it again (`make setup` after deleting the "
                    f"folder, or `python -m bot.encoders.export --force --out {folder}`).",
                    path=folder,
                )
            bad = [n for n in self.sentence_layers if not -count <= n < count]
            if bad:
                raise ValueError(
                    f"sentence_layers {bad} out of range: {folder} has {count} hidden states "
                    f"(the input embeddings and {count - 1} layers); use -1 … -{count}."
                )
        self.sentence_dim = self.dim * max(1, len(self.sentence_layers))

    def encode(self, texts: Sequence[str]) -> list[Encoded]:
        """Encode texts in length-sorted batches (less padding, same results)."""
        prepared = [self.prefix + (t.lower() if self._lower else t) for t in texts]
        shift = len(self.prefix)
        # One text (every parse at serving time) skips the batch call's thread hand-off.
        encodings = (
            [self._tokenizer.encode(prepared[0])]
            if len(prepared) == 1
            else self._tokenizer.encode_batch(prepared)
        )
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        results: list[Encoded | None] = [None] * len(texts)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            tokens, sentences, layers = self._run(feed)
            if layers is not None:
                picked = layers[:, list(self.sentence_layers)]  # (batch, k, dim)
                picked = picked / np.maximum(np.linalg.norm(picked, axis=-1, keepdims=True), 1e-12)
                sentences = picked.reshape(len(batch), -1)
            for row, i in enumerate(batch):
                enc = encodings[i]
                keep = [
                    k
                    for k, special in enumerate(enc.special_tokens_mask)
                    if not special and enc.offsets[k][1] > shift
                ]
                results[i] = Encoded(
                    sentence=sentences[row].astype(np.float32),
                    tokens=tokens[row, keep].astype(np.float32),
                    offsets=[
                        (max(0, enc.offsets[k][0] - shift), enc.offsets[k][1] - shift) for k in keep
                    ],
                )
        return [r for r in results if r is not None]

    def _run(self, feed: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        if self.sentence_layers:
            tokens, sentences, layers = self._session.run(None, feed)
            return tokens, sentences, layers
        # An encoder exported before the layers output, or one whose layers are not read.
        tokens, sentences = self._session.run(["token_embeddings", "sentence_embedding"], feed)
        return tokens, sentences, None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence vectors only, shape ``(len(texts), sentence_dim)``."""
        if not texts:
            return np.zeros((0, self.sentence_dim), dtype=np.float32)
        return np.stack([e.sentence for e in self.encode(texts)])
