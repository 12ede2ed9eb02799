"""Several Rasa replicas and action servers behind HAProxy on one machine.

``python -m bot run --replicas N --action-servers M`` (``make run-cluster``)
runs the production profile's topology on loopback: N engine replicas and M
action servers on free ports, one handoff service, one analytics consumer, and
HAProxy in front (Debian's package, ``scripts/setup-cluster.sh``). HAProxy
listens where a single Rasa would (``TANDEM_RASA_PORT``, 5005) and spreads
requests round-robin over the replicas that pass their health check; a second
frontend on ``TANDEM_ACTION_PORT`` (5055, loopback only) does the same for the
action servers, and every replica's ``action_endpoint`` points at it. No
sticky sessions: the replicas share PostgreSQL, the atomic Redis lock and the
web chat's socket.io Redis manager (docs/scaling.md).

HAProxy runs in the foreground (``-db``) as one more supervised child; its
configuration is rendered from :data:`HAPROXY_TEMPLATE` into the state
directory (0600). Its runtime API is a Unix socket there (0600), never a TCP
port, and there is no stats page. The configuration holds no secret.

:class:`Cluster` is also the handle the load and fault tests hold: replicas
and action servers by index, ``kill_replica``, ``restart_action_server``,
what HAProxy thinks of each server.
"""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import string
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from bot.errors import ConfigError, ServerNotReady, SetupError
from bot.settings import Settings
from bot.supervisor import (
    HealthCheck,
    ProcessGroup,
    ServerProcess,
    action_server,
    analytics_consumer,
    cores_per_replica,
    free_port,
    handoff_server,
    http_ok,
    make_private_file,
    rasa_server,
    replica_cpus,
)

logger = logging.getLogger(__name__)

HAPROXY_CANDIDATES = ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
SETUP_HINT = (
    "run `bash scripts/setup-cluster.sh` as root (it runs `apt-get install -y haproxy`), "
    "or install HAProxy 2.4 or later yourself"
)
# Unix socket paths are limited to 108 bytes (sun_path).
MAX_SOCKET_PATH = 100

HAPROXY_TEMPLATE = string.Template(
    """\
# Rendered by bot/cluster.py for this run; edits are lost at the next start.
global
    log stdout format raw local0 info
    maxconn 4096
    # The runtime API: a Unix socket only its owner can open; no TCP stats or admin port.
    stats socket $admin_socket mode 600 level admin
    stats timeout 10s

defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    option dontlognull
    timeout connect 3s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 30s
    # A turn may wait for a text generator; the server has this long to answer.
    timeout client 120s
    timeout server 120s
    # An upgraded WebSocket (socket.io pings every 25 s) may stay open this long.
    timeout tunnel 1h
    timeout client-fin 5s
    # A connection refused by a dead replica is retried on another one; a request
    # already sent is never retried (a turn must not run twice).
    retries 2
    option redispatch 1
    default-server inter 1s fastinter 500ms downinter 2s fall 2 rise 2

# Rasa's REST and socket.io channels and its HTTP API. Round-robin without
# stickiness: any replica can serve any conversation. HTTP mode passes the
# WebSocket upgrade of /socket.io/ on by itself.
frontend rasa
    bind $public_bind
    default_backend rasa_replicas

backend rasa_replicas
    balance roundrobin
    option httpchk
    http-check send meth GET uri / ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
$replica_lines
$actions_section"""
)

ACTIONS_TEMPLATE = string.Template(
    """
# The action servers, for the replicas' action_endpoint and NLG; loopback only.
frontend actions
    bind 127.0.0.1:$action_port
    default_backend action_servers

backend action_servers
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
$action_lines
"""
)


def check_counts(replicas: int, action_servers: int) -> None:
    """1 to 32 of each; a :class:`ConfigError` naming the flags otherwise."""
    if not 1 <= replicas <= 32 or not 1 <= action_servers <= 32:
        raise ConfigError(
            f"A cluster needs 1 to 32 replicas and action servers (got {replicas} and "
            f"{action_servers}); pass --replicas N and --action-servers M in that range."
        )


def find_haproxy() -> Path:
    """The HAProxy binary; :class:`SetupError` saying how to install it when missing."""
    found = shutil.which("haproxy")
    candidates = [found] if found else []
    for candidate in (*candidates, *HAPROXY_CANDIDATES):
        if Path(candidate).is_file():
            return Path(candidate)
    raise SetupError(f"HAProxy is not installed, and the cluster runs behind it: {SETUP_HINT}.")


