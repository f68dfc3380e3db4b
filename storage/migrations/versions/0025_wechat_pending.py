"""The WeChat door: what a person's next text means after a menu choice that needs words (a
head's reply, a resident's reason for "not fixed", photos waiting for the report's text)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # CREATE TABLE only (see 0002 for why SQLite must never copy a table here).
    op.create_table(
        "wechat_pending",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("photos", sa.String(length=200), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_wechat_pending_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("openid", name=op.f("pk_wechat_pending")),
    )


def downgrade() -> None:
    op.drop_table("wechat_pending")
