"""Events → analytics across the real processes, with the consumer down for a while.

A scripted REST conversation full of personal data runs while the analytics
consumer is stopped: its events wait in the outbox. Then the consumer starts:
every event of the tracker lands in the analytics ``events`` table exactly
once and in order, and the raw bytes of the whole analytics database hold
none of the personal data.
"""

from __future__ import annotations

import secrets
import sqlite3
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.analytics.db import make_engine
from bot.analytics.settings import AnalyticsSettings
from bot.analytics.store import EVENTS, AnalyticsStore
from bot.contract.outbox import Outbox
from bot.supervisor import Supervisor
from tests.e2e.conftest import rest_conversation_id, say, tracker

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CARD, EMAIL, PHONE, NAME = (
    "4111 1111 1111 1111",
    "grace.hopper.pii@example.com",
    "+44 20 7946 0321",
    "Grace Hopperton",
)
TRACES = (CARD, CARD.replace(" ", ""), EMAIL, "grace.hopper.pii", PHONE, "7946 0321", NAME,
          "Hopperton")  # fmt: skip


def analytics_store(assistant: Supervisor) -> AnalyticsStore:
    settings = AnalyticsSettings.from_env(assistant.settings.engine_env())
    return AnalyticsStore(make_engine(settings.db_url), settings.key)


def stored_events(store: AnalyticsStore, sender: str) -> list[tuple[int, str, float]]:
    conversation = store.conversation_key(rest_conversation_id(sender))
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(EVENTS.c.seq, EVENTS.c.type, EVENTS.c.ts)
                .where(EVENTS.c.conversation == conversation)
                .order_by(EVENTS.c.id)
            ).all()
    except OperationalError:  # no table yet: the consumer has not migrated the file
        return []
    return [(int(seq), str(kind), float(ts)) for seq, kind, ts in rows]


@dataclass(frozen=True)
class Delivered:
    store: AnalyticsStore
    sender: str
    expected: list[tuple[int, str, float]]  # the tracker's events: (index, type, timestamp)
    waiting: int  # outbox rows while the consumer was stopped
    stored_while_stopped: list[tuple[int, str, float]]


@pytest.fixture(scope="module")
def delivered(assistant: Supervisor) -> Delivered:
    """The scripted conversation with the consumer stopped, then the consumer started."""
    assistant.analytics.stop()
    try:
        sender = "e2e-analytics-" + secrets.token_hex(4)
        say(assistant, sender, "hello")
        say(assistant, sender, f"Hi, my name is {NAME}")
        say(assistant, sender, f"my card {CARD} was charged twice, mail me at {EMAIL}")
        say(assistant, sender, f"or call me on {PHONE}")
        say(assistant, sender, "thanks, bye")
        expected = [
            (i, e["event"], float(e["timestamp"]))
            for i, e in enumerate(tracker(assistant, sender)["events"])
        ]
        with Outbox(assistant.settings.analytics_outbox) as outbox:
            waiting = outbox.pending()
        store = analytics_store(assistant)
        stored_while_stopped = stored_events(store, sender)
    finally:
        assistant.analytics.start()
    deadline = time.monotonic() + 120
    while len(stored_events(store, sender)) < len(expected):
        assert assistant.analytics.running, assistant.analytics.log_tail()
        assert time.monotonic() < deadline, "the consumer never caught up"
        time.sleep(0.5)
    return Delivered(store, sender, expected, waiting, stored_while_stopped)


def test_events_wait_for_a_stopped_consumer_then_arrive_once_and_in_order(
    delivered: Delivered,
) -> None:
    assert len(delivered.expected) > 10
    assert delivered.waiting >= len(delivered.expected)  # queued, not lost
    assert delivered.stored_while_stopped == []
    # every event of the tracker, each once, in order, with its timestamp
    assert stored_events(delivered.store, delivered.sender) == delivered.expected


def test_the_analytics_database_holds_none_of_the_personal_data(
    assistant: Supervisor, delivered: Delivered
) -> None:
    state = assistant.settings.state_dir
    database = Path(delivered.store.engine.url.database or "")
    assert database.parent == state
    with sqlite3.connect(database) as db:  # fold the write-ahead log into the file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files = [p for p in state.iterdir() if p.name.startswith(database.name)]
    raw = b"".join(p.read_bytes() for p in files)
    assert b"[card]" in raw or b"[email]" in raw
    for trace in TRACES:
        assert trace.encode() not in raw, f"{trace!r} in the analytics database"
    for path in (database, assistant.settings.analytics_outbox):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
