"""Migration 0009 (contacts): every person's Telegram id becomes a contact, and nothing that
hangs on a person (memberships, tickets, scopes) is lost while SQLite rebuilds the people table.
On PostgreSQL too when TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import Database, alembic_config

PG_URL = os.environ.get("TEST_POSTGRES_URL")


def _upgrade_to(revision: str) -> object:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return run


def _downgrade_to(revision: str) -> object:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    return run


OLD_ROWS = [
    "INSERT INTO communities (id, name, timezone, settings, ticket_seq, created_at) "
    "VALUES (1, 'C', 'Asia/Shanghai', '{}', 1, '2026-11-01 00:00:00')",
    "INSERT INTO buildings (id, community_id, code, name, address, join_token, created_at) "
    "VALUES (1, 1, 'A1', 'A1', '', 'tok', '2026-11-01 00:00:00')",
    "INSERT INTO people (id, telegram_id, display_name, phone_consent, created_at) "
    "VALUES (1, 100, 'Head', false, '2026-11-01 00:00:00')",
    "INSERT INTO people (id, telegram_id, display_name, phone_consent, created_at) "
    "VALUES (2, 9007199254740993, 'Resident', false, '2026-11-02 00:00:00')",
    "INSERT INTO memberships (id, person_id, building_id, role, since) "
    "VALUES (1, 1, 1, 'head', '2026-11-01 00:00:00')",
    "INSERT INTO memberships (id, person_id, building_id, role, flat, since) "
    "VALUES (2, 2, 1, 'resident', '302', '2026-11-02 00:00:00')",
    "INSERT INTO coordinator_scopes (id, person_id, community_id, since) "
    "VALUES (1, 1, 1, '2026-11-01 00:00:00')",
    "INSERT INTO tickets (id, community_id, number, building_id, author_id, owner_id, "
    "category, urgent, status, description, media, show_name, show_phone, escalated, "
    "created_at, updated_at) VALUES (1, 1, 1, 1, 2, 1, 'repairs', false, 'new', 'lift', "
    "'[]', true, false, false, '2026-11-03 00:00:00', '2026-11-03 00:00:00')",
    "INSERT INTO ticket_recipients (id, ticket_id, person_id, reason, since) "
    "VALUES (1, 1, 1, 'head', '2026-11-03 00:00:00')",
]


async def _scalar(db: Database, sql: str) -> object:
    async with db.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar()


async def _check_migration(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade_to("0008"))  # type: ignore[arg-type]
        for statement in OLD_ROWS:
            await connection.execute(text(statement))
    await db.migrate()
    async with db.engine.connect() as connection:
        contacts = (
            await connection.execute(
                text("SELECT person_id, channel, address FROM contacts ORDER BY person_id")
            )
        ).all()
    assert [tuple(row) for row in contacts] == [
        (1, "telegram", "100"),
        (2, "telegram", "9007199254740993"),
    ]
    assert await _scalar(db, "SELECT count(*) FROM memberships") == 2
    assert await _scalar(db, "SELECT count(*) FROM coordinator_scopes") == 1
    assert await _scalar(db, "SELECT count(*) FROM ticket_recipients") == 1
    assert await _scalar(db, "SELECT author_id FROM tickets WHERE id = 1") == 2
    assert await _scalar(db, "SELECT owner_id FROM tickets WHERE id = 1") == 1
    # The rebuilt people table still has its references enforced and cascading.
    async with db.engine.begin() as connection:
        await connection.execute(text("DELETE FROM people WHERE id = 2"))
    assert await _scalar(db, "SELECT count(*) FROM contacts") == 1
    assert await _scalar(db, "SELECT count(*) FROM memberships") == 1
    assert await _scalar(db, "SELECT author_id FROM tickets WHERE id = 1") is None
    # And back: the Telegram id returns to its column.
    async with db.engine.connect() as connection:
        if db.is_sqlite:
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await connection.commit()
        async with connection.begin():
            await connection.run_sync(_downgrade_to("0008"))  # type: ignore[arg-type]
        if db.is_sqlite:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()
    assert await _scalar(db, "SELECT telegram_id FROM people WHERE id = 1") == 100
    assert await _scalar(db, "SELECT count(*) FROM memberships") == 1


async def test_contacts_migration_keeps_everything_that_hangs_on_people_on_sqlite(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await _check_migration(db)
    finally:
        await db.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    if not PG_URL:
        pytest.skip("TEST_POSTGRES_URL is not set (a PostgreSQL server for these tests)")
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"louzhang_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_contacts_migration_keeps_everything_that_hangs_on_people_on_postgres(
    pg_url: str,
) -> None:
    db = Database(pg_url)
    try:
        await _check_migration(db)
    finally:
        await db.close()
