"""Join requests and /forgetme on PostgreSQL, where units of work really run at once: the
partial unique index keeps one pending request per person and building, one decision wins,
and the foreign keys anonymise a forgotten person's tickets. Needs TEST_POSTGRES_URL."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.join_rules import JoinStale
from bot.services.joins import Pending
from bot.services.ticket_core import Draft
from storage.db import Database
from storage.models import (
    JoinRequest,
    JoinStatus,
    Membership,
    Person,
    Role,
    Ticket,
    telegram_address,
)
from tests.conftest import FakeClock
from tests.test_postgres import pg_url, pytestmark  # noqa: F401 (the fixture and the skip)


async def test_join_requests_and_forgetme_on_postgres(pg_url: str) -> None:  # noqa: F811
    config = Config(bot_token=Secret("1:x"), database_url=pg_url, bot_username="b_test_bot")
    db = Database(pg_url)
    try:
        await db.migrate()
        services = Services.create(config, db, Translations(), FakeClock())
        await services.community.import_buildings([BuildingRow("社区", "A1", "1栋", "")])
        building = await services.community.find_building("A1")
        head = await services.onboarding.touch(telegram_address(100), "Head", "en")
        deputy = await services.onboarding.touch(telegram_address(101), "Deputy", "en")
        for person, role in ((head, Role.HEAD), (deputy, Role.DEPUTY)):
            invite = await services.community.invite(role, "A1")
            await services.onboarding.open_payload(person, invite.payload)
        newcomer = await services.onboarding.touch(telegram_address(7), "Newcomer", "zh-hans")

        # The same request twice at the very same moment: one row, both answers "pending".
        outcomes = await asyncio.gather(
            *(services.joins.request(newcomer, building.id, "3-502") for _ in range(3))
        )
        assert all(isinstance(o, Pending) for o in outcomes)
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(JoinRequest)) == 1
            request = await session.scalar(select(JoinRequest))
        assert request is not None

        # Head and deputy decide at once: exactly one decision counts.
        decided = await asyncio.gather(
            services.approvals.decide(head, request.id, True),
            services.approvals.decide(deputy, request.id, False),
            return_exceptions=True,
        )
        assert sum(isinstance(d, JoinStale) for d in decided) == 1
        async with db.session() as session:
            status = await session.scalar(select(JoinRequest.status))
            members = await session.scalar(
                select(func.count()).where(Membership.person_id == newcomer.id)
            )
        assert members == (1 if status is JoinStatus.APPROVED else 0)

        # /forgetme: the person goes, the ticket stays without them.
        await services.onboarding.join_building(newcomer, building.id)
        reported = await services.reporting.report(newcomer, Draft(building.id, "repairs", "leak"))
        await services.forget.forget(newcomer)
        async with db.session() as session:
            assert await session.get(Person, newcomer.id) is None
            ticket = await session.get(Ticket, reported.ticket.id)
            assert ticket is not None and ticket.author_id is None
            assert ticket.description == "leak"
            left = await session.scalar(select(JoinRequest))
            assert left is not None and left.person_id is None and left.display_name == ""
    finally:
        await db.close()
