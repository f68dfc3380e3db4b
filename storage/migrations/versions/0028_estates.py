"""Estates (小区): an optional estate name on each building, and the weekly coverage count per
estate beside the community's (coverage_weeks, 0022)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A column, not an estates table: an estate is only a name the office groups buildings by (no
# staff, no settings of its own), so a table would add a join and a foreign key to every import
# and every count for nothing. Only ADD COLUMN and CREATE TABLE: SQLite does those in place (a
# batch copy of buildings would DROP it, and with foreign_keys=ON that deletes every
# membership, ticket and flat of it; see 0002).


def upgrade() -> None:
    op.add_column(
        "buildings",
        sa.Column("estate", sa.String(length=100), server_default="", nullable=False),
    )
    op.create_table(
        "coverage_estate_weeks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("estate", sa.String(length=100), nullable=False),
        sa.Column("buildings", sa.Integer(), nullable=False),
        sa.Column("with_head", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_coverage_estate_weeks_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_estate_weeks")),
        sa.UniqueConstraint(
            "community_id", "week", "estate", name=op.f("uq_coverage_estate_weeks_community_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("coverage_estate_weeks")
    # Plain DROP COLUMN (SQLite 3.35+): no table copy, for the reason above.
    op.drop_column("buildings", "estate")
