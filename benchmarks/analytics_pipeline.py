"""The analytics pipeline's throughput, and what a killed consumer loses (nothing).

``python -m benchmarks.analytics_pipeline`` (actions venv) measures:

* ``ingest_events_per_s``: synthetic conversations (session start, user
  messages with intents, actions, bot replies) appended to the outbox file
  as the engine appends them, then drained by the consumer into a fresh
  analytics store, end to end (outbox read, parse, ``AnalyticsStore.ingest``,
  delete), on SQLite and on PostgreSQL (127.0.0.1:5432; "not computed" when absent);
* ``events_lost`` and ``duplicates``: the consumer (``python -m bot analytics
  consume``, a real child process) is killed with SIGKILL mid-stream while
  the producer keeps appending, then restarted with ``--once``; lost is what
  the tracker published minus what the store holds, duplicates what it holds
  twice; ``replayed`` counts events stored before the kill and read again after.

Merges its keys into ``benchmarks/results/analytics.json`` (other keys kept)
and writes ``analytics_pipeline.md`` and ``analytics_pipeline.png``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from bot.analytics.consumer import Consumer, OutboxSource
from bot.analytics.db import make_engine, migrate
from bot.analytics.store import EVENTS, AnalyticsStore
from bot.contract.analytics import SEQ_KEY
from bot.contract.outbox import Outbox

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
KEY = "benchmark-analytics-key-0123456789abcdef"
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
INTENTS = ("greet", "ask_faq", "order_status", "tell_name", "nlu_fallback", "goodbye")


def conversation(index: int, turns: int, start: float) -> list[dict[str, Any]]:
    """One conversation's envelopes, numbered as the tracker store numbers them."""
    sender = f"rest:bench-{index}"
    t = start
    events: list[dict[str, Any]] = []

    def add(event: str, **fields: Any) -> None:
        nonlocal t
        t += 0.3
        events.append(
            {"event": event, "timestamp": t, **fields, "sender_id": sender, SEQ_KEY: len(events)}
        )

    add("action", name="action_session_start")
    add("session_started")
    add("action", name="action_listen")
    for turn in range(turns):
        intent = INTENTS[(index + turn) % len(INTENTS)]
        add(
            "user",
            text=f"message {turn} about my order [number]",
            input_channel="rest",
            parse_data={
                "intent": {"name": intent, "confidence": 0.8},
                "entities": [],
                "intent_ranking": [{"name": intent, "confidence": 0.8}],
            },
        )
        add("action", name=f"utter_{intent}", policy="RulePolicy", confidence=1.0)
        add("bot", text=f"Here is what I know about {intent}.", data={},
            metadata={"utter_action": f"utter_{intent}"})  # fmt: skip
        add("action", name="action_listen", policy="RulePolicy", confidence=1.0)
    return events


def synthetic(conversations: int, turns: int) -> list[dict[str, Any]]:
    """Conversations interleaved turn by turn, as concurrent customers produce them."""
    streams = [conversation(i, turns, 1_700_000_000.0 + i) for i in range(conversations)]
    out: list[dict[str, Any]] = []
    for position in range(max(len(s) for s in streams)):
        out.extend(s[position] for s in streams if position < len(s))
    return out


