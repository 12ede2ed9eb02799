"""Takes the steps of docs/tutorial.md (tests/e2e/tutorial_steps.py) with the installed kit.

Commands run as a user types them, with the fresh venvs' ``bin`` first on
``PATH`` and the project folder as the working directory, so the checkout is
never on ``sys.path``. Ports are free ones instead of the tutorial's 5005/5055/
5070 (``TANDEM_*_PORT``); ``curl`` goes to the chosen Rasa port.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shlex
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bot.supervisor import free_port
from tests.e2e.tutorial_steps import REST_PORT, Step

READY_TIMEOUT_S = 600
QUIET = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "HF_HUB_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


class TutorialRun:
    """One reader's session: a working directory, the kit on PATH, at most one assistant."""

    def __init__(self, workdir: Path, *, venvs: Path, base_env: Mapping[str, str]) -> None:
        self.cwd = workdir
        self.rasa_port = free_port()
        self.env = {
            **{k: v for k, v in base_env.items() if not k.startswith(("TANDEM_", "VIRTUAL_ENV"))},
            **QUIET,
            "PATH": f"{venvs / 'actions' / 'bin'}{os.pathsep}{base_env.get('PATH', '')}",
            "TANDEM_VENV_DIR": str(venvs),
            "TANDEM_RASA_PORT": str(self.rasa_port),
            "TANDEM_ACTION_PORT": str(free_port()),
            "TANDEM_HANDOFF_PORT": str(free_port()),
            "TANDEM_RASA_TOKEN": secrets.token_urlsafe(32),
        }
        self.server: subprocess.Popen[str] | None = None
        self.server_log: list[str] = []
        self.replies: list[str] = []
        self.on_reply: Callable[[str], None] | None = None

    def take(self, step: Step) -> None:
        for edit in step.edits:
            edit.apply(self.cwd)
        for command in step.commands:
            self.run(command)
        for expected in step.replies:
            assert self.replies and expected in self.replies[-1], (
                f"{step.title}: {expected!r} not in the reply {self.replies[-1:]}"
            )

    def run(self, command: str) -> None:
        words = shlex.split(command)
        if words[0] == "cd":
            self.cwd = self.cwd / words[1]
            # the kit reads the project from the working directory; older kits needed this
            self.env["TANDEM_PROJECT_DIR"] = str(self.cwd)
        elif words[:2] == ["tandem", "run"]:
            self.start()
        elif words[0] == "curl":
            self.curl(command)
        else:
            self.stop()  # `tandem train` and `make test` after Ctrl-C, as the tutorial says
            self.check(words)

    def check(self, words: list[str], timeout: float = 1200) -> str:
        result = subprocess.run(
            words, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=timeout,
            check=False,
        )  # fmt: skip
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{' '.join(words)} failed:\n{output[-4000:]}"
        return output

    def start(self, *flags: str) -> None:
        self.stop()
        self.server_log = []
        self.server = subprocess.Popen(
            ["tandem", "run", "--quiet", *flags],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert self.server is not None and self.server.stdout is not None
            for line in self.server.stdout:
                lines.put(line)
                self.server_log.append(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=5)
            except queue.Empty:
                continue
            if line is None:
                break
            if line.startswith("[tandem] ready in "):
                return
        tail = "".join(self.server_log[-40:])
        self.stop()
        raise AssertionError(f"`tandem run` did not get ready:\n{tail}")

    def curl(self, command: str) -> None:
        command = command.replace(f"localhost:{REST_PORT}", f"localhost:{self.rasa_port}")
        try:
            messages: list[dict[str, Any]] = json.loads(self.check(shlex.split(command), 300))
        except AssertionError as e:
            said = "".join(self.server_log[-40:])
            raise AssertionError(f"{e}\n`tandem run` said:\n{said}") from e
        reply = "\n".join(m.get("text", "") for m in messages)
        self.replies.append(reply)
        if self.on_reply is not None:
            self.on_reply(reply)

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        """The conversation as Rasa's HTTP API returns it (the run's token)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.rasa_port}/conversations/"
            f"{urllib.parse.quote(conversation_id, safe='')}/tracker",
            headers={"Authorization": f"Bearer {self.env['TANDEM_RASA_TOKEN']}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.loads(response.read()))

    def stop(self) -> None:
        """Ctrl-C: `tandem run` stops its servers in order."""
        if self.server is None:
            return
        if self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGINT)
            try:
                self.server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(timeout=10)
        self.server = None
