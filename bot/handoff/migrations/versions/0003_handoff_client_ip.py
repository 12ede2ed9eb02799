"""The customer's client address on a handoff, for the per-address limit of waiting requests.

Revision ID: 0003_handoff_client_ip
Revises: 0002_login_throttle
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_handoff_client_ip"
down_revision = "0002_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("client_ip", sa.String(64), nullable=True))
        batch.create_index("ix_handoffs_client_ip", ["client_ip"])


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_index("ix_handoffs_client_ip")
        batch.drop_column("client_ip")
