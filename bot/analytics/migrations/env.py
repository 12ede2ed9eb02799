"""Alembic environment: runs on the connection :func:`bot.analytics.db.migrate` passes.

Run from the command line, it builds an engine from ``TANDEM_ANALYTICS_DB_URL``.
The revision is kept in ``analytics_alembic_version``, apart from the handoff
service's history when both share one database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.analytics.db import VERSION_TABLE, make_engine
from bot.analytics.models import Base
from bot.analytics.settings import AnalyticsSettings

target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
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
    engine = make_engine(AnalyticsSettings.from_env().db_url)
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
