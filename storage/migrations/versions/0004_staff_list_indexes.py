"""indexes of the staff lists (/tickets): a page costs the same however long the history

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# CREATE INDEX only: SQLite does it in place (no batch copy of tickets; see 0002 for why a copy
# would delete the rows that reference it).
INDEXES: tuple[tuple[str, list[str]], ...] = (
    # The status filters: the unfinished tickets, whatever the history.
    ("ix_tickets_status_created", ["status", "created_at"]),
    # "all" for a head: one building's tickets, newest first.
    ("ix_tickets_building_created", ["building_id", "created_at"]),
)


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "tickets", columns)


def downgrade() -> None:
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="tickets")
