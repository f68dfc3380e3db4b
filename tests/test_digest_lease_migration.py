"""Migration 0029 (the morning digest's lease) up and down on SQLite and PostgreSQL: a
community keeps its digest day across both, and the lease column comes and goes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.db import Database, head_revision
from tests.test_contacts_migration import _downgrade_to, _upgrade_to
from tests.test_contacts_migration import pg_url as pg_url_fixture

pg_url = pg_url_fixture

COMMUNITY = (
    "INSERT INTO communities (id, name, timezone, settings, ticket_seq, created_at, "
    "digest_sent_on) VALUES (1, 'C', 'Asia/Shanghai', '{}', 1, '2026-11-01 00:00:00', "
    "'2026-12-05')"
)
BUILDING = (
    "INSERT INTO buildings (id, community_id, code, name, address, join_token, created_at) "
    "VALUES (1, 1, 'A1', 'A1', '', 'tok', '2026-11-01 00:00:00')"
)


async def _scalar(db: Database, sql: str) -> object:
    async with db.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar()


async def _columns(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        if db.is_sqlite:
            rows = await connection.execute(text("PRAGMA table_info(communities)"))
            return {r[1] for r in rows}
        rows = await connection.execute(
            text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'communities' AND table_schema = current_schema()"
            )
        )
        return {r[0] for r in rows}


async def _check(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade_to("0028"))  # type: ignore[arg-type]
        await connection.execute(text(COMMUNITY))
        await connection.execute(text(BUILDING))
    assert "digest_lease_until" not in await _columns(db)
    await db.migrate()
    assert "digest_lease_until" in await _columns(db)
    assert await _scalar(db, "SELECT digest_lease_until FROM communities") is None
    async with db.engine.begin() as connection:
        await connection.execute(
            text("UPDATE communities SET digest_lease_until = '2026-12-06 00:02:00'")
        )
        await connection.run_sync(_downgrade_to("0028"))  # type: ignore[arg-type]
    assert "digest_lease_until" not in await _columns(db)
    assert str(await _scalar(db, "SELECT digest_sent_on FROM communities")) == "2026-12-05"
    assert await _scalar(db, "SELECT count(*) FROM buildings") == 1  # no table copy cascaded
    await db.migrate()  # and up again
    assert await _scalar(db, "SELECT version_num FROM alembic_version") == head_revision()


async def test_migration_0029_up_and_down_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await _check(db)
    finally:
        await db.close()


async def test_migration_0029_up_and_down_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await _check(db)
    finally:
        await db.close()
