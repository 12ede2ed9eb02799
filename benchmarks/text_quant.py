"""Quality of the local model's ONNX builds against the fp32 transformers model.

``python -m benchmarks.text`` runs this as part of the text benchmark; on its
own: ``python -m benchmarks.text_quant`` (writes nothing, logs a table).

The reference is the transformers folder that :mod:`generators.backends.convert`
dequantises from the GGUF file, so "fp32" means the GGUF's own weights (Q4_1
blocks, Q8_0 embeddings) without a second rounding; llama.cpp runs exactly
those. Each ONNX build rounds them again, and this module measures how much
that costs, instead of judging greedy outputs by eye:

* teacher-forced over the knowledge base (``data/knowledge/*.md``, 512-token
  windows): how often the build's next-token argmax equals fp32's, the mean
  KL divergence from fp32's next-token distribution, and each model's
  perplexity on the documents;
* greedy generation through the product backends (``ortgenai`` against
  ``transformers``) with and without the repetition penalty: how many tokens
  agree before the first divergence, and the distinct-4-gram share;
* speed: time to first token and decode tokens/s on the short and the
  500-token prompt.

Builds are cached under ``models/llm/smollm2-135m/variants/``; the default
build is the one ``convert`` writes, measured where it is.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import KNOWLEDGE_DIR, MODELS_DIR
from benchmarks.text_generation import (
    QUALITY_PROMPTS,
    SHORT,
    distinct_4,
    long_prompt,
    measure,
    timed_stream,
)
from benchmarks.text_retrieval import load_questions
from generators.backends.convert import (
    MODEL_SUBDIR,
    ONNX_DIR,
    ONNX_OPTIONS,
    ONNX_PRECISION,
    hf_to_ortgenai,
)
from generators.backends.ortgenai import OrtGenAIGenerator
from generators.backends.transformers_local import TransformersGenerator
from generators.errors import ModelLoadError
from generators.text import GenerationOptions, Message

log = logging.getLogger("benchmarks.text_quant")
WINDOW = 512


@dataclass(frozen=True)
class Variant:
    """One onnxruntime-genai model-builder configuration (``-p`` and ``--extra_options``)."""

    name: str
    precision: str
    options: dict[str, str] = field(default_factory=dict)
    why: str = ""

    @property
    def folder(self) -> str:
        opts = "-".join(f"{k}_{v}" for k, v in sorted(self.options.items()))
        slug = "".join(c if c.isalnum() or c in "-_" else "_" for c in opts)
        return f"onnx-{self.precision}-cpu" + (f"-{slug}" if slug else "")


# The builder's CPU defaults: block_size 32, accuracy_level 4 (int8
# activations), symmetric, the tied embedding and LM head quantised too.
DEFAULT = Variant("int8 (default)", ONNX_PRECISION, dict(ONNX_OPTIONS), "what convert writes")
UNSHARED = {"shared_embeddings": "false"}  # the builder's mixed/asymmetric paths need it
VARIANTS = [
    DEFAULT,
    Variant("int4", "int4", why="the builder's CPU default, and ours until this benchmark"),
    Variant("int4, block 128", "int4", {"block_size": "128"}, "fewer scales: faster, coarser"),
    Variant("int4, accuracy level 1", "int4", {"accuracy_level": "1"}, "fp32 activations"),
    Variant("int4, k-quant", "int4", {"algo_config": "k_quant"}, "k-quant rounding, not RTN"),
    Variant(
        "int4, asymmetric",
        "int4",
        {"is_symmetric": "false", **UNSHARED},
        "a zero point per block, as the GGUF's Q4_1 blocks have",
    ),
    Variant(
        "int4, LM head int8",
        "int4",
        {"matmul_mixed_precision": "last_matmul:int8", **UNSHARED},
        "the GGUF keeps the tied embedding/LM head in Q8_0",
    ),
    Variant(
        "int4, LM head and sensitive layers int8",
        "int4",
        {"matmul_mixed_precision": "last_matmul:int8,mixed_layers:int8", **UNSHARED},
        "llama.cpp's mixed recipe: first/last layers and every third qkv/v/down in int8",
    ),
    Variant("int8, block 128", "int8", {"block_size": "128"}, "a quarter of the scales"),
    Variant("fp32", "fp32", why="no second rounding: the ONNX graph's own error"),
]


def windows(tokenizer: Any, knowledge_dir: Path = KNOWLEDGE_DIR) -> list[list[int]]:
    """The knowledge base as consecutive 512-token windows, each document on its own."""
    out = []
    for path in sorted(knowledge_dir.glob("*.md")):
        ids = tokenizer.encode(path.read_text(encoding="utf-8"), add_special_tokens=False)
        out += [ids[i : i + WINDOW] for i in range(0, len(ids), WINDOW) if len(ids[i:]) > 16]
    return out


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def reference_logprobs(hf: Path, texts: list[list[int]]) -> list[np.ndarray]:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(hf).eval()
    with torch.inference_mode():
        return [log_softmax(model(torch.tensor([ids])).logits[0].float().numpy()) for ids in texts]


def onnx_logprobs(
    model_dir: Path, texts: list[list[int]], *, threads: int = 2
) -> Iterator[np.ndarray]:
    """Full-sequence logits from the build's ``model.onnx`` with an empty KV cache, lazily."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(model_dir / "model.onnx"), options)
    decoder = json.loads((model_dir / "genai_config.json").read_text())["model"]["decoder"]
    empty = np.zeros((1, decoder["num_key_value_heads"], 0, decoder["head_size"]), np.float32)
    past = {i.name: empty for i in session.get_inputs() if i.name.startswith("past_key_values")}
    for ids in texts:
        feed = {
            "input_ids": np.array([ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
            **past,
        }
        yield log_softmax(session.run(["logits"], feed)[0][0].astype(np.float32))


def teacher_forced(
    texts: list[list[int]], ref: list[np.ndarray], cand: Iterable[np.ndarray]
) -> dict[str, float]:
    agree = kl = nll_ref = nll_cand = 0.0
    n = 0
    for ids, r, c in zip(texts, ref, cand, strict=True):
        r, c = r[:-1], c[:-1]
        targets = np.array(ids[1:])
        rows = np.arange(len(targets))
        agree += float((r.argmax(-1) == c.argmax(-1)).sum())
        kl += float((np.exp(r) * (r - c)).sum())
        nll_ref -= float(r[rows, targets].sum())
        nll_cand -= float(c[rows, targets].sum())
        n += len(targets)
    return {
        "top1_agreement": agree / n,
        "kl_mean": kl / n,
        "perplexity": float(np.exp(nll_cand / n)),
        "perplexity_fp32": float(np.exp(nll_ref / n)),
        "tokens": n,
    }


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


GREEDY = {
    "no_penalty": GenerationOptions(max_new_tokens=48, repetition_penalty=1.0),
    "penalty_1.15": GenerationOptions(max_new_tokens=48, repetition_penalty=1.15),
}


def greedy_prompts() -> list[str]:
    """The generation section's 3 prompts and the first question about each document."""
    firsts: dict[str, str] = {}
    for q in load_questions():
        if q["doc"]:
            firsts.setdefault(q["doc"], q["q"])
    return [*QUALITY_PROMPTS, *firsts.values()]


def greedy(gen: Any, prompts: list[str]) -> dict[str, list[str]]:
    return {
        key: [gen.generate([Message("user", p)], options) for p in prompts]
        for key, options in GREEDY.items()
    }


def greedy_agreement(
    tokenizer: Any, ref: dict[str, list[str]], cand: dict[str, list[str]]
) -> dict[str, Any]:
    """Per decoding setting: tokens equal to fp32's before the first divergence (mean), the
    replies identical to fp32's, and the loopiest reply's distinct-4-gram share."""
    out: dict[str, Any] = {}
    for key in GREEDY:
        ref_ids = [tokenizer.encode(t, add_special_tokens=False) for t in ref[key]]
        ids = [tokenizer.encode(t, add_special_tokens=False) for t in cand[key]]
        out[key] = {
            "prefix_tokens_mean": float(
                np.mean([common_prefix(a, b) for a, b in zip(ref_ids, ids, strict=True)])
            ),
            "identical": sum(a == b for a, b in zip(ref_ids, ids, strict=True)),
            "distinct_4_min": min(distinct_4(i) for i in ids),
            "texts": cand[key],
        }
    return out


def _timed(
    gen: OrtGenAIGenerator, messages: list[Message], options: GenerationOptions
) -> tuple[str, float, float]:
    return timed_stream(gen.stream(messages, options))


def run(
    models: Path = MODELS_DIR / MODEL_SUBDIR, *, variants: list[Variant] = VARIANTS, repeat: int = 3
) -> dict[str, Any]:
    """Build (cached) and measure every variant; the result goes under ``quantisation``."""
    hf = models / "hf"
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(hf)
    ref_gen = TransformersGenerator(model_path=hf)
    texts = windows(tokenizer)
    ref = reference_logprobs(hf, texts)
    prompts = greedy_prompts()
    ref_greedy = greedy(ref_gen, prompts)
    del ref_gen
    log.info("fp32 reference done: %d windows, %d tokens", len(texts), sum(map(len, texts)))

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))

    speed_options = GenerationOptions(max_new_tokens=48)
    long = long_prompt(tokenizer)
    rows: list[dict[str, Any]] = []
    for variant in variants:
        path = models / ONNX_DIR
        try:
            if variant != DEFAULT:
                out = models / "variants" / variant.folder
                path = hf_to_ortgenai(hf, out, precision=variant.precision, options=variant.options)
            gen = OrtGenAIGenerator(model_path=path)
        except ModelLoadError as e:
            log.warning("%s: %s", variant.name, e)
            rows.append({"name": variant.name, "why": variant.why, "error": str(e)[:600]})
            continue
        speed = measure(partial(_timed, gen, SHORT, speed_options), count, repeat)
        prefill = measure(partial(_timed, gen, long, speed_options), count, repeat)
        rows.append(
            {
                "name": variant.name,
                "precision": variant.precision,
                "options": variant.options,
                "why": variant.why,
                "size_mb": sum(f.stat().st_size for f in path.glob("model.onnx*")) / 1e6,
                "load_s": gen.load_s,
                "ttft_ms_p50": speed["ttft_ms_p50"],
                "decode_tokens_per_s": speed["decode_tokens_per_s"],
                "ttft_ms_p50_long_500": prefill["ttft_ms_p50"],
                "decode_tokens_per_s_long_500": prefill["decode_tokens_per_s"],
                **teacher_forced(texts, ref, onnx_logprobs(path, texts)),
                "greedy": greedy_agreement(tokenizer, ref_greedy, greedy(gen, prompts)),
            }
        )
        log.info("%s: %s", variant.name, {k: v for k, v in rows[-1].items() if k != "greedy"})
    return {
        "reference": "fp32 transformers model dequantised from the GGUF (Q4_1, Q8_0 embeddings)",
        "windows": len(texts),
        "greedy_prompts": prompts,
        "reference_greedy": ref_greedy,
        "variants": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--models", type=Path, default=MODELS_DIR / MODEL_SUBDIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    run(args.models)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
