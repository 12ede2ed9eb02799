"""Runs the action server and the Rasa server side by side and watches them.

Each server is a :class:`ServerProcess`: a child process whose output goes to
its own log file (and, prefixed, to the console), with an HTTP health check
that decides when it is ready. :class:`Supervisor` starts them together, waits
until both are ready, then watches them: if one dies the other is stopped and
:class:`~bot.errors.ServerDied` says which one and shows its last log lines.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from bot.errors import ConfigError, ServerDied, ServerNotReady
from bot.privacy import redact
from bot.settings import Settings

logger = logging.getLogger(__name__)

HealthCheck = Callable[[], bool]

# Start-up noise of rasa's dependencies (deprecation notices from TensorFlow,
# pkg_resources, SQLAlchemy...): kept in the log files, left off the console.
_WARNING_HEADER = re.compile(r"^\S+\.py:\d+: \w*(Deprecation|PendingDeprecation|Future)Warning\b")
_NOISE = re.compile(r"^(fatal: bad revision|\s*import pkg_resources$|Implementing implicit)")


class ConsoleFilter:
    """Drops known-harmless warnings (header and its indented source lines)."""

    def __init__(self) -> None:
        self._in_warning = False

    def keep(self, line: str) -> bool:
        if _WARNING_HEADER.match(line):
            self._in_warning = True
            return False
        if self._in_warning and (line[:1].isspace() or _NOISE.match(line)):
            return False
        self._in_warning = False
        return not _NOISE.match(line)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts connections on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def http_ok(
    url: str,
    *,
    timeout: float = 2.0,
    expect: Callable[[bytes], bool] | None = None,
    headers: Mapping[str, str] | None = None,
) -> bool:
    """True when ``url`` answers 2xx (and ``expect`` accepts the body)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310 - our URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read()
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return expect(body) if expect else True


def rasa_model_loaded(body: bytes) -> bool:
    """Rasa's ``/status`` answers before a model is loaded; ready means loaded."""
    try:
        return bool(json.loads(body).get("model_id"))
    except (ValueError, AttributeError):
        return False


PRIVATE_UMASK = 0o077


def make_private_dir(path: Path) -> None:
    """``path`` as a directory only its owner can enter (0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def make_private_file(path: Path) -> None:
    """``path`` as a file only its owner can read (0600), created empty if missing."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    path.chmod(0o600)


def make_private_tree(root: Path) -> None:
    """The state directory and what is in it (databases, logs) owner-only.

    Files of earlier runs may have been made with a looser umask. Symbolic
    links are left alone, so that nothing outside ``root`` changes.
    """
    make_private_dir(root)
    for folder, dirs, files in os.walk(root):
        for names, mode in ((dirs, 0o700), (files, 0o600)):
            for name in names:
                path = Path(folder, name)
                if path.is_symlink():
                    continue
                try:
                    path.chmod(mode)
                except PermissionError as e:
                    raise ConfigError(
                        f"{path} belongs to another user, so it cannot be made owner-only; "
                        f"move it out of {root} or choose another TANDEM_STATE_DIR."
                    ) from e


