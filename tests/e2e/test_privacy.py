"""Personal data across the real processes: nothing typed by a customer is kept in clear.

A scripted REST conversation gives a card number, an e-mail address and a phone
number, before and during a handoff; then the raw bytes of every file in the
state directory (tracker.db and handoff.db with their write-ahead logs, every log)
are searched for them.
"""

from __future__ import annotations

import secrets
import sqlite3
import stat
import time

import pytest

from bot.cli import EXIT_STORE, main
from bot.supervisor import Supervisor
from tests.e2e.conftest import say, send

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CARD, EMAIL, PHONE, MOBILE = (
    "4111 1111 1111 1111",
    "ada.lovelace.pii@example.com",
    "+44 20 7946 0958",
    "07700 900461",
)
TRACES = (CARD, CARD.replace(" ", ""), EMAIL, "ada.lovelace.pii", PHONE, "7946 0958", MOBILE)


def handoff_lines(assistant: Supervisor) -> list[str]:
    with sqlite3.connect(assistant.settings.state_dir / "handoff.db") as db:
        return [text for (text,) in db.execute("SELECT text FROM messages")]


def test_no_card_email_or_phone_is_kept_in_any_store_or_log(
    assistant: Supervisor, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sender = "e2e-privacy-" + secrets.token_hex(4)
    say(assistant, sender, "hello")
    say(assistant, sender, f"my card {CARD} was charged twice, I'm {EMAIL}, call {PHONE}")
    reply = say(assistant, sender, "I want to talk to a person")
    assert any("colleague" in text for text in reply), reply
    assert send(assistant, sender, f"or text me on {MOBILE}, card {CARD}") == []  # to the agent
    deadline = time.monotonic() + 60
    while not any("[phone]" in line for line in handoff_lines(assistant)):
        assert time.monotonic() < deadline, "the handoff service never copied the transcript"
        time.sleep(0.5)

    state = assistant.settings.state_dir
    stored = b"".join(  # a commit lands in the write-ahead log first
        p.read_bytes() for p in (state / "tracker.db", state / "tracker.db-wal") if p.exists()
    )
    assert b"my card [card] was charged twice, I'm [email], call [phone]" in stored
    files = [p for p in sorted(state.rglob("*")) if p.is_file()]
    assert {"tracker.db", "handoff.db", "rasa.log", "actions.log", "handoff.log"} <= {
        p.name for p in files
    }
    for path in files:
        raw = path.read_bytes()
        for trace in TRACES:
            assert trace.encode() not in raw, f"{trace!r} in {path}"
    for name in ("tracker.db", "logs/rasa.log", "logs/actions.log", "logs/handoff.log"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name

    # While the servers run, erasure refuses: they hold the log files.
    monkeypatch.setenv("TANDEM_STATE_DIR", str(state))
    assert main(["erase", "--sender", sender]) == EXIT_STORE
    assert "running `bot run`" in caplog.text
