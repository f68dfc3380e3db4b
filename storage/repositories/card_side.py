"""What a ticket's card shows beside the ticket itself, read in one statement: its community,
its building, how many neighbours follow it, its newest work order and, for the staff of a
ticket that may have been reopened, the last reopening. These were five statements for every
card rendered one at a time (the presser's card after Take, a delivery's single card)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Integer, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Community, Ticket, TicketEvent, TicketFollower, WorkOrder


@dataclass(frozen=True, slots=True)
class CardSide:
    community: Community
    building: Building
    followers: int
    order: WorkOrder | None  # the newest (WorkOrderRepository.latest)
    reopened: TicketEvent | None  # the last "reopened" event, when asked for


def _query(reopened: bool) -> Select[Any]:
    ticket_id: BindParameter[int] = bindparam("card_ticket_id", type_=Integer)
    followers = (
        select(func.count())
        .select_from(TicketFollower)
        .where(TicketFollower.ticket_id == ticket_id)
        .scalar_subquery()
    )
    newest_order = (
        select(WorkOrder.id)
        .where(WorkOrder.ticket_id == ticket_id)
        .order_by(WorkOrder.forwarded_at.desc(), WorkOrder.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(Community, Building, followers, WorkOrder)
        .select_from(Community)
        .join(Building, Building.id == bindparam("card_building_id"))
        .outerjoin(WorkOrder, WorkOrder.id == newest_order)
        .where(Community.id == bindparam("card_community_id"))
    )
    if not reopened:
        return query
    last_reopened = (
        select(TicketEvent.id)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "reopened")
        .order_by(TicketEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return query.add_columns(TicketEvent).outerjoin(TicketEvent, TicketEvent.id == last_reopened)


# Built once (their parameters bound at execution): building a statement of this size anew
# costs more than running it.
_QUERIES = {True: _query(True), False: _query(False)}


class CardSideRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of(self, ticket: Ticket, *, reopened: bool) -> CardSide:
        values = {
            "card_ticket_id": ticket.id,
            "card_building_id": ticket.building_id,
            "card_community_id": ticket.community_id,
        }
        row = (await self.session.execute(_QUERIES[reopened], values)).one()
        event = row[4] if reopened else None
        return CardSide(row[0], row[1], int(row[2]), row[3], event)
