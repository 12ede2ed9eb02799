"""The text benchmark's tables and plot, from the result dict :mod:`benchmarks.text` writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.text_generation import QUALITY_PROMPTS

FIGURES = (
    ("ttft_ms_p50", "time to first token (ms)"),
    ("decode_tokens_per_s", "decode tokens/s"),
    ("e2e_tokens_per_s", "end-to-end tokens/s"),
)


def _retrieval(ret: dict[str, Any]) -> list[str]:
    return [
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


def _generation(gen: dict[str, Any]) -> list[str]:
    o, b = gen["ours"], gen["baseline"]
    h = gen.get("openai_compat_local_server")
    llama = gen.get("llama_cpp_server") or {}
    http_cols = [("openai → text_server.py (ours)", h)] if h else []
    if "load_s" in llama:
        http_cols.append(("openai → llama.cpp server (GGUF Q4_1)", llama))
    header = f"| | ours (onnxruntime-genai, {o.get('build', 'int4')}) "
    header += "| plain transformers pipeline (fp32) | ratio |"
    header += "".join(f" {name} |" for name, _ in http_cols)
    lines = [
        "## Generation: SmolLM2-135M-Instruct, greedy, 2 CPU cores",
        "",
        "Same prompts, same `max_new_tokens`, tokens counted with the same tokenizer. "
        "The last columns go through the project's `openai` backend (HTTP, server-sent "
        "events); a server's load time is from process start to its first `200` on "
        "`/v1/models`.",
        "",
        header,
        "| --- " * (4 + len(http_cols)) + "|",
    ]

    def cells(name: str, key: str) -> str:
        return "".join(f" {col[name][key]:.1f} |" for _, col in http_cols)

    lines.append(
        f"| load (s) | {o['load_s']:.2f} | {b['load_s']:.2f} "
        f"| {b['load_s'] / o['load_s']:.1f}x faster |"
        + "".join(
            f" {col['load_s']:.2f} |" if "load_s" in col else " (ours, in process) |"
            for _, col in http_cols
        )
    )
    for name in ("short", "long_500"):
        for key, label in FIGURES:
            ours_v, base_v = o[name][key], b[name][key]
            ratio = base_v / ours_v if key == "ttft_ms_p50" else ours_v / max(base_v, 1e-9)
            lines.append(
                f"| {name} prompt: {label} | {ours_v:.1f} | {base_v:.1f} | {ratio:.1f}x |"
                + cells(name, key)
            )
    if "not_measured" in llama:
        lines += ["", f"llama.cpp server: not measured: {llama['not_measured']}."]
    elif llama:
        lines += [
            "",
            f"llama.cpp server: {llama['server']}, model `{llama['model']}`. Each timed run "
            "numbers the user's message so the server's prefix cache cannot skip the prefill; "
            "the same 500-token prompt sent again unchanged gets its first token after "
            f"{llama['long_500_repeated_prompt_ttft_ms_p50']:.0f} ms.",
        ]
    lines += [
        "",
        "Greedy outputs side by side (distinct 4-gram share in brackets). Each with its "
        "default penalty: ours 1.15 (`GenerationOptions`), the pipeline none, llama.cpp "
        "its server's `repeat_penalty` 1.1 over the last 64 tokens, since it does not read "
        "the `repetition_penalty` field the `openai` backend sends.",
        "",
    ]
    columns = [("ours", o), ("pipeline", b)]
    if "greedy_outputs" in llama:
        columns.append(("llama.cpp", llama))
    for i, first in enumerate(o["greedy_outputs"]):
        lines += [f"**{first['prompt']}**", ""]
        for label, col in columns:
            q = col["greedy_outputs"][i]
            lines.append(f"- {label} ({q['distinct_4']:.2f}): {' '.join(q['text'].split())}")
        lines.append("")
    return lines


def _quantisation(q: dict[str, Any]) -> list[str]:
    rows = [r for r in q["variants"] if "error" not in r]
    lines = [
        "## Quantisation: ONNX builds against the fp32 model",
        "",
        f"Reference: {q['reference']}. Teacher-forced over the knowledge base "
        f"({q['windows']} windows of up to 512 tokens, {rows[0]['tokens']} predictions): "
        "top-1 = share of positions where the build's next token equals fp32's; KL = mean "
        "KL(fp32 ‖ build) in nats; perplexity of the documents (fp32: "
        f"{rows[0]['perplexity_fp32']:.2f}). Greedy = mean tokens (of ~48) equal to fp32's "
        f"greedy reply before the first divergence, over {len(q['greedy_prompts'])} prompts "
        "(the generation section's 3 and the first question about each knowledge document), "
        "without and with the 1.15 repetition penalty, and how many replies are identical; "
        "distinct-4 = lowest distinct-4-gram share without the penalty (loops). Speed "
        "through the `ortgenai` backend.",
        "",
        "| build | MB | decode tokens/s | TTFT (ms) | TTFT 500-token prompt (ms) | top-1 | KL "
        "| perplexity | greedy, no penalty (identical) | greedy, 1.15 (identical) | distinct-4 |",
        "| --- " * 11 + "|",
    ]
    for r in rows:
        g0, g1 = r["greedy"]["no_penalty"], r["greedy"]["penalty_1.15"]
        lines.append(
            f"| {r['name']} | {r['size_mb']:.0f} | {r['decode_tokens_per_s']:.0f} "
            f"| {r['ttft_ms_p50']:.0f} | {r['ttft_ms_p50_long_500']:.0f} "
            f"| {r['top1_agreement']:.3f} | {r['kl_mean']:.3f} "
            f"| {r['perplexity']:.2f} | {g0['prefix_tokens_mean']:.1f} ({g0['identical']}) "
            f"| {g1['prefix_tokens_mean']:.1f} ({g1['identical']}) | {g0['distinct_4_min']:.2f} |"
        )
    lines += ["", "What each build changes:", ""]
    lines += [f"- {r['name']}: {r['why']} (`{_flags(r)}`)" for r in rows]
    lines += [f"- {r['name']}: failed: {r['error']}" for r in q["variants"] if "error" in r]
    prompt = 1  # the battery tips, where the int4 build answered "1. 1."
    lines += ["", f"Greedy replies to *{QUALITY_PROMPTS[prompt]}*:", ""]
    for key, label in (("no_penalty", "no penalty"), ("penalty_1.15", "penalty 1.15")):
        lines.append(f"- fp32, {label}: {_flat(q['reference_greedy'][key][prompt])}")
        lines += [
            f"- {r['name']}, {label}: {_flat(r['greedy'][key]['texts'][prompt])}" for r in rows
        ]
    return lines


def _flat(text: str) -> str:
    return " ".join(text.split())


def _flags(r: dict[str, Any]) -> str:
    flags = f"-p {r['precision']}"
    if r["options"]:
        flags += " --extra_options " + " ".join(f"{k}={v}" for k, v in r["options"].items())
    return flags


def markdown(r: dict[str, Any]) -> str:
    lines = [
        "# Text generators benchmark",
        "",
        f"{r['machine']}. Ratios are measured in the same run; absolute figures move with load.",
        "",
        *_retrieval(r["retrieval"]),
    ]
    if r.get("generation"):
        lines += ["", *_generation(r["generation"])]
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
    if r.get("quantisation"):
        lines += _quantisation(r["quantisation"])
    return "\n".join(lines) + "\n"


def plot(q: dict[str, Any], path: Path) -> None:
    """Speed against closeness to fp32, one point per build."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in (r for r in q["variants"] if "error" not in r):
        ax.scatter(r["top1_agreement"], r["decode_tokens_per_s"])
        ax.annotate(r["name"], (r["top1_agreement"], r["decode_tokens_per_s"]), fontsize=8)
    ax.axhline(100, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("teacher-forced top-1 agreement with fp32 (knowledge base)")
    ax.set_ylabel("decode tokens/s, short prompt, 2 cores")
    ax.set_title("SmolLM2-135M ONNX builds: speed against fidelity (dashed: 100 tokens/s)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
