"""The WeChat door: the callbacks handled (WeChat retries one it got no answer to)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
# The integrator renumbers this one after the migrations landing beside it.
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_callbacks",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("wechat_callbacks")
