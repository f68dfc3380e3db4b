"""The points bank (积分银行): accounts, the append-only ledger (triggers refuse UPDATE and
DELETE on it, on SQLite and PostgreSQL), the office's catalogue and the redemptions

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSAL = "points_entries is append-only: write a correction entry instead"


def _fk(
    table: str, column: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "points_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("points_accounts", "person_id", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_accounts")),
        sa.UniqueConstraint("person_id", name=op.f("uq_points_accounts_person_id")),
    )
    op.create_table(
        "points_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("once", sa.String(length=120), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("points_entries", "community_id", "communities"),
        _fk("points_entries", "account_id", "points_accounts"),
        _fk("points_entries", "approved_by_id", "points_accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entries")),
        sa.UniqueConstraint("once", name=op.f("uq_points_entries_once")),
    )
    op.create_index(
        "ix_points_entries_account_created", "points_entries", ["account_id", "created_at"]
    )
    op.create_index(
        "ix_points_entries_community_created", "points_entries", ["community_id", "created_at"]
    )
    op.create_table(
        "reward_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("reward_items", "community_id", "communities", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_items")),
    )
    op.create_index(op.f("ix_reward_items_community_id"), "reward_items", ["community_id"])
    op.create_table(
        "redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("handed_at", sa.DateTime(timezone=True), nullable=True),
        _fk("redemptions", "community_id", "communities", "CASCADE"),
        _fk("redemptions", "item_id", "reward_items", "CASCADE"),
        _fk("redemptions", "account_id", "points_accounts"),
        _fk("redemptions", "decided_by_id", "points_accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemptions")),
    )
    op.create_index(op.f("ix_redemptions_community_id"), "redemptions", ["community_id"])
    op.create_index(op.f("ix_redemptions_account_id"), "redemptions", ["account_id"])
    _append_only()


def _append_only() -> None:
    """The database itself refuses to edit or remove a ledger line, whatever code tries."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER points_entries_no_{verb.lower()} BEFORE {verb} ON points_entries "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION points_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER points_entries_append_only BEFORE UPDATE OR DELETE ON points_entries "
        "FOR EACH ROW EXECUTE FUNCTION points_entries_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS points_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS points_entries_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS points_entries_append_only ON points_entries")
        op.execute("DROP FUNCTION IF EXISTS points_entries_append_only()")
    op.drop_table("redemptions")
    op.drop_table("reward_items")
    op.drop_table("points_entries")
    op.drop_table("points_accounts")
