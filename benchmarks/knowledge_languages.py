# ruff: noqa: RUF001  (Chinese text and punctuation, on purpose)
"""Knowledge answers in Chinese: the right fact from the Chinese documents, per encoder.

    python -m benchmarks.knowledge_languages           # both encoders, writes results
    python -m benchmarks.knowledge_languages --quick   # dev split, multilingual encoder only

Runs ``benchmarks/data/knowledge_qa_zh.yml`` (Chinese customer questions over
``data/knowledge/zh``) through the shipped answer pipeline with
``language="zh"``, once per sentence encoder, in one process and one run:

* **all-minilm-l6-v2**: the English encoder the default knowledge base uses
  (what a Chinese knowledge base gets with no multilingual encoder built);
* **multilingual-e5-small**: the Chinese knowledge base's default encoder
  (``models/encoders/multilingual-e5-small/source``, built by ``make setup``).

Each encoder's abstention threshold is calibrated on the dev split
(:func:`generators.retrieval.calibrate_threshold`: answerable vs unanswerable
top scores) and then applied to every question; the held-out split was written
with the others and not looked at while the Chinese expansions were written.
``answer_accuracy`` counts a reply correct as in :mod:`benchmarks.knowledge`:
its text contains every fact string, or it abstains when nothing answers.
Writes ``benchmarks/results/knowledge_zh.json``, ``.md`` and ``.png``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import BRAND, IGNORE_TERMS, KNOWLEDGE_DIR, MODELS_DIR
from benchmarks.knowledge import evaluate, is_correct, load_questions
from generators.answer import AnswerPipeline
from generators.backends.extractive import ExtractiveGenerator
from generators.embeddings import Embedder
from generators.languages import KnowledgeBases
from generators.retrieval import KnowledgeBase
from generators.settings import MULTILINGUAL_EMBEDDER

QUESTIONS = Path(__file__).parent / "data" / "knowledge_qa_zh.yml"
RESULTS = Path(__file__).parent / "results"
LANGUAGE = "zh"
log = logging.getLogger("benchmarks.knowledge_languages")


def chinese_pipeline(
    embedder: Embedder, *, threshold: float, knowledge_dir: Path = KNOWLEDGE_DIR
) -> AnswerPipeline:
    """The shipped pipeline, with the Chinese knowledge base beside the English one."""
    zh = KnowledgeBase.from_directory(
        knowledge_dir / LANGUAGE, embedder=embedder, threshold=threshold, ignore_terms=IGNORE_TERMS
    )
    return AnswerPipeline(
        brand=BRAND,
        knowledge_base=zh,
        knowledge_bases=KnowledgeBases(zh, {LANGUAGE: zh}),
        generator=ExtractiveGenerator(),
        generate=False,
    )


def calibrate(pipe: AnswerPipeline, rows: Sequence[dict[str, Any]]) -> float:
    """The threshold with the best answer accuracy on the dev split.

    Each dev question is answered once with no threshold; a cut then keeps
    the answers scored at or above it (right when they contain the fact) and
    turns the others into "I don't know" (right when nothing answers). Ties
    go to the lowest cut.
    """
    _, kb = pipe.knowledge_bases.for_language(LANGUAGE)
    kb.threshold = 0.0
    dev = [r for r in rows if r["split"] == "dev"]
    answers = [(r, pipe.answer(r["q"], language=LANGUAGE)) for r in dev]
    scored = [(a.score or 0.0, bool(r["facts"]), is_correct(r, a)) for r, a in answers]
    values = sorted({s for s, _, _ in scored})
    cuts = [0.0] + [(a + b) / 2 for a, b in itertools.pairwise(values)]
    best, best_right = 0.0, -1
    for cut in cuts:
        right = sum(
            (score >= cut and ok) if answerable else score < cut for score, answerable, ok in scored
        )
        if right > best_right:
            best, best_right = cut, right
    return round(best, 3)


def run_encoder(name: str, embedder: Embedder, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    pipe = chinese_pipeline(embedder, threshold=0.0)
    threshold = calibrate(pipe, rows)
    _, kb = pipe.knowledge_bases.for_language(LANGUAGE)
    kb.threshold = threshold
    result = evaluate(lambda q, _c: pipe.answer(q, language=LANGUAGE), rows)
    result["encoder"] = name
    result["threshold"] = threshold
    return result


def encoders(quick: bool) -> list[tuple[str, Embedder]]:
    from generators.embeddings import SentenceTransformerEmbedder

    multilingual = MODELS_DIR / MULTILINGUAL_EMBEDDER
    found: list[tuple[str, Embedder]] = []
    if not quick:
        found.append(("all-minilm-l6-v2", SentenceTransformerEmbedder()))
    if multilingual.is_dir():
        found.append(
            ("multilingual-e5-small", SentenceTransformerEmbedder(model_path=multilingual))
        )
    else:
        log.warning("no %s: run `make setup` to build the multilingual encoder", multilingual)
    return found


def markdown(r: dict[str, Any]) -> str:
    lines = [
        "# Knowledge answers in Chinese",
        "",
        f"{r['questions']} Chinese questions (`benchmarks/data/knowledge_qa_zh.yml`) over "
        "`data/knowledge/zh`, extractive answers, threshold calibrated on the dev split. "
        f"Machine: {r['machine']}.",
        "",
        "| encoder | threshold | accuracy | dev | held-out | unanswerable | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in r["encoders"]:
        cells = (
            e["answer_accuracy"],
            e["answer_accuracy_dev"],
            e["answer_accuracy_heldout"],
            e["by_category"].get("unanswerable"),
        )
        lines.append(
            f"| {e['encoder']} | {e['threshold']:.3f} | "
            + " | ".join("–" if v is None else f"{v:.3f}" for v in cells)
            + f" | {e['p50_ms']:.0f} | {e['p95_ms']:.0f} |"
        )
    best = r["encoders"][-1]
    if best["wrong"]:
        lines += ["", f"Wrong with {best['encoder']}:", ""]
        lines += [f"- {w['q']} ({w['split']}): {w['reply'][:60]}" for w in best["wrong"]]
    return "\n".join(lines) + "\n"


def plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["all", "dev", "held-out", "unanswerable"]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / max(1, len(r["encoders"]))
    for n, e in enumerate(r["encoders"]):
        values = [
            e["answer_accuracy"],
            e["answer_accuracy_dev"],
            e["answer_accuracy_heldout"],
            e["by_category"].get("unanswerable"),
        ]
        xs = [x + (n - (len(r["encoders"]) - 1) / 2) * width for x in range(len(labels))]
        ax.bar(xs, [v or 0.0 for v in values], width=width, label=e["encoder"])
    ax.set_xticks(list(range(len(labels))), labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("answer accuracy")
    ax.set_title("Knowledge answers in Chinese, by encoder")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(quick: bool = False) -> dict[str, Any]:
    rows = load_questions(QUESTIONS)
    if quick:
        rows = [r for r in rows if r["split"] == "dev"]
    return {
        "questions": len(rows),
        "language": LANGUAGE,
        "encoders": [run_encoder(name, e, rows) for name, e in encoders(quick)],
        "machine": (
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        ),
    }


def write(result: dict[str, Any], out: Path = RESULTS) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "knowledge_zh.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "knowledge_zh.md").write_text(markdown(result), encoding="utf-8")
    plot(result, out / "knowledge_zh.png")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="dev split, multilingual only")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = run(quick=args.quick)
    write(result, args.out)
    for e in result["encoders"]:
        log.warning(
            "%s: answer_accuracy %.3f (held-out %.3f), threshold %.3f, p50 %.0f ms",
            e["encoder"],
            e["answer_accuracy"],
            e["answer_accuracy_heldout"] or 0.0,
            e["threshold"],
            e["p50_ms"],
        )


if __name__ == "__main__":
    main()
