"""Load test, 1 replica against 2 (issue 20): Locust journeys over REST and socket.io.

    python -m benchmarks.scale [--users 16] [--run-time 60] [--replicas 1 2]
                               [--action-servers 1] [--cpus-per-replica 1] [--no-stock]

In one run: a fresh PostgreSQL database and Redis key prefix; the cluster
(``bot.cluster.Cluster``: N Rasa replicas and M action servers behind HAProxy,
production profile) with 1 replica, then with 2, each loaded by Locust
(benchmarks/load/locustfile.py) headless for ``--run-time`` seconds; then every
conversation's tracker (Rasa's API, through the balancer, with the run's token) is
checked against what the users sent: each answered message exactly once, in order.
A stock ``rasa init`` bot (one ``rasa run``, SQL tracker store on the same
PostgreSQL) gets the same number of Locust users for the stock figure.

Writes benchmarks/results/scale.{json,md,png}. Keys other scripts own
(``faults_*`` from the fault tests, ``turn_*`` from benchmarks/turn.py) are kept;
``turn_p50_ms`` and ``stock_rasa_turn_p50_ms`` are copied from turn.json when it
exists. The machine is shared: Locust runs on the same 2 cores as the servers, so
compare the ratio of one run, not absolute figures of different runs.
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psutil

from benchmarks.load import sizing
from benchmarks.load.run import (
    SETTLE_S,
    LoadRun,
    Sampler,
    check_trackers,
    database_size,
    locust,
    patched_environ,
    private_database,
    usage_of,
    warm_up,
)
from benchmarks.serving import machine
from bot.cluster import Cluster
from bot.settings import Settings
from bot.supervisor import ServerProcess, free_port, http_ok
from bot.training import ensure_model

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
OWN_KEYS = (
    "msgs_per_s_1_replica",
    "msgs_per_s_2_replicas",
    "p95_ms_2_replicas",
    "lost_events",
    "duplicated_events",
    "stock_rasa_msgs_per_s",
)
TURN_KEYS = ("turn_p50_ms", "stock_rasa_turn_p50_ms")


# -- the runs -----------------------------------------------------------------------------


def cluster_run(
    base: Settings,
    model: Path,
    *,
    replicas: int,
    action_servers: int,
    args: argparse.Namespace,
    out: Path,
) -> LoadRun:
    settings = base.with_overrides(
        state_dir=out / f"state-{replicas}",
        rasa_port=free_port(),
        action_port=free_port(),
        handoff_port=free_port(),
        profile="production",
    )
    cluster = Cluster(
        settings,
        model=model,
        replicas=replicas,
        action_servers=action_servers,
        cpus_per_replica=args.cpus_per_replica,
    )
    cluster.start()
    try:
        warm_up([r.url for r in cluster.replicas if r.url])
        journal = out / f"journal-{replicas}.jsonl"
        label = f"replicas-{replicas}"
        with Sampler(cluster.servers) as sampler:
            run = locust(
                cluster.balancer_url,
                users=args.users,
                run_time_s=args.run_time,
                user_classes=["RestCustomer", "WebChatCustomer"],
                journal=journal,
                out=out,
                label=label,
            )
            time.sleep(SETTLE_S)
        run.usage = {name: usage_of(u) for name, u in sampler.usage.items()}
        run.tracker_check = check_trackers(cluster.balancer_url, settings.rasa_token, journal)
        return run
    finally:
        cluster.stop()


STOCK_ENDPOINTS = """\
tracker_store:
  type: SQL
  dialect: postgresql
  url: {host}
  port: {port}
  db: {db}
  username: {user}
