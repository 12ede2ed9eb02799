"""Serving benchmark: set-up, training, start-up and REST turn latency/throughput.

    python -m benchmarks.serving [--skip-fresh-setup] [--turns 200] [--users 8]

Writes benchmarks/results/serving.{json,md,png}. Each figure comes from this one
run on this machine; compare runs by the ratios, since shared CPUs are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bot.settings import Settings
from bot.supervisor import Supervisor, free_port
from bot.training import ensure_model

RESULTS = Path(__file__).resolve().parent / "results"
# The engine's own path: NLU, policies, rules and custom actions (store hours,
# name memory) on every turn. Generator-backed turns (answers, forms, cards) are
# measured by their own benchmarks, so their model time does not hide the engine's.
SCRIPT = [
    "hello",
    "my name is ana",
    "when does the downtown store open?",
    "what's my name?",
    "are you a bot?",
    "is the airport store open now?",
    "thanks",
    "bye",
]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gib = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        mem_gib = round(kib / 1024**2, 1)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": platform.platform(),
        "python_tools": platform.python_version(),
    }


def timed_fresh_setup(project: Path) -> float:
    """Build both venvs from scratch in a temporary folder (package caches stay warm)."""
    venvs = Path(tempfile.mkdtemp(prefix="tandem-venvs-"))
    try:
        started = time.perf_counter()
        subprocess.run(
            ["bash", "scripts/setup.sh"],
            cwd=project,
            env={**os.environ, "TANDEM_VENV_DIR": str(venvs)},
            check=True,
        )
        return time.perf_counter() - started
    finally:
        shutil.rmtree(venvs, ignore_errors=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def conversation(client: httpx.AsyncClient, url: str, user: str, turns: int) -> list[float]:
    """One user's turns; every len(SCRIPT) turns they start a new conversation, as
    customers do, so the tracker stays conversation-sized rather than growing for ever."""
    latencies = []
    for turn in range(turns):
        sender = f"{user}-{turn // len(SCRIPT)}"
        started = time.perf_counter()
        response = await client.post(
            url, json={"sender": sender, "message": SCRIPT[turn % len(SCRIPT)]}
        )
        response.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def load(url: str, *, users: int, turns_per_user: int) -> tuple[list[float], float]:
    async with httpx.AsyncClient(timeout=120) as client:
        await conversation(client, url, "warm-up", len(SCRIPT))
        started = time.perf_counter()
        per_user = await asyncio.gather(
            *(conversation(client, url, f"user-{users}-{i}", turns_per_user) for i in range(users))
        )
        elapsed = time.perf_counter() - started
    return [ms for user in per_user for ms in user], elapsed


def write_report(result: dict[str, Any], lat_1: list[float], lat_8: list[float]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving.json").write_text(json.dumps(result, indent=2) + "\n")
    r = result
    setup = f"{r['setup_s']:.0f} s" if r["setup_s"] else "skipped"
    rows = [
        ("fresh set-up (both venvs)", setup),
        ("training (rasa train)", f"{r['train_s']:.1f} s"),
        ("start to ready (both servers)", f"{r['ready_s']:.1f} s"),
        ("REST turn p50 / p95, 1 user", f"{r['rest_p50_ms']:.0f} / {r['rest_p95_ms']:.0f} ms"),
        ("REST turn p50 / p95, 8 users", f"{r['rest_p50_ms_8']:.0f} / {r['rest_p95_ms_8']:.0f} ms"),
        ("messages/s, 1 user", f"{r['msgs_per_s_1']:.1f}"),
        ("messages/s, 8 users", f"{r['msgs_per_s_8']:.1f}"),
        ("throughput ratio 8 users / 1 user", f"{r['throughput_ratio_8_vs_1']:.2f}x"),
    ]
    m = result["machine"]
    lines = [
        "# Serving benchmark",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB. "
        f"Command: `make bench` (`python -m benchmarks.serving`).",
        "",
        "| measure | value |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
    ]
    (RESULTS / "serving.md").write_text("\n".join(lines))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist([lat_1, lat_8], bins=40, label=["1 user", "8 users"], alpha=0.7)
    ax.set_xlabel("REST turn latency (ms)")
    ax.set_ylabel("turns")
    ax.set_title("Tandem REST turn latency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "serving.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-fresh-setup", action="store_true", help="do not time a fresh set-up"
    )
    parser.add_argument("--turns", type=int, default=200, help="turns for the 1-user run")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--turns-per-user", type=int, default=40)
    args = parser.parse_args()

    base = Settings.from_env()
    setup_s = None if args.skip_fresh_setup else timed_fresh_setup(base.project_dir)

    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        settings = base.with_overrides(
            state_dir=Path(tmp) / "state",
            models_dir=Path(tmp) / "models",
            rasa_port=free_port(),
            action_port=free_port(),
            handoff_port=free_port(),
        )
        started = time.perf_counter()
        model = ensure_model(settings, force=True)
        train_s = time.perf_counter() - started

        supervisor = Supervisor(settings, model=model)
        started = time.perf_counter()
        supervisor.start()
        ready_s = time.perf_counter() - started
        try:
            url = f"{settings.rasa_url}/webhooks/rest/webhook"
            lat_1, elapsed_1 = asyncio.run(load(url, users=1, turns_per_user=args.turns))
            lat_8, elapsed_8 = asyncio.run(
                load(url, users=args.users, turns_per_user=args.turns_per_user)
            )
        finally:
            supervisor.stop()

    msgs_1 = len(lat_1) / elapsed_1
    msgs_8 = len(lat_8) / elapsed_8
    result = {
        "setup_s": setup_s,
        "train_s": round(train_s, 2),
        "ready_s": round(ready_s, 2),
        "rest_p50_ms": round(statistics.median(lat_1), 1),
        "rest_p95_ms": round(percentile(lat_1, 95), 1),
        "rest_p50_ms_8": round(statistics.median(lat_8), 1),
        "rest_p95_ms_8": round(percentile(lat_8, 95), 1),
        "msgs_per_s_1": round(msgs_1, 2),
        "msgs_per_s_8": round(msgs_8, 2),
        "throughput_ratio_8_vs_1": round(msgs_8 / msgs_1, 2),
        "turns_1": len(lat_1),
        "turns_8": len(lat_8),
        "machine": machine(),
    }
    write_report(result, lat_1, lat_8)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
