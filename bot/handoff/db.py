"""Database engines and migrations of the handoff service.

A SQLite database file is created owner-only (0600): it holds transcripts.
``migrate`` runs Alembic programmatically (``serve`` and ``migrate`` call it);
the schema's history lives in ``bot/handoff/migrations/versions``. The pieces
are :mod:`bot.database`'s, shared with the analytics store.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Engine

from bot import database
from bot.database import owner_only

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "migrate",
    "owner_only",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATIONS = database.Migrations(MIGRATIONS_DIR)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite's folder is created, its threads check is off."""
    return database.make_engine(url, variable="TANDEM_HANDOFF_DB_URL", example="handoff.db")


def alembic_config() -> Config:
    return MIGRATIONS.config()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (upgrade); safe to run on every start."""
    MIGRATIONS.upgrade(engine, revision)


def downgrade(engine: Engine, revision: str) -> None:
    MIGRATIONS.downgrade(engine, revision)


def current_revision(engine: Engine) -> str | None:
    return MIGRATIONS.current(engine)


def head_revision() -> str | None:
    return MIGRATIONS.head()
