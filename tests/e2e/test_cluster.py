"""Two real Rasa replicas behind HAProxy: one conversation stays whole and ordered.

The cluster is ``python -m bot run --replicas 2`` (bot/cluster.py) on free
ports: two engine replicas, an action server, the handoff service, HAProxy,
with the production profile on the loopback PostgreSQL (database ``test``),
Redis and RabbitMQ. Senders post the messages of ONE conversation at the same
moment, one to replica A, one to replica B, one through the balancer, round
after round; each waits for its reply before the next round starts. Then the
tracker, read back from PostgreSQL, must hold:

* every message sent exactly once, and every request answered (no error, no
  time-out);
* each turn whole: the user message, then exactly the bot messages its sender
  got back, then ``action_listen``, before the next user message;
* the rounds in the order sent (within a round the lock picks the order);
* turns one after the other: event timestamps never go back, as they do when
  two turns run at once and the later-saved one started first.

With Tandem's lock store (the production profile) every trial passes. The same
harness on replicas configured with Rasa's stock ``type: redis`` lock store
(RasaHQ/rasa#9213) breaks at least one of these rules; the race depends on
timing, so up to three trials run until one shows it.

A socket.io client connected through HAProxy (WebSocket, no stickiness) gets
an agent's reply posted to either replica's events API, as the handoff service
posts it. Skipped when HAProxy, PostgreSQL, Redis or RabbitMQ is absent.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml

from bot.cluster import Cluster, find_haproxy
from bot.errors import SetupError
from bot.settings import Settings
from bot.supervisor import free_port
from bot.training import ensure_model
from tests.conftest import PROJECT_ROOT


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def haproxy_installed() -> bool:
    try:
        find_haproxy()
    except SetupError:
        return False
    return True


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not reachable(5432), reason="PostgreSQL is not on 127.0.0.1:5432"),
    pytest.mark.skipif(not reachable(6379), reason="Redis is not on 127.0.0.1:6379"),
    pytest.mark.skipif(not reachable(5672), reason="RabbitMQ is not on 127.0.0.1:5672"),
    pytest.mark.skipif(
        not haproxy_installed(), reason="HAProxy is not installed: bash scripts/setup-cluster.sh"
    ),
]

ROUNDS = 4


def start_cluster(state_dir: Path, key_prefix: str, *, endpoints: str | None = None) -> Cluster:
    """A two-replica cluster on free ports; the loopback PostgreSQL's ``test``
    database; Redis keys under ``key_prefix``."""
    local = {
        "TANDEM_POSTGRES_DB": "test",
        "TANDEM_HANDOFF_DB": "test",
        "TANDEM_POSTGRES_USER": "postgres",
        "TANDEM_REDIS_KEY_PREFIX": key_prefix,
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in local.items():
            patch.setenv(key, value)
        settings = Settings.from_env().with_overrides(
            state_dir=state_dir,
            rasa_port=free_port(),
            action_port=free_port(),
            handoff_port=free_port(),
        )
        cluster = Cluster(settings, model=ensure_model(settings), replicas=2, endpoints=endpoints)
    cluster.handoff.env["TANDEM_HANDOFF_OPEN_HOURS"] = "always"
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


FORGET = """
import sys, redis, sqlalchemy as sa
prefix, senders = sys.argv[1], sys.argv[2:]
probe = redis.Redis(host="127.0.0.1", port=6379)
keys = list(probe.scan_iter(prefix + "*"))
if keys:
    probe.delete(*keys)
engine = sa.create_engine("postgresql://postgres@127.0.0.1:5432/test")
with engine.begin() as connection:
    for sender in senders:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
"""


def forget(cluster: Cluster, key_prefix: str, senders: list[str]) -> None:
    """Delete what a cluster left in the shared services: its conversations, its keys
    (with the engine venv, which has the Redis and PostgreSQL clients)."""
    subprocess.run(
        [str(cluster.settings.engine_python), "-c", FORGET, key_prefix, *senders],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def senders() -> list[str]:
    """The conversations the module's tests had, deleted with the cluster."""
    return []


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, senders: list[str]) -> Iterator[Cluster]:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    cluster = start_cluster(tmp_path_factory.mktemp("cluster"), prefix)
    try:
        yield cluster
    finally:
        cluster.stop()
        forget(cluster, prefix, senders)


