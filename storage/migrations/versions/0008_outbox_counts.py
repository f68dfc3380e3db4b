"""outbox counts: sent and failed notifications per day, kept when the rows (whose payloads hold
residents' words) are purged after OUTBOX_RETENTION_DAYS

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # CREATE TABLE only (see 0002 for why SQLite must never copy a table here).
    op.create_table(
        "outbox_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "status", name=op.f("pk_outbox_counts")),
    )


def downgrade() -> None:
    op.drop_table("outbox_counts")
