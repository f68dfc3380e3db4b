"""Migration 0026 (a community's own vote rules) up and down on SQLite and PostgreSQL: the
votes opened before it keep reading their preset (no kept thresholds), a rule and a vote's
kept thresholds are written after it, and going down drops both and keeps every vote."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from storage.db import Database
from tests.test_contacts_migration import _downgrade_to, _upgrade_to
from tests.test_contacts_migration import pg_url as pg_url_fixture

pg_url = pg_url_fixture
PG_URL = os.environ.get("TEST_POSTGRES_URL")

BEFORE = [
    "INSERT INTO communities (id, name, timezone, settings, ticket_seq, created_at) "
    "VALUES (1, 'C', 'Asia/Shanghai', '{}', 1, '2026-11-01 00:00:00')",
    "INSERT INTO buildings (id, community_id, code, name, address, join_token, created_at) "
    "VALUES (1, 1, 'A1', 'A1', '', 'tok', '2026-11-01 00:00:00')",
    "INSERT INTO votes (id, building_id, question, options, rule, status, deadline, "
    "created_at) VALUES (1, 1, 'Lift?', '[\"Yes\", \"No\"]', 'major', 'open', "
    "'2026-12-10 00:00:00', '2026-12-03 00:00:00')",
]
AFTER = [
    "INSERT INTO vote_rules (id, community_id, name, turnout, approve, turnout_strict, "
    "approve_strict, created_at) VALUES (1, 1, 'Garden works', '3/5', '2/3', false, false, "
    "'2026-12-04 00:00:00')",
    "INSERT INTO votes (id, building_id, question, options, rule, status, deadline, "
    "created_at, rule_spec) VALUES (2, 1, 'Trees?', '[\"Yes\", \"No\"]', 'custom', 'open', "
    "'2026-12-11 00:00:00', '2026-12-04 00:00:00', "
    '\'{"id": 1, "name": "Garden works", "turnout": "3/5", "approve": "2/3", '
    '"turnout_strict": false, "approve_strict": false}\')',
]


async def _scalar(db: Database, sql: str) -> object:
    async with db.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar()


async def _check(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade_to("0025"))  # type: ignore[arg-type]
        for sql in BEFORE:
            await connection.execute(text(sql))
    await db.migrate()
    assert await _scalar(db, "SELECT rule_spec FROM votes WHERE id = 1") is None
    async with db.engine.begin() as connection:
        for sql in AFTER:
            await connection.execute(text(sql))
    assert await _scalar(db, "SELECT count(*) FROM vote_rules") == 1
    async with db.engine.connect() as connection:
        if db.is_sqlite:
            # The batch copy of votes must not cascade to anything that hangs on it.
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await connection.commit()
        async with connection.begin():
            await connection.run_sync(_downgrade_to("0025"))  # type: ignore[arg-type]
        if db.is_sqlite:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()
    assert await _scalar(db, "SELECT count(*) FROM votes") == 2
    assert await _scalar(db, "SELECT version_num FROM alembic_version") == "0025"
    table = "sqlite_master" if db.is_sqlite else "pg_tables"
    column = "name" if db.is_sqlite else "tablename"
    assert await _scalar(db, f"SELECT count(*) FROM {table} WHERE {column} = 'vote_rules'") == 0
    await db.migrate()  # and up again
    assert await _scalar(db, "SELECT count(*) FROM vote_rules") == 0


async def test_migration_0026_up_and_down_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await _check(db)
    finally:
        await db.close()


async def test_migration_0026_up_and_down_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await _check(db)
    finally:
        await db.close()
