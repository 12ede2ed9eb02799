"""Faults under load: what customers see when a part of the production profile fails.

``python -m benchmarks.faults`` (actions venv) starts the production profile on
private Redis, PostgreSQL and RabbitMQ servers (tests/support/services.py; the
machine's shared ones are never touched), runs a few customers through real
REST journeys, and while they talk, one fault at a time:

* ``rasa_replica_kill``: SIGKILL to one Rasa replica (needs the cluster,
  ``bot.cluster``; skipped on one replica): the balancer must move its
  customers, who carry on from PostgreSQL;
* ``action_server_kill``: SIGKILL to the action server, down ``--down`` seconds,
  started again: an apology, then normal replies;
* ``redis_restart``, ``postgres_restart``, ``rabbitmq_restart``: the service
  stops cleanly, stays down ``--down`` seconds, starts again; ours must
  reconnect without a restart (Redis comes back empty: no persistence);
* ``handoff_restart``: the handoff service stops and starts.

For each fault: what the customers saw (turns answered, failed, apologised),
``lost`` and ``duplicated`` (every message a customer got an answer to must be
in the tracker exactly once, in order, with every reply the customer saw; see
:func:`account`), ``analytics_lost`` (events in PostgreSQL's tracker that never
reached the analytics store through RabbitMQ), and ``recover_s``: from the
fault until the end of the last turn that went wrong (the outage the customers
felt; 0 when none did). Writes ``faults.json``, ``faults.md`` and
``faults.png`` to benchmarks/results/ and merges ``faults_survived`` and
``faults_tried`` into ``scale.json`` (other keys kept).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import signal
import sqlite3
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

JOURNEYS: tuple[tuple[str, ...], ...] = (
    ("hello there", "my name is Tom", "when is riverside open today", "thanks!"),
    ("hi", "what can you do", "are you open now?", "bye"),
    ("good morning", "call me Jo", "am i talking to a bot?", "thanks!"),
)
"""Real journeys: greetings, a name kept in a slot, opening hours from an action."""
APOLOGY = "something went wrong on our side"
"""Part of the engine's apology when an action fails (bot/engine/resilience.py)."""


@dataclass
class Turn:
    """One message a customer sent and what came back."""

    sender: str
    text: str
    started: float
    ended: float = 0.0
    status: int = 0  # HTTP status; 0 when no answer came
    replies: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def answered(self) -> bool:
        return self.status == 200

    @property
    def apologised(self) -> bool:
        return any(APOLOGY in reply for reply in self.replies)

    @property
    def bad(self) -> bool:
        """What a customer would notice: an error, silence or an apology."""
        return not self.answered or not self.replies or self.apologised


@dataclass(frozen=True)
class Accounting:
    """One conversation's messages against its tracker."""

    lost: int = 0  # answered messages or seen replies missing from the tracker
    duplicated: int = 0  # messages stored more than once
    out_of_order: int = 0  # conversations whose stored messages are not in sent order
    failed_but_stored: int = 0  # the customer got an error, the tracker has the message


def account(
    turns: Sequence[Turn], user_texts: Sequence[str], bot_texts: Sequence[str]
) -> Accounting:
    """Compare what one conversation's customer sent and saw with its tracker.

    A journey's messages are distinct, so each is found by its text: an
    answered one must be stored exactly once; a failed or apologised one (the
    customer was told and would send it again) at most once. Every reply the
    customer saw in a turn that went well must be a bot event of the tracker.
    """
    stored = Counter(user_texts)
    lost = sum(1 for t in turns if t.answered and not t.apologised and stored[t.text] == 0)
    duplicated = sum(n - 1 for n in stored.values() if n > 1)
    failed_but_stored = sum(1 for t in turns if not t.answered and stored[t.text] > 0)
    seen = Counter(reply for t in turns if t.answered and not t.apologised for reply in t.replies)
    lost += sum((seen - Counter(bot_texts)).values())
    sent_order = [t.text for t in turns if stored[t.text] > 0]
    first_seen = list(dict.fromkeys(user_texts))
    return Accounting(
        lost=lost,
        duplicated=duplicated,
        out_of_order=int(first_seen != sent_order),
        failed_but_stored=failed_but_stored,
    )


