"""An agent working the console over HTTP, as the console page's script does.

Signs in through the login form (pre-login CSRF cookie and token), then sends
the session's CSRF token and the console's Origin with every POST.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from typing import Any

import httpx

from bot.supervisor import Supervisor


def create_agent(
    assistant: Supervisor, *, email: str, name: str, password: str, role: str = "agent"
) -> None:
    """An account in the handoff service's database, made with its own CLI."""
    env = {**assistant.settings.handoff_env(), "TANDEM_TEST_AGENT_PASSWORD": password}
    subprocess.run(
        [str(assistant.settings.actions_python), "-m", "bot.handoff", "create-user",
         "--email", email, "--name", name, "--role", role,
         "--password-env", "TANDEM_TEST_AGENT_PASSWORD"],
        cwd=assistant.settings.project_dir, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip


class Console:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base, timeout=30, follow_redirects=False)
        self.csrf = ""

    def login(self, email: str, password: str) -> Console:
        page = self.http.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        response = self.http.post(
            "/console/login",
            data={"email": email, "password": password, "csrf_token": token.group(1)},
            headers={"Origin": self.base},
        )
        assert response.status_code == 303, response.text
        console = self.http.get("/console/")
        meta = re.search(r'name="csrf-token" content="([^"]+)"', console.text)
        assert meta, console.text
        self.csrf = meta.group(1)
        return self

    def get(self, path: str) -> Any:
        response = self.http.get(f"/console/api{path}")
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(
            f"/console/api{path}",
            json=body or {},
            headers={"X-CSRF-Token": self.csrf, "Origin": self.base},
        )
        assert response.status_code < 300, response.text
        return response.json()

    def handoff_for(self, conversation_id: str, *, timeout_s: float = 15) -> dict[str, Any]:
        return wait_for(
            lambda: next(
                (h for h in self.get("/queue") if h["conversation_id"] == conversation_id), None
            ),
            timeout_s=timeout_s,
            what=f"{conversation_id} in the queue",
        )

    def messages(self, handoff_id: int) -> list[dict[str, Any]]:
        return list(self.get(f"/handoffs/{handoff_id}")["messages"])

    def wait_for_message(self, handoff_id: int, text: str, *, timeout_s: float = 15) -> None:
        wait_for(
            lambda: any(m["text"] == text for m in self.messages(handoff_id)),
            timeout_s=timeout_s,
            what=f"{text!r} in the console transcript",
        )


def wait_for(check: Callable[[], Any], *, timeout_s: float, what: str, poll_s: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(poll_s)
