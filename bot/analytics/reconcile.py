"""Analytics events the broker never carried, taken again from the tracker store.

The tracker store commits a turn's events, then publishes them to RabbitMQ
(bot/engine/tracker_store.py). An engine replica killed between the two
(``kill -9``, an OOM kill, a node lost) leaves events in PostgreSQL that no
broker will ever carry: benchmarks/faults.py measured 113 after one replica
kill under load. :class:`TrackerReconciler` closes that gap from the source
of truth: every ``every_s`` it looks at the conversations with tracker events
newer than the last pass and older than ``grace_s`` (the broker's normal
lag), compares their count with the analytics store's, and ingests the
tracker's events of any conversation that has fewer. Each event gets the
``tandem_seq`` the tracker store gave it when it was saved (its position in
the conversation), so ingestion stays idempotent: what arrives later through
RabbitMQ is a duplicate the store skips.

The tracker's events are stored redacted, so nothing personal is read here
that the broker would not have carried.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from bot.contract.analytics import SEQ_KEY

if TYPE_CHECKING:
    from bot.analytics.store import AnalyticsStore

logger = logging.getLogger(__name__)


class TrackerReconciler:
    """Re-ingests, from Rasa's ``events`` table, what the broker lost (module docstring)."""

    def __init__(
        self,
        tracker_url: str | sa.engine.URL,
        store: AnalyticsStore,
        *,
        password: str = "",
        every_s: float = 60.0,
        grace_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        # The password goes to the driver only, never into the URL (logs, reprs).
        connect_args = {"password": password} if password else {}
        self.engine = sa.create_engine(tracker_url, pool_pre_ping=True, connect_args=connect_args)
        self.store = store
        self.every_s = every_s
        self.grace_s = grace_s
        self.clock = clock
        self.wall_clock = wall_clock
        self.watermark = 0  # the highest tracker event id a pass has looked at
        self.repaired = 0
        self._due_at = clock()
        self._events = sa.table(
            "events",
            sa.column("id", sa.Integer),
            sa.column("sender_id", sa.String),
            sa.column("timestamp", sa.Float),
            sa.column("data", sa.Text),
        )

    def run_due(self) -> int:
        """One pass if its time has come; the events repaired."""
        now = self.clock()
        if now < self._due_at:
            return 0
        self._due_at = now + self.every_s
        try:
            return self.run()
        except sa.exc.SQLAlchemyError as e:  # a database away: the next pass tries again
            logger.warning("analytics reconcile failed (%s); it runs again later", e)
            return 0

    def run(self) -> int:
        """Compare and repair every conversation with events past the watermark."""
        events = self._events
        settled_before = self.wall_clock() - self.grace_s
        with self.engine.connect() as conn:
            top = conn.execute(
                sa.select(sa.func.max(events.c.id)).where(events.c.timestamp < settled_before)
            ).scalar()
            if top is None or top <= self.watermark:
                return 0
            senders = conn.execute(
                sa.select(events.c.sender_id)
                .where(events.c.id > self.watermark, events.c.id <= top)
                .distinct()
            ).scalars()
            repaired = sum(self._repair(conn, sender) for sender in list(senders))
        self.watermark = top
        self.repaired += repaired
        if repaired:
            logger.warning(
                "analytics reconcile: %d events were in the tracker store but never reached "
                "the broker (an engine stopped between saving and publishing); ingested now",
                repaired,
            )
        return repaired

    def _repair(self, conn: sa.engine.Connection, sender: str) -> int:
        events = self._events
        rows = conn.execute(
            sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id)
        ).scalars()
        envelopes = [
            {"sender_id": sender, SEQ_KEY: seq, **json.loads(data)} for seq, data in enumerate(rows)
        ]
        missing = len(envelopes) - self.store.count_events(sender)
        if missing <= 0:
            return 0
        self.store.ingest(envelopes)
        return missing


__all__: Sequence[str] = ("TrackerReconciler",)
