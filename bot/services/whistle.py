"""The whistle (吹哨): work that leaves the building. What a head or the community cannot fix
alone (a street light, a road pit, a gas smell) a coordinator forwards to an outside department
as a work order: a reference number, the department, who forwarded it and when. The ticket
stays open and shows "forwarded to X, waiting since D", then "X answered"; its residents are
told where it went and, later, the answer; a waiting order reminds whoever forwarded it
(bot/services/whistle_reminders.py).

Who may whistle: the community office (a coordinator of the ticket's building or community, or
an admin), not a head or deputy. PRODUCT.md gives heads their buildings and coordinators
"escalations" and the community's dealings beyond a head's reach: a work order speaks for the
community to the street office or the 12345 hotline, and the office is who follows it up and
answers for it there. A head who needs outside help escalates; the office whistles.

Every use case takes the ``door`` it came through (``telegram``, ``web``…) and writes it into
the ticket's history, so the console's actions read "(web)" there."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations, Translator
from bot.services.access import coverage
from bot.services.clock import Clock
from bot.services.departments import Department, departments_for, find_department, name_in
from bot.services.errors import ServiceError
from bot.services.policy import OFFICE, STAFF, Action, may
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_audience import TicketAudience
from bot.services.ticket_core import NoAccess, StaleAction, checked
from bot.services.whistle_errors import (
    AlreadyForwarded,
    NoAnswerAwaited,
    OfficeOnly,
    TicketNotFound,
    UnknownDepartment,
)
from bot.services.work_order_sheets import PrintableOrder, work_order_sheet
from storage.db import Database
from storage.models import Channel, Community, Person, Ticket, WorkOrder
from storage.repositories import CommunityRepository, PersonRepository, WorkOrderRepository
from storage.repositories.tickets import TicketRepository
from storage.repositories.web_files import WebFileRepository

__all__ = [
    "AlreadyForwarded",
    "NoAnswerAwaited",
    "OfficeOnly",
    "TicketNotFound",
    "UnknownDepartment",
    "PrintableOrder",
    "WhistleService",
]

# A department's answer as the office types it: all one Telegram message holds (the handlers
# refuse more before asking the service).
MAX_ANSWER = 4096


@dataclass(frozen=True, slots=True)
class Forwarded:
    ticket: Ticket
    order: WorkOrder


class WhistleService:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        access: TicketAccess,
        audience: TicketAudience,
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock
        self.access = access
        self.audience = audience

    # ------------------------------------------------------------------------- reading

    async def departments(self, person: Person, ticket_id: int) -> tuple[Ticket, list[Department]]:
        """The departments ``person`` may forward the ticket to now (refused as forwarding
        itself would be)."""
        async with self.db.session() as session:
            ticket, community = await self._may_forward(session, person, ticket_id)
            return ticket, list(departments_for(community.settings))

    async def department(self, person: Person, ticket_id: int, code: str) -> Department:
        """One department of the ticket's community, checked like forwarding (the confirm
        step shows its name)."""
        async with self.db.session() as session:
            _, community = await self._may_forward(session, person, ticket_id)
            found = find_department(community.settings, code)
            if found is None:
                raise UnknownDepartment()
            return found

    async def awaiting(self, person: Person, ticket_id: int) -> tuple[Ticket, WorkOrder]:
        """The waiting work order whose answer ``person`` is about to type."""
        async with self.db.session() as session:
            ticket = await self._authorise(session, person, ticket_id, Action.WHISTLE_ANSWER)
            order = await WorkOrderRepository(session).latest(ticket.id)
            if order is None or order.answered_at is not None:
                raise NoAnswerAwaited(ticket)
            return ticket, order

    async def find(self, person: Person, number: int) -> Ticket:
        """The ticket ``#number`` among those the caller's current roles cover (/whistle 12).
        Numbers are per community: an admin or a coordinator of several communities gets the
        one of the community they cover first (lowest id) that has it."""
        async with self.db.session() as session:
            covered = await coverage(session, self.config, person)
            for ticket in await WorkOrderRepository(session).tickets_numbered(number):
                if covered.covers_ticket(ticket):
                    return ticket
        raise TicketNotFound(number)

    async def printable(self, person: Person, ticket_id: int, t: Translator) -> PrintableOrder:
        """The ticket's latest work order as its printable sheet, for the office only (the
        sheet leaves the community: the reporter as the ticket's consent allows, no staff but
        the forwarder). Photos are the door's to fetch: their file ids come with it."""
        async with self.db.session() as session:
            ticket = await self._authorise(session, person, ticket_id, Action.WHISTLE_ANSWER)
            order = await WorkOrderRepository(session).latest(ticket.id)
            if order is None:
                raise NoAnswerAwaited(ticket)
            tickets, people = TicketRepository(session), PersonRepository(session)
            community = await CommunityRepository(session).get(ticket.community_id)
            assert community is not None
            author = await people.get(ticket.author_id) if ticket.author_id else None
            forwarder = await people.get(order.forwarded_by) if order.forwarded_by else None
            sheet = work_order_sheet(
                t,
                ticket,
                community=community,
                building=await tickets.building_of(ticket),
                author=author,
                reference=order.reference,
                department=name_in(order.department_names, t.language, order.department),
                forwarded_at=order.forwarded_at,
                coordinator=forwarder.display_name if forwarder is not None else "",
            )
            # Photos from the web door are here already; Telegram's the door fetches.
            photos = [m for m in ticket.media if m.get("type") == "photo"]
            files = WebFileRepository(session)
            stored = [await files.get(str(m["web_file"])) for m in photos if "web_file" in m]
            sheet = dataclasses.replace(sheet, photos=tuple(f.content for f in stored if f))
            return PrintableOrder(sheet, tuple(m["file_id"] for m in photos if "file_id" in m))

    async def latest(self, ticket_id: int) -> WorkOrder | None:
        async with self.db.session() as session:
            return await WorkOrderRepository(session).latest(ticket_id)

    # ------------------------------------------------------------------------- use cases

    async def forward(
        self, person: Person, ticket_id: int, code: str, *, door: str = Channel.TELEGRAM
    ) -> Forwarded:
        """Forwards the ticket to department ``code``: one work order, the forwarder among the
        ticket's recipients (their card follows it), the history, every card, the staff
        hearing the ticket and its residents told, all in one transaction."""
        now = self.clock()
        async with self.db.session() as session:
            ticket, community = await self._may_forward(session, person, ticket_id)
            department = find_department(community.settings, code)
            if department is None:
                raise UnknownDepartment()
            orders = WorkOrderRepository(session)
            number = await orders.next_number(community.id)
            year = now.astimezone(self._zone(community)).year
            order = await orders.add(
                WorkOrder(
                    community_id=community.id,
                    ticket_id=ticket.id,
                    reference=f"{community.id}-{year}-{number:04d}",
                    department=department.code,
                    department_names=dict(department.names),
                    forwarded_by=person.id,
                    forwarded_at=now,
                    door=str(door),
                )
            )
            tickets = TicketRepository(session)
            ticket.updated_at = now
            names = dict(department.names)
            await tickets.add_event(
                ticket.id,
                person.id,
                "whistled",
                now,
                note=f"{order.reference} · {' / '.join(names[k] for k in sorted(names))}",
                reference=order.reference,
                department=department.code,
                door=str(door),
            )
            await tickets.add_recipient(ticket.id, person.id, "whistle", now)
            await self.audience.refresh_cards(session, ticket)
            await self._tell_staff(session, ticket, order, person, "whistle-staff-forwarded")
            author = await self.audience.author(session, ticket)
            followers = await self.audience.followers(session, ticket)
            keyed = [(author, "whistle-resident-forwarded")] if author else []
            for resident, key in keyed + [(f, "whistle-follower-forwarded") for f in followers]:
                await self.audience.tell(
                    session,
                    resident,
                    key,
                    ticket,
                    number=ticket.number,
                    department=self._name(order, resident),
                    reference=order.reference,
                )
            await session.commit()
            return Forwarded(ticket, order)

    async def record_answer(
        self, person: Person, ticket_id: int, answer: str, *, door: str = Channel.TELEGRAM
    ) -> Forwarded:
        """The department answered: its words on the work order and in the history; the
        reminders stop; the author reads the answer, followers that there is one."""
        now = self.clock()
        answer = checked(answer, MAX_ANSWER)
        if not answer:
            raise ServiceError("whistle-answer-empty")
        async with self.db.session() as session:
            ticket = await self._authorise(session, person, ticket_id, Action.WHISTLE_ANSWER)
            orders = WorkOrderRepository(session)
            order = await orders.latest(ticket.id)
            if order is None or not await orders.record_answer(order.id, answer, person.id, now):
                raise NoAnswerAwaited(ticket)
            await session.refresh(order)
            tickets = TicketRepository(session)
            ticket.updated_at = now
            await tickets.add_event(
                ticket.id,
                person.id,
                "whistle-answered",
                now,
                note=answer,
                reference=order.reference,
                door=str(door),
            )
            await self.audience.refresh_cards(session, ticket)
            await self._tell_staff(session, ticket, order, person, "whistle-staff-answered")
            author = await self.audience.author(session, ticket)
            if author is not None:
                await self.audience.tell(
                    session,
                    author,
                    "whistle-resident-answered",
                    ticket,
                    note=answer,
                    number=ticket.number,
                    department=self._name(order, author),
                )
            for follower in await self.audience.followers(session, ticket):
                await self.audience.tell(
                    session,
                    follower,
                    "whistle-follower-answered",
                    ticket,
                    number=ticket.number,
                    department=self._name(order, follower),
                )
            await session.commit()
            return Forwarded(ticket, order)

    # ------------------------------------------------------------------------- rules

    async def _authorise(
        self, session: AsyncSession, person: Person, ticket_id: int, action: Action
    ) -> Ticket:
        """The office may; a head is told the office does it; a stranger learns nothing; the
        right person at the wrong moment (a closed ticket) reads how the ticket stands."""
        ticket = await TicketRepository(session).get(ticket_id)
        if ticket is None:
            raise ServiceError("not-allowed")
        relations = await self.access.relations(session, person, ticket)
        if not relations & OFFICE:
            if relations & STAFF:
                raise OfficeOnly(ticket)
            if not relations:
                raise NoAccess(ticket)  # a removed coordinator's old card loses its buttons
            raise ServiceError("not-allowed")  # a resident's forged button
        if not may(action, relations, ticket.status):
            raise StaleAction(ticket)
        return ticket

    async def _may_forward(
        self, session: AsyncSession, person: Person, ticket_id: int
    ) -> tuple[Ticket, Community]:
        ticket = await self._authorise(session, person, ticket_id, Action.WHISTLE)
        order = await WorkOrderRepository(session).latest(ticket.id)
        if order is not None and order.answered_at is None:
            raise AlreadyForwarded(ticket, order, self._name(order, person))
        community = await CommunityRepository(session).get(ticket.community_id)
        assert community is not None
        return ticket, community

    async def _tell_staff(
        self,
        session: AsyncSession,
        ticket: Ticket,
        order: WorkOrder,
        actor: Person,
        key: str,
    ) -> None:
        """The staff who hear the ticket (its holder, else its recipients), but the one who
        did it: the department and the reference, in their language."""
        for staff in await self.audience.staff_audience(session, ticket):
            if staff.id != actor.id:
                await self.audience.tell(
                    session,
                    staff,
                    key,
                    ticket,
                    note=order.answer if order.answered_at is not None else None,
                    number=ticket.number,
                    department=self._name(order, staff),
                    reference=order.reference,
                )

    def _name(self, order: WorkOrder, person: Person) -> str:
        return name_in(
            order.department_names,
            person.language or self.translations.default,
            order.department,
        )

    @staticmethod
    def _zone(community: Community) -> ZoneInfo:
        try:
            return ZoneInfo(community.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("Asia/Shanghai")
