"""Outbox retention: sent and failed notifications (their payloads hold residents' words) are
deleted after OUTBOX_RETENTION_DAYS by a scheduler job; the counts per day stay, so the outbox
totals stay true. Pending rows are never touched. On SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Config
from bot.i18n import Translations
from bot.scheduler import INTERVALS, job_functions
from bot.services import Services
from bot.services.retention import BATCH
from storage.db import Database
from storage.models import OutboxCount, OutboxMessage, OutboxStatus
from storage.repositories import OutboxRepository
from storage.repositories.outbox_retention import OutboxRetentionRepository
from tests.conftest import FakeClock

PG_URL = os.environ.get("TEST_POSTGRES_URL")
S = OutboxStatus


async def add(
    db: Database, status: OutboxStatus, created: datetime, sent: datetime | None, n: int = 1
) -> None:
    async with db.session() as session:
        session.add_all(
            OutboxMessage(
                channel="telegram",
                address=str(1000 + i),
                kind="text",
                payload={"text": "a neighbour's words"},
                status=status,
                attempts=1,
                not_before=created,
                created_at=created,
                sent_at=sent,
            )
            for i in range(n)
        )
        await session.commit()


async def left(db: Database) -> list[tuple[OutboxStatus, datetime]]:
    async with db.session() as session:
        rows = await session.execute(
            select(OutboxMessage.status, OutboxMessage.created_at).order_by(OutboxMessage.id)
        )
        return [(status, created) for status, created in rows.all()]


async def counts(db: Database) -> dict[tuple[date, OutboxStatus], int]:
    async with db.session() as session:
        rows = (await session.scalars(select(OutboxCount))).all()
        return {(row.day, row.status): row.count for row in rows}


async def purge_and_check(db: Database, services: Services, clock: FakeClock) -> None:
    now = clock()
    day = timedelta(days=1)
    await add(db, S.SENT, now - 40 * day, now - 40 * day, n=2)
    await add(db, S.SENT, now - 31 * day, now - 31 * day + timedelta(minutes=1))
    await add(db, S.FAILED, now - 35 * day, None)  # never tried again: it goes too
    await add(db, S.PENDING, now - 60 * day, None)  # not delivered yet: never purged
    await add(db, S.SENT, now - 29 * day, now - 29 * day)  # within the 30 days
    await add(db, S.FAILED, now - 2 * day, None)

    assert await services.scheduling.retention.run() == 4
    assert await left(db) == [
        (S.PENDING, now - 60 * day),
        (S.SENT, now - 29 * day),
        (S.FAILED, now - 2 * day),
    ]
    assert await counts(db) == {
        ((now - 40 * day).date(), S.SENT): 2,
        ((now - 31 * day).date(), S.SENT): 1,
        ((now - 35 * day).date(), S.FAILED): 1,
    }
    # Again: nothing more to purge, nothing counted twice.
    assert await services.scheduling.retention.run() == 0
    clock.advance(days=2)
    assert await services.scheduling.retention.run() == 1  # the one sent 29 days ago
    assert await counts(db) == {
        ((now - 40 * day).date(), S.SENT): 2,
        ((now - 31 * day).date(), S.SENT): 1,
        ((now - 35 * day).date(), S.FAILED): 1,
        ((now - 29 * day).date(), S.SENT): 1,
    }
    async with db.session() as session:
        live = await OutboxRepository(session).stats()
        purged = await OutboxRetentionRepository(session).purged()
    assert (live.sent, live.failed, live.pending) == (0, 1, 1)
    assert (purged.sent, purged.failed) == (4, 1)


async def test_old_sent_and_failed_rows_go_and_their_counts_stay(
    db: Database, services: Services, clock: FakeClock
) -> None:
    await purge_and_check(db, services, clock)


async def test_a_large_backlog_goes_in_batches(
    db: Database, services: Services, clock: FakeClock
) -> None:
    old = clock() - timedelta(days=45)
    await add(db, S.SENT, old, old, n=2 * BATCH + 7)
    assert await services.scheduling.retention.run() == 2 * BATCH + 7
    assert await left(db) == []
    assert await counts(db) == {(old.date(), S.SENT): 2 * BATCH + 7}


async def test_the_retention_is_a_setting_and_a_scheduled_job(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> None:
    assert Config.from_env({}).outbox_retention_days == 30
    assert Config.from_env({"OUTBOX_RETENTION_DAYS": "7"}).outbox_retention_days == 7
    assert ("outbox-purge", 3600) in INTERVALS
    config = dataclasses.replace(config, outbox_retention_days=7)
    services = Services.create(config, db, translations, clock)
    week_old = clock() - timedelta(days=8)
    await add(db, S.SENT, week_old, week_old)
    assert await job_functions(services)["outbox-purge"]() == 1


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    if not PG_URL:
        pytest.skip("TEST_POSTGRES_URL is not set (a PostgreSQL server for these tests)")
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"louzhang_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        await db.migrate()
        yield db
    finally:
        await db.close()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_the_same_on_postgres(
    pg_db: Database, config: Config, translations: Translations, clock: FakeClock
) -> None:
    services = Services.create(config, pg_db, translations, clock)
    await purge_and_check(pg_db, services, clock)
