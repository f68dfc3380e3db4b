"""Tickets as a spreadsheet (CSV or XLSX) for the office: one row per ticket, headers in the
reader's language, times in the community's time zone, the reporter named only as the ticket's
consent allows (as on the staff's card), hostile texts disarmed (bot/documents/cells.py).

``ticket_row`` turns a stored ticket into a ``TicketRow``; ``tickets_csv`` / ``tickets_xlsx``
write rows; ``TicketExports`` loads a community's tickets by status and date for the CLI. The
web console builds rows from its own filtered list with ``ticket_row`` and the same writers."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.documents.cells import Value, csv_bytes, fit_columns, header_row, put
from bot.i18n import Translations, Translator
from bot.services.cards import category_name, consented_reporter
from bot.services.categories import find_category
from bot.services.errors import ServiceError
from bot.services.scheduling import sla_of
from bot.services.sla import day_window
from storage.db import Database
from storage.models import Building, Community, Person, Ticket, TicketStatus
from storage.repositories import CommunityRepository
from storage.repositories.documents import DocumentRepository, TicketFilter


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One exported ticket, as the office may see it. Times are the community's wall time."""

    number: int
    reported: datetime
    building_code: str
    building: str
    flat: str
    category: str
    status: str
    urgent: bool
    escalated: bool
    description: str
    reporter: str
    phone: str
    holder: str
    taken: datetime | None
    resolved: datetime | None
    closed: datetime | None
    rating: int | None
    photos: int
    latitude: float | None
    longitude: float | None


# The translation key of each column's header, in TicketRow's order.
COLUMNS = tuple("export-col-" + f.name.replace("_", "-") for f in fields(TicketRow))


def ticket_row(
    t: Translator,
    ticket: Ticket,
    *,
    community: Community,
    building: Building,
    author: Person | None,
    holder: Person | None,
) -> TicketRow:
    zone = ZoneInfo(community.timezone)

    def wall(moment: datetime | None) -> datetime | None:
        return moment.astimezone(zone) if moment is not None else None

    category = find_category(community.settings or {}, ticket.category)
    reporter, phone = consented_reporter(t, ticket, author)
    return TicketRow(
        number=ticket.number,
        reported=ticket.created_at.astimezone(zone),
        building_code=building.code,
        building=building.name,
        flat=ticket.flat or "",
        category=category_name(t, category, ticket.category),
        status=t("status-" + ticket.status.value),
        urgent=ticket.urgent,
        escalated=ticket.escalated,
        description=ticket.description,
        reporter=reporter,
        phone=phone,
        holder=holder.display_name if holder is not None else "",
        taken=wall(ticket.taken_at),
        resolved=wall(ticket.resolved_at),
        closed=wall(ticket.closed_at),
        rating=ticket.rating,
        photos=sum(1 for m in ticket.media if m.get("type") == "photo"),
        latitude=ticket.latitude,
        longitude=ticket.longitude,
    )


def _values(t: Translator, row: TicketRow) -> list[Value]:
    yes = t("export-yes")
    values: list[Value] = []
    for f in fields(TicketRow):
        value = getattr(row, f.name)
        values.append((yes if value else "") if isinstance(value, bool) else value)
    return values


def headers(t: Translator) -> list[str]:
    return [t(key) for key in COLUMNS]


def tickets_csv(t: Translator, rows: Sequence[TicketRow]) -> bytes:
    return csv_bytes(headers(t), (_values(t, row) for row in rows))


def tickets_xlsx(t: Translator, rows: Sequence[TicketRow]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("export-sheet-tickets")
    header_row(sheet, 1, headers(t))
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(_values(t, row), start=1):
            put(sheet, number, column, value)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    fit_columns(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class TicketExports:
    """A community's tickets, selected as the office asks, as rows."""

    def __init__(self, db: Database, translations: Translations) -> None:
        self.db = db
        self.translations = translations

    async def rows(
        self,
        community_name: str,
        language: str,
        *,
        statuses: Sequence[TicketStatus] = (),
        first: date | None = None,
        last: date | None = None,
    ) -> list[TicketRow]:
        """Tickets reported from local day ``first`` to ``last``, both included."""
        if first is not None and last is not None and last < first:
            raise ServiceError("export-bad-range", first=first.isoformat(), last=last.isoformat())
        t = self.translations.bind(language)
        async with self.db.session() as session:
            community = await CommunityRepository(session).by_name(community_name)
            if community is None:
                raise ServiceError("community-not-found", name=community_name)
            sla = sla_of(community)
            selection = TicketFilter(
                community.id,
                tuple(statuses),
                day_window(first, sla)[0] if first is not None else None,
                day_window(last, sla)[1] if last is not None else None,
            )
            found = await DocumentRepository(session).tickets(selection)
        return [
            ticket_row(
                t,
                item.ticket,
                community=community,
                building=item.building,
                author=item.author,
                holder=item.holder,
            )
            for item in found
        ]
