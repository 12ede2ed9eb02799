"""Private Redis, PostgreSQL and RabbitMQ servers, for tests that restart them.

The machine's own services on the default ports are shared (other test runs,
a developer's `make run`), so a fault test must never stop them. Each class
here starts its own server from the Debian binaries on a free loopback port,
with its data in a temporary folder, and can stop, kill and restart it while
the data folder stays. :meth:`PrivateService.env` gives the ``TANDEM_*``
variables that point the production profile (``PRODUCTION_DEFAULTS`` in
bot/settings.py) at it.

Usage::

    with PrivateRedis() as redis, PrivatePostgres() as pg:
        env = {**redis.env(), **pg.env()}
        ...
        redis.restart(down_s=2)

:func:`missing` names the binaries a class needs that are not installed, so
callers skip cleanly. PostgreSQL refuses to run as root, and RabbitMQ's Debian
scripts expect their own user: as root, both run as their Debian system user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from bot.errors import TandemError

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")


_Service = TypeVar("_Service", bound="PrivateService")


class ServiceError(TandemError):
    """A private service did not start or stop; its log is named in the message."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _system_user(name: str) -> str | None:
    """``name`` when we are root and it exists (the server then runs as it), else None."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        return None
    return name


class PrivateService:
    """One server process on ``port`` with its data under ``root``."""

    name = "service"
    user: str | None = None
    start_timeout_s = 30.0

    def __init__(self, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix=f"tandem-{self.name}-"))
        self.log_file = self.root / f"{self.name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        if self.user:
            uid = pwd.getpwnam(self.user).pw_uid
            os.chown(self.root, uid, -1)

    # What each kind of server defines.
    def command(self) -> Sequence[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Runs once before the first start (create the data folder)."""

    def ready(self) -> bool:
        return listening(self.port)

    def after_first_start(self) -> None:
        """Runs once after the first start (create users, databases)."""

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    def child_env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}

    # Lifecycle.
    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        first = not (self.root / ".prepared").exists()
        if first:
            self.prepare()
            (self.root / ".prepared").touch()
        command = list(self.command())
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        log = open(self.log_file, "ab")  # noqa: SIM115 - closed once the child has it
        self._process = subprocess.Popen(
            command,
            cwd=self.root,
            env=self.child_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.wait_ready()
        if first:
            self.after_first_start()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while not self.ready():
            if self._process is not None and self._process.poll() is not None:
                raise ServiceError(
                    f"private {self.name} exited with code {self._process.returncode} on "
                    f"port {self.port}; see {self.log_file}."
                )
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"private {self.name} did not answer on port {self.port} within "
                    f"{self.start_timeout_s:.0f} s; see {self.log_file}."
                )
            time.sleep(0.1)

    def stop(self, *, grace_s: float = 20.0) -> None:
        """A clean shutdown (SIGTERM to the whole process group)."""
        self._signal(signal.SIGTERM, grace_s)

    def kill(self) -> None:
        """A crash: SIGKILL to every process of the server."""
        self._signal(signal.SIGKILL, 5.0)

    def _signal(self, sig: signal.Signals, wait_s: float) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        deadline = time.monotonic() + wait_s
        while listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)

    def restart(self, *, down_s: float = 0.0, crash: bool = False) -> float:
        """Stop (or kill), stay down ``down_s``, start again; the seconds it took."""
        began = time.monotonic()
        self.kill() if crash else self.stop()
        time.sleep(down_s)
        self.start()
        return time.monotonic() - began

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self: _Service) -> _Service:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class PrivateRedis(PrivateService):
    """``redis-server`` without persistence: a restart loses every key, as a fresh
    replacement node would."""

    name = "redis"

    def command(self) -> Sequence[str]:
        return [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(self.root),
        ]  # fmt: skip

    def env(self) -> dict[str, str]:
        return {"TANDEM_REDIS_HOST": "127.0.0.1", "TANDEM_REDIS_PORT": str(self.port)}


