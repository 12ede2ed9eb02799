"""Alembic's revision 0001 builds exactly the models' tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from bot.analytics.db import (
    VERSION_TABLE,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    migrate,
    sessionmaker_for,
)
from bot.analytics.models import Base
from bot.errors import ConfigError


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parent: name != VERSION_TABLE,
            },
        )
        return list(compare_metadata(context, Base.metadata))


def test_the_migrated_schema_is_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() == "0001_analytics"
    assert differences(engine) == []
    assert set(inspect(engine).get_table_names()) == {*Base.metadata.tables, VERSION_TABLE}


def test_migrations_go_down_and_up_again(engine: Engine) -> None:
    migrate(engine)  # again: a no-op, as on every start
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {VERSION_TABLE}
    migrate(engine)
    assert differences(engine) == []


def test_a_sqlite_store_is_owner_only(tmp_path: Path) -> None:
    sessions = sessionmaker_for(f"sqlite:///{tmp_path / 'nested' / 'analytics.db'}")
    with sessions() as session:
        assert session.get_bind().dialect.name == "sqlite"
    assert stat.S_IMODE((tmp_path / "nested" / "analytics.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "nested").stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("url", "message"),
    [("not a url", "TANDEM_ANALYTICS_DB_URL"), ("nosuchdb://x", "TANDEM_ANALYTICS_DB_URL")],
)
def test_bad_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_engine(url)


@pytest.mark.postgres
def test_one_postgresql_database_holds_the_handoff_service_and_analytics(
    postgres_url: str,
) -> None:
    """Both have ``sessions`` and ``handoffs`` tables: analytics goes in its own schema."""
    from sqlalchemy import text

    from bot.handoff.db import make_engine as handoff_engine
    from bot.handoff.db import migrate as migrate_handoff

    handoff = handoff_engine(postgres_url)
    migrate_handoff(handoff)
    with handoff.begin() as connection:
        connection.execute(text("CREATE SCHEMA analytics"))
    analytics = make_engine(postgres_url + "?options=-csearch_path%3Danalytics")
    try:
        migrate(analytics)
        assert current_revision(analytics) == head_revision()
        assert differences(analytics) == []
        schema = inspect(handoff)
        assert set(Base.metadata.tables) <= set(schema.get_table_names(schema="analytics"))
        assert {"users", "handoffs", "sessions", "alembic_version"} <= set(schema.get_table_names())
    finally:
        analytics.dispose()
        handoff.dispose()
