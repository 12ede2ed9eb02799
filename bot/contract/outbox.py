"""The embedded analytics outbox: a durable SQLite queue between the engine and the consumer.

The engine appends each event envelope (:mod:`bot.contract.analytics`) in the
same call that publishes it, synchronously, so an event Rasa has stored is on
disk before the turn's reply leaves. The analytics consumer (actions venv)
reads the oldest rows, ingests them into the analytics store and only then
deletes them: a crash between the two replays the batch, and the store's
idempotent ingestion (key ``(sender_id, tandem_seq)``) keeps it exact. Rows the
consumer cannot read go to ``dead_letters`` with the reason, never silently away.

One file, owner-only (0600), in WAL mode so that the writer and the reader do
not block each other; ``synchronous=FULL`` makes each committed append survive
a power cut, not only a crash. Standard library only: both venvs use this module.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.contract.errors import ContractError

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, created_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS dead_letters ("
    " id INTEGER PRIMARY KEY, body TEXT NOT NULL, reason TEXT NOT NULL, failed_at REAL NOT NULL)",
)


@dataclass(frozen=True)
class OutboxRow:
    """One queued envelope: ``id`` orders the queue, ``body`` is its JSON text."""

    id: int
    body: str


class Outbox:
    """The outbox file at ``path``; see the module docstring. Not shared across threads."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        if not str(path) or self.path.is_dir():
            raise ContractError(
                f"the analytics outbox needs a file path, got {str(path)!r}; set "
                "TANDEM_ANALYTICS_OUTBOX (`python -m bot run` sets it to the state directory)."
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite gives the -wal and -shm files the database file's mode.
        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(self.path, 0o600)
        # Rasa may build the broker on one thread and publish from another: one lock
        # serialises this connection's use instead of SQLite's same-thread check.
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def append(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Queue ``events`` in one transaction; returns how many. Raises on a full disk."""
        now = time.time()
        rows = [(json.dumps(dict(e), ensure_ascii=False), now) for e in events]
        if not rows:
            return 0
        with self._transaction():
            self._db.executemany("INSERT INTO outbox (body, created_at) VALUES (?, ?)", rows)
        return len(rows)

    def read(self, limit: int = 500) -> list[OutboxRow]:
        """The oldest ``limit`` rows, in the order they were appended."""
        with self._lock:
            cursor = self._db.execute("SELECT id, body FROM outbox ORDER BY id LIMIT ?", (limit,))
            return [OutboxRow(int(i), str(b)) for i, b in cursor]

    def ack(self, rows: Sequence[OutboxRow]) -> None:
        """Delete ``rows``: call only after the analytics store committed them."""
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(r.id,) for r in rows])

    def dead_letter(self, row: OutboxRow, reason: str) -> None:
        """Move ``row`` out of the queue, keeping it and ``reason`` for a person to look at."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO dead_letters (id, body, reason, failed_at) "
                "VALUES (?, ?, ?, ?)",
                (row.id, row.body, reason, time.time()),
            )
            self._db.execute("DELETE FROM outbox WHERE id = ?", (row.id,))

    def erase(self, sender_id: str) -> int:
        """Delete one conversation's queued and dead-lettered events (right to erasure).

        The deleted bytes are overwritten (``secure_delete``, whatever SQLite's build
        default) and the write-ahead log, which holds old page copies, is emptied.
        """
        with self._lock:
            self._db.execute("PRAGMA secure_delete=ON")
        with self._transaction():
            removed = 0
            for table in ("outbox", "dead_letters"):
                cursor = self._db.execute(
                    f"DELETE FROM {table} WHERE json_valid(body) "  # noqa: S608 - fixed names
                    "AND json_extract(body, '$.sender_id') = ?",
                    (sender_id,),
                )
                removed += cursor.rowcount
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed

    def pending(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def dead_letters(self) -> list[tuple[int, str]]:
        """``(id, reason)`` of every row the consumer could not read."""
        with self._lock:
            rows = self._db.execute("SELECT id, reason FROM dead_letters ORDER BY id")
            return [(int(i), str(r)) for i, r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on an error)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db = db
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        try:
            self._db.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self._lock.release()
