"""The load test's path, short: Locust customers on a one-replica cluster lose nothing.

``python -m benchmarks.scale`` runs the same path for a minute on 1 and 2 replicas
and reports the speed; this test asserts only what must hold at any speed: no
errors, and every message a customer sent in its conversation's tracker exactly
once, in order. The cluster (bot/cluster.py) is HAProxy in front of Rasa on the
production profile, on a private PostgreSQL database and Redis key prefix.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.load.run import (
    SETTLE_S,
    check_trackers,
    locust,
    patched_environ,
    private_database,
)
from bot.cluster import Cluster, find_haproxy
from bot.errors import SetupError
from bot.settings import Settings
from bot.supervisor import free_port
from bot.training import ensure_model

USERS = 4
RUN_TIME_S = 15


def up(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def haproxy_missing() -> bool:
    try:
        find_haproxy()
    except SetupError:
        return True
    return False


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        not (up(5432) and up(6379) and up(5672)),
        reason="PostgreSQL (5432), Redis (6379) or RabbitMQ (5672) is not on 127.0.0.1",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("locust") is None, reason="locust is missing: `make setup`"
    ),
    pytest.mark.skipif(haproxy_missing(), reason="HAProxy is missing: scripts/setup-cluster.sh"),
]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    base = Settings.from_env().with_overrides(profile="production")
    settings = base.with_overrides(
        state_dir=tmp_path / "state",
        rasa_port=free_port(),
        action_port=free_port(),
        handoff_port=free_port(),
    )
    model = ensure_model(settings)
    with private_database(settings.engine_env(), "postgres") as db:
        run_env = {
            "TANDEM_POSTGRES_DB": db,
            "TANDEM_HANDOFF_DB": db,
            "TANDEM_POSTGRES_USER": "postgres",
            "TANDEM_REDIS_KEY_PREFIX": f"t{secrets.token_hex(5)}",
            "TANDEM_HANDOFF_OPEN_HOURS": "always",
        }
        with patched_environ(run_env):
            # pinned to a core, as the benchmark measures it (--cpus-per-replica 1)
            group = Cluster(settings, model=model, replicas=1, action_servers=1, cpus_per_replica=1)
            group.start()
            try:
                yield group
            finally:
                group.stop()


def test_customers_on_rest_and_web_chat_lose_and_duplicate_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    run = locust(
        cluster.balancer_url,
        users=USERS,
        run_time_s=RUN_TIME_S,
        user_classes=["RestCustomer", "WebChatCustomer"],
        journal=journal,
        out=tmp_path,
        label="load",
        spawn_rate=USERS,
    )
    time.sleep(SETTLE_S)
    channels = {s["channel"] for s in run.steps}
    assert channels == {"rest", "webchat"}, run.steps
    assert run.messages > 0
    replica = cluster.replicas[0]
    assert replica.pid is not None and len(os.sched_getaffinity(replica.pid)) == 1
    assert run.failures == 0, run.errors
    result = check_trackers(cluster.balancer_url, cluster.settings.rasa_token, journal)
    assert result["conversations"] >= USERS
    assert result["unreadable_trackers"] == 0, result["examples"]
    assert (result["lost"], result["duplicated"], result["out_of_order"]) == (0, 0, 0), result
