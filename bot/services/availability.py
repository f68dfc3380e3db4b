"""Whether the staff are there: who counts as staff, "away" until a date (routing passes an
away head by), and a recipient who blocked the bot (their tickets go on to the next people of
the fallback chain)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Config
from bot.services.categories import find_category
from bot.services.clock import Clock
from bot.services.contacts import is_admin
from bot.services.errors import NotStaff, ServiceError
from bot.services.ticket_audience import TicketAudience
from storage.db import Database
from storage.models import OPEN_STATUSES, Person, Role, TicketStatus
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.tickets import TicketRepository

S = TicketStatus


class StaffAvailability:
    def __init__(
        self, config: Config, db: Database, clock: Clock, audience: TicketAudience
    ) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.audience = audience

    async def is_staff(self, person: Person) -> bool:
        async with self.db.session() as session:
            people = PersonRepository(session)
            roles = await people.building_roles(person.id)
            areas = await people.coordinator_areas(person.id)
        return (
            any(r.role in (Role.HEAD, Role.DEPUTY) for r in roles)
            or bool(areas)
            or is_admin(self.config, person)
        )

    async def set_away(self, person: Person, until: datetime | None) -> datetime:
        now = self.clock()
        until = until or now + timedelta(days=365)
        if until <= now:
            raise ServiceError("away-past")
        if not await self.is_staff(person):
            raise NotStaff()
        async with self.db.session() as session:
            row = await PersonRepository(session).get(person.id)
            assert row is not None
            row.away_until = until
            await session.commit()
        return until

    async def back(self, person: Person) -> None:
        async with self.db.session() as session:
            row = await PersonRepository(session).get(person.id)
            assert row is not None
            row.away_until = None
            await session.commit()

    async def reroute(self, ticket_id: int, unreachable_person_id: int) -> list[int]:
        """A recipient of the ticket blocked the bot: the next people of its fallback chain get
        the card (and own it, if the unreachable one did). Returns who was added."""
        now = self.clock()
        async with self.db.session() as session:
            tickets = TicketRepository(session)
            ticket = await tickets.get(ticket_id)
            if ticket is None or ticket.status not in (*OPEN_STATUSES, S.RESOLVED):
                return []
            recipients = {r.person_id for r in await tickets.recipients(ticket.id)}
            if unreachable_person_id not in recipients:
                return []  # a resident blocked the bot: nobody else should get their messages
            community = await CommunityRepository(session).get(ticket.community_id)
            assert community is not None
            category = find_category(community.settings, ticket.category)
            routing = await self.audience.routing(session, ticket, community, category, now)
            added = []
            for person_id, _ in routing.recipients:
                if await tickets.add_recipient(ticket.id, person_id, "reroute", now):
                    added.append(person_id)
                    reach = routing.reach.get(person_id)
                    await self.audience.send_card(
                        session, ticket, person_id, with_media=True, reach=reach
                    )
            if ticket.owner_id in (None, unreachable_person_id) and routing.owner_id:
                ticket.owner_id = routing.owner_id
            await tickets.add_event(
                ticket.id, None, "rerouted", now, unreachable=unreachable_person_id, to=added
            )
            await session.commit()
            return added
