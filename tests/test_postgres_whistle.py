"""The whistle on PostgreSQL: work orders, their references and the reminders' claims, with
two instances (two connection pools) scanning at once. Needs TEST_POSTGRES_URL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.ticket_core import Draft
from storage.db import Database
from storage.models import Role, WorkOrder, telegram_address
from tests.conftest import FakeClock
from tests.test_postgres import URL
from tests.test_postgres import pg_url as pg_url_fixture

pg_url = pg_url_fixture

pytestmark = pytest.mark.skipif(
    not URL, reason="TEST_POSTGRES_URL is not set (a PostgreSQL server for these tests)"
)


async def test_forwarding_and_reminders_on_postgres(pg_url: str) -> None:
    config = Config(bot_token=Secret("1:x"), database_url=pg_url, bot_username="b_test_bot")
    db, other_db = Database(pg_url), Database(pg_url)
    try:
        await db.migrate()
        clock = FakeClock()
        services = Services.create(config, db, Translations(), clock)
        other = Services.create(config, other_db, Translations(), clock)
        await services.community.import_buildings([BuildingRow("社区", "A1", "1栋", "")])
        office = await services.onboarding.touch(telegram_address(300), "Office", "zh-hans")
        resident = await services.onboarding.touch(telegram_address(1), "Resident", "en")
        invite = await services.community.invite(Role.COORDINATOR, "社区")
        await services.onboarding.open_payload(office, invite.payload)
        building = await services.community.find_building("A1")
        await services.onboarding.join_building(resident, building.id)
        first = await services.reporting.report(resident, Draft(building.id, "repairs", "pit"))
        second = await services.reporting.report(resident, Draft(building.id, "repairs", "lamp"))

        # Two forwards at once: each its own reference.
        done = await asyncio.gather(
            services.whistle.forward(office, first.ticket.id, "street_office"),
            services.whistle.forward(office, second.ticket.id, "utility"),
        )
        year = clock.now.year
        assert sorted(d.order.reference for d in done) == [f"1-{year}-0001", f"1-{year}-0002"]

        clock.advance(days=3)
        counts = await asyncio.gather(
            services.scheduling.whistle.run(), other.scheduling.whistle.run()
        )
        assert sum(counts) == 2  # one reminder per order, whichever instance claimed it
        assert await services.scheduling.whistle.run() == 0

        await services.whistle.record_answer(office, first.ticket.id, "Fixed on Friday.")
        clock.advance(days=3)
        assert await services.scheduling.whistle.run() == 1  # only the unanswered one
        async with db.session() as session:
            # The two forwards ran at once: ids follow whichever committed first.
            orders = list(await session.scalars(select(WorkOrder).order_by(WorkOrder.ticket_id)))
        assert [o.reminders_sent for o in orders] == [1, 2]
        assert orders[0].answer == "Fixed on Friday."
        assert orders[0].forwarded_at.tzinfo is not None
        assert clock.now - orders[1].forwarded_at == timedelta(days=6)
    finally:
        await db.close()
        await other_db.close()
