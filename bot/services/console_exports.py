"""The console's downloads: the tickets list as CSV or XLSX with the list's current filters (the
rows the list would show, every page of them), and the monthly report XLSX for the street
office. The writers are the command line's (bot/services/exports.py, bot/services/monthly.py);
what is selected is the console's (bot/services/ticket_query.py), so a download holds exactly
what the viewer may see, the reporter as each ticket's consent allows.

Who may (PRODUCT.md: exports are a coordinator's and an admin's): the list's download is for
coordinators (of their area) and admins, not for heads; the monthly report, a community's
figures, for admins and the coordinators of the whole community.

openpyxl (and with it PIL and numpy, tens of MB) is imported at the first download, not when
the bot starts: most processes never write a spreadsheet (tests/test_scheduler.py checks the
bot's footprint)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.config import Config
from bot.i18n import Translations
from bot.services.access import Coverage
from bot.services.clock import Clock
from bot.services.contacts import is_admin
from bot.services.errors import ServiceError
from bot.services.ticket_query import TicketQuery, TicketSearch
from storage.db import Database
from storage.models import Person
from storage.repositories import CommunityRepository, PersonRepository

if TYPE_CHECKING:
    from bot.services.exports import TicketRow

# A spreadsheet an office PC opens comfortably; a wider selection is asked to narrow its filters.
MAX_ROWS = 20_000
BATCH = 500


class ConsoleExports:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        search: TicketSearch,
        clock: Clock,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.search = search
        self.clock = clock

    async def may_export(self, person_id: int) -> bool:
        return await self.export_coverage(person_id) is not None

    async def export_coverage(self, person_id: int) -> Coverage | None:
        """What the person's downloads may hold: an admin's everything, a coordinator's area
        (whole communities, single buildings), never a building they only head or deputise
        (a head has no downloads: a coordinator who also heads a building elsewhere got that
        building's tickets, names and phones in the file). None: no downloads at all."""
        async with self.db.session() as session:
            people = PersonRepository(session)
            person = await people.get(person_id)
            if person is None:
                return None
            if is_admin(self.config, person):
                return Coverage(admin=True)
            areas = await people.coordinator_areas(person_id)
        if not areas:
            return None
        return Coverage(
            building_ids=frozenset(a.building_id for a in areas if a.building_id is not None),
            community_ids=frozenset(a.community_id for a in areas if a.building_id is None),
        )

    async def tickets(
        self, person_id: int, seen: Coverage, query: TicketQuery, language: str, kind: str
    ) -> bytes:
        """The list's tickets as ``kind`` ("csv" or "xlsx") in ``language``."""
        if kind not in ("csv", "xlsx"):
            raise ServiceError("not-allowed")
        area = await self.export_coverage(person_id)
        if area is None:
            raise ServiceError("export-not-allowed")
        from bot.services.exports import tickets_csv, tickets_xlsx

        # The list's tickets (``seen``, as of this request) in the coordinator's area.
        if not seen.admin:
            area = Coverage(
                building_ids=area.building_ids & seen.building_ids,
                community_ids=area.community_ids & seen.community_ids,
            )
        rows = await self._rows(area, query, language)
        t = self.translations.bind(language)
        return tickets_csv(t, rows) if kind == "csv" else tickets_xlsx(t, rows)

    async def _rows(self, seen: Coverage, query: TicketQuery, language: str) -> list[TicketRow]:
        from bot.services.exports import ticket_row

        t = self.translations.bind(language)
        rows: list[TicketRow] = []
        cursor: str | None = None
        holders: dict[int, Person | None] = {}
        while True:
            found = await self.search.page(seen, query, cursor, size=BATCH)
            if len(rows) + len(found.rows) > MAX_ROWS:
                raise ServiceError("export-too-many", limit=MAX_ROWS)
            buildings = {b.id: b for b in found.buildings}
            async with self.db.session() as session:
                people = PersonRepository(session)
                for row in found.rows:
                    holder_id = row.found.ticket.holder_id
                    if holder_id is not None and holder_id not in holders:
                        holders[holder_id] = await people.get(holder_id)
            for row in found.rows:
                ticket = row.found.ticket
                rows.append(
                    ticket_row(
                        t,
                        ticket,
                        community=row.community,
                        building=buildings[ticket.building_id],
                        author=row.found.author,
                        holder=holders.get(ticket.holder_id) if ticket.holder_id else None,
                    )
                )
            cursor = found.next_cursor
            if cursor is None:
                return rows

    async def month(self, seen: Coverage, community_id: int, month: date, language: str) -> bytes:
        """The monthly report of a community the viewer coordinates as a whole (or any, as
        admin): per building and category, new, resolved, the rates and median times."""
        if not (seen.admin or community_id in seen.community_ids):
            raise ServiceError("export-not-allowed")
        async with self.db.session() as session:
            community = await CommunityRepository(session).get(community_id)
        if community is None:
            raise ServiceError("export-not-allowed")
        from bot.services.monthly import MonthlyReports, monthly_xlsx

        monthly = MonthlyReports(self.db, self.translations, self.clock)
        figures = await monthly.figures(community.name, month, language)
        return monthly_xlsx(self.translations.bind(language), figures)
