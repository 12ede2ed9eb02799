"""Rasa's SQL tracker store, with personal data redacted before it is written.

Why here, at store time, and not earlier or later:

* The NLU, the policies and the action server see the message as typed: the
  tracker Rasa holds in memory while it handles a message is never touched,
  so a contact form can still read the e-mail address the customer just gave.
* Everything that outlives the message goes through the store: the database,
  the conversation Rasa's HTTP API serves later (and with it the handoff
  service's transcripts and the agents' console), the web chat's history and
  the event broker's stream (handoff notifications and analytics, each event
  numbered with ``tandem_seq``, :mod:`bot.contract.analytics`). Redacting the
  serialised events covers them all in one place, for SQLite and PostgreSQL
  alike (``endpoints.yml`` names this class for both).

Card numbers, e-mail addresses and phone numbers (:mod:`bot.privacy`) are
replaced in the text of user and bot events, their ``parse_data`` (entity
values included), ``metadata`` and ``data``, and in slot values. Slots listed
in ``keep_slots`` keep their values, for a deployment whose actions read a
contact detail in a later turn. The reference assistant keeps none: its
contact form creates the handoff ticket in the same turn the customer answers
it, so the address is kept only in the handoff service's ticket, where the
team needs it.

SQLite files are created owner-only (0600) and tightened if they already
exist, whatever the umask of whoever started the engine. They are written in
write-ahead-log mode with ``synchronous=FULL`` through connections kept open
between turns (:func:`sqlite_engine`): a committed turn still survives a power
cut, but a commit costs one ``fsync`` instead of the rollback journal's
several, and a turn opens no file. The log's old page copies are folded away
by ``bot erase`` (:mod:`bot.erasure`), as for the analytics outbox.

A database that restarts or drops the connection must not cost a
conversation. Rasa wraps every tracker store in ``FailSafeTrackerStore``,
which on any error *reads a fresh, empty tracker* and *saves into process
memory*: the customer sees nothing, while the conversation forgets its
context and what was said during the outage never reaches the database or
the other replicas (measured in benchmarks/faults.py). So this store is
used unwrapped (:func:`install`); pooled connections are checked before use
(``pool_pre_ping``), so a restarted server costs no failed query; and a
query that finds the database away is tried again for up to ``outage_s``
seconds (15 by default), so a short outage is a slower reply. A longer one
raises :class:`TrackerStoreUnavailable`: the turn fails and the channel
apologises, with nothing stored half-way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Container
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker

from bot.contract.analytics import SEQ_KEY
from bot.engine.errors import EngineError
from bot.engine.fanout import publish_all
from bot.privacy import Redactor, redact, redact_json

logger = logging.getLogger(__name__)

# The database is away (refused, restarted, connection dropped), not the query wrong.
_DATABASE_AWAY = (sa.exc.OperationalError, sa.exc.InterfaceError)


class TrackerStoreUnavailable(EngineError):
    """The conversation database stayed unreachable longer than ``outage_s``."""


# Fields of a serialised event that can hold what someone typed or was told.
_FREE_TEXT = ("text", "parse_data", "metadata", "data", "action_text", "entities")


def redact_event(
    data: dict[str, Any],
    keep_slots: Container[str] = (),
    redactor: Callable[[str], str] = redact,
) -> dict[str, Any]:
    """A copy of one event's ``as_dict()`` with personal data replaced."""
    clean = dict(data)
    for key in _FREE_TEXT:
        if key in clean:
            clean[key] = redact_json(clean[key], redactor)
    if "value" in clean and not (clean.get("event") == "slot" and clean.get("name") in keep_slots):
        clean["value"] = redact_json(clean["value"], redactor)
    return clean


def sqlite_path(url: Any) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and ``:memory:``."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def sqlite_engine(url: Any) -> sa.engine.Engine:
    """An engine for a SQLite file that keeps its connections open, in WAL mode.

    SQLAlchemy 1.4 opens a new connection per session for a SQLite file (Rasa's
    default), so every load and save reopened the file and re-read the schema,
    and closing the last connection checkpointed the log. One writer at a time
    (the lock store serialises a conversation's turns, Rasa's loop the rest).
    """
    engine = sa.create_engine(
        url,
        poolclass=sa.pool.QueuePool,
        pool_size=1,
        max_overflow=4,
        connect_args={"check_same_thread": False},  # the pool hands connections over
    )

    def pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # each commit survives a power cut
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    sa.event.listen(engine, "connect", pragmas)
    return engine


