"""``python -m bot.handoff``: accounts from the command line, and the real server process."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import sessionmaker

from bot.handoff.accounts import Accounts
from bot.handoff.cli import main
from bot.handoff.db import make_engine
from bot.supervisor import free_port
from tests.conftest import PROJECT_ROOT

from .conftest import PASSWORD, TOKEN


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TANDEM_HANDOFF_DB_URL", url)
    return url


def accounts(url: str) -> Accounts:
    return Accounts(sessionmaker(make_engine(url), expire_on_commit=False))


def test_create_user_from_an_environment_variable(
    db_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEW_AGENT_PASSWORD", PASSWORD)
    code = main(
        [
            "create-user",
            "--email",
            "Ana@Example.com",
            "--name",
            "Ana",
            "--role",
            "supervisor",
            "--password-env",
            "NEW_AGENT_PASSWORD",
        ]
    )
    assert code == 0
    user = accounts(db_env).authenticate("ana@example.com", PASSWORD)
    assert user is not None and user.role == "supervisor" and user.name == "Ana"


def test_create_user_from_stdin_and_refusals(
    db_env: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["create-user", "--email", "bo@example.com", "--name", "Bo"]) == 0
    assert accounts(db_env).authenticate("bo@example.com", PASSWORD) is not None

    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["create-user", "--email", "bo@example.com", "--name", "Bo"]) == 2
    assert "exists already" in caplog.text
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["create-user", "--email", "cy@example.com", "--name", "Cy"]) == 2
    assert "12 to 1024 characters" in caplog.text
    assert (
        main(
            [
                "create-user",
                "--email",
                "cy@example.com",
                "--name",
                "Cy",
                "--password-env",
                "UNSET_VARIABLE_FOR_TEST",
            ]
        )
        == 2
    )
    assert "UNSET_VARIABLE_FOR_TEST" in caplog.text
    with pytest.raises(SystemExit):
        main(["create-user", "--email", "cy@example.com", "--name", "Cy", "--role", "admin"])


def test_migrate_command(db_env: str) -> None:
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0


def test_serve_runs_the_real_server_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TANDEM_HANDOFF_DB_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "TANDEM_HANDOFF_PORT": str(port),
        "TANDEM_HANDOFF_SERVICE_TOKEN": TOKEN,
        "TANDEM_HANDOFF_RASA_URL": f"http://127.0.0.1:{free_port()}",  # nobody there
        "TANDEM_HANDOFF_OPEN_HOURS": "always",  # whatever the time the test runs at
        "TANDEM_TEXT_BACKEND": "extractive",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.handoff", "serve"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).json() == {"status": "ok"}:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the service did not become healthy"
            time.sleep(0.1)
        queued = httpx.post(
            f"{base}/api/handoffs",
            json={"conversation_id": "cli-1", "channel": "rest", "reason": "asked"},
            headers={"authorization": f"Bearer {TOKEN}"},
            timeout=20,
        )
        assert queued.status_code == 201  # queued even though Rasa is away
        assert httpx.get(f"{base}/console/", timeout=5, follow_redirects=False).status_code == 303
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    # uvicorn shuts down cleanly, then re-raises the signal it caught
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "could not" in output or "without its history" in output


def test_serve_without_a_token_explains_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TANDEM_HANDOFF_SERVICE_TOKEN"}
    env["TANDEM_HANDOFF_DB_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot.handoff", "serve"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "TANDEM_HANDOFF_SERVICE_TOKEN" in done.stderr
