"""The WeChat door's report asks for its category: the words of the report wait with the
person's pending choice (``wechat_pending.text``) until they pick the kind of problem

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN only (no batch copy of the table; see 0002).
    op.add_column("wechat_pending", sa.Column("text", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("wechat_pending") as batch:
        batch.drop_column("text")
