"""The queue words a waiting customer was last sent, shared by the service's processes.

Revision ID: 0005_handoff_announced
Revises: 0004_handoff_cancelled
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_handoff_announced"
down_revision = "0004_handoff_cancelled"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("announced", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("announced")
