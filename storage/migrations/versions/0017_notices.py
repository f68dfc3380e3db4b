"""Notices (通知): the notices, the copies delivered (for corrections and withdrawals), the
residents' mutes, and the outbox's link to a notice

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
# The integrator renumbers this one after the migrations landing beside it.
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("building_ids", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_notices_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["people.id"],
            name=op.f("fk_notices_author_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index("ix_notices_status_send_at", "notices", ["status", "send_at"])
    op.create_index("ix_notices_author_created", "notices", ["author_id", "created_at"])
    op.create_table(
        "notice_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_notice_copies_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_notice_copies_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_copies")),
    )
    op.create_index("ix_notice_copies_notice", "notice_copies", ["notice_id", "part"])
    op.create_table(
        "notice_mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_notice_mutes_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_notice_mutes_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_mutes")),
        sa.UniqueConstraint("person_id", "building_id", name=op.f("uq_notice_mutes_person_id")),
    )
    op.create_index(
        op.f("ix_notice_mutes_building_id"), "notice_mutes", ["building_id"], unique=False
    )
    # A nullable column with a reference: SQLite adds it in place (ALTER TABLE ADD COLUMN
    # takes REFERENCES when the default is NULL), so the outbox is never copied (see 0002).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE outbox ADD COLUMN notice_id INTEGER "
            "REFERENCES notices (id) ON DELETE CASCADE"
        )
    else:
        op.add_column("outbox", sa.Column("notice_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_outbox_notice_id_notices"),
            "outbox",
            "notices",
            ["notice_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index("ix_outbox_notice_status", "outbox", ["notice_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_notice_status", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("notice_id")
    op.drop_index(op.f("ix_notice_mutes_building_id"), table_name="notice_mutes")
    op.drop_table("notice_mutes")
    op.drop_index("ix_notice_copies_notice", table_name="notice_copies")
    op.drop_table("notice_copies")
    op.drop_index("ix_notices_author_created", table_name="notices")
    op.drop_index("ix_notices_status_send_at", table_name="notices")
    op.drop_table("notices")
