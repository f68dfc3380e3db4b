""" "Not fixed": a resolved ticket (or one the scheduler closed) opens again.

It goes back to the staff member who held it, still taken, when they can take it up again: they
still have a staff role for the ticket (head or deputy of its building, a coordinator of its
area, an admin: having received the card is not a role), they are not away and they have not
blocked the bot. Their card shows Reply and Resolve and the resident's reason, and they are
told. Otherwise the ticket waits as ``reopened`` for anyone to take, routed again to whoever
covers the building now (a new head, the deputy of an away head, the office).

The history records ``reopened`` (by the resident, with the reason) and, when it goes back,
``returned`` (to the holder): resolved → reopened → taken, as PRODUCT.md has it. Followers hear
that it is open again, not the reason. ``taken_at``
keeps the first take (the response KPIs measure the first answer, not the second); the
scheduler counts "not resolved in time" from the reopening (storage/repositories/sla.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.categories import find_category
from bot.services.clock import Clock
from bot.services.policy import Action, is_staff
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_audience import TicketAudience
from bot.services.ticket_core import StaleAction, checked
from storage.db import Database
from storage.models import Person, Ticket, TicketStatus
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.tickets import TicketRepository

S = TicketStatus


class TicketReopening:
    def __init__(
        self, db: Database, clock: Clock, access: TicketAccess, audience: TicketAudience
    ) -> None:
        self.db = db
        self.clock = clock
        self.access = access
        self.audience = audience

    async def reopen(self, person: Person, ticket_id: int, reason: str) -> Ticket:
        """The resident's "Not fixed" on a resolved ticket, with what is still wrong."""
        now = self.clock()
        reason = checked(reason)
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.REOPEN)
            holder = await self.holder_back(session, ticket, now)
            if not await TicketRepository(session).transition(
                ticket.id,
                [S.RESOLVED],
                now,
                status=S.TAKEN if holder else S.REOPENED,
                resolved_at=None,
            ):
                await session.rollback()
                raise StaleAction(await self.access.fresh(session, ticket_id))
            await self.reopened(session, ticket, person, reason, holder, now)
            await session.commit()
            return ticket

    async def holder_back(
        self, session: AsyncSession, ticket: Ticket, now: datetime
    ) -> Person | None:
        """The staff member who held ``ticket``, when it may go back to them now."""
        if ticket.holder_id is None:
            return None
        holder = await PersonRepository(session).get(ticket.holder_id)
        if holder is None or holder.unreachable_since is not None:
            return None
        if holder.away_until is not None and holder.away_until > now:
            return None
        if not is_staff(await self.access.relations(session, holder, ticket)):
            return None
        return holder

    async def reopened(
        self,
        session: AsyncSession,
        ticket: Ticket,
        person: Person,
        reason: str,
        holder: Person | None,
        now: datetime,
    ) -> None:
        """What a reopening writes once its transition was made (to TAKEN when ``holder``, else
        to REOPENED): the events, the cards, the staff's notices. The caller commits."""
        tickets = TicketRepository(session)
        await tickets.add_event(ticket.id, person.id, "reopened", now, note=reason)
        # A status change: the followers hear it, never the reason (the author's word to staff).
        await self.audience.tell_followers(
            session, ticket, "notice-reopened-follower", number=ticket.number
        )
        if holder is not None:
            await tickets.add_event(ticket.id, holder.id, "returned", now)
            await self.audience.refresh_cards(session, ticket)
            await self._notice(session, holder, ticket, "reopened-to-holder", reason)
            return
        gone = ticket.holder_id
        await self._route_again(session, ticket, now)
        await self.audience.refresh_cards(session, ticket)
        for staff in await self.audience.staff_audience(session, ticket, everyone=True):
            if staff.id != gone:  # they cannot take it back (away, blocked, or no role)
                await self._notice(session, staff, ticket, "reopened-to-anyone", reason)

    async def _route_again(self, session: AsyncSession, ticket: Ticket, now: datetime) -> None:
        """Whoever covers the building now gets the card too: a ticket is never left with a
        head who is gone."""
        community = await CommunityRepository(session).get(ticket.community_id)
        assert community is not None
        category = find_category(community.settings, ticket.category)
        routing = await self.audience.routing(session, ticket, community, category, now)
        tickets = TicketRepository(session)
        added = [
            (person_id, reason)
            for person_id, reason in routing.recipients
            if await tickets.add_recipient(ticket.id, person_id, reason, now)
        ]
        for person_id, _ in added:
            reach = routing.reach.get(person_id)
            await self.audience.send_card(session, ticket, person_id, with_media=True, reach=reach)
        if routing.owner_id and ticket.owner_id in (None, ticket.holder_id):
            ticket.owner_id = routing.owner_id
        if added:
            await tickets.add_event(
                ticket.id,
                None,
                "routed",
                now,
                recipients=[[p, r] for p, r in added],
                skipped=[[p, w] for p, w in routing.skipped],
            )

    async def _notice(
        self, session: AsyncSession, to: Person, ticket: Ticket, key: str, reason: str
    ) -> None:
        """The notice's words from the translations, the resident's reason after them, never
        through Fluent; several messages if the two do not fit one."""
        await self.audience.tell(
            session, to, key, ticket, number=ticket.number, note=reason or None
        )
