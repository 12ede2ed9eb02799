"""The analytics consumer over a real outbox file and a real SQLite events table.

The store here is a small idempotent stand-in writing the ``events`` table of
:mod:`bot.analytics.models` (one transaction per batch, ``(conversation, seq)``
unique), so these tests pin the consumer's delivery rules: acknowledge only
after the commit, replay after a crash, back off while the store is down, set
bad events aside with a clear reason, lose nothing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.analytics.consumer import Backoff, Consumer, Delivery, OutboxSource, parse
from bot.analytics.models import Base, Event
from bot.contract.errors import ContractError
from bot.contract.outbox import Outbox
from bot.errors import StoreError


@dataclass(frozen=True)
class Report:
    new: int
    duplicates: int
    malformed: int


class Crash(BaseException):
    """The consumer process dying (kill -9) at a chosen point."""


class EventsStore:
    """Idempotent ingestion into ``events`` only; ``down`` > 0 fails that many calls."""

    def __init__(self, path: Path) -> None:
        self.engine = sa.create_engine(f"sqlite:///{path}")
        Base.metadata.create_all(self.engine)
        self.down = 0
        self.calls = 0

    def ingest(self, events: Sequence[Mapping[str, Any]]) -> Report:
        """Like AnalyticsStore.ingest: text "refuse" raises, text "skip" is skipped and counted."""
        self.calls += 1
        if self.down:
            self.down -= 1
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        new = duplicates = malformed = 0
        with Session(self.engine) as session, session.begin():
            for e in events:
                if e.get("text") == "refuse":
                    raise ValueError(f"event {e['tandem_seq']} is one the store refuses")
                if e.get("text") == "skip":
                    malformed += 1
                    continue
                key = (e["sender_id"], e["tandem_seq"])
                if session.scalar(
                    sa.select(Event.id).where(Event.conversation == key[0], Event.seq == key[1])
                ):
                    duplicates += 1
                    continue
                session.add(
                    Event(
                        conversation=key[0],
                        seq=key[1],
                        type=e["event"],
                        ts=e["timestamp"],
                        body=dict(e),
                    )
                )
                new += 1
        return Report(new, duplicates, malformed)

    def rows(self) -> list[tuple[str, int]]:
        with self.engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(  # type: ignore[misc]
                    sa.select(Event.conversation, Event.seq).order_by(Event.id)
                )
            ]


def conversation(sender: str, n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "sender_id": sender,
            "tandem_seq": i,
            "event": "user",
            "timestamp": 1.7e9 + i,
            "text": f"message {i}",
        }
        for i in range(start, start + n)
    ]


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.db"


@pytest.fixture
def store(tmp_path: Path) -> EventsStore:
    return EventsStore(tmp_path / "analytics.db")


def fill(path: Path, *batches: list[dict[str, Any]]) -> None:
    with Outbox(path) as outbox:
        for batch in batches:
            outbox.append(batch)


def test_every_event_is_ingested_once_in_order_and_the_outbox_emptied(
    outbox_path: Path, store: EventsStore
) -> None:
    fill(outbox_path, conversation("a", 7), conversation("b", 5), conversation("a", 3, start=7))
    consumer = Consumer(OutboxSource(outbox_path), store, batch_size=4)
    assert consumer.drain() == 15
    assert [seq for sender, seq in store.rows() if sender == "a"] == list(range(10))
    assert [seq for sender, seq in store.rows() if sender == "b"] == list(range(5))
    assert Outbox(outbox_path).pending() == 0
    assert consumer.ingested == 15 and consumer.dead == 0


class CrashingAck(OutboxSource):
    """Dies right after the store committed a batch, before deleting it from the outbox."""

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        raise Crash


def test_a_crash_between_the_commit_and_the_ack_replays_and_the_store_stays_exact(
    outbox_path: Path, store: EventsStore
) -> None:
    fill(outbox_path, conversation("a", 10))
    with pytest.raises(Crash):
        Consumer(CrashingAck(outbox_path), store, batch_size=6).drain()
    assert len(store.rows()) == 6  # committed, not acknowledged
    assert Outbox(outbox_path).pending() == 10
    restarted = Consumer(OutboxSource(outbox_path), store, batch_size=6)
    assert restarted.drain() == 10
    assert store.rows() == [("a", i) for i in range(10)]
    assert Outbox(outbox_path).pending() == 0


def test_while_the_store_is_down_the_batch_is_retried_with_backoff_and_nothing_dropped(
    outbox_path: Path, store: EventsStore, caplog: pytest.LogCaptureFixture
) -> None:
    fill(outbox_path, conversation("a", 3))
    store.down = 4
    slept: list[float] = []
    consumer = Consumer(
        OutboxSource(outbox_path), store, backoff=Backoff(first_s=0.5, max_s=2), sleep=slept.append
    )
    with caplog.at_level(logging.WARNING):
        assert consumer.drain() == 3
    assert slept == [0.5, 1.0, 2.0, 2.0]
    assert store.calls == 5
    assert store.rows() == [("a", 0), ("a", 1), ("a", 2)]
    assert "retrying the batch" in caplog.text and "OperationalError" in caplog.text


def test_a_bounded_run_gives_up_with_a_store_error_and_keeps_the_events(
    outbox_path: Path, store: EventsStore
) -> None:
    fill(outbox_path, conversation("a", 2))
    store.down = 100
    consumer = Consumer(OutboxSource(outbox_path), store, max_attempts=3, sleep=lambda s: None)
    with pytest.raises(StoreError, match="TANDEM_ANALYTICS_DB_URL"):
        consumer.drain()
    assert Outbox(outbox_path).pending() == 2


def test_bad_events_are_set_aside_with_a_clear_reason_and_the_rest_stored(
    outbox_path: Path, store: EventsStore, caplog: pytest.LogCaptureFixture
) -> None:
    events = conversation("a", 6)
    del events[1]["tandem_seq"]  # not numbered: not from Tandem's tracker store
    events[2]["timestamp"] = "yesterday"
    events[3]["text"] = "refuse"  # the store raises on it
    events[4]["text"] = "skip"  # the store skips it and counts it malformed
    fill(outbox_path, events)
    with Outbox(outbox_path) as outbox:
        outbox._db.execute("INSERT INTO outbox (body, created_at) VALUES ('{not json', 0)")
    consumer = Consumer(OutboxSource(outbox_path), store)
    with caplog.at_level(logging.ERROR):
        assert consumer.drain() == 7
    assert store.rows() == [("a", 0), ("a", 5)]
    reasons = [reason for _, reason in Outbox(outbox_path).dead_letters()]
    assert len(reasons) == 5 and consumer.dead == 5 and consumer.ingested == 2
    assert "tandem_seq" in reasons[0] and "Publish events through Tandem" in reasons[0]
    assert "numeric 'timestamp'" in reasons[1]
    assert "refused it: event 3 is one the store refuses" in reasons[2]
    assert "could not read it" in reasons[3]
    assert "not JSON" in reasons[4]
    assert "set aside as a dead letter" in caplog.text
    assert Outbox(outbox_path).pending() == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"sender_id": "a", "tandem_seq": -1, "event": "user"}), "non-negative"),
        (json.dumps({"sender_id": "a", "tandem_seq": 0}), "'event' name"),
    ],
)
def test_parse_says_what_is_wrong(body: str, message: str) -> None:
    with pytest.raises(ContractError, match=message):
        parse(body)


def test_events_appended_while_the_consumer_runs_all_arrive(
    outbox_path: Path, store: EventsStore
) -> None:
    """The engine keeps appending while the consumer reads and deletes: nothing is lost."""
    fill(outbox_path, conversation("a", 1))
    stop = threading.Event()
    consumer = Consumer(OutboxSource(outbox_path), store, batch_size=7)
    worker = threading.Thread(target=consumer.run, args=(stop,), kwargs={"poll_s": 0.01})
    worker.start()
    with Outbox(outbox_path) as writer:
        for turn in range(40):
            writer.append(conversation("a", 5, start=1 + 5 * turn))
    deadline = threading.Event()
    for _ in range(500):
        if len(store.rows()) == 201:
            break
        deadline.wait(0.02)
    stop.set()
    worker.join(timeout=10)
    assert store.rows() == [("a", i) for i in range(201)]
