"""One catalogue item of a name per community: a double click on the console's "Add" wrote the
item twice. Items already doubled keep their first; the later ones get their id after the name
(the office sees both, renames or withdraws one). The form's one-time key is kept with the item,
so that form posted again answers as the first did.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_LIMIT = 100  # storage.models.RewardItem.name, as it is at this revision


def upgrade() -> None:
    # ADD COLUMN and CREATE INDEX: SQLite does both in place (see 0029).
    op.add_column("reward_items", sa.Column("once", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, community_id, name FROM reward_items ORDER BY id")
    ).all()
    seen: set[tuple[int, str]] = set()
    for item_id, community_id, name in rows:
        key = (community_id, name.lower())
        if key not in seen:
            seen.add(key)
            continue
        suffix = f" #{item_id}"
        renamed = name[: NAME_LIMIT - len(suffix)] + suffix
        seen.add((community_id, renamed.lower()))
        connection.execute(
            sa.text("UPDATE reward_items SET name = :name WHERE id = :id"),
            {"name": renamed, "id": item_id},
        )
    op.create_index(
        "ux_reward_items_community_name",
        "reward_items",
        ["community_id", "name"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_reward_items_community_name", table_name="reward_items")
    op.drop_column("reward_items", "once")
