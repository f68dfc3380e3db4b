"""What the office's documents read: tickets with the people and building they name (exports),
which (building, category) pairs had any activity in a period (the monthly report), buildings by
code (posters). Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Building, Person, Ticket, TicketStatus


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """The tickets of one community an export holds: by status (empty: all), and reported in
    [start, end) (None: unbounded)."""

    community_id: int
    statuses: tuple[TicketStatus, ...] = ()
    start: datetime | None = None
    end: datetime | None = None

    def where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [Ticket.community_id == self.community_id]
        if self.statuses:
            conditions.append(Ticket.status.in_(list(self.statuses)))
        if self.start is not None:
            conditions.append(Ticket.created_at >= self.start)
        if self.end is not None:
            conditions.append(Ticket.created_at < self.end)
        return conditions


@dataclass(frozen=True, slots=True)
class ExportedTicket:
    ticket: Ticket
    building: Building
    author: Person | None
    holder: Person | None


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tickets(self, selection: TicketFilter) -> list[ExportedTicket]:
        """The selected tickets, oldest first, each with its building, author and holder."""
        author = aliased(Person)
        holder = aliased(Person)
        query = (
            select(Ticket, Building, author, holder)
            .join(Building, Building.id == Ticket.building_id)
            .outerjoin(author, author.id == Ticket.author_id)
            .outerjoin(holder, holder.id == Ticket.holder_id)
            .where(*selection.where())
            .order_by(Ticket.created_at, Ticket.id)
        )
        return [ExportedTicket(*row) for row in (await self.session.execute(query)).all()]

    async def active_pairs(
        self, community_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, str]]:
        """(building id, category) of the tickets reported or resolved in [start, end)."""
        query = (
            select(Ticket.building_id, Ticket.category)
            .where(
                Ticket.community_id == community_id,
                or_(
                    and_(Ticket.created_at >= start, Ticket.created_at < end),
                    and_(Ticket.resolved_at >= start, Ticket.resolved_at < end),
                ),
            )
            .distinct()
        )
        return [(int(b), str(c)) for b, c in (await self.session.execute(query)).all()]

    async def buildings(self, community_id: int, codes: Sequence[str] = ()) -> list[Building]:
        """The community's buildings by code (all when ``codes`` is empty)."""
        query = select(Building).where(Building.community_id == community_id)
        if codes:
            query = query.where(Building.code.in_(list(codes)))
        return list((await self.session.scalars(query.order_by(Building.code))).all())
