"""Migration 0031 (one catalogue item of a name per community) on SQLite and PostgreSQL: the
items a double click already doubled keep the first as it was, the later ones get their id
after the name, another community's item of that name is left alone, and going down and up
again works."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.db import Database
from tests.test_contacts_migration import _downgrade_to, _upgrade_to
from tests.test_contacts_migration import pg_url as pg_url_fixture

pg_url = pg_url_fixture

BEFORE = [
    "INSERT INTO communities (id, name, timezone, settings, ticket_seq, created_at) "
    "VALUES (1, 'C', 'Asia/Shanghai', '{}', 1, '2026-11-01 00:00:00'), "
    "(2, 'D', 'Asia/Shanghai', '{}', 1, '2026-11-01 00:00:00')",
    "INSERT INTO reward_items (id, community_id, name, price, stock, active, created_at) "
    "VALUES (1, 1, 'Rice 5kg', 8, 2, true, '2026-12-01 00:00:00'), "
    "(2, 1, 'Rice 5kg', 8, 2, true, '2026-12-01 00:00:00'), "
    "(3, 1, 'rice 5KG', 9, 1, false, '2026-12-02 00:00:00'), "
    "(4, 2, 'Rice 5kg', 8, 2, true, '2026-12-01 00:00:00'), "
    "(5, 1, 'Oil', 5, 1, true, '2026-12-01 00:00:00')",
]


async def _names(db: Database) -> list[tuple[int, int, str]]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT id, community_id, name FROM reward_items ORDER BY id")
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def _check(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade_to("0030"))  # type: ignore[arg-type]
        for sql in BEFORE:
            await connection.execute(text(sql))
    await db.migrate()
    assert await _names(db) == [
        (1, 1, "Rice 5kg"),
        (2, 1, "Rice 5kg #2"),
        (3, 1, "rice 5KG #3"),
        (4, 2, "Rice 5kg"),
        (5, 1, "Oil"),
    ]
    async with db.engine.connect() as connection:
        async with connection.begin():
            await connection.run_sync(_downgrade_to("0030"))  # type: ignore[arg-type]
        version = await connection.execute(text("SELECT version_num FROM alembic_version"))
        assert version.scalar() == "0030"
    await db.migrate()  # and up again
    assert len(await _names(db)) == 5


async def test_migration_0031_up_and_down_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await _check(db)
    finally:
        await db.close()


async def test_migration_0031_up_and_down_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await _check(db)
    finally:
        await db.close()
