"""share_description on tickets: the author agreed that neighbours with the same problem may
read the description (the me-too offer, a follower's card); off unless chosen

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN only (no batch copy of tickets; see 0002). Every existing ticket: not shared.
    op.add_column(
        "tickets",
        sa.Column("share_description", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("share_description")
