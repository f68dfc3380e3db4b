"""delivery instances: who holds the outbox's claims, so a restarted process takes back its dead
predecessor's at once instead of waiting for the lease

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# CREATE TABLE only (no batch copy of an existing table; see 0002).
def upgrade() -> None:
    op.create_table(
        "delivery_instances",
        sa.Column("instance_id", sa.String(length=128), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_delivery_instances")),
    )


def downgrade() -> None:
    op.drop_table("delivery_instances")
