"""One pair of real servers (Rasa + action server) for the whole e2e session.

They run on free ports with their own state directory, so the suite runs beside
a `make run` on the default ports. The model is the one `make test` trained (or
trained here if missing). Tests that stop a server start it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bot.settings import Settings
from bot.supervisor import Supervisor, free_port
from bot.training import ensure_model
from tests.e2e.kit_install import kit_venvs


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervisor]:
    settings = Settings.from_env().with_overrides(
        state_dir=tmp_path_factory.mktemp("state"),
        rasa_port=free_port(),
        action_port=free_port(),
        handoff_port=free_port(),
    )
    supervisor = Supervisor(settings, model=ensure_model(settings))
    # Handoff tests must not depend on the hour they run at; the support hours
    # (data/knowledge/support.md) are tested in test_handoff_edges.py.
    supervisor.handoff.env["TANDEM_HANDOFF_OPEN_HOURS"] = "always"
    supervisor.start()
    yield supervisor
    supervisor.stop()


@pytest.fixture(scope="session")
def venvs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``TANDEM_VENV_DIR`` of fresh venvs holding the wheel (the tutorial's "Install the
    kit"), built once per test session for every test that installs the kit."""
    checkout = Settings.from_env()
    for python in (checkout.engine_python, checkout.actions_python):
        if not python.exists():
            pytest.skip(f"{python} is missing; `make setup` builds the venvs the test borrows from")
    return kit_venvs(
        tmp_path_factory.mktemp("kit"),
        engine_python=checkout.engine_python,
        actions_python=checkout.actions_python,
    )


def send(assistant: Supervisor, sender: str, text: str) -> list[dict[str, Any]]:
    """One REST turn; the bot's messages as Rasa returns them."""
    import httpx  # the actions venv's; this conftest also loads in the engine venv

    response = httpx.post(
        f"{assistant.settings.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def say(assistant: Supervisor, sender: str, text: str) -> list[str]:
    return [m.get("text", "") for m in send(assistant, sender, text)]


def rasa_api_headers(assistant: Supervisor) -> dict[str, str]:
    """Rasa's HTTP API takes the run's token in this header, never in the URL."""
    return {"Authorization": f"Bearer {assistant.settings.rasa_token}"}


def conversation_url(assistant: Supervisor, conversation_id: str) -> str:
    """``/conversations/<id>`` of Rasa's API; the engine decodes the quoted id."""
    return f"{assistant.settings.rasa_url}/conversations/{quote(conversation_id, safe='')}"


def rest_conversation_id(sender: str) -> str:
    """The tracker's id of a REST ``sender`` (the REST channel's namespace)."""
    return f"rest:{sender}"


def tracker(assistant: Supervisor, sender: str) -> dict[str, Any]:
    """The tracker of the conversation a REST ``sender`` had."""
    import httpx

    response = httpx.get(
        f"{conversation_url(assistant, rest_conversation_id(sender))}/tracker",
        headers=rasa_api_headers(assistant),
        timeout=30,
    )
    response.raise_for_status()
    return dict(response.json())
