"""The points bank on PostgreSQL (needs TEST_POSTGRES_URL, as tests/test_postgres.py): the
migration's trigger refuses UPDATE and DELETE of the ledger; a confirmed fix pays once; two
coordinators approving two requests the balance covers one at a time, at the same moment,
approve exactly one (the account's row lock); the digest's totals and the ranking's query run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.errors import ServiceError
from bot.services.ticket_core import Draft
from storage.db import Database
from storage.models import (
    PointsEntry,
    PointsReason,
    Redemption,
    RewardItem,
    Role,
    telegram_address,
)
from storage.repositories.points import PointsRepository
from tests.conftest import FakeClock
from tests.test_postgres import pg_url, pytestmark

__all__ = ["pg_url", "pytestmark"]


async def test_the_points_bank_on_postgres(pg_url: str) -> None:
    config = Config(bot_token=Secret("1:x"), database_url=pg_url, bot_username="b_test_bot")
    db = Database(pg_url)
    try:
        await db.migrate()
        clock = FakeClock()
        services = Services.create(config, db, Translations(), clock)
        await services.community.import_buildings([BuildingRow("社区", "A1", "1栋", "")])
        head = await services.onboarding.touch(telegram_address(100), "Head", "en")
        office = await services.onboarding.touch(telegram_address(300), "Office", "en")
        second = await services.onboarding.touch(telegram_address(301), "Office 2", "en")
        resident = await services.onboarding.touch(telegram_address(1), "Resident", "en")
        for person, role, target in (
            (head, Role.HEAD, "A1"),
            (office, Role.COORDINATOR, "社区"),
            (second, Role.COORDINATOR, "社区"),
        ):
            invite = await services.community.invite(role, target)
            await services.onboarding.open_payload(person, invite.payload)
        building = await services.community.find_building("A1")
        await services.onboarding.join_building(resident, building.id)

        report = await services.reporting.report(resident, Draft(building.id, "repairs", "x"))
        await services.ticket_actions.take(head, report.ticket.id)
        await services.ticket_actions.resolve(head, report.ticket.id, "")
        await services.ticket_actions.confirm(resident, report.ticket.id)

        async with db.session() as session:
            await services.points.award(
                session,
                resident.id,
                15,
                PointsReason.CORRECTION,
                "opening balance",
                office.id,
                community_id=building.community_id,
            )
            await session.commit()
        for statement in ("UPDATE points_entries SET points = 1", "DELETE FROM points_entries"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with db.session() as session:
                    await session.execute(text(statement))
                    await session.commit()

        cover = await services.catalogue.coverage_of(office)
        item = await services.catalogue.add_item(cover, building.community_id, "Tea", 10, 5)
        first = await services.redemptions.request(resident, item.id)
        # A second request written beside the first (the service would refuse it, counting the
        # first against the balance): the balance (15) covers one of 10.
        async with db.session() as session:
            waiting = Redemption(
                community_id=first.community_id,
                item_id=item.id,
                account_id=first.account_id,
                price=10,
                status=first.status,
                requested_at=clock(),
            )
            session.add(waiting)
            await session.commit()
        results = await asyncio.gather(
            services.redemptions.approve(office, first.id),
            services.redemptions.approve(second, waiting.id),
            return_exceptions=True,
        )
        assert sum(not isinstance(r, BaseException) for r in results) == 1
        assert sum(isinstance(r, ServiceError) for r in results) == 1

        async with db.session() as session:
            book = PointsRepository(session)
            points = list(
                await session.scalars(select(PointsEntry.points).order_by(PointsEntry.id))
            )
            assert points == [10, 15, -10]
            stock = await session.scalar(select(RewardItem.stock))
            assert stock == 4
            start = clock() - timedelta(days=1)
            assert await book.totals(building.community_id, start, clock() + timedelta(days=1)) == (
                25,
                10,
            )
            standings = await book.standings(
                building.community_id, start, clock() + timedelta(days=1)
            )
            assert [(s.name, s.points, s.fixes) for s in standings][:2] == [
                ("", 15, 0),  # a resident, not staff: the ranking gives no name
                ("Head", 10, 1),
            ]
            assert await session.scalar(select(func.count()).select_from(PointsEntry)) == 3
    finally:
        await db.close()
