"""Alembic builds the schema from nothing and takes it back down, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.handoff import HandoffSettings
from bot.handoff.db import current_revision, downgrade, head_revision, make_engine, migrate

from .conftest import running, with_db

TABLES = {
    "users",
    "sessions",
    "handoffs",
    "messages",
    "notes",
    "tickets",
    "audit_log",
    "login_throttle",
}


def round_trip(url: str) -> None:
    engine = make_engine(url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == head_revision()
        schema = inspect(engine)
        assert set(schema.get_table_names()) >= TABLES
        unique = {tuple(u["column_names"]) for u in schema.get_unique_constraints("messages")}
        assert ("conversation_id", "seq") in unique
        indexes = {i["name"]: i for i in schema.get_indexes("handoffs")}
        assert indexes["uq_handoffs_active_conversation"]["unique"]
        migrate(engine)  # again: a no-op, as on every start
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert not TABLES & set(inspect(engine).get_table_names())
        migrate(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_sqlite_from_empty_and_back(tmp_path: Path) -> None:
    round_trip(f"sqlite:///{tmp_path / 'nested' / 'handoff.db'}")
    assert (tmp_path / "nested" / "handoff.db").exists()


@pytest.mark.postgres
def test_postgresql_from_empty_and_back(postgres_url: str) -> None:
    round_trip(postgres_url)


@pytest.mark.postgres
async def test_the_whole_service_on_postgresql(
    settings: HandoffSettings, postgres_url: str
) -> None:
    async with running(with_db(settings, postgres_url)) as h:
        h.gateway.customer_says("pg1", "a person please")
        first = await h.request_handoff("pg1", priority=3)
        assert first.status_code == 201
        assert (await h.request_handoff("pg1")).status_code == 200
        h.gateway.customer_says("pg1", "still there?")
        await h.user("ana@example.com", "Ana")
        ana = await h.console("ana@example.com")
        handoff_id = first.json()["id"]
        assert (await ana.act(handoff_id, "claim")).status_code == 200
        assert (await ana.act(handoff_id, "reply", {"text": "Yes!"})).status_code == 200
        await h.sync("pg1")
        await h.sync("pg1")
        texts = [m.text for m in h.runtime.store.messages(handoff_id)]
        assert texts == ["still there?", "Ana from our team has joined the conversation.", "Yes!"]
        assert (await ana.act(handoff_id, "resolve")).status_code == 200
        assert [e.action for e in h.audit() if e.actor == "ana@example.com"] == [
            "login",
            "claim",
            "reply",
            "resolve",
        ]


def test_a_bad_database_url_says_what_to_write() -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="postgresql\\+psycopg"):
        make_engine("not a url")
    with pytest.raises(ConfigError, match="psycopg"):
        make_engine("postgresql+nodriver://u@h/db")
