"""Work orders (the whistle): a ticket's orders, the waiting ones a scan reminds of, and the
conditional UPDATEs that claim a reminder or record an answer exactly once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Community, Ticket, TicketStatus, WorkOrder


def _changed(result: object) -> bool:
    return int(getattr(result, "rowcount", 0)) == 1


class WorkOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_number(self, community_id: int) -> int:
        """The community's next work order number, atomically (two forwards at once never
        share a reference)."""
        number = await self.session.scalar(
            update(Community)
            .where(Community.id == community_id)
            .values(work_order_seq=Community.work_order_seq + 1)
            .returning(Community.work_order_seq)
        )
        assert number is not None
        return int(number)

    async def add(self, order: WorkOrder) -> WorkOrder:
        self.session.add(order)
        await self.session.flush()
        return order

    async def latest(self, ticket_id: int) -> WorkOrder | None:
        """The ticket's newest work order (what its card shows)."""
        return await self.session.scalar(
            select(WorkOrder)
            .where(WorkOrder.ticket_id == ticket_id)
            .order_by(WorkOrder.forwarded_at.desc(), WorkOrder.id.desc())
            .limit(1)
        )

    async def of_ticket(self, ticket_id: int) -> Sequence[WorkOrder]:
        return (
            await self.session.scalars(
                select(WorkOrder)
                .where(WorkOrder.ticket_id == ticket_id)
                .order_by(WorkOrder.forwarded_at, WorkOrder.id)
            )
        ).all()

    async def tickets_numbered(self, number: int) -> Sequence[Ticket]:
        """Every community's ticket #``number`` (numbers are per community), by community: one
        lookup per community on its (community, number) key, not a walk of every ticket."""
        found = []
        for community_id in await self.session.scalars(select(Community.id).order_by(Community.id)):
            ticket = await self.session.scalar(
                select(Ticket).where(Ticket.community_id == community_id, Ticket.number == number)
            )
            if ticket is not None:
                found.append(ticket)
        return found

    async def waiting(
        self, community_id: int, statuses: Iterable[TicketStatus]
    ) -> list[tuple[WorkOrder, Ticket]]:
        """The community's unanswered orders of tickets in ``statuses``, oldest first."""
        query = (
            select(WorkOrder, Ticket)
            .join(Ticket, Ticket.id == WorkOrder.ticket_id)
            .where(
                WorkOrder.community_id == community_id,
                WorkOrder.answered_at.is_(None),
                Ticket.status.in_(list(statuses)),
            )
            .order_by(WorkOrder.forwarded_at, WorkOrder.id)
        )
        return [(order, ticket) for order, ticket in (await self.session.execute(query)).all()]

    async def overdue(
        self,
        where: Sequence[ColumnElement[bool]],
        before: datetime,
        statuses: Iterable[TicketStatus],
        limit: int,
    ) -> list[tuple[WorkOrder, int]]:
        """Unanswered orders forwarded before ``before`` of the tickets ``where`` selects (a
        digest's scope), oldest first, with their ticket's number."""
        query = (
            select(WorkOrder, Ticket.number)
            .join(Ticket, Ticket.id == WorkOrder.ticket_id)
            .where(
                *where,
                WorkOrder.answered_at.is_(None),
                WorkOrder.forwarded_at <= before,
                Ticket.status.in_(list(statuses)),
            )
            .order_by(WorkOrder.forwarded_at, WorkOrder.id)
            .limit(limit)
        )
        return [(order, int(number)) for order, number in (await self.session.execute(query)).all()]

    async def claim_reminder(self, order: WorkOrder, count: int, now: datetime) -> bool:
        """Records reminder number ``count`` if no one else did since ``order`` was read and
        the order is still unanswered: of two scans at once, one reminds."""
        result = await self.session.execute(
            update(WorkOrder)
            .where(
                WorkOrder.id == order.id,
                WorkOrder.reminders_sent == order.reminders_sent,
                WorkOrder.answered_at.is_(None),
            )
            .values(reminders_sent=count, reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def record_answer(
        self, order_id: int, answer: str, person_id: int, now: datetime
    ) -> bool:
        """The department's answer, once: a second "answer received" (a double tap, two
        coordinators) changes nothing."""
        result = await self.session.execute(
            update(WorkOrder)
            .where(WorkOrder.id == order_id, WorkOrder.answered_at.is_(None))
            .values(answer=answer, answered_at=now, answered_by=person_id)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)
