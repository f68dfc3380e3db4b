"""The reminders scan costs the same number of SQL statements whatever the number of staff
(issue 11, part 4: it checked every staff person's roles one at a time, 4–5 statements each,
every minute: 105 s a scan over 30 communities of bench.district).

Counted with a SQLAlchemy event listener on the engine; the bounds are counts, not times (the
speed itself is bench.district's, docs/benchmarks.md "District scale and sizing"). And the
set-based role check decides exactly as the person-by-person one did (``coverage``), over
heads, deputies, building and community coordinators, admins, people who lost their role and
an admin taken out of ADMIN_IDS."""

from __future__ import annotations

import dataclasses

from sqlalchemy import delete

from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.access import coverage
from bot.services.community import BuildingRow
from storage.db import Database
from storage.models import Membership, Role, TicketStatus
from storage.repositories import PersonRepository
from storage.repositories.sla import SlaRepository
from tests.conftest import ADMIN_ID
from tests.statements import counting
from tests.test_scheduler import Town, needs_postgres, pg_town, town

__all__ = ["pg_town", "town"]  # the fixtures this module uses, from test_scheduler


async def staffed(town: Town, heads: int, first: int) -> None:
    """``heads`` more buildings, each with a head, a deputy and a ticket waiting, and one more
    taken by its head (so the staff of unfinished tickets grows with ``heads``)."""
    codes = [f"X{first + i}" for i in range(heads)]
    rows = [BuildingRow("塘中社区", code, f"新楼{code}", "") for code in codes]
    await town.services.community.import_buildings(rows)
    for i in range(heads):
        code = f"X{first + i}"
        town.buildings[code] = (await town.services.community.find_building(code)).id
        head = await town.appoint(1000 + first + i, Role.HEAD, code)
        await town.appoint(2000 + first + i, Role.DEPUTY, code)
        resident = await town.resident(3000 + first + i, code)
        await town.report(resident, code)
        taken = await town.report(resident, code, text="Also broken")
        await town.services.ticket_actions.take(head, taken.id)


async def scan_statements(town: Town) -> int:
    reminders = town.services.scheduling.reminders
    await reminders.run()  # whatever was due is sent; the next scan has nothing to send
    with counting(town.db, 120) as seen:
        assert await reminders.run() == 0
    print(len(seen), *seen, sep="\n    ")  # noqa: T201
    return len(seen)


async def test_the_reminders_scan_does_not_grow_with_the_staff(town: Town) -> None:
    await staffed(town, 2, 0)
    few = await scan_statements(town)
    await staffed(town, 10, 2)
    many = await scan_statements(town)
    assert few == many  # 12 heads and 12 deputies on 24 tickets cost what 2 and 2 did
    # One community: its waiting, taken and snoozed tickets, the people due (none), and the
    # role check's three statements (before: 17 with 4 staff, 57 with 24, on SQLite with the
    # read cache; on PostgreSQL, where that cache is off, 4–5 statements per staff person).
    assert many <= 12


@needs_postgres
async def test_the_reminders_scan_does_not_grow_with_the_staff_on_postgres(
    pg_town: tuple[Town, str],
) -> None:
    """Where the read cache is off (PostgreSQL), so every role was a statement before."""
    town, _ = pg_town
    await staffed(town, 2, 0)
    few = await scan_statements(town)
    await staffed(town, 6, 2)
    assert await scan_statements(town) == few <= 12


async def test_the_set_based_role_check_decides_as_coverage_does(
    town: Town, config: Config, db: Database, translations: Translations
) -> None:
    """Every kind of staff on unfinished tickets, some of whom lost their role: the rows the
    scan hands on are exactly those ``coverage`` says are no longer covered."""
    await staffed(town, 3, 0)
    await town.appoint(300, Role.COORDINATOR, "塘中社区")
    b1 = await town.appoint(301, Role.COORDINATOR, "B1")
    admin = await town.person(ADMIN_ID, "Admin")
    resident = await town.resident(4000, "B1")
    await town.report(resident, "B1")  # to the coordinators: B1 has no head
    taken = await town.report(resident, "B1", text="Taken by the admin")
    await town.services.ticket_actions.take(admin, taken.id)
    async with db.session() as session:  # X0's head and X1's deputy lose their roles
        await session.execute(
            delete(Membership).where(
                (Membership.building_id == town.buildings["X0"]) & (Membership.role == Role.HEAD)
                | (Membership.building_id == town.buildings["X1"])
                & (Membership.role == Role.DEPUTY)
            )
        )
        await session.commit()
    community = await town.community()

    async def both(cfg: Config) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        admins = {str(a) for a in cfg.admin_ids}
        async with db.session() as session:
            repo = SlaRepository(session)
            staff = await repo.staff_of_unfinished(community.id)
            expected = []
            for person_id, ticket_id, building_id in staff:
                person = await PersonRepository(session).get(person_id)
                cover = await coverage(session, cfg, person) if person else None
                if cover is not None and not cover.covers(community.id, building_id):
                    expected.append((person_id, ticket_id, building_id))
            found = await repo.staff_without_role(community.id, admins)
            people = {p for p, _, _ in staff}
        assert {b1.id, admin.id} <= people
        return expected, found

    expected, found = await both(config)
    assert found == expected and found  # the two who lost their role, on their tickets
    # ADMIN_IDS emptied: the admin's taken ticket is no longer covered either.
    expected, found = await both(dataclasses.replace(config, admin_ids=frozenset()))
    assert found == expected and any(p == admin.id for p, _, _ in found)

    # And the scan hands them on: no row without a role is left.
    await town.services.scheduling.reminders.run()
    async with db.session() as session:
        assert await SlaRepository(session).staff_without_role(community.id, {str(ADMIN_ID)}) == []
    other = dataclasses.replace(config, admin_ids=frozenset())
    services = Services.create(other, db, translations, town.clock)
    await services.scheduling.reminders.run()
    held = await town.ticket(taken.id)
    assert held.holder_id is None and held.status is TicketStatus.NEW
