"""contacts: a person is reached through (channel, address) pairs, not a Telegram id; every
people.telegram_id becomes a "telegram" contact and the column goes. contact_codes: the one-time
codes that link a second door to a person.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _contacts_and_codes() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_contacts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_contacts_channel")),
    )
    op.create_index(op.f("ix_contacts_person_id"), "contacts", ["person_id"], unique=False)
    op.create_table(
        "contact_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_contact_codes_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_contact_codes_code_hash")),
    )
    op.create_index(
        op.f("ix_contact_codes_person_id"), "contact_codes", ["person_id"], unique=False
    )


def _foreign_keys_off_on_sqlite() -> None:
    """SQLite cannot drop a UNIQUE column in place: the batch below copies people into a new
    table and drops the old one. With foreign keys enforced that DROP would delete every
    membership, scope and join-request copy (ON DELETE CASCADE) and blank every ticket's author
    (SET NULL). Database.migrate turns them off
    before its transaction (the pragma is a no-op inside one); refuse rather than lose data."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        has_people = bind.exec_driver_sql("SELECT 1 FROM people LIMIT 1").first() is not None
        if has_people:
            raise RuntimeError(
                "migration 0009 must run with PRAGMA foreign_keys=OFF on SQLite "
                "(storage.db.Database.migrate does that); nothing was changed"
            )


def _recreate() -> Literal["always", "auto"]:
    # SQLite: copy the table (it cannot drop a UNIQUE column); PostgreSQL: ALTER in place.
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    _foreign_keys_off_on_sqlite()
    _contacts_and_codes()
    op.execute(
        "INSERT INTO contacts (person_id, channel, address, last_used_at, created_at) "
        "SELECT id, 'telegram', CAST(telegram_id AS VARCHAR(128)), created_at, created_at "
        "FROM people"
    )
    with op.batch_alter_table("people", recreate=_recreate()) as batch:
        batch.drop_constraint("uq_people_telegram_id", type_="unique")
        batch.drop_column("telegram_id")


def downgrade() -> None:
    # A person without a Telegram contact gets a negative placeholder id (unique, never a
    # Telegram user); one with several keeps the most recently used.
    _foreign_keys_off_on_sqlite()
    with op.batch_alter_table("people", recreate=_recreate()) as batch:
        batch.add_column(sa.Column("telegram_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE people SET telegram_id = COALESCE(("
        "SELECT CAST(c.address AS BIGINT) FROM contacts c "
        "WHERE c.person_id = people.id AND c.channel = 'telegram' "
        "ORDER BY c.last_used_at DESC, c.id DESC LIMIT 1), -people.id)"
    )
    with op.batch_alter_table("people", recreate=_recreate()) as batch:
        batch.alter_column("telegram_id", existing_type=sa.BigInteger(), nullable=False)
        batch.create_unique_constraint("uq_people_telegram_id", ["telegram_id"])
    op.drop_index(op.f("ix_contact_codes_person_id"), table_name="contact_codes")
    op.drop_table("contact_codes")
    op.drop_index(op.f("ix_contacts_person_id"), table_name="contacts")
    op.drop_table("contacts")
