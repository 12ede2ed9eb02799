"""Knowledge answers benchmark: does the reply contain the fact that answers the question?

    python -m benchmarks.knowledge                 # before vs after, writes results
    python -m benchmarks.knowledge --generation    # also the configured model's grounding rate
    python -m benchmarks.knowledge --tune          # grid search on the dev split (prints)

Runs ``benchmarks/data/knowledge_qa.yml`` through two pipelines side by side,
in one process and one run, and writes ``benchmarks/results/knowledge.json``,
``knowledge.md`` and ``knowledge.png``:

* **before**: the answer pipeline as it was: cosine retrieval over sections,
  no reranking, no catalogue, no conversation context, one or two quoted
  sentences (:func:`generators.backends.extractive.extract_answer`);
* **after**: the shipped configuration: hybrid retrieval with reranking and
  query expansion, answers composed from the best passage(s), product facts
  from the catalogue, follow-ups resolved from the earlier questions, no model.

``answer_accuracy`` counts a reply correct when its text (not its source
line) contains every fact string of the question, or, for a question nothing
answers, when the assistant says it does not know. Latency is the wall time
of :meth:`AnswerPipeline.answer` per question (the follow-ups' earlier
questions are asked first and not timed), on this machine's cores.
``--generation`` answers the questions that reach retrieval with the
configured generation backend (``TANDEM_TEXT_BACKEND``, SmolLM2-135M on
onnxruntime-genai by default) and reports how many replies pass the grounding
check, their accuracy and latency; this is the measurement behind answering
extractively by default.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import platform
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from benchmarks import BRAND, CATALOG_DIR, IGNORE_TERMS, KNOWLEDGE_DIR
from generators.answer import DONT_KNOW, Answer, AnswerPipeline
from generators.backends.extractive import ExtractiveGenerator
from generators.embeddings import Embedder
from generators.followup import Context
from generators.products import ProductCatalog
from generators.retrieval import (
    DEFAULT_THRESHOLD,
    DENSE_ONLY,
    KnowledgeBase,
    SentenceReranker,
    Weights,
    load_chunks,
)

QUESTIONS = Path(__file__).parent / "data" / "knowledge_qa.yml"
RESULTS = Path(__file__).parent / "results"
BEFORE_THRESHOLD = 0.36
"""The cosine threshold the pipeline shipped with before reranking."""
log = logging.getLogger("benchmarks.knowledge")

Ask = Callable[[str, Context | None], Answer]


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    rows = list(yaml.safe_load(path.read_text(encoding="utf-8"))["questions"])
    for row in rows:
        fact = row.get("fact")
        row["facts"] = [] if fact is None else ([fact] if isinstance(fact, str) else list(fact))
        row.setdefault("split", "dev")
        row.setdefault("context", [])
        row["category"] = _category(row)
    return rows


def _category(row: dict[str, Any]) -> str:
    if row.get("fact") is None:
        return "unanswerable"
    if row.get("context"):
        return "follow-up"
    return str(row.get("about", "knowledge"))


def _norm(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3})", "", " ".join(text.lower().replace("\u2019", "'").split()))


def is_correct(row: dict[str, Any], answer: Answer) -> bool:
    if not row["facts"]:
        return answer.outcome == "abstained" or answer.text == DONT_KNOW
    text = _norm(answer.text)
    return all(_norm(f) in text for f in row["facts"])


def before_pipeline(embedder: Embedder, knowledge_dir: Path = KNOWLEDGE_DIR) -> Ask:
    """Retrieval by cosine only, one or two quoted sentences, no catalogue, no context."""
    kb = KnowledgeBase(
        load_chunks(knowledge_dir),
        embedder=embedder,
        threshold=BEFORE_THRESHOLD,
        weights=DENSE_ONLY,
        ignore_terms=IGNORE_TERMS,
    )
    pipe = AnswerPipeline(
        brand=BRAND, knowledge_base=kb, generator=ExtractiveGenerator(), generate=True
    )
    return lambda question, _context: pipe.answer(question)


def after_pipeline(
    embedder: Embedder,
    *,
    knowledge_dir: Path = KNOWLEDGE_DIR,
    weights: Weights | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    generator: Any = None,
) -> tuple[Ask, AnswerPipeline]:
    kb = KnowledgeBase.from_directory(
        knowledge_dir,
        embedder=embedder,
        threshold=threshold,
        weights=weights,
        ignore_terms=IGNORE_TERMS,
    )
    pipe = AnswerPipeline(
        brand=BRAND,
        knowledge_base=kb,
        generator=generator or ExtractiveGenerator(),
        generate=generator is not None,
        catalog=ProductCatalog.from_directory(CATALOG_DIR, business="Voltline"),
        deadline_s=8.0,
    )
    return (lambda q, c: pipe.answer(q, context=c)), pipe


def evaluate(ask: Ask, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy (all, per split, per category) and latency of ``ask`` on ``rows``."""
    results = []
    for row in rows:
        context = Context()
        for earlier in row["context"]:
            previous = ask(earlier, context)
            context = Context(
                previous=(*context.previous, earlier),
                product_id=previous.product_id or context.product_id,
            )
        started = time.perf_counter()
        answer = ask(row["q"], context if row["context"] else None)
        elapsed = time.perf_counter() - started
        results.append(
            {
                "q": row["q"],
                "split": row["split"],
                "category": row["category"],
                "facts": row["facts"],
                "correct": is_correct(row, answer),
                "outcome": answer.outcome,
                "cause": answer.cause,
                "reply": answer.text,
                "citations": list(answer.citations),
                "ms": round(elapsed * 1000, 1),
            }
        )
    return summarise(results)


