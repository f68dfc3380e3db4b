"""The console's "Invite" form carries a one-time key, kept with the invitation it issued: that
form posted twice (a double click, the browser sending it again) gives the same link, not two
valid ones.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN and CREATE INDEX: SQLite does both in place (see 0029).
    op.add_column("invitations", sa.Column("once", sa.String(length=32), nullable=True))
    op.create_index(
        "ux_invitations_once",
        "invitations",
        ["created_by", "building_id", "role", "once"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_invitations_once", table_name="invitations")
    op.drop_column("invitations", "once")
