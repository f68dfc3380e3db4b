"""Assigning: staff hand a ticket to a head or deputy of its building (the office console's
"assign to"). The assignee holds it as if they had taken it: the ticket is theirs, their card
arrives with everything a newcomer to the ticket needs, and the resident hears it is taken."""

from __future__ import annotations

from collections.abc import Sequence

from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.policy import Action
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_audience import TicketAudience
from bot.services.ticket_core import StaleAction, door_data
from storage.db import Database
from storage.models import Channel, Person, Role, Ticket, TicketStatus
from storage.repositories import PersonRepository
from storage.repositories.tickets import TicketRepository

S = TicketStatus
# Who a ticket can be assigned to: whoever serves its building now.
ASSIGNABLE = (Role.HEAD, Role.DEPUTY)


class TicketAssigning:
    def __init__(
        self, db: Database, clock: Clock, access: TicketAccess, audience: TicketAudience
    ) -> None:
        self.db = db
        self.clock = clock
        self.access = access
        self.audience = audience

    async def assignees(self, person: Person, ticket_id: int) -> Sequence[Person]:
        """The heads and deputies ``person`` may give the ticket to now (refused as assigning
        itself would be)."""
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.ASSIGN)
            return await PersonRepository(session).members(ticket.building_id, ASSIGNABLE)

    async def assign(
        self,
        person: Person,
        ticket_id: int,
        assignee_id: int,
        *,
        door: str = Channel.TELEGRAM,
    ) -> Ticket:
        now = self.clock()
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, Action.ASSIGN)
            people = PersonRepository(session)
            assignee = await people.get(assignee_id)
            serving = [
                await people.membership(assignee_id, ticket.building_id, role)
                for role in ASSIGNABLE
            ]
            if assignee is None or not any(serving):
                # A forged id, or a head removed since the page was drawn.
                raise ServiceError("assign-not-staff")
            was = ticket.status
            if ticket.holder_id == assignee.id and was is S.TAKEN:
                raise StaleAction(ticket)  # already theirs: nothing to change
            tickets = TicketRepository(session)
            if not await tickets.transition(
                ticket.id,
                [S.NEW, S.TAKEN, S.REOPENED],
                now,
                status=S.TAKEN,
                holder_id=assignee.id,
                taken_at=ticket.taken_at or now,
            ):
                await session.rollback()
                raise StaleAction(await self.access.fresh(session, ticket_id))
            await tickets.add_event(
                ticket.id,
                person.id,
                "assigned",
                now,
                note=assignee.display_name,
                to=assignee.id,
                **door_data(door),
            )
            await self.audience.refresh_cards(session, ticket)
            if await tickets.add_recipient(ticket.id, assignee.id, "assigned", now):
                await self.audience.send_card(session, ticket, assignee.id, with_media=True)
            if assignee.id != person.id:
                await self.audience.tell(
                    session, assignee, "notice-assigned", ticket, number=ticket.number
                )
            if was is not S.TAKEN:
                await self.audience.tell_author(
                    session, ticket, "notice-taken", number=ticket.number
                )
                await self.audience.tell_followers(
                    session, ticket, "notice-taken-follower", number=ticket.number
                )
            await session.commit()
            return ticket
