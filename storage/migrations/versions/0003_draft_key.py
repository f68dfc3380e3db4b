"""draft key on tickets: Send pressed twice for one draft files one ticket

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 08:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN and CREATE INDEX only (no batch copy of tickets; see 0002).
    op.add_column("tickets", sa.Column("draft_key", sa.String(length=32), nullable=True))
    op.create_index("ix_tickets_author_draft", "tickets", ["author_id", "draft_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_tickets_author_draft", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("draft_key")
