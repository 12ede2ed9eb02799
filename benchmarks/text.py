"""Benchmark of the text generators, in one run.

    python -m benchmarks.text            # after `python -m generators.backends.convert`

Writes ``benchmarks/results/text.json`` (the results contract) and ``text.md``.

* Retrieval: recall@3 and abstention on ``benchmarks/data/text_questions.yml``
  with all-MiniLM-L6-v2 (see :mod:`benchmarks.text_retrieval`).
* Generation: load time, time to first token and tokens/s of the default
  backend (SmolLM2-135M, onnxruntime-genai int4) and of the plain
  ``transformers.pipeline("text-generation")`` on the same model, short and
  500-token prompts, plus greedy outputs of both side by side.
* OpenAI-compatible backend: the same figures through HTTP and server-sent
  events, against :mod:`benchmarks.text_server` serving the same model.
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

from benchmarks import text_generation, text_retrieval, text_server
from generators.answer import AnswerPipeline
from generators.backends.convert import DEFAULT_OUT
from generators.backends.openai_compat import OpenAICompatGenerator
from generators.backends.ortgenai import OrtGenAIGenerator
from generators.embeddings import SentenceTransformerEmbedder
from generators.retrieval import KnowledgeBase

RESULTS = Path(__file__).parent / "results"
log = logging.getLogger("benchmarks.text")


def answers(kb: KnowledgeBase, generator: OrtGenAIGenerator, questions: list[dict], n: int) -> dict:
    pipe = AnswerPipeline(knowledge_base=kb, generator=generator, deadline_s=8.0)
    outcomes: dict[str, int] = {}
    times, samples = [], []
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


def markdown(r: dict[str, Any]) -> str:
    ret, gen = r["retrieval"], r.get("generation")
    lines = [
        "# Text generators benchmark",
        "",
        f"{r['machine']}. Ratios are measured in the same run; absolute figures move with load.",
        "",
        "## Retrieval (all-MiniLM-L6-v2, "
        f"{ret['questions']} questions, {ret['unanswerable']} unanswerable)",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| recall@1 | {ret['recall_at_1']:.3f} |",
        f"| recall@3 | {ret['recall_at_3']:.3f} |",
        f"| unanswerable abstained (threshold {ret['threshold']}) "
        f"| {ret['unanswerable_abstain_rate']:.3f} |",
        f"| answerable answered | {ret['answerable_answer_rate']:.3f} |",
        f"| held out: abstained / answered (threshold {ret['calibrated_threshold_on_even']} "
        "fitted on even questions, scored on odd) "
        f"| {ret['held_out_on_odd']['unanswerable_abstain_rate']:.3f} / "
        f"{ret['held_out_on_odd']['answerable_answer_rate']:.3f} |",
    ]
    if gen:
        o, b = gen["ours"], gen["baseline"]
        lines += [
            "",
            "## Generation: SmolLM2-135M-Instruct, greedy, 2 CPU cores",
            "",
            "| | ours (onnxruntime-genai int4) | plain transformers pipeline (fp32) | ratio |",
            "| --- | --- | --- | --- |",
            f"| load (s) | {o['load_s']:.2f} | {b['load_s']:.2f} "
            f"| {b['load_s'] / o['load_s']:.1f}x faster |",
        ]
        for name in ("short", "long_500"):
            for key, label in (
                ("ttft_ms_p50", "time to first token (ms)"),
                ("decode_tokens_per_s", "decode tokens/s"),
                ("e2e_tokens_per_s", "end-to-end tokens/s"),
            ):
                ours_v, base_v = o[name][key], b[name][key]
                ratio = base_v / ours_v if key == "ttft_ms_p50" else ours_v / max(base_v, 1e-9)
                lines.append(
                    f"| {name} prompt: {label} | {ours_v:.1f} | {base_v:.1f} | {ratio:.1f}x |"
                )
        h = gen.get("openai_compat_local_server")
        if h:
            lines += [
                "",
                "OpenAI-compatible backend, streaming from a local server "
                "(`benchmarks/text_server.py` around the same int4 model; no vLLM or llama.cpp "
                f"here): short prompt TTFT {h['short']['ttft_ms_p50']:.0f} ms, "
                f"{h['short']['decode_tokens_per_s']:.0f} tokens/s; 500-token prompt TTFT "
                f"{h['long_500']['ttft_ms_p50']:.0f} ms, "
                f"{h['long_500']['decode_tokens_per_s']:.0f} tokens/s.",
            ]
        lines += ["", "Greedy outputs side by side (distinct 4-gram share in brackets):", ""]
        for ours_q, base_q in zip(o["greedy_outputs"], b["greedy_outputs"], strict=True):
            lines += [
                f"**{ours_q['prompt']}**",
                "",
                f"- ours ({ours_q['distinct_4']:.2f}): {' '.join(ours_q['text'].split())}",
                f"- pipeline ({base_q['distinct_4']:.2f}): {' '.join(base_q['text'].split())}",
                "",
            ]
    if r.get("answers"):
        a = r["answers"]
        lines += [
            "## Grounded answers end to end (ours)",
            "",
            f"{a['questions']} answerable questions: outcomes {a['outcomes']}; "
            f"model reply kept (grounded) {a['model_answer_rate']:.0%}; "
            f"latency p50 {a['latency_s_p50']:.2f} s.",
            "",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--models", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--answers", type=int, default=12, help="answerable questions to run")
    parser.add_argument("--retrieval-only", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    embedder = SentenceTransformerEmbedder()
    kb = KnowledgeBase.from_directory(embedder=embedder)
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
        ours = OrtGenAIGenerator(model_path=args.models / "onnx-int4-cpu")
        result["generation"] = {
            "ours": {
                "load_s": ours.load_s,
                **text_generation.ours(
                    ours, tokenizer, max_new_tokens=args.max_new_tokens, repeat=args.repeat + 2
                ),
            },
            "baseline": baseline,
        }
        log.info("ortgenai done")
        server = text_server.serve(ours)
        host, port = server.server_address[:2]
        http = OpenAICompatGenerator(base_url=f"http://{host}:{port}/v1", model="smollm2-135m")
        result["generation"]["openai_compat_local_server"] = text_generation.ours(
            http, tokenizer, max_new_tokens=args.max_new_tokens, repeat=args.repeat
        )
        server.shutdown()
        log.info("openai-compatible server done")
        if args.answers:
            result["answers"] = answers(kb, ours, questions, args.answers)

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
    (RESULTS / "text.md").write_text(markdown(result))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
