"""work orders (the whistle, 吹哨): tickets forwarded to an outside department, with their
answers and reminders; the communities count their work orders

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
# The integrator renumbers this one after the migrations landing beside it.
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # CREATE TABLE and ADD COLUMN only (see 0002 for why SQLite must never copy a table here).
    op.add_column(
        "communities",
        sa.Column("work_order_seq", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_table(
        "work_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("department_names", sa.JSON(), nullable=False),
        sa.Column("forwarded_by", sa.Integer(), nullable=True),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("door", sa.String(length=16), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_work_orders_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_work_orders_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["forwarded_by"],
            ["people.id"],
            name=op.f("fk_work_orders_forwarded_by_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["people.id"],
            name=op.f("fk_work_orders_answered_by_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("community_id", "reference", name=op.f("uq_work_orders_community_id")),
    )
    op.create_index("ix_work_orders_ticket_forwarded", "work_orders", ["ticket_id", "forwarded_at"])
    op.create_index(
        "ix_work_orders_community_answered", "work_orders", ["community_id", "answered_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_work_orders_community_answered", table_name="work_orders")
    op.drop_index("ix_work_orders_ticket_forwarded", table_name="work_orders")
    op.drop_table("work_orders")
    with op.batch_alter_table("communities") as batch:
        batch.drop_column("work_order_seq")
