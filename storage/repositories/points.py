"""The points bank's tables. The ledger (``PointsEntry``) is only ever inserted into and
read: this module has no UPDATE or DELETE of it (tests/test_points_ledger.py reads the source of
every repository to keep it so, and the migration's triggers refuse both)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Float, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Building,
    CoordinatorScope,
    HoursStatus,
    Membership,
    Person,
    PointsAccount,
    PointsEntry,
    PointsReason,
    Redemption,
    RedemptionStatus,
    RewardItem,
    Role,
    ServiceHours,
    Ticket,
    TicketEvent,
    VolunteerActivity,
)


@dataclass(frozen=True, slots=True)
class Standing:
    """One line of the year-end ranking."""

    account_id: int
    person_id: int | None  # None: the person used /forgetme
    # "" unless the person served (a head or deputy now, or fixes or rated tickets in the
    # year): a resident who only volunteered or voted gave the office no name to show.
    name: str
    role: Role | None  # head or deputy now, else None (a volunteer)
    points: int  # earned in the year (redemptions not subtracted)
    fixes: int
    hours: float
    rated: int
    rating: float | None


def served(line: Standing) -> bool:
    """Staff, whose name the residents' cards and History show anyway."""
    return line.role is not None or line.fixes > 0 or line.rated > 0


class PointsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------------- accounts

    async def account(self, person_id: int, now: datetime) -> PointsAccount:
        """The person's account, opened on first use."""
        found = await self.session.scalar(
            select(PointsAccount).where(PointsAccount.person_id == person_id)
        )
        if found is not None:
            return found
        account = PointsAccount(person_id=person_id, created_at=now)
        self.session.add(account)
        await self.session.flush()
        return account

    async def existing_account(self, person_id: int) -> PointsAccount | None:
        return await self.session.scalar(
            select(PointsAccount).where(PointsAccount.person_id == person_id)
        )

    async def account_by_id(self, account_id: int) -> PointsAccount | None:
        return await self.session.get(PointsAccount, account_id)

    async def lock(self, account_id: int) -> None:
        """Holds the account's row until the commit, so two approvals for one person take
        turns over its balance (PostgreSQL; SQLite's one writer already does)."""
        await self.session.execute(
            select(PointsAccount.id).where(PointsAccount.id == account_id).with_for_update()
        )

    # ------------------------------------------------------------------------- ledger

    async def append(self, entry: PointsEntry) -> PointsEntry:
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def has_once(self, once: str) -> bool:
        found = await self.session.scalar(select(PointsEntry.id).where(PointsEntry.once == once))
        return found is not None

    async def balance(self, account_id: int) -> int:
        total = await self.session.scalar(
            select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
                PointsEntry.account_id == account_id
            )
        )
        return int(total or 0)

    async def recent(self, account_id: int, limit: int) -> Sequence[PointsEntry]:
        query = (
            select(PointsEntry)
            .where(PointsEntry.account_id == account_id)
            .order_by(PointsEntry.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def totals(self, community_id: int, start: datetime, end: datetime) -> tuple[int, int]:
        """Points issued (every positive entry) and redeemed (the redemptions' entries, as a
        positive number) in the community between ``start`` and ``end``."""
        issued = func.coalesce(
            func.sum(case((PointsEntry.points > 0, PointsEntry.points), else_=0)), 0
        )
        redeemed = func.coalesce(
            func.sum(
                case((PointsEntry.reason == PointsReason.REDEMPTION, -PointsEntry.points), else_=0)
            ),
            0,
        )
        row = (
            await self.session.execute(
                select(issued, redeemed).where(
                    PointsEntry.community_id == community_id,
                    PointsEntry.created_at >= start,
                    PointsEntry.created_at < end,
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def resolver(self, ticket_id: int) -> int | None:
        """Who resolved the ticket last (the resolution the resident confirmed)."""
        return await self.session.scalar(
            select(TicketEvent.actor_id)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "resolved")
            .order_by(TicketEvent.id.desc())
            .limit(1)
        )

    async def office(self, community_id: int) -> Sequence[Person]:
        """The coordinators of the whole community: who decides a redemption."""
        whole = select(CoordinatorScope.person_id).where(
            CoordinatorScope.community_id == community_id, CoordinatorScope.building_id.is_(None)
        )
        query = select(Person).where(Person.id.in_(whole)).order_by(Person.id)
        return (await self.session.scalars(query)).all()

    # ------------------------------------------------------------------------- catalogue

    async def items(self, community_ids: Sequence[int]) -> Sequence[RewardItem]:
        query = (
            select(RewardItem)
            .where(RewardItem.community_id.in_(list(community_ids)), RewardItem.active)
            .order_by(RewardItem.community_id, RewardItem.price, RewardItem.id)
        )
        return (await self.session.scalars(query)).all()

    async def all_items(self, community_id: int) -> Sequence[RewardItem]:
        query = (
            select(RewardItem)
            .where(RewardItem.community_id == community_id)
            .order_by(RewardItem.active.desc(), RewardItem.price, RewardItem.id)
        )
        return (await self.session.scalars(query)).all()

    async def item(self, item_id: int) -> RewardItem | None:
        return await self.session.get(RewardItem, item_id)

    async def named_item(self, community_id: int, name: str) -> RewardItem | None:
        """The community's item of this name, whatever its case, withdrawn ones included."""
        return await self.session.scalar(
            select(RewardItem).where(
                RewardItem.community_id == community_id,
                func.lower(RewardItem.name) == name.lower(),
            )
        )

    async def add_item(self, item: RewardItem) -> RewardItem:
        self.session.add(item)
        await self.session.flush()
        return item

    async def change_item(self, item_id: int, **values: object) -> None:
        await self.session.execute(
            update(RewardItem).where(RewardItem.id == item_id).values(**values)
        )

    async def take_stock(self, item_id: int) -> bool:
        """One off the stock, if there is any left: of two approvals of the last one, one wins."""
        result = await self.session.execute(
            update(RewardItem)
            .where(RewardItem.id == item_id, RewardItem.stock > 0)
            .values(stock=RewardItem.stock - 1)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    # ------------------------------------------------------------------------- redemptions

    async def add_redemption(self, redemption: Redemption) -> Redemption:
        self.session.add(redemption)
        await self.session.flush()
        return redemption

    async def redemption(self, redemption_id: int) -> Redemption | None:
        return await self.session.get(Redemption, redemption_id)

    async def pending(self, account_id: int) -> Sequence[Redemption]:
        query = select(Redemption).where(
            Redemption.account_id == account_id,
            Redemption.status == RedemptionStatus.REQUESTED,
        )
        return (await self.session.scalars(query)).all()

    async def move(
        self, redemption_id: int, was: RedemptionStatus, to: RedemptionStatus, **values: object
    ) -> bool:
        """Changes the redemption only if it is still ``was``: two coordinators pressing at
        once decide it once."""
        result = await self.session.execute(
            update(Redemption)
            .where(Redemption.id == redemption_id, Redemption.status == was)
            .values(status=to, **values)
            .execution_options(synchronize_session=False)
        )
        changed = getattr(result, "rowcount", 0) == 1
        if changed:
            found = await self.session.get(Redemption, redemption_id)
            if found is not None:
                await self.session.refresh(found)
        return changed

    # ------------------------------------------------------------------------- ranking

    async def standings(self, community_id: int, start: datetime, end: datetime) -> list[Standing]:
        """Everyone who earned points in the community in the period, everyone whose service
        hours in it were confirmed in the period (hours from the volunteers' record, so a
        community paying 0 an hour still ranks them), and every current head and deputy of it
        (with nothing, if so), best first."""
        earned = func.coalesce(
            func.sum(case((PointsEntry.points > 0, PointsEntry.points), else_=0)), 0
        )
        fixes = func.count(case((PointsEntry.reason == PointsReason.FIX, 1)))
        rows = (
            await self.session.execute(
                select(PointsEntry.account_id, earned, fixes)
                .where(
                    PointsEntry.community_id == community_id,
                    PointsEntry.created_at >= start,
                    PointsEntry.created_at < end,
                )
                .group_by(PointsEntry.account_id)
            )
        ).all()
        figures = {r[0]: (int(r[1]), int(r[2])) for r in rows}
        hours = await self._hours(community_id, start, end)
        staff = (
            await self.session.execute(
                select(Membership.person_id, Membership.role)
                .join(Building, Building.id == Membership.building_id)
                .where(
                    Building.community_id == community_id,
                    Membership.role.in_([Role.HEAD, Role.DEPUTY]),
                )
            )
        ).all()
        roles: dict[int, Role] = {}
        for person_id, role in staff:
            if roles.get(person_id) is not Role.HEAD:
                roles[person_id] = role
        accounts = {
            a.id: a
            for a in await self.session.scalars(
                select(PointsAccount).where(
                    (PointsAccount.id.in_(list(figures)))
                    | (PointsAccount.person_id.in_(list(roles) + list(hours)))
                )
            )
        }
        people_ids = [a.person_id for a in accounts.values() if a.person_id is not None]
        people_ids += [p for p in [*roles, *hours] if p not in people_ids]
        names = {
            p.id: p.display_name
            for p in await self.session.scalars(select(Person).where(Person.id.in_(people_ids)))
        }
        ratings = await self._ratings(community_id, people_ids, start, end)
        lines: list[Standing] = []
        seen: set[int] = set()
        for account in accounts.values():
            points, fix_count = figures.get(account.id, (0, 0))
            owner = account.person_id
            hour_count = hours.get(owner or 0, 0.0)
            if owner is not None:
                seen.add(owner)
            rated, rating = ratings.get(owner or 0, (0, None))
            lines.append(
                Standing(
                    account.id,
                    owner,
                    names.get(owner or 0, ""),
                    roles.get(owner or 0),
                    points,
                    fix_count,
                    hour_count,
                    rated,
                    rating,
                )
            )
        # Heads and deputies with nothing earned, and volunteers whose hours earned no points
        # (the community pays 0 an hour) and who so have no account yet.
        for person_id in [*roles, *(p for p in hours if p not in roles)]:
            if person_id not in seen:
                seen.add(person_id)
                rated, rating = ratings.get(person_id, (0, None))
                lines.append(
                    Standing(
                        0,
                        person_id,
                        names.get(person_id, ""),
                        roles.get(person_id),
                        0,
                        0,
                        hours.get(person_id, 0.0),
                        rated,
                        rating,
                    )
                )
        lines = [line if served(line) else replace(line, name="") for line in lines]
        lines.sort(key=lambda s: (-s.points, -s.fixes, -s.hours, s.name, s.account_id))
        return lines

    async def _hours(self, community_id: int, start: datetime, end: datetime) -> dict[int, float]:
        """Per person: the service hours confirmed in the period in the community (an
        activity's, or help to a neighbour in one of its buildings), whatever the community
        pays an hour: the volunteers' table is the record of hours, not the points book."""
        rows = (
            await self.session.execute(
                select(ServiceHours.person_id, func.sum(ServiceHours.hours))
                .outerjoin(VolunteerActivity, VolunteerActivity.id == ServiceHours.activity_id)
                .outerjoin(Building, Building.id == ServiceHours.building_id)
                .where(
                    ServiceHours.status == HoursStatus.CONFIRMED,
                    ServiceHours.decided_at >= start,
                    ServiceHours.decided_at < end,
                    or_(
                        VolunteerActivity.community_id == community_id,
                        and_(
                            ServiceHours.activity_id.is_(None),
                            Building.community_id == community_id,
                        ),
                    ),
                )
                .group_by(ServiceHours.person_id)
            )
        ).all()
        return {int(r[0]): float(r[1] or 0) for r in rows}

    async def _ratings(
        self, community_id: int, people_ids: Sequence[int], start: datetime, end: datetime
    ) -> dict[int, tuple[int, float | None]]:
        """Per person: how many of the tickets they held, closed in the period, were rated,
        and the average of those ratings (the satisfaction the office weighs)."""
        if not people_ids:
            return {}
        rows = (
            await self.session.execute(
                select(
                    Ticket.holder_id,
                    func.count(Ticket.rating),
                    func.avg(Ticket.rating.cast(Float())),
                )
                .where(
                    and_(
                        Ticket.community_id == community_id,
                        Ticket.holder_id.in_(list(people_ids)),
                        Ticket.closed_at >= start,
                        Ticket.closed_at < end,
                    )
                )
                .group_by(Ticket.holder_id)
            )
        ).all()
        return {int(r[0]): (int(r[1]), float(r[2]) if r[2] is not None else None) for r in rows}