class PrivatePostgres(PrivateService):
    """A PostgreSQL 15 cluster with a ``tandem`` user and database, trust on loopback."""

    name = "postgres"
    user = _system_user("postgres")
    database = "tandem"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, command: Sequence[str]) -> None:
        argv = list(command)
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        done = subprocess.run(
            argv, cwd=self.root, env=self.child_env(), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise ServiceError(
                f"{command[0]} failed for the private PostgreSQL in {self.root}: "
                f"{done.stderr.decode(errors='replace')[-500:]}"
            )

    def prepare(self) -> None:
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                   "--no-sync", "-E", "UTF8"])  # fmt: skip

    def command(self) -> Sequence[str]:
        return [
            str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
            "-k", str(self.root), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
        ]  # fmt: skip

    def ready(self) -> bool:
        done = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False,
        )
        return done.returncode == 0

    def after_first_start(self) -> None:
        psql = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                "-v", "ON_ERROR_STOP=1", "-c"]  # fmt: skip
        self._run([*psql, "CREATE USER tandem"])
        self._run([*psql, "CREATE DATABASE tandem OWNER tandem"])

    def stop(self, *, grace_s: float = 20.0) -> None:
        """``pg_ctl stop -m fast``'s signal (SIGINT): clients are disconnected, data kept."""
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # the group: runuser leads it
                os.killpg(process.pid, signal.SIGINT)
            self._wait_for_exit(grace_s)
        super().stop(grace_s=grace_s)

    def kill(self) -> None:
        super().kill()
        (self.data / "postmaster.pid").unlink(missing_ok=True)  # as a crashed node leaves it

    def _wait_for_exit(self, timeout_s: float) -> None:
        """The server is gone once its lock file is: a start before that fails."""
        deadline = time.monotonic() + timeout_s
        while (self.data / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)

    def env(self) -> dict[str, str]:
        return {
            "TANDEM_POSTGRES_HOST": "127.0.0.1",
            "TANDEM_POSTGRES_PORT": str(self.port),
            "TANDEM_POSTGRES_DB": self.database,
            "TANDEM_HANDOFF_DB": self.database,
            "TANDEM_POSTGRES_USER": "tandem",
        }


class PrivateRabbitMQ(PrivateService):
    """A RabbitMQ node of its own name, ports and data folder (queues survive a restart)."""

    name = "rabbitmq"
    user = _system_user("rabbitmq")
    start_timeout_s = 60.0

    def __init__(self, *, port: int | None = None) -> None:
        super().__init__(port=port)
        self.dist_port = free_port()
        self.node = f"tandem{self.port}@localhost"

    def prepare(self) -> None:
        config = self.root / "rabbitmq.conf"
        config.write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            "management_agent.disable_metrics_collector = true\n"
        )
        (self.root / "enabled_plugins").write_text("[].\n")
        if self.user:
            uid = pwd.getpwnam(self.user).pw_uid
            for path in (config, self.root / "enabled_plugins"):
                os.chown(path, uid, -1)

    def child_env(self) -> dict[str, str]:
        env = super().child_env()
        home = pwd.getpwnam(self.user).pw_dir if self.user else str(self.root)
        env.update(
            {
                "HOME": home,
                "RABBITMQ_NODENAME": self.node,
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(self.dist_port),
                "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
                "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
                "RABBITMQ_LOG_BASE": str(self.root / "log"),
                "RABBITMQ_LOGS": "-",
                "ERL_EPMD_ADDRESS": "127.0.0.1",
            }
        )
        return env

    def command(self) -> Sequence[str]:
        return [str(RABBITMQ_BIN / "rabbitmq-server")]

    def ready(self) -> bool:
        """Open port and an AMQP handshake: the port opens before the broker takes logins."""
        if not listening(self.port):
            return False
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(b"AMQP\x00\x00\x09\x01")
                return sock.recv(8)[:1] == b"\x01"  # connection.start frame
        except OSError:
            return False

    def env(self) -> dict[str, str]:
        return {"TANDEM_RABBITMQ_HOST": "127.0.0.1", "TANDEM_RABBITMQ_PORT": str(self.port)}


SERVICES: dict[str, type[PrivateService]] = {
    "redis": PrivateRedis,
    "postgres": PrivatePostgres,
    "rabbitmq": PrivateRabbitMQ,
}

_BINARIES = {
    "redis": ("redis-server",),
    "postgres": (str(PG_BIN / "initdb"), str(PG_BIN / "postgres"), str(PG_BIN / "psql")),
    "rabbitmq": (str(RABBITMQ_BIN / "rabbitmq-server"),),
}


def missing(*names: str) -> list[str]:
    """The binaries the named services need that are not installed here."""
    return [b for n in names for b in _BINARIES[n] if shutil.which(b) is None]
