"""Where one parse's time goes, for one or more trained models side by side.

Run from the repository root in the engine venv::

    PYTHONPATH=. .venv/engine/bin/python -m benchmarks.parse_latency \\
        --model before=/tmp/a/models/nlu.tar.gz --model after=/tmp/b/models/nlu.tar.gz \\
        --texts ../shared/data/massive/zh-CN/test.csv

Every text is parsed by every model in turn (the order alternating), so a
noisy neighbour on a shared machine hits them alike. Per model and text:

- through HTTP, client-side: ``/model/parse`` of ``rasa run --enable-api``
  (one server per model, all of them up at once);
- in process: ``Agent.parse_message`` with no HTTP, and each graph node's share
  of it (a :class:`rasa.engine.graph.GraphNodeHook` timing every node; what is
  left is the graph runner's own overhead);
- the sentence encoder's parts on the same text: word-piece tokenisation
  (``tokenizers``) and the whole ``encode`` call (tokenisation, ONNX Runtime, the
  unpacking of its outputs).

Writes ``parse_latency.json`` and ``parse_latency.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.nlu import ROOT, parse_over_http, read_csv, serve

logger = logging.getLogger("benchmarks.parse_latency")


class NodeTimer:
    """A graph node hook that keeps the last run's milliseconds per node."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}

    def on_before_node(self, node_name: str, *args: Any, **kwargs: Any) -> dict[str, float]:
        return {"start": time.perf_counter()}

    def on_after_node(
        self, node_name: str, execution_context: Any, config: Any, output: Any,
        input_hook_data: dict[str, float],
    ) -> None:  # fmt: skip
        self.last[node_name] = (time.perf_counter() - input_hook_data["start"]) * 1000


def _short(node_name: str) -> str:
    """``run_bot.nlu.featurizer.SentenceEncoderFeaturizer1`` -> ``SentenceEncoderFeaturizer``."""
    return node_name.removeprefix("run_").rsplit(".", 1)[-1].rstrip("0123456789")


class InProcess:
    """A model loaded into this process, with a timer on every node of its graph."""

    def __init__(self, model: str) -> None:
        from rasa.core.agent import Agent

        from bot.nlu.featurizer import SentenceEncoderFeaturizer

        self.agent = Agent.load(model)
        self.timer = NodeTimer()
        self.encoder = None
        # Rasa has no public way to add hooks to a loaded model's graph.
        processor = self.agent.processor
        assert processor is not None
        for node in processor.graph_runner._instantiated_nodes.values():  # type: ignore[attr-defined]
            node._hooks.append(self.timer)
            component = getattr(node, "_component", None)
            if isinstance(component, SentenceEncoderFeaturizer):
                self.encoder = component._encoder

    def parse(self, text: str) -> tuple[float, dict[str, float]]:
        self.timer.last = {}
        start = time.perf_counter()
        asyncio.run(self.agent.parse_message(text))
        total = (time.perf_counter() - start) * 1000
        return total, {_short(name): ms for name, ms in self.timer.last.items()}

    def encoder_parts(self, text: str) -> dict[str, float]:
        if self.encoder is None:
            return {}
        tokenizer = self.encoder._tokenizer
        start = time.perf_counter()
        tokenizer.encode_batch([self.encoder.prefix + text])
        tokenise = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        self.encoder.encode([text])
        return {
            "encoder: word pieces": tokenise,
            "encoder: encode()": (time.perf_counter() - start) * 1000,
        }


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}


def measure(
    models: dict[str, str], texts: list[str], *, threads: int, warmup: int = 10
) -> dict[str, dict[str, dict[str, float]]]:
    """``{model label: {row: {"p50": ms, "p95": ms}}}``."""
    samples: dict[str, dict[str, list[float]]] = {label: {} for label in models}
    with contextlib.ExitStack() as stack:
        urls = {label: stack.enter_context(serve(path, threads=threads))[0]
                for label, path in models.items()}  # fmt: skip
        loaded = {label: InProcess(path) for label, path in models.items()}
        labels = list(models)
        warm = texts[:warmup]
        warmup = len(warm)
        for i, text in enumerate(warm + texts):
            for label in labels if i % 2 else labels[::-1]:
                http = parse_over_http(urls[label], text)
                total, nodes = loaded[label].parse(text)
                parts = loaded[label].encoder_parts(text)
                if i < warmup:
                    continue
                rows = {"HTTP /model/parse": http, "in process: parse_message": total}
                rows |= {f"node: {name}": ms for name, ms in nodes.items()}
                rows["graph runner overhead"] = total - sum(nodes.values())
                rows |= parts
                for row, ms in rows.items():
                    samples[label].setdefault(row, []).append(ms)
    return {label: {row: _stats(v) for row, v in rows.items()} for label, rows in samples.items()}


def markdown(results: dict[str, dict[str, dict[str, float]]], meta: dict[str, Any]) -> str:
    labels = list(results)
    rows = list(dict.fromkeys(row for r in results.values() for row in r))
    lines = [
        "# Parse latency, where the time goes",
        "",
        f"Produced by `{meta['command']}` on {meta['machine']}; {meta['n']} texts, one at a "
        "time, the models taking turns on each text.",
        "",
        "| p50 / p95 (ms) | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for row in rows:
        cells = [
            f"{results[label][row]['p50']:.1f} / {results[label][row]['p95']:.1f}"
            if row in results[label] else "—"
            for label in labels
        ]  # fmt: skip
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    lines += ["", "Models:", ""] + [
        f"- {label}: `{path}`" for label, path in meta["models"].items()
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", action="append", required=True, metavar="LABEL=PATH",
        help="a trained model (.tar.gz) and its label; repeat to compare",
    )  # fmt: skip
    parser.add_argument("--texts", type=Path, required=True, help="CSV with a text column")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    models = dict(item.split("=", 1) for item in args.model)
    texts = [text for text, _ in read_csv(args.texts)][: args.requests]
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    results = measure(models, texts, threads=args.threads)
    meta = {
        "command": "python -m benchmarks.parse_latency "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{os.cpu_count()} CPU cores",
        "n": len(texts),
        "models": models,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "parse_latency.json").write_text(
        json.dumps({"results": results, **meta}, indent=2) + "\n"
    )
    (args.out / "parse_latency.md").write_text(markdown(results, meta))
    logger.info("wrote %s", args.out / "parse_latency.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
