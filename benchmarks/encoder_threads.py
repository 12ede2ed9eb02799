"""Encode latency with ONNX Runtime's idle threads spinning or not.

``python -m benchmarks.encoder_threads --texts ../shared/data/banking77/test.csv``
(engine or actions venv) encodes one text at a time, as the Rasa server does,
with each encoder alone and with all of them one after the other (the
two-encoder pipeline of docs/nlu.md), once with ``allow_spinning`` on (ONNX
Runtime's default) and once off (Tandem's default). The configurations take
turns in rounds, so a noisy neighbour hits them alike. Writes
``encoder_threads.{json,md,png}`` under ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu.encoder import OnnxSentenceEncoder

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ENCODERS = [ROOT / "models/encoders/all-minilm-l6-v2"]
MPNET = ROOT / "models/encoders/all-mpnet-base-v2"


def read_texts(path: Path) -> list[str]:
    """The ``text`` column of a Banking77-style CSV."""
    with path.open(newline="", encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f)]


def measure(
    folders: list[Path], texts: list[str], *, threads: int, spinning: bool, warmup: int = 10
) -> list[float]:
    """Milliseconds per text for encoding it with every encoder in turn."""
    encoders = [
        OnnxSentenceEncoder(f, num_threads=threads, allow_spinning=spinning) for f in folders
    ]
    for text in texts[:warmup]:
        for encoder in encoders:
            encoder.encode([text])
    timings = []
    for text in texts:
        start = time.perf_counter()
        for encoder in encoders:
            encoder.encode([text])
        timings.append((time.perf_counter() - start) * 1000)
    del encoders
    gc.collect()
    return timings


def run(folders: list[Path], texts: list[str], *, threads: int, rounds: int) -> dict[str, Any]:
    names = [f.name for f in folders]
    setups = [[f] for f in dict.fromkeys(folders)] + ([folders] if len(folders) > 1 else [])
    timings: dict[tuple[str, bool], list[float]] = {}
    per_round = max(1, len(texts) // rounds)
    for r in range(rounds):
        chunk = texts[r * per_round : (r + 1) * per_round]
        for setup in setups:
            for spinning in (True, False):
                label = " then ".join(f.name for f in setup)
                times = measure(setup, chunk, threads=threads, spinning=spinning)
                timings.setdefault((label, spinning), []).extend(times)
    rows = []
    for (label, spinning), times in timings.items():
        rows.append({
            "encoders": label, "allow_spinning": spinning, "n": len(times),
            "p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)),
        })  # fmt: skip
    return {"encoders": names, "threads": threads, "rounds": rounds, "rows": rows}


def markdown(result: dict[str, Any], command: str) -> str:
    by_label: dict[str, dict[bool, dict[str, Any]]] = {}
    for row in result["rows"]:
        by_label.setdefault(row["encoders"], {})[row["allow_spinning"]] = row
    lines = [
        "# Encode latency: ONNX Runtime's idle threads spinning or not",
        "",
        f"Produced by `{command}` on {os.cpu_count()} CPU cores, "
        f"{result['threads']} threads per session, one text at a time, "
        f"{result['rounds']} interleaved rounds.",
        "",
        "| encoders (one text each, in turn) | spinning on: p50 / p95 | "
        "spinning off: p50 / p95 | off / on (p50) |",
        "|---|---|---|---|",
    ]
    for label, pair in by_label.items():
        on, off = pair[True], pair[False]
        lines.append(
            f"| {label} | {on['p50_ms']:.1f} / {on['p95_ms']:.1f} ms | "
            f"{off['p50_ms']:.1f} / {off['p95_ms']:.1f} ms | "
            f"{off['p50_ms'] / on['p50_ms']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(row["encoders"] for row in result["rows"]))
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for offset, spinning in ((-0.2, True), (0.2, False)):
        rows = {r["encoders"]: r for r in result["rows"] if r["allow_spinning"] is spinning}
        p50 = [rows[label]["p50_ms"] for label in labels]
        p95 = [rows[label]["p95_ms"] for label in labels]
        name = "spinning on (ONNX Runtime default)" if spinning else "spinning off (Tandem)"
        ax.bar(x + offset, p50, width=0.4, label=f"{name}, p50")
        ax.scatter(x + offset, p95, marker="_", s=300, color="black")
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("ms per text (bar p50, dash p95)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=Path, required=True, help="CSV with a `text` column")
    parser.add_argument(
        "--encoder",
        type=Path,
        action="append",
        help="exported encoder folder, repeatable (default: MiniLM, and mpnet if exported)",
    )
    parser.add_argument("--n", type=int, default=300, help="texts per configuration")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    folders = args.encoder or DEFAULT_ENCODERS + ([MPNET] if MPNET.exists() else [])
    texts = read_texts(args.texts)[: args.n]
    if not texts:
        parser.error(f"--texts {args.texts}: no rows with a `text` column")
    result = run(folders, texts, threads=args.threads, rounds=args.rounds)
    command = "python -m benchmarks.encoder_threads " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "encoder_threads.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "encoder_threads.md").write_text(markdown(result, command))
    plot(result, args.out / "encoder_threads.png")
    logger.info("wrote %s", args.out / "encoder_threads.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
