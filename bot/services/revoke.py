"""Taking a role away: a head or deputy of a building, or a coordinator of a building or a
whole community. From the command line (``python -m bot revoke``) or, for heads and deputies,
by a coordinator (or admin) of the building in chat.

One transaction: the role goes; every card of a ticket the person no longer covers is edited
to show no buttons (on delivery, rendered for who they are now); those tickets stop reaching
them; the unfinished ones they owned or held go to the next people of the fallback chain
(deputy → coordinators → admins), a taken one back to "new" so someone can take it; the
removed person is told politely, the building's remaining staff are told. An admin is removed
from ADMIN_IDS instead: that needs no database state (see bot/services/access.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.access import coverage
from bot.services.clock import Clock
from bot.services.community import locate_building
from bot.services.contacts import admin_addresses, distinct_recipients, is_admin, telegram_label
from bot.services.errors import ServiceError
from bot.services.handover import hand_over
from bot.services.joins import JoinService
from bot.services.notify import Notifier
from bot.services.staff_rows import fail_staff_rows
from bot.services.ticket_audience import TicketAudience
from storage.db import Database
from storage.models import Address, Building, Community, Person, Role, telegram_address
from storage.repositories import CommunityRepository, OutboxRepository, PersonRepository
from storage.repositories.stats import Scope
from storage.repositories.tickets import UNFINISHED, TicketRepository

REVOCABLE = (Role.HEAD, Role.DEPUTY, Role.COORDINATOR)
REMOVABLE_IN_CHAT = (Role.HEAD, Role.DEPUTY)


@dataclass(frozen=True, slots=True)
class Revoked:
    name: str
    role: Role
    place: str
    community: str
    handed_over: int  # unfinished tickets they owned or held, now with someone else


@dataclass(frozen=True, slots=True)
class StaffMember:
    person_id: int
    name: str
    role: Role


class RevokeService:
    def __init__(
        self,
        config: Config,
        db: Database,
        notifier: Notifier,
        clock: Clock,
        audience: TicketAudience,
        joins: JoinService,
    ) -> None:
        self.config = config
        self.db = db
        self.notifier = notifier
        self.clock = clock
        self.audience = audience
        self.joins = joins

    # ------------------------------------------------------------------------- the operator

    async def revoke(
        self,
        role: Role,
        telegram_id: int | None,
        target: str,
        *,
        community: str | None = None,
        person_id: int | None = None,
    ) -> Revoked:
        """``python -m bot revoke``: ``target`` is a building code (head, deputy, a building's
        coordinator) or a community name (its coordinator), as for ``invite``. The person by
        their Telegram user id, or by ``person_id`` (the ``#id`` the holder list shows) when
        they have no Telegram: the office of this computer, a head only in WeChat."""
        if (telegram_id is None) == (person_id is None):
            raise ServiceError("revoke-whom")
        if role not in REVOCABLE:
            raise ServiceError("revoke-bad-role")
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            found = await communities.by_name(target) if role is Role.COORDINATOR else None
            building = None
            if found is None:
                building = await locate_building(communities, target, community)
                found = await communities.get(building.community_id)
            assert found is not None
            place = found
            people = PersonRepository(session)
            if person_id is not None:
                person = await people.get(person_id)
            else:
                assert telegram_id is not None
                person = await people.by_contact(*telegram_address(telegram_id))
            if person is None or not await self._holds(session, person, role, place, building):
                holders = await self._holders(session, role, place, building)
                raise ServiceError(
                    "revoke-not-holder",
                    id=str(telegram_id) if person_id is None else f"#{person_id}",
                    role=role.value,
                    place=building.name if building else place.name,
                    holders=", ".join(f"{p.display_name} ({telegram_label(p)})" for p in holders)
                    or "-",
                )
            revoked = await self._revoke(session, person, role, place, building, by=None)
            await session.commit()
            return revoked

    # ------------------------------------------------------------------------- in chat

    async def building_staff(
        self, by: Person, code: str | None
    ) -> tuple[Building, list[StaffMember]]:
        """The heads and deputies of a building ``by`` may remove them from: as its
        coordinator, the community's, or an admin. Without a code, the one building they
        coordinate (if it is one)."""
        async with self.db.session() as session:
            people = PersonRepository(session)
            areas = await people.coordinator_areas(by.id)
            communities = CommunityRepository(session)
            if code is None:
                own = {a.building_id for a in areas}
                if len(own) != 1 or None in own:
                    raise ServiceError("staff-usage")
                building = await communities.building(own.pop() or 0)
            else:
                hint = {a.community_name for a in areas}
                community = hint.pop() if len(hint) == 1 else None
                building = await locate_building(communities, code, community)
            assert building is not None
            return building, await self._staff(session, by, building.id)

    async def building_staff_by_id(
        self, by: Person, building_id: int
    ) -> tuple[Building, list[StaffMember]]:
        async with self.db.session() as session:
            building = await self._managed(session, by, building_id)
            return building, await self._staff(session, by, building_id)

    async def _staff(
        self, session: AsyncSession, by: Person, building_id: int
    ) -> list[StaffMember]:
        building = await self._managed(session, by, building_id)
        people = PersonRepository(session)
        return [
            StaffMember(person.id, person.display_name, role)
            for role in REMOVABLE_IN_CHAT
            for person in await people.members(building.id, [role])
        ]

    async def remove(self, by: Person, person_id: int, building_id: int, role: Role) -> Revoked:
        if role not in REMOVABLE_IN_CHAT:
            raise ServiceError("not-allowed")
        async with self.db.session() as session:
            building = await self._managed(session, by, building_id)
            person = await PersonRepository(session).get(person_id)
            community = await CommunityRepository(session).get(building.community_id)
            assert community is not None
            if person is None or not await self._holds(session, person, role, community, building):
                raise ServiceError("staff-gone")  # removed meanwhile (a double tap)
            revoked = await self._revoke(session, person, role, community, building, by=by)
            await session.commit()
            return revoked

    async def _managed(self, session: AsyncSession, by: Person, building_id: int) -> Building:
        building = await CommunityRepository(session).building(building_id)
        if building is None:
            raise ServiceError("not-allowed")
        areas = await PersonRepository(session).coordinator_areas(by.id)
        coordinates = any(
            a.community_id == building.community_id and a.building_id in (None, building.id)
            for a in areas
        )
        if not (is_admin(self.config, by) or coordinates):
            raise ServiceError("not-allowed")  # heads do not remove each other
        return building

    # ------------------------------------------------------------------------- the work

    async def _holds(
        self,
        session: AsyncSession,
        person: Person,
        role: Role,
        community: Community,
        building: Building | None,
    ) -> bool:
        people = PersonRepository(session)
        if role is Role.COORDINATOR:
            area = building.id if building else None
            return any(
                p.id == person.id for p in await people.coordinators_of_area(community.id, area)
            )
        assert building is not None
        return await people.membership(person.id, building.id, role) is not None

    async def _holders(
        self, session: AsyncSession, role: Role, community: Community, building: Building | None
    ) -> Sequence[Person]:
        people = PersonRepository(session)
        if role is Role.COORDINATOR:
            area = building.id if building else None
            return await people.coordinators_of_area(community.id, area)
        assert building is not None
        return await people.members(building.id, [role])

    async def _revoke(
        self,
        session: AsyncSession,
        person: Person,
        role: Role,
        community: Community,
        building: Building | None,
        *,
        by: Person | None,
    ) -> Revoked:
        now = self.clock()
        people = PersonRepository(session)
        if role is Role.COORDINATOR:
            area = building.id if building else None
            await people.remove_coordinator_scope(person.id, community.id, area)
        else:
            assert building is not None
            await people.remove_membership(person.id, building.id, role)
        await session.flush()
        covered = await coverage(session, self.config, person)
        tickets = TicketRepository(session)
        lost = [
            row
            for row in await tickets.involving(person.id)
            if not covered.covers(row.community_id, row.building_id)
        ]
        handed = 0
        for row in lost:
            # Their copy of the card, of a finished ticket too: edited on delivery to "no
            # access", without buttons (see cards.py); a ticket they never got a card of
            # gets none.
            ticket = await tickets.get(row.ticket_id)
            assert ticket is not None
            await self.audience.send_card(session, ticket, person.id)
            if row.status in UNFINISHED and (row.holds or row.owns):
                await hand_over(session, self.audience, row.ticket_id, now, gone=[person.id])
                handed += 1
        await tickets.drop_recipient(person.id, [row.ticket_id for row in lost])
        # What was written for them as staff and has not gone yet (delivery behind a notice
        # to a whole estate): the report's photos, a resident's message. It goes to no one;
        # their cards, rendered at delivery, say "no access".
        await OutboxRepository(session).fail_pending_as_staff(
            person.id, [row.ticket_id for row in lost], "role revoked"
        )
        # Their copies of join requests they no longer decide: edited to "no access", and a
        # request nobody left may decide goes to whoever would get it now.
        await self.joins.hand_over_copies_of(session, person.id, now)
        # And what was written for them as staff about no one ticket (a digest, a weekly
        # summary, a claim or an offer to decide, a colleague's news) for an area they no
        # longer cover. What they get as a resident, author or follower still goes.
        await fail_staff_rows(session, person.id, covered, "role revoked")
        place = building.name if building else community.name
        await self.notifier.tell(
            session,
            person,
            "revoked-you",
            now,
            role=role.value,
            place=place,
            community=community.name,
        )
        await self._tell_staff(session, person, role, community, building, handed, by, now)
        return Revoked(person.display_name, role, place, community.name, handed)

    async def _tell_staff(
        self,
        session: AsyncSession,
        person: Person,
        role: Role,
        community: Community,
        building: Building | None,
        handed: int,
        by: Person | None,
        now: datetime,
    ) -> None:
        """The building's remaining heads and deputies and the community's coordinators (and
        the admins, for a coordinator), as when someone is appointed; not the one who did it."""
        communities = CommunityRepository(session)
        recipients: list[Person | Address] = []
        if building is not None:
            recipients += [head for head, _ in await communities.heads_of(building.id)]
        recipients += await communities.coordinators_of(community.id)
        if role is Role.COORDINATOR:
            recipients += admin_addresses(self.config)
        people = PersonRepository(session)
        for recipient in await distinct_recipients(people, recipients, skip=[person, by]):
            await self.notifier.tell(
                session,
                recipient,
                "revoked-notice",
                now,
                name=person.display_name or telegram_label(person),
                role=role.value,
                place=building.name if building else community.name,
                handed=handed,
                staff=Scope(community.id, (building.id,) if building else None),
            )
