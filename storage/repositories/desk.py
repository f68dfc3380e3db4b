"""The console's Buildings page in a handful of grouped queries, whatever the number of
buildings: the buildings of an area, their heads and deputies, residents joined, open tickets
and the last change of any of their tickets. Portable between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OPEN_STATUSES, Building, Community, Membership, Person, Role, Ticket


@dataclass(frozen=True, slots=True)
class StaffRow:
    building_id: int
    person_id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class BuildingFigures:
    building: Building
    community: Community
    residents: int
    open_tickets: int
    last_activity: datetime | None


def area_condition(
    admin: bool, community_ids: Sequence[int], building_ids: Sequence[int]
) -> ColumnElement[bool]:
    """The buildings of a coverage (bot/services/access.py), as an SQL condition."""
    if admin:
        return true()
    if not community_ids and not building_ids:
        return false()
    return or_(Building.community_id.in_(community_ids), Building.id.in_(building_ids))


class DeskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def buildings(self, area: ColumnElement[bool]) -> list[BuildingFigures]:
        query = (
            select(Building, Community)
            .join(Community, Community.id == Building.community_id)
            .where(area)
            .order_by(Community.name, Building.code)
        )
        rows = (await self.session.execute(query)).all()
        ids = [b.id for b, _ in rows]
        residents = await self._grouped(
            select(Membership.building_id, func.count())
            .where(Membership.role == Role.RESIDENT, Membership.building_id.in_(ids))
            .group_by(Membership.building_id)
        )
        open_tickets = await self._grouped(
            select(Ticket.building_id, func.count())
            .where(
                Ticket.building_id.in_(ids),
                Ticket.status.in_(OPEN_STATUSES),
                Ticket.merged_into_id.is_(None),
            )
            .group_by(Ticket.building_id)
        )
        last = dict(
            (
                await self.session.execute(
                    select(Ticket.building_id, func.max(Ticket.updated_at))
                    .where(Ticket.building_id.in_(ids))
                    .group_by(Ticket.building_id)
                )
            ).all()
        )
        return [
            BuildingFigures(b, c, residents.get(b.id, 0), open_tickets.get(b.id, 0), last.get(b.id))
            for b, c in rows
        ]

    async def staff(self, building_ids: Sequence[int]) -> list[StaffRow]:
        """Heads and deputies of the buildings, longest-serving first."""
        query = (
            select(Membership.building_id, Person.id, Person.display_name, Membership.role)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Membership.building_id.in_(building_ids),
                Membership.role.in_([Role.HEAD, Role.DEPUTY]),
            )
            .order_by(Membership.since, Person.id)
        )
        return [StaffRow(*row) for row in (await self.session.execute(query)).all()]

    async def _grouped(self, query: object) -> dict[int, int]:
        rows = (await self.session.execute(query)).all()  # type: ignore[call-overload]
        return {int(key): int(value) for key, value in rows}