def bind_address(host: str, port: int) -> str:
    """HAProxy's ``bind`` value: ``127.0.0.1:5005``, ``[::1]:5005``, ``:5005`` for all."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - the operator asked for it
        return f":{port}"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def render_haproxy_config(
    *,
    host: str,
    public_port: int,
    replicas: Sequence[tuple[str, int]],
    admin_socket: Path,
    action_port: int | None = None,
    action_servers: Sequence[tuple[str, int]] = (),
) -> str:
    """The configuration: ``replicas``/``action_servers`` are ``(name, loopback port)``;
    without action servers there is no action frontend."""
    if len(str(admin_socket)) > MAX_SOCKET_PATH:
        raise ConfigError(
            f"HAProxy's runtime socket {admin_socket} would be longer than a Unix socket "
            f"path may be ({MAX_SOCKET_PATH} characters); choose a shorter TANDEM_STATE_DIR."
        )

    def lines(servers: Sequence[tuple[str, int]]) -> str:
        return "\n".join(f"    server {name} 127.0.0.1:{port} check" for name, port in servers)

    actions = ""
    if action_servers:
        actions = ACTIONS_TEMPLATE.substitute(
            action_port=action_port, action_lines=lines(action_servers)
        )
    return HAPROXY_TEMPLATE.substitute(
        admin_socket=admin_socket,
        public_bind=bind_address(host, public_port),
        replica_lines=lines(replicas),
        actions_section=actions,
    )


def balancer_process(
    haproxy: Path,
    config: Path,
    *,
    health: HealthCheck,
    log_file: Path,
    url: str,
    echo: IO[str] | None = None,
) -> ServerProcess:
    """HAProxy in the foreground (``-db``) on ``config``, as a supervised child."""
    return ServerProcess(
        "haproxy",
        [str(haproxy), "-f", str(config), "-db"],
        health=health,
        log_file=log_file,
        cwd=config.parent,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        echo=echo,
        url=url,
    )


def port_of(server: ServerProcess) -> int:
    assert server.url is not None
    return int(server.url.rsplit(":", 1)[1])


class Cluster(ProcessGroup):
    """N Rasa replicas, M action servers, the handoff service and the analytics
    consumer behind HAProxy, always with the production profile.

    ``settings`` name the public ports: Rasa's port is HAProxy's frontend
    (:attr:`balancer_url`), the action port its action frontend; everything
    that calls "Rasa" or "the action server" (the handoff service, the action
    servers' stream posts, Rasa's action endpoint) goes through the balancer.
    ``endpoints`` replaces the profile's endpoints file for the replicas (a
    test runs Rasa's stock lock store this way). ``cpus_per_replica`` pins each
    replica to its own cores (CPU affinity, what a Kubernetes CPU limit with the
    static CPU manager does), so one replica cannot spread over the whole machine;
    ``None`` lets every replica run anywhere, with its inference threads shared out.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        model: Path,
        replicas: int = 2,
        action_servers: int = 1,
        endpoints: str | None = None,
        haproxy: Path | None = None,
        echo: IO[str] | None = None,
        cpus_per_replica: int | None = None,
    ) -> None:
        check_counts(replicas, action_servers)
        self.cpus_per_replica = cpus_per_replica
        self.settings = settings = settings.with_overrides(profile="production")
        self.model = model
        self.echo = echo
        self.haproxy = haproxy or find_haproxy()
        self.haproxy_config = settings.state_dir / "haproxy.cfg"
        self.admin_socket = settings.state_dir / "haproxy.sock"
        self.action_servers = [
            action_server(settings, port=free_port(), name=f"actions-{i + 1}", echo=echo)
            for i in range(action_servers)
        ]
        self.handoff = handoff_server(settings, echo=echo)
        self.analytics = analytics_consumer(settings, echo=echo)
        self.replicas = [
            rasa_server(
                settings,
                model=model,
                port=free_port(),
                interface="127.0.0.1",  # reached through the balancer only
                endpoints=endpoints,
                name=f"rasa-{i + 1}",
                echo=echo,
                threads=cpus_per_replica or cores_per_replica(replicas),
                cpus=replica_cpus(i, cpus_per_replica) if cpus_per_replica else None,
            )
            for i in range(replicas)
        ]
        self.balancer = balancer_process(
            self.haproxy,
            self.haproxy_config,
            health=self._balancer_ready,
            log_file=settings.log_dir / "haproxy.log",
            url=settings.rasa_url,
            echo=echo,
        )

    @property
    def balancer_url(self) -> str:
        """Where customers, channels and the handoff service reach Rasa."""
        return self.settings.rasa_url

    @property
    def action_balancer_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.action_port}"

    @property
    def servers(self) -> tuple[ServerProcess, ...]:
        """In start order: the balancer last, once there is something to balance."""
        return (*self.action_servers, self.handoff, self.analytics, *self.replicas, self.balancer)

    def config_text(self) -> str:
        s = self.settings
        return render_haproxy_config(
            host=s.host,
            public_port=s.rasa_port,
            action_port=s.action_port,
            replicas=[(r.name, port_of(r)) for r in self.replicas],
            action_servers=[(a.name, port_of(a)) for a in self.action_servers],
            admin_socket=self.admin_socket,
        )

    def write_config(self) -> Path:
        """The rendered configuration in the state directory, owner-only."""
        make_private_file(self.haproxy_config)
        self.haproxy_config.write_text(self.config_text(), encoding="utf-8")
        return self.haproxy_config

    def _balancer_ready(self) -> bool:
        return http_ok(f"{self.balancer_url}/") and http_ok(f"{self.action_balancer_url}/health")

    def start(self) -> None:
        """Start every server, then HAProxy; return once all pass their health checks."""
        deadline = self.prepare()
        self.write_config()
        backends = self.servers[:-1]
        try:
            for server in backends:
                server.start()
            for server in backends:
                server.wait_ready(deadline)
            self.balancer.start()
            self.balancer.wait_ready(deadline)
        except BaseException:
            self.stop()
            raise

    def watch(self, *, poll_s: float = 1.0) -> None:
        """Block while the cluster runs. A replica or action server that exits is
        started again (the balancer sends its requests elsewhere meanwhile); when
        HAProxy, the handoff service or the analytics consumer exits, everything
        stops and :class:`~bot.errors.ServerDied` says which one."""
        restartable = {id(s) for s in (*self.replicas, *self.action_servers)}
        while True:
            for server in self.servers:
                code = server.returncode
                if code is None:
                    continue
                if id(server) not in restartable:
                    raise self.died(server, code)
                logger.warning(
                    "%s exited with code %s; starting it again (log: %s)",
                    server.name,
                    code,
                    server.log_file,
                )
                self.restart(server)
            time.sleep(poll_s)

    def kill_replica(self, index: int, sig: signal.Signals = signal.SIGKILL) -> None:
        """A fault: ``sig`` (``kill -9`` by default) to replica ``index`` (from 0)."""
        self.replicas[index].kill(sig)

    def start_replica(self, index: int) -> None:
        """Start replica ``index`` again after a kill; return once it is ready."""
        replica = self.replicas[index]
        replica.stop()
        replica.start()
        replica.wait_ready(time.monotonic() + self.settings.ready_timeout_s)

    def restart_replica(self, index: int) -> None:
        self.restart(self.replicas[index])

    def kill_action_server(self, index: int, sig: signal.Signals = signal.SIGKILL) -> None:
        self.action_servers[index].kill(sig)

    def restart_action_server(self, index: int) -> None:
        """Stop (SIGTERM) and start action server ``index``; return once it is ready."""
        self.restart(self.action_servers[index])

    def server_states(self) -> dict[str, str]:
        """What HAProxy's health checks say of each server: ``{"rasa-1": "UP", ...}``
        (``DOWN``, ``UP 1/2`` while rising, ``MAINT``), from its runtime API."""
        rows = self.admin("show stat").splitlines()
        if not rows or not rows[0].startswith("# "):
            return {}
        header = rows[0][2:].split(",")
        name, kind, status = header.index("svname"), header.index("type"), header.index("status")
        states = {}
        for row in rows[1:]:
            cells = row.split(",")
            if len(cells) > status and cells[kind] == "2":  # 2: a server
                states[cells[name]] = cells[status]
        return states

    def wait_for_states(
        self, expected: dict[str, str], *, timeout_s: float = 15.0, poll_s: float = 0.2
    ) -> dict[str, str]:
        """Block until HAProxy reports ``expected`` (a subset of :meth:`server_states`)."""
        deadline = time.monotonic() + timeout_s
        while True:
            states = self.server_states()
            if all(states.get(k) == v for k, v in expected.items()):
                return states
            if time.monotonic() > deadline:
                raise ServerNotReady(
                    f"HAProxy reports {states}, not {expected}, after {timeout_s:.0f} s; "
                    f"see {self.balancer.log_file} and the servers' logs.",
                    server="haproxy",
                    log_tail=self.balancer.log_tail(),
                )
            time.sleep(poll_s)

    def admin(self, command: str, *, timeout_s: float = 5.0) -> str:
        """One command on HAProxy's runtime API (``show stat``, ``disable server ...``)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout_s)
            sock.connect(str(self.admin_socket))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", "replace")

    def __enter__(self) -> Cluster:
        self.start()
        return self
