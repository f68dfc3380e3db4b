"""The console's lists of community life: the votes and the volunteer activities of an area
(some buildings, some whole communities, or everywhere), with the activities' figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Building,
    HoursStatus,
    ServiceHours,
    VolunteerActivity,
    VolunteerSignup,
    Vote,
    VoteStatus,
)


@dataclass(frozen=True, slots=True)
class ActivityFigures:
    signed: int  # sign-ups not cancelled
    checked_in: int
    confirmed: int  # volunteers whose hours are confirmed
    hours: float  # hours confirmed, all volunteers together


class OfficeListRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def votes(
        self,
        everywhere: bool,
        building_ids: Sequence[int],
        community_ids: Sequence[int],
        limit: int,
    ) -> list[tuple[Vote, Building]]:
        """Open votes first, then the newest closed ones."""
        query = select(Vote, Building).join(Building, Building.id == Vote.building_id)
        if not everywhere:
            query = query.where(
                or_(Building.id.in_(building_ids), Building.community_id.in_(community_ids))
            )
        query = query.order_by(Vote.status != VoteStatus.OPEN, Vote.id.desc()).limit(limit)
        return [(vote, building) for vote, building in (await self.session.execute(query)).all()]

    async def community_ids_of(self, building_ids: Sequence[int]) -> list[int]:
        query = select(Building.community_id).where(Building.id.in_(building_ids)).distinct()
        return list(await self.session.scalars(query))

    async def activities(
        self, everywhere: bool, community_ids: Sequence[int], limit: int
    ) -> Sequence[VolunteerActivity]:
        """The newest first (by their start)."""
        query = select(VolunteerActivity)
        if not everywhere:
            query = query.where(VolunteerActivity.community_id.in_(community_ids))
        query = query.order_by(
            VolunteerActivity.starts_at.desc(), VolunteerActivity.id.desc()
        ).limit(limit)
        return (await self.session.scalars(query)).all()

    async def activity_figures(self, activity_ids: Sequence[int]) -> dict[int, ActivityFigures]:
        """Numbers only: nobody's name."""
        signups = await self.session.execute(
            select(
                VolunteerSignup.activity_id,
                func.count(),
                func.count(VolunteerSignup.checked_in_at),
            )
            .where(
                VolunteerSignup.activity_id.in_(activity_ids),
                VolunteerSignup.cancelled_at.is_(None),
            )
            .group_by(VolunteerSignup.activity_id)
        )
        hours = await self.session.execute(
            select(ServiceHours.activity_id, func.count(), func.sum(ServiceHours.hours))
            .where(
                ServiceHours.activity_id.in_(activity_ids),
                ServiceHours.status == HoursStatus.CONFIRMED,
            )
            .group_by(ServiceHours.activity_id)
        )
        signed = {a: (int(n), int(c)) for a, n, c in signups.all()}
        confirmed = {a: (int(n), float(h or 0)) for a, n, h in hours.all() if a is not None}
        return {
            a: ActivityFigures(*signed.get(a, (0, 0)), *confirmed.get(a, (0, 0.0)))
            for a in activity_ids
        }
