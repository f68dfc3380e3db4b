"""outbox intents: a row records what is meant (kind: text, media, chart, location, card,
join_card) for an address in a channel, instead of a Bot API method for a Telegram chat; each
door's delivery renders it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "CASE method WHEN 'sendMessage' THEN 'text' WHEN 'sendVoice' THEN 'media' "
    "WHEN 'sendLocation' THEN 'location' WHEN 'card' THEN 'card' "
    "WHEN 'join_card' THEN 'join_card' "
    "WHEN 'sendPhoto' THEN CASE WHEN payload LIKE '%\"photo_png\"%' THEN 'chart' ELSE 'media' END "
    "ELSE method END"
)
METHODS = (
    "CASE kind WHEN 'text' THEN 'sendMessage' WHEN 'location' THEN 'sendLocation' "
    "WHEN 'chart' THEN 'sendPhoto' "
    "WHEN 'media' THEN CASE WHEN payload LIKE '%\"voice\"%' THEN 'sendVoice' ELSE 'sendPhoto' END "
    "ELSE kind END"
)


def _recreate() -> Literal["always", "auto"]:
    # Nothing references the outbox, so SQLite may copy it (no cascade to fear); PostgreSQL
    # alters in place.
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
    payload = "CAST(payload AS TEXT)" if op.get_bind().dialect.name == "postgresql" else "payload"
    op.execute(
        "UPDATE outbox SET channel = 'telegram', address = CAST(chat_id AS VARCHAR(128)), "
        f"kind = {KINDS.replace('payload', payload)}"
    )
    with op.batch_alter_table("outbox", recreate=_recreate()) as batch:
        batch.alter_column("channel", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("address", existing_type=sa.String(length=128), nullable=False)
        batch.alter_column("kind", existing_type=sa.String(length=16), nullable=False)
        batch.drop_column("chat_id")
        batch.drop_column("method")
        batch.create_index("ix_outbox_recipient", ["channel", "address", "status"], unique=False)


def downgrade() -> None:
    # Rows for another channel than Telegram cannot go back: they are dropped.
    op.execute("DELETE FROM outbox WHERE channel != 'telegram'")
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("method", sa.String(length=32), nullable=True))
    payload = "CAST(payload AS TEXT)" if op.get_bind().dialect.name == "postgresql" else "payload"
    op.execute(
        "UPDATE outbox SET chat_id = CAST(address AS BIGINT), "
        f"method = {METHODS.replace('payload', payload)}"
    )
    with op.batch_alter_table("outbox", recreate=_recreate()) as batch:
        batch.drop_index("ix_outbox_recipient")
        batch.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("method", existing_type=sa.String(length=32), nullable=False)
        batch.drop_column("kind")
        batch.drop_column("address")
        batch.drop_column("channel")
