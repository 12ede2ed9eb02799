"""The consumer settles quiet conversations and prunes old ones on a timer, busy or idle.

Real analytics stores (SQLite file; PostgreSQL when it is there), a fake clock
for the timer and another for the store's sense of "now".
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select

from bot.analytics.consumer import Consumer, OutboxSource, Upkeep, main
from bot.analytics.models import Base
from bot.analytics.store import AnalyticsStore
from bot.contract.outbox import Outbox
from tests.unit.bot.analytics.conftest import KEY, NOW
from tests.unit.bot.analytics.streams import Stream

FORMS = Base.metadata.tables["forms"]
CONVERSATIONS = Base.metadata.tables["conversations"]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def open_form(sender: str, t: float) -> Stream:
    """A conversation that stops with a form waiting for its first slot."""
    s = Stream(sender, t=t).session()
    s.user("a savings plan please my name is Grace Hopperton", "ask_savings_plan")
    s.action("savings_plan_form").loop("savings_plan_form")
    return s.slot("requested_slot", "savings_goal").bot("Goal?").listen()


def outcomes(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.execute(select(FORMS.c.outcome)).scalars())


def conversations(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(CONVERSATIONS.c.conversation)).all())


def test_settle_every_minute_and_prune_at_start_then_hourly(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    now = Clock(NOW)
    store = AnalyticsStore(engine, KEY, abandon_after_s=1800, clock=now)
    old = Stream("rest:old", t=NOW - 500 * 86400).session().user("hi", "greet")
    store.ingest(old.events + open_form("rest:grace", NOW - 60).events)
    timer = Clock(0.0)
    upkeep = Upkeep(store, retention_days=400, settle_every_s=60, prune_every_s=3600, clock=timer)
    caplog.set_level(logging.INFO)

    upkeep.run_due()  # at start: both
    assert (upkeep.pruned, upkeep.settled) == (1, 0)
    assert outcomes(engine) == ["active"]

    now.now = NOW + 1800  # the conversation has gone quiet...
    timer.now = 30.0
    upkeep.run_due()
    assert outcomes(engine) == ["active"]  # ...but settling is not due yet
    timer.now = 60.0
    upkeep.run_due()
    assert outcomes(engine) == ["abandoned"] and upkeep.settled == 1

    store.ingest(Stream("rest:older", t=NOW - 600 * 86400).session().events)
    timer.now = 1800.0
    upkeep.run_due()
    assert conversations(engine) == 2  # pruning is hourly
    timer.now = 3600.0
    upkeep.run_due()
    assert conversations(engine) == 1 and upkeep.pruned == 2

    assert "1 quiet conversations settled" in caplog.text
    assert "1 conversations past the retention window pruned" in caplog.text
    for secret in ("grace", "Hopperton", "rest:old", "savings"):
        assert secret.lower() not in caplog.text.lower()  # counts, never content


def test_a_full_batch_is_due_again_at_once(engine: Engine) -> None:
    now = Clock(NOW)
    store = AnalyticsStore(engine, KEY, abandon_after_s=1800, clock=now)
    for n in range(5):
        store.ingest(open_form(f"rest:c{n}", NOW - 60).events)
    now.now = NOW + 3600
    upkeep = Upkeep(store, retention_days=400, limit=2, clock=Clock(0.0))
    settled = []
    for _ in range(4):
        upkeep.run_due()  # the timer stands still: each call is one bounded transaction
        settled.append(upkeep.settled)
    assert settled == [2, 4, 5, 5]
    assert outcomes(engine) == ["abandoned"] * 5


def test_an_idle_consumer_still_settles(engine: Engine, tmp_path: Path) -> None:
    now = Clock(NOW)
    store = AnalyticsStore(engine, KEY, abandon_after_s=1800, clock=now)
    store.ingest(open_form("rest:grace", NOW - 60).events)
    now.now = NOW + 1800
    upkeep = Upkeep(store, retention_days=400, settle_every_s=0.05)
    upkeep.run_due()
    assert upkeep.settled == 1
    store.ingest(open_form("rest:ada", NOW + 1790).events)  # active, quiet from NOW + 3600
    source = OutboxSource(tmp_path / "outbox.db")  # empty: the consumer only waits
    consumer = Consumer(source, store, upkeep=upkeep)
    stop = threading.Event()
    runner = threading.Thread(target=consumer.run, args=(stop,), kwargs={"poll_s": 0.01})
    runner.start()
    try:
        now.now = NOW + 3700
        for _ in range(200):
            if upkeep.settled == 2:
                break
            stop.wait(0.01)
    finally:
        stop.set()
        runner.join(5)
        source.close()
    assert upkeep.settled == 2 and outcomes(engine) == ["abandoned", "abandoned"]


def test_once_settles_and_prunes_after_draining(engine: Engine, tmp_path: Path) -> None:
    now = Clock(NOW + 3600)
    store = AnalyticsStore(engine, KEY, abandon_after_s=1800, clock=now)
    with Outbox(tmp_path / "outbox.db") as outbox:
        outbox.append(open_form("rest:grace", NOW).events)
        outbox.append(Stream("rest:old", t=NOW - 500 * 86400).session().events)
    source = OutboxSource(tmp_path / "outbox.db")
    upkeep = Upkeep(store, retention_days=400, clock=Clock(0.0))
    consumer = Consumer(source, store, upkeep=upkeep)
    assert consumer.drain() > 0
    source.close()
    assert (upkeep.pruned, conversations(engine)) == (1, 1)
    # Ingested an hour late, the form is abandoned already; settle finds nothing more.
    assert outcomes(engine) == ["abandoned"] and upkeep.settled == 0


def test_a_store_that_is_down_is_logged_and_tried_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'analytics.db'}")
    timer = Clock(0.0)
    upkeep = Upkeep(AnalyticsStore(engine, KEY), retention_days=400, clock=timer)
    upkeep.run_due()
    assert "prune failed (OperationalError)" in caplog.text
    assert "settle failed (OperationalError)" in caplog.text
    caplog.clear()
    timer.now = 60.0
    upkeep.run_due()  # settling again a minute later; pruning waits its hour
    assert "settle failed" in caplog.text and "prune failed" not in caplog.text
    engine.dispose()


def test_the_command_prunes_with_the_retention_setting(tmp_path: Path) -> None:
    with Outbox(tmp_path / "outbox.db") as outbox:
        outbox.append(Stream("rest:old", t=NOW - 30 * 86400).session().events)
    env = {
        "TANDEM_ANALYTICS_OUTBOX": str(tmp_path / "outbox.db"),
        "TANDEM_STATE_DIR": str(tmp_path),
        "TANDEM_ANALYTICS_KEY": KEY,
        "TANDEM_ANALYTICS_DB_URL": f"sqlite:///{tmp_path / 'analytics.db'}",
    }
    assert main(["consume", "--once"], {**env, "TANDEM_ANALYTICS_RETENTION_DAYS": "36500"}) == 0
    engine = create_engine(env["TANDEM_ANALYTICS_DB_URL"])
    assert conversations(engine) == 1  # late 2023 is within 36,500 days
    engine.dispose()
    with Outbox(tmp_path / "outbox.db") as outbox:
        outbox.append(Stream("rest:new", t=NOW).session().events)
    assert main(["consume", "--once"], {**env, "TANDEM_ANALYTICS_RETENTION_DAYS": "1"}) == 0
    engine = create_engine(env["TANDEM_ANALYTICS_DB_URL"])
    assert conversations(engine) == 0  # both older than a day by the wall clock
    engine.dispose()
