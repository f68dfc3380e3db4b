"""The messages relayed on tickets, read as conversations: which of a person's tickets had
messages lately, and the messages of one ticket. (Relayed messages are ticket events of kind
"message"; a "retracted" event takes some of them back.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Ticket, TicketEvent, TicketRecipient, TicketStatus
from storage.rows import EventView

TALK = ("message", "retracted")


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recent(
        self, person_id: int, since: datetime, statuses: Sequence[TicketStatus]
    ) -> Sequence[tuple[Ticket, TicketEvent]]:
        """The messages (and retractions) since ``since`` on the person's tickets in these
        states: those they wrote, hold, or received the card of. Oldest first.

        The person's tickets come from the author and holder indexes and the recipients'
        person index; each one's messages from ix_ticket_events_ticket_kind_created."""
        mine = union(
            select(Ticket.id).where(
                or_(Ticket.author_id == person_id, Ticket.holder_id == person_id)
            ),
            select(TicketRecipient.ticket_id).where(TicketRecipient.person_id == person_id),
        ).subquery()
        query = (
            select(Ticket, TicketEvent)
            .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
            .where(
                Ticket.id.in_(select(mine.c[0])),
                Ticket.status.in_(list(statuses)),
                TicketEvent.kind.in_(TALK),
                TicketEvent.created_at >= since,
            )
            .order_by(TicketEvent.id)
        )
        return [(ticket, event) for ticket, event in (await self.session.execute(query)).all()]

    async def event(self, event_id: int) -> TicketEvent | None:
        return await self.session.get(TicketEvent, event_id)

    async def said_once(self, ticket_id: int, person_id: int, once: str) -> TicketEvent | None:
        """The person's message on the ticket sent with the form key ``once``, if any.

        The ticket's row is locked first (``FOR UPDATE``; on SQLite the unit of work holds the
        one connection anyway), so two posts of one form check and write one after the
        other: the second finds the first's message."""
        await self.session.execute(
            select(Ticket.id).where(Ticket.id == ticket_id).with_for_update()
        )
        said = await self.session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket_id,
                TicketEvent.actor_id == person_id,
                TicketEvent.kind == "message",
            )
        )
        return next((e for e in said if e.data.get("once") == once), None)

    async def talk_since(self, ticket_id: int, since: datetime) -> Sequence[TicketEvent]:
        """One ticket's messages and retractions since ``since``, oldest first."""
        query = (
            select(TicketEvent)
            .where(
                TicketEvent.ticket_id == ticket_id,
                TicketEvent.kind.in_(TALK),
                TicketEvent.created_at >= since,
            )
            .order_by(TicketEvent.id)
        )
        return (await self.session.scalars(query)).all()


def retracted_ids(events: Sequence[EventView]) -> set[int]:
    """The ids of the messages that the retractions among ``events`` took back."""
    return {int(i) for e in events if e.kind == "retracted" for i in e.data.get("events", [])}