class ServerProcess:
    """One server: its command, its log, its health check."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        health: HealthCheck,
        log_file: Path,
        cwd: Path,
        env: dict[str, str],
        echo: IO[str] | None = None,
        url: str | None = None,
        cpus: Sequence[int] | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.cpus = tuple(cpus) if cpus else None
        """The cores it may run on (CPU affinity, like a container's CPU limit); ``None``: all."""
        """Where it serves (``http://127.0.0.1:<port>``); ``None`` for a consumer."""
        self.command = list(command)
        self.health = health
        self.log_file = log_file
        self.cwd = cwd
        self.env = env
        self.echo = echo
        self._process: subprocess.Popen[str] | None = None
        self._tail: deque[str] = deque(maxlen=40)
        self._pump: threading.Thread | None = None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(list(self._tail)[-lines:])

    def start(self) -> None:
        make_private_dir(self.log_file.parent)
        make_private_file(self.log_file)
        logger.info("starting %s: %s", self.name, " ".join(self.command))
        self._tail.clear()
        self._process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,  # Ctrl-C reaches us alone; we stop children in order
            umask=PRIVATE_UMASK,  # what a server writes (databases, logs) is its owner's
        )
        if self.cpus:
            # Set before the interpreter has started its own threads; every thread it
            # starts later inherits the mask.
            os.sched_setaffinity(self._process.pid, self.cpus)
        self._pump = threading.Thread(
            target=self._copy_output, name=f"{self.name}-log", daemon=True
        )
        self._pump.start()

    def _copy_output(self) -> None:
        """Each line, redacted (bot/privacy.py), to the owner-only log file and the console."""
        assert self._process is not None and self._process.stdout is not None
        console = ConsoleFilter()
        fd = os.open(self.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)
        fcntl.flock(fd, fcntl.LOCK_SH)  # `bot erase` must not rewrite it under us
        with open(fd, "a", encoding="utf-8") as log:
            for raw in self._process.stdout:
                line = redact(raw)
                log.write(line)
                log.flush()
                self._tail.append(line.rstrip("\n"))
                if self.echo is not None and console.keep(line):
                    self.echo.write(f"[{self.name}] {line}")
                    self.echo.flush()

    def wait_ready(self, deadline: float, *, poll_s: float = 0.5) -> None:
        """Block until the health check passes; raise if the process dies or time runs out."""
        while True:
            code = self.returncode
            if code is not None:
                self._drain()
                raise ServerDied(
                    f"The {self.name} server exited with code {code} before it was ready; "
                    f"its full log is {self.log_file}.",
                    server=self.name,
                    returncode=code,
                    log_tail=self.log_tail(),
                )
            if self.health():
                return
            if time.monotonic() > deadline:
                raise ServerNotReady(
                    f"The {self.name} server did not become ready in time; see {self.log_file} "
                    "or raise TANDEM_READY_TIMEOUT.",
                    server=self.name,
                    log_tail=self.log_tail(),
                )
            time.sleep(poll_s)

    def stop(self, *, grace_s: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after ``grace_s``; the whole process group goes."""
        process = self._process
        if process is None or process.poll() is not None:
            self._drain()
            return
        logger.info("stopping %s (pid %s)", self.name, process.pid)
        self._signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            logger.warning("%s ignored SIGTERM for %.0f s; killing it", self.name, grace_s)
            self._signal(signal.SIGKILL)
            process.wait(timeout=5)
        self._drain()

    def _signal(self, sig: signal.Signals) -> None:
        assert self._process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, sig)

    def kill(self, sig: signal.Signals = signal.SIGKILL, *, wait_s: float = 10.0) -> None:
        """Send ``sig`` to the whole process group, as a crash or an operator would;
        wait up to ``wait_s`` for the exit (a fault, not an orderly :meth:`stop`)."""
        if self._process is None or self._process.poll() is not None:
            return
        logger.info("sending %s to %s (pid %s)", sig.name, self.name, self._process.pid)
        self._signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=wait_s)

    def _drain(self) -> None:
        if self._pump is not None:
            self._pump.join(timeout=5)


def action_server(
    settings: Settings,
    *,
    port: int | None = None,
    name: str = "actions",
    echo: IO[str] | None = None,
) -> ServerProcess:
    """rasa-sdk's server plus ``POST /rephrase`` (bot/actionserver.py) on ``port``
    (the settings' action port by default), loopback only."""
    port = settings.action_port if port is None else port
    return ServerProcess(
        name,
        [str(settings.actions_python), "-m", "bot.actionserver", "--actions", "actions",
         "--port", str(port)],
        health=lambda: http_ok(f"http://127.0.0.1:{port}/health"),
        log_file=settings.log_dir / f"{name}.log",
        cwd=settings.project_dir,
        env={**settings.engine_env(), "SANIC_HOST": "127.0.0.1"},  # rasa-sdk's bind address
        echo=echo,
        url=f"http://127.0.0.1:{port}",
    )  # fmt: skip


def handoff_server(settings: Settings, *, echo: IO[str] | None = None) -> ServerProcess:
    return ServerProcess(
        "handoff",
        [str(settings.actions_python), "-m", "bot.handoff", "serve"],
        health=lambda: http_ok(f"{settings.handoff_url}/health"),
        log_file=settings.log_dir / "handoff.log",
        cwd=settings.project_dir,
        env=settings.handoff_env(),
        echo=echo,
        url=settings.handoff_url,
    )


def analytics_consumer(settings: Settings, *, echo: IO[str] | None = None) -> ServerProcess:
    """Empties the engine's analytics outbox (or, in production, its RabbitMQ queue)
    into the analytics store (bot/analytics/consumer.py); it serves nothing, so
    running is ready."""
    return ServerProcess(
        "analytics",
        [str(settings.actions_python), "-m", "bot", "analytics", "consume"]
        + (["--rabbitmq"] if settings.profile == "production" else []),
        health=lambda: True,
        log_file=settings.log_dir / "analytics.log",
        cwd=settings.project_dir,
        env=settings.engine_env(),
        echo=echo,
    )


def rasa_server(
    settings: Settings,
    *,
    model: Path,
    port: int | None = None,
    interface: str | None = None,
    endpoints: str | None = None,
    name: str = "rasa",
    echo: IO[str] | None = None,
    threads: int | None = None,
    cpus: Sequence[int] | None = None,
) -> ServerProcess:
    """Rasa with its API on; the API's secrets go through the environment.

    ``port``, ``interface`` and ``endpoints`` default to the settings' (a replica
    behind a balancer listens on its own loopback port). ``threads`` caps the
    threads of its inference (the sentence encoders' ONNX Runtime and TensorFlow's
    policies), so replicas sharing a machine do not each take every core;
    ``cpus`` pins it to those cores (a replica with a CPU limit).
    """
    port = settings.rasa_port if port is None else port
    interface = settings.host if interface is None else interface
    api_auth = {"Authorization": f"Bearer {settings.rasa_token}"}
    health_host = "127.0.0.1" if interface in ("0.0.0.0", "::", "") else interface  # noqa: S104
    health_host = f"[{health_host}]" if ":" in health_host else health_host
    url = f"http://{health_host}:{port}"
    return ServerProcess(
        name,
        [
            str(settings.engine_python),
            "-m",
            "bot.engine",
            "run",
            "--model",
            str(model),
            "--interface",
            interface,
            "--port",
            str(port),
            "--endpoints",
            endpoints or settings.endpoints_file,
            "--credentials",
            str(settings.credentials),
            "--enable-api",
        ],
        health=lambda: http_ok(f"{url}/status", expect=rasa_model_loaded, headers=api_auth),
        log_file=settings.log_dir / f"{name}.log",
        cwd=settings.project_dir,
        env=inference_env(settings.rasa_env(), threads),
        echo=echo,
        url=url,
        cpus=cpus,
    )


def inference_env(env: dict[str, str], threads: int | None) -> dict[str, str]:
    """``env`` with ``threads`` for the encoders (``TANDEM_INFERENCE_THREADS``) and
    TensorFlow (Rasa's ``TF_*_PARALLELISM_THREADS``); values already set win."""
    if threads:
        env.setdefault("TANDEM_INFERENCE_THREADS", str(threads))
        env.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", str(threads))
        env.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")
    return env


def cores_per_replica(replicas: int) -> int:
    """The cores this process may use, shared out over ``replicas`` (at least one)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, replicas))


def replica_cpus(index: int, per_replica: int) -> tuple[int, ...]:
    """The cores replica ``index`` is pinned to when each gets ``per_replica`` of them:
    consecutive blocks of this process's cores, wrapping round when replicas outnumber
    them (two replicas on one core share it, as two pods would share a node)."""
    try:
        cores = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = list(range(os.cpu_count() or 1))
    if per_replica < 1:
        raise ConfigError(f"cpus per replica must be 1 or more, not {per_replica}.")
    per_replica = min(per_replica, len(cores))
    start = index * per_replica
    return tuple(cores[(start + k) % len(cores)] for k in range(per_replica))


class ProcessGroup:
    """Servers started together and stopped together, in reverse order."""

    settings: Settings

    @property
    def servers(self) -> tuple[ServerProcess, ...]:
        """Every server, in start order."""
        raise NotImplementedError

    def check_ports(self) -> None:
        """Refuse to start beside another server on our ports: its health check would
        pass for ours, and our clients would talk to it."""
        s = self.settings
        for name, port, variable in (
            ("action", s.action_port, "TANDEM_ACTION_PORT"),
            ("handoff", s.handoff_port, "TANDEM_HANDOFF_PORT"),
            ("Rasa", s.rasa_port, "TANDEM_RASA_PORT"),
        ):
            if port_in_use(port):
                raise ConfigError(
                    f"Port {port} for the {name} server is already in use (another "
                    f"`bot run`?). Stop that process or choose another port with {variable}."
                )

    def prepare(self) -> float:
        """Checks and the private state directory before a start; the ready deadline."""
        self.check_ports()
        os.umask(PRIVATE_UMASK)
        make_private_tree(self.settings.state_dir)
        return time.monotonic() + self.settings.ready_timeout_s

    def start(self) -> None:
        """Start the servers and return once all pass their health checks."""
        deadline = self.prepare()
        try:
            for server in self.servers:
                server.start()
            for server in self.servers:
                server.wait_ready(deadline)
        except BaseException:
            self.stop()
            raise

    def restart(self, server: ServerProcess) -> None:
        """Stop and start one server alone (the others keep running)."""
        server.stop()
        server.start()
        server.wait_ready(time.monotonic() + self.settings.ready_timeout_s)

    def died(self, server: ServerProcess, code: int) -> ServerDied:
        """Stop everything after ``server`` exited; the error to raise."""
        server.stop()
        self.stop()
        return ServerDied(
            f"The {server.name} server exited unexpectedly with code {code}; "
            f"the other servers were stopped. Full log: {server.log_file}.",
            server=server.name,
            returncode=code,
            log_tail=server.log_tail(),
        )

    def watch(self, *, poll_s: float = 1.0) -> None:
        """Block while every server runs; raise :class:`ServerDied` when one exits.

        Ctrl-C (KeyboardInterrupt) ends the watch; the caller stops the servers.
        """
        while True:
            for server in self.servers:
                code = server.returncode
                if code is not None:
                    raise self.died(server, code)
            time.sleep(poll_s)

    def stop(self) -> None:
        """Stop in reverse start order: the callers before the servers they call."""
        for server in reversed(self.servers):
            server.stop()

    def __enter__(self) -> ProcessGroup:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Supervisor(ProcessGroup):
    """Starts the action server, the handoff service, the analytics consumer and Rasa,
    waits until all are ready, watches them."""

    def __init__(self, settings: Settings, *, model: Path, echo: IO[str] | None = None) -> None:
        self.settings = settings
        self.model = model
        self.echo = echo
        self.actions = action_server(settings, echo=echo)
        self.handoff = handoff_server(settings, echo=echo)
        self.analytics = analytics_consumer(settings, echo=echo)
        self.rasa = rasa_server(settings, model=model, echo=echo)

    @property
    def servers(self) -> tuple[ServerProcess, ...]:
        """In start order; Rasa last because it calls the others."""
        return (self.actions, self.handoff, self.analytics, self.rasa)

    def restart_rasa(self) -> None:
        self.restart(self.rasa)

    def __enter__(self) -> Supervisor:
        self.start()
        return self
