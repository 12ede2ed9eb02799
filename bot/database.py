"""SQL databases Tandem's services own: engines, owner-only SQLite files, Alembic runs.

Shared by the handoff service (:mod:`bot.handoff.db`) and the analytics store
(:mod:`bot.analytics.db`), which may live in one database: each keeps its
Alembic history in its own version table. A SQLite database file is created
owner-only (0600), since both hold what customers wrote, and gets the pragmas
that make it behave under threaded servers: foreign keys, WAL and a busy
timeout. ``migrate`` runs Alembic programmatically, so a deployment needs no
``alembic.ini``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.errors import ConfigError

DEFAULT_VERSION_TABLE = "alembic_version"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def owner_only(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by this user only, or make it so.

    SQLite gives its ``-wal`` and ``-shm`` files the database file's mode, so
    they follow; ones left over from an older run are fixed here too.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


def make_engine(url: str, *, variable: str, example: str) -> Engine:
    """An engine for ``url`` (read from ``variable``); SQLite's file is created owner-only.

    ``example`` is the file name the error message suggests (``handoff.db``).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(
            f"{variable}={url!r} is not a database URL; use sqlite:///path/{example} "
            "or postgresql+psycopg://user:password@host:5432/db."
        ) from e
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            owner_only(Path(parsed.database))
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as e:
        raise ConfigError(
            f"No driver for {parsed.drivername!r} ({variable}); for PostgreSQL use "
            "postgresql+psycopg:// (psycopg 3 is installed with the actions venv)."
        ) from e
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Migrations:
    """One Alembic history: its scripts folder and the table that records its revision."""

    def __init__(self, directory: Path, version_table: str = DEFAULT_VERSION_TABLE) -> None:
        self.directory = directory
        self.version_table = version_table

    def config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        return config

    def upgrade(self, engine: Engine, revision: str = "head") -> None:
        """Bring the schema to ``revision``; safe to run on every start.

        On PostgreSQL the run holds a transaction-level advisory lock, so replicas
        that start together migrate one after the other instead of racing to
        create the same tables; the later ones find the schema at head.
        """
        config = self.config()
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": self.lock_key}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    @property
    def lock_key(self) -> int:
        """A stable signed 64-bit key per history (PostgreSQL advisory locks take a bigint)."""
        digest = hashlib.blake2b(self.version_table.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    def downgrade(self, engine: Engine, revision: str) -> None:
        config = self.config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)

    def current(self, engine: Engine) -> str | None:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": self.version_table}
            )
            return context.get_current_revision()

    def head(self) -> str | None:
        return ScriptDirectory.from_config(self.config()).get_current_head()
