"""The cluster's HAProxy configuration and process set, built but never started."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cluster import Cluster, bind_address, render_haproxy_config
from bot.errors import ConfigError
from bot.settings import Settings


def test_the_configuration_balances_without_stickiness_and_keeps_websockets_open() -> None:
    text = render_haproxy_config(
        host="127.0.0.1",
        public_port=5005,
        action_port=5055,
        replicas=[("rasa-1", 41001), ("rasa-2", 41002)],
        action_servers=[("actions-1", 41011)],
        admin_socket=Path("/run/t/haproxy.sock"),
    )
    assert "bind 127.0.0.1:5005\n" in text and "bind 127.0.0.1:5055\n" in text
    assert "server rasa-1 127.0.0.1:41001 check" in text
    assert "server rasa-2 127.0.0.1:41002 check" in text
    assert "server actions-1 127.0.0.1:41011 check" in text
    assert text.count("balance roundrobin") == 2
    directives = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    assert "cookie" not in directives and "stick" not in directives
    assert "balance source" not in directives
    assert "timeout tunnel 1h" in text
    assert "uri / ver HTTP/1.1" in text and "uri /health ver HTTP/1.1" in text
    assert "stats socket /run/t/haproxy.sock mode 600 level admin" in text
    assert "stats uri" not in text and "stats enable" not in text
    assert "listen" not in directives


def test_without_action_servers_there_is_no_action_frontend() -> None:
    text = render_haproxy_config(
        host="127.0.0.1", public_port=5005, replicas=[("a", 1)], admin_socket=Path("/t/s")
    )
    assert "frontend actions" not in text


def test_bind_addresses() -> None:
    assert bind_address("127.0.0.1", 5005) == "127.0.0.1:5005"
    assert bind_address("::1", 5005) == "[::1]:5005"
    assert bind_address("0.0.0.0", 5005) == ":5005"


def test_an_admin_socket_path_too_long_for_unix_is_refused() -> None:
    with pytest.raises(ConfigError, match="shorter TANDEM_STATE_DIR"):
        render_haproxy_config(
            host="127.0.0.1",
            public_port=5005,
            replicas=[("a", 1)],
            admin_socket=Path("/" + "x" * 120),
        )


def test_replicas_share_the_production_services_and_reach_everything_through_the_balancer(
    tmp_path: Path,
) -> None:
    settings = Settings(
        state_dir=tmp_path, rasa_token="rasa-token-0123456789abcdef0123456789"
    )  # embedded by default; the cluster is production regardless
    cluster = Cluster(
        settings,
        model=tmp_path / "m.tar.gz",
        replicas=3,
        action_servers=2,
        haproxy=Path("/usr/sbin/haproxy"),
    )
    assert cluster.settings.profile == "production"
    assert [r.name for r in cluster.replicas] == ["rasa-1", "rasa-2", "rasa-3"]
    assert [a.name for a in cluster.action_servers] == ["actions-1", "actions-2"]
    ports = {r.url for r in cluster.replicas} | {a.url for a in cluster.action_servers}
    assert len(ports) == 5
    assert cluster.balancer_url == "http://127.0.0.1:5005"
    for replica in cluster.replicas:
        argv = replica.command
        assert argv[argv.index("--endpoints") + 1] == "endpoints.production.yml"
        assert argv[argv.index("--interface") + 1] == "127.0.0.1"
        assert "rasa-token-0123456789abcdef0123456789" not in " ".join(argv)
        assert replica.env["TANDEM_SOCKETIO_REDIS_URL"] == "redis://127.0.0.1:6379/0"
        assert replica.env["TANDEM_ACTION_SERVER_URL"] == "http://127.0.0.1:5055/webhook"
        assert replica.env["TANDEM_RASA_URL"] == "http://127.0.0.1:5005"
    assert cluster.analytics.command[-1] == "--rabbitmq"
    assert cluster.balancer.command == [
        "/usr/sbin/haproxy",
        "-f",
        str(tmp_path / "haproxy.cfg"),
        "-db",
    ]
    assert cluster.servers[-1] is cluster.balancer


def test_a_cluster_needs_at_least_one_of_each() -> None:
    with pytest.raises(ConfigError, match="--replicas N"):
        Cluster(Settings(), model=Path("m"), replicas=0, haproxy=Path("/usr/sbin/haproxy"))


def test_each_replica_gets_its_share_of_the_cores_for_inference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each engine's ONNX Runtime and TensorFlow would take every core; replicas on
    one machine then fight over them. Each gets cores / replicas threads (at least 1)."""
    import os

    from bot.supervisor import cores_per_replica

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    for name in ("TANDEM_INFERENCE_THREADS", "TF_INTRA_OP_PARALLELISM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert [cores_per_replica(n) for n in (1, 2, 3, 4, 8)] == [4, 2, 1, 1, 1]
    cluster = Cluster(
        Settings(state_dir=tmp_path), model=tmp_path / "m.tar.gz", replicas=2,
        haproxy=Path("/usr/sbin/haproxy"),
    )  # fmt: skip
    for replica in cluster.replicas:
        assert replica.env["TANDEM_INFERENCE_THREADS"] == "2"
        assert replica.env["TF_INTRA_OP_PARALLELISM_THREADS"] == "2"
        assert replica.env["TF_INTER_OP_PARALLELISM_THREADS"] == "1"
    # an operator's own value wins
    monkeypatch.setenv("TANDEM_INFERENCE_THREADS", "3")
    cluster = Cluster(
        Settings(state_dir=tmp_path), model=tmp_path / "m.tar.gz", replicas=2,
        haproxy=Path("/usr/sbin/haproxy"),
    )  # fmt: skip
    assert {r.env["TANDEM_INFERENCE_THREADS"] for r in cluster.replicas} == {"3"}


def test_pinned_replicas_get_cores_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cpus_per_replica`` gives each replica its own block of cores (a CPU limit):
    its inference threads match the block, and blocks wrap round when replicas
    outnumber the cores."""
    import os

    from bot.supervisor import replica_cpus

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    for name in ("TANDEM_INFERENCE_THREADS", "TF_INTRA_OP_PARALLELISM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert [replica_cpus(i, 1) for i in range(5)] == [(0,), (1,), (2,), (3,), (0,)]
    assert [replica_cpus(i, 2) for i in range(3)] == [(0, 1), (2, 3), (0, 1)]
    assert replica_cpus(0, 8) == (0, 1, 2, 3)  # never more than there are
    with pytest.raises(ConfigError, match="1 or more"):
        replica_cpus(0, 0)
    cluster = Cluster(
        Settings(state_dir=tmp_path), model=tmp_path / "m.tar.gz", replicas=2,
        haproxy=Path("/usr/sbin/haproxy"), cpus_per_replica=1,
    )  # fmt: skip
    assert [r.cpus for r in cluster.replicas] == [(0,), (1,)]
    assert {r.env["TANDEM_INFERENCE_THREADS"] for r in cluster.replicas} == {"1"}
    # the other servers are not pinned
    assert all(server.cpus is None for server in (*cluster.action_servers, cluster.handoff))
    unpinned = Cluster(
        Settings(state_dir=tmp_path), model=tmp_path / "m.tar.gz", replicas=2,
        haproxy=Path("/usr/sbin/haproxy"),
    )  # fmt: skip
    assert all(r.cpus is None for r in unpinned.replicas)


def test_a_pinned_process_runs_on_its_cores_only(tmp_path: Path) -> None:
    """The affinity is set on the real child process, and its threads inherit it."""
    import os
    import sys

    from bot.supervisor import ServerProcess

    core = min(os.sched_getaffinity(0))
    server = ServerProcess(
        "sleeper",
        [sys.executable, "-c", "import time; time.sleep(30)"],
        health=lambda: True,
        log_file=tmp_path / "logs" / "sleeper.log",
        cwd=tmp_path,
        env=dict(os.environ),
        cpus=[core],
    )
    server.start()
    try:
        assert server.pid is not None
        assert os.sched_getaffinity(server.pid) == {core}
    finally:
        server.stop()
