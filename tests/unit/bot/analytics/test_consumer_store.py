"""The consumer into the real analytics store (SQLite file; PostgreSQL when it is there).

A consumer killed after the store committed a batch but before the outbox
forgot it replays that batch on restart; every table must then equal what one
clean, in-order delivery of the same events gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.analytics.consumer import Consumer, Delivery, OutboxSource
from bot.analytics.db import make_engine, migrate
from bot.analytics.store import ALL_TABLES, AnalyticsStore
from bot.contract.outbox import Outbox
from tests.unit.bot.analytics.conftest import KEY, NOW
from tests.unit.bot.analytics.streams import Stream


class Crash(BaseException):
    """kill -9 of the consumer."""


class DiesOnSecondAck(OutboxSource):
    acks = 0

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        self.acks += 1
        if self.acks == 2:
            raise Crash
        super().ack(deliveries)


def streams() -> list[dict[str, Any]]:
    a = Stream("rest:ana").session().user("hi", "greet").action("utter_greet")
    a.bot("Hello!", utter="utter_greet").listen()
    a.user("where is my order 12345?", "order_status").action("order_form").loop("order_form")
    b = Stream("rest:bo", channel="rest").session().user("I'm Bob, help", "nlu_fallback")
    b.action("action_default_fallback").bot("Sorry?").listen()
    return [e for pair in zip(a.events, b.events, strict=False) for e in pair] + a.events[
        len(b.events) :
    ]


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows without surrogate ids, in a stable order."""
    out = {}
    with engine.connect() as conn:
        for table in ALL_TABLES:
            columns = [c for c in table.columns if c.name != "id"]
            rows = conn.execute(select(*columns)).all()
            out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


def migrated(url: str) -> AnalyticsStore:
    engine = make_engine(url)
    migrate(engine)
    return AnalyticsStore(engine, KEY, clock=lambda: NOW)


def test_a_replayed_batch_leaves_every_table_as_one_clean_delivery(
    tmp_path: Path, db_url: str
) -> None:
    events = streams()
    outbox = tmp_path / "outbox.db"
    with Outbox(outbox) as o:
        o.append(events)
    store = migrated(db_url)
    with pytest.raises(Crash):
        Consumer(DiesOnSecondAck(outbox), store, batch_size=5).drain()
    assert Outbox(outbox).pending() == len(events) - 5  # the second batch is still queued
    Consumer(OutboxSource(outbox), store, batch_size=5).drain()
    assert Outbox(outbox).pending() == 0

    clean = migrated(f"sqlite:///{tmp_path / 'clean.db'}")
    clean.ingest(events)
    assert snapshot(store.engine) == snapshot(clean.engine)
    with store.engine.connect() as conn:
        from bot.analytics.store import EVENTS

        rows = conn.execute(select(EVENTS.c.conversation, EVENTS.c.seq)).all()
    assert len(rows) == len(events) == len(set(rows))
