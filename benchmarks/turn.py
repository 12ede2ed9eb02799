"""Per-turn cost (issue 20): Tandem beside a stock ``rasa init`` bot, same tracker store.

    python -m benchmarks.turn [--turns 200] [--model M] [--baseline DIR] [--cprofile]

In one run it starts (a) the reference assistant the way ``python -m bot run``
does (bot/supervisor.py: action server, handoff service, analytics consumer and
the engine with endpoints.yml and credentials.yml) and (b) Rasa's own starter
project (the files ``rasa init`` writes, trained by the engine venv) with Rasa's
SQL tracker store on SQLite, the store Tandem's ``RedactingSQLTrackerStore``
extends (Tandem's is SQLite too, with redaction and its event brokers). It
sends both the same messages (:data:`MESSAGES`: greetings, "are you a bot?",
a yes; none calls a custom action in either bot; the tracker store is checked
afterwards) over REST, one at a time, alternating between the servers within
the loop so that both see the same machine. Each conversation starts with a
"hello" timed apart (``first_turn_p50_ms``): Tandem's session start is a custom
action, a round trip to the action server.

Tandem's engine runs through :mod:`benchmarks.turn_worker` (``bot.engine`` plus
timers), which writes each turn's stages: the breakdown of where its time goes,
from the same turns as the ratio. ``--cprofile`` adds cProfile's top functions
(and slows Tandem's turns: its ratio is then no measure).

``--baseline DIR`` adds a third engine, started from another checkout of Tandem
(e.g. ``git archive main | tar -x -C DIR``) with the same model, action server
and handoff service, uninstrumented: the before/after of a change in one run.

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
TRACKER_STORE = (
    "SQL on SQLite: Tandem's RedactingSQLTrackerStore (endpoints.yml), stock Rasa's "
    "`type: SQL` with `dialect: sqlite`"
)
# Responses and the Rasa built-ins the turns may run; anything else is a custom action.
RESPONSE_ONLY = ("utter_", "action_listen", "action_default_fallback", "action_unlikely_intent")


@dataclass
class Bot:
    """One server under test: where to post and where its tracker lives."""

    name: str
    url: str
    tracker_db: Path
    sender_prefix: str = ""  # Tandem's REST channel namespaces senders: "rest:" + sender


def stock_project(dest: Path, engine_python: Path, *, config: str | None = None) -> Path:
    """The files ``rasa init`` writes (Rasa's bundled initial project), copied to ``dest``;
    ``config`` replaces its config.yml (a lighter one trains faster for tests)."""
    located = subprocess.run(
        [str(engine_python), "-c", "import rasa.cli; print(rasa.cli.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    source = Path(located.stdout.strip()).parent / "initial_project"
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    if config is not None:
        (dest / "config.yml").write_text(config)
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


@dataclass
class Turns:
    """What :func:`alternate` measured, per bot."""

    latencies: dict[str, list[float]]
    """Timed turns, ms, in the order sent."""
    first_turns: dict[str, list[float]]
    """Each conversation's first message, ms (Tandem's session start is a custom action)."""
    silent: dict[str, int]
    """Timed turns that got no reply."""


def alternate(
    client: httpx.Client,
    bots: Sequence[Bot],
    *,
    turns: int,
    conversation_turns: int,
    messages: Sequence[str] = MESSAGES,
) -> Turns:
    """``turns`` timed turns per bot; within each step every bot gets the same message,
    the order rotating so that no bot always goes first."""
    result = Turns({b.name: [] for b in bots}, {b.name: [] for b in bots}, {})
    result.silent = dict.fromkeys(result.latencies, 0)
    for bot in bots:  # the first turns of a fresh server load lazily: untimed
        for text in (WARM_UP, *messages):
            send(client, bot, "warm-up", text)
    for turn in range(turns):
        conversation, position = divmod(turn, conversation_turns)
        sender = f"bench-{conversation}"
        shift = turn % len(bots)
        for bot in list(bots[shift:]) + list(bots[:shift]):
            if position == 0:
                result.first_turns[bot.name].append(send(client, bot, sender, WARM_UP)[0])
            elapsed, replies = send(client, bot, sender, messages[position % len(messages)])
            result.latencies[bot.name].append(elapsed)
            result.silent[bot.name] += replies == 0
    return result


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


def profiled_engine(
    settings: Settings, model: Path, stages_out: Path, cprofile_out: Path | None
) -> ServerProcess:
    """Tandem's engine as the supervisor starts it, through :mod:`benchmarks.turn_worker`."""
    server = Supervisor(settings, model=model).rasa
    at = server.command.index("bot.engine")
    server.command[at : at + 1] = [
        "benchmarks.turn_worker",
        "--stages-out",
        str(stages_out),
        *(["--cprofile-out", str(cprofile_out)] if cprofile_out else []),
    ]
    return server


