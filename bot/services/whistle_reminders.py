"""The work orders' clock: an order waiting for its department's answer reminds whoever
forwarded it (``whistle_reminder_days`` after, then as often again, at most
``whistle_reminders`` times), outside quiet hours, while its ticket is unfinished. Each
reminder is claimed with a conditional UPDATE in the transaction that writes it, so a restart
or a second instance never sends one twice (as bot/services/reminders.py does for tickets).

The forwarder is reminded while their current roles still cover the ticket; otherwise the
ticket's coordinators (the building's, then the community's), else the admins: a work order
is never left without someone to chase it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.access import coverage
from bot.services.clock import Clock
from bot.services.contacts import admin_people
from bot.services.departments import name_in
from bot.services.scheduling import open_buttons, sla_of, translator, write
from bot.services.sla import may_send, whistle_reminder_due
from storage.db import Database
from storage.models import Community, Person, Ticket, TicketStatus, WorkOrder
from storage.repositories import PersonRepository, WorkOrderRepository
from storage.repositories.sla import SlaRepository
from storage.repositories.tickets import TicketRepository

S = TicketStatus
# An answer to a ticket that is closed or withdrawn helps nobody: its order stops reminding.
UNFINISHED = (S.NEW, S.TAKEN, S.REOPENED, S.RESOLVED)


class WhistleReminders:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock

    async def run(self) -> int:
        """One scan of every community; returns how many reminders were written."""
        now = self.clock()
        async with self.db.session() as session:
            communities = await SlaRepository(session).communities()
        written = 0
        for community in communities:
            written += await self._community(community, now)
        return written

    async def _community(self, community: Community, now: datetime) -> int:
        sla = sla_of(community)
        if not may_send(now, sla):
            return 0  # waits for the morning
        written = 0
        async with self.db.session() as session:
            orders = WorkOrderRepository(session)
            for order, ticket in await orders.waiting(community.id, UNFINISHED):
                count = whistle_reminder_due(order.forwarded_at, order.reminders_sent, now, sla)
                if count is None or not await orders.claim_reminder(order, count, now):
                    continue
                await TicketRepository(session).add_event(
                    ticket.id, None, "whistle-reminded", now, n=count, reference=order.reference
                )
                for person in await self._chasers(session, order, ticket):
                    await self._remind(session, person, order, ticket, community, now)
                    written += 1
            await session.commit()
        return written

    async def _chasers(
        self, session: AsyncSession, order: WorkOrder, ticket: Ticket
    ) -> list[Person]:
        people = PersonRepository(session)
        forwarder = await people.get(order.forwarded_by) if order.forwarded_by else None
        if forwarder is not None and (
            await coverage(session, self.config, forwarder)
        ).covers_ticket(ticket):
            return [forwarder]
        tickets = TicketRepository(session)
        for building_id in (ticket.building_id, None):
            found = await tickets.coordinators(ticket.community_id, building_id)
            if found:
                return list(found)
        return list(await admin_people(people, self.config))

    async def _remind(
        self,
        session: AsyncSession,
        person: Person,
        order: WorkOrder,
        ticket: Ticket,
        community: Community,
        now: datetime,
    ) -> None:
        t = translator(self.translations, person)
        days = max(1, (now - order.forwarded_at).days)
        text = t(
            "whistle-reminder",
            number=ticket.number,
            department=name_in(order.department_names, t.language, order.department),
            reference=order.reference,
            days=days,
        )
        await write(
            session,
            person,
            now,
            text,
            buttons=open_buttons(t, [(ticket.id, ticket.number)]),
            ticket_id=ticket.id,
        )
