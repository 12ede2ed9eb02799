"""The cluster's plumbing with a real HAProxy and toy servers (no Rasa).

Every Tandem process of the cluster is replaced by one tiny HTTP server that
names its port in each answer, through a fake venv whose ``python`` is that
script, as in test_supervisor.py. What is real: the rendered configuration,
HAProxy as a supervised child, its health checks, round-robin, redispatch
away from a killed replica, its runtime socket. Skipped when HAProxy is not
installed (``scripts/setup-cluster.sh``).
"""

from __future__ import annotations

import stat
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cluster import Cluster, find_haproxy, render_haproxy_config
from bot.errors import SetupError
from bot.settings import Settings
from bot.supervisor import free_port


def haproxy_or_none() -> Path | None:
    try:
        return find_haproxy()
    except SetupError:
        return None


HAPROXY = haproxy_or_none()
pytestmark = pytest.mark.skipif(
    HAPROXY is None, reason="HAProxy is not installed: bash scripts/setup-cluster.sh"
)

TOY = """#!{python}
import http.server, json, os, sys, time

argv = sys.argv
if "--port" in argv:
    port = int(argv[argv.index("--port") + 1])
elif "serve" in argv:
    port = int(os.environ["TANDEM_HANDOFF_PORT"])
else:  # the analytics consumer serves nothing
    time.sleep(3600)
token = os.environ["TANDEM_RASA_TOKEN"]


class Toy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/status" and self.headers.get("Authorization") != "Bearer " + token:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({{"model_id": "m", "port": port}}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Toy).serve_forever()
"""

SECRETS = {
    "rasa_token": "rasa-token-0123456789abcdef0123456789",
    "service_token": "service-token-0123456789abcdef0123456",
    "stream_token": "stream-token-0123456789abcdef01234567",
}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    venv = tmp_path / "venv"
    for side in ("engine", "actions"):
        python = venv / side / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text(TOY.format(python=sys.executable))
        python.chmod(0o755)
    settings = Settings(
        state_dir=tmp_path / "state",
        venv_dir=venv,
        rasa_port=free_port(),
        action_port=free_port(),
        handoff_port=free_port(),
        ready_timeout_s=30,
        **SECRETS,
    )
    cluster = Cluster(settings, model=tmp_path / "m.tar.gz", replicas=2, action_servers=2)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
    assert not any(server.running for server in cluster.servers)


def port_answering(url: str) -> int:
    import json

    with urllib.request.urlopen(url, timeout=5) as response:
        return int(json.loads(response.read())["port"])


def replica_ports(cluster: Cluster) -> set[int]:
    return {int(str(r.url).rsplit(":", 1)[1]) for r in cluster.replicas}


def test_the_balancer_spreads_requests_over_every_replica_and_action_server(
    cluster: Cluster,
) -> None:
    assert cluster.server_states() == {
        "rasa-1": "UP",
        "rasa-2": "UP",
        "actions-1": "UP",
        "actions-2": "UP",
    }
    seen = Counter(port_answering(f"{cluster.balancer_url}/") for _ in range(6))
    assert set(seen) == replica_ports(cluster) and set(seen.values()) == {3}  # round-robin
    actions = {port_answering(f"{cluster.action_balancer_url}/health") for _ in range(4)}
    assert actions == {int(str(a.url).rsplit(":", 1)[1]) for a in cluster.action_servers}
    env = cluster.replicas[0].env
    assert env["TANDEM_ACTION_SERVER_URL"] == f"{cluster.action_balancer_url}/webhook"
    assert env["TANDEM_RASA_URL"] == cluster.balancer_url
    assert env["TANDEM_SOCKETIO_REDIS_URL"].startswith("redis://")
    assert cluster.handoff.env["TANDEM_HANDOFF_RASA_URL"] == cluster.balancer_url


def test_a_killed_replica_costs_no_request_and_comes_back(cluster: Cluster) -> None:
    cluster.kill_replica(0)
    assert not cluster.replicas[0].running
    survivor = int(str(cluster.replicas[1].url).rsplit(":", 1)[1])
    answers = [port_answering(f"{cluster.balancer_url}/") for _ in range(6)]
    assert answers == [survivor] * 6  # refused connections are redispatched
    cluster.wait_for_states({"rasa-1": "DOWN"})
    cluster.start_replica(0)
    cluster.wait_for_states({"rasa-1": "UP"})
    deadline = time.monotonic() + 10
    seen: set[int] = set()
    while seen != replica_ports(cluster) and time.monotonic() < deadline:
        seen.add(port_answering(f"{cluster.balancer_url}/"))
    assert seen == replica_ports(cluster)


def test_an_action_server_restarts_alone(cluster: Cluster) -> None:
    before = cluster.action_servers[1].pid
    cluster.restart_action_server(1)
    assert cluster.action_servers[1].pid != before
    assert all(s.running for s in cluster.servers)


def test_no_secret_in_argv_config_or_logs_and_the_admin_api_is_a_private_socket(
    cluster: Cluster,
) -> None:
    config = cluster.haproxy_config.read_text()
    balancer_argv = Path(f"/proc/{cluster.balancer.pid}/cmdline").read_bytes().decode()
    for secret in SECRETS.values():
        assert secret not in config
        assert secret not in balancer_argv
        for server in cluster.servers:
            assert secret not in " ".join(server.command)
            assert secret not in server.log_file.read_text()
    assert stat.S_IMODE(cluster.haproxy_config.stat().st_mode) == 0o600
    assert stat.S_IMODE(cluster.admin_socket.stat().st_mode) == 0o600
    assert stat.S_ISSOCK(cluster.admin_socket.stat().st_mode)
    assert "stats uri" not in config and "stats enable" not in config
    assert f"bind 127.0.0.1:{cluster.settings.rasa_port}\n" in config
    assert f"bind 127.0.0.1:{cluster.settings.action_port}\n" in config
    assert "timeout tunnel 1h" in config


def test_the_rendered_configuration_is_valid_haproxy(tmp_path: Path) -> None:
    import subprocess

    config = tmp_path / "haproxy.cfg"
    config.write_text(
        render_haproxy_config(
            host="0.0.0.0",
            public_port=5005,
            action_port=5055,
            replicas=[("rasa-1", 40001), ("rasa-2", 40002), ("rasa-3", 40003)],
            action_servers=[("actions-1", 40011)],
            admin_socket=tmp_path / "haproxy.sock",
        )
    )
    assert HAPROXY is not None
    result = subprocess.run(
        [str(HAPROXY), "-c", "-f", str(config)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = config.read_text()
    assert "bind :5005\n" in text  # the public frontend, as asked
    assert "bind 127.0.0.1:5055\n" in text  # the action servers stay on loopback
