from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from storage.by_id import by_id
from storage.cache import ReadCache, cache_of
from storage.models import (
    Building,
    Community,
    CoordinatorScope,
    Membership,
    Person,
    Role,
    table_of,
)
from storage.rows import CommunityRow, CommunityView, PlaceRow

T = TypeVar("T", Community, Building)

_COMMUNITIES, _BUILDINGS = table_of(Community), table_of(Building)


# A building and its community in one statement (a report's Send asked each), built once.
_BUILDING_AND_COMMUNITY = (
    select(Building, Community)
    .join(Community, Community.id == Building.community_id)
    .where(Building.id == bindparam("building_id"))
)


# A building (which the use case reads on) and its community's id and settings, which it only
# reads: a row, not a second mapped object.
_BUILDING_AND_SETTINGS = (
    select(Building, _COMMUNITIES.c.id, _COMMUNITIES.c.settings)
    .join(_COMMUNITIES, _COMMUNITIES.c.id == Building.community_id)
    .where(Building.id == bindparam("building_id"))
)

# A building's community to read and the building's name, one row (a report's Send reads no
# more of the building: it was loaded as a mapped object for its name).
_PLACE = (
    select(_COMMUNITIES.c.id, _COMMUNITIES.c.settings, _BUILDINGS.c.name)
    .join(_BUILDINGS, _BUILDINGS.c.community_id == _COMMUNITIES.c.id)
    .where(_BUILDINGS.c.id == bindparam("building_id"))
)


class CommunityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_name(self, name: str) -> Community | None:
        return await self.session.scalar(select(Community).where(Community.name == name))

    async def get(self, community_id: int) -> Community | None:
        return await by_id(self.session, Community, community_id)

    async def get_many(self, community_ids: Iterable[int]) -> dict[int, Community]:
        ids = set(community_ids)
        if not ids:
            return {}
        found = await self.session.scalars(select(Community).where(Community.id.in_(ids)))
        return {community.id: community for community in found}

    async def buildings(self, building_ids: Iterable[int]) -> dict[int, Building]:
        ids = set(building_ids)
        if not ids:
            return {}
        found = await self.session.scalars(select(Building).where(Building.id.in_(ids)))
        return {building.id: building for building in found}

    async def to_read(
        self, community_ids: Iterable[int], building_ids: Iterable[int]
    ) -> tuple[dict[int, Community], dict[int, Building]]:
        """``get_many`` and ``buildings`` from the database's read cache where it has them (the
        others read, and kept there until a building or a community changes): for a delivery
        pass, whose cards show names, time zones and settings. To read only: detached rows,
        shared by every caller, never changed nor added to a session; a community's counters
        and claims in them (``ticket_seq``, ``digest_*``) may be stale, since their changes
        keep the cache (storage/cache.py IGNORED)."""
        cache = await cache_of(self.session)
        communities = await self._cached(cache, "community", community_ids, self.get_many)
        buildings = await self._cached(cache, "building", building_ids, self.buildings)
        return communities, buildings

    async def _cached(
        self,
        cache: ReadCache | None,
        what: str,
        ids: Iterable[int],
        read: Callable[[Iterable[int]], Awaitable[dict[int, T]]],
    ) -> dict[int, T]:
        wanted = set(ids)
        found: dict[int, T] = {}
        if cache is not None:
            for row_id in wanted:
                hit = cache.get("community", (what, row_id))
                if hit is not None:
                    found[row_id] = hit
            epoch = cache.epoch  # before the read: a change meanwhile keeps nothing
        missing = wanted - found.keys()
        if missing:
            read_now = await read(missing)
            found.update(read_now)
            if cache is not None:
                for row_id, row in read_now.items():
                    cache.put("community", (what, row_id), row, epoch, None)
        return found

    async def only(self) -> Community | None:
        """The community when the database holds exactly one, else None."""
        rows = (await self.session.scalars(select(Community).limit(2))).all()
        return rows[0] if len(rows) == 1 else None

    async def add(self, name: str, timezone: str, now: datetime) -> Community:
        community = Community(name=name, timezone=timezone, settings={}, created_at=now)
        self.session.add(community)
        await self.session.flush()
        return community

    async def count(self) -> int:
        return await self.session.scalar(select(func.count()).select_from(Community)) or 0

    async def page(self, offset: int, limit: int) -> Sequence[Community]:
        query = select(Community).order_by(Community.name).offset(offset).limit(limit)
        return (await self.session.scalars(query)).all()

    # Buildings

    async def building(self, building_id: int) -> Building | None:
        return await by_id(self.session, Building, building_id)

    async def building_and_community(self, building_id: int) -> tuple[Building, Community] | None:
        """The building and its community: from the session when it holds the building, else
        both in one statement."""
        if self.session.identity_map.get(identity_key(Building, building_id)) is None:
            values = {"building_id": building_id}
            row = (await self.session.execute(_BUILDING_AND_COMMUNITY, values)).first()
            return None if row is None else (row[0], row[1])
        building = await self.building(building_id)
        if building is None:
            return None
        community = await self.get(building.community_id)
        assert community is not None
        return building, community

    async def community_of_building(self, building_id: int) -> CommunityView | None:
        """The building's community, to read: the session's own when it holds the building,
        else its id and settings with the building in one statement (the building loaded,
        as ``building_and_community`` loads it)."""
        if self.session.identity_map.get(identity_key(Building, building_id)) is not None:
            found = await self.building_and_community(building_id)
            return None if found is None else found[1]
        values = {"building_id": building_id}
        row = (await self.session.execute(_BUILDING_AND_SETTINGS, values)).first()
        return None if row is None else CommunityRow(row[1], row[2])

    async def place_of_building(self, building_id: int) -> PlaceRow | None:
        """The building's community (its id and settings) and the building's name, as a row."""
        row = (await self.session.execute(_PLACE, {"building_id": building_id})).first()
        return None if row is None else PlaceRow._make(row)

    async def building_by_code(self, community_id: int, code: str) -> Building | None:
        query = select(Building).where(Building.community_id == community_id, Building.code == code)
        return await self.session.scalar(query)

    async def buildings_by_code(self, code: str) -> Sequence[Building]:
        """Buildings with this code in any community (codes are unique per community only)."""
        return (await self.session.scalars(select(Building).where(Building.code == code))).all()

    async def building_by_token(self, token: str) -> Building | None:
        return await self.session.scalar(select(Building).where(Building.join_token == token))

    async def add_building(
        self, community_id: int, code: str, name: str, address: str, token: str, now: datetime
    ) -> Building:
        building = Building(
            community_id=community_id,
            code=code,
            name=name,
            address=address,
            join_token=token,
            created_at=now,
        )
        self.session.add(building)
        await self.session.flush()
        return building

    async def count_buildings(self, community_id: int) -> int:
        query = select(func.count()).where(Building.community_id == community_id)
        return await self.session.scalar(query) or 0

    async def buildings_page(
        self, community_id: int, offset: int, limit: int
    ) -> Sequence[Building]:
        query = (
            select(Building)
            .where(Building.community_id == community_id)
            .order_by(Building.code)
            .offset(offset)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def buildings_with_community(
        self, community_id: int | None
    ) -> Sequence[tuple[Building, str]]:
        """Every building of the community (None: of every community) with its community's
        name, by community and code: what the join picker searches."""
        query = (
            select(Building, Community.name)
            .join(Community, Community.id == Building.community_id)
            .order_by(Community.name, Building.code)
        )
        if community_id is not None:
            query = query.where(Building.community_id == community_id)
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def heads_of(self, building_id: int) -> Sequence[tuple[Person, Role]]:
        """The building's heads and deputies, with their role."""
        query = (
            select(Person, Membership.role)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.building_id == building_id,
                Membership.role.in_([Role.HEAD, Role.DEPUTY]),
            )
            .order_by(Membership.role, Membership.since)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def coordinators_of(self, community_id: int) -> Sequence[Person]:
        """Everyone coordinating this community or a building in it."""
        coordinating = select(CoordinatorScope.person_id).where(
            CoordinatorScope.community_id == community_id
        )
        query = select(Person).where(Person.id.in_(coordinating)).order_by(Person.id)
        return (await self.session.scalars(query)).all()
