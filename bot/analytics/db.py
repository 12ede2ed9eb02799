"""The analytics store's database: engines, sessions and Alembic migrations.

The schema's history lives in ``bot/analytics/migrations/versions`` and
records its revision in its own table, :data:`VERSION_TABLE`, so the store can
share a PostgreSQL database with the handoff service (whose history uses
Alembic's default table). Engines come from :mod:`bot.database`: SQLite files
are owner-only, with WAL and a busy timeout.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "analytics_alembic_version"
MIGRATIONS = database.Migrations(MIGRATIONS_DIR, VERSION_TABLE)


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``TANDEM_ANALYTICS_DB_URL``)."""
    return database.make_engine(url, variable="TANDEM_ANALYTICS_DB_URL", example="analytics.db")


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (upgrade); safe to run on every start."""
    MIGRATIONS.upgrade(engine, revision)


def downgrade(engine: Engine, revision: str) -> None:
    MIGRATIONS.downgrade(engine, revision)


def current_revision(engine: Engine) -> str | None:
    return MIGRATIONS.current(engine)


def head_revision() -> str | None:
    return MIGRATIONS.head()


def sessionmaker_for(url: str, *, migrated: bool = True) -> sessionmaker[Session]:
    """Sessions on ``url``'s database, its schema brought up to date first (``migrated``)."""
    engine = make_engine(url)
    if migrated:
        migrate(engine)
    return sessionmaker(engine, expire_on_commit=False)
