"""Join requests (a join by the picker waiting for approval) and the approvers' copies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, JoinRequest, JoinRequestCopy, JoinStatus, table_of


@dataclass(frozen=True, slots=True)
class JoinArea:
    """Where someone may decide join requests: some buildings, whole communities, or (an
    admin) everywhere."""

    building_ids: Sequence[int] = ()
    community_ids: Sequence[int] = ()
    everywhere: bool = False

    def __bool__(self) -> bool:
        return self.everywhere or bool(self.building_ids) or bool(self.community_ids)

    def where(self) -> ColumnElement[bool]:
        if self.everywhere:
            return Building.id.is_not(None)
        return or_(
            Building.id.in_(list(self.building_ids)),
            Building.community_id.in_(list(self.community_ids)),
        )


def _pending_count(everywhere: bool) -> Select[int]:
    requests, buildings = table_of(JoinRequest), table_of(Building)
    where = (
        buildings.c.id.is_not(None)
        if everywhere
        else or_(
            buildings.c.id.in_(bindparam("building_ids", expanding=True)),
            buildings.c.community_id.in_(bindparam("community_ids", expanding=True)),
        )
    )
    return (
        select(func.count())
        .select_from(requests)
        .join(buildings, buildings.c.id == requests.c.building_id)
        .where(requests.c.status == JoinStatus.PENDING, where)
    )


# ``pending_count``'s two statements (everywhere, or some buildings and communities), built
# once, the lists bound at execution: every /tickets of a head asks it.
_PENDING_COUNT = {everywhere: _pending_count(everywhere) for everywhere in (False, True)}


class JoinRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, person_id: int, building_id: int, display_name: str, flat: str | None, now: datetime
    ) -> JoinRequest:
        request = JoinRequest(
            person_id=person_id,
            building_id=building_id,
            display_name=display_name,
            flat=flat,
            status=JoinStatus.PENDING,
            created_at=now,
        )
        self.session.add(request)
        await self.session.flush()
        return request

    async def get(self, request_id: int) -> JoinRequest | None:
        return await self.session.get(JoinRequest, request_id)

    async def pending(self, person_id: int, building_id: int) -> JoinRequest | None:
        return await self.session.scalar(
            select(JoinRequest).where(
                JoinRequest.person_id == person_id,
                JoinRequest.building_id == building_id,
                JoinRequest.status == JoinStatus.PENDING,
            )
        )

    async def of_person(self, person_id: int) -> Sequence[JoinRequest]:
        query = select(JoinRequest).where(JoinRequest.person_id == person_id)
        return (await self.session.scalars(query.order_by(JoinRequest.id))).all()

    async def count_since(self, person_id: int, since: datetime) -> int:
        query = select(func.count()).where(
            JoinRequest.person_id == person_id, JoinRequest.created_at >= since
        )
        return await self.session.scalar(query) or 0

    async def declined_since(self, person_id: int, building_id: int, since: datetime) -> bool:
        query = select(JoinRequest.id).where(
            JoinRequest.person_id == person_id,
            JoinRequest.building_id == building_id,
            JoinRequest.status == JoinStatus.DECLINED,
            JoinRequest.decided_at >= since,
        )
        return await self.session.scalar(query.limit(1)) is not None

    async def settle(
        self,
        request_id: int,
        status: JoinStatus,
        now: datetime,
        *,
        decided_by: int | None = None,
        person_id: int | None = None,
    ) -> bool:
        """Moves a pending request to ``status``; False when it was no longer pending (of two
        heads pressing at once, exactly one wins). ``person_id``: only the requester's own."""
        conditions = [JoinRequest.id == request_id, JoinRequest.status == JoinStatus.PENDING]
        if person_id is not None:
            conditions.append(JoinRequest.person_id == person_id)
        result = await self.session.execute(
            update(JoinRequest)
            .where(*conditions)
            .values(status=status, decided_at=now, decided_by=decided_by)
            .execution_options(synchronize_session=False)
        )
        changed = getattr(result, "rowcount", 0) == 1
        if changed:
            request = await self.session.get(JoinRequest, request_id)
            if request is not None:
                await self.session.refresh(request)
        return changed

    # The approvers' copies

    async def add_copy(self, request_id: int, person_id: int, reason: str) -> None:
        self.session.add(JoinRequestCopy(request_id=request_id, person_id=person_id, reason=reason))
        await self.session.flush()

    async def copies(self, request_id: int) -> Sequence[JoinRequestCopy]:
        query = select(JoinRequestCopy).where(JoinRequestCopy.request_id == request_id)
        return (await self.session.scalars(query.order_by(JoinRequestCopy.id))).all()

    async def copy(self, request_id: int, person_id: int) -> JoinRequestCopy | None:
        return await self.session.scalar(
            select(JoinRequestCopy).where(
                JoinRequestCopy.request_id == request_id, JoinRequestCopy.person_id == person_id
            )
        )

    async def pending_copies_of(self, person_id: int) -> Sequence[int]:
        """Pending requests the person was asked to decide."""
        query = (
            select(JoinRequestCopy.request_id)
            .join(JoinRequest, JoinRequest.id == JoinRequestCopy.request_id)
            .where(
                JoinRequestCopy.person_id == person_id,
                JoinRequest.status == JoinStatus.PENDING,
            )
        )
        return (await self.session.scalars(query.order_by(JoinRequestCopy.request_id))).all()

    # Staff lists and the digest

    def _pending_in(self, area: JoinArea) -> list[ColumnElement[bool]]:
        return [JoinRequest.status == JoinStatus.PENDING, area.where()]

    async def pending_count(self, area: JoinArea) -> int:
        values = {
            "building_ids": list(area.building_ids),
            "community_ids": list(area.community_ids),
        }
        return await self.session.scalar(_PENDING_COUNT[area.everywhere], values) or 0

    async def pending_page(
        self, area: JoinArea, offset: int, limit: int
    ) -> Sequence[tuple[JoinRequest, Building]]:
        query = (
            select(JoinRequest, Building)
            .join(Building, Building.id == JoinRequest.building_id)
            .where(*self._pending_in(area))
            .order_by(JoinRequest.created_at, JoinRequest.id)
            .offset(offset)
            .limit(limit)
        )
        return [(r, b) for r, b in (await self.session.execute(query)).all()]

    async def pending_by_building(
        self, community_id: int, building_ids: Sequence[int] | None
    ) -> list[tuple[str, int]]:
        """(building name, pending requests) of a community or some of its buildings, the
        buildings with the most first."""
        count = func.count(JoinRequest.id)
        query = (
            select(Building.name, count)
            .join(JoinRequest, JoinRequest.building_id == Building.id)
            .where(Building.community_id == community_id, JoinRequest.status == JoinStatus.PENDING)
            .group_by(Building.id, Building.name, Building.code)
            .order_by(count.desc(), Building.code)
        )
        if building_ids is not None:
            query = query.where(Building.id.in_(list(building_ids)))
        return [(name, int(n)) for name, n in (await self.session.execute(query)).all()]
