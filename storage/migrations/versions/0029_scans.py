"""The morning digest's lease: an instance claims a community's digest before gathering its
figures (so N instances share the communities instead of each gathering all of them), and the
lease runs out if that instance dies before sending (so the digest is never lost)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ADD COLUMN and plain DROP COLUMN only: SQLite does both in place (a batch copy of communities
# would DROP it, and with foreign_keys=ON that deletes every building and ticket; see 0002).


def upgrade() -> None:
    op.add_column(
        "communities", sa.Column("digest_lease_until", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("communities", "digest_lease_until")
