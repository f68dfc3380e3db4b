"""Community vote rules: a community's own thresholds beside the two presets, and the exact
thresholds each vote was opened with

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # CREATE TABLE and ADD COLUMN only (see 0002 for why SQLite must never copy a table here).
    op.create_table(
        "vote_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("turnout", sa.String(length=16), nullable=False),
        sa.Column("approve", sa.String(length=16), nullable=False),
        sa.Column("turnout_strict", sa.Boolean(), nullable=False),
        sa.Column("approve_strict", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_vote_rules_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["people.id"],
            name=op.f("fk_vote_rules_created_by_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_rules")),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_vote_rules_community_id")),
    )
    op.create_index(op.f("ix_vote_rules_community_id"), "vote_rules", ["community_id"])
    op.add_column("votes", sa.Column("rule_spec", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("votes") as batch:
        batch.drop_column("rule_spec")
    op.drop_index(op.f("ix_vote_rules_community_id"), table_name="vote_rules")
    op.drop_table("vote_rules")
