"""``python -m bot erase`` removes the customer from the analytics store too."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.analytics.db import make_engine, migrate
from bot.analytics.models import Base
from bot.analytics.settings import AnalyticsSettings
from bot.analytics.store import AnalyticsStore
from bot.cli import EXIT_OK, main
from bot.contract.outbox import Outbox
from tests.unit.bot.analytics.streams import Stream

ALICE, BOB = "rest:alice", "rest:bob"


def conversation(sender: str) -> Stream:
    s = Stream(sender, channel="rest").session()
    s.user("when do you open", "ask_store_hours").action("action_store_hours")
    return s.bot("9 to 6.").listen()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    (state / "logs").mkdir(parents=True)
    for name in ("TANDEM_HANDOFF_DB_URL", "TANDEM_ANALYTICS_DB_URL", "TANDEM_ANALYTICS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TANDEM_STATE_DIR", str(state))
    monkeypatch.setenv("TANDEM_TRACKER_DB", str(state / "tracker.db"))
    return state


def test_erase_deletes_the_customers_analytics_rows(
    state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = AnalyticsSettings.from_env()  # makes the key, as the consumer does
    engine = make_engine(settings.db_url)
    migrate(engine)
    store = AnalyticsStore(engine, settings.key)
    store.ingest(conversation(ALICE).events + conversation(BOB).events)
    alice, bob = store.conversation_key(ALICE), store.conversation_key(BOB)
    engine.dispose()
    before = b"".join(p.read_bytes() for p in state.glob("analytics.db*"))
    assert alice.encode() in before

    caplog.set_level(logging.INFO)
    assert main(["erase", "--sender", ALICE]) == EXIT_OK
    assert "analytics store:" in caplog.text and "1 conversations" in caplog.text

    engine = make_engine(settings.db_url)
    with engine.connect() as connection:
        for name, table in Base.metadata.tables.items():
            left = set(connection.execute(select(table.c.conversation)).scalars())
            assert alice not in left, name
            if name in ("events", "turns", "conversations", "sessions"):
                assert bob in left, name
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in state.glob("analytics.db*"))
    assert alice.encode() not in raw  # secure_delete and a checkpoint: not in the free pages


def test_erase_without_an_analytics_store_makes_no_key(state: Path) -> None:
    assert main(["erase", "--sender", ALICE]) == EXIT_OK
    assert not (state / "analytics.key").exists()
    assert not (state / "analytics.db").exists()
    assert not (state / "analytics-outbox.db").exists()


def test_erase_deletes_the_customers_events_still_in_the_outbox(
    state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Events the consumer has not ingested yet would bring the customer back."""
    path = state / "analytics-outbox.db"  # where `bot run` points TANDEM_ANALYTICS_OUTBOX
    alice, bob = conversation(ALICE).events, conversation(BOB).events
    with Outbox(path) as outbox:
        outbox.append(alice + bob)
        outbox.dead_letter(outbox.read(1)[0], "set aside")  # one of Alice's, a dead letter
    before = b"".join(p.read_bytes() for p in state.glob("analytics-outbox.db*"))
    assert ALICE.encode() in before

    caplog.set_level(logging.INFO)
    assert main(["erase", "--sender", ALICE]) == EXIT_OK
    assert f"analytics outbox: {len(alice)} events deleted" in caplog.text

    with Outbox(path) as outbox:
        left = [json.loads(row.body) for row in outbox.read(100)]
        assert outbox.dead_letters() == []
    assert [e["sender_id"] for e in left] == [BOB] * len(bob)
    raw = b"".join(p.read_bytes() for p in state.glob("analytics-outbox.db*"))
    assert ALICE.encode() not in raw  # secure_delete and a checkpoint: not in the free pages
    assert BOB.encode() in raw

    caplog.clear()
    assert main(["erase", "--sender", ALICE]) == EXIT_OK  # idempotent
    assert "analytics outbox: 0 events deleted" in caplog.text
