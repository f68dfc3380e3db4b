from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Community, CoordinatorScope, Membership, Person, Role


@dataclass(frozen=True, slots=True)
class BuildingRole:
    building_id: int
    building_code: str
    building_name: str
    community_name: str
    role: Role
    flat: str | None


@dataclass(frozen=True, slots=True)
class CoordinatorArea:
    community_id: int
    community_name: str
    building_id: int | None
    building_name: str | None


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.telegram_id == telegram_id))

    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def add(self, telegram_id: int, display_name: str, now: datetime) -> Person:
        person = Person(telegram_id=telegram_id, display_name=display_name, created_at=now)
        self.session.add(person)
        await self.session.flush()
        return person

    async def mark_unreachable(self, telegram_id: int, now: datetime) -> None:
        await self.session.execute(
            update(Person)
            .where(Person.telegram_id == telegram_id, Person.unreachable_since.is_(None))
            .values(unreachable_since=now)
        )

    # Memberships

    async def membership(self, person_id: int, building_id: int, role: Role) -> Membership | None:
        query = select(Membership).where(
            Membership.person_id == person_id,
            Membership.building_id == building_id,
            Membership.role == role,
        )
        return await self.session.scalar(query)

    async def add_membership(
        self, person_id: int, building_id: int, role: Role, now: datetime, flat: str | None = None
    ) -> Membership:
        membership = Membership(
            person_id=person_id, building_id=building_id, role=role, flat=flat, since=now
        )
        self.session.add(membership)
        await self.session.flush()
        return membership

    async def remove_membership(self, person_id: int, building_id: int, role: Role) -> bool:
        result = await self.session.execute(
            delete(Membership).where(
                Membership.person_id == person_id,
                Membership.building_id == building_id,
                Membership.role == role,
            )
        )
        return int(getattr(result, "rowcount", 0)) > 0

    async def members(self, building_id: int, roles: Sequence[Role]) -> Sequence[Person]:
        """The building's people in these roles, longest-serving first."""
        query = (
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.building_id == building_id, Membership.role.in_(list(roles)))
            .order_by(Membership.since, Person.id)
        )
        return (await self.session.scalars(query)).all()

    async def building_roles(self, person_id: int) -> Sequence[BuildingRole]:
        query = (
            select(Membership, Building, Community.name)
            .join(Building, Building.id == Membership.building_id)
            .join(Community, Community.id == Building.community_id)
            .where(Membership.person_id == person_id)
            .order_by(Community.name, Building.code, Membership.role)
        )
        return [
            BuildingRole(
                building_id=building.id,
                building_code=building.code,
                building_name=building.name,
                community_name=community_name,
                role=membership.role,
                flat=membership.flat,
            )
            for membership, building, community_name in (await self.session.execute(query)).all()
        ]

    # Coordinator scopes

    async def coordinator_areas(self, person_id: int) -> Sequence[CoordinatorArea]:
        query = (
            select(CoordinatorScope, Community.name, Building.name)
            .join(Community, Community.id == CoordinatorScope.community_id)
            .outerjoin(Building, Building.id == CoordinatorScope.building_id)
            .where(CoordinatorScope.person_id == person_id)
            .order_by(Community.name, Building.code)
        )
        return [
            CoordinatorArea(
                community_id=scope.community_id,
                community_name=community_name,
                building_id=scope.building_id,
                building_name=building_name,
            )
            for scope, community_name, building_name in (await self.session.execute(query)).all()
        ]

    async def add_coordinator_scope(
        self, person_id: int, community_id: int, building_id: int | None, now: datetime
    ) -> CoordinatorScope | None:
        """Adds the scope unless the person already has it (NULL building ids never collide in a
        unique constraint, so this checks first)."""
        query = select(CoordinatorScope).where(
            CoordinatorScope.person_id == person_id,
            CoordinatorScope.community_id == community_id,
            CoordinatorScope.building_id.is_(None)
            if building_id is None
            else CoordinatorScope.building_id == building_id,
        )
        if await self.session.scalar(query) is not None:
            return None
        scope = CoordinatorScope(
            person_id=person_id, community_id=community_id, building_id=building_id, since=now
        )
        self.session.add(scope)
        await self.session.flush()
        return scope

    async def remove_coordinator_scope(
        self, person_id: int, community_id: int, building_id: int | None
    ) -> bool:
        result = await self.session.execute(
            delete(CoordinatorScope).where(
                CoordinatorScope.person_id == person_id,
                CoordinatorScope.community_id == community_id,
                CoordinatorScope.building_id.is_(None)
                if building_id is None
                else CoordinatorScope.building_id == building_id,
            )
        )
        return int(getattr(result, "rowcount", 0)) > 0

    async def coordinators_of_area(
        self, community_id: int, building_id: int | None
    ) -> Sequence[Person]:
        """Who coordinates exactly this area: the whole community, or this one building."""
        query = (
            select(Person)
            .join(CoordinatorScope, CoordinatorScope.person_id == Person.id)
            .where(
                CoordinatorScope.community_id == community_id,
                CoordinatorScope.building_id.is_(None)
                if building_id is None
                else CoordinatorScope.building_id == building_id,
            )
            .order_by(CoordinatorScope.since, Person.id)
        )
        return (await self.session.scalars(query)).all()