@dataclass
class Sent:
    """One message: who sent it, in which round, through which server, what came back."""

    round: int
    sender: int
    target: str
    text: str
    replies: list[str] = field(default_factory=list)
    error: str = ""


async def converse(
    conversation: str, targets: list[str], *, rounds: int = ROUNDS, timeout_s: float = 60
) -> list[Sent]:
    """Each round, every target gets one message of ``conversation`` at once."""
    sent: list[Sent] = []
    async with httpx.AsyncClient(timeout=timeout_s) as client:

        async def post(message: Sent) -> None:
            try:
                response = await client.post(
                    f"{message.target}/webhooks/rest/webhook",
                    json={"sender": conversation, "message": message.text},
                )
            except httpx.TimeoutException:
                message.error = f"no answer in {timeout_s:.0f} s"
                return
            if response.status_code != 200:
                message.error = f"HTTP {response.status_code}: {response.text[:200]}"
                return
            message.replies = [m.get("text", "") for m in response.json()]
            if not message.replies:
                message.error = "no reply"

        for number in range(rounds):
            batch = [
                Sent(number, i, target, f"hello from sender {i} in round {number}")
                for i, target in enumerate(targets)
            ]
            sent.extend(batch)
            await asyncio.gather(*(post(m) for m in batch))
            if any(m.error for m in batch):
                break  # a hang or a lost turn is the evidence; no need to go on
    return sent


def read_tracker(cluster: Cluster, conversation: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{cluster.balancer_url}/conversations/{quote(conversation, safe='')}/tracker",
        headers={"Authorization": f"Bearer {cluster.settings.rasa_token}"},
        timeout=30,
    )
    response.raise_for_status()
    return list(response.json()["events"])


def problems(sent: list[Sent], events: list[dict[str, Any]]) -> list[str]:
    """Every way the tracker is not the conversation as sent (empty: whole and ordered)."""
    found = [f"{m.text!r} (to {m.target}): {m.error}" for m in sent if m.error]
    by_text = {m.text: m for m in sent}
    users = [e["text"] for e in events if e["event"] == "user"]
    counts = Counter(users)
    for message in sent:
        if counts[message.text] == 0:
            found.append(f"{message.text!r} is not in the tracker (lost)")
        elif counts[message.text] > 1:
            found.append(f"{message.text!r} is in the tracker {counts[message.text]} times")
    found += [f"{text!r} was never sent" for text in counts if text not in by_text]
    rounds = [by_text[text].round for text in users if text in by_text]
    if rounds != sorted(rounds):
        found.append(f"rounds out of order: {rounds}")
    stamps = [e["timestamp"] for e in events]
    backwards = [i for i in range(1, len(stamps)) if stamps[i] < stamps[i - 1]]
    if backwards:
        at = events[backwards[0]]
        found.append(
            f"{len(backwards)} events older than the one before them (turns overlapped), "
            f"first: {at['event']} {at.get('text') or at.get('name')!r}"
        )
    turn: list[dict[str, Any]] = []
    for event in [*events, {"event": "user", "text": None}]:
        if event["event"] != "user":
            turn.append(event)
            continue
        if turn and turn[0]["event"] == "user" and turn[0]["text"] in by_text:
            message = by_text[turn[0]["text"]]
            bots = [e.get("text") or "" for e in turn if e["event"] == "bot"]
            if not message.error and bots != message.replies:
                found.append(f"the turn of {message.text!r} holds {bots}, its sender got "
                             f"{message.replies}")  # fmt: skip
            actions = [e["name"] for e in turn if e["event"] == "action"]
            if not actions or actions[-1] != "action_listen":
                found.append(f"the turn of {message.text!r} did not end with action_listen")
        turn = [event]
    return found


def targets(cluster: Cluster) -> list[str]:
    """Replica A, replica B, the balancer."""
    return [str(cluster.replicas[0].url), str(cluster.replicas[1].url), cluster.balancer_url]


def test_concurrent_messages_to_two_replicas_keep_the_conversation_whole_and_ordered(
    cluster: Cluster, senders: list[str]
) -> None:
    for trial in range(2):
        sender = f"cluster-{uuid.uuid4().hex[:8]}"
        senders.append(f"rest:{sender}")
        sent = asyncio.run(converse(sender, targets(cluster)))
        assert len(sent) == 3 * ROUNDS
        found = problems(sent, read_tracker(cluster, f"rest:{sender}"))
        assert found == [], f"trial {trial}: {found}"
    assert cluster.server_states() == {"rasa-1": "UP", "rasa-2": "UP", "actions-1": "UP"}
    for replica in cluster.replicas:
        log = replica.log_file.read_text()
        assert "Traceback" not in log and "LockError" not in log, log[-3000:]