def postgres_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a PostgreSQL database dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'analytics-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"analytics_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def stored_keys(url: str) -> tuple[int, int]:
    """(rows, distinct (conversation, seq)) in the events table."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.scalar(select(func.count()).select_from(EVENTS)) or 0
            distinct = conn.scalar(
                select(func.count()).select_from(
                    select(EVENTS.c.conversation, EVENTS.c.seq).distinct().subquery()
                )
            )
    finally:
        engine.dispose()
    return int(rows), int(distinct or 0)


def ingest_rate(url: str, events: list[dict[str, Any]], folder: Path, batch: int) -> float:
    """Events per second from a full outbox into the store (read, ingest, delete)."""
    outbox = folder / f"outbox-{uuid.uuid4().hex[:8]}.db"
    with Outbox(outbox) as o:
        for start in range(0, len(events), 50):
            o.append(events[start : start + 50])
    engine = make_engine(url)
    migrate(engine)
    consumer = Consumer(OutboxSource(outbox), AnalyticsStore(engine, KEY), batch_size=batch)
    started = time.perf_counter()
    consumer.drain()
    elapsed = time.perf_counter() - started
    engine.dispose()
    rows, distinct = stored_keys(url)
    if rows != len(events) or distinct != len(events):
        raise RuntimeError(f"ingested {rows} rows ({distinct} distinct) of {len(events)} events")
    return len(events) / elapsed


def consumer_env(url: str, outbox: Path, state: Path, batch: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "TANDEM_ANALYTICS_DB_URL": url, "TANDEM_ANALYTICS_KEY": KEY,
        "TANDEM_ANALYTICS_OUTBOX": str(outbox), "TANDEM_STATE_DIR": str(state),
        "TANDEM_ANALYTICS_BATCH": str(batch), "PYTHONPATH": str(ROOT),
        # The synthetic events are from 2023: keep them from the consumer's pruning.
        "TANDEM_ANALYTICS_RETENTION_DAYS": "36500",
    })  # fmt: skip
    return env


def kill_mid_stream(
    url: str, events: list[dict[str, Any]], folder: Path, *, batch: int = 100,
    kill_at: float = 0.4, timeout_s: float = 300.0,
) -> dict[str, int]:  # fmt: skip
    """Consumer killed (SIGKILL) while the producer appends, then restarted with ``--once``."""
    outbox = folder / f"kill-outbox-{uuid.uuid4().hex[:8]}.db"
    engine = make_engine(url)
    migrate(engine)  # so that progress can be counted from the first second
    engine.dispose()
    env = consumer_env(url, outbox, folder, batch)
    half = len(events) // 2
    with Outbox(outbox) as o:
        o.append(events[:half])

    def produce() -> None:
        with Outbox(outbox) as writer:
            for start in range(half, len(events), 20):
                writer.append(events[start : start + 20])
                time.sleep(0.002)

    command = [sys.executable, "-m", "bot", "analytics", "consume"]
    consumer = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    producer = threading.Thread(target=produce)
    producer.start()
    deadline = time.monotonic() + timeout_s
    try:
        while stored_keys(url)[0] < kill_at * len(events):
            if consumer.poll() is not None:
                raise RuntimeError(f"the consumer exited early with code {consumer.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the consumer made no progress before the deadline")
            time.sleep(0.05)
        os.kill(consumer.pid, signal.SIGKILL)
    finally:
        consumer.wait(timeout=30)
    producer.join()
    stored_at_kill = stored_keys(url)[0]
    with Outbox(outbox) as o:
        pending_at_kill = o.pending()
    subprocess.run([*command, "--once"], env=env, cwd=ROOT, check=True, timeout=timeout_s,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    rows, distinct = stored_keys(url)
    expected = {(e["sender_id"], e[SEQ_KEY]) for e in events}
    with Outbox(outbox) as o:
        left = o.pending()
    return {
        "published": len(expected),
        "stored_at_kill": stored_at_kill,
        "events_lost": len(expected) - distinct,
        "duplicates": rows - distinct,
        "replayed": stored_at_kill + pending_at_kill - len(events),
        "left_in_outbox": left,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    events = synthetic(args.conversations, args.turns)
    rates: dict[str, float | None] = {}
    kills: dict[str, dict[str, int] | None] = {}
    with tempfile.TemporaryDirectory(prefix="analytics-bench-") as tmp:
        folder = Path(tmp)
        for kind in ("sqlite", "postgresql"):
            if kind == "postgresql" and not postgres_up():
                rates[kind] = kills[kind] = None
                continue
            with fresh_database(kind, folder) as url:
                rates[kind] = ingest_rate(url, events, folder, args.batch)
            with fresh_database(kind, folder) as url:
                kills[kind] = kill_mid_stream(url, events[: args.kill_events], folder)
            logger.info("%s: %.0f events/s; after kill -9: %s", kind, rates[kind], kills[kind])
    measured = [k for k in kills.values() if k is not None]
    return {
        "ingest_events_per_s": {k: (round(v, 1) if v else None) for k, v in rates.items()},
        "events_lost": sum(k["events_lost"] for k in measured),
        "pipeline_duplicates": sum(k["duplicates"] for k in measured),
        "pipeline": {
            "events": len(events),
            "conversations": args.conversations,
            "batch": args.batch,
            "kill_runs": kills,
            "cpus": os.cpu_count(),
        },
    }


def markdown(result: dict[str, Any], command: str) -> str:
    p = result["pipeline"]
    rate = result["ingest_events_per_s"]

    def cell(value: float | None) -> str:
        return "not computed" if value is None else f"{value:,.0f}"

    lines = [
        "# Analytics pipeline: ingestion rate and a killed consumer",
        "",
        f"Produced by `{command}` on {p['cpus']} CPU cores: {p['events']:,} synthetic events "
        f"({p['conversations']} conversations), outbox → consumer → store in batches of "
        f"{p['batch']}.",
        "",
        "| store | ingest (events/s, end to end) | killed mid-stream: published | "
        "stored at kill | replayed | lost | duplicates |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in ("sqlite", "postgresql"):
        k = p["kill_runs"].get(kind)
        tail = (
            f"{k['published']:,} | {k['stored_at_kill']:,} | {k['replayed']} | "
            f"{k['events_lost']} | {k['duplicates']} |"
            if k else "not computed | | | | |"
        )  # fmt: skip
        lines.append(f"| {kind} | {cell(rate.get(kind))} | {tail}")
    lines += ["", f"`events_lost` = {result['events_lost']} (must be 0)."]
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rate = {k: v for k, v in result["ingest_events_per_s"].items() if v}
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(list(rate), list(rate.values()), color=["#4c72b0", "#55a868"][: len(rate)])
    for x, value in enumerate(rate.values()):
        ax.text(x, value, f"{value:,.0f}", ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("events / s (outbox → store)")
    ax.set_title(f"Analytics ingestion; events lost after kill -9: {result['events_lost']}",
                 fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def merge_results(path: Path, keys: dict[str, Any]) -> dict[str, Any]:
    """``path``'s JSON with ``keys`` replaced, every other key kept."""
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(keys)
    path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    return current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=400)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--kill-events", type=int, default=8000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[bench] %(message)s")
    result = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    merge_results(args.out / "analytics.json", result)
    command = "python -m benchmarks.analytics_pipeline " + " ".join(argv or sys.argv[1:])
    (args.out / "analytics_pipeline.md").write_text(markdown(result, command.strip()))
    plot(result, args.out / "analytics_pipeline.png")
    logger.info("%s", json.dumps({k: result[k] for k in ("ingest_events_per_s", "events_lost")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
