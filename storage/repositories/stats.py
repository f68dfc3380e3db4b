"""The digest's figures, each one SQL aggregate over an indexed range of one community's tickets
(counts, sums of CASE, GROUP BY, medians by window functions): nothing loads tickets into Python
but the ten shown by name. Portable between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from storage.models import (
    OPEN_STATUSES,
    Building,
    CoordinatorScope,
    Membership,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketStatus,
)

S = TicketStatus


class epoch(FunctionElement[float]):  # noqa: N801 (an SQL function)
    """Seconds since 1970 of a stored UTC timestamp: julianday() on SQLite (which keeps text),
    EXTRACT(EPOCH …) on PostgreSQL."""

    type = Float()
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch)
def _epoch_default(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


def seconds(start: Any, end: Any) -> ColumnElement[float]:
    return epoch(end) - epoch(start)


@dataclass(frozen=True, slots=True)
class Scope:
    """A digest's area: a whole community, or some of its buildings; ``categories`` narrows
    the tickets to some categories (the monthly report's rows per category), None: all."""

    community_id: int
    building_ids: tuple[int, ...] | None = None
    categories: tuple[str, ...] | None = None

    def where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [Ticket.community_id == self.community_id]
        if self.building_ids is not None:
            conditions.append(Ticket.building_id.in_(self.building_ids))
        if self.categories is not None:
            conditions.append(Ticket.category.in_(self.categories))
        return conditions

    def buildings(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [Building.community_id == self.community_id]
        if self.building_ids is not None:
            conditions.append(Building.id.in_(self.building_ids))
        return conditions


@dataclass(frozen=True, slots=True)
class Counts:
    new: int
    taken: int
    resolved: int
    closed: int


@dataclass(frozen=True, slots=True)
class BuildingLine:
    name: str
    new: int
    taken: int
    resolved: int
    open: int


@dataclass(frozen=True, slots=True)
class Kpis:
    reports: int  # in the period, neither merged nor withdrawn
    due: int  # of those, whose time to be taken has passed or who were taken
    responded: int  # taken within the SLA
    resolved: int
    rated: int
    satisfied: int  # rated 4 or 5
    median_take: float | None  # seconds
    median_resolve: float | None


@dataclass(frozen=True, slots=True)
class Overdue:
    ticket_id: int
    number: int
    category: str
    building: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Recurring:
    building: str
    category: str
    reports: int


@dataclass(frozen=True, slots=True)
class Unreachable:
    name: str
    role: str  # head, deputy, coordinator


@dataclass(frozen=True, slots=True)
class Leader:
    name: str
    resolved: int
    median_resolve: float | None
    rating: float | None
    ratings: int


@dataclass(frozen=True, slots=True)
class Coverage:
    buildings: int
    with_head: int
    without: list[str]  # names, the first few


def sla_seconds(default: float, overrides: Mapping[str, float]) -> ColumnElement[float]:
    """The SLA of each ticket's category, as an SQL expression."""
    if not overrides:
        return literal(default, Float())
    return case(
        {category: literal(value, Float()) for category, value in overrides.items()},
        value=Ticket.category,
        else_=literal(default, Float()),
    )


class StatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _count(self, scope: Scope, *where: ColumnElement[bool]) -> int:
        query = select(func.count()).select_from(Ticket).where(*scope.where(), *where)
        return int(await self.session.scalar(query) or 0)

    async def counts(self, scope: Scope, start: datetime, end: datetime) -> Counts:
        return Counts(
            new=await self._count(scope, Ticket.created_at >= start, Ticket.created_at < end),
            taken=await self._count(scope, Ticket.taken_at >= start, Ticket.taken_at < end),
            resolved=await self._count(
                scope, Ticket.resolved_at >= start, Ticket.resolved_at < end
            ),
            closed=await self._count(
                scope,
                Ticket.closed_at >= start,
                Ticket.closed_at < end,
                Ticket.status == S.CLOSED,
                Ticket.merged_into_id.is_(None),
            ),
        )

    async def open_count(self, scope: Scope) -> int:
        return await self._count(scope, Ticket.status.in_(list(OPEN_STATUSES)))

    def overdue_conditions(
        self,
        now: datetime,
        untaken: float,
        unresolved: float,
        untaken_by: Mapping[str, float],
        unresolved_by: Mapping[str, float],
    ) -> list[ColumnElement[bool]]:
        """Open and past its category's escalation threshold: waiting too long to be taken (a
        reopened ticket counts from its latest reopening, as the ladder does), or taken and
        not resolved in time. One condition per status: SQLite's planner scans the table for
        an OR of them, and for ``status IN (…)`` ordered by created_at it walks the
        community's whole history by date; with one status the (community, status, created)
        index finds the few open tickets, oldest first."""
        now_s = literal(now.timestamp(), Float())
        reopened = (
            select(func.max(TicketEvent.created_at))
            .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "reopened")
            .scalar_subquery()
        )
        untaken_limit = sla_seconds(untaken, untaken_by)
        # Taken: since the take, or since "not fixed" gave it back to its holder (taken_at
        # keeps the first take), as the ladder counts (OpenRow.handled_since).
        handled = case((reopened > Ticket.taken_at, reopened), else_=Ticket.taken_at)
        return [
            and_(Ticket.status == S.NEW, now_s - epoch(Ticket.created_at) >= untaken_limit),
            and_(
                Ticket.status == S.REOPENED,
                now_s - epoch(func.coalesce(reopened, Ticket.created_at)) >= untaken_limit,
            ),
            and_(
                Ticket.status == S.TAKEN,
                now_s - epoch(handled) >= sla_seconds(unresolved, unresolved_by),
            ),
        ]

    async def overdue(
        self, scope: Scope, conditions: Sequence[ColumnElement[bool]], limit: int
    ) -> tuple[int, list[Overdue]]:
        """How many tickets meet any of the (disjoint) conditions, and the oldest ``limit``."""
        total = 0
        found: list[Overdue] = []
        for condition in conditions:
            where = [*scope.where(), condition]
            count = select(func.count()).select_from(Ticket).where(*where)
            total += int(await self.session.scalar(count) or 0)
            query = (
                select(Ticket.id, Ticket.number, Ticket.category, Building.name, Ticket.created_at)
                .join(Building, Building.id == Ticket.building_id)
                .where(*where)
                .order_by(Ticket.created_at, Ticket.id)
                .limit(limit)
            )
            found += [Overdue(*row) for row in (await self.session.execute(query)).all()]
        found.sort(key=lambda o: (o.since, o.ticket_id))
        return total, found[:limit]

    async def per_building(
        self, scope: Scope, start: datetime, end: datetime, limit: int
    ) -> tuple[int, list[BuildingLine]]:
        """Buildings with activity in [start, end): their counts, the busiest first."""
        figures: dict[int, dict[str, int]] = {}
        for name, column in (
            ("new", Ticket.created_at),
            ("taken", Ticket.taken_at),
            ("resolved", Ticket.resolved_at),
        ):
            query = (
                select(Ticket.building_id, func.count())
                .where(*scope.where(), column >= start, column < end)
                .group_by(Ticket.building_id)
            )
            for building_id, count in (await self.session.execute(query)).all():
                figures.setdefault(building_id, {})[name] = int(count)
        if not figures:
            return 0, []
        ids = list(figures)
        open_query = (
            select(Ticket.building_id, func.count())
            .where(
                *scope.where(),
                Ticket.building_id.in_(ids),
                Ticket.status.in_(list(OPEN_STATUSES)),
            )
            .group_by(Ticket.building_id)
        )
        opened = {b: int(c) for b, c in (await self.session.execute(open_query)).all()}
        names = dict(
            (
                await self.session.execute(
                    select(Building.id, Building.name).where(Building.id.in_(ids))
                )
            ).all()
        )
        lines = [
            BuildingLine(
                names.get(b, "?"),
                f.get("new", 0),
                f.get("taken", 0),
                f.get("resolved", 0),
                opened.get(b, 0),
            )
            for b, f in figures.items()
        ]
        lines.sort(key=lambda line: (-(line.new + line.taken + line.resolved), line.name))
        return len(lines), lines[:limit]

    async def kpis(
        self,
        scope: Scope,
        start: datetime,
        end: datetime,
        now: datetime,
        untaken: float,
        untaken_by: Mapping[str, float],
    ) -> Kpis:
        return (await self.kpis_by(scope, start, end, now, untaken, untaken_by))[None]

    async def kpis_by(
        self,
        scope: Scope,
        start: datetime,
        end: datetime,
        now: datetime,
        untaken: float,
        untaken_by: Mapping[str, float],
        key: ColumnElement[Any] | None = None,
    ) -> dict[Any, Kpis]:
        """The digest's KPIs of the tickets reported in [start, end): as one figure (``key``
        None: under the key None), or one per value of ``key`` (Ticket.building_id,
        Ticket.category) in one pass, for the console's Numbers of 238 buildings at once. A
        key value with no ticket has no entry."""
        cohort = [
            *scope.where(),
            Ticket.created_at >= start,
            Ticket.created_at < end,
            Ticket.merged_into_id.is_(None),
            Ticket.status != S.WITHDRAWN,
        ]
        limit = sla_seconds(untaken, untaken_by)
        take = seconds(Ticket.created_at, Ticket.taken_at)
        not_yet_due = and_(
            Ticket.taken_at.is_(None),
            literal(now.timestamp(), Float()) - epoch(Ticket.created_at) < limit,
        )
        figures = [
            func.count(),
            func.sum(case((not_yet_due, 0), else_=1)),
            func.sum(case((and_(Ticket.taken_at.is_not(None), take <= limit), 1), else_=0)),
            func.sum(case((Ticket.status.in_([S.RESOLVED, S.CLOSED]), 1), else_=0)),
            func.count(Ticket.rating),
            func.sum(case((Ticket.rating >= 4, 1), else_=0)),
        ]
        if key is None:
            rows = [(None, *(await self.session.execute(select(*figures).where(*cohort))).one())]
        else:
            query = select(key, *figures).where(*cohort).group_by(key)
            rows = [tuple(row) for row in (await self.session.execute(query)).all()]
        takes = await self._medians(take, [*cohort, Ticket.taken_at.is_not(None)], key)
        resolves = await self._medians(
            seconds(Ticket.created_at, Ticket.resolved_at),
            [*cohort, Ticket.resolved_at.is_not(None)],
            key,
        )
        return {
            row[0]: Kpis(
                reports=int(row[1] or 0),
                due=int(row[2] or 0),
                responded=int(row[3] or 0),
                resolved=int(row[4] or 0),
                rated=int(row[5] or 0),
                satisfied=int(row[6] or 0),
                median_take=takes.get(row[0]),
                median_resolve=resolves.get(row[0]),
            )
            for row in rows
        }

    async def _medians(
        self,
        value: ColumnElement[float],
        where: Sequence[ColumnElement[bool]],
        key: ColumnElement[Any] | None,
    ) -> dict[Any, float]:
        """The median per value of ``key`` (or the one median, under None), as ``_median``."""
        if key is None:
            median = await self._median(value, where)
            return {} if median is None else {None: median}
        ranked = (
            select(
                key.label("k"),
                value.label("v"),
                func.row_number().over(partition_by=key, order_by=value).label("rn"),
                func.count().over(partition_by=key).label("n"),
            )
            .where(*where)
            .subquery()
        )
        middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
        query = select(ranked.c.k, func.avg(ranked.c.v)).where(middle).group_by(ranked.c.k)
        return {k: float(v) for k, v in (await self.session.execute(query)).all() if v is not None}

    async def _median(
        self, value: ColumnElement[float], where: Sequence[ColumnElement[bool]]
    ) -> float | None:
        """The median by window functions: the middle row (or the two middle rows) of the
        ordered values, so only one number leaves the database."""
        ranked = (
            select(
                value.label("v"),
                func.row_number().over(order_by=value).label("rn"),
                func.count().over().label("n"),
            )
            .where(*where)
            .subquery()
        )
        middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
        result = await self.session.scalar(select(func.avg(ranked.c.v)).where(middle))
        return float(result) if result is not None else None

    async def coverage(self, scope: Scope, limit: int) -> Coverage:
        has_head = exists().where(
            Membership.building_id == Building.id, Membership.role == Role.HEAD
        )
        query = select(Building.name, has_head).where(*scope.buildings()).order_by(Building.code)
        rows = (await self.session.execute(query)).all()
        without = [name for name, covered in rows if not covered]
        return Coverage(len(rows), len(rows) - len(without), without[:limit])

    async def recurring(
        self, scope: Scope, start: datetime, end: datetime, threshold: int, limit: int
    ) -> list[Recurring]:
        count = func.count().label("reports")
        query = (
            select(Building.name, Ticket.category, count)
            .join(Building, Building.id == Ticket.building_id)
            .where(*scope.where(), Ticket.created_at >= start, Ticket.created_at < end)
            .group_by(Building.name, Ticket.building_id, Ticket.category)
            .having(func.count() >= threshold)
            .order_by(count.desc(), Building.name, Ticket.category)
            .limit(limit)
        )
        return [Recurring(r[0], r[1], int(r[2])) for r in (await self.session.execute(query)).all()]

    async def unreachable(self, scope: Scope, limit: int) -> list[Unreachable]:
        heads = (
            select(Person.display_name, Membership.role)
            .join(Membership, Membership.person_id == Person.id)
            .join(Building, Building.id == Membership.building_id)
            .where(
                *scope.buildings(),
                Membership.role.in_([Role.HEAD, Role.DEPUTY]),
                Person.unreachable_since.is_not(None),
            )
        )
        coordinators = (
            select(Person.display_name, literal(Role.COORDINATOR.value))
            .join(CoordinatorScope, CoordinatorScope.person_id == Person.id)
            .where(
                CoordinatorScope.community_id == scope.community_id,
                Person.unreachable_since.is_not(None),
            )
        )
        if scope.building_ids is not None:
            coordinators = coordinators.where(
                or_(
                    CoordinatorScope.building_id.is_(None),
                    CoordinatorScope.building_id.in_(scope.building_ids),
                )
            )
        query = heads.union(coordinators).limit(limit)
        return [
            Unreachable(str(r[0]), str(getattr(r[1], "value", r[1])))
            for r in (await self.session.execute(query)).all()
        ]

    async def leaders(
        self, scope: Scope, start: datetime, end: datetime, limit: int
    ) -> list[Leader]:
        heads = (
            select(Membership.person_id)
            .join(Building, Building.id == Membership.building_id)
            .where(
                Building.community_id == scope.community_id,
                Membership.role.in_([Role.HEAD, Role.DEPUTY]),
            )
        )
        where = [
            *scope.where(),
            Ticket.resolved_at >= start,
            Ticket.resolved_at < end,
            Ticket.holder_id.in_(heads),  # the heads' and deputies' board, not the office's
        ]
        resolved = func.count().label("resolved")
        totals = (
            select(
                Ticket.holder_id,
                Person.display_name,
                resolved,
                func.avg(Ticket.rating.cast(Float())),
                func.count(Ticket.rating),
            )
            .join(Person, Person.id == Ticket.holder_id)
            .where(*where)
            .group_by(Ticket.holder_id, Person.display_name)
            .order_by(resolved.desc(), Person.display_name)
            .limit(limit)
        )
        rows = (await self.session.execute(totals)).all()
        if not rows:
            return []
        holders = [r[0] for r in rows]
        duration = seconds(Ticket.created_at, Ticket.resolved_at)
        ranked = (
            select(
                Ticket.holder_id.label("h"),
                duration.label("v"),
                func.row_number()
                .over(partition_by=Ticket.holder_id, order_by=duration)
                .label("rn"),
                func.count().over(partition_by=Ticket.holder_id).label("n"),
            )
            .where(*where, Ticket.holder_id.in_(holders))
            .subquery()
        )
        medians = dict(
            (
                await self.session.execute(
                    select(ranked.c.h, func.avg(ranked.c.v))
                    .where(
                        or_(
                            ranked.c.rn == (ranked.c.n + 1) // 2,
                            ranked.c.rn == (ranked.c.n + 2) // 2,
                        )
                    )
                    .group_by(ranked.c.h)
                )
            ).all()
        )
        return [
            Leader(
                name=str(r[1]),
                resolved=int(r[2]),
                median_resolve=float(medians[r[0]]) if medians.get(r[0]) is not None else None,
                rating=float(r[3]) if r[3] is not None else None,
                ratings=int(r[4]),
            )
            for r in rows
        ]

    async def series(self, scope: Scope, column: Any, bounds: Sequence[datetime]) -> list[int]:
        """Counts per [bounds[i], bounds[i+1]) in one pass: local days, DST-exact."""
        buckets = [
            func.sum(case((and_(column >= a, column < b), 1), else_=0))
            for a, b in zip(bounds, bounds[1:], strict=False)
        ]
        row = (
            await self.session.execute(
                select(*buckets).where(*scope.where(), column >= bounds[0], column < bounds[-1])
            )
        ).one()
        return [int(v or 0) for v in row]

    # ------------------------------------------------------------------------- who reads it

    async def coordinator_scopes(self, community_id: int) -> list[tuple[Person, int | None]]:
        """(coordinator, building id or None for the whole community), one row per scope."""
        query = (
            select(Person, CoordinatorScope.building_id)
            .join(CoordinatorScope, CoordinatorScope.person_id == Person.id)
            .where(CoordinatorScope.community_id == community_id)
            .order_by(Person.id, CoordinatorScope.id)
        )
        return [(p, b) for p, b in (await self.session.execute(query)).all()]

    async def heads(self, community_id: int) -> list[tuple[Person, int]]:
        """(head or deputy, building id) of the community's buildings."""
        query = (
            select(Person, Membership.building_id)
            .join(Membership, Membership.person_id == Person.id)
            .join(Building, Building.id == Membership.building_id)
            .where(
                Building.community_id == community_id,
                Membership.role.in_([Role.HEAD, Role.DEPUTY]),
            )
            .order_by(Person.id, Membership.building_id)
        )
        return [(p, b) for p, b in (await self.session.execute(query)).all()]

    async def coordinators_since(self, community_id: int) -> dict[int, datetime]:
        """When each coordinator of the community got their first area in it."""
        query = (
            select(CoordinatorScope.person_id, func.min(CoordinatorScope.since))
            .where(CoordinatorScope.community_id == community_id)
            .group_by(CoordinatorScope.person_id)
        )
        return {p: since for p, since in (await self.session.execute(query)).all()}

    async def heads_since(self, community_id: int) -> dict[int, datetime]:
        """When each head or deputy of the community's buildings got their first building."""
        query = (
            select(Membership.person_id, func.min(Membership.since))
            .join(Building, Building.id == Membership.building_id)
            .where(
                Building.community_id == community_id,
                Membership.role.in_([Role.HEAD, Role.DEPUTY]),
            )
            .group_by(Membership.person_id)
        )
        return {p: since for p, since in (await self.session.execute(query)).all()}

    async def building_names(self, building_ids: Sequence[int]) -> list[str]:
        query = select(Building.name).where(Building.id.in_(building_ids)).order_by(Building.code)
        return list((await self.session.scalars(query)).all())

    async def open_in(self, scope: Scope, limit: int) -> tuple[int, list[Overdue]]:
        # One condition per status, for the index (see overdue_conditions).
        return await self.overdue(scope, [Ticket.status == s for s in OPEN_STATUSES], limit)

    async def by_holder(
        self, community_id: int, start: datetime, end: datetime
    ) -> dict[int, tuple[int, float | None, int]]:
        """holder → (tickets resolved in [start, end), their mean rating, how many rated)."""
        query = (
            select(
                Ticket.holder_id,
                func.count(),
                func.avg(Ticket.rating.cast(Float())),
                func.count(Ticket.rating),
            )
            .where(
                Ticket.community_id == community_id,
                Ticket.resolved_at >= start,
                Ticket.resolved_at < end,
                Ticket.holder_id.is_not(None),
            )
            .group_by(Ticket.holder_id)
        )
        return {
            int(h): (int(n), float(r) if r is not None else None, int(c))
            for h, n, r, c in (await self.session.execute(query)).all()
        }