def _accuracy(rows: Iterable[dict[str, Any]]) -> float | None:
    rows = list(rows)
    return round(sum(r["correct"] for r in rows) / len(rows), 3) if rows else None


def _percentile(values: Sequence[float], q: float) -> float:
    if len(values) < 2:
        return float(values[0]) if values else 0.0
    return float(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1])


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    ms = [r["ms"] for r in results]
    categories = sorted({r["category"] for r in results})
    return {
        "questions": len(results),
        "answer_accuracy": _accuracy(results),
        "answer_accuracy_dev": _accuracy(r for r in results if r["split"] == "dev"),
        "answer_accuracy_heldout": _accuracy(r for r in results if r["split"] == "heldout"),
        "by_category": {c: _accuracy(r for r in results if r["category"] == c) for c in categories},
        "p50_ms": round(_percentile(ms, 50), 1),
        "p95_ms": round(_percentile(ms, 95), 1),
        "outcomes": dict(sorted(_count(r["outcome"] for r in results).items())),
        "wrong": [
            {k: r[k] for k in ("q", "split", "facts", "reply", "citations")}
            for r in results
            if not r["correct"]
        ],
    }


def _count(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def generation(embedder: Embedder, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The configured model on the questions that reach retrieval: grounding pass rate."""
    from generators.settings import TextSettings

    settings = TextSettings.from_env()
    generator = settings.build_generator()
    ask, pipe = after_pipeline(embedder, generator=generator)
    asked = []
    for row in rows:
        if not row["facts"] or row["context"]:
            continue
        if pipe.catalog is not None and pipe.catalog.find(row["q"]) is not None:
            continue  # product facts never reach the model
        started = time.perf_counter()
        answer = ask(row["q"], None)
        asked.append(
            {
                "correct": is_correct(row, answer),
                "grounded": answer.outcome == "answered",
                "outcome": answer.outcome,
                "cause": answer.cause,
                "s": time.perf_counter() - started,
            }
        )
    seconds = [a["s"] for a in asked]
    kept = [a for a in asked if a["grounded"]]
    return {
        "backend": generator.name,
        "questions": len(asked),
        "grounding_pass_rate": round(len(kept) / len(asked), 3) if asked else None,
        "accuracy_of_kept_replies": _accuracy(kept),
        "accuracy_with_fallback": _accuracy(asked),
        "causes": dict(sorted(_count(str(a["cause"]) for a in asked).items())),
        "p50_ms": round(_percentile(seconds, 50) * 1000, 1),
        "p95_ms": round(_percentile(seconds, 95) * 1000, 1),
    }


class CachingEmbedder(Embedder):
    """Remembers query vectors, so a grid search embeds each question once."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.dim = inner.dim
        self._cache: dict[str, Any] = {}

    def embed(self, texts: Sequence[str]) -> Any:
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self.inner.embed(missing), strict=True):
                self._cache[text] = vector
        return np.stack([self._cache[t] for t in texts]) if texts else self.inner.embed([])

    def embed_passages(self, texts: Sequence[str]) -> Any:
        return self.inner.embed_passages(texts)


def tune(embedder: Embedder, rows: Sequence[dict[str, Any]]) -> list[tuple[float, Weights, float]]:
    """Grid search of the blend and the threshold on the dev split; best first.

    Each blend runs once with no threshold; a question's verdict at threshold
    t follows from its top score (below t it abstains), so thresholds cost
    nothing. Product facts answered from the catalogue have no score.
    """
    dev = [r for r in rows if r["split"] == "dev"]
    _, pipe = after_pipeline(CachingEmbedder(embedder), threshold=-1.0)
    kb = pipe.knowledge_base
    thresholds = [round(0.2 + 0.01 * i, 2) for i in range(31)]
    scored = []
    grid = itertools.product(
        (0.2, 0.35, 0.5), (0.2, 0.35, 0.5), (0.2, 0.35, 0.5), (0.0, 0.4, 0.7), (0.2, 0.5)
    )
    for section, sentence, lexical, rerank, sentence_lexical in grid:
        total = section + sentence + lexical
        weights = Weights(
            section=round(section / total, 3),
            sentence=round(sentence / total, 3),
            lexical=round(lexical / total, 3),
            rerank=rerank,
            sentence_lexical=sentence_lexical,
        )
        kb.weights = weights
        kb.reranker = SentenceReranker(weights)
        verdicts = []
        for row in dev:
            context = Context()
            for earlier in row["context"]:
                previous = pipe.answer(earlier, context=context)
                context = Context((*context.previous, earlier), previous.product_id)
            answer = pipe.answer(row["q"], context=context)
            verdicts.append((answer.score, is_correct(row, answer), not row["facts"]))
        for t in thresholds:
            right = sum(
                (unanswerable if score is not None and score < t else correct)
                for score, correct, unanswerable in verdicts
            )
            scored.append((round(right / len(dev), 3), weights, t))
    return sorted(scored, key=lambda s: -s[0])


def run(embedder: Embedder, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    before = evaluate(before_pipeline(embedder), rows)
    after = evaluate(after_pipeline(embedder)[0], rows)
    return {
        "questions": len(rows),
        "heldout_questions": sum(r["split"] == "heldout" for r in rows),
        "before": before,
        "after": after,
        "answer_accuracy": after["answer_accuracy"],
        "p50_ms": after["p50_ms"],
        "p95_ms": after["p95_ms"],
    }


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def markdown(r: dict[str, Any]) -> str:
    b, a = r["before"], r["after"]
    lines = [
        "# Knowledge answers benchmark",
        "",
        f"{r['machine']}. {r['questions']} questions ({r['heldout_questions']} held out, "
        "never used for tuning) from `benchmarks/data/knowledge_qa.yml`; a reply is correct "
        "when it contains the fact that answers the question (or says it does not know "
        "when nothing does). Both pipelines ran in the same process, one after the other.",
        "",
        "| | before | after |",
        "| --- | --- | --- |",
        f"| answer_accuracy | {_f(b['answer_accuracy'])} | **{_f(a['answer_accuracy'])}** |",
        f"| dev split | {_f(b['answer_accuracy_dev'])} | {_f(a['answer_accuracy_dev'])} |",
        f"| held-out split | {_f(b['answer_accuracy_heldout'])} | "
        f"{_f(a['answer_accuracy_heldout'])} |",
    ]
    for category in a["by_category"]:
        lines.append(
            f"| {category} | {_f(b['by_category'].get(category))} | "
            f"{_f(a['by_category'][category])} |"
        )
    lines += [
        f"| latency p50 | {b['p50_ms']:.0f} ms | {a['p50_ms']:.0f} ms |",
        f"| latency p95 | {b['p95_ms']:.0f} ms | {a['p95_ms']:.0f} ms |",
        "",
        "Before is run with its extractive path only; with its default backend it also spent "
        "the model time measured below on every answer before falling back.",
        "",
    ]
    if r.get("generation"):
        g = r["generation"]
        lines += [
            "## Generation with the configured model",
            "",
            f"`{g['backend']}` on the {g['questions']} answerable questions that reach retrieval "
            f"(after's retrieval): grounding pass rate **{g['grounding_pass_rate'] or 0:.0%}**, "
            f"accuracy of the kept replies {_f(g['accuracy_of_kept_replies'])}, accuracy with the "
            f"extractive fallback {_f(g['accuracy_with_fallback'])}, latency p50 "
            f"{g['p50_ms']:.0f} ms / p95 {g['p95_ms']:.0f} ms. Causes: {g['causes']}.",
            "",
        ]
    lines += ["## Still wrong after", ""]
    lines += [
        f"- ({w['split']}) *{w['q']}* — wanted {w['facts'] or 'I do not know'}; got: "
        f"{' '.join(w['reply'].split())[:160]}"
        for w in a["wrong"]
    ] or ["- none"]
    return "\n".join(lines) + "\n"


def plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    b, a = r["before"], r["after"]
    labels = ["all", "dev", "held-out", *a["by_category"]]
    before = [
        b["answer_accuracy"],
        b["answer_accuracy_dev"],
        b["answer_accuracy_heldout"],
        *(b["by_category"].get(c) for c in a["by_category"]),
    ]
    after = [
        a["answer_accuracy"],
        a["answer_accuracy_dev"],
        a["answer_accuracy_heldout"],
        *a["by_category"].values(),
    ]
    before = [v or 0.0 for v in before]
    after = [v or 0.0 for v in after]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], before, width=0.4, label="before", color="#bbbbbb")
    ax.bar([x + 0.2 for x in xs], after, width=0.4, label="after", color="#2b6cb0")
    ax.axhline(0.9, color="grey", linestyle="--", linewidth=1)
    ax.set_xticks(list(xs), labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("answer accuracy")
    ax.set_title(
        f"Knowledge answers (dashed: 0.9 target); p95 {b['p95_ms']:.0f} → {a['p95_ms']:.0f} ms"
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(result: dict[str, Any], out: Path = RESULTS) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "knowledge.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (out / "knowledge.md").write_text(markdown(result), encoding="utf-8")
    plot(result, out / "knowledge.png")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generation", action="store_true", help="also measure the model")
    parser.add_argument("--tune", action="store_true", help="grid search on the dev split")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from generators.embeddings import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    rows = load_questions()
    if args.tune:
        for accuracy, weights, threshold in tune(embedder, rows)[:10]:
            log.warning("%.3f threshold=%.2f %s", accuracy, threshold, weights)
        return
    result = run(embedder, rows)
    result["machine"] = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    if args.generation:
        result["generation"] = generation(embedder, rows)
    write(result, args.out)
    log.warning(
        "answer_accuracy %.3f → %.3f, p95 %.0f → %.0f ms",
        result["before"]["answer_accuracy"],
        result["after"]["answer_accuracy"],
        result["before"]["p95_ms"],
        result["after"]["p95_ms"],
    )


if __name__ == "__main__":
    main()