def recover_s(turns: Sequence[Turn], fault_at: float) -> float:
    """Seconds from the fault to the end of the last bad turn after it (0: none was bad)."""
    ends = [t.ended for t in turns if t.bad and t.ended >= fault_at]
    return round(max(ends) - fault_at, 2) if ends else 0.0


class Deployment(Protocol):
    """What the faults need from a running production profile."""

    url: str  # where customers send REST messages (the balancer, or the one replica)
    api_headers: dict[str, str]

    def fault(self, name: str) -> Callable[[float], None] | None:
        """The named fault's injector (taking the seconds to stay down), or None
        where this deployment cannot have it."""
        ...

    def state_dir(self) -> Path: ...

    def dead_processes(self) -> list[str]:
        """Our processes that are not running (none may die of a service's fault)."""
        ...


class Customers:
    """``count`` customers, each running journeys one after another over REST."""

    def __init__(self, url: str, *, count: int, tag: str, timeout_s: float = 30.0) -> None:
        import httpx

        self.url = url
        self.count = count
        self.tag = tag
        self.turns: list[Turn] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._http = httpx.Client(timeout=timeout_s)

    def _talk(self, index: int) -> None:
        import httpx

        journey = 0
        while not self._stop.is_set():
            sender = f"fault-{self.tag}-{index}-{journey}"
            for text in JOURNEYS[(index + journey) % len(JOURNEYS)]:
                turn = Turn(sender, text, started=time.monotonic())
                try:
                    response = self._http.post(
                        f"{self.url}/webhooks/rest/webhook",
                        json={"sender": sender, "message": text},
                    )
                    turn.status = response.status_code
                    if response.status_code == 200:
                        turn.replies = [m.get("text") or "" for m in response.json()]
                    else:
                        turn.error = response.text[:200]
                except httpx.HTTPError as e:
                    turn.error = f"{type(e).__name__}: {e}"[:200]
                turn.ended = time.monotonic()
                with self._lock:
                    self.turns.append(turn)
                if turn.bad:
                    self._stop.wait(0.5)  # a customer waits a moment before going on
            journey += 1

    def start(self) -> None:
        for index in range(self.count):
            thread = threading.Thread(target=self._talk, args=(index,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        self._http.close()

    def wait_for_good_turns(self, after: float, *, count: int, timeout_s: float) -> bool:
        """True once ``count`` good turns started after ``after``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                good = sum(1 for t in self.turns if t.started >= after and not t.bad)
            if good >= count:
                return True
            time.sleep(0.2)
        return False

    def by_sender(self) -> dict[str, list[Turn]]:
        out: dict[str, list[Turn]] = {}
        for turn in self.turns:
            out.setdefault(turn.sender, []).append(turn)
        return out


def tracker_texts(deployment: Deployment, sender: str) -> tuple[list[str], list[str]]:
    """The user and bot texts of a REST sender's tracker, read through Rasa's API."""
    import httpx

    conversation = quote(f"rest:{sender}", safe="")
    for attempt in range(10):
        try:
            response = httpx.get(
                f"{deployment.url}/conversations/{conversation}/tracker",
                headers=deployment.api_headers,
                timeout=30,
            )
            response.raise_for_status()
            break
        except httpx.HTTPError:
            if attempt == 9:
                raise
            time.sleep(1)
    events = response.json()["events"]
    users = [e.get("text") or "" for e in events if e["event"] == "user"]
    bots = [e.get("text") or "" for e in events if e["event"] == "bot"]
    return users, bots


def stored_event_counts(
    postgres_url: str, state_dir: Path, senders: Sequence[str]
) -> tuple[int, int]:
    """(events of ``senders``' conversations in the tracker store, in the analytics store).

    The analytics store knows a conversation by a keyed hash of its id, made
    with the key the consumer keeps in the state directory.
    """
    import sqlalchemy as sa

    ids = [f"rest:{sender}" for sender in senders]
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            tracker = conn.execute(
                sa.text("SELECT count(*) FROM events WHERE sender_id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            ).scalar()
    finally:
        engine.dispose()
    key_file, analytics_db = state_dir / "analytics.key", state_dir / "analytics.db"
    if not key_file.exists() or not analytics_db.exists():
        return int(tracker or 0), 0
    key = key_file.read_text(encoding="utf-8").strip().encode("utf-8")
    hashes = [hmac.new(key, i.encode("utf-8"), hashlib.sha256).hexdigest() for i in ids]
    with contextlib.closing(sqlite3.connect(analytics_db, timeout=30)) as conn:
        marks = ",".join("?" * len(hashes))
        try:
            row = conn.execute(
                f"SELECT count(*) FROM events WHERE conversation IN ({marks})",
                hashes,
            ).fetchone()
        except sqlite3.OperationalError:  # not migrated yet
            row = (0,)
    return int(tracker or 0), int(row[0])


def analytics_gap(
    postgres_url: str, state_dir: Path, senders: Sequence[str], *, timeout_s: float
) -> int:
    """Tracker events of ``senders`` not in the analytics store once it has had
    ``timeout_s`` to catch up."""
    deadline = time.monotonic() + timeout_s
    while True:
        tracker, analytics = stored_event_counts(postgres_url, state_dir, senders)
        if analytics >= tracker or time.monotonic() > deadline:
            return max(0, tracker - analytics)
        time.sleep(1)


@dataclass
class FaultResult:
    fault: str
    tried: bool = True
    survived: bool = False
    turns: int = 0
    bad_turns: int = 0
    errors: int = 0
    apologies: int = 0
    silent: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    failed_but_stored: int = 0
    analytics_lost: int = 0
    dead_processes: list[str] = field(default_factory=list)
    recover_s: float = 0.0
    slowest_turn_s: float = 0.0
    inject_s: float = 0.0
    customers_saw: str = ""
    recovered: bool = True
    note: str = ""
    senders: list[str] = field(default_factory=list, repr=False)


def public(result: FaultResult) -> dict[str, Any]:
    """The result as faults.json keeps it (the conversation ids stay out)."""
    out = asdict(result)
    out.pop("senders")
    return out


def customers_saw(turns: Sequence[Turn]) -> str:
    """A line of what the bad turns looked like to the customer."""
    kinds = Counter(
        "an apology"
        if t.apologised
        else "silence"
        if t.answered and not t.replies
        else f"HTTP {t.status}"
        if t.status
        else (t.error.split(":")[0] or "no answer")
        for t in turns
        if t.bad
    )
    if not kinds:
        return "nothing unusual"
    return ", ".join(f"{n} x {kind}" for kind, n in kinds.most_common())


def run_fault(
    deployment: Deployment,
    name: str,
    *,
    customers: int,
    warm_s: float,
    down_s: float,
    settle_s: float,
    postgres_url: str,
) -> FaultResult:
    """One fault while ``customers`` talk; see the module docstring."""
    inject = deployment.fault(name)
    if inject is None:
        return FaultResult(name, tried=False, note="not possible on this deployment")
    load = Customers(deployment.url, count=customers, tag=f"{name}-{int(time.time())}")
    load.start()
    try:
        time.sleep(warm_s)
        fault_at = time.monotonic()
        logger.info("fault %s", name)
        inject(down_s)
        healed_at = time.monotonic()
        recovered = load.wait_for_good_turns(healed_at, count=customers, timeout_s=120)
        time.sleep(settle_s)
    finally:
        load.stop()
    turns = load.turns
    after = [t for t in turns if t.ended >= fault_at]
    result = FaultResult(
        name,
        turns=len(turns),
        bad_turns=sum(t.bad for t in turns),
        errors=sum(not t.answered for t in turns),
        apologies=sum(t.apologised for t in turns),
        silent=sum(t.answered and not t.replies for t in turns),
        recover_s=recover_s(after, fault_at),
        slowest_turn_s=round(max((t.ended - t.started for t in after), default=0.0), 2),
        inject_s=round(healed_at - fault_at, 2),
        customers_saw=customers_saw(turns),
    )
    for sender, mine in load.by_sender().items():
        users, bots = tracker_texts(deployment, sender)
        acc = account(mine, users, bots)
        result.lost += acc.lost
        result.duplicated += acc.duplicated
        result.out_of_order += acc.out_of_order
        result.failed_but_stored += acc.failed_but_stored
    result.senders = sorted(load.by_sender())
    result.analytics_lost = analytics_gap(
        postgres_url, deployment.state_dir(), result.senders, timeout_s=60
    )
    result.dead_processes = deployment.dead_processes()
    result.recovered = recovered
    judge(result)
    if not recovered:
        result.note = "no good turns within 120 s of the repair"
    if result.dead_processes:
        result.note = f"{', '.join(result.dead_processes)} died; {result.note}".rstrip("; ")
    logger.info("%s", json.dumps(public(result)))
    return result


FAULTS = (
    "rasa_replica_kill",
    "action_server_kill",
    "redis_restart",
    "postgres_restart",
    "rabbitmq_restart",
    "handoff_restart",
)


def judge(result: FaultResult) -> None:
    """Survived: the customers got good answers again, nothing was lost, duplicated
    or reordered, and none of our processes died."""
    result.survived = (
        result.recovered
        and not result.dead_processes
        and result.lost == result.duplicated == result.out_of_order == 0
        and result.analytics_lost == 0
    )


def recheck_analytics(results: Sequence[FaultResult], postgres_url: str, state: Path) -> None:
    """A gap seen right after a fault may be the consumer running behind: look again
    once every fault is over, with two more minutes to catch up."""
    for result in results:
        if result.analytics_lost:
            late = analytics_gap(postgres_url, state, result.senders, timeout_s=120)
            if late < result.analytics_lost:
                result.note = (
                    f"{result.analytics_lost - late} analytics events arrived late; " + result.note
                ).rstrip("; ")
            result.analytics_lost = late
            judge(result)


def merge_results(path: Path, keys: dict[str, Any]) -> dict[str, Any]:
    """``path``'s JSON with ``keys`` replaced, every other key kept; other writers of
    the same file (the load benchmark writes scale.json too) wait on its lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        text = f.read()
        current = json.loads(text) if text.strip() else {}
        current.update(keys)
        f.seek(0)
        f.truncate()
        f.write(json.dumps(current, indent=2, sort_keys=True) + "\n")
    return current


def markdown(results: Sequence[FaultResult], meta: dict[str, Any]) -> str:
    lines = [
        "# Faults under load",
        "",
        f"`{meta['command']}` on {meta['replicas']} Rasa replica(s), {meta['customers']} "
        f"customers on REST journeys, services down {meta['down_s']} s; "
        "private Redis, PostgreSQL and RabbitMQ (tests/support/services.py). "
        "Lost: answered messages or seen replies missing from the tracker, plus tracker "
        "events missing from the analytics store. Recover: fault to the end of the last "
        "turn that went wrong. Slowest turn: the longest wait for an answer after the fault.",
        "",
        "| fault | survived | turns | bad turns | what customers saw | lost | duplicated "
        "| analytics lost | recover s | slowest turn s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if not r.tried:
            lines.append(f"| {r.fault} | not tried | | | {r.note} | | | | | |")
            continue
        lines.append(
            f"| {r.fault} | {'yes' if r.survived else 'NO'} | {r.turns} | {r.bad_turns} | "
            f"{r.customers_saw} | {r.lost} | {r.duplicated} | {r.analytics_lost} | "
            f"{r.recover_s:.1f} | {r.slowest_turn_s:.1f} |"
        )
    notes = [f"* {r.fault}: {r.note}" for r in results if r.tried and r.note]
    return "\n".join(lines + (["", *notes] if notes else [])) + "\n"


def plot(results: Sequence[FaultResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tried = [r for r in results if r.tried]
    fig, ax = plt.subplots(figsize=(6, 3))
    colours = ["tab:green" if r.survived else "tab:red" for r in tried]
    ax.barh([r.fault for r in tried], [r.recover_s for r in tried], color=colours)
    ax.set_xlabel("seconds customers felt the fault")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@contextlib.contextmanager
def private_services() -> Iterator[dict[str, Any]]:
    """Private Redis, PostgreSQL and RabbitMQ, with the env that points Tandem at them."""
    from tests.support.services import PrivatePostgres, PrivateRabbitMQ, PrivateRedis

    with PrivateRedis() as redis, PrivatePostgres() as postgres, PrivateRabbitMQ() as rabbit:
        yield {
            "redis": redis,
            "postgres": postgres,
            "rabbitmq": rabbit,
            "env": {**redis.env(), **postgres.env(), **rabbit.env()},
            "postgres_url": f"postgresql+psycopg://tandem@127.0.0.1:{postgres.port}/tandem",
        }


@contextlib.contextmanager
def single_node(services: dict[str, Any], state: Path) -> Iterator[Deployment]:
    """The production profile on one replica (``bot run --profile production``)."""
    from bot.settings import Settings
    from bot.supervisor import Supervisor, free_port
    from bot.training import ensure_model

    settings = Settings.from_env().with_overrides(
        profile="production",
        state_dir=state,
        rasa_port=free_port(),
        action_port=free_port(),
        handoff_port=free_port(),
    )
    supervisor = Supervisor(settings, model=ensure_model(settings))
    point_at(supervisor.servers, services)
    supervisor.handoff.env["TANDEM_HANDOFF_OPEN_HOURS"] = "always"
    with supervisor:
        yield SingleNode(supervisor, services)


class SingleNode:
    """:class:`Deployment` over a :class:`bot.supervisor.Supervisor`."""

    def __init__(self, supervisor: Any, services: dict[str, Any]) -> None:
        self.supervisor = supervisor
        self.services = services
        self.url = supervisor.settings.rasa_url
        self.api_headers = {"Authorization": f"Bearer {supervisor.settings.rasa_token}"}

    def state_dir(self) -> Path:
        return Path(self.supervisor.settings.state_dir)

    def dead_processes(self) -> list[str]:
        return [server.name for server in self.supervisor.servers if not server.running]

    def fault(self, name: str) -> Callable[[float], None] | None:
        s = self.supervisor
        if name == "action_server_kill":
            return lambda down_s: kill_and_restart(s, s.actions, down_s)
        if name == "handoff_restart":
            return lambda down_s: s.restart(s.handoff)
        if name.endswith("_restart") and name.removesuffix("_restart") in self.services:
            service = self.services[name.removesuffix("_restart")]
            return lambda down_s: service.restart(down_s=down_s)
        return None


def kill_and_restart(supervisor: Any, server: Any, down_s: float) -> None:
    """SIGKILL to a server's process group, ``down_s`` of nothing, then start it again."""
    server.kill(signal.SIGKILL)
    time.sleep(down_s)
    supervisor.restart(server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=4)
    parser.add_argument("--replicas", type=int, default=2, help="1: no balancer (no replica kill)")
    parser.add_argument("--down", type=float, default=3.0, help="seconds each service stays down")
    parser.add_argument("--warm", type=float, default=5.0)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--faults", nargs="*", default=list(FAULTS), choices=FAULTS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[faults] %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    import tempfile

    results: list[FaultResult] = []
    with private_services() as services, tempfile.TemporaryDirectory() as state:
        deployment_cm = (
            cluster(services, Path(state), args.replicas)
            if args.replicas > 1
            else single_node(services, Path(state))
        )
        with deployment_cm as deployment:
            for name in args.faults:
                results.append(
                    run_fault(
                        deployment,
                        name,
                        customers=args.customers,
                        warm_s=args.warm,
                        down_s=args.down,
                        settle_s=args.settle,
                        postgres_url=services["postgres_url"],
                    )
                )
            recheck_analytics(results, services["postgres_url"], deployment.state_dir())
    tried = [r for r in results if r.tried]
    meta = {
        "command": "python -m benchmarks.faults " + " ".join(argv or sys.argv[1:]),
        "replicas": args.replicas,
        "customers": args.customers,
        "down_s": args.down,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "faults.json").write_text(
        json.dumps({**meta, "faults": [public(r) for r in results]}, indent=2) + "\n"
    )
    (args.out / "faults.md").write_text(markdown(results, meta))
    plot(results, args.out / "faults.png")
    merge_results(
        args.out / "scale.json",
        {"faults_survived": sum(r.survived for r in tried), "faults_tried": len(tried)},
    )
    return 0


@contextlib.contextmanager
def cluster(services: dict[str, Any], state: Path, replicas: int) -> Iterator[Deployment]:
    """The production profile on ``replicas`` Rasa replicas behind HAProxy
    (:class:`bot.cluster.Cluster`, ``python -m bot run --replicas N``)."""
    from bot.cluster import Cluster
    from bot.settings import Settings
    from bot.supervisor import free_port
    from bot.training import ensure_model

    settings = Settings.from_env().with_overrides(
        profile="production",
        state_dir=state,
        rasa_port=free_port(),
        action_port=free_port(),
        handoff_port=free_port(),
    )
    group = Cluster(settings, model=ensure_model(settings), replicas=replicas)
    point_at(group.servers, services)
    group.handoff.env["TANDEM_HANDOFF_OPEN_HOURS"] = "always"
    with group:
        yield ClusterNode(group, services)


def point_at(servers: Sequence[Any], services: dict[str, Any]) -> None:
    """Every server's production-profile variables to the private services."""
    from bot.settings import handoff_postgres_url, socketio_redis_url

    for server in servers:
        server.env.update(services["env"])
        if "TANDEM_SOCKETIO_REDIS_URL" in server.env:
            server.env["TANDEM_SOCKETIO_REDIS_URL"] = socketio_redis_url(server.env)
        if "TANDEM_HANDOFF_DB_URL" in server.env:
            # Built from the machine's PostgreSQL when the server was set up; the
            # handoff database is the private server's too (it was the shared one's).
            server.env["TANDEM_HANDOFF_DB_URL"] = handoff_postgres_url(server.env)


class ClusterNode(SingleNode):
    """:class:`Deployment` over a :class:`bot.cluster.Cluster`."""

    def __init__(self, group: Any, services: dict[str, Any]) -> None:
        self.supervisor = group
        self.services = services
        self.url = group.balancer_url
        self.api_headers = {"Authorization": f"Bearer {group.settings.rasa_token}"}

    def fault(self, name: str) -> Callable[[float], None] | None:
        group = self.supervisor
        if name == "rasa_replica_kill":
            return self._kill_replica
        if name == "action_server_kill":
            return lambda down_s: kill_and_restart(group, group.action_servers[0], down_s)
        return super().fault(name)

    def _kill_replica(self, down_s: float) -> None:
        """kill -9 replica 1 mid-conversation; the cluster's watch would start it again,
        here it is started after ``down_s`` (its customers are on the other one by then)."""
        group = self.supervisor
        group.kill_replica(0)
        time.sleep(down_s)
        group.start_replica(0)


if __name__ == "__main__":
    sys.exit(main())
