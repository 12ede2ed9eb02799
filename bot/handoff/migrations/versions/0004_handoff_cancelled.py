"""A customer may take back a request for a person while waiting: status ``cancelled``.

Revision ID: 0004_handoff_cancelled
Revises: 0003_handoff_client_ip
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0004_handoff_cancelled"
down_revision = "0003_handoff_client_ip"
branch_labels = None
depends_on = None

OLD = "status IN ('waiting', 'assigned', 'resolved', 'returned')"
NEW = "status IN ('waiting', 'assigned', 'resolved', 'returned', 'cancelled')"


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_constraint("ck_handoffs_status", type_="check")
        batch.create_check_constraint("ck_handoffs_status", NEW)


def downgrade() -> None:
    # Cancelled requests were closed ones; the old schema calls that "returned".
    op.execute("UPDATE handoffs SET status = 'returned' WHERE status = 'cancelled'")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_constraint("ck_handoffs_status", type_="check")
        batch.create_check_constraint("ck_handoffs_status", OLD)