def timed_stages(stages_out: Path, conversation_turns: int) -> list[dict[str, float]]:
    """The stage lines (ms) of the timed turns, in order: each conversation's first line
    is its untimed first message; the warm-up conversation is skipped."""
    lines = [json.loads(line) for line in stages_out.read_text().splitlines() if line]
    timed = [line for line in lines if str(line["sender"]).startswith("rest:bench-")]
    return [
        {stage: seconds * 1000 for stage, seconds in line["stages"].items()}
        for i, line in enumerate(timed)
        if i % (conversation_turns + 1)
    ]


TOTAL = "handle_message (total)"
TOP_STAGES = (
    "tracker: load",
    "nlu (all components)",
    "slot extraction",
    "dialogue (policies + actions)",
    "tracker: save (all)",
)
ROUND_TRIP = "REST round trip (client)"
OUTSIDE = "HTTP + Sanic + channel (round trip - handle_message)"
UNTIMED = "rest of handle_message (lock, session check, silence guard)"
_DIALOGUE_NODES = ("graph:select_prediction", "graph:rule_only_data_provider")


def breakdown(stages: list[dict[str, float]], round_trips: list[float]) -> dict[str, float]:
    """Median ms per turn of each stage; what the client waited beyond the engine's work
    (HTTP, Sanic, the channel), and the engine's work outside the timed stages."""
    if len(stages) != len(round_trips):
        raise ValueError(f"{len(stages)} timed stage lines for {len(round_trips)} turns")
    names = sorted({name for turn in stages for name in turn})
    result = {
        name: round(statistics.median(turn.get(name, 0.0) for turn in stages), 2) for name in names
    }
    result[ROUND_TRIP] = round(statistics.median(round_trips), 1)
    result[OUTSIDE] = round(
        statistics.median(ms - turn[TOTAL] for ms, turn in zip(round_trips, stages, strict=True)),
        1,
    )
    result[UNTIMED] = round(
        statistics.median(
            turn[TOTAL] - sum(turn.get(stage, 0.0) for stage in TOP_STAGES) for turn in stages
        ),
        2,
    )
    return result


def _part_of(name: str) -> str | None:
    """Which top stage a timed part belongs to."""
    if name.startswith("graph:"):
        dialogue = name.endswith("Policy") or name in _DIALOGUE_NODES
        return "dialogue (policies + actions)" if dialogue else "nlu (all components)"
    if name.startswith(("tracker: redact", "broker")):
        return "tracker: save (all)"
    return None


def ordered(stages: dict[str, float]) -> list[tuple[str, int, float]]:
    """The breakdown top-down as ``(stage, depth, ms)``: round trip, engine, parts."""
    rows = [(ROUND_TRIP, 0), (OUTSIDE, 1), (TOTAL, 1)]
    for stage in TOP_STAGES:
        rows.append((stage, 2))
        rows += [(name, 3) for name in sorted(stages) if _part_of(name) == stage]
    rows.append((UNTIMED, 2))
    seen = {name for name, _ in rows}
    rows += [(name, 2) for name in sorted(stages) if name not in seen]
    return [(name, depth, stages[name]) for name, depth in rows if name in stages]


