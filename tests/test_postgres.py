"""The same code on PostgreSQL (asyncpg). Needs TEST_POSTGRES_URL, e.g.
postgresql+asyncpg://postgres@127.0.0.1:5432/test; each test gets a fresh database."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.ticket_core import Draft
from storage.db import Database
from storage.models import FsmRecord, Role, Ticket, TicketStatus, telegram_address
from telegram.fsm import SqlStorage
from tests.conftest import FakeClock

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(
    not URL, reason="TEST_POSTGRES_URL is not set (a PostgreSQL server for these tests)"
)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    assert URL is not None
    admin = create_async_engine(URL, isolation_level="AUTOCOMMIT")
    name = f"louzhang_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_migrations_and_the_ticket_loop_run_on_postgres(pg_url: str) -> None:
    config = Config(bot_token=Secret("1:x" * 1), database_url=pg_url, bot_username="b_test_bot")
    db = Database(pg_url)
    try:
        await db.migrate()
        await db.migrate()  # a second start changes nothing
        clock = FakeClock()
        services = Services.create(config, db, Translations(), clock)
        await services.community.import_buildings([BuildingRow("社区", "A1", "1栋", "")])
        head = await services.onboarding.touch(telegram_address(100), "Head", "en")
        other_head = await services.onboarding.touch(telegram_address(101), "Deputy", "en")
        resident = await services.onboarding.touch(telegram_address(1), "Resident", "zh-hans")
        for person, role in ((head, Role.HEAD), (other_head, Role.DEPUTY)):
            invite = await services.community.invite(role, "A1")
            await services.onboarding.open_payload(person, invite.payload)
        building = await services.community.find_building("A1")
        await services.onboarding.join_building(resident, building.id)

        # Ticket numbers are handed out atomically even when reports race.
        reports = await asyncio.gather(
            *(
                services.reporting.report(resident, Draft(building.id, "repairs", f"broken {i}"))
                for i in range(5)
            )
        )
        assert sorted(r.ticket.number for r in reports) == [1, 2, 3, 4, 5]

        # Two heads press Take at once: exactly one wins.
        ticket_id = reports[0].ticket.id
        results = await asyncio.gather(
            services.ticket_actions.take(head, ticket_id),
            services.ticket_actions.take(other_head, ticket_id),
            return_exceptions=True,
        )
        assert sum(not isinstance(r, Exception) for r in results) == 1
        async with db.session() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.id == ticket_id))
            assert ticket is not None
            assert ticket.status is TicketStatus.TAKEN
            assert ticket.holder_id in (head.id, other_head.id)
            assert ticket.created_at.tzinfo is not None
    finally:
        await db.close()


async def test_conversations_are_written_and_cleared_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await db.migrate()
        key = StorageKey(bot_id=1, chat_id=7, user_id=7)
        storage = SqlStorage(db, FakeClock())
        await storage.set_state(key, "Report:description")
        await storage.set_data(key, {"category": "elevator"})
        await storage.set_data(key, {"category": "repairs"})  # the row exists: an update
        restarted = SqlStorage(db, FakeClock())
        assert await restarted.get_state(key) == "Report:description"
        assert await restarted.get_data(key) == {"category": "repairs"}
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(FsmRecord)) == 0
    finally:
        await db.close()
