"""What a delivery pass's ticket cards need from the database, read in two statements for all
of them (bot/services/ticket_cards.py ``prepare_delivery``): where each card stands in its chat
(the newest pending card row, the card the chat already has), and the tickets with what their
cards show beside them (how many neighbours follow, the newest work order, the last
reopening). These were six statements for a pass; a pass in a burst holds one to three cards,
so each statement was paid per card. Built once, the lists bound at execution."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Select,
    String,
    bindparam,
    cast,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Address,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketMessage,
    WorkOrder,
    table_of,
)


@dataclass(frozen=True, slots=True)
class CardStand:
    """Where a pass's cards stand, keyed (ticket id, where)."""

    upto: dict[tuple[int, Address], int]  # the newest pending card row (``last_pending_card``)
    refs: dict[tuple[int, Address], str]  # the door's id of the card there (``card_message``)


@dataclass(frozen=True, slots=True)
class TicketShown:
    """A ticket with what its card shows beside it."""

    ticket: Ticket
    followers: int
    order: WorkOrder | None  # the newest (WorkOrderRepository.latest)
    reopened: TicketEvent | None  # the last "reopened" event, whatever the ticket's state


def _stand() -> CompoundSelect[Any]:
    # Two IN lists (ticket and chat), not row values: SQLite searches ix_outbox_recipient and
    # ix_ticket_messages_ticket_address with these; pairs outside the pass are dropped after.
    outbox, messages = table_of(OutboxMessage), table_of(TicketMessage)
    tickets: BindParameter[list[int]] = bindparam("stand_tickets", expanding=True)
    channels: BindParameter[list[str]] = bindparam("stand_channels", expanding=True)
    addresses: BindParameter[list[str]] = bindparam("stand_addresses", expanding=True)
    pending = (
        select(
            outbox.c.ticket_id,
            outbox.c.channel,
            outbox.c.address,
            func.max(outbox.c.id).label("row_id"),
            cast(null(), String).label("message_ref"),  # a pending row: no reference
        )
        .where(
            outbox.c.ticket_id.in_(tickets),
            outbox.c.channel.in_(channels),
            outbox.c.address.in_(addresses),
            outbox.c.kind == OutboxKind.CARD,
            outbox.c.status == OutboxStatus.PENDING,
        )
        .group_by(outbox.c.ticket_id, outbox.c.channel, outbox.c.address)
    )
    shown = select(
        messages.c.ticket_id,
        messages.c.channel,
        messages.c.address,
        messages.c.id,
        messages.c.message_ref,
    ).where(
        messages.c.ticket_id.in_(tickets),
        messages.c.channel.in_(channels),
        messages.c.address.in_(addresses),
        messages.c.kind == "card",
    )
    return union_all(pending, shown)


def _shown() -> Select[Any]:
    # Each of the ticket's own (correlated to the ticket alone: the outer query joins the work
    # orders and events too).
    follows, orders, events = aliased(TicketFollower), aliased(WorkOrder), aliased(TicketEvent)
    followers = (
        select(func.count())
        .select_from(follows)
        .where(follows.ticket_id == Ticket.id)
        .correlate(Ticket)
        .scalar_subquery()
    )
    newest_order = (
        select(orders.id)
        .where(orders.ticket_id == Ticket.id)
        .order_by(orders.forwarded_at.desc(), orders.id.desc())
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery()
    )
    last_reopened = (
        select(events.id)
        .where(events.ticket_id == Ticket.id, events.kind == "reopened")
        .order_by(events.id.desc())
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery()
    )
    return (
        select(Ticket, followers, WorkOrder, TicketEvent)
        .select_from(Ticket)
        .outerjoin(WorkOrder, WorkOrder.id == newest_order)
        .outerjoin(TicketEvent, TicketEvent.id == last_reopened)
        .where(Ticket.id.in_(bindparam("shown_tickets", expanding=True)))
    )


_STAND = _stand()
_SHOWN = _shown()


class CardPassRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stand(self, wanted: Iterable[tuple[int, Address]]) -> CardStand:
        """For each (ticket, where): the newest pending card row (a rendering now includes
        those) and the door's id of the newest card already there, in one statement."""
        pairs = set(wanted)
        upto: dict[tuple[int, Address], int] = {}
        refs: dict[tuple[int, Address], tuple[int, str]] = {}
        if pairs:
            values = {
                "stand_tickets": sorted({ticket_id for ticket_id, _ in pairs}),
                "stand_channels": sorted({where.channel for _, where in pairs}),
                "stand_addresses": sorted({where.address for _, where in pairs}),
            }
            for ticket_id, channel, address, row_id, ref in await self.session.execute(
                _STAND, values
            ):
                pair = (ticket_id, Address(channel, address))
                if pair not in pairs:
                    continue
                if ref is None:
                    upto[pair] = int(row_id)
                elif pair not in refs or refs[pair][0] < row_id:
                    refs[pair] = (row_id, ref)
        return CardStand(upto, {pair: ref for pair, (_, ref) in refs.items()})

    async def tickets(self, ticket_ids: Iterable[int]) -> dict[int, TicketShown]:
        """The tickets found among ``ticket_ids``, each with what its card shows beside it, in
        one statement."""
        ids = sorted(set(ticket_ids))
        if not ids:
            return {}
        rows = await self.session.execute(_SHOWN, {"shown_tickets": ids})
        return {
            ticket.id: TicketShown(ticket, int(followers), order, event)
            for ticket, followers, order, event in rows
        }
