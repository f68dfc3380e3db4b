"""Which tickets a person may work on as staff, from their *current* roles: head or deputy of a
building, coordinator of a building or a whole community, admin (listed in ADMIN_IDS now).
Having received a ticket's card is no role: a removed head, or an admin taken out of
ADMIN_IDS, keeps nothing of what they were sent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.contacts import is_admin
from storage.models import Person, Role, Ticket
from storage.repositories import PersonRepository


@dataclass(frozen=True, slots=True)
class Coverage:
    admin: bool = False
    building_ids: frozenset[int] = frozenset()  # head, deputy or coordinator of the building
    community_ids: frozenset[int] = frozenset()  # coordinator of the whole community

    def covers(self, community_id: int, building_id: int) -> bool:
        return self.admin or community_id in self.community_ids or building_id in self.building_ids

    def covers_ticket(self, ticket: Ticket) -> bool:
        return self.covers(ticket.community_id, ticket.building_id)


async def coverage(session: AsyncSession, config: Config, person: Person) -> Coverage:
    people = PersonRepository(session)
    roles = await people.building_roles(person.id)
    areas = await people.coordinator_areas(person.id)
    buildings = {r.building_id for r in roles if r.role in (Role.HEAD, Role.DEPUTY)}
    buildings |= {a.building_id for a in areas if a.building_id is not None}
    return Coverage(
        admin=is_admin(config, person),
        building_ids=frozenset(buildings),
        community_ids=frozenset(a.community_id for a in areas if a.building_id is None),
    )
