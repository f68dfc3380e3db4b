"""join requests: a join by the building picker waits for the head's approval (join_policy)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# New tables and indexes only: nothing existing is copied (see 0002 for why a batch copy of a
# referenced table would delete rows on SQLite).
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "join_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=130), nullable=False),
        sa.Column("flat", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_join_requests_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["people.id"],
            name=op.f("fk_join_requests_decided_by_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_join_requests_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_requests")),
    )
    op.create_index("ix_join_requests_building_status", "join_requests", ["building_id", "status"])
    op.create_index("ix_join_requests_person_created", "join_requests", ["person_id", "created_at"])
    op.create_index(
        "ux_join_requests_pending",
        "join_requests",
        ["person_id", "building_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_table(
        "join_request_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_join_request_copies_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["join_requests.id"],
            name=op.f("fk_join_request_copies_request_id_join_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_request_copies")),
        sa.UniqueConstraint(
            "request_id", "person_id", name=op.f("uq_join_request_copies_request_id")
        ),
    )
    op.create_index(op.f("ix_join_request_copies_person_id"), "join_request_copies", ["person_id"])
    op.create_index(
        op.f("ix_join_request_copies_request_id"), "join_request_copies", ["request_id"]
    )


def downgrade() -> None:
    op.drop_table("join_request_copies")
    op.drop_index("ux_join_requests_pending", table_name="join_requests")
    op.drop_index("ix_join_requests_person_created", table_name="join_requests")
    op.drop_index("ix_join_requests_building_status", table_name="join_requests")
    op.drop_table("join_requests")