def test_a_socket_through_the_balancer_gets_an_agent_reply_sent_through_either_replica(
    cluster: Cluster, senders: list[str]
) -> None:
    """The widget's path: WebSocket through HAProxy to whichever replica it picks;
    the agent's replies reach it from both replicas (one of them is the other one)."""
    import socketio

    session = str(uuid.uuid4())
    senders.append(session)
    seen: dict[str, list[Any]] = {}
    arrived = threading.Condition()
    client = socketio.Client(reconnection=False)

    @client.on("*")
    def anything(event: str, data: Any = None) -> None:
        with arrived:
            seen.setdefault(event, []).append(data)
            arrived.notify_all()

    def wait_for(event: str, count: int, timeout: float = 20) -> list[Any]:
        with arrived:
            arrived.wait_for(lambda: len(seen.get(event, [])) >= count, timeout)
        return seen.get(event, [])

    def agent_texts() -> list[str]:
        return sorted(m["text"] for m in seen.get("bot_uttered", []) if "Maya" in m["text"])

    client.connect(cluster.balancer_url, transports=["websocket"], wait_timeout=10)
    try:
        assert client.transport() == "websocket"
        client.emit("session_request", {"session_id": session})
        assert wait_for("session_confirm", 1) == [session]
        client.emit("user_uttered", {"message": "hello"})
        assert wait_for("bot_uttered", 1)
        for index, replica in enumerate(cluster.replicas):
            agent_reply = {
                "event": "bot",
                "text": f"Hi, I'm Maya from the team ({index}).",
                "data": {"custom": {"type": "agent_message", "agent": "Maya"}},
                "metadata": {"agent": "Maya"},
            }
            response = httpx.post(
                f"{replica.url}/conversations/{session}/tracker/events",
                params={"execute_side_effects": "true", "output_channel": "latest"},
                json=agent_reply,
                headers={"Authorization": f"Bearer {cluster.settings.rasa_token}"},
                timeout=30,
            )
            assert response.status_code == 200, response.text
        with arrived:
            arrived.wait_for(lambda: len(agent_texts()) >= 2, 20)
    finally:
        client.disconnect()
    assert agent_texts() == [
        "Hi, I'm Maya from the team (0).",
        "Hi, I'm Maya from the team (1).",
    ]


def stock_endpoints(path: Path, key_prefix: str) -> str:
    """endpoints.production.yml with Rasa's own ``type: redis`` lock store instead."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.production.yml").read_text())
    endpoints["lock_store"] = {
        "type": "redis",
        "url": "${TANDEM_REDIS_HOST}",
        "port": "${TANDEM_REDIS_PORT}",
        "db": "${TANDEM_REDIS_DB}",
        "password": "${TANDEM_REDIS_PASSWORD}",
        "key_prefix": key_prefix,  # Rasa's must be alphanumeric
    }
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return str(path)


def test_with_rasas_stock_redis_lock_store_the_same_conversation_breaks(tmp_path: Path) -> None:
    """The failure the atomic lock store exists for, through real replicas.

    Rasa's store reads the conversation's lock, changes it in Python and writes it
    back; two replicas doing so at once overwrite each other: two turns run at
    once (the later save loses or splits the other's events), a ticket is lost
    (``LockError``, HTTP 500) or a dead one blocks the conversation (time-out).
    """
    prefix = f"s{uuid.uuid4().hex[:10]}"
    stock = start_cluster(
        tmp_path / "state", prefix, endpoints=stock_endpoints(tmp_path / "stock.yml", prefix)
    )
    senders: list[str] = []
    outcomes: list[list[str]] = []
    try:
        for _ in range(3):
            sender = f"stock-{uuid.uuid4().hex[:8]}"
            senders.append(f"rest:{sender}")
            six = targets(stock)[:2] * 3  # three senders per replica: more tickets at once
            sent = asyncio.run(converse(sender, six, rounds=5, timeout_s=20))
            outcomes.append(problems(sent, read_tracker(stock, f"rest:{sender}")))
            if outcomes[-1]:
                break
    finally:
        stock.stop()
        forget(stock, prefix, senders)
    assert outcomes[-1], f"Rasa's RedisLockStore kept {len(outcomes)} conversations whole"
