"""The second assistant, examples/bank (Penny for Harbor Savings Bank), on real servers.

Its model is trained from examples/bank into examples/bank/models (ignored by
git; retrained only when its config, domain or data change), and Rasa, the
action server (the example's own ``actions`` package) and the handoff service
run with examples/bank as their project directory. The checkout is on every
process's path, so the kit under test is this checkout's. The conversations are
the example's own (examples/bank/tests/conversations.yml).
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings
from bot.supervisor import Supervisor, free_port
from bot.training import ensure_model
from tests.e2e.conftest import rest_conversation_id, send, tracker
from tests.e2e.console_client import Console, create_agent

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
BANK = REPO / "examples" / "bank"
VENV = Path(os.environ.get("TANDEM_VENV_DIR") or REPO / ".venv")
"""The repository's venvs (a project of its own would have its own, in its folder)."""
CONVERSATIONS = yaml.safe_load((BANK / "tests" / "conversations.yml").read_text())["conversations"]


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervisor]:
    with pytest.MonkeyPatch.context() as env:
        # The checkout's kit for every child process (cwd is examples/bank).
        env.setenv(
            "PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        )
        env.setenv("TANDEM_PROJECT_DIR", str(BANK))
        settings = Settings.from_env().with_overrides(
            project_dir=BANK,
            venv_dir=VENV,
            models_dir=BANK / "models",
            credentials=BANK / "credentials.yml",
            state_dir=tmp_path_factory.mktemp("bank-state"),
            rasa_port=free_port(),
            action_port=free_port(),
            handoff_port=free_port(),
        )
        supervisor = Supervisor(settings, model=ensure_model(settings))
        # Colleagues are on duty whatever the hour the suite runs at.
        supervisor.handoff.env["TANDEM_HANDOFF_OPEN_HOURS"] = "always"
        supervisor.start()
        try:
            yield supervisor
        finally:
            supervisor.stop()


def replies_to(bank: Supervisor, sender: str, text: str) -> tuple[str, list[dict[str, Any]]]:
    messages = send(bank, sender, text)
    return "\n".join(m.get("text") or "" for m in messages), messages


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c["name"] for c in CONVERSATIONS])
def test_conversation(bank: Supervisor, conversation: dict[str, Any]) -> None:
    sender = "bank-" + secrets.token_hex(4)
    for number, turn in enumerate(conversation["turns"], start=1):
        text, messages = replies_to(bank, sender, str(turn["user"]))
        where = f"turn {number} ({turn['user']!r}) got {text!r}"
        for phrase in turn.get("expect", []):
            assert phrase.lower() in text.lower(), f"{phrase!r} missing: {where}"
        if "payload" in turn:
            types = [(m.get("custom") or {}).get("type") for m in messages]
            assert turn["payload"] in types, f"no {turn['payload']} payload: {where}"
            card = next(m["custom"] for m in messages if (m.get("custom") or {}).get("type"))
            assert card["schema_version"] >= 1 and card["data"], card
    assert tracker(bank, sender)["paused"] is conversation.get("paused", False)


def test_a_lost_card_reaches_an_agent_first_and_the_agent_answers(bank: Supervisor) -> None:
    email, password = "agent@harborsavings.example", secrets.token_urlsafe(16)
    create_agent(bank, email=email, name="Morgan", password=password)
    agent = Console(bank.settings.handoff_url).login(email, password)
    try:
        asking = "bank-person-" + secrets.token_hex(4)
        send(bank, asking, "can i talk to a real person")
        lost = "bank-card-" + secrets.token_hex(4)
        text, _ = replies_to(bank, lost, "I've lost my card")
        assert "asked a colleague" in text, text

        handoff = agent.handoff_for(rest_conversation_id(lost))
        assert (handoff["status"], handoff["reason"]) == ("waiting", "report_card_lost")
        other = agent.handoff_for(rest_conversation_id(asking))
        assert other["reason"] == "customer_request"
        assert handoff["priority"] > other["priority"]

        agent.post(f"/handoffs/{handoff['id']}/claim")
        assert send(bank, lost, "it was the visa debit ending 1234") == []
        agent.wait_for_message(handoff["id"], "it was the visa debit ending 1234")
        agent.post(f"/handoffs/{handoff['id']}/reply", {"text": "I've cancelled that card."})
        said = [e.get("text") for e in tracker(bank, lost)["events"] if e["event"] == "bot"]
        assert "I've cancelled that card." in said
    finally:
        agent.http.close()


def test_the_bank_data_passes_rasa_validation() -> None:
    settings = Settings.from_env().with_overrides(project_dir=BANK, venv_dir=VENV)
    done = subprocess.run(
        [str(settings.engine_python), "-m", "rasa", "data", "validate", "--fail-on-warnings",
         "--domain", "domain.yml", "--data", "data", "--config", "config.yml"],
        cwd=BANK, env=settings.engine_env(), capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_the_bank_test_stories_pass_rasa_test_core(bank: Supervisor, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(bank.settings.engine_python), "-m", "rasa", "test", "core",
         "--model", str(bank.model), "--stories", "tests/test_stories.yml",
         "--fail-on-prediction-errors", "--out", str(tmp_path)],
        cwd=BANK, env=bank.settings.engine_env(), capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
