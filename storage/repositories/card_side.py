"""What a ticket's card shows beside the ticket itself, read in one statement: its community,
its building, how many neighbours follow it, its newest work order and, for the staff of a
ticket that may have been reopened, the last reopening. These were five statements for every
card rendered one at a time (the presser's card after Take, a delivery's single card). Read as
rows (storage/rows.py): a card only reads them, and loading the four mapped objects cost
about three times the row's own read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Integer, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Building,
    Community,
    Ticket,
    TicketEvent,
    TicketFollower,
    WorkOrder,
    table_of,
)
from storage.rows import BuildingName, CardCommunity, OrderRow, ReopenedRow


@dataclass(frozen=True, slots=True)
class CardSide:
    community: CardCommunity
    building: BuildingName
    followers: int
    order: OrderRow | None  # the newest (WorkOrderRepository.latest)
    reopened: ReopenedRow | None  # the last "reopened" event, when asked for


_COMMUNITIES, _BUILDINGS = table_of(Community), table_of(Building)
_FOLLOWS, _ORDERS, _EVENTS = table_of(TicketFollower), table_of(WorkOrder), table_of(TicketEvent)
# Where each part of the statement's row begins: the community, the building, the followers'
# count, the work order, the reopening.
_BUILDING = len(CardCommunity._fields)
_FOLLOWERS = _BUILDING + len(BuildingName._fields)
_ORDER = _FOLLOWERS + 1
_REOPENED = _ORDER + len(OrderRow._fields)


def _query(reopened: bool) -> Select[Any]:
    ticket_id: BindParameter[int] = bindparam("card_ticket_id", type_=Integer)
    followers = (
        select(func.count())
        .select_from(_FOLLOWS)
        .where(_FOLLOWS.c.ticket_id == ticket_id)
        .scalar_subquery()
    )
    newest_order = (
        select(_ORDERS.c.id)
        .where(_ORDERS.c.ticket_id == ticket_id)
        .order_by(_ORDERS.c.forwarded_at.desc(), _ORDERS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            *(_COMMUNITIES.c[name] for name in CardCommunity._fields),
            *(_BUILDINGS.c[name] for name in BuildingName._fields),
            followers,
            *(_ORDERS.c[name] for name in OrderRow._fields),
        )
        .select_from(_COMMUNITIES)
        .join(_BUILDINGS, _BUILDINGS.c.id == bindparam("card_building_id"))
        .outerjoin(_ORDERS, _ORDERS.c.id == newest_order)
        .where(_COMMUNITIES.c.id == bindparam("card_community_id"))
    )
    if not reopened:
        return query
    last_reopened = (
        select(_EVENTS.c.id)
        .where(_EVENTS.c.ticket_id == ticket_id, _EVENTS.c.kind == "reopened")
        .order_by(_EVENTS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return query.add_columns(*(_EVENTS.c[name] for name in ReopenedRow._fields)).outerjoin(
        _EVENTS, _EVENTS.c.id == last_reopened
    )


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
        # An order or an event not found: its columns are null (the outer joins).
        order = OrderRow._make(row[_ORDER:_REOPENED]) if row[_ORDER] is not None else None
        found = reopened and row[_REOPENED] is not None
        return CardSide(
            CardCommunity._make(row[:_BUILDING]),
            BuildingName._make(row[_BUILDING:_FOLLOWERS]),
            int(row[_FOLLOWERS]),
            order,
            ReopenedRow._make(row[_REOPENED:]) if found else None,
        )
