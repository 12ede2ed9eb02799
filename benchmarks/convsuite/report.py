"""The results contract of the conversation suite, its markdown table and its plot.

Numbers are turn-based unless named otherwise (docs/conversations.md):
``helpful_rate`` is helpful turns over all turns; ``conversation_success_rate``
counts conversations whose every turn was helpful. Only aggregates go into
the contract: the turns themselves (held-out ones included) stay in the test
results folder, so nobody tunes the assistant to them by reading a commit.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.convsuite.runner import ConversationResult, TurnResult


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _turns(results: Sequence[ConversationResult]) -> list[TurnResult]:
    return [t for r in results for t in r.turns]


def _block(results: Sequence[ConversationResult]) -> dict[str, Any]:
    turns = _turns(results)
    helpful = sum(t.verdict.helpful for t in turns)
    return {
        "conversations": len(results),
        "turns": len(turns),
        "helpful_turns": helpful,
        "helpful_rate": _rate(helpful, len(turns)),
        "conversation_success_rate": _rate(sum(r.success for r in results), len(results)),
    }


def metrics(results: Sequence[ConversationResult]) -> dict[str, Any]:
    """The results contract (``benchmarks/results/conversations.json``) without run metadata."""
    heldout = [r for r in results if r.conversation.heldout]
    dev = [r for r in results if not r.conversation.heldout]
    turns = _turns(results)
    facts = [t for t in turns if t.verdict.fact_ok is not None]
    facts_heldout = [t for t in _turns(heldout) if t.verdict.fact_ok is not None]
    digressions = [t for t in turns if t.digression]
    latency: dict[str, list[float]] = defaultdict(list)
    for t in turns:
        latency[t.verdict.reply_type].append(t.latency_ms)
    by_category: dict[str, list[ConversationResult]] = defaultdict(list)
    for r in results:
        by_category[r.conversation.category].append(r)
    return {
        **_block(results),
        "helpful_rate_heldout": _block(heldout)["helpful_rate"],
        "helpful_rate_dev": _block(dev)["helpful_rate"],
        "conversation_success_rate_heldout": _block(heldout)["conversation_success_rate"],
        "silent_turns": sum(t.verdict.silent for t in turns),
        "form_digression_rate": _rate(
            sum(t.verdict.helpful for t in digressions), len(digressions)
        ),
        "form_digressions": len(digressions),
        "constraint_violations": sum(len(t.verdict.violations) for t in turns),
        "constraint_turns": sum(
            1
            for r in results
            for t, spec in zip(r.turns, r.conversation.turns, strict=True)
            if spec.expect.constraint
        ),
        "answer_accuracy": _rate(sum(bool(t.verdict.fact_ok) for t in facts), len(facts)),
        "answer_questions": len(facts),
        "answer_accuracy_heldout": _rate(
            sum(bool(t.verdict.fact_ok) for t in facts_heldout), len(facts_heldout)
        ),
        "latency": {
            kind: {
                "n": len(values),
                "p50_ms": round(percentile(values, 50), 1),
                "p95_ms": round(percentile(values, 95), 1),
            }
            for kind, values in sorted(latency.items())
        },
        "categories": {
            name: {
                **_block(group),
                "heldout": _block([r for r in group if r.conversation.heldout]),
            }
            for name, group in sorted(by_category.items())
        },
        "split": {"dev": _block(dev), "heldout": _block(heldout)},
    }


def failures(results: Sequence[ConversationResult]) -> list[dict[str, Any]]:
    """Unhelpful turns with what went wrong (for the test results folder only)."""
    return [
        {
            "id": r.conversation.id,
            "category": r.conversation.category,
            "heldout": r.conversation.heldout,
            "turn": i + 1,
            "user": t.user,
            "failures": list(t.verdict.failures),
            "reply": t.reply,
        }
        for r in results
        for i, t in enumerate(r.turns)
        if not t.verdict.helpful
    ]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def markdown(contract: dict[str, Any]) -> str:
    """The summary table a person reads (conversations.md)."""
    lines = [
        "# Conversation suite",
        "",
        f"{contract['conversations']} conversations, {contract['turns']} customer turns, "
        f"played over REST against the real servers ({contract.get('machine', 'this machine')}, "
        f"{contract.get('date', '')}, {contract.get('duration_s', '?')} s). "
        "Definitions: docs/conversations.md.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| helpful_rate (all turns) | {_pct(contract['helpful_rate'])} |",
        f"| helpful_rate_heldout | {_pct(contract['helpful_rate_heldout'])} |",
        f"| helpful_rate_dev | {_pct(contract['helpful_rate_dev'])} |",
        f"| conversation_success_rate | {_pct(contract['conversation_success_rate'])} |",
        f"| answer_accuracy ({contract['answer_questions']} knowledge questions) "
        f"| {_pct(contract['answer_accuracy'])} |",
        f"| answer_accuracy_heldout | {_pct(contract['answer_accuracy_heldout'])} |",
        f"| form_digression_rate ({contract['form_digressions']} digressions) "
        f"| {_pct(contract['form_digression_rate'])} |",
        f"| silent_turns (must be 0) | {contract['silent_turns']} |",
        f"| constraint_violations (must be 0; {contract['constraint_turns']} turns) "
        f"| {contract['constraint_violations']} |",
        "",
        "## By category (turns)",
        "",
        "| category | conversations | turns | helpful | held-out helpful "
        "| conversations fully helpful |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, c in contract["categories"].items():
        lines.append(
            f"| {name} | {c['conversations']} | {c['turns']} | {_pct(c['helpful_rate'])} "
            f"| {_pct(c['heldout']['helpful_rate'])} | {_pct(c['conversation_success_rate'])} |"
        )
    lines += [
        "",
        "## Latency per reply type (REST round trip)",
        "",
        "| reply type | turns | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    for kind, lat in contract["latency"].items():
        lines.append(f"| {kind} | {lat['n']} | {lat['p50_ms']:.0f} | {lat['p95_ms']:.0f} |")
    return "\n".join(lines) + "\n"


def plot(contract: dict[str, Any], path: Path) -> bool:
    """Per-category helpful rates (dev vs held-out) and latency per reply type."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = list(contract["categories"])
    cats = contract["categories"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 2]})
    x = range(len(names))
    dev = []
    for n in names:
        c = cats[n]
        dev_turns = c["turns"] - c["heldout"]["turns"]
        dev_helpful = c["helpful_turns"] - c["heldout"]["helpful_turns"]
        dev.append(dev_helpful / dev_turns if dev_turns else 0.0)
    held = [cats[n]["heldout"]["helpful_rate"] or 0.0 for n in names]
    left.bar([i - 0.2 for i in x], dev, width=0.4, label="dev")
    left.bar([i + 0.2 for i in x], held, width=0.4, label="held-out")
    left.set_xticks(list(x), names, rotation=40, ha="right")
    left.set_ylim(0, 1)
    left.set_ylabel("helpful turns")
    left.set_title(
        f"Helpful rate by category (all {_pct(contract['helpful_rate'])}, "
        f"held-out {_pct(contract['helpful_rate_heldout'])})"
    )
    left.legend()
    kinds = list(contract["latency"])
    p50 = [contract["latency"][k]["p50_ms"] for k in kinds]
    p95 = [contract["latency"][k]["p95_ms"] for k in kinds]
    y = range(len(kinds))
    right.barh([i + 0.2 for i in y], p50, height=0.4, label="p50")
    right.barh([i - 0.2 for i in y], p95, height=0.4, label="p95")
    right.set_yticks(list(y), kinds)
    right.set_xlabel("ms per reply (REST round trip)")
    right.set_title("Latency per reply type")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(contract: dict[str, Any], directory: Path, *, name: str = "conversations") -> list[Path]:
    """``<name>.json``, ``<name>.md`` and (with matplotlib) ``<name>.png`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / f"{name}.json", directory / f"{name}.md"]
    written[0].write_text(json.dumps(contract, indent=2) + "\n", encoding="utf-8")
    written[1].write_text(markdown(contract), encoding="utf-8")
    if plot(contract, directory / f"{name}.png"):
        written.append(directory / f"{name}.png")
    return written