def make_owner_only(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if absent (SQLite accepts that), else chmod it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


class RedactingSQLTrackerStore(SQLTrackerStore):
    """:class:`SQLTrackerStore` that redacts events before storing or streaming them.

    Same options as Rasa's ``type: SQL`` store in ``endpoints.yml``, plus
    ``keep_slots``, a list of slot names whose values are stored as they are,
    and ``public_contacts``, the business's own published phone numbers and
    e-mail addresses, kept wherever they appear (the bot quoting its support
    line is no personal data, and the history should show it).
    """

    def __init__(
        self,
        domain: Domain | None = None,
        dialect: str = "sqlite",
        host: str | None = None,
        port: int | None = None,
        db: str = "rasa.db",
        username: str | None = None,
        password: str | None = None,
        event_broker: EventBroker | None = None,
        login_db: str | None = None,
        query: dict | None = None,
        keep_slots: list[str] | str | None = None,
        public_contacts: list[str] | str | None = None,
        outage_s: float = 15.0,
        **kwargs: Any,
    ) -> None:
        if isinstance(keep_slots, str):  # `keep_slots: name` in endpoints.yml
            keep_slots = [keep_slots]
        if isinstance(public_contacts, str):
            public_contacts = [public_contacts]
        self.keep_slots = frozenset(keep_slots or ())
        self.redactor = Redactor(public=frozenset(public_contacts or ()))
        url = self.get_db_url(dialect, host, port, db, username, password, login_db, query)
        path = sqlite_path(url)
        if path is not None:
            make_owner_only(path)
        super().__init__(
            domain,
            dialect=dialect,
            host=host,
            port=port,
            db=db,
            username=username,
            password=password,
            event_broker=event_broker,
            login_db=login_db,
            query=query,
            **kwargs,
        )
        self.outage_s = float(outage_s)
        if self.engine.dialect.name != "sqlite":  # a server: it may drop connections
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        if path is not None:
            self.engine.dispose()
            self.engine = sqlite_engine(self.engine.url)
            self.sessionmaker = sessionmaker(bind=self.engine)

    engine: sa.engine.Engine  # Rasa's SQLTrackerStore sets both
    sessionmaker: Any
    silent_fallback = False
    """Read by :func:`install`: Rasa must not wrap this store in its in-memory fallback."""

    async def _through_outage(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """``call()``, tried again while the database is away, for up to ``outage_s``."""
        deadline = time.monotonic() + self.outage_s
        delay = 0.1
        while True:
            try:
                return await call()
            except _DATABASE_AWAY as e:
                if time.monotonic() + delay > deadline:
                    raise TrackerStoreUnavailable(
                        f"The tracker database stayed unreachable for {self.outage_s:.0f} s "
                        f"while trying to {what} ({type(e).__name__}); check that it runs "
                        "and the tracker_store section of the endpoints file."
                    ) from e
                logger.warning(
                    "the tracker database is unreachable (%s); trying to %s again in %.1f s",
                    type(e).__name__,
                    what,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        parent = super()._retrieve
        return await self._through_outage(
            "read a conversation", lambda: parent(sender_id, fetch_events_from_all_sessions)
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save (:meth:`_save`), through a short database outage."""
        await self._through_outage("save a conversation", lambda: self._save(tracker))

    def serialise_event(self, event: Event) -> dict[str, Any]:
        return redact_event(event.as_dict(), self.keep_slots, self.redactor)

    async def _save(self, tracker: DialogueStateTracker) -> None:
        """Rasa 3.6's ``SQLTrackerStore.save``, each event redacted, then published.

        Each new event is published after the commit, numbered with
        ``tandem_seq``: the count of the conversation's stored events (all
        sessions) before it. Publishing after the commit numbers exactly what
        the tracker holds (Rasa publishes first, so an event whose save failed
        would take the number of the next one); the lock store serialises a
        conversation's turns, so two saves never count at once.
        """
        with self.session_scope() as session:
            stored = (
                session.query(sa.func.count(self.SQLEvent.id))
                .filter(self.SQLEvent.sender_id == tracker.sender_id)
                .scalar()
            )
            published = []
            for event in self._additional_events(session, tracker):
                data = self.serialise_event(event)
                intent = (data.get("parse_data") or {}).get("intent") or {}
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=intent.get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
                published.append(data)
            session.commit()
        if self.event_broker is not None and published:
            publish_all(
                self.event_broker,
                [
                    {"sender_id": tracker.sender_id, SEQ_KEY: int(stored or 0) + i, **data}
                    for i, data in enumerate(published)
                ],
            )

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Unused: :meth:`save` publishes what it stored, numbered."""


_rasa_create_tracker_store: Callable[[TrackerStore | None, Domain], TrackerStore] | None = None


def install() -> None:
    """Rasa's ``Agent`` wraps its tracker store in ``FailSafeTrackerStore``, which
    hides a database outage by forgetting the conversation (module docstring).
    Stores that say ``silent_fallback = False`` are used as they are."""
    global _rasa_create_tracker_store
    from rasa.core.agent import Agent

    if _rasa_create_tracker_store is not None:
        return
    wrap = _rasa_create_tracker_store = Agent._create_tracker_store

    def create_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
        if store is not None and getattr(store, "silent_fallback", True) is False:
            store.domain = domain
            return store
        return wrap(store, domain)

    agent: Any = Agent
    agent._create_tracker_store = staticmethod(create_tracker_store)
