"""Per-turn cost (issue 20): Tandem beside a stock ``rasa init`` bot, same tracker store.

    python -m benchmarks.turn [--turns 200] [--model M] [--baseline DIR] [--no-profile]

In one run it starts (a) the reference assistant the way ``python -m bot run``
does (bot/supervisor.py: action server, handoff service, analytics consumer and
the engine with endpoints.yml) and (b) Rasa's own starter project (the files
``rasa init`` writes, trained by the engine venv) with Rasa's SQL tracker store
on SQLite, the store Tandem's ``RedactingSQLTrackerStore`` extends (Tandem's is
SQLite too, with its redaction and event broker). It then sends the same
messages (:data:`MESSAGES`: greetings, yes/no, "are you a bot?", none of which
calls a custom action in either bot) to both over REST, one at a time,
alternating between the servers within the loop so that both see the same
machine. Each conversation starts with an untimed "hello" (the session start is
a custom action in Tandem) and has ``--conversation-turns`` timed turns.

``--baseline DIR`` adds a third engine, started from another checkout of Tandem
(e.g. ``git worktree add /tmp/main main``) with the same model, action server
and handoff service: the before/after of a change in one run.

Afterwards (unless ``--no-profile``) :mod:`benchmarks.turn_worker` runs the same
turns in one engine in-process and times each stage: NLU components, policies,
tracker load and save (redaction included) and each event broker.

Writes benchmarks/results/turn.{json,md,png}. Figures are from one run on one
machine; compare the ratio, since shared CPUs are noisy.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.serving import machine, percentile
from bot.settings import Settings
from bot.supervisor import ServerProcess, Supervisor, free_port, http_ok
from bot.training import ensure_model

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_RATIO = 1.2
MESSAGES = [
    "hi there",
    "are you a bot?",
    "hello",
    "am I talking to a bot?",
    "good morning",
    "are you a human?",
    "hey",
    "yes",
]
"""Timed turns: greetings, "are you a bot?" and a yes, answered with responses alone in
both bots (goodbyes are not among them: Tandem's asks for a rating, a custom action)."""
WARM_UP = "hello"
STOCK_ENDPOINTS = """\
# Rasa's SQL tracker store on SQLite; no event broker, no action server.
tracker_store:
  type: SQL
  dialect: sqlite
  db: {db}
"""
STOCK_CREDENTIALS = "rest:\n"
# Responses and the Rasa built-ins the turns may run; anything else is a custom action.
RESPONSE_ONLY = ("utter_", "action_listen", "action_default_fallback", "action_unlikely_intent")


@dataclass
class Bot:
    """One server under test: where to post and where its tracker lives."""

    name: str
    url: str
    tracker_db: Path
    sender_prefix: str = ""  # Tandem's REST channel namespaces senders: "rest:" + sender


def stock_project(dest: Path, engine_python: Path) -> Path:
    """The files ``rasa init`` writes (Rasa's bundled initial project), copied to ``dest``."""
    located = subprocess.run(
        [str(engine_python), "-c", "import rasa.cli, os; print(os.path.dirname(rasa.cli.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    source = Path(located.stdout.strip()) / "initial_project"
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    return dest


def train_stock(project: Path, out: Path, engine_python: Path, env: dict[str, str]) -> Path:
    """Train the starter project (its empty config gets Rasa's default pipeline and policies)."""
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.with_suffix(".log")
    with log.open("w") as handle:
        subprocess.run(
            [
                str(engine_python), "-m", "rasa", "train",
                "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
                "--out", str(out.parent), "--fixed-model-name", out.name.removesuffix(".tar.gz"),
            ],
            cwd=project, env=env, stdout=handle, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    return out


def stock_server(
    project: Path, model: Path, port: int, engine_python: Path, env: dict[str, str]
) -> tuple[ServerProcess, Path]:
    """``rasa run`` on the starter project with the SQL store on SQLite (no API, REST channel)."""
    db = project / "tracker.db"
    (project / "endpoints.yml").write_text(STOCK_ENDPOINTS.format(db=db))
    (project / "credentials.yml").write_text(STOCK_CREDENTIALS)
    server = ServerProcess(
        "stock-rasa",
        [
            str(engine_python), "-m", "rasa", "run", "--model", str(model),
            "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
            "--interface", "127.0.0.1", "--port", str(port),
        ],
        health=lambda: http_ok(f"http://127.0.0.1:{port}/"),
        log_file=project / "rasa.log",
        cwd=project,
        env=env,
    )  # fmt: skip
    return server, db


def send(client: httpx.Client, bot: Bot, sender: str, text: str) -> tuple[float, int]:
    """The turn's latency in ms and how many messages the bot replied with."""
    started = time.perf_counter()
    response = client.post(bot.url, json={"sender": sender, "message": text})
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed, len(response.json())


def alternate(
    client: httpx.Client,
    bots: Sequence[Bot],
    *,
    turns: int,
    conversation_turns: int,
    messages: Sequence[str] = MESSAGES,
    run_id: str = "",
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """``turns`` timed turns per bot; within each step every bot gets the same message,
    the order rotating so that no bot always goes first. Returns each bot's latencies
    and how many of its timed turns got no reply."""
    latencies: dict[str, list[float]] = {bot.name: [] for bot in bots}
    silent = dict.fromkeys(latencies, 0)
    for bot in bots:  # the first turns of a fresh server load lazily: untimed
        for text in (WARM_UP, *messages):
            send(client, bot, f"warm-up{run_id}", text)
    for turn in range(turns):
        conversation, position = divmod(turn, conversation_turns)
        sender = f"bench{run_id}-{conversation}"
        shift = turn % len(bots)
        for bot in list(bots[shift:]) + list(bots[:shift]):
            if position == 0:
                send(client, bot, sender, WARM_UP)
            elapsed, replies = send(client, bot, sender, messages[position % len(messages)])
            latencies[bot.name].append(elapsed)
            silent[bot.name] += replies == 0
    return latencies, silent


def actions_run(tracker_db: Path, sender_like: str) -> dict[str, int]:
    """How often each action ran in the benchmark's conversations, from the tracker store."""
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute(
            "SELECT action_name, count(*) FROM events WHERE type_name = 'action' "
            "AND sender_id LIKE ? GROUP BY action_name",
            (sender_like,),
        ).fetchall()
    return {str(name): int(count) for name, count in rows}


def custom_actions(counts: dict[str, int]) -> dict[str, int]:
    """Actions other than responses and Rasa's built-ins, bar the session start."""
    return {
        name: n
        for name, n in counts.items()
        if not name.startswith(RESPONSE_ONLY) and name != "action_session_start"
    }


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
    }


def profile(
    settings: Settings, model: Path, *, turns: int, conversation_turns: int, cprofile: bool
) -> dict[str, Any]:
    """Run :mod:`benchmarks.turn_worker` with the engine's environment; its JSON."""
    with tempfile.TemporaryDirectory(prefix="tandem-turn-profile-") as tmp:
        messages = Path(tmp) / "messages.json"
        messages.write_text(json.dumps(MESSAGES))
        out = Path(tmp) / "profile.json"
        subprocess.run(
            [
                str(settings.engine_python), "-m", "benchmarks.turn_worker",
                "--model", str(model), "--endpoints", settings.endpoints_file,
                "--messages", str(messages), "--turns", str(turns),
                "--conversation-turns", str(conversation_turns), "--out", str(out),
                *(["--cprofile"] if cprofile else []),
            ],
            cwd=settings.project_dir, env=settings.rasa_env(), check=True,
        )  # fmt: skip
        return dict(json.loads(out.read_text()))


def measure(
    base: Settings,
    tmp: Path,
    *,
    model: Path,
    stock_model: Path,
    turns: int,
    conversation_turns: int,
    baseline: Path | None = None,
    profile_turns: int = 0,
    cprofile: bool = False,
) -> dict[str, Any]:
    """Start the bots, alternate the turns, profile; the result without the machine."""
    settings = base.with_overrides(
        state_dir=tmp / "state",
        rasa_port=free_port(),
        action_port=free_port(),
        handoff_port=free_port(),
    )
    stock_dir = stock_project(tmp / "stock", settings.engine_python)
    stock_port = free_port()
    stock, stock_db = stock_server(
        stock_dir, stock_model, stock_port, settings.engine_python, settings.engine_env()
    )
    supervisor = Supervisor(settings, model=model)
    extra: list[ServerProcess] = [stock]
    bots = [
        Bot("tandem", f"{settings.rasa_url}/webhooks/rest/webhook", settings.tracker_db, "rest:"),
        Bot("stock_rasa", f"http://127.0.0.1:{stock_port}/webhooks/rest/webhook", stock_db),
    ]
    if baseline is not None:
        before = settings.with_overrides(
            project_dir=baseline.resolve(), state_dir=tmp / "state-before", rasa_port=free_port()
        )
        extra.append(Supervisor(before, model=model).rasa)
        bots.append(
            Bot(
                "tandem_before",
                f"{before.rasa_url}/webhooks/rest/webhook",
                before.tracker_db,
                "rest:",
            )
        )
    started = time.perf_counter()
    supervisor.start()
    try:
        for server in extra:
            server.start()
        for server in extra:
            server.wait_ready(time.monotonic() + settings.ready_timeout_s)
        ready_s = time.perf_counter() - started
        with httpx.Client(timeout=120) as client:
            latencies, silent = alternate(
                client, bots, turns=turns, conversation_turns=conversation_turns
            )
        actions = {b.name: actions_run(b.tracker_db, f"{b.sender_prefix}bench-%") for b in bots}
        stages = (
            profile(
                settings,
                model,
                turns=profile_turns,
                conversation_turns=conversation_turns,
                cprofile=cprofile,
            )
            if profile_turns
            else None
        )
    finally:
        for server in reversed(extra):
            server.stop()
        supervisor.stop()
    result: dict[str, Any] = {
        "bots": {name: summary(values) for name, values in latencies.items()},
        "latencies_ms": latencies,
        "actions_run": actions,
        "turns_without_reply": silent,
        "custom_actions_in_timed_turns": {n: custom_actions(a) for n, a in actions.items()},
        "ready_s": round(ready_s, 1),
        "turns_per_bot": turns,
        "conversation_turns": conversation_turns,
        "messages": MESSAGES,
        "tracker_store": "SQL on SQLite (Tandem: RedactingSQLTrackerStore, stock: type SQL)",
    }
    tandem, stock_p50 = result["bots"]["tandem"]["p50_ms"], result["bots"]["stock_rasa"]["p50_ms"]
    result["turn_p50_ms"] = tandem
    result["turn_p95_ms"] = result["bots"]["tandem"]["p95_ms"]
    result["stock_rasa_turn_p50_ms"] = stock_p50
    result["stock_rasa_turn_p95_ms"] = result["bots"]["stock_rasa"]["p95_ms"]
    result["ratio"] = round(tandem / stock_p50, 2)
    result["target_ratio"] = TARGET_RATIO
    if "tandem_before" in result["bots"]:
        before_p50 = result["bots"]["tandem_before"]["p50_ms"]
        result["before"] = {
            "turn_p50_ms": before_p50,
            "turn_p95_ms": result["bots"]["tandem_before"]["p95_ms"],
            "ratio": round(before_p50 / stock_p50, 2),
            "checkout": str(baseline),
        }
    if stages is not None:
        result["breakdown"] = breakdown(stages, tandem)
        result["profile"] = stages
    return result


def breakdown(stages: dict[str, Any], rest_p50_ms: float) -> dict[str, float]:
    """Median ms per turn of each stage, plus what HTTP and the channel add on top."""
    p50 = dict(stages["stage_p50_ms"])
    p50["http + channel (REST p50 - in-process p50)"] = round(
        rest_p50_ms - p50.get("total (in process)", 0.0), 1
    )
    return p50


def write_report(result: dict[str, Any], out_dir: Path = RESULTS) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    slim = {k: v for k, v in result.items() if k != "latencies_ms"}
    (out_dir / "turn.json").write_text(json.dumps(slim, indent=2) + "\n")
    m = result["machine"]
    lines = [
        "# Per-turn cost (issue 20)",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB. "
        "Command: `python -m benchmarks.turn`. Tracker store: "
        f"{result['tracker_store']}; {result['turns_per_bot']} REST turns per bot, "
        "one at a time, alternating between the servers; no turn calls a custom action.",
        "",
        "| bot | p50 ms | p95 ms | mean ms |",
        "|---|---|---|---|",
        *[
            f"| {name} | {s['p50_ms']} | {s['p95_ms']} | {s['mean_ms']} |"
            for name, s in result["bots"].items()
        ],
        "",
        f"Ratio Tandem / stock (p50): **{result['ratio']}** (target ≤ {result['target_ratio']}).",
    ]
    if "before" in result:
        lines.append(
            f"Before this change (checkout {result['before']['checkout']}): "
            f"p50 {result['before']['turn_p50_ms']} ms, ratio {result['before']['ratio']}."
        )
    if "breakdown" in result:
        lines += [
            "",
            "## Where a Tandem turn's time goes (median ms per turn, in-process engine)",
            "",
            "| stage | ms |",
            "|---|---|",
            *[f"| {stage} | {ms} |" for stage, ms in result["breakdown"].items()],
        ]
    (out_dir / "turn.md").write_text("\n".join(lines) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(result["latencies_ms"])
    ax.boxplot([result["latencies_ms"][n] for n in names], labels=names, showfliers=False)
    ax.set_ylabel("REST turn latency (ms)")
    ax.set_title("No-custom-action turns, same tracker store")
    fig.tight_layout()
    fig.savefig(out_dir / "turn.png", dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="timed turns per bot")
    parser.add_argument("--conversation-turns", type=int, default=8)
    parser.add_argument("--model", type=Path, help="Tandem model (default: train if needed)")
    parser.add_argument("--stock-model", type=Path, help="stock model (default: train once)")
    parser.add_argument("--baseline", type=Path, help="another Tandem checkout to run beside")
    parser.add_argument("--profile-turns", type=int, default=100, help="0: no stage profile")
    parser.add_argument("--cprofile", action="store_true", help="add cProfile's top functions")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args()

    base = Settings.from_env()
    model = args.model or ensure_model(base)
    with tempfile.TemporaryDirectory(prefix="tandem-turn-") as name:
        tmp = Path(name)
        stock_model = args.stock_model or train_stock(
            stock_project(tmp / "stock-train", base.engine_python),
            base.models_dir / "stock-rasa-init.tar.gz",
            base.engine_python,
            base.engine_env(),
        )
        result = measure(
            base,
            tmp,
            model=model,
            stock_model=stock_model,
            turns=args.turns,
            conversation_turns=args.conversation_turns,
            baseline=args.baseline,
            profile_turns=args.profile_turns,
            cprofile=args.cprofile,
        )
    result["machine"] = machine()
    write_report(result, args.out_dir)
    print(json.dumps({k: v for k, v in result.items() if k not in ("latencies_ms", "profile")}, indent=2))


if __name__ == "__main__":
    main()
