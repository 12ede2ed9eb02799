"""Events the tracker store committed but no broker carried reach the analytics store.

A private PostgreSQL (tests/support/services.py) holds Rasa's ``events`` table
as the production profile's tracker store writes it; the analytics store got
only part of a conversation through the broker, as after an engine replica
was killed between saving and publishing. Skipped without PostgreSQL 15.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.analytics.db import make_engine, migrate
from bot.analytics.reconcile import TrackerReconciler
from bot.analytics.store import EVENTS, AnalyticsStore
from bot.contract.analytics import SEQ_KEY
from tests.support.services import PrivatePostgres, missing
from tests.unit.bot.analytics.conftest import KEY, NOW
from tests.unit.bot.analytics.streams import Stream

pytestmark = pytest.mark.skipif(bool(missing("postgres")), reason="PostgreSQL 15 is missing")


@pytest.fixture(scope="module")
def tracker() -> Iterator[sa.Engine]:
    with PrivatePostgres() as postgres:
        engine = sa.create_engine(f"postgresql+psycopg://tandem@127.0.0.1:{postgres.port}/tandem")
        with engine.begin() as conn:  # Rasa's SQLTrackerStore table
            conn.execute(
                sa.text(
                    "CREATE TABLE events (id serial PRIMARY KEY, sender_id varchar(255), "
                    "type_name varchar(255), timestamp double precision, intent_name "
                    "varchar(255), action_name varchar(255), data text)"
                )
            )
        yield engine
        engine.dispose()


def save(tracker: sa.Engine, events: list[dict]) -> None:
    """As RedactingSQLTrackerStore.save stores them: the event without the envelope keys."""
    with tracker.begin() as conn:
        for event in events:
            data = {k: v for k, v in event.items() if k not in ("sender_id", SEQ_KEY)}
            conn.execute(
                sa.text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data) "
                    "VALUES (:s, :t, :ts, :d)"
                ),
                {"s": event["sender_id"], "t": event["event"], "ts": event["timestamp"],
                 "d": json.dumps(data)},
            )  # fmt: skip


def test_a_conversation_the_broker_cut_short_is_completed_from_the_tracker(
    tracker: sa.Engine, tmp_path: Path
) -> None:
    cut = Stream("rest:cut").session().user("hi", "greet").action("utter_greet")
    cut.bot("Hello!").listen().user("bye", "goodbye").bot("Bye!").listen()
    whole = Stream("rest:whole").session().user("hi", "greet").bot("Hello!").listen()
    save(tracker, cut.events + whole.events)
    engine = make_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    migrate(engine)
    store = AnalyticsStore(engine, KEY, clock=lambda: NOW)
    store.ingest(cut.events[:4] + whole.events)  # the broker carried these

    reconciler = TrackerReconciler(
        tracker.url, store, grace_s=0, wall_clock=lambda: NOW + 3600, every_s=60
    )
    assert reconciler.run_due() == len(cut.events) - 4
    with engine.connect() as conn:
        seqs = conn.scalars(
            sa.select(EVENTS.c.seq)
            .where(EVENTS.c.conversation == store.conversation_key("rest:cut"))
            .order_by(EVENTS.c.seq)
        ).all()
    assert seqs == list(range(len(cut.events)))  # each once, numbered as the tracker did
    assert store.count_events("rest:whole") == len(whole.events)
    assert reconciler.run_due() == 0  # not due again for a minute
    assert reconciler.run() == 0  # and nothing new past the watermark


def test_events_younger_than_the_grace_period_are_left_to_the_broker(
    tracker: sa.Engine, tmp_path: Path
) -> None:
    young = Stream("rest:young", t=NOW).session().user("hi", "greet").bot("Hello!")
    save(tracker, young.events)
    engine = make_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    migrate(engine)
    store = AnalyticsStore(engine, KEY, clock=lambda: NOW)
    reconciler = TrackerReconciler(tracker.url, store, grace_s=30, wall_clock=lambda: NOW)
    reconciler.run()
    assert store.count_events("rest:young") == 0


def test_the_consumer_finds_the_tracker_database_and_keeps_its_password_out_of_the_url(
    tmp_path: Path,
) -> None:
    from bot.analytics.consumer import ConsumerSettings

    env = {
        "TANDEM_STATE_DIR": str(tmp_path),
        "TANDEM_POSTGRES_HOST": "db.internal",
        "TANDEM_POSTGRES_PORT": "6543",
        "TANDEM_POSTGRES_USER": "tandem",
        "TANDEM_POSTGRES_PASSWORD": "s3cret-pw",
        "TANDEM_ANALYTICS_RECONCILE_EVERY_S": "5",
    }
    settings = ConsumerSettings.from_env(env)
    assert settings.tracker_url is not None
    assert (settings.tracker_url.host, settings.tracker_url.port) == ("db.internal", 6543)
    assert "s3cret-pw" not in settings.tracker_url.render_as_string(hide_password=False)
    assert "s3cret-pw" not in repr(settings)
    assert (settings.tracker_password, settings.reconcile_every_s) == ("s3cret-pw", 5.0)
    assert ConsumerSettings.from_env({"TANDEM_STATE_DIR": str(tmp_path)}).tracker_url is None
