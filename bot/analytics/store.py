"""The analytics store: idempotent ingestion of event envelopes, pruning and erasure.

``AnalyticsStore(engine, key).ingest(events)`` runs in one transaction:

1. Each envelope (:mod:`bot.contract.analytics`: a Rasa event plus
   ``sender_id`` and ``tandem_seq``) is checked; a malformed one is skipped,
   counted in :attr:`IngestReport.malformed` and logged without its content,
   and the batch's good events go on.
2. Its ``sender_id`` becomes :meth:`AnalyticsStore.conversation_key`, an
   HMAC-SHA256 of the id under the store's secret key (hex, 64 characters):
   the raw id is never stored, and without the key the hash cannot be tied
   back to a customer by trying ids.
3. The event, redacted (:func:`bot.analytics.derive.redact_event`: whitelisted
   fields, texts without cards, e-mails, phones, postcodes or person names,
   slot values dropped but for a few code-chosen ones, structured results as
   their label and item ids), is inserted into ``events`` unless its
   ``(conversation, seq)`` is there already: ``INSERT ... ON CONFLICT DO
   NOTHING`` on SQLite and PostgreSQL alike, so concurrent ingesters and
   redelivered events store each event once.
4. Every conversation the batch touched is rebuilt from all its stored events
   (:func:`bot.analytics.derive.derive`, whose docstring and
   docs/analytics-ingest.md give the rules): its rows in the derived tables
   are deleted and inserted again. Duplicates, replays and out-of-order
   delivery therefore give the same tables as one in-order delivery. On
   PostgreSQL a transaction-scoped advisory lock per conversation keeps two
   ingesters from rebuilding the same conversation at once; SQLite allows one
   writer at a time anyway.

A conversation whose form is still open counts it abandoned once the
conversation has been quiet for ``abandon_after_s``; :meth:`AnalyticsStore.settle`
rebuilds the conversations that crossed that line since their last event.
:meth:`AnalyticsStore.prune` drops whole conversations whose last event is
older than the retention window; :meth:`AnalyticsStore.erase` drops one
customer's (``python -m bot erase`` calls it).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from bot.analytics import models
from bot.analytics.derive import Journeys, MalformedEvent, derive, names_in, redact_event
from bot.contract.analytics import event_key
from bot.contract.errors import ContractError
from bot.errors import ConfigError

logger = logging.getLogger(__name__)

TABLES = models.Base.metadata.tables
EVENTS: Table = TABLES["events"]
CONVERSATIONS: Table = TABLES["conversations"]
# Every derived table, by name: derive()'s keys.
DERIVED: dict[str, Table] = {name: table for name, table in TABLES.items() if name != "events"}
ALL_TABLES: tuple[Table, ...] = (EVENTS, *DERIVED.values())
MIN_KEY_CHARS = 16
BATCH_ROWS = 500


@dataclass(frozen=True)
class IngestReport:
    """What one ``ingest`` did: events stored, already there, unreadable; conversations rebuilt."""

    new: int
    duplicates: int
    malformed: int = 0
    conversations: int = 0


class AnalyticsStore:
    """Ingestion, retention and erasure on a migrated analytics database (``bot.analytics.db``)."""

    def __init__(
        self,
        engine: Engine,
        key: str | bytes,
        *,
        abandon_after_s: float = 1800.0,
        journeys: Journeys | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        raw = key.encode("utf-8") if isinstance(key, str) else key
        if len(raw) < MIN_KEY_CHARS:
            raise ConfigError(
                "The analytics store needs a secret key of at least "
                f"{MIN_KEY_CHARS} characters to hash conversation ids; set TANDEM_ANALYTICS_KEY "
                "or let AnalyticsSettings.from_env() make one."
            )
        self.engine = engine
        self._key = raw
        self.abandon_after_s = abandon_after_s
        self.journeys = journeys or Journeys()
        self.clock = clock

    def count_events(self, sender_id: str) -> int:
        """How many of ``sender_id``'s events the store holds (bot/analytics/reconcile.py)."""
        query = select(func.count()).select_from(EVENTS)
        with self.engine.connect() as conn:
            found = conn.scalar(
                query.where(EVENTS.c.conversation == self.conversation_key(sender_id))
            )
        return int(found or 0)

    def conversation_key(self, sender_id: str) -> str:
        """The keyed hash (HMAC-SHA256, hex) that stands for ``sender_id`` in every table."""
        return hmac.new(self._key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()

    # ingestion ----------------------------------------------------------------------------

    def _rows(self, events: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], int, int]:
        """The batch's event rows, first of each key; (rows, repeats in the batch, malformed)."""
        rows: dict[tuple[str, int], dict[str, Any]] = {}
        repeats = malformed = 0
        keyed: list[tuple[str, int, Mapping[str, Any]]] = []
        names: dict[str, set[str]] = {}
        for position, event in enumerate(events):
            try:
                if not isinstance(event, Mapping):
                    raise MalformedEvent("it is not a JSON object")
                try:
                    sender, seq = event_key(event)
                except ContractError:
                    raise MalformedEvent("it lacks a sender_id or tandem_seq") from None
            except MalformedEvent as e:
                malformed += 1
                logger.warning("skipped analytics event %d of the batch: %s", position, e)
                continue
            keyed.append((sender, seq, event))
            names.setdefault(sender, set()).update(names_in(event))
        for position, (sender, seq, event) in enumerate(keyed):
            try:
                kind, ts, body = redact_event(event, tuple(names[sender]))
            except MalformedEvent as e:
                malformed += 1
                logger.warning("skipped analytics event %d of the batch: %s", position, e)
                continue
            key = (self.conversation_key(sender), seq)
            if key in rows:
                repeats += 1
                continue
            rows[key] = {"conversation": key[0], "seq": seq, "type": kind, "ts": ts, "body": body}
        return list(rows.values()), repeats, malformed

    def ingest(self, events: Iterable[Mapping[str, Any]]) -> IngestReport:
        """Store the batch's new events and rebuild the conversations they belong to."""
        rows, repeats, malformed = self._rows(events)
        touched = sorted({row["conversation"] for row in rows})
        if not rows:
            return IngestReport(0, repeats, malformed, 0)
        with self.engine.begin() as connection:
            self._lock(connection, touched)
            new = self._insert_events(connection, rows)
            now = self.clock()
            for conversation in touched:
                self._rebuild(connection, conversation, now)
        return IngestReport(new, len(rows) - new + repeats, malformed, len(touched))

    def _lock(self, connection: Connection, conversations: list[str]) -> None:
        """PostgreSQL: one ingester at a time per conversation (released at commit)."""
        if connection.dialect.name != "postgresql":
            return
        for conversation in conversations:  # sorted: two ingesters never wait on each other
            connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:c, 0))"), {"c": conversation}
            )

    def _insert_events(self, connection: Connection, rows: list[dict[str, Any]]) -> int:
        dialect = connection.dialect.name
        if dialect == "postgresql":
            insert: Any = postgresql.insert(EVENTS)
        elif dialect == "sqlite":
            insert = sqlite.insert(EVENTS)
        else:
            raise ConfigError(
                f"The analytics store runs on SQLite or PostgreSQL, not {dialect!r}; "
                "set TANDEM_ANALYTICS_DB_URL to a sqlite:/// or postgresql+psycopg:// URL."
            )
        statement = insert.on_conflict_do_nothing(index_elements=["conversation", "seq"])
        statement = statement.returning(EVENTS.c.seq)
        new = 0
        for start in range(0, len(rows), BATCH_ROWS):
            result = connection.execute(statement, rows[start : start + BATCH_ROWS])
            new += len(result.all())
        return new

    def _rebuild(self, connection: Connection, conversation: str, now: float) -> None:
        stored = connection.execute(
            select(EVENTS.c.seq, EVENTS.c.ts, EVENTS.c.body)
            .where(EVENTS.c.conversation == conversation)
            .order_by(EVENTS.c.seq)
        ).all()
        tables = derive(
            conversation,
            [(seq, ts, body) for seq, ts, body in stored],
            now=now,
            abandon_after_s=self.abandon_after_s,
            journeys=self.journeys,
        )
        for name, table in DERIVED.items():
            connection.execute(delete(table).where(table.c.conversation == conversation))
            if tables.get(name):
                connection.execute(table.insert(), tables[name])

    def settle(self, *, limit: int | None = None) -> int:
        """Rebuild conversations with a form open that went quiet; how many were rebuilt.

        ``limit`` caps one call's transaction (the consumer calls again while it
        gets as many as it asked for, ingesting in between).
        """
        now = self.clock()
        forms = TABLES["forms"]
        with self.engine.begin() as connection:
            quiet = list(
                connection.execute(
                    select(CONVERSATIONS.c.conversation)
                    .join(forms, forms.c.conversation == CONVERSATIONS.c.conversation)
                    .where(forms.c.outcome == "active")
                    .where(CONVERSATIONS.c.last_event_at <= now - self.abandon_after_s)
                    .distinct()
                    .order_by(CONVERSATIONS.c.conversation)
                    .limit(limit)
                ).scalars()
            )
            self._lock(connection, quiet)
            for conversation in quiet:
                self._rebuild(connection, conversation, now)
        return len(quiet)

    # retention and erasure ----------------------------------------------------------------

    def _delete(self, connection: Connection, conversations: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for table in ALL_TABLES:
            n = 0
            for start in range(0, len(conversations), BATCH_ROWS):
                chunk = conversations[start : start + BATCH_ROWS]
                result = connection.execute(delete(table).where(table.c.conversation.in_(chunk)))
                n += int(result.rowcount or 0)
            counts[table.name] = n
        return counts

    def prune(self, older_than_days: float, *, limit: int | None = None) -> int:
        """Delete conversations whose last event is older than the window; how many.

        ``limit`` caps one call's transaction, as for :meth:`settle`.
        """
        if older_than_days <= 0:
            raise ConfigError("prune needs a retention window of more than 0 days.")
        cutoff = self.clock() - older_than_days * 86400.0
        with self.engine.begin() as connection:
            last = (
                select(EVENTS.c.conversation)
                .group_by(EVENTS.c.conversation)
                .having(func.max(EVENTS.c.ts) < cutoff)
                .order_by(EVENTS.c.conversation)
                .limit(limit)
            )
            old = list(connection.execute(last).scalars())
            self._delete(connection, old)
        return len(old)

    def erase(self, sender_id: str) -> dict[str, int]:
        """Delete every row of ``sender_id``'s conversation; rows deleted per table."""
        conversation = self.conversation_key(sender_id)
        with self.engine.begin() as connection:
            self._lock(connection, [conversation])
            return self._delete(connection, [conversation])
