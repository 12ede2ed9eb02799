"""The KPI and doc-SQL tests of tests/unit/bot/analytics, on a real PostgreSQL database.

The same test functions run here with ``db`` bound to a fresh database on
127.0.0.1:5432 (skipped when none listens), so every query is checked on both
dialects the store supports.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from tests.unit.bot.analytics.kpi_rows import load
from tests.unit.bot.analytics.test_kpi import *  # noqa: F403  (the tests, rerun on PostgreSQL)
from tests.unit.bot.analytics.test_kpi_doc import *  # noqa: F403  (the doc's SQL, too)

pytestmark = pytest.mark.postgres

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL, dropped afterwards."""
    if not reachable(5432):
        pytest.skip("PostgreSQL is not on 127.0.0.1:5432")
    name = f"analytics_{uuid.uuid4().hex[:12]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(postgres_url: str) -> Iterator[Session]:  # overrides the SQLite one
    engine = create_engine(postgres_url)
    load(engine)
    try:
        with Session(engine) as session:
            yield session
    finally:
        from bot.analytics import models

        models.Base.metadata.drop_all(engine)
        engine.dispose()
