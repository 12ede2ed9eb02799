"""ServerProcess against real child processes (tiny Python servers, no Rasa)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import ServerDied, ServerNotReady
from bot.settings import Settings
from bot.supervisor import ServerProcess, Supervisor, free_port, http_ok


def server(tmp_path: Path, code: str, *, port: int, name: str = "toy") -> ServerProcess:
    return ServerProcess(
        name,
        [sys.executable, "-u", "-c", code],
        health=lambda: http_ok(f"http://127.0.0.1:{port}/"),
        log_file=tmp_path / f"{name}.log",
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )


HTTP_SERVER = (
    "import http.server, sys; print('listening', flush=True); "
    "http.server.HTTPServer(('127.0.0.1', {port}), http.server.SimpleHTTPRequestHandler)"
    ".serve_forever()"
)


def test_ready_server_is_detected_and_stopped(tmp_path: Path) -> None:
    port = free_port()
    proc = server(tmp_path, HTTP_SERVER.format(port=port), port=port)
    proc.start()
    proc.wait_ready(time.monotonic() + 20)
    assert proc.running
    proc.stop()
    assert not proc.running
    assert "listening" in (tmp_path / "toy.log").read_text()


def test_server_dying_before_ready_reports_its_log(tmp_path: Path) -> None:
    proc = server(tmp_path, "print('bad config: no model'); raise SystemExit(3)", port=free_port())
    proc.start()
    with pytest.raises(ServerDied) as exc:
        proc.wait_ready(time.monotonic() + 20)
    assert exc.value.returncode == 3
    assert "bad config: no model" in str(exc.value)
    assert exc.value.server == "toy"


def test_server_that_never_answers_times_out(tmp_path: Path) -> None:
    proc = server(tmp_path, "import time; time.sleep(60)", port=free_port())
    proc.start()
    try:
        with pytest.raises(ServerNotReady, match="TANDEM_READY_TIMEOUT"):
            proc.wait_ready(time.monotonic() + 1.5, poll_s=0.2)
    finally:
        proc.stop(grace_s=2)
    assert not proc.running


def test_stubborn_server_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('up', flush=True); time.sleep(60)"
    )
    proc = server(tmp_path, code, port=free_port())
    proc.start()
    time.sleep(0.5)
    started = time.monotonic()
    proc.stop(grace_s=1)
    assert not proc.running
    assert time.monotonic() - started < 10


def test_watch_stops_everything_when_one_server_dies(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    supervisor = Supervisor(settings, model=tmp_path / "model.tar.gz")
    port = free_port()
    supervisor.actions = server(tmp_path, HTTP_SERVER.format(port=port), port=port, name="actions")
    port = free_port()
    supervisor.handoff = server(tmp_path, HTTP_SERVER.format(port=port), port=port, name="handoff")
    port = free_port()
    supervisor.analytics = server(
        tmp_path, HTTP_SERVER.format(port=port), port=port, name="analytics"
    )
    supervisor.rasa = server(
        tmp_path, "import time; time.sleep(1); raise SystemExit(7)", port=free_port(), name="rasa"
    )
    for proc in supervisor.servers:
        proc.start()
    with pytest.raises(ServerDied, match="rasa server exited unexpectedly with code 7"):
        supervisor.watch(poll_s=0.2)
    assert not supervisor.actions.running
    assert not supervisor.handoff.running
    assert not supervisor.analytics.running


def test_console_filter_drops_dependency_warnings_only() -> None:
    from bot.supervisor import ConsoleFilter

    lines = [
        "/x/pkg_resources/__init__.py:3117: DeprecationWarning: Deprecated call\n",
        "Implementing implicit namespace packages (PEP 420) is preferred\n",
        "  declare_namespace(pkg)\n",
        "2026-11-28 INFO rasa.core.processor - Loading model\n",
        "/x/rasa/utils/io.py:100: UserWarning: slot x is not used\n",
        "  warnings.warn(...)\n",
        "Traceback (most recent call last):\n",
        '  File "x.py", line 1\n',
    ]
    console = ConsoleFilter()
    kept = [line for line in lines if console.keep(line)]
    assert kept == [lines[3], lines[4], lines[5], lines[6], lines[7]]


def test_a_port_taken_by_another_server_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    import socket

    from bot.errors import ConfigError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(
            state_dir=tmp_path, action_port=free_port(), handoff_port=port, rasa_port=free_port()
        )
        supervisor = Supervisor(settings, model=tmp_path / "model.tar.gz")
        with pytest.raises(ConfigError, match=f"Port {port} for the handoff server"):
            supervisor.start()
    assert not any(server.running for server in supervisor.servers)


TOY_ENGINE = """#!{python}
import http.server, json, os, sys

