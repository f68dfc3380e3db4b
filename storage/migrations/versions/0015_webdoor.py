"""the web door: photos residents send from a phone's browser (stored in the database, so the
Telegram delivery of any instance can upload them to a head)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
# The integrator renumbers this one after the migrations landing beside it.
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # CREATE TABLE only (see 0002 for why SQLite must never copy a table here).
    op.create_table(
        "web_files",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_web_files_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_web_files")),
    )
    op.create_index(op.f("ix_web_files_person_id"), "web_files", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_web_files_person_id"), table_name="web_files")
    op.drop_table("web_files")
