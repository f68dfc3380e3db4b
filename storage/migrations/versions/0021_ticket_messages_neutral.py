"""ticket_messages: door-neutral (channel, address, message_ref) instead of Telegram's chat_id and
message_id; the existing rows are Telegram's

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
# The integrator renumbers this one after the migrations landing beside it.
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_messages") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("message_ref", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE ticket_messages SET channel = 'telegram', "
        "address = CAST(chat_id AS VARCHAR(128)), message_ref = CAST(message_id AS VARCHAR(64))"
    )
    with op.batch_alter_table("ticket_messages") as batch:
        batch.drop_index("ix_ticket_messages_ticket_chat")
        batch.drop_constraint("uq_ticket_messages_chat_id", type_="unique")
        batch.drop_column("chat_id")
        batch.drop_column("message_id")
        batch.alter_column("channel", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("address", existing_type=sa.String(length=128), nullable=False)
        batch.alter_column("message_ref", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(
            "uq_ticket_messages_channel", ["channel", "address", "message_ref"]
        )
        batch.create_index(
            "ix_ticket_messages_ticket_address", ["ticket_id", "channel", "address", "kind"]
        )


def downgrade() -> None:
    # Only Telegram's messages had a place in the old table.
    op.execute("DELETE FROM ticket_messages WHERE channel <> 'telegram'")
    with op.batch_alter_table("ticket_messages") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE ticket_messages SET chat_id = CAST(address AS BIGINT), "
        "message_id = CAST(message_ref AS BIGINT)"
    )
    with op.batch_alter_table("ticket_messages") as batch:
        batch.drop_index("ix_ticket_messages_ticket_address")
        batch.drop_constraint("uq_ticket_messages_channel", type_="unique")
        batch.drop_column("channel")
        batch.drop_column("address")
        batch.drop_column("message_ref")
        batch.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("message_id", existing_type=sa.BigInteger(), nullable=False)
        batch.create_unique_constraint("uq_ticket_messages_chat_id", ["chat_id", "message_id"])
        batch.create_index("ix_ticket_messages_ticket_chat", ["ticket_id", "chat_id", "kind"])
