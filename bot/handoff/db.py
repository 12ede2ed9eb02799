"""Database engines and migrations.

A SQLite database file is created owner-only (0600): it holds transcripts.
``migrate`` runs Alembic programmatically (``serve`` and ``migrate`` call it),
so a deployment needs no ``alembic.ini``; the schema's history lives in
``bot/handoff/migrations/versions``. SQLite gets the pragmas that make it
behave under a threaded server: foreign keys, WAL and a busy timeout.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


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


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite's folder is created, its threads check is off."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(
            f"TANDEM_HANDOFF_DB_URL={url!r} is not a database URL; use sqlite:///path/handoff.db "
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
            f"No driver for {parsed.drivername!r}; for PostgreSQL use postgresql+psycopg:// "
            "(psycopg 3 is installed with the actions venv)."
        ) from e
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (upgrade); safe to run on every start."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
