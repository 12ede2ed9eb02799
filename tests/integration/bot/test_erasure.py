"""``python -m bot erase``: one customer gone from every store, the other one intact.

Real SQLite files (Rasa's ``events`` table as Rasa 3.6 creates it, the handoff
database migrated by Alembic) and real log files; afterwards the raw bytes of
every file under the state directory are searched.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from bot.cli import EXIT_OK, EXIT_STORE, main
from bot.handoff.db import make_engine, migrate
from bot.handoff.models import Handoff, User
from bot.handoff.store import Store
from bot.handoff.transcript import Line

ALICE, BOB = "rest:alice", "rest:bob"
# What only Alice's conversation holds, in every form a store could keep it.
ALICE_TRACES = ("alice", "rest%3Aalice", "alice@example.com", "07700 900111", "Wonderland")
BOB_TRACES = ("rest:bob", "bob@example.com", "Builder")

RASA_EVENTS_TABLE = """
CREATE TABLE events (
    id INTEGER NOT NULL PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
)"""


def fill_tracker(db: Path, sender: str, mail: str, words: str) -> None:
    events = [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "user", "text": f"I'm {words}, mail {mail}", "timestamp": 2.0},
        {"event": "slot", "name": "handoff_contact", "value": mail, "timestamp": 3.0},
    ]
    with sqlite3.connect(db) as connection:
        connection.execute(RASA_EVENTS_TABLE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
        connection.execute("CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id)")
        for e in events:
            connection.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, action_name, data) "
                "VALUES (?, ?, ?, ?, ?)",
                (sender, e["event"], e["timestamp"], e.get("name"), json.dumps(e)),
            )


def fill_handoff(url: str, sender: str, mail: str, words: str, phone: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions.begin() as db:
        agent = db.query(User).filter_by(email="agent@voltline.example").one_or_none()
        if agent is None:
            agent = User(
                email="agent@voltline.example", display_name="Sam", role="agent", password_hash="x"
            )
            db.add(agent)
    store = Store(sessions)
    now = datetime.now(UTC)
    handoff, _ = store.create(
        Handoff(
            conversation_id=sender,
            channel="rest",
            reason=f"{words} asked for a person",
            customer_name=words,
            context={"messages": [f"I'm {words}"], "slots": {"handoff_contact": mail}},
        )
    )
    line = Line(seq=1, sender="customer", text=f"{words} here", sent_at=now)
    store.add_lines(handoff, [line], last_index=1)
    store.add_note(handoff.id, agent.id, f"{words} was upset")
    ticket = store.add_ticket(sender, phone, f"call {words} back")
    store.audit("claim", actor="agent@voltline.example", target=f"handoff:{handoff.id}")
    store.audit("ticket_created", actor="service", target=f"ticket:{ticket.id}")
    store.audit("handoff_limited", actor="203.0.113.7", target=f"conversation:{sender}")
    engine.dispose()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    (state / "logs").mkdir(parents=True)
    monkeypatch.setenv("TANDEM_STATE_DIR", str(state))
    monkeypatch.delenv("TANDEM_HANDOFF_DB_URL", raising=False)
    for sender, mail, words, phone in (
        (ALICE, "alice@example.com", "Wonderland", "07700 900111"),
        (BOB, "bob@example.com", "Builder", "07700 900222"),
    ):
        fill_tracker(state / "tracker.db", sender, mail, words)
        fill_handoff(f"sqlite:///{state / 'handoff.db'}", sender, mail, words, phone)
    with sqlite3.connect(state / "teams_conversations.db") as db:
        db.execute(  # as bot/channels/botframework_connector.py creates it
            "CREATE TABLE teams_conversations ("
            "sender_id TEXT PRIMARY KEY, reference TEXT NOT NULL, updated_at REAL NOT NULL)"
        )
        for sender, name in ((ALICE, "Wonderland"), (BOB, "Builder")):
            db.execute(
                "INSERT INTO teams_conversations VALUES (?, ?, 0)",
                (sender, json.dumps({"user": {"name": name}})),
            )
    (state / "logs" / "rasa.log").write_text(
        "starting\n"
        f"handling a message from {ALICE} failed\n"
        f"handling a message from {BOB} failed\n"
        "ready\n"
    )
    (state / "logs" / "handoff.log").write_text(
        'GET /conversations/rest%3Aalice/tracker "HTTP/1.1 200 OK"\n'
        'GET /conversations/rest%3Abob/tracker "HTTP/1.1 200 OK"\n'
        f"could not sync {ALICE}x (timeout)\n"  # another id that starts with Alice's
    )
    return state


def raw_bytes(state: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(state.rglob("*")) if p.is_file())


def test_erase_removes_one_customer_from_every_store(
    state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    before = raw_bytes(state)
    for trace in ALICE_TRACES + BOB_TRACES:
        assert trace.encode() in before, trace  # the test data is where we will look

    assert main(["erase", "--sender", ALICE]) == EXIT_OK

    after = raw_bytes(state)
    for trace in ALICE_TRACES:
        assert trace.encode() not in after.replace(b"rest:alicex", b""), trace
    for trace in BOB_TRACES:
        assert trace.encode() in after, trace
    assert "3 events deleted" in caplog.text
    assert "1 handoffs" in caplog.text and "1 tickets" in caplog.text
    assert "3 audit entries" in caplog.text and "1 notes" in caplog.text
    assert "1 from handoff.log, 1 from rasa.log" in caplog.text
    assert "Teams conversation reference deleted" in caplog.text

    logs = state / "logs"
    assert (logs / "rasa.log").read_text().splitlines() == [
        "starting",
        f"handling a message from {BOB} failed",
        "ready",
    ]
    assert f"could not sync {ALICE}x" in (logs / "handoff.log").read_text()
    assert stat.S_IMODE((logs / "rasa.log").stat().st_mode) == 0o600
    assert not [p for p in logs.iterdir() if p.name.startswith(".")]  # no temporary files left
    with sqlite3.connect(state / "handoff.db") as db:
        erased = db.execute("SELECT target, detail FROM audit_log WHERE action='erase'")
        [(target, detail)] = erased.fetchall()
    assert target == "" and "alice" not in detail and json.loads(detail)["handoffs"] == 1

    caplog.clear()
    assert main(["erase", "--sender", ALICE]) == EXIT_OK  # idempotent
    assert "Nothing was stored under 'rest:alice'" in caplog.text


def test_erase_refuses_while_bot_run_writes_the_logs(
    state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = raw_bytes(state)
    fd = os.open(state / "logs" / "handoff.log", os.O_WRONLY | os.O_APPEND)
    fcntl.flock(fd, fcntl.LOCK_SH)  # what the supervisor holds while it runs
    try:
        assert main(["erase", "--sender", ALICE]) == EXIT_STORE
    finally:
        os.close(fd)
    assert "open in a running `bot run`; stop it" in caplog.text
    assert raw_bytes(state) == before  # nothing touched


def test_an_unreachable_database_is_a_clear_error(
    state: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TANDEM_HANDOFF_DB_URL", "postgresql+psycopg://tandem:pw@127.0.0.1:9/x")
    assert main(["erase", "--sender", ALICE]) == EXIT_STORE
    assert "Could not erase from the handoff database" in caplog.text
    assert "TANDEM_HANDOFF_DB_URL" in caplog.text and ":pw@" not in caplog.text
    assert b"alice" in (state / "logs" / "rasa.log").read_bytes()  # logs go last
