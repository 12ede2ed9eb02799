"""One benchmark run in a fresh process: train an NLU model, parse texts, report.

Run by :mod:`benchmarks.nlu` (engine venv) so that each run's peak memory and
Rasa's global state belong to that run alone::

    python -m benchmarks.nlu_worker --config C --nlu N --domain D --texts T.json \
        --model-dir M --out R.json

The result holds the training wall time, the process's peak RSS and, per text,
the top intent that is not ``nlu_fallback`` with its confidence, and whether the
parse fell back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import time
from pathlib import Path

FALLBACK = "nlu_fallback"


def _top(parse: dict) -> tuple[str | None, float]:
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK]
    if ranking:
        return ranking[0]["name"], float(ranking[0]["confidence"])
    intent = parse.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


async def _parse_all(model: str, texts: list[str]) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in texts]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--nlu", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--texts", required=True, type=Path)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from rasa.model_training import train_nlu

    start = time.perf_counter()
    model = train_nlu(
        config=args.config,
        nlu_data=args.nlu,
        output=args.model_dir,
        domain=args.domain,
        fixed_model_name="nlu",
    )
    train_s = time.perf_counter() - start
    if not model:
        raise SystemExit(f"rasa train nlu produced no model for {args.config}")
    texts = json.loads(args.texts.read_text())
    parses = asyncio.run(_parse_all(model, texts))
    top = [_top(p) for p in parses]
    args.out.write_text(
        json.dumps(
            {
                "model": model,
                "train_s": train_s,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                # the encoder fine-tune runs as a child process (bot/encoders/finetune.py)
                "child_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "intents": [name for name, _ in top],
                "confidences": [conf for _, conf in top],
                # whether the parse's own intent was the fallback (not understood)
                "fallbacks": [(p.get("intent") or {}).get("name") == FALLBACK for p in parses],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
