"""The outbox's urgency: when delivery is behind, a chat with a card someone must act on goes
before chats that only hear news, and those before a notice's thousands of copies (a new
report's card no longer waits for a notice to the whole community to go out first)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ADD COLUMN and plain DROP COLUMN only: SQLite does both in place (see 0029).
TELL, BULK = 1, 2  # storage.models.Urgency, as it is at this revision


def upgrade() -> None:
    op.add_column(
        "outbox",
        sa.Column("urgency", sa.SmallInteger(), nullable=False, server_default=str(TELL)),
    )
    # The copies of a notice that is not urgent, still pending at the upgrade, go last, as new
    # ones will.
    op.execute(
        sa.text(
            "UPDATE outbox SET urgency = :bulk WHERE status = 'pending' AND notice_id IN "
            "(SELECT id FROM notices WHERE NOT urgent)"
        ).bindparams(bulk=BULK)
    )


def downgrade() -> None:
    op.drop_column("outbox", "urgency")