port = int(sys.argv[sys.argv.index("--port") + 1])
token = os.environ["TANDEM_RASA_TOKEN"]
open(os.path.join(os.environ["TANDEM_STATE_DIR"], "engine-made.db"), "w").close()


class Status(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/status" and self.headers.get("Authorization") == "Bearer " + token
        body = json.dumps({{"model_id": "m"}} if ok else {{}}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


print("engine up", flush=True)
http.server.HTTPServer(("127.0.0.1", port), Status).serve_forever()
"""


@pytest.fixture
def restore_umask() -> Iterator[None]:
    import os

    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


def test_secrets_stay_off_command_lines_and_logs_and_state_is_owner_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, restore_umask: None
) -> None:
    """Issue 19 #7 (``ps`` shows argv; the supervisor logs it) and #2/#9 (file modes)."""
    import logging
    import os
    import stat

    venv = tmp_path / "venv"
    engine_python = venv / "engine" / "bin" / "python"
    engine_python.parent.mkdir(parents=True)
    engine_python.write_text(TOY_ENGINE.format(python=sys.executable))
    engine_python.chmod(0o755)
    state = tmp_path / "state"
    (state / "logs").mkdir(parents=True, mode=0o755)
    old_db = state / "tracker.db"
    old_db.write_text("from an earlier run")
    old_db.chmod(0o644)
    secrets = {
        "rasa_token": "rasa-token-0123456789abcdef0123456789",
        "api_jwt_secret": "api-jwt-secret-0123456789abcdef012345",
        "jwt_secret": "visitor-jwt-key-0123456789abcdef01234",
        "service_token": "service-token-0123456789abcdef0123456",
        "stream_token": "stream-token-0123456789abcdef01234567",
    }
    settings = Settings(
        state_dir=state,
        venv_dir=venv,
        rasa_port=free_port(),
        action_port=free_port(),
        handoff_port=free_port(),
        ready_timeout_s=30,
        **secrets,
    )
    supervisor = Supervisor(settings, model=tmp_path / "model.tar.gz")
    for name in ("actions", "handoff", "analytics"):
        port = free_port()
        setattr(
            supervisor, name, server(state, HTTP_SERVER.format(port=port), port=port, name=name)
        )
        getattr(supervisor, name).log_file = settings.log_dir / f"{name}.log"
    caplog.set_level(logging.INFO, logger="bot.supervisor")
    supervisor.start()  # the engine is ready only if its health check sent the header
    try:
        assert supervisor.rasa.pid is not None
        argv = Path(f"/proc/{supervisor.rasa.pid}/cmdline").read_bytes().decode()
        environ = Path(f"/proc/{supervisor.rasa.pid}/environ").read_bytes().decode()
    finally:
        supervisor.stop()
    assert "bot.engine" in argv and "--enable-api" in argv
    assert "starting rasa:" in caplog.text
    for secret in secrets.values():
        assert secret not in argv
        assert secret not in caplog.text
        assert all(secret not in " ".join(s.command) for s in supervisor.servers)
    assert f"TANDEM_RASA_TOKEN={secrets['rasa_token']}" in environ
    assert f"TANDEM_API_JWT_SECRET={secrets['api_jwt_secret']}" in environ
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "logs").stat().st_mode) == 0o700
    for path in (old_db, state / "engine-made.db", *(s.log_file for s in supervisor.servers)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "engine up" in supervisor.rasa.log_file.read_text()
    assert os.umask(0o077) == 0o077  # the supervisor's own files too
