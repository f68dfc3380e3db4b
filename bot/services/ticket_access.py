"""How a person stands to a ticket (author, follower, head, coordinator, admin), by their
current roles read from the database, and whether they may do an action on it now (policy.RULES).
A collaborator of every ticket use case; the methods that take a session run in the caller's."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.access import coverage
from bot.services.contacts import is_admin, people_and_admins
from bot.services.errors import ServiceError
from bot.services.policy import AUTHOR, RULES, Action, Relation, may
from bot.services.ticket_core import HOLDER_NAME, AlreadyTaken, NoAccess, StaleAction
from bot.text import cut
from storage.db import Database
from storage.models import Person, Role, Ticket, TicketStatus
from storage.repositories import PersonRepository
from storage.repositories.people import BuildingRole, CoordinatorArea
from storage.repositories.tickets import TicketRepository

S = TicketStatus


class TicketAccess:
    def __init__(self, config: Config, db: Database) -> None:
        self.config = config
        self.db = db

    async def relations(
        self,
        session: AsyncSession,
        person: Person,
        ticket: Ticket,
        following: bool | None = None,  # known already (authorise reads it with the ticket)
    ) -> frozenset[Relation]:
        # Having received the card is no relation: only current roles count (a removed head
        # or an admin taken out of ADMIN_IDS has nothing more to do with the ticket).
        follows = following
        if follows is None:
            follows = await TicketRepository(session).is_follower(ticket.id, person.id)
        people = PersonRepository(session)
        roles = await people.building_roles(person.id)  # cached: storage/cache.py
        areas = await people.coordinator_areas(person.id)
        return self._relations(person, ticket, follows, roles, areas, is_admin(self.config, person))

    async def readers(
        self, session: AsyncSession, person_ids: Iterable[int]
    ) -> tuple[dict[int, Person], set[int]]:
        """The people found among ``person_ids``, without their contacts, and which of them
        are administrators (for ``relations_of``), in one statement."""
        return await people_and_admins(PersonRepository(session), self.config, person_ids)

    async def relations_of(
        self,
        session: AsyncSession,
        pairs: Iterable[tuple[Person, Ticket]],
        admins: set[int],
    ) -> dict[tuple[int, int], frozenset[Relation]]:
        """``relations`` of many (person, ticket) pairs, keyed (person id, ticket id), in a
        few statements for all of them (a delivery pass's cards). The people need not have
        their contacts loaded: who among them is an administrator is ``admins`` (``readers``
        read it with them)."""
        wanted = list(pairs)
        following = await TicketRepository(session).following(
            (ticket.id, person.id) for person, ticket in wanted
        )
        people = PersonRepository(session)
        person_ids = {person.id for person, _ in wanted}
        roles = await people.building_roles_of(person_ids)
        areas = await people.coordinator_areas_of(person_ids)
        return {
            (person.id, ticket.id): self._relations(
                person,
                ticket,
                (ticket.id, person.id) in following,
                roles.get(person.id, ()),
                areas.get(person.id, ()),
                person.id in admins,
            )
            for person, ticket in wanted
        }

    def _relations(
        self,
        person: Person,
        ticket: Ticket,
        follows: bool,
        roles: Iterable[BuildingRole],
        areas: Iterable[CoordinatorArea],
        admin: bool,
    ) -> frozenset[Relation]:
        relations: set[Relation] = set()
        if admin:
            relations.add(Relation.ADMIN)
        if ticket.author_id == person.id:
            relations.add(Relation.AUTHOR)
        if follows:
            relations.add(Relation.FOLLOWER)
        for held in roles:
            if held.building_id == ticket.building_id and held.role in (Role.HEAD, Role.DEPUTY):
                relations.add(Relation.HEAD)
        for area in areas:
            if area.community_id == ticket.community_id and area.building_id in (
                None,
                ticket.building_id,
            ):
                relations.add(Relation.COORDINATOR)
        return frozenset(relations)

    async def authorise(
        self, session: AsyncSession, person: Person, ticket_id: int, action: Action
    ) -> tuple[Ticket, frozenset[Relation]]:
        ticket, following = await TicketRepository(session).get_and_following(ticket_id, person.id)
        if ticket is None:
            raise ServiceError("not-allowed")
        relations = await self.relations(session, person, ticket, following)
        if may(action, relations, ticket.status):
            return ticket, relations
        who, _ = RULES[action]
        if relations & who:
            # The right person, the wrong moment: the button is stale, not forged.
            raise StaleAction(ticket)
        if relations == {Relation.FOLLOWER} and who == AUTHOR:
            # "Me too" follows the ticket; its author alone speaks for it.
            raise ServiceError("follower-not-author", number=ticket.number)
        if not relations:
            raise NoAccess(ticket)
        raise ServiceError("not-allowed")

    async def check(self, person: Person, ticket_id: int, action: Action) -> Ticket:
        """Raises unless ``person`` may do ``action`` now (before asking them for a note)."""
        async with self.db.session() as session:
            ticket, _ = await self.authorise(session, person, ticket_id, action)
            return ticket

    async def taken_by(self, session: AsyncSession, person: Person, ticket: Ticket) -> StaleAction:
        """Why a Take on ``ticket`` (as it is now) changed nothing."""
        if ticket.status is not S.TAKEN or ticket.holder_id is None:
            return StaleAction(ticket)
        if ticket.holder_id == person.id:
            return AlreadyTaken(ticket, None)
        holder = await PersonRepository(session).get(ticket.holder_id)
        if holder is None:
            return StaleAction(ticket)
        # A callback answer holds 200 UTF-16 units; a display name may be 130 characters.
        return AlreadyTaken(ticket, cut(holder.display_name, HOLDER_NAME))

    async def fresh(self, session: AsyncSession, ticket_id: int) -> Ticket:
        """The ticket as it is now, after the caller rolled back its own attempt (a rollback
        expires the session's copies, so this reads the row again)."""
        ticket = await TicketRepository(session).get(ticket_id)
        assert ticket is not None
        return ticket

    async def covers(self, session: AsyncSession, person: Person, ticket: Ticket) -> bool:
        """Whether ``person``'s current roles make them staff of ``ticket``."""
        return (await coverage(session, self.config, person)).covers_ticket(ticket)
