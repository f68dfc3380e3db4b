"""The staff lists' SQL on PostgreSQL: row-value keysets, walks with their own LIMIT inside a
UNION ALL, the capped count. Needs TEST_POSTGRES_URL (see test_postgres.py)."""

from __future__ import annotations

from sqlalchemy import select

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.ticket_core import Draft
from bot.services.ticket_lists import Keyset
from storage.db import Database
from storage.models import Role, Ticket, telegram_address
from storage.repositories.tickets import Scope, TicketRepository
from tests.conftest import FakeClock
from tests.test_postgres import pg_url, pytestmark  # noqa: F401 (the fixture and the skip)


async def test_staff_lists_page_on_postgres(pg_url: str) -> None:  # noqa: F811
    config = Config(bot_token=Secret("1:x"), database_url=pg_url, bot_username="b_test_bot")
    db = Database(pg_url)
    try:
        await db.migrate()
        clock = FakeClock()
        services = Services.create(config, db, Translations(), clock)
        await services.community.import_buildings(
            [BuildingRow("社区", "A1", "1栋", ""), BuildingRow("社区", "A2", "2栋", "")]
        )
        head = await services.onboarding.touch(telegram_address(100), "Head", "en")
        office = await services.onboarding.touch(telegram_address(300), "Office", "en")
        await services.onboarding.open_payload(
            head, (await services.community.invite(Role.HEAD, "A1")).payload
        )
        await services.onboarding.open_payload(
            office, (await services.community.invite(Role.COORDINATOR, "社区")).payload
        )
        residents = []
        for n, code in enumerate(("A1", "A1", "A1", "A2")):
            resident = await services.onboarding.touch(
                telegram_address(1 + n), "Resident", "zh-hans"
            )
            await services.onboarding.join_building(
                resident, (await services.community.find_building(code)).id
            )
            residents.append((resident, (await services.community.find_building(code)).id))
        numbers = []
        for n in range(24):  # 18 in A1, 6 in A2
            clock.advance(hours=3)
            resident, building_id = residents[n % 4]
            report = await services.reporting.report(resident, Draft(building_id, "repairs", "x"))
            numbers.append((report.ticket.number, building_id == residents[0][1]))
        a1 = [number for number, in_a1 in reversed(numbers) if in_a1]

        tickets = services
        first = await tickets.ticket_lists.staff_tickets(head, "all")
        assert (first.total, first.pages, first.capped) == (18, 2, False)
        second = await tickets.ticket_lists.staff_tickets(
            head, "all", 1, Keyset(first.tickets[-1].id)
        )
        assert [t.number for t in [*first.tickets, *second.tickets]] == a1
        back = await tickets.ticket_lists.staff_tickets(
            head, "all", 0, Keyset(second.tickets[0].id, True)
        )
        assert [t.number for t in back.tickets] == a1[:10] and not back.newer
        assert (await tickets.ticket_lists.staff_tickets(head, "open", 1)).tickets[-1].number == a1[
            -1
        ]
        everything = await tickets.ticket_lists.staff_tickets(office, "all", 2)
        assert [t.number for t in everything.tickets] == [n for n, _ in reversed(numbers)][20:]

        async with db.session() as session:
            repository = TicketRepository(session)
            community_id = await session.scalar(select(Ticket.community_id).limit(1))
            assert community_id is not None
            scope = Scope(office.id, (), (community_id,))
            assert await repository.count_all(scope, 5) > 5  # "more than 5"
            assert await repository.count_all(scope, 100) == 24
    finally:
        await db.close()
