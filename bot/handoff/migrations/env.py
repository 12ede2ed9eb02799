"""Alembic environment: runs on the connection :func:`bot.handoff.db.migrate` passes.

Run from the command line, it builds an engine from ``TANDEM_HANDOFF_DB_URL``
(``python -m bot.handoff migrate`` is the usual way).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.handoff.db import make_engine
from bot.handoff.models import Base
from bot.handoff.settings import HandoffSettings

target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(HandoffSettings.from_env().db_url)
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
