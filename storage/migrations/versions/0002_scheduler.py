"""scheduler: reminder, escalation and closing state on tickets, snoozes, digest claims, and the
indexes of the digest's aggregates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 06:36:04.746205
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only ADD COLUMN and CREATE INDEX: SQLite does those in place. A batch "move and copy" of
# tickets would DROP the old table, and with foreign_keys=ON that DROP deletes every row of the
# tables that reference tickets ON DELETE CASCADE.
# So parent_id gets its REFERENCES clause with the column rather than a separate constraint.

TICKET_INDEXES: tuple[tuple[str, list[str]], ...] = (
    ("ix_tickets_community_status_created", ["community_id", "status", "created_at"]),
    ("ix_tickets_community_created", ["community_id", "created_at"]),
    ("ix_tickets_community_taken", ["community_id", "taken_at"]),
    ("ix_tickets_community_resolved", ["community_id", "resolved_at"]),
    ("ix_tickets_community_closed", ["community_id", "closed_at"]),
    ("ix_tickets_holder_resolved", ["holder_id", "resolved_at"]),
    ("ix_tickets_parent_id", ["parent_id"]),
)
TICKET_TIMES = (
    "nudged_at",
    "nudge_since",
    "idle_reminded_at",
    "confirm_reminded_at",
    "escalation_at",
    "autoclosed_at",
    "followup_sent_at",
)


def upgrade() -> None:
    op.add_column("communities", sa.Column("digest_sent_on", sa.Date(), nullable=True))
    op.add_column("communities", sa.Column("weekly_sent_on", sa.Date(), nullable=True))
    op.add_column("people", sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "tickets", sa.Column("nudges_sent", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "tickets", sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False)
    )
    for name in TICKET_TIMES:
        op.add_column("tickets", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("escalation_reason", sa.String(length=16), nullable=True))
    op.add_column("tickets", sa.Column("followup_answer", sa.String(length=8), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause in place (NULL default), but alembic
        # would want a separate constraint, which SQLite cannot ALTER in.
        op.execute(
            "ALTER TABLE tickets ADD COLUMN parent_id INTEGER "
            "CONSTRAINT fk_tickets_parent_id_tickets REFERENCES tickets (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("tickets", sa.Column("parent_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_tickets_parent_id_tickets",
            "tickets",
            "tickets",
            ["parent_id"],
            ["id"],
            ondelete="SET NULL",
        )
    for name, columns in TICKET_INDEXES:
        op.create_index(name, "tickets", columns, unique=False)
    op.create_index(
        "ix_ticket_events_ticket_kind_created",
        "ticket_events",
        ["ticket_id", "kind", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason as above: no table copy.
    op.drop_index("ix_ticket_events_ticket_kind_created", table_name="ticket_events")
    for name, _ in reversed(TICKET_INDEXES):
        op.drop_index(name, table_name="tickets")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_tickets_parent_id_tickets", "tickets", type_="foreignkey")
    for name in (
        "parent_id",
        "followup_answer",
        "escalation_reason",
        *reversed(TICKET_TIMES),
        "escalation_level",
        "nudges_sent",
    ):
        op.drop_column("tickets", name)
    op.drop_column("people", "snoozed_until")
    op.drop_column("communities", "weekly_sent_on")
    op.drop_column("communities", "digest_sent_on")
