"""The load test's plumbing, shared by ``python -m benchmarks.scale`` and
tests/e2e/test_load.py: a private PostgreSQL database, Locust run headless as a
child process and read back from its CSV statistics, the servers' memory and CPU,
and the check of every tracker against the users' journal."""

from __future__ import annotations

import contextlib
import csv
import os
import resource
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psutil

from benchmarks.load.journeys import JOURNEY, Verdict, check, read_journal, tracker_id, user_texts
from bot.supervisor import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "benchmarks" / "load" / "locustfile.py"
SETTLE_S = 5.0
"""After Locust stops, for turns still in flight to be saved before the check."""


# -- services ----------------------------------------------------------------------------


@contextlib.contextmanager
def private_database(env: dict[str, str], admin_user: str) -> Iterator[str]:
    """A new PostgreSQL database for this run (dropped at the end), owned by ``admin_user``."""
    import psycopg

    name = f"tandem_load_{secrets.token_hex(4)}"
    conninfo = (
        f"host={env['TANDEM_POSTGRES_HOST']} port={env['TANDEM_POSTGRES_PORT']} "
        f"user={admin_user} dbname=postgres"
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_size(env: dict[str, str], admin_user: str, db: str) -> dict[str, int]:
    """Rows and bytes (with indexes) of Rasa's ``events`` table in ``db``."""
    import psycopg

    conninfo = (
        f"host={env['TANDEM_POSTGRES_HOST']} port={env['TANDEM_POSTGRES_PORT']} "
        f"user={admin_user} dbname={db}"
    )
    with psycopg.connect(conninfo) as conn:
        rows, size = conn.execute(
            "SELECT count(*), pg_total_relation_size('events') FROM events"
        ).fetchone() or (0, 0)
    return {"event_rows": int(rows), "events_table_bytes": int(size)}


# -- measuring processes -------------------------------------------------------------------


@dataclass
class Usage:
    """Peak RSS and CPU seconds of one server (its process and children) over a window."""

    name: str
    peak_rss_mib: float = 0.0
    cpu_s: float = 0.0
    _start_cpu: float | None = None


class Sampler:
    """Samples the servers' memory every second and their CPU time at both ends."""

    def __init__(self, servers: Sequence[ServerProcess], *, interval_s: float = 1.0) -> None:
        self.servers = [s for s in servers if s.pid is not None]
        self.usage = {s.name: Usage(s.name) for s in self.servers}
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    @staticmethod
    def _tree(pid: int) -> list[psutil.Process]:
        try:
            root = psutil.Process(pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _measure(self, server: ServerProcess) -> tuple[float, float]:
        rss = cpu = 0.0
        for process in self._tree(server.pid or 0):
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                rss += process.memory_info().rss
                times = process.cpu_times()
                cpu += times.user + times.system
        return rss / 2**20, cpu

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def _sample(self) -> None:
        for server in self.servers:
            rss, _ = self._measure(server)
            usage = self.usage[server.name]
            usage.peak_rss_mib = max(usage.peak_rss_mib, rss)

    def __enter__(self) -> Sampler:
        for server in self.servers:
            self.usage[server.name]._start_cpu = self._measure(server)[1]
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        for server in self.servers:
            usage = self.usage[server.name]
            usage.cpu_s = round(self._measure(server)[1] - (usage._start_cpu or 0.0), 2)
            usage.peak_rss_mib = round(usage.peak_rss_mib, 1)


def usage_of(usage: Usage) -> dict[str, float]:
    return {"peak_rss_mib": usage.peak_rss_mib, "cpu_s": usage.cpu_s}


# -- Locust -------------------------------------------------------------------------------


@dataclass
class LoadRun:
    """One Locust run's figures."""

    label: str
    users: int
    run_time_s: int
    steps: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    msgs_per_s: float = 0.0
    messages: int = 0
    failures: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    usage: dict[str, dict[str, float]] = field(default_factory=dict)
    locust_cpu_s: float = 0.0
    tracker_check: dict[str, Any] = field(default_factory=dict)


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def locust(
    host: str,
    *,
    users: int,
    run_time_s: int,
    user_classes: Sequence[str],
    journal: Path,
    out: Path,
    label: str,
    spawn_rate: float | None = None,
) -> LoadRun:
    """Locust headless against ``host``; its CSV statistics as a :class:`LoadRun`."""
    prefix = out / label
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--host", host, "--users", str(users),
        "--spawn-rate", str(spawn_rate or max(1.0, users / 4)),
        "--run-time", f"{run_time_s}s", "--stop-timeout", "0",
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
        "--journal", str(journal), *user_classes,
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with (out / f"{label}.log").open("w") as log:
        subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stats_file = prefix.with_name(f"{prefix.name}_stats.csv")
    if not stats_file.exists():
        raise RuntimeError(f"Locust wrote no statistics; see {out / f'{label}.log'}")
    run = LoadRun(
        label=label, users=users, run_time_s=run_time_s, locust_cpu_s=round(locust_cpu_s, 1)
    )
    with stats_file.open() as handle:
        for row in csv.DictReader(handle):
            channel = {"POST": "rest"}.get(row["Type"], row["Type"])
            step: dict[str, Any] = {
                "channel": channel,
                "step": row["Name"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "msgs_per_s": round(_number(row["Requests/s"]), 2),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "p99_ms": _number(row["99%"]),
            }
            if row["Name"] == "Aggregated":
                run.p50_ms = _number(row["50%"])
                run.p95_ms = _number(row["95%"])
                run.p99_ms = _number(row["99%"])
            elif row["Name"] != "connect":  # a socket opening is not a message
                run.steps.append(step)
    run.messages = sum(s["requests"] for s in run.steps)
    run.failures = sum(s["failures"] for s in run.steps)
    run.msgs_per_s = round(sum(s["msgs_per_s"] for s in run.steps), 2)
    failures_file = prefix.with_name(f"{prefix.name}_failures.csv")
    if failures_file.exists():
        with failures_file.open() as handle:
            run.errors = [
                {"step": r["Name"], "error": r["Error"][:300], "count": int(r["Occurrences"])}
                for r in csv.DictReader(handle)
            ]
    return run


# -- the tracker check --------------------------------------------------------------------


def check_trackers(rasa_url: str, token: str, journal: Path) -> dict[str, Any]:
    """Every conversation of ``journal`` against its tracker, read through Rasa's API."""
    sent = read_journal(journal.read_text(encoding="utf-8").splitlines())
    total = Verdict()
    unreadable = events = 0
    examples: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=60, headers=headers) as client:
        for conversation, record in sent.items():
            tid = quote(tracker_id(conversation, record.channel), safe="")
            response = client.get(f"{rasa_url}/conversations/{tid}/tracker")
            if response.status_code != 200:
                unreadable += 1
                examples.append(f"{tid}: HTTP {response.status_code}")
                continue
            tracked = response.json().get("events") or []
            events += len(tracked)
            verdict = check(record, user_texts(tracked))
            total.lost += verdict.lost
            total.duplicated += verdict.duplicated
            total.out_of_order += verdict.out_of_order
            total.unacked_missing += verdict.unacked_missing
            examples.extend(f"{tid}: {p}" for p in verdict.problems[:2])
    return {
        "conversations": len(sent),
        "messages_sent": sum(len(r.texts) for r in sent.values()),
        "messages_answered": sum(len(r.acked) for r in sent.values()),
        "lost": total.lost,
        "duplicated": total.duplicated,
        "out_of_order": total.out_of_order,
        "unanswered_not_stored": total.unacked_missing,
        "unreadable_trackers": unreadable,
        "tracker_events": events,
        "examples": examples[:10],
    }


def warm_up(urls: Sequence[str]) -> None:
    """One whole journey on each replica directly, so that no first (slow) turn is timed:
    the replica's first NLU call, and the action server's first knowledge answer,
    recommendation and form, which load their models on first use."""
    with httpx.Client(timeout=300) as client:
        for url in urls:
            sender = f"warm-up-{secrets.token_hex(4)}"
            for step in JOURNEY:
                client.post(
                    f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": step.text}
                )


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    """``values`` in this process's environment, which every server inherits
    (``Settings.engine_env``), for the duration of the block."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
