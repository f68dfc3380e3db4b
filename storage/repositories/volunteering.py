"""Volunteer activities, their sign-ups, service hours, and the offers to serve as a head."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ActivityStatus,
    Building,
    CoverageEstateWeek,
    CoverageWeek,
    HoursStatus,
    Membership,
    Person,
    Role,
    ServeOffer,
    ServiceHours,
    VolunteerActivity,
    VolunteerSignup,
)


def _changed(result: object) -> int:
    return int(getattr(result, "rowcount", 0))


def _insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that may say ON CONFLICT, in the session's dialect."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


class VolunteeringRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, row: VolunteerActivity | VolunteerSignup | ServiceHours | ServeOffer
    ) -> None:
        self.session.add(row)
        await self.session.flush()

    async def activity(self, activity_id: int, *, lock: bool = False) -> VolunteerActivity | None:
        """``lock``: its row held to the end of the unit of work (``FOR UPDATE``)."""
        return await self.session.get(VolunteerActivity, activity_id, with_for_update=lock)

    async def by_token(self, token: str) -> VolunteerActivity | None:
        query = select(VolunteerActivity).where(VolunteerActivity.checkin_token == token)
        return (await self.session.scalars(query)).first()

    async def organised(self, person_id: int, limit: int) -> Sequence[VolunteerActivity]:
        query = (
            select(VolunteerActivity)
            .where(VolunteerActivity.organiser_id == person_id)
            .order_by(VolunteerActivity.starts_at.desc(), VolunteerActivity.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def open_of_others(
        self, person_id: int, everywhere: bool, community_ids: Sequence[int], limit: int
    ) -> Sequence[VolunteerActivity]:
        """The open activities someone else organised (or nobody now: forgotten), in these
        communities (``everywhere``: all), the earliest start first."""
        query = select(VolunteerActivity).where(
            VolunteerActivity.status == ActivityStatus.OPEN,
            or_(
                VolunteerActivity.organiser_id.is_(None),
                VolunteerActivity.organiser_id != person_id,
            ),
        )
        if not everywhere:
            query = query.where(VolunteerActivity.community_id.in_(community_ids))
        query = query.order_by(VolunteerActivity.starts_at, VolunteerActivity.id).limit(limit)
        return (await self.session.scalars(query)).all()

    async def signup(self, activity_id: int, person_id: int) -> VolunteerSignup | None:
        query = select(VolunteerSignup).where(
            VolunteerSignup.activity_id == activity_id, VolunteerSignup.person_id == person_id
        )
        return (await self.session.scalars(query)).first()

    async def taken_places(self, activity_id: int) -> int:
        query = select(func.count()).where(
            VolunteerSignup.activity_id == activity_id, VolunteerSignup.cancelled_at.is_(None)
        )
        return int(await self.session.scalar(query) or 0)

    async def volunteers(self, activity_id: int) -> Sequence[Person]:
        """The people signed up and not cancelled."""
        query = (
            select(Person)
            .join(VolunteerSignup, VolunteerSignup.person_id == Person.id)
            .where(
                VolunteerSignup.activity_id == activity_id,
                VolunteerSignup.cancelled_at.is_(None),
            )
            .order_by(VolunteerSignup.signed_at)
        )
        return (await self.session.scalars(query)).all()

    async def claim_status(self, activity_id: int, to: ActivityStatus, now: datetime) -> bool:
        result = await self.session.execute(
            update(VolunteerActivity)
            .where(
                VolunteerActivity.id == activity_id,
                VolunteerActivity.status == ActivityStatus.OPEN,
            )
            .values(status=to, ended_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result) == 1

    async def to_remind(self, start: datetime, end: datetime) -> Sequence[VolunteerActivity]:
        query = select(VolunteerActivity).where(
            VolunteerActivity.status == ActivityStatus.OPEN,
            VolunteerActivity.reminded_at.is_(None),
            VolunteerActivity.starts_at >= start,
            VolunteerActivity.starts_at < end,
        )
        return (await self.session.scalars(query)).all()

    async def claim_reminder(self, activity_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(VolunteerActivity)
            .where(VolunteerActivity.id == activity_id, VolunteerActivity.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result) == 1

    # ------------------------------------------------------------------------- hours

    async def hours_row(self, hours_id: int) -> ServiceHours | None:
        return await self.session.get(ServiceHours, hours_id)

    async def credited(self, activity_id: int) -> Sequence[ServiceHours]:
        query = select(ServiceHours).where(
            ServiceHours.activity_id == activity_id,
            ServiceHours.status == HoursStatus.CREDITED,
        )
        return (await self.session.scalars(query)).all()

    async def decide(
        self, hours_id: int, was: HoursStatus, to: HoursStatus, by: int, now: datetime
    ) -> bool:
        result = await self.session.execute(
            update(ServiceHours)
            .where(ServiceHours.id == hours_id, ServiceHours.status == was)
            .values(status=to, confirmed_by=by, decided_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result) == 1

    async def totals(self, person_id: int) -> dict[HoursStatus, float]:
        query = (
            select(ServiceHours.status, func.sum(ServiceHours.hours))
            .where(ServiceHours.person_id == person_id)
            .group_by(ServiceHours.status)
        )
        return {HoursStatus(s): float(h or 0) for s, h in (await self.session.execute(query)).all()}

    # ------------------------------------------------------------------------- serving

    async def headless_residents(
        self, community_id: int, offered_since: datetime
    ) -> Sequence[tuple[Person, Building]]:
        """Residents of the community's buildings that have no head, each with one such
        building, who were not offered in the quarter (since ``offered_since``)."""
        headed = select(Membership.building_id).where(Membership.role == Role.HEAD)
        offered = select(ServeOffer.person_id).where(ServeOffer.offered_at >= offered_since)
        query = (
            select(Person, Building)
            .join(Membership, Membership.person_id == Person.id)
            .join(Building, Building.id == Membership.building_id)
            .where(
                Building.community_id == community_id,
                Membership.role == Role.RESIDENT,
                Building.id.not_in(headed),
                Person.id.not_in(offered),
            )
            .order_by(Person.id, Building.id)
        )
        seen: set[int] = set()
        found = []
        for person, building in (await self.session.execute(query)).all():
            if person.id not in seen:
                seen.add(person.id)
                found.append((person, building))
        return found

    async def has_head(self, building_id: int) -> bool:
        query = select(func.count()).where(
            Membership.building_id == building_id, Membership.role == Role.HEAD
        )
        return bool(await self.session.scalar(query))

    async def count_coverage(self, community_id: int) -> tuple[int, int]:
        """(buildings, buildings with a head) of the community now."""
        headed = (
            select(Membership.building_id).where(Membership.role == Role.HEAD).distinct()
        ).subquery()
        query = (
            select(func.count(Building.id), func.count(headed.c.building_id))
            .select_from(Building)
            .outerjoin(headed, headed.c.building_id == Building.id)
            .where(Building.community_id == community_id)
        )
        row = (await self.session.execute(query)).one()
        return int(row[0]), int(row[1])

    async def save_week(
        self, community_id: int, week: date, buildings: int, with_head: int, now: datetime
    ) -> None:
        """This week's count, replacing one taken earlier in the week. One statement: two
        instances' scans counting the same week at once both succeed (the later count stays)."""
        counted = {"buildings": buildings, "with_head": with_head, "taken_at": now}
        statement = _insert(self.session, CoverageWeek).values(
            community_id=community_id, week=week, **counted
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[CoverageWeek.community_id, CoverageWeek.week], set_=counted
            )
        )

    async def weeks(
        self, community_id: int, limit: int, until: date | None = None
    ) -> list[CoverageWeek]:
        """The last ``limit`` weeks (those starting by ``until``), oldest first."""
        query = (
            select(CoverageWeek)
            .where(CoverageWeek.community_id == community_id)
            .order_by(CoverageWeek.week.desc())
            .limit(limit)
        )
        if until is not None:
            query = query.where(CoverageWeek.week <= until)
        return list(reversed((await self.session.scalars(query)).all()))

    async def count_estates(self, community_id: int) -> list[tuple[str, int, int]]:
        """(estate, buildings, with a head) of the community now, by estate name ("" for the
        buildings without one); empty when no building has an estate."""
        headed = (
            select(Membership.building_id).where(Membership.role == Role.HEAD).distinct()
        ).subquery()
        query = (
            select(Building.estate, func.count(Building.id), func.count(headed.c.building_id))
            .select_from(Building)
            .outerjoin(headed, headed.c.building_id == Building.id)
            .where(Building.community_id == community_id)
            .group_by(Building.estate)
            .order_by(Building.estate)
        )
        rows = [(str(r[0]), int(r[1]), int(r[2])) for r in await self.session.execute(query)]
        return rows if any(estate for estate, _, _ in rows) else []

    async def save_estate_week(
        self,
        community_id: int,
        week: date,
        counts: Sequence[tuple[str, int, int]],
        now: datetime,
    ) -> None:
        """This week's count per estate, replacing the week's earlier one (an estate renamed
        or emptied meanwhile leaves no stale line). Each line one upsert, as in ``save_week``:
        two instances counting at once both succeed."""
        await self.session.execute(
            delete(CoverageEstateWeek).where(
                CoverageEstateWeek.community_id == community_id,
                CoverageEstateWeek.week == week,
                CoverageEstateWeek.estate.not_in([estate for estate, _, _ in counts]),
            )
        )
        for estate, buildings, with_head in counts:
            counted = {"buildings": buildings, "with_head": with_head, "taken_at": now}
            statement = _insert(self.session, CoverageEstateWeek).values(
                community_id=community_id, week=week, estate=estate, **counted
            )
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[
                        CoverageEstateWeek.community_id,
                        CoverageEstateWeek.week,
                        CoverageEstateWeek.estate,
                    ],
                    set_=counted,
                )
            )

    async def estate_weeks(
        self, community_id: int, weeks: Sequence[date]
    ) -> list[CoverageEstateWeek]:
        """The per-estate counts of those weeks, by estate then week."""
        if not weeks:
            return []
        query = (
            select(CoverageEstateWeek)
            .where(
                CoverageEstateWeek.community_id == community_id,
                CoverageEstateWeek.week.in_(list(weeks)),
            )
            .order_by(CoverageEstateWeek.estate, CoverageEstateWeek.week)
        )
        return list((await self.session.scalars(query)).all())

    async def offer(self, offer_id: int) -> ServeOffer | None:
        return await self.session.get(ServeOffer, offer_id)

    async def move_offer(self, offer_id: int, was: str, **values: object) -> bool:
        result = await self.session.execute(
            update(ServeOffer)
            .where(ServeOffer.id == offer_id, ServeOffer.status == was)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return _changed(result) == 1