def measure(
    base: Settings,
    tmp: Path,
    *,
    model: Path,
    stock_model: Path,
    turns: int,
    conversation_turns: int,
    baseline: Path | None = None,
    cprofile: bool = False,
) -> dict[str, Any]:
    """Start the bots, alternate the turns; the result without the machine."""
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
    stages_out = tmp / "stages.jsonl"
    cprofile_out = tmp / "cprofile.txt" if cprofile else None
    supervisor = Supervisor(settings, model=model)
    supervisor.rasa = profiled_engine(settings, model, stages_out, cprofile_out)
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
            measured = alternate(client, bots, turns=turns, conversation_turns=conversation_turns)
        actions = {b.name: actions_run(b.tracker_db, f"{b.sender_prefix}bench-%") for b in bots}
    finally:
        for server in reversed(extra):
            server.stop()
        supervisor.stop()  # the profiled engine writes cProfile's report as it exits
    latencies = measured.latencies
    bots_summary = {name: summary(values) for name, values in latencies.items()}
    tandem, stock_p50 = bots_summary["tandem"]["p50_ms"], bots_summary["stock_rasa"]["p50_ms"]
    result: dict[str, Any] = {
        "turn_p50_ms": tandem,
        "turn_p95_ms": bots_summary["tandem"]["p95_ms"],
        "stock_rasa_turn_p50_ms": stock_p50,
        "stock_rasa_turn_p95_ms": bots_summary["stock_rasa"]["p95_ms"],
        "ratio": round(tandem / stock_p50, 2),
        "target_ratio": TARGET_RATIO,
        "bots": bots_summary,
        "first_turn_p50_ms": {
            name: round(statistics.median(values), 1)
            for name, values in measured.first_turns.items()
        },
        "breakdown": breakdown(timed_stages(stages_out, conversation_turns), latencies["tandem"]),
        "latencies_ms": latencies,
        "actions_run": actions,
        "custom_actions_in_timed_turns": {n: custom_actions(a) for n, a in actions.items()},
        "turns_without_reply": measured.silent,
        "ready_s": round(ready_s, 1),
        "turns_per_bot": turns,
        "conversation_turns": conversation_turns,
        "messages": MESSAGES,
        "tracker_store": TRACKER_STORE,
        "cprofile": cprofile_out.read_text() if cprofile_out and cprofile_out.exists() else None,
    }
    if "tandem_before" in bots_summary:
        before_p50 = bots_summary["tandem_before"]["p50_ms"]
        result["before"] = {
            "turn_p50_ms": before_p50,
            "turn_p95_ms": bots_summary["tandem_before"]["p95_ms"],
            "ratio": round(before_p50 / stock_p50, 2),
            "checkout": str(baseline),
        }
    return result


def write_report(result: dict[str, Any], out_dir: Path = RESULTS) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    slim = {k: v for k, v in result.items() if k != "latencies_ms"}
    (out_dir / "turn.json").write_text(json.dumps(slim, indent=2) + "\n")
    m = result["machine"]
    lines = [
        "# Per-turn cost (issue 20)",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB. "
        f"Command: `python -m benchmarks.turn`. Tracker store: {result['tracker_store']}. "
        f"{result['turns_per_bot']} REST turns per bot, one at a time, alternating between "
        "the servers; no timed turn calls a custom action.",
        "",
        "| bot | p50 ms | p95 ms | mean ms | first turn of a conversation, p50 ms |",
        "|---|---|---|---|---|",
        *[
            f"| {name} | {s['p50_ms']} | {s['p95_ms']} | {s['mean_ms']} | "
            f"{result['first_turn_p50_ms'][name]} |"
            for name, s in result["bots"].items()
        ],
        "",
        f"Ratio Tandem / stock (p50): **{result['ratio']}** (target ≤ {result['target_ratio']}).",
    ]
    if "before" in result:
        lines.append(
            f"Before the change (checkout {result['before']['checkout']}, same run): "
            f"p50 {result['before']['turn_p50_ms']} ms, ratio {result['before']['ratio']}."
        )
    lines += [
        "",
        "## Where a Tandem turn's time goes",
        "",
        "Median ms per timed turn; indented rows are part of the row above (medians do not "
        "add up exactly); policies run once per predicted action (three in a greeting).",
        "",
        "| stage | ms |",
        "|---|---|",
        *[
            f"| {'&nbsp;' * 4 * depth}{name} | {ms} |"
            for name, depth, ms in ordered(result["breakdown"])
        ],
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
    ax.boxplot([result["latencies_ms"][n] for n in names], showfliers=False)
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set_ylabel("REST turn latency (ms)")
    ax.set_title("Turns without custom actions, same tracker store")
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
            cprofile=args.cprofile,
        )
    result["machine"] = machine()
    write_report(result, args.out_dir)
    shown = {k: v for k, v in result.items() if k not in ("latencies_ms", "cprofile")}
    print(json.dumps(shown, indent=2))


if __name__ == "__main__":
    main()