"""
STOCK_CREDENTIALS = "rest:\n"


def stock_run(
    base: Settings, env: dict[str, str], args: argparse.Namespace, out: Path, db: str
) -> LoadRun:
    """The bot ``rasa init`` writes, one ``rasa run``, SQL tracker store on the same
    PostgreSQL (its own database), loaded like the cluster over REST."""
    project = out / "stock"
    located = subprocess.run(
        [str(base.engine_python), "-c",
         "import rasa.cli, os; print(os.path.dirname(rasa.cli.__file__))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    import shutil

    shutil.copytree(
        Path(located.stdout.strip()) / "initial_project",
        project,
        ignore=shutil.ignore_patterns("__pycache__", "tests"),
    )
    model = base.models_dir / "stock-rasa-init.tar.gz"
    if not model.exists():
        subprocess.run(
            [str(base.engine_python), "-m", "rasa", "train", "--out", str(model.parent),
             "--fixed-model-name", model.name.removesuffix(".tar.gz")],
            cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    (project / "endpoints.yml").write_text(
        STOCK_ENDPOINTS.format(
            host=env["TANDEM_POSTGRES_HOST"],
            port=env["TANDEM_POSTGRES_PORT"],
            db=db,
            user=env["TANDEM_POSTGRES_USER"],
        )
    )
    (project / "credentials.yml").write_text(STOCK_CREDENTIALS)
    port = free_port()
    server = ServerProcess(
        "stock-rasa",
        [str(base.engine_python), "-m", "rasa", "run", "--model", str(model),
         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
         "--interface", "127.0.0.1", "--port", str(port)],
        health=lambda: http_ok(f"http://127.0.0.1:{port}/"),
        log_file=project / "rasa.log",
        cwd=project,
        env=env,
    )  # fmt: skip
    server.start()
    try:
        server.wait_ready(time.monotonic() + base.ready_timeout_s)
        url = f"http://127.0.0.1:{port}"
        warm_up([url])
        with Sampler([server]) as sampler:
            run = locust(
                url,
                users=args.users,
                run_time_s=args.run_time,
                user_classes=["StockCustomer"],
                journal=out / "journal-stock.jsonl",
                out=out,
                label="stock",
            )
        run.usage = {name: usage_of(u) for name, u in sampler.usage.items()}
        return run
    finally:
        server.stop()


# -- the report ---------------------------------------------------------------------------


def summary(runs: dict[int, LoadRun], stock: LoadRun | None) -> dict[str, Any]:
    """The contract keys this script owns, from its runs."""
    one, two = runs.get(1), runs.get(2)
    checks = [r.tracker_check for r in runs.values()]
    return {
        "msgs_per_s_1_replica": one.msgs_per_s if one else None,
        "msgs_per_s_2_replicas": two.msgs_per_s if two else None,
        "p95_ms_2_replicas": two.p95_ms if two else None,
        "lost_events": sum(c.get("lost", 0) for c in checks),
        "duplicated_events": sum(c.get("duplicated", 0) for c in checks),
        "stock_rasa_msgs_per_s": stock.msgs_per_s if stock else None,
    }


def capacity(run: LoadRun) -> dict[str, Any]:
    """Messages per CPU-second of the servers, and memory per process kind."""
    cpu = sum(u["cpu_s"] for u in run.usage.values())
    by_kind: dict[str, list[float]] = {}
    for name, usage in run.usage.items():
        by_kind.setdefault(name.split("-")[0], []).append(usage["peak_rss_mib"])
    return {
        "server_cpu_s": round(cpu, 1),
        "msgs_per_cpu_s": round(run.messages / cpu, 2) if cpu else None,
        "rasa_cpu_share": round(
            sum(u["cpu_s"] for n, u in run.usage.items() if n.startswith("rasa")) / cpu, 2
        )
        if cpu
        else None,
        "peak_rss_mib_per_process": {k: max(v) for k, v in by_kind.items()},
    }


def merge_results(path: Path, own: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """scale.json with this run's keys replaced and everyone else's kept."""
    result: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    result.setdefault("faults_survived", None)
    result.setdefault("faults_tried", None)
    turn = path.with_name("turn.json")
    if turn.exists():
        measured = json.loads(turn.read_text())
        for key in TURN_KEYS:
            if measured.get(key) is not None:
                result[key] = measured[key]
    for key in TURN_KEYS:
        result.setdefault(key, None)
    result.update(own)
    result["load"] = extra
    return result


def write_report(result: dict[str, Any], runs: dict[int, LoadRun], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "scale.json").write_text(json.dumps(result, indent=2) + "\n")
    load = result["load"]
    m = load["machine"]
    ratio = load.get("ratio_2_vs_1")

    def fmt(value: Any, unit: str = "") -> str:
        return "n/a" if value is None else f"{value}{unit}"

    lines = [
        "# Load test: 1 replica against 2",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, shared with other "
        f"work (load average {load['load_average_before']} before the run). Command: "
        f"`python -m benchmarks.scale --users {load['users']} --run-time {load['run_time_s']}"
        + (
            f" --cpus-per-replica {pinned}`. "
            if (pinned := load.get("cpus_per_replica"))
            else "`. "
        )
        + (
            f"Each replica is pinned to {pinned} core(s) of its own (CPU affinity, like a "
            "Kubernetes CPU limit); the other processes and Locust run on every core."
            if pinned
            else "Replicas, the other processes and Locust share every core."
        ),
        "",
        "| measure | value |",
        "|---|---|",
        f"| messages/s, 1 replica | {fmt(result['msgs_per_s_1_replica'])} |",
        f"| messages/s, 2 replicas | {fmt(result['msgs_per_s_2_replicas'])} |",
        f"| ratio 2 / 1 (target ≥ 1.5) | {fmt(ratio, 'x')} |",
        f"| p95, 2 replicas | {fmt(result['p95_ms_2_replicas'], ' ms')} |",
        f"| lost events | {result['lost_events']} |",
        f"| duplicated events | {result['duplicated_events']} |",
        f"| stock `rasa init` bot, messages/s | {fmt(result['stock_rasa_msgs_per_s'])} |",
        f"| faults survived / tried | {fmt(result['faults_survived'])} / "
        f"{fmt(result['faults_tried'])} |",
        f"| turn p50 Tandem / stock | {fmt(result['turn_p50_ms'], ' ms')} / "
        f"{fmt(result['stock_rasa_turn_p50_ms'], ' ms')} |",
        "",
    ]
    if shared := load.get("shared_cores_run"):
        lines += [
            f"The run before, replicas sharing every core ({shared['note']}): "
            f"{shared['msgs_per_s_1_replica']} msgs/s with 1 replica, "
            f"{shared['msgs_per_s_2_replicas']} with 2 ({shared['ratio_2_vs_1']}x): one replica "
            "alone spreads over both cores, so a second adds less.",
            "",
        ]
    for replicas, run in runs.items():
        check = run.tracker_check
        lines += [
            f"## {replicas} replica{'s' if replicas > 1 else ''}: per reply type",
            "",
            f"{run.messages} messages, {run.failures} errors, {check.get('conversations')} "
            f"conversations; trackers: lost {check.get('lost')}, duplicated "
            f"{check.get('duplicated')}, out of order {check.get('out_of_order')}. "
            f"Locust itself used {run.locust_cpu_s} CPU-seconds.",
            "",
            "| channel | step | messages | errors | msgs/s | p50 ms | p95 ms | p99 ms |",
            "|---|---|---|---|---|---|---|---|",
            *[
                f"| {s['channel']} | {s['step']} | {s['requests']} | {s['failures']} | "
                f"{s['msgs_per_s']} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} | {s['p99_ms']:.0f} |"
                for s in run.steps
            ],
            "",
        ]
    lines += ["## Capacity", "", "| run | msgs per server CPU-second | peak RSS MiB per process |",
              "|---|---|---|"]  # fmt: skip
    for label, cap in load["capacity"].items():
        rss = ", ".join(f"{k} {v:.0f}" for k, v in cap["peak_rss_mib_per_process"].items())
        lines.append(f"| {label} | {fmt(cap['msgs_per_cpu_s'])} | {rss} |")
    lines.append("")
    model = load.get("sizing")
    if model:
        lines += [
            f"## Capacity model ({model['from_run']}; assumptions in scale.json)",
            "",
            "| quantity | value |",
            "|---|---|",
            *[f"| {k.replace('_', ' ')} | {v} |" for k, v in model["result"].items()],
            "",
        ]
    (out_dir / "scale.md").write_text("\n".join(lines))
    plot(runs, out_dir / "scale.png")


def plot(runs: dict[int, LoadRun], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    steps = sorted({(s["channel"], s["step"]) for r in runs.values() for s in r.steps})
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    labels = [f"{replicas} replica{'s' if replicas > 1 else ''}" for replicas in runs]
    left.bar(
        labels, [r.msgs_per_s for r in runs.values()], color=["#8fb3d9", "#2b6cb0"][: len(runs)]
    )
    left.set_ylabel("messages/s (all journeys)")
    left.set_title("Throughput")
    width = 0.8 / max(1, len(runs))
    for i, (label, run) in enumerate(zip(labels, runs.values(), strict=True)):
        p95 = {(s["channel"], s["step"]): s["p95_ms"] for s in run.steps}
        xs = [x + i * width for x in range(len(steps))]
        right.bar(xs, [p95.get(k, 0) for k in steps], width=width, label=label)
    right.set_xticks([x + width * (len(runs) - 1) / 2 for x in range(len(steps))])
    right.set_xticklabels([f"{c}\n{s}" for c, s in steps], rotation=60, fontsize=7)
    right.set_ylabel("p95 ms")
    right.set_title("p95 per reply type")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=16, help="Locust users (default 16)")
    parser.add_argument("--run-time", type=int, default=60, help="seconds per run (default 60)")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--action-servers", type=int, default=1)
    parser.add_argument("--no-stock", action="store_true", help="skip the stock rasa bot")
    parser.add_argument(
        "--cpus-per-replica",
        type=int,
        default=None,
        help="pin each replica to this many cores of its own (a CPU limit); default: "
        "replicas share every core",
    )
    parser.add_argument(
        "--postgres-admin-user",
        default="postgres",
        help="creates (and drops) the run's database, which the servers use (default postgres)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    base = Settings.from_env().with_overrides(profile="production")
    model = ensure_model(base)
    load_before = round(psutil.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="tandem-scale-") as tmp:
        out = Path(tmp)
        env = base.engine_env()
        with private_database(env, args.postgres_admin_user) as db:
            run_env = {
                "TANDEM_POSTGRES_DB": db,
                "TANDEM_HANDOFF_DB": db,
                "TANDEM_POSTGRES_USER": args.postgres_admin_user,
                "TANDEM_REDIS_KEY_PREFIX": f"load{secrets.token_hex(4)}",
                # Handoff requests are answered as in opening hours, whatever the time.
                "TANDEM_HANDOFF_OPEN_HOURS": "always",
            }
            with patched_environ(run_env):
                runs = {
                    n: cluster_run(
                        base,
                        model,
                        replicas=n,
                        action_servers=args.action_servers,
                        args=args,
                        out=out,
                    )
                    for n in args.replicas
                }
                storage = database_size(env, args.postgres_admin_user, db)
                stock = None
                if not args.no_stock:
                    with private_database(env, args.postgres_admin_user) as stock_db:
                        stock = stock_run(base, {**env, **run_env}, args, out, stock_db)
    own = summary(runs, stock)
    one, two = runs.get(1), runs.get(2)
    extra = {
        "users": args.users,
        "run_time_s": args.run_time,
        "action_servers": args.action_servers,
        "cpus_per_replica": args.cpus_per_replica,
        "ratio_2_vs_1": round(two.msgs_per_s / one.msgs_per_s, 2)
        if one and two and one.msgs_per_s
        else None,
        "load_average_before": load_before,
        "postgres": {
            **storage,
            "messages": sum(r.tracker_check["messages_sent"] for r in runs.values()),
        },
        "runs": {f"replicas_{n}": vars(r) for n, r in runs.items()},
        "stock": vars(stock) if stock else None,
        "capacity": {
            **{f"replicas_{n}": capacity(r) for n, r in runs.items()},
            **({"stock": capacity(stock)} if stock else {}),
        },
        "machine": machine(),
    }
    biggest = f"replicas_{max(runs)}" if runs else ""
    measured = sizing.measured_from(extra, biggest)
    if measured is not None:
        extra["sizing"] = {
            "from_run": biggest,
            "inputs": asdict(measured),
            "assumptions": {
                "conversations": sizing.CONVERSATIONS,
                "seconds_between_messages": sizing.SECONDS_BETWEEN_MESSAGES,
                "target_utilisation": sizing.TARGET_UTILISATION,
                "generated_share": sizing.GENERATED_SHARE,
                "answer_tokens": sizing.ANSWER_TOKENS,
                "gpu_server_tokens_per_s": sizing.GPU_SERVER_TOKENS_PER_S,
            },
            "result": asdict(sizing.size(measured)),
        }
    result = merge_results(args.out / "scale.json", own, extra)
    write_report(result, runs, args.out)
    print(json.dumps({k: result.get(k) for k in (*OWN_KEYS, *TURN_KEYS)}, indent=2))


if __name__ == "__main__":
    main()
